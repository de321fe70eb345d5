import shutil

import numpy as np
import pytest

from conftest import SHARED_MNIST, mnist_arrays, write_npz
from ganlib import assets, data
from ganlib.errors import DataError, DownloadRefused, IntegrityError


def test_embedded_subset_is_balanced_real_mnist_with_the_whole_test_set(mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    assert x_train.shape == (10_000, 28, 28) and x_train.dtype == np.uint8
    assert x_test.shape == (10_000, 28, 28) and x_test.dtype == np.uint8
    assert np.bincount(y_train, minlength=10).tolist() == [1000] * 10
    # MNIST's own test set, whole: its per-digit counts (LeCun et al.)
    assert np.bincount(y_test, minlength=10).tolist() == [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    # Real digits: mostly black background, a bright stroke in the middle.
    assert 0.1 < (x_train > 127).mean() < 0.2
    assert x_train[:, 10:18, 10:18].mean() > 3 * x_train[:, :3, :].mean()
    assert "embedded" in mnist.source


def test_embedded_subset_matches_the_full_mnist():
    if not SHARED_MNIST.exists():
        pytest.skip("the full MNIST is only on developer and CI machines")
    (x_full, y_full), _ = data.read_mnist_npz(SHARED_MNIST)
    assert x_full.shape == (60_000, 28, 28)
    (x_sub, y_sub), _ = data.load_embedded()
    first_zeros = np.flatnonzero(y_full == 0)[:1000]
    np.testing.assert_array_equal(x_sub[y_sub == 0], x_full[first_zeros])


def test_load_mnist_falls_back_to_embedded_offline(no_keras_cache):
    mnist = data.load_mnist()
    assert "embedded" in mnist.source and len(mnist.train[0]) == 10_000


def test_explicit_path_and_environment_variable(tmp_path, no_keras_cache, monkeypatch):
    file = write_npz(tmp_path / "m.npz", **mnist_arrays(30, 5))
    assert len(data.load_mnist(file).train[0]) == 30
    monkeypatch.setenv("GANLIB_MNIST", str(file))
    mnist = data.load_mnist()
    assert len(mnist.train[0]) == 30 and mnist.source == str(file)


def test_keras_cache_is_checked_by_sha256(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.delenv("GANLIB_MNIST", raising=False)
    (tmp_path / "datasets").mkdir()
    write_npz(tmp_path / "datasets" / "mnist.npz", **mnist_arrays())
    with pytest.raises(IntegrityError, match="corrupt or was replaced"):
        data.load_mnist()


def test_download_is_refused_unless_allowed():
    with pytest.raises(DownloadRefused, match="allow_download=True"):
        data.download_mnist(allow_download=False)


def test_failed_download_says_what_to_do_offline(monkeypatch):
    import keras

    def no_network(*args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr(keras.utils, "get_file", no_network)
    with pytest.raises(DownloadRefused, match="offline"):
        data.download_mnist()


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p, "does not exist"),
        (lambda p: (p.write_text("just text"), p)[1], "not an .npz archive"),
        (lambda p: write_npz(p, x_train=np.zeros((2, 28, 28), np.uint8)), "lacks the keys"),
        (lambda p: write_npz(p, **{**mnist_arrays(), "x_train": np.zeros((20, 28, 27), np.uint8)}), r"\(N, 28, 28\)"),
        (lambda p: write_npz(p, **{**mnist_arrays(), "x_train": np.zeros((20, 28, 28), np.float32)}), "uint8"),
        (lambda p: write_npz(p, **{**mnist_arrays(), "y_train": np.zeros(3, np.uint8)}), "y_train"),
        (lambda p: write_npz(p, **{**mnist_arrays(), "y_test": np.full(10, 11, np.uint8)}), "digits 0-9"),
        (lambda p: write_npz(p, **{**mnist_arrays(), "y_train": np.array([None] * 20, dtype=object)}),
         "not a readable"),
    ],
    ids=["missing", "not-npz", "wrong-keys", "wrong-shape", "wrong-dtype", "wrong-labels", "label-range", "pickle"],
)
def test_bad_files_raise_clear_errors(tmp_path, make, message):
    file = make(tmp_path / "bad.npz")
    with pytest.raises(DataError, match=message):
        data.read_mnist_npz(file)


def test_truncated_file_is_refused(tmp_path):
    good = write_npz(tmp_path / "good.npz", **mnist_arrays(200, 10))
    cut = tmp_path / "cut.npz"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(DataError, match="not a readable"):
        data.read_mnist_npz(cut)


def test_corrupt_embedded_asset_is_refused(tmp_path, monkeypatch):
    copy = tmp_path / "assets"
    shutil.copytree(assets.ASSET_DIR, copy, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    raw = bytearray((copy / data.EMBEDDED).read_bytes())
    raw[len(raw) // 2] ^= 0xFF
    (copy / data.EMBEDDED).write_bytes(bytes(raw))
    monkeypatch.setattr(assets, "ASSET_DIR", copy)
    monkeypatch.setattr(assets, "MANIFEST", copy / "manifest.json")
    monkeypatch.setattr(assets, "_verified", set())
    with pytest.raises(IntegrityError, match="corrupt or was replaced"):
        data.load_embedded()
    with pytest.raises(DataError, match="no shipped asset named 'nope'"):
        assets.path("nope")


def test_model_range_round_trip():
    pixels = np.resize(np.arange(256, dtype=np.uint8), (1, 28, 28))
    scaled = data.to_model_range(pixels)
    assert scaled.shape == (1, 28, 28, 1) and scaled.dtype == np.float32
    assert scaled.min() == -1.0 and scaled.max() == 1.0
    np.testing.assert_array_equal(data.to_uint8(scaled), pixels)


def test_model_range_errors_name_the_fix():
    with pytest.raises(DataError, match="to_model_range"):
        data.check_model_images(np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(DataError, match=r"\[-1, 1\]"):
        data.check_model_images(np.full((2, 28, 28, 1), 3.0, np.float32))
    with pytest.raises(DataError, match="NaN"):
        data.check_model_images(np.full((2, 28, 28, 1), np.nan, np.float32))
    with pytest.raises(DataError, match="expects uint8"):
        data.to_model_range(np.zeros((2, 28, 28), np.float32))


def distinct_images(n):
    """n images whose pixels all equal their index, so a batch tells which images it holds."""
    return np.broadcast_to(np.arange(n, dtype=np.uint8)[:, None, None], (n, 28, 28)).copy()


def ids(batch):
    return np.rint((np.asarray(batch)[:, 0, 0, 0] + 1) * 127.5).astype(int).tolist()


def test_dataset_epochs_are_permutations_and_reproducible():
    images = distinct_images(100)
    stream = data.make_dataset(images, batch_size=32, seed=7)
    batches = [ids(b) for b in stream.take(6)]  # 3 full batches per epoch, 4 images dropped
    epoch0, epoch1 = sum(batches[:3], []), sum(batches[3:], [])
    assert len(set(epoch0)) == 96 and len(set(epoch1)) == 96
    assert epoch0 != epoch1
    again = [ids(b) for b in data.make_dataset(images, batch_size=32, seed=7).take(6)]
    assert again == batches
    resumed = [ids(b) for b in data.make_dataset(images, batch_size=32, seed=7, first_epoch=1).take(3)]
    assert resumed == batches[3:]
    other_seed = [ids(b) for b in data.make_dataset(images, batch_size=32, seed=8).take(3)]
    assert other_seed != batches[:3]


def test_dataset_batches_are_model_range_with_aligned_labels():
    images = distinct_images(40)
    labels = np.arange(40)
    single = list(data.make_dataset(images, batch_size=16, labels=labels, repeat=False))
    assert len(single) == 2
    for batch, batch_labels in single:
        assert batch.shape == (16, 28, 28, 1) and batch.dtype.name == "float32"
        assert -1.0 <= float(np.min(batch)) and float(np.max(batch)) <= 1.0
        assert ids(batch) == batch_labels.numpy().tolist()


def test_dataset_rejects_bad_arguments():
    with pytest.raises(DataError, match="at least one full batch"):
        data.make_dataset(distinct_images(10), batch_size=16)
    with pytest.raises(DataError, match="batch_size"):
        data.make_dataset(distinct_images(10), batch_size=0)
    with pytest.raises(DataError, match="labels"):
        data.make_dataset(distinct_images(10), batch_size=4, labels=np.arange(3))
    with pytest.raises(DataError, match="to_model_range"):
        data.make_dataset(np.full((10, 28, 28, 1), 200.0, np.float32), batch_size=4)
