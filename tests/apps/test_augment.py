"""ganlib.apps.augment: mixed batches, consistency filtering, named InfoGAN codes, self-training, the classifier."""

import numpy as np
import pytest

from ganlib.apps.augment import (NamedCodes, class_probabilities, consistent, derived_seed, filtered_pool,
                                 generated_count, generated_pool, is_infogan, name_codes, pseudo_labelled_pool,
                                 classifier_accuracy, train_classifier, training_batches)
from ganlib.apps.conditional import sample, truncated_noise
from ganlib.data import to_model_range
from ganlib.errors import DataError
from ganlib.evaluator import load_evaluator
from ganlib.model import make_generator
from ganlib.studies.augmentation import few_labelled, label_agreement


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


def test_an_unknown_mix_is_refused_with_the_choices(mnist):
    images, labels = few_labelled(*mnist.train, 2, 0)
    with pytest.raises(DataError, match="mix must be one of .*replace.*add"):
        next(training_batches(images, labels, steps=2, batch_size=8, seed=0, mix="append"))


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


def test_derived_seeds_differ_by_role():
    assert derived_seed(0, 1) != derived_seed(0, 2) != derived_seed(1, 2)
    assert derived_seed(3, 1) == derived_seed(3, 1)


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
