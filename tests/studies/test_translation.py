"""ganlib.studies.translation: the readers that judge translations, label preservation, cycle error."""

import keras
import pytest

from ganlib.apps.cyclegan import DIRECTIONS
from ganlib.uci import load_uci_digits
from ganlib.data import MNIST
from ganlib.studies.translation import measure, train_mnist_knn, train_uci_classifier, train_uci_cnn


@pytest.fixture(scope="module")
def uci():
    return load_uci_digits(seed=0)


def test_measure_with_identity_translators(mnist, uci):
    """Generators that change nothing: no cycle error, and label preservation equals the untranslated baseline."""
    identity = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Identity()])
    generators = dict.fromkeys(DIRECTIONS, identity)
    small_mnist = MNIST(mnist.train, (mnist.test[0][:300], mnist.test[1][:300]), source="test")
    report = measure(generators, small_mnist, uci)
    assert report["cycle_l1"] == {"mnist": 0.0, "uci": 0.0}
    assert report["label_preservation"]["mnist_to_uci"] == report["untranslated_baseline"]["mnist_read_by_uci_reader"]
    assert report["label_preservation"]["uci_to_mnist"] == report["untranslated_baseline"]["uci_read_by_mnist_evaluator"]
    assert report["reader_accuracy"]["uci_reader_on_uci_test"] > 0.97
    assert report["reader_accuracy"]["mnist_evaluator_on_mnist_test"] > 0.97
    assert report["test_images"] == {"mnist": 300, "uci": 540}
    knn = train_mnist_knn(*mnist.train)
    assert (knn(small_mnist.test[0]) == small_mnist.test[1]).mean() > 0.9  # another family, still a good reader
    by_knn = measure(generators, small_mnist, uci, read_mnist=knn)
    assert by_knn["label_preservation"]["uci_to_mnist"] == by_knn["untranslated_baseline"]["uci_read_by_mnist_evaluator"]
    assert by_knn["label_preservation"]["mnist_to_uci"] == report["label_preservation"]["mnist_to_uci"]


def test_uci_readers_read_uci_digits(uci):
    read_uci = train_uci_classifier(*uci.train)
    assert (read_uci(uci.test[0]) == uci.test[1]).mean() > 0.97
    read_briefly = train_uci_cnn(*uci.train, epochs=3)  # the benchmark trains 30 epochs
    labels = read_briefly(uci.test[0])
    assert labels.shape == (540,) and (labels == uci.test[1]).mean() > 0.8
