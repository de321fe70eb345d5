"""ganlib.studies.anomaly: the leave-one-digit-out split, the test and validation subsets, the AUROC table."""

import numpy as np
import pytest

from ganlib.apps.anogan import auroc, load_anogan, shipped_settings
from ganlib.errors import DataError
from ganlib.studies.anomaly import auroc_table, scoring_subset, split_for_digit, validation_subset


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
    assert [row["digit"] for row in settings["scores"]["digits"]] == list(range(10))
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
