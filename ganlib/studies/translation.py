"""The translation study: does the CycleGAN between MNIST and the UCI digits keep the digit?

The method (the UCI domain, the translators and patch critics, the losses including the
semantic loss, and its two classifiers) is :mod:`ganlib.apps.cyclegan`; this module is the
protocol that judges its translations with *readers* that take no part in training:

* the test sets: the MNIST *test* images (the 10,000 of every MNIST source ganlib reads) and the
  540 held-out UCI digits (:func:`ganlib.uci.load_uci_digits`, split seed 0); no test
  image is seen in training;
* the readers of the MNIST side: the shipped evaluator (:func:`mnist_labels`), or, of another
  family than the networks, 3 nearest neighbours on 2x2-pooled pixels fitted on the MNIST
  training split (:func:`train_mnist_knn`): the evaluator shares its architecture with one
  variant of the semantic loss's classifiers;
* the readers of the UCI side, both fitted on the UCI training split: an RBF support vector
  machine on 2x2-pooled pixels (:func:`train_uci_classifier`) or a network of the evaluator's
  architecture (:func:`train_uci_cnn`); none shares the architecture of the shipped semantic
  pair's LeNet-5 classifiers;
* :func:`measure` reports, each way, **label preservation** (the share of test images whose
  translation the target domain's reader labels as the source image's label), the
  **untranslated baseline** (the same reader on the untranslated images: what a translation that
  does nothing scores), the **cycle error** (:func:`cycle_error`, mean ``|x - F(G(x))|`` in
  [0, 1] pixel units) and each reader's accuracy on its own domain's test images.

The measurement is ``benchmarks/cyclegan_quality.py``; its results are in ``benchmarks/README.md``,
section 9 (9b to 9d for the semantic variants), in the shipped ``ganlib/assets/cyclegan-*.json``
records and in the book's chapter ``book/app_cyclegan.ipynb``.
"""

from __future__ import annotations

import numpy as np

from ganlib.apps.cyclegan import UCI_CNN_EPOCHS, translate
from ganlib.classifiers import train_digit_network
from ganlib.data import MNIST
from ganlib.evaluator import as_model_input, features_and_probabilities


def uci_features(images) -> np.ndarray:
    """uint8 digits (N, 28, 28) -> (N, 196) features in [0, 1]: means of 2x2 pixel blocks."""
    pixels = as_model_input(images)[..., 0] * 0.5 + 0.5
    return pixels.reshape(len(pixels), 14, 2, 14, 2).mean(axis=(2, 4)).reshape(len(pixels), -1)


def train_uci_classifier(images, labels):
    """A UCI-domain reader: an RBF support vector machine (C = 10) on :func:`uci_features` of uint8
    digits (N, 28, 28).  Returns a function: uint8 digits -> labels."""
    from sklearn.svm import SVC

    svm = SVC(C=10.0, gamma="scale").fit(uci_features(images), np.asarray(labels))
    return lambda digits: svm.predict(uci_features(digits)).astype(np.int64)


def train_uci_cnn(images, labels, seed: int = 0, epochs: int = UCI_CNN_EPOCHS):
    """A second UCI-domain reader: :func:`ganlib.classifiers.train_digit_network` (the evaluator's
    network) on the UCI digits given.  Returns a function: uint8 digits -> labels."""
    network = train_digit_network(images, labels, seed, epochs)
    return lambda digits: network.predict(as_model_input(digits), batch_size=1000, verbose=0).argmax(axis=1)


def train_mnist_knn(images, labels, k: int = 3):
    """An MNIST-domain reader of another family than the networks: ``k``-nearest neighbours on
    :func:`uci_features` (2x2-pooled pixels) of the uint8 digits given.  Returns a function: uint8
    digits -> labels.  For translations trained with the semantic loss, whose classifiers may share
    the evaluator's architecture."""
    from sklearn.neighbors import KNeighborsClassifier

    knn = KNeighborsClassifier(n_neighbors=k).fit(uci_features(images), np.asarray(labels))
    return lambda digits: knn.predict(uci_features(digits)).astype(np.int64)


def mnist_labels(images) -> np.ndarray:
    """The digits the shipped MNIST evaluator (:mod:`ganlib.evaluator`) reads in uint8 images."""
    return features_and_probabilities(images)[1].argmax(axis=1)


def cycle_error(images, direction: str, generators: dict | None = None) -> float:
    """Mean ``|x - back(there(x))|`` in [0, 1] pixel units for uint8 ``images`` sent ``direction``
    and back (through uint8, as :func:`ganlib.apps.cyclegan.translate` returns them)."""
    back = "uci_to_mnist" if direction == "mnist_to_uci" else "mnist_to_uci"
    there = translate(images, direction, generators)
    rebuilt = translate(there, back, generators)
    return float(np.mean(np.abs(rebuilt.astype(np.float64) - np.asarray(images, np.float64))) / 255.0)


def measure(generators: dict, mnist: MNIST, uci: MNIST, read_uci=None, read_mnist=None) -> dict:
    """Label preservation and cycle error of ``generators`` on held-out images, both directions.

    Label preservation: the share of test images of one domain whose translation the other
    domain's reader labels as the source image's label.  MNIST side: ``read_mnist`` (uint8 digits
    -> labels; default the shipped evaluator, :func:`mnist_labels`); UCI side: ``read_uci``
    (default :func:`train_uci_classifier` fitted on ``uci``'s training split).  Also reported:
    each reader's accuracy on its own domain's test images, and how often it labels the
    *untranslated* test images of the other domain right (the baseline a translation should beat).
    """
    (mnist_test, mnist_test_labels), (uci_test, uci_test_labels) = mnist.test, uci.test
    read_uci = read_uci or train_uci_classifier(*uci.train)
    read_mnist = read_mnist or mnist_labels
    to_uci, to_mnist = translate(mnist_test, "mnist_to_uci", generators), translate(uci_test, "uci_to_mnist", generators)

    def share(predicted, truth):
        return float(np.mean(predicted == np.asarray(truth)))

    return {
        "label_preservation": {"mnist_to_uci": share(read_uci(to_uci), mnist_test_labels),
                               "uci_to_mnist": share(read_mnist(to_mnist), uci_test_labels)},
        "untranslated_baseline": {"mnist_read_by_uci_reader": share(read_uci(mnist_test), mnist_test_labels),
                                  "uci_read_by_mnist_evaluator": share(read_mnist(uci_test), uci_test_labels)},
        "cycle_l1": {"mnist": cycle_error(mnist_test, "mnist_to_uci", generators),
                     "uci": cycle_error(uci_test, "uci_to_mnist", generators)},
        "reader_accuracy": {"uci_reader_on_uci_test": share(read_uci(uci_test), uci_test_labels),
                            "mnist_evaluator_on_mnist_test": share(read_mnist(mnist_test), mnist_test_labels)},
        "test_images": {"mnist": len(mnist_test), "uci": len(uci_test)},
    }


__all__ = ["uci_features", "train_uci_classifier", "train_uci_cnn", "train_mnist_knn", "mnist_labels",
           "cycle_error", "measure"]
