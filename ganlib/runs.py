"""A training run on disk: checkpoints that resume exactly, the per-epoch history, saved weights.

A run directory holds ``ckpt-EPOCH.weights.h5`` (the whole model: networks and optimisers),
``checkpoint.json`` (the latest checkpoint's epoch, file, sha256 and the run's settings, with
its model ``kind``), ``history.jsonl`` (a line per epoch) and, at the end, the generator's
weights with their settings beside them.  Every file is written to a temporary name and
renamed, so an interruption never leaves a half-written one, and every weights file is checked
against its recorded sha256 before it is read: a corrupt file is refused, not half-read.
"""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path

import keras

from ganlib.assets import sha256_file, verify_file
from ganlib.errors import CheckpointError, DataError

STATE_FILE = "checkpoint.json"
HISTORY_FILE = "history.jsonl"
GENERATOR_FILE = "generator.weights.h5"


def _write_atomically(path: Path, write) -> None:
    """Call ``write(temporary)`` then rename it to ``path``; the name keeps ``path``'s suffix."""
    temporary = path.with_name(f".tmp-{os.getpid()}-{path.name}")
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def _write_json_atomically(path: Path, data: dict) -> None:
    _write_atomically(path, lambda tmp: tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8"))


def checkpoint_file(directory, epoch: int) -> Path:
    """Where epoch ``epoch``'s checkpoint lives: ``DIRECTORY/ckpt-EPOCH.weights.h5``."""
    return Path(directory) / f"ckpt-{epoch:04d}.weights.h5"


def save_checkpoint(model: keras.Model, directory, epoch: int, config: dict, keep: int | None = 2) -> Path:
    """Write ``ckpt-EPOCH.weights.h5`` and point ``checkpoint.json`` at it (both atomically); ``config``
    is the run's settings record (:func:`ganlib.config.to_dict`)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    file = checkpoint_file(directory, epoch)
    _write_atomically(file, model.save_weights)
    state = {"epoch": epoch, "file": file.name, "sha256": sha256_file(file), "config": config}
    _write_json_atomically(directory / STATE_FILE, state)
    if keep is not None:
        for old in sorted(directory.glob("ckpt-*.weights.h5"))[:-keep]:
            old.unlink()
    return file


def read_checkpoint_state(directory) -> dict | None:
    """The state in ``directory/checkpoint.json`` (epoch, file, sha256, config), or None if absent."""
    state_file = Path(directory) / STATE_FILE
    if not state_file.exists():
        return None
    try:
        state = json.loads(state_file.read_text(encoding="utf-8"))
        return {"epoch": int(state["epoch"]), "file": str(state["file"]),
                "sha256": str(state["sha256"]), "config": dict(state.get("config", {}))}
    except (ValueError, KeyError, TypeError) as error:
        raise CheckpointError(f"{state_file} is unreadable ({error}); delete the run directory or fix the file") from None


def load_checkpoint(model: keras.Model, directory) -> int:
    """Restore ``model`` (networks and optimisers) from the latest checkpoint; return its epoch."""
    state = read_checkpoint_state(directory)
    if state is None:
        raise CheckpointError(f"no checkpoint in {directory} ({STATE_FILE} missing); start without --resume")
    file = Path(directory) / state["file"]
    if not file.exists():
        raise CheckpointError(f"checkpoint {file} named in {STATE_FILE} is missing; start a new run")
    try:
        verify_file(file, state["sha256"])
        model.load_weights(file)
    except DataError as error:
        raise CheckpointError(f"refusing corrupt checkpoint: {error}") from None
    except ValueError as error:
        raise CheckpointError(f"checkpoint {file} does not fit this model ({error})") from None
    return state["epoch"]


def read_epoch_log(path) -> list[dict]:
    """The JSON lines of ``path`` (each with an ``epoch``), one per epoch in order, the last line
    for an epoch winning (an epoch re-run after an interruption replaces the first try)."""
    path = Path(path)
    if not path.exists():
        return []
    lines = {}
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            line = json.loads(text)
            lines[int(line["epoch"])] = line
        except (ValueError, KeyError, TypeError):
            raise CheckpointError(f"{path} line {number} is not an epoch record; fix or delete the line") from None
    return [lines[epoch] for epoch in sorted(lines)]


def read_history(directory) -> list[dict]:
    """The per-epoch lines :class:`EpochLog` wrote to ``directory/history.jsonl``."""
    return read_epoch_log(Path(directory) / HISTORY_FILE)


def run_provenance(directory, epoch: int, command: str, note: str = "", scores=None) -> dict:
    """What to record beside weights shipped from the run in ``directory`` at ``epoch``: the run's
    settings, the epoch, the training ``command``, the training wall time up to that epoch (summed
    from ``history.jsonl``), the machine, and ``note`` and ``scores`` if given."""
    history = [line for line in read_history(directory) if line["epoch"] <= epoch]
    if len(history) != epoch:
        raise CheckpointError(f"{directory}/{HISTORY_FILE} has {len(history)} of the {epoch} epochs; "
                              "cannot time the run")
    state = read_checkpoint_state(directory)
    provenance = {
        **(state["config"] if state else {}),
        "epochs": epoch,
        "command": command,
        "train_seconds": round(sum(line["seconds"] for line in history)),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, TensorFlow {_tensorflow_version()}, CPU only",
    }
    if note:
        provenance["note"] = note
    if scores is not None:
        provenance["scores"] = scores
    return provenance


def settings_path(path) -> Path:
    """The ``*.json`` of settings that sits beside weights ``*.weights.h5``."""
    path = Path(path)
    return path.with_name(path.name.replace(".weights.h5", ".json"))


def save_weights_with_settings(model: keras.Model, path, config: dict) -> Path:
    """Write ``model``'s weights to ``path`` (``*.weights.h5``) and ``config`` plus the weights' sha256
    to the ``*.json`` beside them, both atomically (see :func:`read_weights_settings`)."""
    path = Path(path)
    if not path.name.endswith(".weights.h5"):
        raise ValueError(f"weights must be saved as *.weights.h5, got {path.name}")
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_atomically(path, model.save_weights)
    _write_json_atomically(settings_path(path), {**config, "sha256": sha256_file(path)})
    return path


def read_weights_settings(path) -> dict:
    """The settings saved beside weights ``path`` ({} if there are none), after checking that the
    weights exist and, if the settings record a sha256, that they match it (CheckpointError if not)."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"generator weights {path} do not exist; give the .weights.h5 that training wrote")
    if not path.name.endswith(".weights.h5"):
        raise CheckpointError(f"{path} is not a Keras weights file (*.weights.h5)")
    config_file = settings_path(path)
    config = json.loads(config_file.read_text()) if config_file.exists() else {}
    if "sha256" in config:
        try:
            verify_file(path, config["sha256"])
        except DataError as error:
            raise CheckpointError(f"refusing corrupt generator weights: {error}") from None
    return config


def load_weights_checked(model: keras.Model, path) -> keras.Model:
    """``model`` with the weights of ``path`` loaded; CheckpointError (not h5py's or Keras' error) if they do not fit."""
    try:
        model.load_weights(path)
    except Exception as error:  # h5py raises OSError; Keras raises ValueError on shape mismatch
        raise CheckpointError(f"cannot load generator weights from {path} ({type(error).__name__}: {error})") from None
    return model

def _tensorflow_version() -> str:
    import tensorflow as tf

    return tf.__version__


__all__ = ["STATE_FILE", "HISTORY_FILE", "GENERATOR_FILE", "checkpoint_file", "save_checkpoint",
           "read_checkpoint_state", "load_checkpoint", "read_epoch_log", "read_history", "run_provenance",
           "settings_path", "save_weights_with_settings", "read_weights_settings", "load_weights_checked"]
