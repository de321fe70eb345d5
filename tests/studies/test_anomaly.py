"""ganlib.studies.anomaly: the leave-one-digit-out split, the test and validation subsets, the baselines
without a GAN, AUROC, the table, training and loading runs."""

import json
from pathlib import Path

import numpy as np
import pytest

from ganlib.apps.anogan import knn_score, load_anogan, shipped_settings
from ganlib.data import to_model_range
from ganlib.errors import DataError
from ganlib.runs import read_history
from ganlib.studies.anomaly import (auroc, auroc_table, cosine_knn_score, encoder_record, fit_pca, load_run,
                                    pca_score, scoring_subset, split_for_digit, timed, train_models,
                                    validation_subset)

LATENT, WIDTH = 8, 4


def test_split_for_digit(mnist):
    normal, test, is_anomaly = split_for_digit(mnist, 3)
    (x_train, y_train), (x_test, y_test) = mnist
    assert len(normal) == int((y_train != 3).sum()) and normal.dtype == np.uint8
    np.testing.assert_array_equal(test, x_test)
    np.testing.assert_array_equal(is_anomaly, y_test == 3)
    assert not any((image == x_train[y_train == 3][:50]).all(axis=(1, 2)).any() for image in normal[:200])


def test_scoring_subset_is_seeded_and_counts_each_kind():
    is_anomaly = np.arange(100) % 10 == 0
    chosen = scoring_subset(is_anomaly, normals=30, anomalies=None, seed=1)
    assert is_anomaly[chosen].sum() == 10 and len(chosen) == 40 and len(set(chosen)) == 40
    np.testing.assert_array_equal(chosen, scoring_subset(is_anomaly, normals=30, anomalies=None, seed=1))
    assert not np.array_equal(chosen, scoring_subset(is_anomaly, normals=30, anomalies=None, seed=2))
    assert len(scoring_subset(is_anomaly, normals=1000, anomalies=None)) == 100
    few = scoring_subset(is_anomaly, normals=7, anomalies=4, seed=0)
    assert is_anomaly[few].sum() == 4 and len(few) == 11 and np.all(np.diff(few) > 0)


def test_validation_subset_is_disjoint_from_the_scoring_subset():
    is_anomaly = np.arange(200) % 10 == 0
    test = scoring_subset(is_anomaly, normals=50, anomalies=5, seed=3)
    validation = validation_subset(is_anomaly, normals=50, anomalies=5, seed=3)
    assert len(np.intersect1d(test, validation)) == 0 and np.all(np.diff(validation) > 0)
    assert is_anomaly[validation].sum() == 5 and len(validation) == 55
    np.testing.assert_array_equal(validation, validation_subset(is_anomaly, normals=50, anomalies=5, seed=3))
    # fewer left than asked for: all that is left
    rest = validation_subset(is_anomaly, normals=100, anomalies=15, seed=0)
    assert is_anomaly[rest].sum() == 5 and len(rest) == 85


def test_split_for_digit_refuses_bad_digits_and_images_saying_what_to_do(mnist):
    with pytest.raises(DataError, match="0..9"):
        split_for_digit(mnist, 11)
    (x_train, y_train), test = mnist
    with pytest.raises(DataError, match=r"x_train must be uint8 of shape \(N, 28, 28\).*load_mnist"):
        split_for_digit(((x_train.astype(np.float32), y_train), test), 1)


def test_auroc_table_rows_and_means():
    rows = [{"digit": d, "images": 10, "anomalies": 5, "auroc": {"anogan": a, "knn": 0.9},
             "ms_per_image": {"anogan": 10.0 * (d + 1), "knn": 1.0}} for d, a in ((0, 0.6), (1, 0.8), (2, 0.7))]
    table = auroc_table(rows, {"anogan": "AnoGAN", "knn": "kNN"}).splitlines()
    assert table[0] == "| held-out digit | test images (anomalies) | AnoGAN | kNN |"
    assert table[2] == "| 0 | 10 (5) | 0.600 | 0.900 |"
    assert table[-2] == "| mean | | **0.700** | **0.900** |"
    assert table[-1] == "| ms per image (median) | | 20.00 | 1.00 |"
    # by default, the columns are the known scores every row has (older records lack the newer ones)
    assert auroc_table(rows).splitlines()[0] == "| held-out digit | test images (anomalies) | AnoGAN | kNN pixels |"


def test_shipped_models_load_checked_and_detect_their_held_out_digit(mnist):
    settings = shipped_settings()
    record = json.loads((Path(__file__).resolve().parents[2] / "book/records/anogan-auroc.json").read_text())
    assert [row["digit"] for row in record["digits"]] == list(range(10))
    assert record["mean_auroc"] == settings["scores"]["mean_auroc"]  # the asset keeps the means of the same run
    models = load_anogan(2)
    assert models.digit == 2 and models.generator.input_shape[-1] == settings["latent_dim"]
    _, x_test, is_anomaly = split_for_digit(mnist, 2)
    chosen = scoring_subset(is_anomaly, normals=100, anomalies=100, seed=3)
    scores = models.encoder_scores(x_test[chosen])
    assert auroc(scores, is_anomaly[chosen]) > 0.75  # measured 0.939 on 1,000 test images
    normal, _, _ = split_for_digit(mnist, 1)
    held_out_1 = scoring_subset(split_for_digit(mnist, 1)[2], normals=100, anomalies=100, seed=3)
    ones = load_anogan(1)
    # held-out 1, where the residual alone ranks the wrong way round and D's verdict rescues it
    residual = auroc(ones.encoder_scores(x_test[held_out_1]), (mnist.test[1] == 1)[held_out_1])
    combined = auroc(ones.combined_scores(x_test[held_out_1], normal), (mnist.test[1] == 1)[held_out_1])
    assert residual < 0.5 < 0.6 < combined
    with pytest.raises(DataError, match="0..9"):
        load_anogan(10)


def test_cosine_knn_score_closed_form_and_blind_to_amount_of_ink():
    normal = np.array([[200, 0], [100, 100]], np.uint8)
    queries = np.array([[0, 50], [10, 0]], np.uint8)
    # unit ink vectors: normal (1, 0) and (1, 1)/sqrt2; queries (0, 1) and (1, 0)
    # query 0: |.|^2 = 2 and 2 - sqrt2; query 1: 0 and 2 - sqrt2
    np.testing.assert_allclose(cosine_knn_score(queries, normal, k=1), [2 - np.sqrt(2), 0.0], rtol=1e-6)
    np.testing.assert_allclose(cosine_knn_score(queries, normal, k=2), [(4 - np.sqrt(2)) / 2, (2 - np.sqrt(2)) / 2],
                               rtol=1e-6)
    rng = np.random.default_rng(0)
    digits = rng.integers(0, 128, (6, 28, 28), dtype=np.uint8)
    darker = (digits * 2).astype(np.uint8)
    # 0 up to float32 rounding of 784-pixel unit vectors (1e-6 on some CPUs)
    np.testing.assert_allclose(cosine_knn_score(darker, digits, k=1), 0.0, atol=1e-5)
    # model range: the same directions as the uint8 images they come from
    np.testing.assert_allclose(cosine_knn_score(to_model_range(digits), to_model_range(digits[::-1]), k=2),
                               cosine_knn_score(digits, digits[::-1], k=2), atol=1e-5)


def test_auroc_easy_synthetic_case_is_one_and_shuffled_labels_near_half():
    rng = np.random.default_rng(0)
    normal_template, anomaly_template = np.zeros(784), np.zeros(784)
    anomaly_template[300:400] = 1.0
    train = normal_template + 0.1 * rng.standard_normal((500, 784))
    is_anomaly = np.arange(2000) % 4 == 0
    test = np.where(is_anomaly[:, None], anomaly_template, normal_template) + 0.1 * rng.standard_normal((2000, 784))
    scores = knn_score(test, train, k=5)
    assert auroc(scores, is_anomaly) > 0.999
    shuffled = rng.permutation(is_anomaly)
    assert abs(auroc(scores, shuffled) - 0.5) < 0.05
    assert auroc(-scores, is_anomaly) < 0.001


def test_train_models_writes_a_run_that_loads_and_is_not_retrained(mnist, tmp_path):
    normal, _, _ = split_for_digit(mnist, 5)
    models = train_models(normal[:128], 5, tmp_path / "run", epochs=1, encoder_epochs=1, width=WIDTH,
                          latent_dim=LATENT, verbose=0)
    record = encoder_record(tmp_path / "run")
    assert record["kind"] == "anogan-encoder" and record["epochs"] == 1 and record["gan_run"] == str(tmp_path / "run")
    losses = [line["izi_f"] for line in read_history(tmp_path / "run" / "encoder")]
    assert len(losses) == 1 and np.isfinite(losses[0])
    x = to_model_range(normal[:8])
    loaded = load_run(tmp_path / "run", 5)
    np.testing.assert_allclose(loaded.encoder_scores(x), models.encoder_scores(x), rtol=1e-5)
    again = train_models(normal[:128], 5, tmp_path / "run", epochs=1, width=WIDTH, latent_dim=LATENT, verbose=0)
    np.testing.assert_allclose(again.encoder_scores(x), models.encoder_scores(x), rtol=1e-5)
    assert encoder_record(tmp_path / "run") == record


def test_pca_score_closed_form():
    line = np.array([[t, 2 * t] for t in np.linspace(-1, 1, 9)])
    pca = fit_pca(line, components=1)
    np.testing.assert_allclose(pca_score(pca, np.array([[0.5, 1.0], [2.0, -1.0]])), [0.0, 5.0], atol=1e-6)


def test_auroc_refuses_bad_input_saying_what_to_do():
    with pytest.raises(DataError, match="both anomalies and normal"):
        auroc(np.ones(4), np.zeros(4, bool))
    with pytest.raises(DataError, match="one score per label"):
        auroc(np.ones(3), np.array([True, False]))
    with pytest.raises(DataError, match="NaN"):
        auroc(np.array([np.nan, 1.0]), np.array([True, False]))


def test_timed_returns_the_result_and_wall_seconds():
    result, seconds = timed(sum, [1, 2, 3])
    assert result == 6 and seconds >= 0
