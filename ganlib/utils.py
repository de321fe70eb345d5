"""Small helpers the chapters share (the source's ``utils.py``): image grids, GIFs, D accuracy, PNGs, HTML tables."""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Sequence

import numpy as np

from ganlib.data import load_mnist, to_uint8
from ganlib.errors import DataError


def get_datasets(path=None, *, allow_download: bool = False):
    """The source's name for the loader: ``(x_train, y_train), (x_test, y_test)`` as uint8.

    Same as :func:`ganlib.data.load_mnist` (offline by default: a path, Keras' cache, or the
    embedded subset).
    """
    return load_mnist(path, allow_download=allow_download)


def _as_uint8_images(images) -> np.ndarray:
    """Images as uint8 (N, H, W): uint8 passes through, floats are read as [-1, 1]."""
    images = np.asarray(images)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3 or len(images) == 0:
        raise DataError(f"expected a non-empty batch of images (N, H, W[, 1]), got shape {images.shape}")
    return images if images.dtype == np.uint8 else to_uint8(images)


def image_grid(images, rows: int | None = None, cols: int | None = None, pad: int = 2) -> np.ndarray:
    """Tile N images into one uint8 picture of ``rows x cols`` cells, ``pad`` white pixels apart.

    Images are uint8 in [0, 255] or floats in [-1, 1], shaped (N, H, W) or (N, H, W, 1). By
    default the grid is as square as possible; empty cells stay white.
    """
    images = _as_uint8_images(images)
    count, height, width = images.shape
    cols = cols or math.ceil(math.sqrt(count))
    rows = rows or math.ceil(count / cols)
    if rows * cols < count:
        raise ValueError(f"a {rows}x{cols} grid holds {rows * cols} images, got {count}")
    grid = np.full((rows * (height + pad) + pad, cols * (width + pad) + pad), 255, np.uint8)
    for index, image in enumerate(images):
        r, c = divmod(index, cols)
        top, left = pad + r * (height + pad), pad + c * (width + pad)
        grid[top:top + height, left:left + width] = image
    return grid


def save_grid(images, path: str | Path, rows: int | None = None, cols: int | None = None, scale: int = 2) -> Path:
    """Write :func:`image_grid` of ``images`` to a PNG, each pixel ``scale`` times larger."""
    from PIL import Image

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    grid = image_grid(images, rows, cols)
    picture = Image.fromarray(grid).resize((grid.shape[1] * scale, grid.shape[0] * scale), Image.NEAREST)
    picture.save(path)
    return path


def new_figure(figsize):
    """A matplotlib figure that pyplot does not keep open.

    Creating it through pyplot activates Jupyter's inline backend (which displays a returned
    figure); closing it at once keeps pyplot from showing it a second time at the end of the
    cell, and from piling up open figures in loops.
    """
    import matplotlib.pyplot as plt

    figure = plt.figure(figsize=figsize)
    plt.close(figure)
    return figure


def plot_images(images, path: str | Path | None = None, rows: int | None = None, cols: int | None = None,
                title: str | None = None, labels: Sequence | None = None):
    """A matplotlib figure of the images in a grid, saved to ``path`` if given.

    ``labels`` (one per image) are written above the images, e.g. predicted digits. The
    figure shows once in Jupyter, as the cell's value (see :func:`new_figure`).
    """
    images = _as_uint8_images(images)
    count = len(images)
    cols = cols or math.ceil(math.sqrt(count))
    rows = rows or math.ceil(count / cols)
    height = rows * (0.9 + (0.2 if labels is not None else 0)) + (0.4 if title else 0)
    figure = new_figure(figsize=(cols * 0.9, height))
    axes = figure.subplots(rows, cols, squeeze=False)
    for index, axis in enumerate(axes.flat):
        axis.axis("off")
        if index < count:
            axis.imshow(images[index], cmap="gray_r", vmin=0, vmax=255, interpolation="nearest")
            if labels is not None:
                axis.set_title(str(labels[index]), fontsize=8, pad=2)
    if title:
        figure.suptitle(title)
    # Keep the top 0.4 inch for the title, so it does not overlap the first row's labels.
    figure.tight_layout(pad=0.2, rect=(0, 0, 1, 1 - 0.4 / height if title else 1))
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, dpi=100)
    return figure


def moving_average(values, window: int = 20) -> np.ndarray:
    """Mean of the last ``window`` values at each position (fewer at the start)."""
    values = np.asarray(values, np.float64)
    cumulative = np.concatenate([[0.0], np.cumsum(values)])
    ends = np.arange(1, len(values) + 1)
    starts = np.maximum(ends - window, 0)
    return (cumulative[ends] - cumulative[starts]) / (ends - starts)


def plot_training_curves(steps, epoch_ends: Sequence[int] = (), window: int = 20):
    """Losses (left) and D(x), D(G(z)) (right) at every step, raw and as a ``window``-step mean.

    ``steps`` maps metric names to per-step arrays, e.g. ``StepHistory.values`` from
    :mod:`ganlib.trainer`; ``epoch_ends`` (e.g. ``StepHistory.epoch_ends``) draws epoch
    boundaries. Returns a matplotlib figure (shown once in Jupyter, as the cell's value).
    """
    figure = new_figure(figsize=(10, 3.5))
    left, right = figure.subplots(1, 2)
    for axis, names in ((left, ("d_loss", "g_loss")), (right, ("d_real", "d_fake"))):
        for name in names:
            values = np.asarray(steps[name])
            x = np.arange(1, len(values) + 1)
            (line,) = axis.plot(x, values, alpha=0.25, linewidth=0.8)
            axis.plot(x, moving_average(values, window), color=line.get_color(), label=f"{name} ({window}-step mean)")
        for end in list(epoch_ends)[:-1]:
            axis.axvline(end, color="grey", linewidth=0.5)
        axis.set_xlabel("step")
        axis.legend()
    left.set_title("losses")
    right.set_title("D(x) on real and D(G(z)) on fake images")
    right.axhline(0.5, color="grey", linewidth=0.8, linestyle="--")
    right.set_ylim(0, 1)
    figure.tight_layout()
    return figure


def make_gif(frames: Sequence[str | Path], path: str | Path, duration_ms: int = 300) -> Path:
    """Join PNG frames (e.g. one sample grid per epoch) into an animated GIF that loops."""
    from PIL import Image

    if not frames:
        raise ValueError("make_gif needs at least one frame")
    pictures = [Image.open(frame).convert("L") for frame in frames]
    path = Path(path)
    pictures[0].save(path, save_all=True, append_images=pictures[1:], duration=duration_ms, loop=0)
    return path


def accuracy(logits, real: bool | np.ndarray) -> float:
    """Share of discriminator decisions that are right: logit > 0 means "real".

    ``real`` is True for a batch of real images, False for fakes, or an array of booleans.
    """
    logits = np.asarray(logits, dtype=np.float64).reshape(-1)
    target = np.broadcast_to(np.asarray(real, dtype=bool).reshape(-1), logits.shape)
    return float(np.mean((logits > 0) == target))


def png_bytes(images, rows: int = 1, scale: int = 3, invert: bool = True) -> bytes:
    """A PNG of :func:`ganlib.utils.image_grid` of ``images`` (uint8 or [-1, 1]), each pixel ``scale`` times larger.

    With ``invert`` (the default) strokes are dark on white, as :func:`ganlib.utils.plot_images` draws them.
    """
    from PIL import Image

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
