import numpy as np
import pytest

from ganlib import utils
from ganlib.errors import DataError


def test_image_grid_tiles_images_with_padding():
    images = np.stack([np.full((28, 28), value, np.uint8) for value in (0, 100, 200)])
    grid = utils.image_grid(images, rows=1, cols=3, pad=2)
    assert grid.shape == (2 + 28 + 2, 2 + 3 * (28 + 2))
    assert grid[2, 2] == 0 and grid[2, 32] == 100 and grid[2, 62] == 200
    assert grid[0, 0] == 255  # padding is white
    square = utils.image_grid(np.zeros((10, 28, 28, 1), np.float32))  # floats in [-1, 1] accepted
    assert square.shape == (3 * 30 + 2, 4 * 30 + 2)  # 10 images: 3 rows of 4
    with pytest.raises(ValueError, match="holds 4 images"):
        utils.image_grid(np.zeros((5, 28, 28), np.uint8), rows=2, cols=2)
    with pytest.raises(DataError, match="non-empty batch"):
        utils.image_grid(np.zeros((28, 28), np.uint8))


def test_plot_images_and_save_grid_write_files(tmp_path, mnist):
    digits = mnist.train[0][:12]
    figure = utils.plot_images(digits, tmp_path / "plot.png", title="digits", labels=mnist.train[1][:12])
    assert len(figure.axes) == 12 and (tmp_path / "plot.png").stat().st_size > 1000
    path = utils.save_grid(digits, tmp_path / "sub" / "grid.png")
    from PIL import Image

    assert Image.open(path).size == (2 * (4 * 30 + 2), 2 * (3 * 30 + 2))


def test_make_gif_joins_frames(tmp_path, mnist):
    frames = [utils.save_grid(mnist.train[0][i:i + 4], tmp_path / f"f{i}.png") for i in range(3)]
    from PIL import Image

    gif = Image.open(utils.make_gif(frames, tmp_path / "a.gif"))
    assert gif.n_frames == 3
    with pytest.raises(ValueError, match="at least one frame"):
        utils.make_gif([], tmp_path / "b.gif")


def test_accuracy_from_logits():
    assert utils.accuracy([[2.0], [-1.0], [0.5]], True) == pytest.approx(2 / 3)
    assert utils.accuracy([[2.0], [-1.0], [0.5]], False) == pytest.approx(1 / 3)
    assert utils.accuracy([3.0, -3.0], np.array([True, False])) == 1.0


def test_get_datasets_is_the_loader(no_keras_cache):
    (x_train, y_train), (x_test, y_test) = utils.get_datasets()
    assert x_train.shape == (10_000, 28, 28) and y_test.shape == (10_000,)


def test_moving_average_and_training_curves():
    np.testing.assert_allclose(utils.moving_average([1, 3, 5, 7], window=2), [1, 2, 4, 6])
    steps = {name: np.linspace(0, 1, 30) for name in ("d_loss", "g_loss", "d_real", "d_fake")}
    figure = utils.plot_training_curves(steps, epoch_ends=[15, 30])
    assert len(figure.axes) == 2 and len(figure.axes[0].lines) == 5  # 2 metrics x (raw, mean) + 1 epoch line
