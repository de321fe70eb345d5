"""ganlib.apps.augment: few-label subsets, mixed batches, the fixed-budget classifier, fair generators."""

import numpy as np
import pytest

from ganlib.apps.augment import (NamedCodes, class_probabilities, consistent, derived_seed, few_labelled,
                                 filtered_pool, generated_count, generated_pool, is_infogan, label_agreement,
                                 mean_sd, name_codes, paired_differences, pseudo_labelled_pool, run_cell, classifier_accuracy,
                                 train_classifier, train_fair_generator, training_batches, stratified_folds,
                                 cross_validated_gate)
from ganlib.apps.conditional import ConditionalBatchNorm, is_conditional, make_conditional_generator, sample
from ganlib.apps.conditional import truncated_noise
from ganlib.data import to_model_range
from ganlib.errors import DataError
from ganlib.evaluator import load_evaluator
from ganlib.model import make_generator
from ganlib.runs import read_history
from ganlib.registry import restore_run


@pytest.fixture(scope="module")
def label_dependent_generator():
    """A tiny untrained conditional generator whose output clearly depends on the label."""
    generator = make_conditional_generator(latent_dim=8, width=4)
    rng = np.random.default_rng(0)
    for layer in generator.layers:
        if isinstance(layer, ConditionalBatchNorm):
            layer.beta.assign(rng.normal(0, 2, layer.beta.shape))
    return generator


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


def test_generated_count_and_its_bounds():
    assert generated_count(64, 0.5) == 32 and generated_count(64, 0.25) == 16 and generated_count(64, 0.0) == 0
    for bad in (1.0, -0.1):
        with pytest.raises(DataError, match="generated_fraction"):
            generated_count(64, bad)
    with pytest.raises(DataError, match="no real image"):
        generated_count(2, 0.9)


def test_mixing_ratio_is_honoured_and_generated_images_are_fresh(mnist, label_dependent_generator):
    images, labels = few_labelled(*mnist.train, 3, 0)
    real_rows = {row.tobytes(): k for row, k in zip(to_model_range(images), labels)}
    steps, batch = 6, 16
    batches = list(training_batches(images, labels, steps=steps, batch_size=batch, seed=1,
                                    generator=label_dependent_generator, generated_fraction=0.25))
    assert len(batches) == steps
    generated = []
    for x, y, is_generated in batches:
        assert x.shape == (batch, 28, 28, 1) and y.shape == (batch,)
        assert is_generated.sum() == 4  # round(0.25 * 16)
        assert all(real_rows.get(row.tobytes()) == k for row, k in zip(x[~is_generated], y[~is_generated]))
        assert not any(row.tobytes() in real_rows for row in x[is_generated])
        generated += [row.tobytes() for row in x[is_generated]]
    assert len(set(generated)) == steps * 4  # every generated image is used once
    real_only = list(training_batches(images, labels, steps=steps, batch_size=batch, seed=1))
    assert all(not mask.any() for _, _, mask in real_only)


def test_added_images_come_on_top_of_the_real_only_batches(mnist, label_dependent_generator):
    images, labels = few_labelled(*mnist.train, 3, 0)
    real_only = list(training_batches(images, labels, steps=5, batch_size=16, seed=2))
    added = list(training_batches(images, labels, steps=5, batch_size=16, seed=2, mix="add",
                                  generator=label_dependent_generator, generated_fraction=0.25))
    for (x, y, mask), (x_real, y_real, _) in zip(added, real_only):
        assert x.shape == (20, 28, 28, 1) and mask.sum() == 4 and not mask[:16].any()
        np.testing.assert_array_equal(x[~mask], x_real)  # the real images, batch for batch, as without a generator
        np.testing.assert_array_equal(y[~mask], y_real)
    replaced = next(training_batches(images, labels, steps=5, batch_size=16, seed=2,
                                     generator=label_dependent_generator, generated_fraction=0.25))
    assert replaced[0].shape == (16, 28, 28, 1) and replaced[2].sum() == 4


@pytest.mark.parametrize("call", ["batches", "run_cell"])
def test_an_unknown_mix_is_refused_with_the_choices(mnist, label_dependent_generator, call):
    images, labels = few_labelled(*mnist.train, 2, 0)
    with pytest.raises(DataError, match="mix must be one of .*replace.*add"):
        if call == "batches":
            next(training_batches(images, labels, steps=2, batch_size=8, seed=0, mix="append"))
        else:
            run_cell(mnist.train, mnist.train, 2, 0, label_dependent_generator, steps=2, batch_size=8, mix="append")


def test_real_batches_visit_every_image_once_per_pass(mnist):
    images, labels = few_labelled(*mnist.train, 2, 0)  # 20 images, batches of 10: one pass every 2 steps
    batches = list(training_batches(images, labels, steps=4, batch_size=10, seed=0))
    first_pass = np.concatenate([x for x, _, _ in batches[:2]])
    assert len({row.tobytes() for row in first_pass}) == 20


def test_generated_labels_are_the_requested_ones(label_dependent_generator):
    images, labels = generated_pool(label_dependent_generator, 50, seed=5)
    np.testing.assert_array_equal(np.bincount(labels, minlength=10), np.full(10, 5))
    z = truncated_noise(50, 8, 5)
    np.testing.assert_array_equal(images, sample(label_dependent_generator, labels, z))
    assert not np.array_equal(images, sample(label_dependent_generator, (labels + 1) % 10, z))
    again, labels_again = generated_pool(label_dependent_generator, 50, seed=5)
    np.testing.assert_array_equal(again, images)
    np.testing.assert_array_equal(labels_again, labels)


def test_consistent_keeps_exactly_the_confident_requested_class():
    probabilities = np.array([[0.95, 0.05, 0.0], [0.9, 0.1, 0.0], [0.2, 0.8, 0.0], [0.05, 0.05, 0.9]])
    np.testing.assert_array_equal(consistent(probabilities, [0, 0, 1, 2], 0.9), [True, True, False, True])
    np.testing.assert_array_equal(consistent(probabilities, [1, 1, 1, 1], 0.9), [False, False, False, False])
    np.testing.assert_array_equal(consistent(probabilities, [1, 1, 1, 1], 0.1), [False, True, True, False])
    for bad in (0.0, 1.5):
        with pytest.raises(DataError, match="threshold"):
            consistent(probabilities, [0, 0, 1, 2], bad)
    with pytest.raises(DataError, match="one requested label"):
        consistent(probabilities, [0, 0], 0.9)


def pixel_sum_filter(x, training=False):
    """A stand-in classifier: certain that an image is class (sum of its uint8 pixels) mod 10."""
    pixels = np.rint((np.asarray(x)[..., 0] + 1.0) * 127.5).astype(np.int64)
    return 20.0 * np.eye(10)[pixels.sum(axis=(1, 2)) % 10]


def test_filtered_pool_keeps_only_accepted_samples_in_equal_classes(label_dependent_generator):
    images, labels, stats = filtered_pool(label_dependent_generator, pixel_sum_filter, 53, seed=2, chunk=400)
    assert images.shape == (53, 28, 28) and images.dtype == np.uint8
    np.testing.assert_array_equal(np.bincount(labels, minlength=10), [6, 6, 6, 5, 5, 5, 5, 5, 5, 5])
    np.testing.assert_array_equal(images.astype(np.int64).sum(axis=(1, 2)) % 10, labels)  # each one accepted
    assert consistent(class_probabilities(pixel_sum_filter, images), labels, 0.9).all()
    assert len({row.tobytes() for row in images}) == 53
    assert 0.0 < stats["filter_acceptance"] < 0.5 and stats["filter_drawn"] > 53  # about 1 in 10 accepted
    again = filtered_pool(label_dependent_generator, pixel_sum_filter, 53, seed=2, chunk=400)
    np.testing.assert_array_equal(again[0], images)
    with pytest.raises(DataError, match="lower the threshold"):
        filtered_pool(label_dependent_generator, lambda x, training=False: np.zeros((len(x), 10)), 20, seed=0,
                      chunk=50)  # uniform: p = 0.1 < 0.9 for every sample


def test_a_given_pool_replaces_the_generator(mnist, label_dependent_generator):
    images, labels = few_labelled(*mnist.train, 2, 0)
    pool = generated_pool(label_dependent_generator, 12, seed=9)
    batches = list(training_batches(images, labels, steps=3, batch_size=8, seed=0, pool=pool, generated_fraction=0.5))
    np.testing.assert_array_equal(np.concatenate([x[m] for x, _, m in batches]), to_model_range(pool[0]))
    np.testing.assert_array_equal(np.concatenate([y[m] for _, y, m in batches]), pool[1])
    with pytest.raises(DataError, match="larger pool"):
        list(training_batches(images, labels, steps=4, batch_size=8, seed=0, pool=pool, generated_fraction=0.5))


def test_classifier_beats_chance_and_is_deterministic(mnist):
    x, y = few_labelled(*mnist.train, 20, 0)
    test = (mnist.test[0][:1000], mnist.test[1][:1000])
    first = train_classifier(x, y, steps=40, batch_size=32, seed=0)
    accuracy = classifier_accuracy(first, *test)
    assert accuracy > 0.5  # chance is 0.1
    second = train_classifier(x, y, steps=40, batch_size=32, seed=0)
    assert classifier_accuracy(second, *test) == accuracy
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_after_step_sees_every_step_of_the_returned_model(mnist):
    x, y = few_labelled(*mnist.train, 2, 0)
    seen = []
    model = train_classifier(x, y, steps=4, batch_size=8, seed=0, after_step=lambda step, m: seen.append((step, m)))
    assert [step for step, _ in seen] == [1, 2, 3, 4] and all(m is model for _, m in seen)


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


def test_derived_seeds_differ_by_role():
    assert derived_seed(0, 1) != derived_seed(0, 2) != derived_seed(1, 2)
    assert derived_seed(3, 1) == derived_seed(3, 1)


@pytest.fixture(scope="module")
def infogan():
    from ganlib import pretrained

    return pretrained.load("dcgan-mnist")  # InfoGAN: a 10-way code, trained without labels


def test_name_codes_turns_the_shipped_infogan_into_a_class_conditional_generator(infogan):
    assert is_infogan(infogan)
    code_of_digit, counts = name_codes(infogan, load_evaluator(), n_per_code=100, seed=0)
    assert sorted(code_of_digit.tolist()) == list(range(10))  # one code per digit
    assert counts.shape == (10, 10) and counts.sum() == 1000 and (counts.sum(axis=1) == 100).all()
    kept = counts[code_of_digit, np.arange(10)].sum()
    assert kept == max(counts[list(p), np.arange(10)].sum() for p in [code_of_digit, np.roll(code_of_digit, 1)])
    named = NamedCodes(infogan, code_of_digit)
    # benchmarks/README.md: eight of ten codes draw one digit, two share the 2s and 3s (purity 0.90)
    assert label_agreement(named, n_per_class=50, seed=1) > 0.85
    images, labels = generated_pool(named, 40, seed=3)
    assert images.shape == (40, 28, 28) and images.dtype == np.uint8 and sorted(np.bincount(labels)) == [4] * 10
    shuffled = NamedCodes(infogan, np.roll(code_of_digit, 1))  # a wrong naming is visible
    assert label_agreement(shuffled, n_per_class=50, seed=1) < 0.3


def test_named_codes_and_name_codes_refuse_what_they_cannot_use(infogan, label_dependent_generator):
    for bad in ([0] * 10, list(range(9)), list(range(1, 11))):
        with pytest.raises(DataError, match="its own code value"):
            NamedCodes(infogan, bad)
    with pytest.raises(DataError, match="--codes 10"):
        name_codes(make_generator(latent_dim=8, width=4), load_evaluator())  # no categorical code
    with pytest.raises(DataError, match="at least 10 code values"):
        name_codes(make_generator(latent_dim=8, width=4, codes=5), load_evaluator())
    assert not is_infogan(label_dependent_generator) and not is_infogan(make_generator(latent_dim=8, width=4))


def test_run_cell_names_an_infogan_with_the_cells_own_classifier(mnist, infogan):
    test = (mnist.test[0][:200], mnist.test[1][:200])
    cell = run_cell(mnist.train, test, 2, 0, infogan, steps=3, batch_size=8)
    assert sorted(cell["code_of_digit"]) == list(range(10)) and 0.0 <= cell["naming_agreement"] <= 1.0
    assert 0.0 <= cell["label_agreement"] <= 1.0 and cell["generated_per_batch"] == 4
    real = run_cell(mnist.train, test, 2, 0, steps=3, batch_size=8)
    assert cell["filter_accuracy"] == real["accuracy"]  # named by the real cell's classifier


def test_self_training_pool_takes_only_confident_unlabelled_images_in_equal_classes(mnist):
    images = mnist.train[0][:3000]
    pool, labels, stats = pseudo_labelled_pool(pixel_sum_filter, images, 45, seed=1)
    assert pool.shape == (45, 28, 28) and pool.dtype == np.uint8
    np.testing.assert_array_equal(np.bincount(labels, minlength=10), [5] * 5 + [4] * 5)
    np.testing.assert_array_equal(pool.astype(np.int64).sum(axis=(1, 2)) % 10, labels)  # the classifier's labels
    assert {row.tobytes() for row in pool} <= {row.tobytes() for row in images}  # real images, each once
    assert len({row.tobytes() for row in pool}) == 45 and stats["filter_acceptance"] == 1.0
    np.testing.assert_array_equal(pseudo_labelled_pool(pixel_sum_filter, images, 45, seed=1)[0], pool)
    uniform = lambda x, training=False: np.zeros((len(x), 10))  # noqa: E731  p = 0.1 everywhere
    with pytest.raises(DataError, match="lower the threshold"):
        pseudo_labelled_pool(uniform, images, 20, seed=0)


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

    root = Path(__file__).resolve().parents[1]
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
