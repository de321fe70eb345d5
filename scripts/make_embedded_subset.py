"""Build the MNIST subset embedded in the package (``ganlib/assets/mnist_subset.npz``).

Recorded command (run from the repository root)::

    python scripts/make_embedded_subset.py ../shared/data/mnist.npz

It takes the first 1,000 training images of each digit (10,000 in all) and the whole test
set (10,000 images, so that ``ganlib evaluate`` scores against all of it offline), keeps the Keras ``mnist.npz`` layout (uint8 images,
uint8 labels), writes them with ``numpy.savez_compressed`` and records the file's sha256 in
``ganlib/assets/manifest.json``.  The selection is deterministic: no randomness is involved.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from ganlib import assets
from ganlib.data import read_mnist_npz

TRAIN_PER_CLASS = 1000


def first_per_class(labels: np.ndarray, per_class: int) -> np.ndarray:
    """Indices of the first ``per_class`` examples of each class, in their original order."""
    chosen = [np.flatnonzero(labels == digit)[:per_class] for digit in range(10)]
    return np.sort(np.concatenate(chosen))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="full MNIST in Keras layout (mnist.npz)")
    args = parser.parse_args()
    (x_train, y_train), (x_test, y_test) = read_mnist_npz(args.source)
    train_idx = first_per_class(y_train, TRAIN_PER_CLASS)
    target = assets.ASSET_DIR / "mnist_subset.npz"
    with open(target, "wb") as handle:
        np.savez_compressed(
            handle,
            x_train=x_train[train_idx],
            y_train=y_train[train_idx],
            x_test=x_test,
            y_test=y_test,
        )
    digest = assets.record(
        target.name,
        contents=f"MNIST: first {TRAIN_PER_CLASS} training images of each digit and all {len(y_test)} test images",
        license="CC BY-SA 3.0; MNIST by Y. LeCun, C. Cortes, C. J. C. Burges",
        command="python scripts/make_embedded_subset.py ../shared/data/mnist.npz",
    )
    print(f"wrote {target} ({target.stat().st_size / 1e6:.2f} MB, sha256 {digest})")


if __name__ == "__main__":
    main()
