"""Interactive apps for the chapters (ipywidgets 8): a latent-space explorer, a conditional sampler and a training playground.

:func:`latent_explorer` shows what a trained generator does with its noise: images along the
path between two latent vectors, and images along one latent coordinate (or an InfoGAN code)
with everything else held fixed.  :func:`training_playground` trains a fresh GAN for a few
hundred steps with a chosen loss and learning rate and draws the curves while it runs.
:func:`conditional_sampler` draws digits of a chosen class from a class-conditional generator,
with or without the truncation trick.

On the book's web site the explorer and the sampler also run without a kernel: the page runs
the same generators in the browser with TensorFlow.js (:mod:`ganlib.web`, ``site/live``).

Both return ordinary widgets whose pictures are PNG bytes in ``ipywidgets.Image`` widgets, so
the state saved in an executed notebook shows the same pictures on a static web page (where no
kernel runs the controls).  The work underneath is done by plain functions that need no display
and are unit-tested: the latent-space functions of :mod:`ganlib.latent` and :func:`run_playground`.

ipywidgets is imported only when a widget is built, and TensorFlow only when a network runs, so
the pure functions import anywhere.
"""

from __future__ import annotations

import math
import time

import numpy as np

from ganlib.config import GANConfig
from ganlib.defaults import DEFAULT_BATCH_SIZE, DEFAULT_WIDTH
from ganlib.latent import INTERPOLATIONS, TRUNCATIONS, code_layout, directions, interpolate, seed_noise, stroke_stats, walk_path
from ganlib.utils import figure_png, png_bytes
from ganlib.web import SAMPLER_IMAGES
PLAYGROUND_LEARNING_RATE = GANConfig.learning_rate  # the DCGAN paper's 2e-4, the library's default
PLAYGROUND_STEPS = 100
PLAYGROUND_MAX_STEPS = 400  # the slider's limit; run_playground itself takes any positive number


def latent_explorer(generator, *, seed_a: int = 0, seed_b: int = 1, steps: int = 9, method: str = "slerp",
                    continuous: int = 0, direction: str | None = None, coordinate: int | None = None,
                    span: float = 2.5, scale: int = 3):
    """An ipywidgets app to explore ``generator``'s latent space; returns an ``ipywidgets.VBox``.

    Top row: ``steps`` images from seed ``seed_a``'s noise to seed ``seed_b``'s
    (:func:`seed_noise`), by :func:`slerp` or linear interpolation.  Bottom row: seed A's noise
    with one direction moved (:func:`walk_path`): the InfoGAN categorical code (all its values),
    one of the ``continuous`` codes, or any single coordinate, from ``-span`` to ``span``.
    ``continuous`` is the number of continuous codes the generator was trained with (see
    :func:`code_layout`); ``direction`` defaults to the categorical code if there is one.

    The pictures are PNG bytes in ``ipywidgets.Image`` widgets, drawn when the app is created
    and again whenever a control changes.  The returned box carries ``controls`` (name ->
    widget), ``images`` (``"interpolation"``, ``"walk"``), ``captions`` and ``refresh()``.
    """
    import ipywidgets as w

    from ganlib.sampling import sample

    layout = code_layout(generator, continuous)
    latent_dim = layout["latent_dim"]
    options = directions(layout)
    direction = direction or options[0][1]
    if direction not in [value for _, value in options]:
        raise ValueError(f"unknown direction {direction!r}; choose one of {[value for _, value in options]}")
    if method not in INTERPOLATIONS:
        raise ValueError(f"unknown interpolation {method!r}; choose one of {list(INTERPOLATIONS)}")
    if coordinate is None:
        coordinate = (layout["continuous"][-1] + 1) if layout["continuous"] else (1 if layout["categories"] else 0)

    narrow = w.Layout(width="210px")
    controls = {
        "seed_a": w.BoundedIntText(value=seed_a, min=0, max=2**31 - 1, description="seed A", layout=narrow),
        "seed_b": w.BoundedIntText(value=seed_b, min=0, max=2**31 - 1, description="seed B", layout=narrow),
        "method": w.ToggleButtons(options=list(INTERPOLATIONS), value=method, description="path",
                                  style={"button_width": "70px"}),
        "steps": w.IntSlider(value=steps, min=3, max=15, description="steps", continuous_update=False),
        "direction": w.Dropdown(options=options, value=direction, description="move",
                                layout=w.Layout(width="400px")),
        "coordinate": w.IntSlider(value=coordinate, min=0, max=latent_dim - 1, description="coordinate",
                                  continuous_update=False),
        "span": w.FloatSlider(value=span, min=0.5, max=4.0, step=0.5, description="span ±",
                              continuous_update=False),
    }
    images = {"interpolation": w.Image(format="png"), "walk": w.Image(format="png")}
    captions = {"interpolation": w.HTML(), "walk": w.HTML()}

    def refresh(change=None):
        c = {name: control.value for name, control in controls.items()}
        controls["coordinate"].disabled = c["direction"] != "coordinate"
        controls["span"].disabled = c["direction"] == "code"
        z_a = seed_noise(c["seed_a"], latent_dim)
        z_b = seed_noise(c["seed_b"], latent_dim)
        path = interpolate(z_a, z_b, c["steps"], c["method"])
        images["interpolation"].value = png_bytes(sample(generator, path), scale=scale)
        norms = np.linalg.norm(path, axis=1)
        captions["interpolation"].value = (
            f"<b>{c['method']}</b> from seed {c['seed_a']} to seed {c['seed_b']} in {c['steps']} steps; "
            f"noise norm {norms[0]:.1f} &rarr; {norms.min():.1f} (smallest) &rarr; {norms[-1]:.1f}")
        moved, values = walk_path(z_a, layout, c["direction"], c["coordinate"], c["span"], c["steps"])
        pictures = sample(generator, moved)
        images["walk"].value = png_bytes(pictures, scale=scale)
        stats = stroke_stats(pictures)
        if c["direction"] == "code":
            text = f"seed {c['seed_a']} with the categorical code c = 0, 1, ..., {layout['categories'] - 1}"
        else:
            index = c["coordinate"] if c["direction"] == "coordinate" else \
                layout["continuous"][int(c["direction"].split()[1]) - 1]
            text = f"seed {c['seed_a']} with z[{index}] = {values[0]:+.2f} ... {values[-1]:+.2f}"
            if layout["categories"] and index == 0:
                text += " (z[0] is the categorical code's input)"
        captions["walk"].value = (text + f"; ink {stats['ink'][0]:.2f} &rarr; {stats['ink'][-1]:.2f}, "
                                  f"slant {stats['slant'][0]:+.2f} &rarr; {stats['slant'][-1]:+.2f}")

    for control in controls.values():
        control.observe(refresh, names="value")
    refresh()
    box = w.VBox([
        w.HBox([controls["seed_a"], controls["seed_b"], controls["method"]]),
        controls["steps"],
        captions["interpolation"], images["interpolation"],
        w.HBox([controls["direction"]]),
        w.HBox([controls["coordinate"], controls["span"]]),
        captions["walk"], images["walk"],
    ])
    box.controls, box.images, box.captions, box.refresh, box.layout_info = controls, images, captions, refresh, layout
    return box


# --------------------------------------------------------------------------------------------
# The conditional sampler
# --------------------------------------------------------------------------------------------

def conditional_sampler(generator, *, digit: int = 0, truncation: float | None = None, seed: int = 0,
                        n: int = SAMPLER_IMAGES, scale: int = 3):
    """An ipywidgets app for a class-conditional generator: pick a digit, a truncation and a seed.

    Shows ``n`` samples of the digit from the noise of ``seed``
    (:func:`ganlib.apps.conditional.generate`), each coordinate with ``|z| > T`` redrawn when a
    truncation T is chosen (the truncation trick).  The returned ``ipywidgets.VBox`` carries
    ``controls`` (``digit``, ``truncation``, ``seed``), ``image``, ``caption`` and ``refresh()``.
    Raises ValueError for a generator that takes no label, or a digit or truncation it does not offer.
    """
    import ipywidgets as w

    from ganlib.apps.conditional import _classes, generate, is_conditional

    if not is_conditional(generator):
        raise ValueError("conditional_sampler needs a class-conditional generator such as "
                         "pretrained.load('cgan-mnist'); for one of noise alone use latent_explorer")
    classes = _classes(generator)
    if not isinstance(digit, (int, np.integer)) or not 0 <= digit < classes:
        raise ValueError(f"digit must be an integer from 0 to {classes - 1}, got {digit!r}")
    if truncation not in TRUNCATIONS:
        raise ValueError(f"truncation must be one of {TRUNCATIONS}, got {truncation!r}")
    controls = {
        "digit": w.Dropdown(options=list(range(classes)), value=int(digit), description="digit",
                            layout=w.Layout(width="160px")),
        "truncation": w.Dropdown(options=[("none" if t is None else f"{t:.2f}", t) for t in TRUNCATIONS],
                                 value=truncation, description="truncation T", layout=w.Layout(width="220px"),
                                 style={"description_width": "initial"}),
        "seed": w.BoundedIntText(value=seed, min=0, max=2**31 - 1, description="seed",
                                 layout=w.Layout(width="180px")),
    }
    image, caption = w.Image(format="png"), w.HTML()

    def refresh(change=None):
        c = {name: control.value for name, control in controls.items()}
        images = generate(generator, c["digit"], n, seed=c["seed"], truncation=c["truncation"])
        image.value = png_bytes(images, rows=1, scale=scale)
        noise = ("untruncated noise" if c["truncation"] is None
                 else f"every noise coordinate with |z| &gt; {c['truncation']:.2f} redrawn")
        caption.value = f"{n} samples of the digit <b>{c['digit']}</b> from seed {c['seed']}, {noise}"

    for control in controls.values():
        control.observe(refresh, names="value")
    refresh()
    box = w.VBox([w.HBox(list(controls.values())), caption, image])
    box.controls, box.image, box.caption, box.refresh = controls, image, caption, refresh
    return box


# --------------------------------------------------------------------------------------------
# The training playground
# --------------------------------------------------------------------------------------------

def _check_playground(loss, learning_rate, steps) -> None:
    from ganlib.losses import LOSSES

    if not isinstance(loss, str) or loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; choose one of {sorted(LOSSES)}")
    if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float, np.floating)) \
            or not math.isfinite(learning_rate) or learning_rate <= 0:
        raise ValueError(f"learning_rate must be a positive number (e.g. 2e-4), got {learning_rate!r}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps <= 0:
        raise ValueError(f"steps must be a positive integer (the playground offers 10 to "
                         f"{PLAYGROUND_MAX_STEPS}), got {steps!r}")


def run_playground(loss: str = "non-saturating", learning_rate: float = PLAYGROUND_LEARNING_RATE,
                   steps: int = PLAYGROUND_STEPS, seed: int = 0, images=None, on_step=None, *,
                   batch_size: int = DEFAULT_BATCH_SIZE, width: int = DEFAULT_WIDTH, every: int = 10,
                   n_samples: int = 16) -> dict:
    """Train a fresh default GAN for ``steps`` steps; return its per-step metrics and samples.

    The GAN is :class:`ganlib.gan.GAN` with the library's default networks (``width``),
    the ``loss`` named in :data:`ganlib.losses.LOSSES`, and Adam(``learning_rate``,
    beta_1 = 0.5) for both players, trained by ``fit()`` on batches of ``images`` (uint8 MNIST
    or [-1, 1] floats; default: :func:`ganlib.data.load_mnist`'s training images, the embedded
    subset offline).  ``seed`` seeds Keras (the initial weights; this resets the global seeds),
    the noise and the batch order.  ``on_step(step, values)``, if given, is called every
    ``every`` steps and after the last one, with ``values`` the per-step arrays so far.

    Returns a dict: one float array of length ``steps`` per metric of
    :data:`ganlib.trainer.METRIC_NAMES` (``d_loss``, ``g_loss``, ``d_real`` = D(x),
    ``d_fake`` = D(G(z)), ``d_acc_real``, ``d_acc_fake``, ``d_gap``), ``samples`` (uint8
    (n_samples, 28, 28) from the generator on :func:`ganlib.sampling.fixed_noise` of ``seed``),
    ``seconds`` (wall time of ``fit()``) and the settings.  Raises ValueError, naming the valid
    choices, for an unknown loss, a learning rate that is not positive, or ``steps <= 0``.
    """
    _check_playground(loss, learning_rate, steps)
    if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
        raise ValueError(f"every must be a positive integer, got {every!r}")
    import keras

    from ganlib.data import load_mnist, make_dataset
    from ganlib.gan import GAN, METRIC_NAMES
    from ganlib.callbacks import StepHistory
    from ganlib.sampling import generate

    if images is None:
        images = load_mnist().train[0]
    dataset = make_dataset(images, batch_size, seed=seed)
    keras.utils.set_random_seed(int(seed))
    gan = GAN(width=width, loss=loss, seed=seed, ema_decay=None, learning_rate=learning_rate)
    gan.compile()  # Adam(learning_rate, beta_1 0.5) for each network
    history = StepHistory(METRIC_NAMES)
    callbacks = [history]
    if on_step is not None:
        class Report(keras.callbacks.Callback):
            def on_train_batch_end(self, batch, logs=None):
                if (batch + 1) % every == 0 or batch + 1 == steps:
                    on_step(batch + 1, history.values)  # history's own callback ran first

        callbacks.append(Report())
    start = time.perf_counter()
    gan.fit(dataset, epochs=1, steps_per_epoch=int(steps), callbacks=callbacks, verbose=0, shuffle=False)
    seconds = time.perf_counter() - start
    result = {name: values for name, values in history.values.items()}
    result.update(samples=generate(gan.generator, n_samples, seed=seed), seconds=seconds, loss=loss,
                  learning_rate=float(learning_rate), steps=int(steps), seed=int(seed), batch_size=batch_size,
                  width=width)
    return result


def _curves_png(values: dict, steps: int) -> bytes:
    from ganlib.utils import plot_training_curves

    window = max(1, min(20, steps // 5))
    figure = plot_training_curves(values, window=window)
    figure.axes[0].set_xlim(0, steps + 1)
    figure.axes[1].set_xlim(0, steps + 1)
    return figure_png(figure)


def _summary(result: dict) -> str:
    tail = max(1, min(20, result["steps"] // 5))
    mean = {name: float(np.mean(result[name][-tail:])) for name in ("d_loss", "g_loss", "d_real", "d_fake")}
    return (f"<b>{result['steps']} steps</b> of the {result['loss']} loss, learning rate "
            f"{result['learning_rate']:.1e}, seed {result['seed']}: {result['seconds']:.1f} s. "
            f"Means of the last {tail} steps: d_loss {mean['d_loss']:.2f}, g_loss {mean['g_loss']:.2f}, "
            f"D(x) {mean['d_real']:.2f}, D(G(z)) {mean['d_fake']:.2f}.")


def training_playground(images=None, *, seed: int = 0, loss: str = "non-saturating",
                        learning_rate: float = PLAYGROUND_LEARNING_RATE, steps: int = PLAYGROUND_STEPS,
                        run_now: bool = True, batch_size: int = DEFAULT_BATCH_SIZE, width: int = DEFAULT_WIDTH,
                        every: int | None = None):
    """An ipywidgets app: pick a loss, a learning rate and a number of steps, press Train.

    "Train" calls :func:`run_playground` on ``images`` (default: the MNIST training images
    :func:`ganlib.data.load_mnist` finds), redraws the curves of d_loss, g_loss, D(x) and
    D(G(z)) (:func:`ganlib.utils.plot_training_curves`) every ``every`` steps (default: about
    ten redraws a run), then shows 16 samples.  With ``run_now`` (the default) one run with the
    initial settings is made when the app is created, so a saved notebook (and a static page,
    where the button cannot run code) shows a real result; without it the app shows a note.

    The returned ``ipywidgets.VBox`` carries ``controls`` (name -> widget: ``loss``,
    ``learning_rate``, ``steps``, ``seed``, ``train``), ``images`` (``"curves"``, ``"samples"``),
    ``status``, ``train()`` (what the button does) and ``result`` (the last run's dict).
    """
    import ipywidgets as w

    from ganlib.losses import LOSSES

    _check_playground(loss, learning_rate, steps)
    controls = {
        "loss": w.Dropdown(options=sorted(LOSSES), value=loss, description="loss"),
        "learning_rate": w.FloatLogSlider(value=learning_rate, base=10, min=-5, max=-2, step=0.1,
                                          description="learning rate", readout_format=".1e",
                                          style={"description_width": "initial"}),
        "steps": w.IntSlider(value=min(int(steps), PLAYGROUND_MAX_STEPS), min=10, max=PLAYGROUND_MAX_STEPS,
                             step=10, description="steps"),
        "seed": w.BoundedIntText(value=seed, min=0, max=2**31 - 1, description="seed",
                                 layout=w.Layout(width="180px")),
        "train": w.Button(description="Train", button_style="primary", icon="play"),
    }
    if int(steps) != controls["steps"].value:  # allow a run shorter than the slider's minimum
        controls["steps"].min = min(int(steps), controls["steps"].min)
        controls["steps"].value = int(steps)
    images_out = {"curves": w.Image(format="png"), "samples": w.Image(format="png")}
    for image in images_out.values():
        image.layout.display = "none"
    status = w.HTML(f"Press <b>Train</b> to train a fresh GAN (width {width}, batch {batch_size}) "
                    "for the chosen number of steps; on a 2-core CPU 100 steps take roughly 10 to 20 s.")
    box = w.VBox([
        w.HBox([controls["loss"], controls["learning_rate"]]),
        w.HBox([controls["steps"], controls["seed"], controls["train"]]),
        status, images_out["curves"], images_out["samples"],
    ])
    box.result = None

    def train(button=None):
        c = {name: control.value for name, control in controls.items() if name != "train"}
        n = int(c["steps"])
        redraw = every or max(5, n // 10)

        def on_step(step, values):
            images_out["curves"].value = _curves_png(values, n)
            images_out["curves"].layout.display = None
            status.value = f"Training: step {step} of {n} ..."

        controls["train"].disabled = True
        status.value = f"Training: building the GAN and tracing the step ({n} steps) ..."
        try:
            result = run_playground(c["loss"], float(c["learning_rate"]), n, int(c["seed"]), images, on_step,
                                    batch_size=batch_size, width=width, every=redraw)
        except Exception as error:  # shown in the app; a button callback has nowhere else to report
            status.value = f"<b>Error</b>: {type(error).__name__}: {error}"
            return None
        finally:
            controls["train"].disabled = False
        images_out["curves"].value = _curves_png(result, n)
        images_out["samples"].value = png_bytes(result["samples"], rows=2, scale=3)
        for image in images_out.values():
            image.layout.display = None
        status.value = _summary(result) + " Samples of the generator after training:"
        box.result = result
        return result

    controls["train"].on_click(train)
    box.controls, box.images, box.status, box.train = controls, images_out, status, train
    if run_now:
        train()
    return box
