"""The shipped pretrained generator: present, documented, intact, and still as good as recorded.

A regression guard, fast enough for CI: 5,000 samples scored against the 10,000 MNIST test
images of the embedded subset (always available offline). FID at 5,000 samples is larger than
the 10,000-sample figure in ``dcgan-mnist.json``; the bounds below were measured with the
shipped weights (values in the comments) and leave a margin for numeric differences between
machines, not for a worse model.
"""

import json

import numpy as np
import pytest

from ganlib import assets, pretrained
from ganlib.errors import GanlibError, IntegrityError
from ganlib.metrics import evaluate
from ganlib.sampling import generate

N = 5000
# Measured for the shipped dcgan-mnist (InfoGAN options, epoch 30) with seed 2026 (seeds 1 and 2 in
# brackets): FID 2.65 (2.54, 2.31), classifier score 9.72 (9.72, 9.70), precision 0.84 (0.83, 0.84),
# recall 0.80 (0.79, 0.79), digit shares 8.6% to 11.1%.  Real data (5,000 of the embedded training
# images, 500 of each digit) at the same counts: FID 3.56, score 9.80, precision 0.87, recall 0.89.
# The model before it (FID 11.9, score 8.47 on 10,000) fails these bounds.  Update them with the
# model; they guard against regressions.
FID_BOUND = 3.2
SCORE_BOUND = 9.55
PRECISION_BOUND, RECALL_BOUND = 0.80, 0.76


@pytest.fixture(scope="module")
def report(mnist):
    samples = generate(pretrained.load("dcgan-mnist"), N, seed=2026)
    return evaluate(samples, reference=mnist.test[0], real=mnist.train[0][::2])


def test_dcgan_mnist_is_shipped_with_its_provenance():
    assert "dcgan-mnist" in pretrained.names()
    record = json.loads(assets.path("dcgan-mnist.json").read_text())
    for key in ("command", "epochs", "train_seconds", "machine", "seed", "width", "sha256"):
        assert key in record, key
    assert record["command"].startswith("ganlib train")
    shipped = sum((assets.ASSET_DIR / name).stat().st_size for name in assets.manifest())
    # The package ships five models and the data subset: 33.9 MB with the two conditional ones and the ten AnoGAN
    # models (width 32, float16, 14.7 MB); the budget keeps a pip install quick (TensorFlow alone is
    # ten times larger).
    assert shipped < 35e6, f"shipped assets take {shipped / 1e6:.1f} MB; the budget is 35 MB"


def test_quality_holds(report):
    samples, real = report["samples"], report["real_data_reference"]
    assert samples["n"] == N
    assert samples["fid"] <= FID_BOUND, (samples["fid"], real["fid"])
    assert samples["classifier_score"] >= SCORE_BOUND
    assert samples["kl_to_uniform"] <= 0.02
    assert min(samples["class_histogram"]) >= 0.07 and max(samples["class_histogram"]) <= 0.13
    assert samples["precision"] >= PRECISION_BOUND and samples["recall"] >= RECALL_BOUND


def test_unknown_and_tampered_models_are_refused(tmp_path, monkeypatch):
    with pytest.raises(GanlibError, match="unknown pretrained model 'dcgan-cifar'"):
        pretrained.load("dcgan-cifar")
    copy = tmp_path / "assets"
    copy.mkdir()
    for name in ("manifest.json", "dcgan-mnist.json", "dcgan-mnist.weights.h5"):
        (copy / name).write_bytes((assets.ASSET_DIR / name).read_bytes())
    weights = copy / "dcgan-mnist.weights.h5"
    data = bytearray(weights.read_bytes())
    data[-100] ^= 0xFF  # one flipped byte
    weights.write_bytes(bytes(data))
    monkeypatch.setattr(assets, "ASSET_DIR", copy)
    monkeypatch.setattr(assets, "MANIFEST", copy / "manifest.json")
    with pytest.raises(IntegrityError, match="corrupt or was replaced"):
        pretrained.load("dcgan-mnist")


def test_samples_are_deterministic_digits():
    generator = pretrained.load("dcgan-mnist")
    first, again = generate(generator, 16, seed=3), generate(generator, 16, seed=3)
    assert first.shape == (16, 28, 28) and first.dtype == np.uint8
    np.testing.assert_array_equal(first, again)
    assert first.max() > 200 and np.median(first) < 30  # white strokes on a black background


# Measured for the shipped cgan-mnist with 200 samples of each digit, seed 2026: see the
# comment at CGAN_BOUNDS' values in benchmarks/README.md, section 7.  The issue's targets are
# 97% overall and 90% for every digit; the bounds guard them.
CGAN_ACCURACY_BOUND, CGAN_CLASS_BOUND = 0.97, 0.90


@pytest.mark.parametrize("model", ["cgan-mnist", "cgan-concat-mnist"])
def test_conditional_models_draw_the_requested_digits(model, mnist):
    from ganlib.apps.conditional import class_report, class_samples

    record = json.loads(assets.path(f"{model}.json").read_text())
    assert record.get("command_today", record["command"]).startswith("ganlib train --model conditional")
    images, labels = class_samples(pretrained.load(model), 200, seed=2026)
    report = class_report(images, labels, *mnist.test)
    assert report["accuracy"] >= CGAN_ACCURACY_BOUND
    assert min(report["class_accuracy"]) >= CGAN_CLASS_BOUND, report["class_accuracy"]


def test_cli_samples_one_requested_digit(tmp_path):
    from ganlib.cli import main
    from ganlib.evaluator import features_and_probabilities

    out = tmp_path / "sevens.npy"
    assert main(["sample", "--model", "cgan-mnist", "--label", "7", "--n", "100", "--out", str(out)]) == 0
    sevens = np.load(out)
    assert sevens.shape == (100, 28, 28) and sevens.dtype == np.uint8
    _, probabilities = features_and_probabilities(sevens)
    assert (probabilities.argmax(1) == 7).mean() >= 0.9


def test_shipped_records_hold_settings_command_and_headline_scores_not_tables():
    """Each asset record says how its weights were made (settings, command, sha256) and their headline
    scores; per-epoch and per-digit tables live in book/records/ (read by the chapters)."""
    for path in sorted(assets.ASSET_DIR.glob("*.json")):
        if path.name == "manifest.json":
            continue
        record = json.loads(path.read_text())
        assert "command" in record, path.name
        assert len(path.read_text().splitlines()) <= 120, f"{path.name} holds tables; move them to book/records/"
