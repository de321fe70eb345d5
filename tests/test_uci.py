"""ganlib.uci: the UCI digits upsampled into MNIST's format, and their seeded split."""

import numpy as np
import pytest
import tensorflow as tf

from ganlib.errors import DataError
from ganlib.uci import bilinear_matrix, load_uci_digits, upsample_uci


@pytest.fixture(scope="module")
def uci():
    return load_uci_digits(seed=0)


def test_bilinear_upsampling_matches_tensorflow_and_keeps_the_range():
    matrix = bilinear_matrix(8, 20)
    np.testing.assert_allclose(matrix.sum(axis=1), 1.0)
    images = np.random.default_rng(0).integers(0, 17, (3, 8, 8))
    up = upsample_uci(images)
    assert up.dtype == np.uint8 and up.shape == (3, 28, 28)
    assert not up[:, :4].any() and not up[:, -4:].any() and not up[:, :, :4].any() and not up[:, :, -4:].any()
    expected = tf.image.resize(images[..., None].astype(np.float32), (20, 20), method="bilinear")[..., 0]
    np.testing.assert_allclose(up[:, 4:24, 4:24], np.rint(np.asarray(expected) * 255 / 16), atol=1)
    assert (upsample_uci(np.full((1, 8, 8), 16)) [:, 4:24, 4:24] == 255).all()


@pytest.mark.parametrize("images, message", [(np.zeros((2, 28, 28)), r"shape \(N, 8, 8\)"),
                                             (np.full((2, 8, 8), 255), "values 0..16")])
def test_upsampling_refuses_other_images(images, message):
    with pytest.raises(DataError, match=message):
        upsample_uci(images)


def test_uci_split_is_stratified_held_out_and_seeded(uci):
    (x_train, y_train), (x_test, y_test) = uci
    assert x_train.shape == (1257, 28, 28) and x_test.shape == (540, 28, 28) and x_train.dtype == np.uint8
    assert x_train.max() == 255 and y_train.dtype == np.uint8
    per_digit = np.bincount(np.concatenate([y_train, y_test]), minlength=10)
    assert np.all(np.abs(np.bincount(y_test, minlength=10) - 0.3 * per_digit) <= 1)  # 30% of each digit
    train_rows = {row.tobytes() for row in x_train}
    assert sum(row.tobytes() in train_rows for row in x_test) < 5  # (the UCI set has a few duplicate images)
    again = load_uci_digits(seed=0)
    np.testing.assert_array_equal(again.test[0], x_test)
    assert not np.array_equal(load_uci_digits(seed=1).test[1], y_test)
    with pytest.raises(ValueError, match="between 0 and 1"):
        load_uci_digits(test_fraction=1.0)
