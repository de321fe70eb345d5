"""Interactive apps for the chapters (ipywidgets 8): a latent-space explorer and a training playground.

:func:`latent_explorer` shows what a trained generator does with its noise: images along the
path between two latent vectors, and images along one latent coordinate (or an InfoGAN code)
with everything else held fixed.  :func:`training_playground` trains a fresh GAN for a few
hundred steps with a chosen loss and learning rate and draws the curves while it runs.

Both return ordinary widgets whose pictures are PNG bytes in ``ipywidgets.Image`` widgets, so
the state saved in an executed notebook shows the same pictures on a static web page (where no
kernel runs the controls).  The work underneath is done by plain functions that need no display
and are unit-tested: :func:`lerp`, :func:`slerp`, :func:`interpolate`, :func:`walk`,
:func:`category_values` and :func:`run_playground`.

ipywidgets is imported only when a widget is built, and TensorFlow only when a network runs, so
the pure functions import anywhere.
"""

from __future__ import annotations

import io
import math
import time
from statistics import NormalDist

import numpy as np

from ganlib.defaults import DEFAULT_BATCH_SIZE, DEFAULT_WIDTH

INTERPOLATIONS = ("slerp", "linear")
PLAYGROUND_LEARNING_RATE = 2e-4  # the DCGAN paper's, as in ganlib.trainer.default_optimizer
PLAYGROUND_STEPS = 100
PLAYGROUND_MAX_STEPS = 400  # the slider's limit; run_playground itself takes any positive number


# --------------------------------------------------------------------------------------------
# Pure functions: interpolation and walks in latent space
# --------------------------------------------------------------------------------------------

def _vector(z, name: str) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    if z.ndim != 1 or z.size == 0 or not np.isfinite(z).all():
        raise ValueError(f"{name} must be one finite latent vector of shape (latent_dim,), got shape {z.shape}")
    return z


def _pair(z_a, z_b) -> tuple[np.ndarray, np.ndarray]:
    a, b = _vector(z_a, "z_a"), _vector(z_b, "z_b")
    if a.shape != b.shape:
        raise ValueError(f"z_a and z_b must have the same shape, got {a.shape} and {b.shape}")
    return a, b


def _fractions(t) -> np.ndarray:
    t = np.asarray(t, dtype=np.float64)
    if t.ndim > 1 or not np.isfinite(t).all():
        raise ValueError(f"t must be a finite number or a 1-D array of numbers, got shape {t.shape}")
    return t


def lerp(z_a, z_b, t) -> np.ndarray:
    """Linear interpolation ``(1 - t) * z_a + t * z_b``.

    ``z_a`` and ``z_b`` are latent vectors of shape (d,); ``t`` is a number (result (d,)) or a
    1-D array of fractions (result (len(t), d)).  ``t = 0`` gives ``z_a``, ``t = 1`` gives ``z_b``.
    """
    a, b = _pair(z_a, z_b)
    t = _fractions(t)
    return (1.0 - t)[..., None] * a + t[..., None] * b


def slerp(z_a, z_b, t) -> np.ndarray:
    """Spherical linear interpolation (Shoemake 1985; for GANs, White 2016):

        slerp(a, b; t) = sin((1 - t) W) / sin W * a + sin(t W) / sin W * b,
        cos W = a . b / (|a| |b|),

    the path along the great circle from ``a`` to ``b`` at constant angular speed.  For
    endpoints of equal norm every point keeps that norm.

    Why it suits Gaussian noise: for z ~ N(0, I_d) the norm concentrates near sqrt(d) (10 for
    d = 100, standard deviation about 0.7), so the generator is trained on a thin shell.  Two
    independent draws are nearly orthogonal, and the linear midpoint ``(a + b) / 2`` has norm
    about sqrt(d / 2) = 7.1: far inside the shell, noise the generator has practically never
    seen (its norm is 4 standard deviations below the mean).  slerp stays on the shell.

    Shapes as in :func:`lerp`.  Nearly parallel endpoints (angle below 1e-6 rad) fall back to
    :func:`lerp`, which is then the same path; opposite endpoints have no unique great circle
    and raise ValueError, as does a zero vector.
    """
    a, b = _pair(z_a, z_b)
    t = _fractions(t)
    norm_a, norm_b = np.linalg.norm(a), np.linalg.norm(b)
    if norm_a == 0.0 or norm_b == 0.0:
        raise ValueError("slerp needs non-zero endpoints (a zero vector has no direction); use lerp")
    cosine = np.clip(a @ b / (norm_a * norm_b), -1.0, 1.0)
    angle = math.acos(cosine)
    if angle < 1e-6:
        return lerp(a, b, t)
    if math.pi - angle < 1e-6:
        raise ValueError("slerp is undefined for opposite endpoints (z_b = -c z_a): every great circle "
                         "joins them; use lerp or another pair of seeds")
    weight_a = np.sin((1.0 - t) * angle) / math.sin(angle)
    weight_b = np.sin(t * angle) / math.sin(angle)
    return weight_a[..., None] * a + weight_b[..., None] * b


def interpolate(z_a, z_b, steps: int = 9, method: str = "slerp") -> np.ndarray:
    """``steps`` latent vectors (steps, d), float32, from ``z_a`` to ``z_b`` inclusive.

    The fractions are ``t = 0, 1/(steps-1), ..., 1``; ``method`` is ``"slerp"`` (:func:`slerp`)
    or ``"linear"`` (:func:`lerp`).  Raises ValueError for ``steps < 2`` or another method.
    """
    if method not in INTERPOLATIONS:
        raise ValueError(f"unknown interpolation {method!r}; choose one of {list(INTERPOLATIONS)}")
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool) or steps < 2:
        raise ValueError(f"steps must be an integer >= 2 (both endpoints are included), got {steps!r}")
    path = slerp if method == "slerp" else lerp
    return path(z_a, z_b, np.linspace(0.0, 1.0, int(steps))).astype(np.float32)


def walk(z, coordinate: int, values) -> np.ndarray:
    """Copies of ``z`` (d,) with coordinate ``coordinate`` set to each of ``values``: (len(values), d) float32.

    Everything else stays fixed, so a row of images shows what that one coordinate does.
    Raises ValueError for a coordinate outside 0..d-1 or an empty or non-finite ``values``.
    """
    base = _vector(z, "z")
    if not isinstance(coordinate, (int, np.integer)) or isinstance(coordinate, bool) \
            or not 0 <= coordinate < base.size:
        raise ValueError(f"coordinate must be an integer from 0 to {base.size - 1}, got {coordinate!r}")
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or values.size == 0 or not np.isfinite(values).all():
        raise ValueError(f"values must be a non-empty 1-D array of finite numbers, got shape {values.shape}")
    out = np.repeat(base[None, :], values.size, axis=0)
    out[:, coordinate] = values
    return out.astype(np.float32)


def category_values(categories: int) -> np.ndarray:
    """The noise value ``z_0`` that selects each InfoGAN category: ``Phi^-1((k + 1/2) / K)``, k = 0..K-1.

    :class:`ganlib.model.CategoricalCode` reads ``c = floor(K * Phi(z_0))`` (``Phi`` the standard
    normal CDF), so ``z_0`` in the middle of category k's probability bin gives c = k;
    ``walk(z, 0, category_values(K))`` shows every category with the rest of ``z`` fixed.
    """
    if not isinstance(categories, (int, np.integer)) or isinstance(categories, bool) or categories < 2:
        raise ValueError(f"categories must be an integer >= 2, got {categories!r}")
    normal = NormalDist()
    return np.array([normal.inv_cdf((k + 0.5) / categories) for k in range(int(categories))])


def code_layout(generator, continuous: int = 0) -> dict:
    """Where a generator's InfoGAN codes sit in its noise (see :class:`ganlib.trainer.GAN`).

    Returns ``{"latent_dim": d, "categories": K (0 if none), "continuous": [coordinates]}``: the
    categorical code, if the generator starts with a :class:`ganlib.model.CategoricalCode`, is
    read from coordinate 0, and the ``continuous`` codes are the next coordinates.  A generator
    does not record its continuous codes (they are plain noise to it); the training settings do
    (``continuous`` in the ``.json`` beside its weights).
    """
    from ganlib.model import CategoricalCode

    latent_dim = int(generator.input_shape[-1])
    first = generator.layers[0]
    categories = first.categories if isinstance(first, CategoricalCode) else 0
    start = 1 if categories else 0
    if not isinstance(continuous, (int, np.integer)) or continuous < 0 or start + continuous > latent_dim:
        raise ValueError(f"continuous must be an integer from 0 to {latent_dim - start}, got {continuous!r}")
    return {"latent_dim": latent_dim, "categories": categories,
            "continuous": list(range(start, start + int(continuous)))}


def png_bytes(images, rows: int = 1, scale: int = 3, invert: bool = True) -> bytes:
    """A PNG of :func:`ganlib.utils.image_grid` of ``images`` (uint8 or [-1, 1]), each pixel ``scale`` times larger.

    With ``invert`` (the default) strokes are dark on white, as :func:`ganlib.utils.plot_images` draws them.
    """
    from PIL import Image

    from ganlib.utils import _as_uint8_images, image_grid

    images = _as_uint8_images(images)
    cols = math.ceil(len(images) / rows)
    grid = image_grid(255 - images if invert else images, rows=rows, cols=cols)
    picture = Image.fromarray(grid).resize((grid.shape[1] * scale, grid.shape[0] * scale), Image.NEAREST)
    buffer = io.BytesIO()
    picture.save(buffer, format="png")
    return buffer.getvalue()


def figure_png(figure, dpi: int = 72) -> bytes:
    """PNG bytes of a matplotlib figure (for an ``ipywidgets.Image``)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    return buffer.getvalue()


def seed_noise(seed: int, latent_dim: int) -> np.ndarray:
    """The latent vector of ``seed``: the first row of :func:`ganlib.trainer.fixed_noise` (same draw as ``generate(n, seed)[0]``)."""
    return np.random.default_rng(int(seed)).standard_normal((1, latent_dim)).astype(np.float32)[0]


# --------------------------------------------------------------------------------------------
# The latent-space explorer
# --------------------------------------------------------------------------------------------

def _directions(layout: dict) -> list[tuple[str, str]]:
    options = []
    if layout["categories"]:
        options.append((f"categorical code c (z[0], {layout['categories']} values)", "code"))
    for j, coordinate in enumerate(layout["continuous"], 1):
        options.append((f"continuous code {j} (z[{coordinate}])", f"continuous {j}"))
    options.append(("one noise coordinate (pick below)", "coordinate"))
    return options


def walk_path(z, layout: dict, direction: str, coordinate: int = 0, span: float = 2.5,
              steps: int = 9) -> tuple[np.ndarray, np.ndarray]:
    """The latent vectors (n, d) and the values of the moved coordinate for an explorer direction.

    ``direction`` is ``"code"`` (every category of the categorical code, at the values of
    :func:`category_values`), ``"continuous J"`` (the J-th continuous code, 1-based) or
    ``"coordinate"`` (coordinate ``coordinate``); the last two move from ``-span`` to ``span``
    in ``steps`` steps.
    """
    if direction == "code":
        if not layout["categories"]:
            raise ValueError("this generator has no categorical code; choose 'coordinate'")
        values = category_values(layout["categories"])
        return walk(z, 0, values), values
    if not span > 0:
        raise ValueError(f"span must be positive, got {span!r}")
    values = np.linspace(-span, span, steps)
    if direction == "coordinate":
        return walk(z, coordinate, values), values
    if direction.startswith("continuous "):
        j = int(direction.split()[1])
        if not 1 <= j <= len(layout["continuous"]):
            raise ValueError(f"this generator has {len(layout['continuous'])} continuous codes, got {direction!r}")
        return walk(z, layout["continuous"][j - 1], values), values
    choices = [value for _, value in _directions(layout)]
    raise ValueError(f"unknown direction {direction!r}; choose one of {choices}")


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

    from ganlib.trainer import sample

    layout = code_layout(generator, continuous)
    latent_dim = layout["latent_dim"]
    options = _directions(layout)
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

    The GAN is :class:`ganlib.trainer.GAN` with the library's default networks (``width``),
    the ``loss`` named in :data:`ganlib.losses.LOSSES`, and Adam(``learning_rate``,
    beta_1 = 0.5) for both players, trained by ``fit()`` on batches of ``images`` (uint8 MNIST
    or [-1, 1] floats; default: :func:`ganlib.data.load_mnist`'s training images, the embedded
    subset offline).  ``seed`` seeds Keras (the initial weights; this resets the global seeds),
    the noise and the batch order.  ``on_step(step, values)``, if given, is called every
    ``every`` steps and after the last one, with ``values`` the per-step arrays so far.

    Returns a dict: one float array of length ``steps`` per metric of
    :data:`ganlib.trainer.METRIC_NAMES` (``d_loss``, ``g_loss``, ``d_real`` = D(x),
    ``d_fake`` = D(G(z)), ``d_acc_real``, ``d_acc_fake``), ``samples`` (uint8
    (n_samples, 28, 28) from the generator on :func:`ganlib.trainer.fixed_noise` of ``seed``),
    ``seconds`` (wall time of ``fit()``) and the settings.  Raises ValueError, naming the valid
    choices, for an unknown loss, a learning rate that is not positive, or ``steps <= 0``.
    """
    _check_playground(loss, learning_rate, steps)
    if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 1:
        raise ValueError(f"every must be a positive integer, got {every!r}")
    import keras

    from ganlib.data import load_mnist, make_dataset
    from ganlib.trainer import GAN, METRIC_NAMES, StepHistory, generate

    if images is None:
        images = load_mnist().train[0]
    dataset = make_dataset(images, batch_size, seed=seed)
    keras.utils.set_random_seed(int(seed))
    gan = GAN(width=width, loss=loss, seed=seed)
    gan.compile(d_optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.5),
                g_optimizer=keras.optimizers.Adam(learning_rate, beta_1=0.5))
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


# --------------------------------------------------------------------------------------------
# What the pictures show: stroke statistics, and a model's layers as a table
# --------------------------------------------------------------------------------------------

def stroke_stats(images) -> dict[str, np.ndarray]:
    """Two numbers per digit image, to put a walk through latent space into figures.

    With pixel weights w in [0, 1] (uint8 / 255, or (x + 1) / 2 for [-1, 1] images), column x
    and height y (upwards):

    * ``ink`` = mean of w: how much of the image the strokes cover (thicker or larger strokes
      give more);
    * ``slant`` = cov_w(x, y) / var_w(y): the horizontal shift of the strokes per pixel of
      height, the shear that deskewing MNIST removes.  0 is upright, > 0 leans right ("/"),
      < 0 leans left ("\\"); a blank image gets 0.

    Returns ``{"ink": (N,), "slant": (N,)}`` float arrays.
    """
    from ganlib.utils import _as_uint8_images

    weights = _as_uint8_images(images).astype(np.float64) / 255.0
    _, height, width = weights.shape
    y = (height - 1 - np.arange(height, dtype=np.float64))[:, None]  # row 0 is the top
    x = np.arange(width, dtype=np.float64)[None, :]
    mass = weights.sum(axis=(1, 2))
    safe = np.where(mass > 0, mass, 1.0)
    mean_x = (weights * x).sum(axis=(1, 2)) / safe
    mean_y = (weights * y).sum(axis=(1, 2)) / safe
    dx = x[None] - mean_x[:, None, None]
    dy = y[None] - mean_y[:, None, None]
    cov_xy = (weights * dx * dy).sum(axis=(1, 2)) / safe
    var_y = (weights * dy * dy).sum(axis=(1, 2)) / safe
    slant = np.where((mass > 0) & (var_y > 0), cov_xy / np.where(var_y > 0, var_y, 1.0), 0.0)
    return {"ink": weights.mean(axis=(1, 2)), "slant": slant}


def describe_layer(layer) -> str:
    """One line on what a Keras layer of ganlib's networks does, read from its configuration."""
    from keras import layers

    from ganlib.model import CategoricalCode

    name = type(layer).__name__
    if isinstance(layer, CategoricalCode):
        return (f"reads z[0] as a category c of {layer.categories} and replaces it by one_hot(c): "
                f"InfoGAN's categorical code")
    if isinstance(layer, layers.Dense):
        inputs = int(layer.kernel.shape[0])
        if layer.units == 1:
            return f"linear map of {inputs:,} numbers to one logit l; D(x) = sigmoid(l)"
        bias = " + bias" if layer.use_bias else ", no bias (the batch norm after it shifts)"
        return f"linear map of {inputs:,} numbers to {layer.units:,}{bias}"
    if isinstance(layer, layers.BatchNormalization):
        features = int(layer.gamma.shape[0])
        return (f"normalises each of its {features:,} features over the batch (moving averages at inference), "
                "then gamma * x + beta: 4 numbers per feature, 2 of them trainable")
    if isinstance(layer, layers.ReLU):
        return "max(0, x)"
    if isinstance(layer, layers.LeakyReLU):
        return f"max({layer.negative_slope:g} x, x)"
    if isinstance(layer, layers.Reshape):
        return f"the same numbers as a {' x '.join(map(str, layer.target_shape))} feature map"
    if isinstance(layer, layers.Flatten):
        return "the feature map as one vector of the same numbers (only a reshape)"
    if isinstance(layer, (layers.Conv2DTranspose, layers.Conv2D)):
        k, s = layer.kernel_size[0], layer.strides[0]
        transposed = isinstance(layer, layers.Conv2DTranspose)
        kind = "transposed convolution" if transposed else "convolution"
        size = "keeps the size" if s == 1 else (f"{s}x larger" if transposed else f"{s}x smaller")
        channels = "1 channel" if layer.filters == 1 else f"{layer.filters} channels"
        text = f"{k}x{k} {kind}, stride {s} ({size}), {channels}"
        text += " + bias" if layer.use_bias else ", no bias"
        activation = getattr(layer.activation, "__name__", "linear")
        return text + (f", then {activation}" if activation != "linear" else "")
    return name


def layer_table(model) -> list[dict]:
    """One row per layer of a built ``keras.Sequential``: name, output shape, parameters, what it does.

    ``parameters`` counts all weights (``layer.count_params()``), ``trainable`` those the
    optimiser updates (batch norm's moving mean and variance are not).
    """
    rows = []
    for layer in model.layers:
        shape = ("N",) + tuple(layer.output.shape[1:])
        trainable = int(sum(np.prod(w.shape) for w in layer.trainable_weights))
        rows.append({"layer": layer.name, "output shape": "(" + ", ".join(map(str, shape)) + ")",
                     "parameters": int(layer.count_params()), "trainable": trainable,
                     "what it does": describe_layer(layer)})
    return rows


def html_table(rows: list[dict]) -> str:
    """An HTML table of dict rows: the first row's keys are the columns, integers get thousands
    separators and are right-aligned, text is escaped.  (HTML rather than Markdown because
    Jupyter Book renders a notebook's Markdown output as CommonMark, which has no tables.)"""
    import html

    if not rows:
        raise ValueError("html_table needs at least one row")
    columns = list(rows[0])

    def cell(value, tag):
        number = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
        text = f"{value:,}" if number else html.escape(str(value))
        return f'<{tag} style="text-align: right">{text}</{tag}>' if number else f"<{tag}>{text}</{tag}>"

    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in columns)
    body = "".join("<tr>" + "".join(cell(row[c], "td") for c in columns) + "</tr>" for row in rows)
    return f'<table class="table"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


# --------------------------------------------------------------------------------------------
# Measurements behind the explorer: what a direction does, over many noise vectors
# --------------------------------------------------------------------------------------------

def walk_effects(generator, z, coordinates, low: float = -2.5, high: float = 2.5) -> dict[str, np.ndarray]:
    """How much moving each coordinate from ``low`` to ``high`` changes the digits, on average.

    For every coordinate j in ``coordinates`` and every row of ``z`` (N, d), the images of z
    with z[j] = ``low`` and with z[j] = ``high`` are compared by :func:`stroke_stats`.  Returns
    ``{"coordinate": (J,), "ink": (J,), "slant": (J,)}``: the mean change (high minus low) of
    ink and slant for each coordinate.  A coordinate the generator ignores gives exactly 0.
    """
    from ganlib.trainer import sample

    z = np.asarray(z, dtype=np.float32)
    if z.ndim != 2 or len(z) == 0:
        raise ValueError(f"z must be latent vectors of shape (N, latent_dim), got {z.shape}")
    coordinates = [int(c) for c in coordinates]
    ink, slant = [], []
    for j in coordinates:
        if not 0 <= j < z.shape[1]:
            raise ValueError(f"coordinates must lie in 0..{z.shape[1] - 1}, got {j}")
        moved = np.concatenate([z, z])
        moved[:len(z), j], moved[len(z):, j] = low, high
        stats = stroke_stats(sample(generator, moved))
        ink.append(float(np.mean(stats["ink"][len(z):] - stats["ink"][:len(z)])))
        slant.append(float(np.mean(stats["slant"][len(z):] - stats["slant"][:len(z)])))
    return {"coordinate": np.array(coordinates), "ink": np.array(ink), "slant": np.array(slant)}


def category_digits(generator, z, categories: int | None = None) -> np.ndarray:
    """Which digit each InfoGAN category draws: a (K, 10) table of digit shares (rows sum to 1).

    Row k: the noise vectors ``z`` (N, d) with their categorical code set to k
    (:func:`category_values`), drawn by ``generator`` and classified by the evaluator
    (:func:`ganlib.evaluator.features_and_probabilities`, its most probable digit).  A code
    that has taken the digit class has one share near 1 in each row.
    """
    from ganlib.evaluator import features_and_probabilities
    from ganlib.trainer import sample

    categories = categories or code_layout(generator)["categories"]
    if not categories:
        raise ValueError("this generator has no categorical code (train it with codes=K)")
    z = np.asarray(z, dtype=np.float32)
    table = np.zeros((categories, 10))
    for k, value in enumerate(category_values(categories)):
        coded = z.copy()
        coded[:, 0] = value
        _, probabilities = features_and_probabilities(sample(generator, coded))
        table[k] = np.bincount(probabilities.argmax(axis=1), minlength=10) / len(coded)
    return table
