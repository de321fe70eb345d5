import json

import numpy as np
import pytest

from ganlib import evaluator, metrics
from ganlib.cli import main
from ganlib.errors import DataError


def test_shipped_evaluator_classifies_mnist(mnist):
    x_test, y_test = mnist.test
    _, probabilities = evaluator.features_and_probabilities(x_test)
    assert probabilities.shape == (10_000, 10)
    assert np.mean(probabilities.argmax(axis=1) == y_test) > 0.985


def test_evaluate_separates_real_digits_from_bad_samples(mnist):
    x_train, y_train = mnist.train
    x_test = mnist.test[0]
    real = metrics.evaluate(x_train[:1000], reference=x_test, real=x_train[1000:2000])
    # With 1,000 samples FID is biased upwards (about 8 to 11 here, 0.9 with 10,000): compare
    # against the reference, which has the same bias.
    reference_fid = real["real_data_reference"]["fid"]
    assert real["samples"]["fid"] < 2 * reference_fid and real["samples"]["classifier_score"] > 9.0
    assert real["samples"]["kl_to_uniform"] < 0.05 and real["samples"]["precision"] > 0.6
    assert real["real_data_reference"]["n"] == 1000 and real["reference_images"] == 10_000

    noise = np.random.default_rng(0).integers(0, 256, (1000, 28, 28), dtype=np.uint8)
    assert metrics.evaluate(noise, reference=x_test, real=x_train[:1000])["samples"]["fid"] > 20 * reference_fid

    ones = x_train[y_train == 1][:500]  # "mode collapse": a single digit
    collapsed = metrics.evaluate(ones, reference=x_test, real=x_train[:500])["samples"]
    assert collapsed["kl_to_uniform"] > 2.0 and collapsed["recall"] < 0.3 and collapsed["classifier_score"] < 1.5


def test_evaluator_refuses_model_range_input():
    with pytest.raises(DataError, match="to_uint8"):
        evaluator.features_and_probabilities(np.zeros((3, 28, 28, 1), np.float32))


def test_evaluate_command_prints_json(mnist, tmp_path, capsys):
    samples = tmp_path / "s.npy"
    np.save(samples, mnist.train[0][:300])
    assert main(["evaluate", "--samples", str(samples)]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) == {"samples", "real_data_reference", "reference_images", "reference_source"}
    assert {"fid", "classifier_score", "kl_to_uniform", "confident_share", "precision", "recall",
            "class_histogram"} <= set(report["samples"])


@pytest.mark.parametrize("content, message", [(None, "does not exist"), ("text", "not a numpy .npy"),
                                              ("floats", "the digits must be uint8")])
def test_evaluate_command_rejects_bad_samples(tmp_path, capsys, content, message):
    path = tmp_path / "s.npy"
    if content == "text":
        path.write_text("not an array")
    elif content == "floats":
        np.save(path, np.zeros((5, 28, 28, 1), np.float32))
    assert main(["evaluate", "--samples", str(path)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("ganlib: error:") and message in err
