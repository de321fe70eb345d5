"""ganlib.runs: a run on disk; files written whole or not at all, corrupt ones refused."""

import json

import keras
import numpy as np
import pytest

from ganlib.errors import CheckpointError
from ganlib.runs import (load_checkpoint, read_checkpoint_state, read_epoch_log, read_weights_settings,
                         save_checkpoint, save_weights_with_settings, settings_path)


def small_model(seed=0):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])


def test_checkpoint_round_trip_keeps_the_last_two_and_names_the_latest(tmp_path):
    model = small_model()
    for epoch in (1, 2, 3):
        save_checkpoint(model, tmp_path, epoch, {"kind": "dcgan", "seed": 0}, keep=2)
    assert sorted(p.name for p in tmp_path.glob("ckpt-*")) == ["ckpt-0002.weights.h5", "ckpt-0003.weights.h5"]
    state = read_checkpoint_state(tmp_path)
    assert state["epoch"] == 3 and state["config"] == {"kind": "dcgan", "seed": 0} and len(state["sha256"]) == 64
    other = small_model(seed=1)
    assert load_checkpoint(other, tmp_path) == 3
    for a, b in zip(model.get_weights(), other.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert not list(tmp_path.glob(".tmp-*"))  # nothing half-written is left behind


def test_a_corrupt_or_missing_checkpoint_is_refused_not_half_read(tmp_path):
    assert read_checkpoint_state(tmp_path) is None
    with pytest.raises(CheckpointError, match="start without --resume"):
        load_checkpoint(small_model(), tmp_path)
    file = save_checkpoint(small_model(), tmp_path, 1, {})
    data = bytearray(file.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte
    file.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="refusing corrupt checkpoint"):
        load_checkpoint(small_model(), tmp_path)
    file.unlink()
    with pytest.raises(CheckpointError, match="is missing"):
        load_checkpoint(small_model(), tmp_path)
    (tmp_path / "checkpoint.json").write_text('{"epoch": "one"')
    with pytest.raises(CheckpointError, match="unreadable"):
        read_checkpoint_state(tmp_path)


def test_weights_with_settings_are_checked_by_sha256(tmp_path):
    path = save_weights_with_settings(small_model(), tmp_path / "g.weights.h5", {"kind": "dcgan", "width": 8})
    settings = read_weights_settings(path)
    assert settings["width"] == 8 and settings_path(path).name == "g.json" and len(settings["sha256"]) == 64
    path.write_bytes(path.read_bytes() + b"tampered")
    with pytest.raises(CheckpointError, match="refusing corrupt"):
        read_weights_settings(path)
    with pytest.raises(ValueError, match=r"\*\.weights\.h5"):
        save_weights_with_settings(small_model(), tmp_path / "g.h5", {})


def test_epoch_log_takes_the_last_line_of_a_rerun_epoch_and_names_a_bad_line(tmp_path):
    log = tmp_path / "history.jsonl"
    log.write_text("\n".join(json.dumps(line) for line in [{"epoch": 1, "d_loss": 1.0}, {"epoch": 2, "d_loss": 0.9},
                                                           {"epoch": 2, "d_loss": 0.8}]) + "\n")
    assert [line["d_loss"] for line in read_epoch_log(log)] == [1.0, 0.8]
    log.write_text(log.read_text() + "not json\n")
    with pytest.raises(CheckpointError, match="line 4"):
        read_epoch_log(log)
