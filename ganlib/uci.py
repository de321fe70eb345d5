"""The UCI handwritten digits (Alpaydin & Kaynak 1998) that scikit-learn ships, in MNIST's format.

1,797 images of 8x8 pixels with values 0..16, no download: :func:`load_uci_digits` upsamples them
bilinearly into MNIST's 20x20 box, centred in 28x28, as uint8 (:func:`upsample_uci`), and splits
them into training and test images.  They are blurry and blocky where MNIST is crisp: the second
domain of the CycleGAN chapter (:mod:`ganlib.apps.cyclegan`).
"""

from __future__ import annotations

import numpy as np

from ganlib.data import IMAGE_SHAPE, MNIST
from ganlib.errors import DataError

UCI_MAX = 16  # the UCI digits count pixels 0..16 (of a 4x4 block of a 32x32 bitmap)
UCI_BOX = 20  # MNIST's digits were scaled into a 20x20 box centred in 28x28; the UCI ones go there too
UCI_TEST_FRACTION = 0.3


def bilinear_matrix(size_in: int, size_out: int) -> np.ndarray:
    """The (size_out, size_in) matrix of 1-D bilinear interpolation with pixel centres aligned
    (output pixel i reads the input at ``(i + 0.5) * size_in / size_out - 0.5``, clamped at the
    edges).  Each row sums to 1, so an image ``M @ a @ M.T`` stays within ``a``'s range."""
    centres = np.clip((np.arange(size_out) + 0.5) * size_in / size_out - 0.5, 0, size_in - 1)
    low = np.floor(centres).astype(int)
    high = np.minimum(low + 1, size_in - 1)
    weight = centres - low
    matrix = np.zeros((size_out, size_in))
    np.add.at(matrix, (np.arange(size_out), low), 1.0 - weight)
    np.add.at(matrix, (np.arange(size_out), high), weight)
    return matrix


def upsample_uci(images) -> np.ndarray:
    """UCI digits (N, 8, 8) with values 0..16 -> uint8 (N, 28, 28) in ganlib's image convention:
    bilinearly upsampled to 20x20, scaled to 0..255 and centred in 28x28 as MNIST's digits are."""
    images = np.asarray(images)
    if images.ndim != 3 or images.shape[1:] != (8, 8):
        raise DataError(f"UCI digits must have shape (N, 8, 8), got {images.shape}; "
                        "pass sklearn.datasets.load_digits().images")
    if images.size and (images.min() < 0 or images.max() > UCI_MAX):
        raise DataError(f"UCI digits hold values 0..{UCI_MAX}, got {images.min()}..{images.max()}; "
                        "pass load_digits().images unscaled")
    matrix = bilinear_matrix(8, UCI_BOX)
    box = np.einsum("ij,njk,lk->nil", matrix, images.astype(np.float64), matrix)
    pixels = np.rint(box * 255.0 / UCI_MAX).astype(np.uint8)
    margin = (IMAGE_SHAPE[0] - UCI_BOX) // 2
    return np.pad(pixels, ((0, 0), (margin, margin), (margin, margin)))


def load_uci_digits(seed: int = 0, test_fraction: float = UCI_TEST_FRACTION) -> MNIST:
    """The UCI digits of scikit-learn as 28x28 uint8 images (:func:`upsample_uci`), in MNIST's
    layout: ``(x_train, y_train), (x_test, y_test)``, split stratified by digit with ``seed``
    (30% held out by default: 1,257 training and 540 test images)."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must lie strictly between 0 and 1, e.g. 0.3; got {test_fraction!r}")
    digits = load_digits()
    x_train, x_test, y_train, y_test = train_test_split(
        upsample_uci(digits.images), digits.target.astype(np.uint8), test_size=test_fraction,
        random_state=seed, stratify=digits.target)
    return MNIST((x_train, y_train), (x_test, y_test),
                 source=f"UCI digits of scikit-learn, upsampled to 28x28, split with seed {seed}")


__all__ = ["UCI_MAX", "UCI_BOX", "UCI_TEST_FRACTION", "bilinear_matrix", "upsample_uci", "load_uci_digits"]
