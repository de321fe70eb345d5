"""Data augmentation with a class-conditional generator: does it help a classifier with few labels?

Protocol (one *cell* of the experiment is ``(per_class, seed, condition)``):

1. :func:`few_labelled` draws ``per_class`` training images of every digit with ``seed``: the
   only labelled images the classifier may see.
2. :func:`train_classifier` trains :func:`ganlib.evaluator.make_evaluator` (the evaluator's
   architecture, one definition) for a fixed budget of ``steps`` Adam steps of ``batch_size``
   images.  Every condition gets the same steps, the same batch size, the same initial
   weights (Keras seed ``seed``) and the same optimiser, so the *only* difference is what
   fills the batches:

   * ``real`` (``generator=None`` or ``generated_fraction=0``): every batch is real, drawn
     epoch by epoch (a fresh permutation of the few images per pass);
   * augmented: ``n_gen = round(generated_fraction * batch_size)`` images of every batch are
     generated and ``batch_size - n_gen`` are real.  The generated images are *fresh* (each
     is used once: ``steps * n_gen`` of them, drawn from the generator with labels 0..9 in
     equal numbers, shuffled, and noise from the cell's seed) and are labelled with the class
     they were requested for.

   The default mixing ratio is one half.  The classifier keeps seeing the true distribution
   in every step, while the generated half adds variety the few real images lack; a larger
   ratio trains more on the generator's errors (its digits are not all of the class
   requested), a smaller one adds less.  Measured (``benchmarks/README.md``, "Data
   augmentation with the class-conditional generator"): the oracle generator below helps at
   one half; generators trained fairly cost accuracy at every ratio tried (0.1, 0.2, 0.5),
   the less the smaller the ratio, and still cost accuracy with consistency filtering
   (below): -1.2 and -0.7 points at 10 and 100 labels per class.
3. :func:`classifier_accuracy` is the share of the 10,000 MNIST test images classified correctly.

**Consistency filtering** (``filter_threshold`` of :func:`run_cell`), decided before any
filtered cell was run: the generated images are first screened by a classifier trained on the
*same* few real labels (the ``real`` condition's classifier: same subset, seed, steps and
initial weights, so it uses no extra labels).  A generated image requested as class ``k`` is
kept only if that classifier gives ``p(k | x) >= threshold`` (:func:`consistent`), with
``threshold = 0.9`` (:data:`DEFAULT_FILTER_THRESHOLD`) fixed in advance; generation continues,
class by class, until every class has its equal share of kept images
(:func:`filtered_pool`).  This removes the generator's label noise (samples that do not look
like the class requested), the suspected cause of the fair generators' regression; the mixing
fraction of the filtered condition is fixed at 0.2 (:data:`FILTERED_FRACTION`), also before
running it.  Measured: it halves the regression at that fraction but does not remove it.

Which generator is fair matters.  A generator trained on all 60,000 *labelled* MNIST images
(the shipped ``cgan-mnist``) has seen labels the classifier is denied: it is an **oracle**
and its result an upper bound, not a gain from augmentation.  Two generators are fair:

* a conditional GAN trained only on the same few labelled images (:func:`train_fair_generator`);
* an **InfoGAN trained on the unlabelled images** (the shipped ``dcgan-mnist``: 60,000 training
  images, no label; its 10-way categorical code took the digit class), the semi-supervised
  setting of few labels and many unlabelled images.  Its code values are named digits by the
  cell's ``real`` classifier (:func:`name_codes`, :class:`NamedCodes`), so it uses no label
  beyond the few.  The baseline without a GAN for the same setting is **self-training**: the
  unlabelled real images, labelled by the same classifier where it is confident
  (:func:`pseudo_labelled_pool`).

A condition may also be **gated** (:func:`cross_validated_gate`): cross-validation on the few
labelled images decides whether to augment at all, so a generator that does not help there is
not used.

**Added, not replacing** (``mix="add"`` of :func:`training_batches`): the generated images come
on top of a full batch of real ones, so the real images are seen batch for batch exactly as
without a generator.  With ``mix="replace"`` (the default, the protocol of the first grids) a
classifier that gets generated images sees fewer real ones in the same budget; while the
``real`` classifier is still improving with more steps, that confounds the generator's effect
with a shorter training on real data.  Measured (``benchmarks/README.md`` 10c, declared in
advance, fresh seeds): with 1,200 steps, the budget at which the ``real`` classifier had
converged on a development split, 32 filtered InfoGAN digits added to every batch gain
+4.9 points at 10 labels per class and +0.04 (no regression, no gain) at 100.

Results are read per seed as paired differences ``accuracy(augmented) - accuracy(real)``
(same subset, same initial weights), reported as mean +- sample standard deviation.
"""

from __future__ import annotations

import math
import time

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
from ganlib.trainer import Trainer

DEFAULT_STEPS = 300  # about 35-90 s a classifier on 2 shared CPU cores (benchmarks/README.md, "Data augmentation ...")
DEFAULT_BATCH = 64
DEFAULT_FRACTION = 0.5
MIXES = ("replace", "add")  # generated images take the place of real ones in a batch, or come on top of a full one
DEFAULT_MIX = "replace"
LEARNING_RATE = 1e-3
EVAL_BATCH = 1000
BATCH_STREAM, NOISE_STREAM, NAMING_STREAM = 1, 2, 3  # seed roles besides the subset's: real batch order,
# generated noise, the noise that names an InfoGAN's codes
GATE_STREAM = 4  # seed role: the gate's folds
DEFAULT_GATE_FOLDS = 5
NAMING_SAMPLES = 100  # samples per code value read by the few-label classifier to name the codes
DEFAULT_FILTER_THRESHOLD = 0.9  # consistency filtering: keep p(requested | x) >= this (fixed in advance)
FILTERED_FRACTION = 0.2  # the mixing fraction of the filtered condition (fixed in advance)
MAX_FILTER_ROUNDS = 60


def derived_seed(seed: int, stream: int) -> int:
    """An independent integer seed for one role (``stream``) of the cell's ``seed``."""
    return int(np.random.SeedSequence([int(seed), stream]).generate_state(1)[0])


def few_labelled(images, labels, per_class: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``per_class`` images of every class present in ``labels``, drawn without replacement with ``seed``.

    Returns (images, labels) in class blocks (0, 0, ..., 1, 1, ...).  Raises DataError when a
    class has fewer than ``per_class`` images, or labels do not match the images.
    """
    images, labels = np.asarray(images), np.asarray(labels)
    if labels.shape != (len(images),):
        raise DataError(f"need one label per image: {len(images)} images, labels of shape {labels.shape}; "
                        "pass the labels of the same training set")
    if not isinstance(per_class, (int, np.integer)) or isinstance(per_class, bool) or per_class < 1:
        raise DataError(f"per_class must be a positive integer (images per class), got {per_class!r}")
    rng = np.random.default_rng(seed)
    chosen = []
    for k in np.unique(labels):
        members = np.flatnonzero(labels == k)
        if len(members) < per_class:
            raise DataError(f"class {k} has only {len(members)} images, fewer than per_class={per_class}; "
                            f"lower per_class to at most {len(members)} or pass more images")
        chosen.append(np.sort(rng.choice(members, per_class, replace=False)))
    chosen = np.concatenate(chosen)
    return images[chosen], labels[chosen]


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
    (logits; in the augmentation protocol, the one trained on the few labels, so naming costs no
    extra label).  ``counts[c, k]`` is how many of code ``c``'s samples it reads as digit ``k``;
    the naming is the one-to-one assignment of digits to codes with the largest total count
    (the Hungarian method, ``scipy.optimize.linear_sum_assignment``).  Returns
    ``(code_of_digit, counts)``.  Raises DataError for a generator with fewer code values than digits.
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


def train_fair_generator(images, labels, out_dir, *, steps: int, width: int = 16, batch_size: int = DEFAULT_BATCH,
                         seed: int = 0):
    """A conditional GAN (:class:`~ganlib.trainer.Trainer` of a ``conditional`` kind: hinge, spectral
    norm, moving average) trained only on the few labelled ``images`` for ``steps`` steps.

    The images are repeated so that one epoch holds ``steps`` full batches: one checkpoint and
    one sample grid in ``out_dir``, whatever the subset's size.  Returns the generator to
    sample from (the moving average).
    """
    images, labels = np.asarray(images), np.asarray(labels)
    copies = math.ceil(steps * batch_size / len(images))
    trainer = Trainer(np.tile(images, (copies, 1, 1)), np.tile(labels, copies), kind="conditional", out_dir=out_dir,
                      width=width, batch_size=batch_size, seed=seed, verbose=0, keep=1, steps_per_epoch=steps)
    trainer.train(epochs=1)
    return trainer.gan.sampler


def label_agreement(generator, n_per_class: int = 100, seed: int = 0) -> float:
    """Share of ``n_per_class`` samples per class that the shipped evaluator classifies as the
    class requested (1.0 for a perfect generator); a conditional generator or :class:`NamedCodes`."""
    from ganlib.evaluator import features_and_probabilities

    draw, latent_dim = drawer(generator)
    labels = np.repeat(np.arange(CLASSES, dtype=np.int32), n_per_class)
    _, probabilities = features_and_probabilities(draw(labels, truncated_noise(len(labels), latent_dim, seed)))
    return float(np.mean(probabilities.argmax(1) == labels))


def needs_real_classifier(generator, filter_threshold, unlabelled) -> bool:
    """Whether a condition uses the ``real`` classifier of its cell: to filter generated digits,
    to name an InfoGAN's codes, or to pseudo-label ``unlabelled`` images."""
    return unlabelled is not None or (generator is not None
                                      and (filter_threshold is not None or is_infogan(generator)))


def train_condition(images, labels, seed: int, generator=None, *, steps: int = DEFAULT_STEPS,
                    batch_size: int = DEFAULT_BATCH, generated_fraction: float = DEFAULT_FRACTION,
                    truncation: float | None = None, filter_threshold: float | None = None, unlabelled=None,
                    filter_model=None, mix: str = DEFAULT_MIX) -> tuple[keras.Model, dict]:
    """The classifier of one condition, trained on the labelled uint8 ``images`` and ``labels``;
    returns ``(model, extra)``, ``extra`` holding what the condition measured on the way.

    * no ``generator`` and no ``unlabelled``: the ``real`` classifier;
    * a conditional ``generator``: a ``generated_fraction`` of each batch from it; with
      ``filter_threshold``, consistency-filtered (:func:`filtered_pool`) by the ``real``
      classifier of the same images and seed (``filter_model`` if given, else trained here);
    * an InfoGAN ``generator`` (:func:`is_infogan`, trained without labels): first named by that
      ``real`` classifier (:func:`name_codes`; ``code_of_digit``, ``naming_agreement`` and the
      evaluator's :func:`label_agreement` are recorded), then drawn from as :class:`NamedCodes`;
    * ``unlabelled`` uint8 images instead of a generator: *self-training*, the baseline without
      a GAN: the share is drawn from ``unlabelled`` pseudo-labelled by the ``real`` classifier
      (:func:`pseudo_labelled_pool`, at ``filter_threshold``, default
      :data:`DEFAULT_FILTER_THRESHOLD`).
    """
    if unlabelled is not None and generator is not None:
        raise DataError("give either a generator or unlabelled images, not both")
    pool, extra = None, {}
    if needs_real_classifier(generator, filter_threshold, unlabelled) and filter_model is None:
        filter_model = train_classifier(images, labels, steps=steps, batch_size=batch_size, seed=seed)
    if generator is not None and is_infogan(generator):
        code_of_digit, counts = name_codes(generator, filter_model, seed=derived_seed(seed, NAMING_STREAM))
        generator = NamedCodes(generator, code_of_digit)
        extra.update(code_of_digit=code_of_digit.tolist(),
                     naming_agreement=float(counts[code_of_digit, np.arange(CLASSES)].sum() / counts.sum()),
                     label_agreement=label_agreement(generator))
    pool_size = steps * generated_count(batch_size, generated_fraction)
    if generator is not None and filter_threshold is not None:
        *pool, stats = filtered_pool(generator, filter_model, pool_size, derived_seed(seed, NOISE_STREAM),
                                     filter_threshold, truncation)
        extra.update(stats)
    if unlabelled is not None:
        *pool, stats = pseudo_labelled_pool(filter_model, unlabelled, pool_size, derived_seed(seed, NOISE_STREAM),
                                            filter_threshold or DEFAULT_FILTER_THRESHOLD)
        extra.update(stats)
    model = train_classifier(images, labels, steps=steps, batch_size=batch_size, seed=seed, generator=generator,
                             generated_fraction=generated_fraction, truncation=truncation, pool=pool, mix=mix)
    return model, extra


def stratified_folds(labels, folds: int, seed: int) -> np.ndarray:
    """Fold number (0..folds-1) of every labelled image: each class's images in a seeded random
    order dealt out in turn, so every fold holds each class in near-equal numbers."""
    labels = np.asarray(labels)
    if not isinstance(folds, (int, np.integer)) or folds < 2:
        raise DataError(f"folds must be an integer >= 2, got {folds!r}")
    smallest = np.bincount(labels).min() if len(labels) else 0
    if smallest < folds:
        raise DataError(f"{folds} folds need at least {folds} labelled images of every class, the smallest class has "
                        f"{smallest}; use fewer folds")
    rng = np.random.default_rng(seed)
    fold_of = np.empty(len(labels), dtype=np.int64)
    for k in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == k))
        fold_of[members] = np.arange(len(members)) % folds
    return fold_of


def cross_validated_gate(images, labels, seed: int, generator=None, *, folds: int = DEFAULT_GATE_FOLDS,
                         margin: float = 0.0, unlabelled=None, **condition) -> dict:
    """Should this condition be used?  Decided on the few labelled images alone.

    ``folds``-fold cross-validation (:func:`stratified_folds`): for each fold, the ``real``
    classifier and the condition's (:func:`train_condition`, the real one as its filter) are
    trained on the other folds and scored on this one.  The rule, fixed before it was measured:
    **augment only if the augmented classifiers classify strictly more held-out images
    correctly** (a tie keeps the real images alone).  With a ``margin`` (a share of the labelled
    images, e.g. 0.01) they must get at least ``max(1, ceil(margin * N))`` more right.  Returns
    the two cross-validated accuracies, the images needed and ``augment`` (bool).
    """
    if not 0.0 <= margin < 1.0:
        raise DataError(f"the gate's margin is a share of the labelled images in [0, 1), got {margin!r}; "
                        "0.01 asks for 1% of them more right in cross-validation")
    images, labels = np.asarray(images), np.asarray(labels)
    fold_of = stratified_folds(labels, folds, derived_seed(seed, GATE_STREAM))
    correct = {"real": 0, "augmented": 0}
    for fold in range(folds):
        fit, held = fold_of != fold, fold_of == fold
        real = train_classifier(images[fit], labels[fit], steps=condition.get("steps", DEFAULT_STEPS),
                                batch_size=condition.get("batch_size", DEFAULT_BATCH), seed=seed)
        augmented, _ = train_condition(images[fit], labels[fit], seed, generator, unlabelled=unlabelled,
                                       filter_model=real, **condition)
        for name, model in (("real", real), ("augmented", augmented)):
            correct[name] += round(classifier_accuracy(model, images[held], labels[held]) * held.sum())
    needed = max(1, math.ceil(margin * len(labels)))
    return {"gate_folds": int(folds), "gate_margin": float(margin), "gate_images_needed": needed,
            "gate_real_accuracy": correct["real"] / len(labels),
            "gate_augmented_accuracy": correct["augmented"] / len(labels),
            "augment": bool(correct["augmented"] - correct["real"] >= needed)}


def run_cell(train, test, per_class: int, seed: int, generator=None, *, condition: str | None = None,
             steps: int = DEFAULT_STEPS, batch_size: int = DEFAULT_BATCH,
             generated_fraction: float = DEFAULT_FRACTION, truncation: float | None = None,
             filter_threshold: float | None = None, unlabelled=None, gate_folds: int | None = None,
             gate_margin: float = 0.0, mix: str = DEFAULT_MIX) -> dict:
    """One cell: :func:`few_labelled` ``(train, per_class, seed)``, the condition's classifier
    (:func:`train_condition`), its accuracy on ``test``.  ``train`` and ``test`` are (uint8
    images, labels) pairs.  When the condition needs the ``real`` classifier (a filter, an
    InfoGAN's naming, self-training), its test accuracy is recorded as ``filter_accuracy`` (it
    equals the ``real`` cell's).  With ``gate_folds`` the condition is first put to
    :func:`cross_validated_gate` (with ``gate_margin``) on the few labelled images; if the gate says no, the cell trains
    the ``real`` classifier (``augment`` false in the record).  Returns the settings,
    ``accuracy``, ``seconds`` (everything included) and what the condition measured."""
    images, labels = few_labelled(*train, per_class, seed)
    start = time.perf_counter()
    check_mix(mix)
    settings = dict(steps=steps, batch_size=batch_size, generated_fraction=generated_fraction, truncation=truncation,
                    filter_threshold=filter_threshold, mix=mix)
    augmented = generator is not None or unlabelled is not None
    extra = {}
    if augmented and gate_folds is not None:
        extra = cross_validated_gate(images, labels, seed, generator, folds=gate_folds, margin=gate_margin,
                                     unlabelled=unlabelled, **settings)
        augmented = extra["augment"]
    filter_model = None
    if augmented and needs_real_classifier(generator, filter_threshold, unlabelled):
        filter_model = train_classifier(images, labels, steps=steps, batch_size=batch_size, seed=seed)
        extra["filter_accuracy"] = classifier_accuracy(filter_model, *test)
    if augmented:
        model, measured = train_condition(images, labels, seed, generator, unlabelled=unlabelled,
                                          filter_model=filter_model, **settings)
        extra.update(measured)
    else:
        model = train_classifier(images, labels, steps=steps, batch_size=batch_size, seed=seed)
    accuracy = classifier_accuracy(model, *test)
    return {**extra, "per_class": int(per_class), "seed": int(seed),
            "condition": condition or ("real" if not augmented else "generated"),
            "accuracy": accuracy, "steps": int(steps), "batch_size": int(batch_size),
            "generated_fraction": float(generated_fraction) if augmented else 0.0,
            "generated_per_batch": generated_count(batch_size, generated_fraction) if augmented else 0,
            "mix": mix if augmented else None,
            "truncation": truncation, "seconds": round(time.perf_counter() - start, 2)}


def paired_differences(cells: list[dict], condition: str, baseline: str = "real") -> dict[int, list[float]]:
    """Per ``per_class``: ``accuracy(condition) - accuracy(baseline)`` for every seed both have."""
    by_key = {(c["per_class"], c["seed"], c["condition"]): c["accuracy"] for c in cells}
    out: dict[int, list[float]] = {}
    for (per_class, seed, name), accuracy in sorted(by_key.items()):
        if name == condition and (per_class, seed, baseline) in by_key:
            out.setdefault(per_class, []).append(accuracy - by_key[(per_class, seed, baseline)])
    return out


def mean_sd(values) -> tuple[float, float]:
    """Mean and sample standard deviation (ddof=1; 0 for a single value)."""
    values = np.asarray(values, dtype=np.float64)
    return float(values.mean()), float(values.std(ddof=1)) if len(values) > 1 else 0.0


__all__ = ["few_labelled", "generated_count", "NamedCodes", "is_infogan", "name_codes", "drawer", "generated_pool",
           "pseudo_labelled_pool", "class_probabilities", "consistent", "filtered_pool", "real_batch_indices",
           "training_batches", "train_classifier", "train_condition", "stratified_folds", "cross_validated_gate",
           "classifier_accuracy", "train_fair_generator", "label_agreement", "run_cell", "paired_differences",
           "mean_sd", "derived_seed", "check_mix", "DEFAULT_FILTER_THRESHOLD", "FILTERED_FRACTION", "DEFAULT_GATE_FOLDS",
           "MIXES", "DEFAULT_MIX"]
