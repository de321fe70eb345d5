"""Training on several devices or machines (``ganlib.distribute``, ``Trainer(distribute=...)``,
``ganlib train --distribute``).

TensorFlow runs in subprocesses here: the CPU's split into logical devices and the multiworker
strategy must both be set up before TensorFlow's first operation, which this session (conftest)
ran long ago.  ``python tests/test_distribute.py compare OUT.npz`` is the child of the first test.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ganlib.distribute import STRATEGIES, strategy_for, tf_config

STEPS, BATCH = 4, 32  # the first 4 steps of a width-8 DCGAN, global batch 32 (16 per device on two)
TIMEOUT = 240  # seconds a child may take, whatever happens


def run_child(args, env=None, timeout=TIMEOUT):
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})})


# -- two logical devices follow one device -----------------------------------------------------

def compare_one_and_two_devices(out: str) -> None:
    """The child: the same Trainer (same seed, same global batch) on one device, on two logical CPU
    devices under MirroredStrategy, and on two without the loss scaling; per-step losses and final
    weights of each to ``out``."""
    from ganlib.distribute import split_cpu

    devices = split_cpu(2)  # first: before TensorFlow initialises its devices
    from ganlib.quiet import import_tensorflow_quietly

    tf = import_tensorflow_quietly()
    tf.config.experimental.enable_op_determinism()
    import tempfile

    import ganlib.gan
    from ganlib.callbacks import StepHistory
    from ganlib.data import load_embedded
    from ganlib.trainer import Trainer

    images = load_embedded().train[0][:STEPS * BATCH]
    two = tf.distribute.MirroredStrategy(devices)

    def run(strategy):
        steps = StepHistory()
        trainer = Trainer(images, out_dir=tempfile.mkdtemp(), width=8, batch_size=BATCH, seed=0, distribute=strategy,
                          checkpoints=False, callbacks=[steps], verbose=0)
        trainer.train(1)
        return {"replicas": strategy.num_replicas_in_sync if strategy else 1,
                "synchronized": trainer.gan.discriminator.layers[3].synchronized,
                "d_loss": steps.values["d_loss"], "g_loss": steps.values["g_loss"],
                "weights": np.concatenate([np.ravel(w) for w in trainer.gan.get_weights() + variables(trainer.gan)])}

    def variables(gan):  # the optimisers' steps and moments
        return [np.asarray(v, dtype=np.float64) for v in gan.d_optimizer.variables + gan.g_optimizer.variables]

    results = {"one": run(None), "two": run(two)}
    ganlib.gan.replica_loss = lambda loss: loss  # each replica's gradient of its own mean, summed: twice too big
    results["unscaled"] = run(two)
    np.savez(out, **{f"{name}/{key}": value for name, result in results.items() for key, value in result.items()})


def test_two_devices_train_as_one_device_with_the_same_global_batch(tmp_path):
    out = tmp_path / "runs.npz"
    child = run_child([__file__, "compare", str(out)])
    assert child.returncode == 0, child.stdout + child.stderr
    runs = np.load(out)
    assert runs["one/replicas"] == 1 and not runs["one/synchronized"]
    assert runs["two/replicas"] == 2 and runs["two/synchronized"]  # batch norm over the global batch

    def largest_difference(name):
        return {key: float(np.abs(runs[f"one/{key}"] - runs[f"{name}/{key}"]).max())
                for key in ("d_loss", "g_loss", "weights")}

    # Measured (TF 2.21, Keras 3.15, 2-core x86-64 CPU, op determinism; the same every run): after 4
    # steps the per-step losses are within 3.6e-7 of one device's, and every weight (both networks,
    # G's moving average, batch-norm statistics, the optimisers' moments) within 2.8e-6, the largest
    # where Adam divides a near-zero gradient by its near-zero RMS.  That is float32 rounding: two
    # devices sum partial gradients and batch statistics in another order.  The tolerance is 1e-5.
    # Without the loss scaling the networks' weights end 1.6e-4 apart (Adam nearly forgives gradients
    # twice too big: its step is gradient / RMS) and Adam's moments 0.7 apart: the test would fail.
    assert all(difference < 1e-5 for difference in largest_difference("two").values()), largest_difference("two")
    assert largest_difference("unscaled")["weights"] > 1e-5, largest_difference("unscaled")
    assert len(runs["two/d_loss"]) == STEPS


# -- two worker processes on localhost -------------------------------------------------------------

def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    with contextlib.ExitStack() as stack:
        for s in sockets:
            stack.enter_context(s)
            s.bind(("localhost", 0))
        return [s.getsockname()[1] for s in sockets]


def train_on_two_workers(out: Path, epochs: int, *options: str) -> list[str]:
    """``ganlib train --distribute multiworker`` as workers 0 and 1 of a localhost cluster; their outputs."""
    workers = [f"localhost:{port}" for port in free_ports(2)]
    command = [sys.executable, "-m", "ganlib", "train", "--distribute", "multiworker", "--limit", "256",
               "--width", "8", "--epochs", str(epochs), "--out", str(out), *options]
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                  env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "TF_CONFIG": tf_config(workers, i)})
                 for i in range(2)]
    try:
        outputs = [process.communicate(timeout=TIMEOUT)[0] for process in processes]
    finally:
        for process in processes:  # a worker left waiting for its peer is ended, not left behind
            if process.poll() is None:
                process.kill()
                process.wait()
    for index, (process, output) in enumerate(zip(processes, outputs)):
        assert process.returncode == 0, f"worker {index}:\n{output}"
        assert "(2 replicas)" in output, output
    return outputs


def test_two_workers_train_checkpoint_and_resume(tmp_path):
    from ganlib.cli import main
    from ganlib.registry import load_generator
    from ganlib.runs import read_history

    run = tmp_path / "cluster"
    train_on_two_workers(run, 1)
    assert (run / "ckpt-0001.weights.h5").is_file() and [line["epoch"] for line in read_history(run)] == [1]
    chief, other = train_on_two_workers(run, 2, "--resume")
    assert "epochs 2..2" in chief and "generator.weights.h5" in chief and "the chief wrote the files" in other
    assert sorted(p.name for p in run.glob("ckpt-*")) == ["ckpt-0001.weights.h5", "ckpt-0002.weights.h5"]
    history = read_history(run)
    assert [line["epoch"] for line in history] == [1, 2]
    assert not list(run.glob(".tmp-*"))

    # One process with the same global batch (64, 32 per worker above) trains the same two epochs.
    alone = tmp_path / "alone"
    assert main(["train", "--limit", "256", "--width", "8", "--epochs", "2", "--out", str(alone)]) == 0
    for line, single in zip(history, read_history(alone)):
        for name in ("d_loss", "g_loss", "d_real", "d_fake"):
            assert line[name] == pytest.approx(single[name], abs=1e-5)
    for a, b in zip(load_generator(run / "generator.weights.h5").get_weights(),
                    load_generator(alone / "generator.weights.h5").get_weights()):
        np.testing.assert_allclose(a, b, atol=1e-5)  # measured: within 1.2e-6


# -- the pieces --------------------------------------------------------------------------------

def test_strategy_names():
    assert STRATEGIES == ("none", "mirrored", "multiworker")
    assert strategy_for(None) is None and strategy_for("none") is None
    with pytest.raises(ValueError, match="unknown distribution strategy 'tpu'; choose one of"):
        strategy_for("tpu")


def test_multiworker_after_tensorflow_started_says_what_to_do(monkeypatch):
    monkeypatch.setenv("TF_CONFIG", tf_config(["localhost:1", "localhost:2"], 0))
    with pytest.raises(RuntimeError, match="at the start of the program"):
        strategy_for("multiworker")  # conftest ran TensorFlow operations already


def test_global_batch_must_split_over_the_replicas(few_images, tmp_path):
    import tensorflow as tf

    from ganlib.trainer import Trainer

    class ThreeReplicas(tf.distribute.MirroredStrategy):
        num_replicas_in_sync = 3

    with pytest.raises(ValueError, match="does not split evenly over 3 replicas"):
        Trainer(few_images, out_dir=tmp_path, width=8, batch_size=32, distribute=ThreeReplicas())


def test_cli_help_names_the_strategies(capsys):
    from ganlib.cli import main

    with pytest.raises(SystemExit):
        main(["train", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--distribute {none,mirrored,multiworker}" in text and "TF_CONFIG" in text


if __name__ == "__main__" and sys.argv[1:2] == ["compare"]:
    compare_one_and_two_devices(sys.argv[2])
