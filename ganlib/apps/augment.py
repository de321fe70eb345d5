"""Data augmentation with a class-conditional generator: generated digits mixed into a classifier's batches.

:func:`train_classifier` trains :func:`ganlib.evaluator.make_evaluator` (the evaluator's
architecture, one definition) for a fixed budget of ``steps`` Adam steps of ``batch_size``
images, initial weights from the Keras seed ``seed``.  Only what fills the batches changes
(:func:`training_batches`):

* no generator (or ``generated_fraction=0``): every batch is real, drawn epoch by epoch (a fresh
  permutation of the labelled images per pass, :func:`real_batch_indices`);
* with a class-conditional ``generator``, ``n_gen = round(generated_fraction * batch_size)``
  images of every batch are generated (:func:`generated_count`).  They are *fresh*, each used
  once: ``steps * n_gen`` of them, labels 0..9 in equal numbers, shuffled (:func:`generated_pool`),
  each labelled with the class it was requested for.  With ``mix="replace"`` (the default) they
  take the place of real images (``batch_size - n_gen`` real ones a batch); with ``mix="add"``
  they come on top of a full batch of real ones, so the real images are seen batch for batch
  exactly as without a generator.

A ``pool`` given in advance replaces the fresh samples:

* **consistency filtering** (:func:`filtered_pool`): a generated image requested as class ``k``
  is kept only if a classifier gives ``p(k | x) >= threshold`` (:func:`consistent`); generation
  continues, class by class, until every class has its equal share.  It removes the generator's
  label noise, samples that do not look like the class requested;
* **self-training**, the baseline without a generator (:func:`pseudo_labelled_pool`):
  unlabelled real images, labelled by a classifier where ``max_k p(k | x) >= threshold``.

An **InfoGAN** trained without labels serves as a class-conditional generator once a classifier
has named its code values digits (:func:`name_codes`, :class:`NamedCodes`).

Every random choice comes from one integer seed and a role (:func:`derived_seed`).  Images are
uint8 MNIST, (N, 28, 28).  The study that asks whether this helps a classifier with few labels
(conditions, fair and oracle generators, cells, the gate, paired differences) is
:mod:`ganlib.studies.augmentation`; its results are in ``benchmarks/README.md``, section 10,
and the book's chapter ``book/app_augment.ipynb``.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf

from scipy.optimize import linear_sum_assignment

from ganlib.apps.conditional import CLASSES, is_conditional, sample, truncated_noise
from ganlib.data import to_model_range
from ganlib.errors import DataError
from ganlib.evaluator import make_evaluator
from ganlib.latent import category_values, code_layout
from ganlib.sampling import sample as sample_unconditional

DEFAULT_STEPS = 300  # classifier steps; their cost: benchmarks/README.md, section 10
DEFAULT_BATCH = 64
DEFAULT_FRACTION = 0.5
MIXES = ("replace", "add")  # generated images take the place of real ones in a batch, or come on top of a full one
DEFAULT_MIX = "replace"
LEARNING_RATE = 1e-3
EVAL_BATCH = 1000
BATCH_STREAM, NOISE_STREAM, NAMING_STREAM = 1, 2, 3  # seed roles (derived_seed): real batch order,
# generated noise, the noise that names an InfoGAN's codes
NAMING_SAMPLES = 100  # samples per code value read by the classifier that names the codes
DEFAULT_FILTER_THRESHOLD = 0.9  # consistency filtering: keep p(requested | x) >= this
MAX_FILTER_ROUNDS = 60


def derived_seed(seed: int, stream: int) -> int:
    """An independent integer seed for one role (``stream``) of the cell's ``seed``."""
    return int(np.random.SeedSequence([int(seed), stream]).generate_state(1)[0])


def generated_count(batch_size: int, generated_fraction: float) -> int:
    """How many images of each batch are generated: ``round(generated_fraction * batch_size)``."""
    if not 0.0 <= generated_fraction < 1.0:
        raise DataError(f"generated_fraction must lie in [0, 1) (some real images in every batch), "
                        f"got {generated_fraction!r}")
    n_gen = round(generated_fraction * batch_size)
    if n_gen >= batch_size:
        raise DataError(f"generated_fraction {generated_fraction} leaves no real image in a batch of "
                        f"{batch_size}; lower it or raise batch_size")
    return n_gen


class NamedCodes:
    """An InfoGAN generator (trained without labels) used as a class-conditional one.

    Digit ``k`` is drawn with the categorical code set to ``code_of_digit[k]``
    (:func:`ganlib.latent.category_values`); the rest of the noise is as given.  The naming
    comes from :func:`name_codes`.  Call it as ``named(labels, z)`` -> uint8 (N, 28, 28).
    """

    def __init__(self, generator, code_of_digit):
        categories = code_layout(generator)["categories"]
        code_of_digit = np.asarray(code_of_digit)
        if (code_of_digit.shape != (CLASSES,) or not np.issubdtype(code_of_digit.dtype, np.integer)
                or len(set(code_of_digit.tolist())) != CLASSES or code_of_digit.min() < 0
                or code_of_digit.max() >= categories):
            raise DataError(f"code_of_digit must give each of the {CLASSES} digits its own code value in "
                            f"0..{categories - 1}, got {code_of_digit.tolist()}; use name_codes")
        self.generator, self.code_of_digit = generator, code_of_digit.astype(np.int64)
        self.latent_dim = int(generator.input_shape[-1])
        self._values = category_values(categories).astype(np.float32)

    def __call__(self, labels, z) -> np.ndarray:
        labels, z = np.asarray(labels), np.array(z, dtype=np.float32)
        if labels.shape != (len(z),) or (len(labels) and (labels.min() < 0 or labels.max() >= CLASSES)):
            raise DataError(f"need one label in 0..{CLASSES - 1} per latent vector: labels {labels.shape}, z {z.shape}")
        z[:, 0] = self._values[self.code_of_digit[labels]]
        return sample_unconditional(self.generator, z)


def is_infogan(generator) -> bool:
    """True for an unconditional generator with a categorical code (``ganlib train --codes K``)."""
    return (not isinstance(generator, NamedCodes) and not is_conditional(generator)
            and code_layout(generator)["categories"] > 0)


def name_codes(generator, classifier, n_per_code: int = NAMING_SAMPLES, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Name an InfoGAN's code values with a classifier: which code draws which digit.

    ``n_per_code`` samples of every code value (noise from ``seed``) are read by ``classifier``
    (logits; e.g. one trained on the few labelled images alone, so naming costs no extra label).
    ``counts[c, k]`` is how many of code ``c``'s samples it reads as digit ``k``; the naming is
    the one-to-one assignment of digits to codes with the largest total count (the Hungarian
    method, ``scipy.optimize.linear_sum_assignment``).  Returns ``(code_of_digit, counts)``.
    Raises DataError for a generator with fewer code values than digits.
    """
    categories = code_layout(generator)["categories"] if not is_conditional(generator) else 0
    if categories < CLASSES:
        raise DataError(f"naming codes needs an InfoGAN generator with at least {CLASSES} code values, this one has "
                        f"{categories}; train one with `ganlib train --codes {CLASSES}` or use dcgan-mnist")
    codes = np.repeat(np.arange(categories), n_per_code)
    z = truncated_noise(len(codes), int(generator.input_shape[-1]), seed)
    z[:, 0] = category_values(categories)[codes]
    read = class_probabilities(classifier, sample_unconditional(generator, z)).argmax(1)
    counts = np.zeros((categories, CLASSES), dtype=np.int64)
    np.add.at(counts, (codes, read), 1)
    code_rows, digits = linear_sum_assignment(-counts)
    code_of_digit = np.empty(CLASSES, dtype=np.int64)
    code_of_digit[digits] = code_rows
    return code_of_digit, counts


def drawer(generator):
    """``(draw, latent_dim)``: ``draw(labels, z)`` -> uint8 digits of the requested classes, for a
    conditional generator or a :class:`NamedCodes` InfoGAN."""
    if isinstance(generator, NamedCodes):
        return generator, generator.latent_dim
    return (lambda labels, z: sample(generator, labels, z)), int(generator.input_shape[0][-1])


def generated_pool(generator, n: int, seed: int, truncation: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``n`` generated digits (uint8) with their requested labels, classes in equal numbers (to
    within one), in a shuffled order; noise and order from ``seed``."""
    draw, latent_dim = drawer(generator)
    labels = np.arange(n, dtype=np.int32) % CLASSES
    np.random.default_rng(seed).shuffle(labels)
    return draw(labels, truncated_noise(n, latent_dim, seed, truncation)), labels


def class_probabilities(model, images) -> np.ndarray:
    """Softmax of ``model``'s logits on uint8 ``images``, (N, classes) float64."""
    x = to_model_range(images)
    logits = np.concatenate([np.asarray(model(x[i:i + EVAL_BATCH], training=False), dtype=np.float64)
                             for i in range(0, len(x), EVAL_BATCH)]) if len(x) else np.zeros((0, CLASSES))
    logits -= logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    return exp / exp.sum(axis=1, keepdims=True)


def check_threshold(threshold: float) -> None:
    """DataError unless a filter ``threshold`` is a probability in (0, 1]."""
    if not 0.0 < threshold <= 1.0:
        raise DataError(f"filter threshold must lie in (0, 1] (a probability), got {threshold!r}")


def consistent(probabilities, requested, threshold: float = DEFAULT_FILTER_THRESHOLD) -> np.ndarray:
    """Boolean mask: ``probabilities[i, requested[i]] >= threshold`` (the filter's confidence that
    generated image ``i`` is the class it was requested as)."""
    probabilities, requested = np.asarray(probabilities), np.asarray(requested)
    check_threshold(threshold)
    if probabilities.ndim != 2 or requested.shape != (len(probabilities),):
        raise DataError(f"need one requested label per row of probabilities: {probabilities.shape} and "
                        f"{requested.shape}")
    return probabilities[np.arange(len(requested)), requested] >= threshold


def filtered_pool(generator, filter_model, n: int, seed: int, threshold: float = DEFAULT_FILTER_THRESHOLD,
                  truncation: float | None = None, chunk: int = 2000) -> tuple[np.ndarray, np.ndarray, dict]:
    """``n`` generated digits that ``filter_model`` accepts (:func:`consistent`), classes in equal
    numbers (to within one, as :func:`generated_pool`), shuffled; and the acceptance statistics.

    Rounds of at most ``chunk`` samples request only the classes still short, in proportion to
    what they lack (divided by their acceptance so far); noise of round ``r`` from
    ``derived_seed(seed, 100 + r)``.  Raises DataError, naming the fix, when a class is still
    short after :data:`MAX_FILTER_ROUNDS` rounds."""
    draw, latent_dim = drawer(generator)
    quota = np.bincount(np.arange(n) % CLASSES, minlength=CLASSES)
    kept = [[] for _ in range(CLASSES)]
    drawn, accepted = np.zeros(CLASSES, np.int64), np.zeros(CLASSES, np.int64)
    for round_ in range(MAX_FILTER_ROUNDS):
        missing = quota - np.array([len(k) for k in kept])
        if not missing.any():
            break
        rate = (accepted + 1) / (drawn + 2)  # acceptance so far (Laplace), to ask for enough
        want = np.ceil(missing / rate).astype(int) * (missing > 0)
        want = np.maximum(1, np.floor(want * min(1.0, chunk / want.sum()))).astype(int) * (missing > 0)
        labels = np.repeat(np.arange(CLASSES, dtype=np.int32), want)
        images = draw(labels, truncated_noise(len(labels), latent_dim, derived_seed(seed, 100 + round_), truncation))
        keep = consistent(class_probabilities(filter_model, images), labels, threshold)
        np.add.at(drawn, labels, 1)
        np.add.at(accepted, labels[keep], 1)
        for k in np.flatnonzero(missing > 0):
            kept[k].extend(images[keep & (labels == k)][: missing[k]])
    short = [k for k in range(CLASSES) if len(kept[k]) < quota[k]]
    if short:
        raise DataError(f"the filter accepted too few samples of classes {short} after {MAX_FILTER_ROUNDS} rounds "
                        f"(acceptance {np.round(accepted / np.maximum(drawn, 1), 4).tolist()}); lower the "
                        "threshold or use a better generator")
    labels = np.repeat(np.arange(CLASSES, dtype=np.int32), quota)
    images = np.concatenate([np.asarray(k[:q], dtype=np.uint8).reshape(-1, 28, 28) for k, q in zip(kept, quota)])
    order = np.random.default_rng(seed).permutation(n)
    stats = {"filter_threshold": float(threshold), "filter_drawn": int(drawn.sum()),
             "filter_acceptance": float(accepted.sum() / drawn.sum()),
             "filter_acceptance_per_class": np.round(accepted / np.maximum(drawn, 1), 4).tolist()}
    return images[order], labels[order], stats


def pseudo_labelled_pool(classifier, images, n: int, seed: int,
                         threshold: float = DEFAULT_FILTER_THRESHOLD) -> tuple[np.ndarray, np.ndarray, dict]:
    """Self-training's pool, the baseline without a generator: ``n`` of the *unlabelled* uint8
    ``images``, labelled by ``classifier`` where it is confident (largest class probability
    ``>= threshold``), classes in equal numbers (to within one), drawn at random with ``seed``
    and shuffled; and the acceptance statistics.  Raises DataError, naming the fix, when a class
    has too few confident images."""
    check_threshold(threshold)
    probabilities = class_probabilities(classifier, images)
    labels, confidence = probabilities.argmax(1), probabilities.max(1)
    quota = np.bincount(np.arange(n) % CLASSES, minlength=CLASSES)
    rng = np.random.default_rng(seed)
    chosen, confident_per_class = [], []
    for k in range(CLASSES):
        members = np.flatnonzero((labels == k) & (confidence >= threshold))
        confident_per_class.append(len(members))
        if len(members) < quota[k]:
            raise DataError(f"only {len(members)} unlabelled images are confidently class {k}, fewer than the "
                            f"{quota[k]} needed; lower the threshold or the pool size (steps, fraction)")
        chosen.append(rng.choice(members, quota[k], replace=False))
    chosen = rng.permutation(np.concatenate(chosen))
    stats = {"filter_threshold": float(threshold), "filter_drawn": int(len(images)),
             "filter_acceptance": float(np.mean(confidence >= threshold)),
             "confident_per_class": confident_per_class}
    return np.asarray(images)[chosen], labels[chosen].astype(np.int32), stats


def real_batch_indices(count: int, steps: int, per_batch: int, seed: int) -> np.ndarray:
    """(steps, per_batch) indices into ``count`` real images: successive random permutations
    (every image is seen once per pass), concatenated and cut into batches."""
    passes = math.ceil(steps * per_batch / count)
    rng = np.random.default_rng(seed)
    order = np.concatenate([rng.permutation(count) for _ in range(passes)])
    return order[: steps * per_batch].reshape(steps, per_batch)


def check_mix(mix: str) -> None:
    """DataError unless ``mix`` is one of :data:`MIXES`."""
    if mix not in MIXES:
        raise DataError(f"mix must be one of {MIXES} (generated images replace real ones in a batch, or are added "
                        f"to a full batch of real ones), got {mix!r}")


def training_batches(images, labels, *, steps: int, batch_size: int, seed: int, generator=None,
                     generated_fraction: float = DEFAULT_FRACTION, truncation: float | None = None, pool=None,
                     mix: str = DEFAULT_MIX):
    """The cell's ``steps`` batches as model-range images and labels: yields (x, y, generated mask).

    With ``mix="replace"`` a batch holds ``batch_size`` images, ``n_gen`` of them generated; with
    ``mix="add"`` it holds ``batch_size`` real images *and* ``n_gen`` generated ones, so the real
    images are seen exactly as often as without a generator.  ``pool`` (uint8 images, labels),
    when given, replaces the generator's fresh samples (e.g. a :func:`filtered_pool`); it must
    hold at least ``steps * n_gen`` images."""
    check_mix(mix)
    n_gen = 0 if generator is None and pool is None else generated_count(batch_size, generated_fraction)
    n_real = batch_size - n_gen if mix == "replace" else batch_size
    real_idx = real_batch_indices(len(images), steps, n_real, derived_seed(seed, BATCH_STREAM))
    real_x, real_y = to_model_range(images), np.asarray(labels, dtype=np.int32)
    if n_gen and pool is not None:
        fake_images, fake_labels = pool
        if len(fake_images) < steps * n_gen:
            raise DataError(f"the generated pool holds {len(fake_images)} images, fewer than steps * n_gen = "
                            f"{steps * n_gen}; generate a larger pool")
    elif n_gen:
        fake_images, fake_labels = generated_pool(generator, steps * n_gen, derived_seed(seed, NOISE_STREAM),
                                                  truncation)
    if n_gen:
        fake_x, fake_labels = to_model_range(fake_images), np.asarray(fake_labels, dtype=np.int32)
    for step in range(steps):
        x, y = real_x[real_idx[step]], real_y[real_idx[step]]
        if n_gen:
            block = slice(step * n_gen, (step + 1) * n_gen)
            x, y = np.concatenate([x, fake_x[block]]), np.concatenate([y, fake_labels[block]])
        yield x, y, np.arange(n_real + n_gen) >= n_real


def make_train_step(model, optimizer):
    """One compiled Adam step on sparse softmax cross-entropy; returns the batch loss."""
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    @tf.function(reduce_retracing=True)
    def train_step(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss

    return train_step


def train_classifier(images, labels, *, steps: int = DEFAULT_STEPS, batch_size: int = DEFAULT_BATCH, seed: int = 0,
                     generator=None, generated_fraction: float = DEFAULT_FRACTION,
                     truncation: float | None = None, pool=None, mix: str = DEFAULT_MIX,
                     after_step=None) -> keras.Model:
    """A :func:`~ganlib.evaluator.make_evaluator` classifier trained for ``steps`` Adam steps
    (learning rate 1e-3) of ``batch_size`` images on uint8 ``images`` and their ``labels``;
    with a conditional ``generator`` a ``generated_fraction`` of every batch is generated, in
    place of real images or on top of them (``mix``, :func:`training_batches`; module
    docstring).  Initial weights and dropout from Keras seed ``seed``.  ``after_step(step,
    model)``, if given, is called after every step (1..steps), e.g. to read a learning curve."""
    if not isinstance(steps, (int, np.integer)) or steps < 1:
        raise DataError(f"steps must be a positive integer, got {steps!r}")
    if np.asarray(labels).shape != (len(images),) or len(images) == 0:
        raise DataError(f"need labelled images: {len(images)} images, labels of shape {np.shape(labels)}")
    keras.utils.set_random_seed(int(seed))
    model = make_evaluator()
    train_step = make_train_step(model, keras.optimizers.Adam(LEARNING_RATE))
    batches = training_batches(images, labels, steps=steps, batch_size=batch_size, seed=seed, generator=generator,
                               generated_fraction=generated_fraction, truncation=truncation, pool=pool, mix=mix)
    for step, (x, y, _) in enumerate(batches, start=1):
        train_step(tf.constant(x), tf.constant(y))
        if after_step is not None:
            after_step(step, model)
    return model


def classifier_accuracy(model, images, labels) -> float:
    """Share of uint8 ``images`` that ``model`` (logits) classifies as their ``labels``."""
    x, labels = to_model_range(images), np.asarray(labels)
    predicted = np.concatenate([np.asarray(model(x[i:i + EVAL_BATCH], training=False)).argmax(1)
                                for i in range(0, len(x), EVAL_BATCH)])
    return float(np.mean(predicted == labels))


__all__ = ["derived_seed", "generated_count", "NamedCodes", "is_infogan", "name_codes", "drawer", "generated_pool",
           "class_probabilities", "consistent", "filtered_pool", "pseudo_labelled_pool", "real_batch_indices",
           "check_mix", "training_batches", "train_classifier", "classifier_accuracy", "DEFAULT_FILTER_THRESHOLD",
           "MIXES", "DEFAULT_MIX"]
