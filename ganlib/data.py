"""MNIST for ganlib: where it comes from, how it is checked, and ``tf.data`` pipelines.

:func:`load_mnist` looks for MNIST in this order and uses the first it finds:

1. an explicit ``path`` argument, else the ``GANLIB_MNIST`` environment variable;
2. Keras' cache (``~/.keras/datasets/mnist.npz``) or, only if the caller passes
   ``allow_download=True``, a download of it; either is checked against Keras' sha256;
3. the subset embedded in the package (the first 1,000 training images of each digit and
   the whole test set of 10,000), checked against ``ganlib/assets/manifest.json``.

So ganlib works offline on a fresh machine, and nothing is ever downloaded unless asked.
Every file is opened with ``allow_pickle=False`` and checked for its keys, shapes and
dtypes; a problem raises :class:`ganlib.errors.DataError` that says what to do.

MNIST: Y. LeCun, C. Cortes and C. J. C. Burges, licensed CC BY-SA 3.0.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from ganlib import assets
from ganlib.errors import DataError, DownloadRefused

IMAGE_SHAPE = (28, 28, 1)
KERAS_MNIST_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
KERAS_MNIST_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
EMBEDDED = "mnist_subset.npz"
MNIST_KEYS = ("x_train", "y_train", "x_test", "y_test")


class MNIST(tuple):
    """MNIST in Keras layout: unpacks as ``(x_train, y_train), (x_test, y_test)``.

    Also has ``.train``, ``.test`` and ``.source`` (where the data came from).
    """

    def __new__(cls, train, test, source: str):
        mnist = super().__new__(cls, (train, test))
        mnist.source = source
        return mnist

    @property
    def train(self) -> tuple[np.ndarray, np.ndarray]:
        return self[0]

    @property
    def test(self) -> tuple[np.ndarray, np.ndarray]:
        return self[1]


def keras_cache_path() -> Path:
    """Where Keras keeps ``mnist.npz`` (honours ``KERAS_HOME``)."""
    home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
    return home / "datasets" / "mnist.npz"


def read_mnist_npz(file: str | Path) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Read and validate an ``mnist.npz`` in Keras layout, without ever unpickling.

    Raises DataError for a missing file, a file that is not an npz, missing keys, and
    images or labels of the wrong shape, dtype or range.
    """
    file = Path(file)
    if not file.is_file():
        raise DataError(
            f"MNIST file {file} does not exist; pass the path of an mnist.npz in Keras layout, "
            "or omit it to use the subset embedded in ganlib"
        )
    with open(file, "rb") as handle:
        magic = handle.read(4)
    if magic != b"PK\x03\x04":
        raise DataError(
            f"{file} is not an .npz archive (it does not start with the zip signature); "
            "give an mnist.npz in Keras layout, as written by numpy.savez"
        )
    try:
        with np.load(file, allow_pickle=False) as archive:
            missing = [key for key in MNIST_KEYS if key not in archive.files]
            if missing:
                raise DataError(
                    f"{file} lacks the keys {missing}; an MNIST file in Keras layout has "
                    f"{list(MNIST_KEYS)} (found {archive.files})"
                )
            arrays = {key: archive[key] for key in MNIST_KEYS}
    except DataError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        raise DataError(
            f"{file} is not a readable .npz archive ({type(error).__name__}: {error}); "
            "it may be truncated or of another format: re-create or re-download it"
        ) from None
    for split in ("train", "test"):
        x, y = arrays[f"x_{split}"], arrays[f"y_{split}"]
        check_uint8_digits(x, f"{file}: x_{split}")
        if not np.issubdtype(y.dtype, np.integer) or y.shape != (len(x),):
            raise DataError(
                f"{file}: y_{split} must be integer labels of shape ({len(x)},), got {y.dtype} {y.shape}"
            )
        if len(y) and (y.min() < 0 or y.max() > 9):
            raise DataError(f"{file}: y_{split} must hold digits 0-9, found {y.min()}..{y.max()}")
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def load_mnist(path: str | Path | None = None, *, allow_download: bool = False) -> MNIST:
    """Load MNIST as uint8 images (N, 28, 28) and integer labels, offline by default.

    ``path`` (or the ``GANLIB_MNIST`` environment variable) names an ``mnist.npz`` in
    Keras layout.  Without one, Keras' cached copy is used if present, a download is made
    if ``allow_download`` is true, and otherwise the embedded subset is returned.  The
    result's ``source`` field says which was used.
    """
    explicit = path if path is not None else os.environ.get("GANLIB_MNIST") or None
    if explicit is not None:
        return MNIST(*read_mnist_npz(explicit), source=str(explicit))
    cached = keras_cache_path()
    if cached.is_file():
        assets.verify_file(cached, KERAS_MNIST_SHA256)
        return MNIST(*read_mnist_npz(cached), source=str(cached))
    if allow_download:
        return MNIST(*read_mnist_npz(download_mnist()), source=KERAS_MNIST_URL)
    return load_embedded()


def load_embedded() -> MNIST:
    """The MNIST subset shipped inside ganlib (sha256-checked): 10,000 train, all 10,000 test images."""
    file = assets.path(EMBEDDED)
    return MNIST(*read_mnist_npz(file), source=f"embedded subset ({file.name})")


def download_mnist(*, allow_download: bool = True) -> Path:
    """Download Keras' ``mnist.npz`` into its cache, verify its sha256, return its path."""
    if not allow_download:
        raise DownloadRefused(
            "MNIST is not on this machine and downloading was not allowed; pass "
            "allow_download=True (CLI: --download), or give the path of an mnist.npz"
        )
    import keras

    try:
        file = keras.utils.get_file(
            "mnist.npz", origin=KERAS_MNIST_URL, file_hash=KERAS_MNIST_SHA256, hash_algorithm="sha256"
        )
    except Exception as error:  # network errors come in many types
        raise DownloadRefused(
            f"could not download MNIST from {KERAS_MNIST_URL} ({error}); offline, pass the path "
            "of an mnist.npz or use the embedded subset (no path, allow_download=False)"
        ) from None
    return assets.verify_file(file, KERAS_MNIST_SHA256)


def check_uint8_digits(images, what: str, fix: str = "", allow_empty: bool = True) -> np.ndarray:
    """``images`` as an array if it is uint8 of shape (N, 28, 28); else DataError
    "``what`` must be uint8 of shape (N, 28, 28), got <dtype> <shape>[; ``fix``]".
    With ``allow_empty=False``, N = 0 is refused too."""
    images = np.asarray(images)
    if (images.dtype != np.uint8 or images.ndim != 3 or images.shape[1:] != (28, 28)
            or (not allow_empty and len(images) == 0)):
        raise DataError(f"{what} must be uint8 of shape (N, 28, 28), got {images.dtype} {images.shape}"
                        + (f"; {fix}" if fix else ""))
    return images


def to_model_range(images: np.ndarray) -> np.ndarray:
    """uint8 images (N, 28, 28) or (N, 28, 28, 1) in [0, 255] -> float32 (N, 28, 28, 1) in [-1, 1]."""
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise DataError(
            f"to_model_range expects uint8 pixels in [0, 255], got {images.dtype}; "
            "images already in [-1, 1] need no conversion"
        )
    if images.ndim == 3:
        images = images[..., None]
    scaled = images.astype(np.float32) / 127.5 - 1.0
    check_model_images(scaled)
    return scaled


def to_uint8(images) -> np.ndarray:
    """Model-range images (N, 28, 28, 1) in [-1, 1] -> uint8 (N, 28, 28), rounded and clipped."""
    images = np.asarray(images, dtype=np.float32)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    return np.clip(np.rint((images + 1.0) * 127.5), 0, 255).astype(np.uint8)


def check_model_images(images) -> None:
    """Raise DataError unless ``images`` is float (N, 28, 28, 1) with values in [-1, 1]."""
    images = np.asarray(images)
    shape = tuple(images.shape)
    if images.ndim != 4 or shape[1:] != IMAGE_SHAPE or not np.issubdtype(images.dtype, np.floating):
        raise DataError(
            f"expected images of shape (N, 28, 28, 1) in [-1, 1], got {shape} {images.dtype}; "
            "call ganlib.data.to_model_range(x) on uint8 MNIST"
        )
    if images.size and not np.isfinite(images).all():
        raise DataError("images contain NaN or infinite values; check how they were produced")
    if images.size and (float(images.min()) < -1.0 - 1e-6 or float(images.max()) > 1.0 + 1e-6):
        raise DataError(
            f"expected pixel values in [-1, 1], got {float(images.min()):.3g}..{float(images.max()):.3g}; "
            "call ganlib.data.to_model_range(x) on uint8 MNIST"
        )


def _as_pixels(images: np.ndarray) -> np.ndarray:
    """Accept uint8 MNIST or model-range floats; return what the pipeline stores (uint8 or float32)."""
    images = np.asarray(images)
    if images.dtype == np.uint8:
        if images.ndim == 3:
            images = images[..., None]
        if images.shape[1:] != IMAGE_SHAPE:
            raise DataError(f"expected uint8 images of shape (N, 28, 28), got {images.shape}")
        return images
    check_model_images(images)
    return images.astype(np.float32)


def make_dataset(images, batch_size: int = 64, *, seed: int = 0, labels=None,
                 first_epoch: int = 0, repeat: bool = True):
    """A ``tf.data`` pipeline of shuffled model-range batches, reproducible per epoch.

    Epoch ``e`` visits the images in the order of a permutation drawn from the stateless
    seed ``(seed, e)``, in full batches (the remainder is dropped).  Because the order
    depends only on ``(seed, e)``, a run resumed at ``first_epoch`` sees exactly the batches
    an uninterrupted run would.  With ``repeat`` the stream runs on over epochs (use it with
    ``fit(steps_per_epoch=len(images) // batch_size)``); without, it yields one epoch.

    ``images`` are uint8 MNIST (converted to [-1, 1] per batch, so the pipeline holds 1 byte
    a pixel: it needs no separate cache) or float images already in [-1, 1].  With
    ``labels`` each element is ``(images, labels)``.  Batches are prefetched.
    """
    import tensorflow as tf

    pixels = _as_pixels(images)
    count = len(pixels)
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise DataError(f"batch_size must be a positive integer, got {batch_size!r}")
    if count < batch_size:
        raise DataError(
            f"need at least one full batch: {count} images < batch_size {batch_size}; "
            "lower batch_size or pass more images"
        )
    if labels is not None:
        labels = np.asarray(labels)
        if labels.shape != (count,):
            raise DataError(f"labels must have shape ({count},), got {labels.shape}")
    steps = count // batch_size
    pixel_table = tf.constant(pixels)
    label_table = None if labels is None else tf.constant(labels.astype(np.int32))

    def epoch_indices(epoch):
        noise = tf.random.stateless_uniform([count], seed=tf.stack([tf.cast(seed, tf.int64), epoch]))
        order = tf.argsort(noise)[: steps * batch_size]
        return tf.data.Dataset.from_tensor_slices(tf.reshape(order, [steps, batch_size]))

    def gather(indices):
        batch = tf.gather(pixel_table, indices)
        if batch.dtype == tf.uint8:
            batch = tf.cast(batch, tf.float32) / 127.5 - 1.0
        if label_table is None:
            return batch
        return batch, tf.gather(label_table, indices)

    last = np.iinfo(np.int64).max if repeat else first_epoch + 1
    batches = tf.data.Dataset.range(first_epoch, last).flat_map(epoch_indices)
    if not repeat:  # tell Keras how long an epoch is (flat_map hides it)
        batches = batches.apply(tf.data.experimental.assert_cardinality(steps))
    return batches.map(gather, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True).prefetch(tf.data.AUTOTUNE)
