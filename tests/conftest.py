"""Shared fixtures. TensorFlow is imported quietly and made deterministic once per session."""

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest

# Tests never read a Keras-cached mnist.npz the machine may have: only the data they choose.
os.environ["KERAS_HOME"] = tempfile.mkdtemp(prefix="ganlib-tests-keras-")

from ganlib.quiet import import_tensorflow_quietly  # noqa: E402

tf = import_tensorflow_quietly()
tf.config.experimental.enable_op_determinism()
import keras  # noqa: E402  (after TensorFlow, quietly)

# The full MNIST on developer and CI machines (not on a user's): beside the checkout, or /work/shared.
SHARED_MNIST = next(
    (p for p in (Path(__file__).resolve().parents[2] / "shared/data/mnist.npz", Path("/work/shared/data/mnist.npz"))
     if p.exists()),
    Path("shared/data/mnist.npz"),
)


@pytest.fixture(scope="session")
def mnist():
    """The embedded subset (what a user gets offline)."""
    from ganlib.data import load_embedded

    return load_embedded()


@pytest.fixture(scope="session")
def few_images(mnist):
    """512 real training digits, uint8 (512, 28, 28)."""
    return mnist.train[0][:512]


@pytest.fixture
def no_keras_cache(tmp_path, monkeypatch):
    """An empty Keras home and no GANLIB_MNIST, so load_mnist falls back to the embedded subset."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    monkeypatch.delenv("GANLIB_MNIST", raising=False)


@pytest.fixture(scope="module")
def label_dependent_generator():
    """A tiny untrained conditional generator whose output clearly depends on the label
    (tests/apps/test_augment.py, tests/studies/test_augmentation.py)."""
    from ganlib.apps.conditional import ConditionalBatchNorm, make_conditional_generator

    generator = make_conditional_generator(latent_dim=8, width=4)
    rng = np.random.default_rng(0)
    for layer in generator.layers:
        if isinstance(layer, ConditionalBatchNorm):
            layer.beta.assign(rng.normal(0, 2, layer.beta.shape))
    return generator


@pytest.fixture(scope="module")
def infogan():
    """The shipped InfoGAN ``dcgan-mnist``: a 10-way code, trained without labels."""
    from ganlib import pretrained

    return pretrained.load("dcgan-mnist")


def write_npz(path, **arrays):
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)
    return path


def mnist_arrays(n_train=20, n_test=10):
    rng = np.random.default_rng(0)
    return {
        "x_train": rng.integers(0, 256, (n_train, 28, 28), dtype=np.uint8),
        "y_train": (np.arange(n_train) % 10).astype(np.uint8),
        "x_test": rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        "y_test": (np.arange(n_test) % 10).astype(np.uint8),
    }


class Interrupt(keras.callbacks.Callback):
    """Raise KeyboardInterrupt in the middle of epoch ``epoch`` (0-based), like Ctrl-C.
    A plain helper (``from conftest import Interrupt``) for the tests of resumable training."""

    def __init__(self, epoch, batch):
        super().__init__()
        self.epoch, self.batch, self.current = epoch, batch, 0

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.current, batch) == (self.epoch, self.batch):
            raise KeyboardInterrupt


def site_module(name: str):
    """A module of ``site/`` (the site's build tools; ``site`` is no package, its name is the
    stdlib's).  A plain helper: ``from conftest import site_module``."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parents[1] / "site" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def built_site(tmp_path_factory):
    """Both editions built once from the notebooks' saved outputs (site/build_saved.py; the
    Chinese one in zh/ by site/editions.py), for tests/test_site.py, tests/test_browser.py and
    tests/test_translations.py."""
    import shutil

    if shutil.which("npm") is None:
        pytest.fail("the site build installs its scripts from the npm registry: install Node.js and npm")
    html = site_module("build_saved").build(tmp_path_factory.mktemp("site"))
    editions = site_module("editions")  # the Chinese edition beside it, from the same saved outputs
    editions.build_chinese(editions.ROOT, html / editions.SUBDIR)
    return html
