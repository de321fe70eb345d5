"""ganlib.studies.augmentation: few-label subsets, fair generators, cells, the gate, paired differences, records."""

import numpy as np
import pytest

from ganlib.apps.augment import NamedCodes, name_codes
from ganlib.apps.conditional import is_conditional
from ganlib.errors import DataError
from ganlib.evaluator import load_evaluator
from ganlib.registry import restore_run
from ganlib.runs import read_history
from ganlib.studies.augmentation import (cross_validated_gate, few_labelled, mean_sd, paired_differences, run_cell,
                                         stratified_folds, train_fair_generator)


def test_few_labelled_is_balanced_seeded_and_drawn_from_the_set(mnist):
    images, labels = mnist.train
    x, y = few_labelled(images, labels, 7, seed=3)
    assert x.shape == (70, 28, 28) and x.dtype == np.uint8
    np.testing.assert_array_equal(np.bincount(y, minlength=10), np.full(10, 7))
    rows = {row.tobytes(): k for row, k in zip(images, labels)}
    assert all(rows[row.tobytes()] == k for row, k in zip(x, y))  # real images with their own labels
    assert len({row.tobytes() for row in x}) == 70  # without replacement
    x_again, y_again = few_labelled(images, labels, 7, seed=3)
    np.testing.assert_array_equal(x, x_again)
    np.testing.assert_array_equal(y, y_again)
    assert not np.array_equal(x, few_labelled(images, labels, 7, seed=4)[0])


@pytest.mark.parametrize("per_class, match", [(0, "positive integer"), (2.5, "positive integer"),
                                              (10**6, "lower per_class")])


def test_few_labelled_refuses_impossible_requests(mnist, per_class, match):
    with pytest.raises(DataError, match=match):
        few_labelled(*mnist.train, per_class, 0)


def test_few_labelled_refuses_mismatched_labels(mnist):
    images, labels = mnist.train
    with pytest.raises(DataError, match="one label per image"):
        few_labelled(images, labels[:-1], 5, 0)


def test_run_cell_records_the_condition(mnist, label_dependent_generator):
    test = (mnist.test[0][:200], mnist.test[1][:200])
    cell = run_cell(mnist.train, test, 2, 0, label_dependent_generator, condition="noise", steps=3, batch_size=8,
                    generated_fraction=0.25)
    assert cell["condition"] == "noise" and cell["generated_per_batch"] == 2 and cell["per_class"] == 2
    assert 0.0 <= cell["accuracy"] <= 1.0 and cell["steps"] == 3
    assert cell["mix"] == "replace"
    real = run_cell(mnist.train, test, 2, 0, steps=3, batch_size=8)
    assert real["generated_per_batch"] == 0 and real["mix"] is None
    added = run_cell(mnist.train, test, 2, 0, label_dependent_generator, steps=3, batch_size=8,
                     generated_fraction=0.25, mix="add")
    assert added["mix"] == "add" and added["generated_per_batch"] == 2
    filtered = run_cell(mnist.train, test, 2, 0, label_dependent_generator, steps=3, batch_size=8,
                        generated_fraction=0.25, filter_threshold=0.01)
    assert filtered["filter_accuracy"] == real["accuracy"]  # the filter is the real cell's classifier
    assert filtered["filter_threshold"] == 0.01 and 0.0 < filtered["filter_acceptance"] <= 1.0


def test_run_cell_refuses_an_unknown_mix_with_the_choices(mnist, label_dependent_generator):
    with pytest.raises(DataError, match="mix must be one of .*replace.*add"):
        run_cell(mnist.train, mnist.train, 2, 0, label_dependent_generator, steps=2, batch_size=8, mix="append")


def test_fair_generator_trains_the_requested_steps_on_the_subset_only(mnist, tmp_path):
    x, y = few_labelled(*mnist.train, 3, 0)
    generator = train_fair_generator(x, y, tmp_path / "fair", steps=4, width=4, batch_size=8)
    assert is_conditional(generator)
    assert len(read_history(tmp_path / "fair")) == 1  # one epoch ...
    gan, _ = restore_run(tmp_path / "fair")
    assert int(gan.g_optimizer.iterations) == 4  # ... of exactly ``steps`` batches
    assert (tmp_path / "fair" / "generator.weights.h5").exists()


def test_paired_differences_and_mean_sd():
    cells = [{"per_class": 10, "seed": s, "condition": c, "accuracy": a}
             for s, c, a in [(0, "real", 0.5), (0, "fair", 0.6), (1, "real", 0.7), (1, "fair", 0.6),
                             (2, "fair", 0.9)]]
    differences = paired_differences(cells, "fair")
    np.testing.assert_allclose(differences[10], [0.1, -0.1])  # seed 2 has no real partner
    mean, sd = mean_sd(differences[10])
    assert mean == pytest.approx(0.0) and sd == pytest.approx(np.sqrt(0.02))
    assert mean_sd([0.3]) == (0.3, 0.0)


def test_run_cell_names_an_infogan_with_the_cells_own_classifier(mnist, infogan):
    test = (mnist.test[0][:200], mnist.test[1][:200])
    cell = run_cell(mnist.train, test, 2, 0, infogan, steps=3, batch_size=8)
    assert sorted(cell["code_of_digit"]) == list(range(10)) and 0.0 <= cell["naming_agreement"] <= 1.0
    assert 0.0 <= cell["label_agreement"] <= 1.0 and cell["generated_per_batch"] == 4
    real = run_cell(mnist.train, test, 2, 0, steps=3, batch_size=8)
    assert cell["filter_accuracy"] == real["accuracy"]  # named by the real cell's classifier


def test_run_cell_self_training_uses_the_real_classifier_and_refuses_two_sources(mnist, label_dependent_generator):
    test = (mnist.test[0][:200], mnist.test[1][:200])
    cell = run_cell(mnist.train, test, 20, 0, steps=60, batch_size=16, generated_fraction=0.25, filter_threshold=0.2,
                    unlabelled=mnist.train[0])
    real = run_cell(mnist.train, test, 20, 0, steps=60, batch_size=16)
    assert cell["filter_accuracy"] == real["accuracy"] and cell["generated_per_batch"] == 4
    assert len(cell["confident_per_class"]) == 10
    with pytest.raises(DataError, match="not both"):
        run_cell(mnist.train, test, 2, 0, label_dependent_generator, steps=3, batch_size=8,
                 unlabelled=mnist.train[0][:100])


def test_stratified_folds_deal_every_class_evenly_and_refuse_too_many_folds():
    labels = np.repeat(np.arange(10), 7)
    fold_of = stratified_folds(labels, 3, seed=0)
    for k in range(10):
        assert sorted(np.bincount(fold_of[labels == k], minlength=3)) == [2, 2, 3]
    np.testing.assert_array_equal(stratified_folds(labels, 3, seed=0), fold_of)
    assert not np.array_equal(stratified_folds(labels, 3, seed=1), fold_of)
    with pytest.raises(DataError, match="use fewer folds"):
        stratified_folds(labels, 8, seed=0)
    with pytest.raises(DataError, match="folds must be an integer >= 2"):
        stratified_folds(labels, 1, seed=0)


def test_the_gate_refuses_a_generator_of_wrong_labels(mnist, infogan):
    """An InfoGAN named with every digit shifted by one teaches wrong labels: cross-validation
    on the few labels must catch it, and a gated cell then trains on real images only."""
    images, labels = few_labelled(*mnist.train, 10, 0)
    good = name_codes(infogan, load_evaluator())[0]
    wrong = NamedCodes(infogan, np.roll(good, 1))
    gate = cross_validated_gate(images, labels, 0, wrong, folds=2, steps=60, batch_size=32)
    assert gate["augment"] is False and gate["gate_augmented_accuracy"] < gate["gate_real_accuracy"]
    assert gate["gate_folds"] == 2 and 0.0 <= gate["gate_real_accuracy"] <= 1.0
    # a margin of half the labelled images can never be met by the right naming either
    strict = cross_validated_gate(images, labels, 0, NamedCodes(infogan, good), folds=2, steps=60, batch_size=32,
                                  margin=0.5)
    assert strict["gate_images_needed"] == 50 and strict["augment"] is False
    with pytest.raises(DataError, match="margin is a share"):
        cross_validated_gate(images, labels, 0, NamedCodes(infogan, good), folds=2, margin=1.0)
    test = (mnist.test[0][:300], mnist.test[1][:300])
    cell = run_cell(mnist.train, test, 10, 0, wrong, steps=60, batch_size=32, gate_folds=2)
    real = run_cell(mnist.train, test, 10, 0, steps=60, batch_size=32)
    assert cell["augment"] is False and cell["generated_per_batch"] == 0 and cell["accuracy"] == real["accuracy"]


@pytest.mark.parametrize("name", ["augmentation.json", "augmentation-added.json"])
def test_the_books_augmentation_record_is_what_its_cells_give(name):
    """A record in book/records: its table and rows are recomputed from its cells, the cells of a
    seed all had the same budget, every gated cell followed the gate's rule, and every filter was
    the real cell's classifier."""
    import importlib.util
    import json
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    spec = importlib.util.spec_from_file_location("augmentation_benchmark", root / "benchmarks" / "augmentation.py")
    benchmark = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(benchmark)
    record = json.loads((root / "book" / "records" / name).read_text())
    rows = benchmark.summary_rows(record["cells"])
    assert json.loads(json.dumps(rows)) == record["rows"] and benchmark.markdown_table(rows) == record["table"]
    real = {(c["per_class"], c["seed"]): c["accuracy"] for c in record["cells"] if c["condition"] == "real"}
    assert set(real) == {(c["per_class"], c["seed"]) for c in record["cells"]} and len(real) >= 10
    budgets = {(c["per_class"], c["seed"], c["steps"], c["batch_size"]) for c in record["cells"]}
    assert len(budgets) == len(real)  # one budget per (per_class, seed)
    for cell in record["cells"]:
        if "gate_folds" in cell:
            gained = round((cell["gate_augmented_accuracy"] - cell["gate_real_accuracy"]) * 10 * cell["per_class"])
            assert cell["augment"] == (gained >= cell.get("gate_images_needed", 1))
            if not cell["augment"]:
                assert cell["accuracy"] == real[(cell["per_class"], cell["seed"])]
        if "filter_accuracy" in cell:
            assert cell["filter_accuracy"] == real[(cell["per_class"], cell["seed"])]
