"""Keras callbacks of a training run: NaN guard, step and epoch logs, sample grids, checkpoints."""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import keras
import numpy as np

from ganlib.errors import TrainingDiverged
from ganlib.gan import METRIC_NAMES
from ganlib.runs import read_checkpoint_state, save_checkpoint
from ganlib.utils import make_gif, save_grid


def finite_logs(logs) -> bool:
    """True if every number in a Keras ``logs`` dict is finite."""
    return all(math.isfinite(float(value)) for value in (logs or {}).values())


class StopOnNaN(keras.callbacks.Callback):
    """Stop ``fit()`` at the first batch whose logged losses are NaN or infinite.

    Unlike ``keras.callbacks.TerminateOnNaN`` it records where it happened, so the caller
    can report it; :class:`GANCheckpoint` will not save the broken weights.
    """

    def __init__(self):
        super().__init__()
        self.epoch = 0
        self.diverged_at = None

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.diverged_at is None and not finite_logs(logs):
            self.diverged_at = (self.epoch + 1, batch + 1)
            shown = ", ".join(f"{k}={float(v):.4g}" for k, v in logs.items())
            print(f"\nStopOnNaN: non-finite loss at epoch {self.epoch + 1}, step {batch + 1} ({shown}); stopping")
            self.model.stop_training = True


def raise_if_diverged(nan_guard: StopOnNaN, directory) -> None:
    """Raise TrainingDiverged, naming the last good checkpoint in ``directory``, if ``nan_guard`` stopped a run."""
    if nan_guard.diverged_at is None:
        return
    epoch, step = nan_guard.diverged_at
    state = read_checkpoint_state(directory)
    kept = f"{Path(directory) / state['file']} (epoch {state['epoch']})" if state else "none (no epoch finished)"
    raise TrainingDiverged(
        f"a loss became NaN at epoch {epoch}, step {step}; last good checkpoint: {kept}. "
        "Lower the learning rate or check the data, then resume"
    )


class StepHistory(keras.callbacks.Callback):
    """Record every training step's metric values (``fit``'s History keeps one mean per epoch).

    Keras passes callbacks the running mean of each metric over the current epoch; the value
    of step k is recovered as ``k * mean_k - (k - 1) * mean_(k-1)``. After training,
    ``values[name]`` is a numpy array with one entry per step, and ``epoch_ends`` lists the
    step count at the end of each epoch.
    """

    def __init__(self, names=METRIC_NAMES):
        super().__init__()
        self.names = tuple(names)
        self.steps: dict[str, list[float]] = {name: [] for name in self.names}
        self.epoch_ends: list[int] = []
        self._previous: dict[str, float] = {}

    def on_train_begin(self, logs=None):
        steps = int(getattr(self.model, "steps_per_execution", 1) or 1)
        if steps != 1:
            raise ValueError(f"StepHistory records every step, but the model was compiled with "
                             f"steps_per_execution={steps}, so Keras reports only every {steps}th step; "
                             "compile with steps_per_execution=1 or leave StepHistory out")

    def on_epoch_begin(self, epoch, logs=None):
        self._previous = {}

    def on_train_batch_end(self, batch, logs=None):
        k = batch + 1
        for name in self.names:
            mean = float(logs[name])
            self.steps[name].append(mean if k == 1 else k * mean - (k - 1) * self._previous[name])
            self._previous[name] = mean

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_ends.append(len(self.steps[self.names[0]]))

    @property
    def values(self) -> dict[str, np.ndarray]:
        return {name: np.asarray(steps) for name, steps in self.steps.items()}


class EpochLog(keras.callbacks.Callback):
    """Append one JSON line per epoch to ``history.jsonl``: epoch, wall seconds, metric means.

    ``seconds`` is the epoch's training time (checkpointing and ``measure`` excluded); a resumed
    run appends to the same file, so the sum of ``seconds`` is the run's total training time.
    ``measure(model)``, if given, returns a dict of scores taken after each epoch (for example how
    often a conditional generator draws the requested class); they join the line and the epoch's
    logs.
    """

    def __init__(self, path, measure=None):
        super().__init__()
        self.path = Path(path)
        self.measure = measure
        self._start = None

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        seconds = round(time.perf_counter() - self._start, 2)
        if self.measure is not None and logs is not None:
            logs.update(self.measure(self.model))
        line = {"epoch": epoch + 1, "seconds": seconds,
                **{name: float(value) for name, value in (logs or {}).items()}}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as log:
            log.write(json.dumps(line) + "\n")


class SampleGrid(keras.callbacks.Callback):
    """Save a grid of samples from fixed noise after every epoch (``samples-EPOCH.png``).

    The same noise every epoch makes the grids comparable; with ``gif=True`` they are
    joined into ``samples.gif`` when training ends.  ``draw(model)`` gives the uint8 images of a
    grid (default: ``model.generate(n, seed=seed)``; a translation model shows translations).
    """

    def __init__(self, directory, n: int = 25, seed: int = 0, gif: bool = False, draw=None):
        super().__init__()
        self.directory = Path(directory)
        self.n, self.seed, self.gif = n, seed, gif
        self.draw = draw or (lambda model: model.generate(self.n, seed=self.seed))

    def on_epoch_end(self, epoch, logs=None):
        save_grid(self.draw(self.model), self.directory / f"samples-{epoch + 1:04d}.png")

    def on_train_end(self, logs=None):
        frames = sorted(self.directory.glob("samples-*.png"))
        if self.gif and frames:
            make_gif(frames, self.directory / "samples.gif")


class GANCheckpoint(keras.callbacks.Callback):
    """Save the whole GAN (both networks, both optimisers) at the end of every epoch.

    Files are written to a temporary name and renamed, so an interruption never leaves a
    half-written checkpoint; ``checkpoint.json`` names the latest one with its sha256, and
    is itself replaced atomically.  Non-finite losses or weights are never saved: the last
    good checkpoint stays.  The ``keep`` most recent checkpoints are kept (``None``: all).
    """

    def __init__(self, directory, config: dict | None = None, keep: int | None = 2):
        super().__init__()
        self.directory = Path(directory)
        self.config = dict(config or {})
        self.keep = keep

    def on_epoch_end(self, epoch, logs=None):
        if not finite_logs(logs) or not all(np.isfinite(w).all() for w in self.model.get_weights()):
            print(f"\nGANCheckpoint: epoch {epoch + 1} has non-finite values; keeping the last good checkpoint")
            return
        save_checkpoint(self.model, self.directory, epoch + 1, self.config, self.keep)

__all__ = ["finite_logs", "StopOnNaN", "raise_if_diverged", "StepHistory", "EpochLog", "SampleGrid", "GANCheckpoint"]
