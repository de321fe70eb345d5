import json
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from ganlib import losses
from ganlib.data import to_model_range
from ganlib.errors import CheckpointError, TrainingDiverged
from ganlib.callbacks import StepHistory
from ganlib.gan import GAN, METRIC_NAMES
from ganlib.registry import load_generator, restore_run
from ganlib.runs import load_checkpoint, read_history, save_weights_with_settings
from ganlib.sampling import fixed_noise, generate
from ganlib.trainer import Trainer
from ganlib.utils import accuracy

from conftest import Interrupt

SMALL = {"width": 8, "verbose": 0}


def test_short_real_training_learns(few_images, mnist, tmp_path):
    steps = StepHistory()
    trainer = Trainer(few_images, out_dir=tmp_path, width=16, verbose=0, keep=1, callbacks=[steps])
    before_g = [w.copy() for w in trainer.generator.get_weights()]
    before_d = [w.copy() for w in trainer.discriminator.get_weights()]
    history = trainer.train(3).history

    assert set(METRIC_NAMES) <= set(history)
    assert all(math.isfinite(v) for name in METRIC_NAMES for v in history[name])
    assert history["d_loss"][-1] < history["d_loss"][0]  # D learns to tell real from fake
    assert any(not np.allclose(a, b) for a, b in zip(before_g, trainer.generator.get_weights()))
    assert any(not np.allclose(a, b) for a, b in zip(before_d, trainer.discriminator.get_weights()))

    held_out = to_model_range(mnist.test[0][:256])
    fakes = trainer.generator.predict(fixed_noise(256, seed=5), verbose=0)
    real_acc = accuracy(trainer.discriminator.predict(held_out, verbose=0), True)
    fake_acc = accuracy(trainer.discriminator.predict(fakes, verbose=0), False)
    assert (real_acc + fake_acc) / 2 > 0.75, (real_acc, fake_acc)

    for epoch in (1, 2, 3):
        assert (tmp_path / f"samples-{epoch:04d}.png").is_file()
    assert [p.name for p in tmp_path.glob("ckpt-*")] == ["ckpt-0003.weights.h5"]  # keep=1
    assert trainer.images_per_second > 0

    # StepHistory undoes Keras' running means: 8 steps an epoch, whose mean is the epoch's value.
    per_step = steps.values["d_loss"]
    assert steps.epoch_ends == [8, 16, 24] and per_step.shape == (24,)
    for epoch, end in enumerate(steps.epoch_ends):
        assert per_step[end - 8:end].mean() == pytest.approx(history["d_loss"][epoch], rel=1e-4)
    assert json.loads((tmp_path / "checkpoint.json").read_text())["epoch"] == 3
    log = read_history(tmp_path)  # history.jsonl: one line per epoch with its wall time and metric means
    assert [line["epoch"] for line in log] == [1, 2, 3] and all(line["seconds"] > 0 for line in log)
    assert [line["d_loss"] for line in log] == pytest.approx(history["d_loss"])
    samples = trainer.gan.generate(10, seed=3)
    assert samples.shape == (10, 28, 28) and samples.dtype == np.uint8
    restored, epoch = restore_run(tmp_path)
    assert epoch == 3
    np.testing.assert_array_equal(restored.generate(10, seed=3), samples)


@pytest.mark.parametrize("settings", [
    {"ema_decay": None}, {"ema_decay": 0.99}, {"ema_decay": None, "update": "simultaneous"},
    {"ema_decay": 0.99, "codes": 10, "continuous": 2},                       # an InfoGAN
    {"ema_decay": None, "loss": "wgan-gp", "n_critic": 2, "r1": 1.0},        # penalties and k = 2 D steps
], ids=["plain", "ema", "simultaneous", "infogan", "wgan-gp"])
def test_interrupted_run_resumes_to_the_same_weights(few_images, tmp_path, settings):
    images = few_images[:256]
    settings = {"seed": 3, **settings, **SMALL}
    straight = Trainer(images, out_dir=tmp_path / "straight", **settings)
    straight.train(3)

    interrupted = Trainer(images, out_dir=tmp_path / "cut", callbacks=[Interrupt(epoch=1, batch=1)], **settings)
    with pytest.raises(KeyboardInterrupt):
        interrupted.train(3)
    resumed = Trainer(images, out_dir=tmp_path / "cut", resume=True, **settings)
    assert resumed.epoch == 1  # epoch 2 was cut short; epoch 1's checkpoint survived
    resumed.train(2)
    assert [line["epoch"] for line in read_history(tmp_path / "cut")] == [1, 2, 3]

    assert int(resumed.gan.g_optimizer.iterations) == int(straight.gan.g_optimizer.iterations) == 12
    k = settings.get("n_critic", 1)
    assert int(resumed.gan.d_optimizer.iterations) == int(straight.gan.d_optimizer.iterations) == 12 * k
    for a, b in zip(straight.gan.get_weights(), resumed.gan.get_weights()):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(straight.gan.generate(4), resumed.gan.generate(4))


def test_existing_run_is_never_overwritten(few_images, tmp_path):
    Trainer(few_images[:128], out_dir=tmp_path, **SMALL).train(1)
    with pytest.raises(CheckpointError, match="already holds a run"):
        Trainer(few_images[:128], out_dir=tmp_path, **SMALL)
    with pytest.raises(CheckpointError, match="batch_size"):
        Trainer(few_images[:128], out_dir=tmp_path, batch_size=32, resume=True, **SMALL)


def test_corrupt_checkpoint_is_refused(few_images, tmp_path):
    Trainer(few_images[:128], out_dir=tmp_path, **SMALL).train(1)
    checkpoint = tmp_path / "ckpt-0001.weights.h5"
    checkpoint.write_bytes(checkpoint.read_bytes()[:1000])
    with pytest.raises(CheckpointError, match="refusing corrupt checkpoint"):
        Trainer(few_images[:128], out_dir=tmp_path, resume=True, **SMALL)
    (tmp_path / "checkpoint.json").write_text("{not json")
    with pytest.raises(CheckpointError, match="unreadable"):
        Trainer(few_images[:128], out_dir=tmp_path, resume=True, **SMALL)


def test_nan_stops_training_and_keeps_the_last_good_checkpoint(few_images, tmp_path):
    poison = tf.Variable(0.0)

    def d_loss(real_logits, fake_logits):
        loss = losses.discriminator_loss(real_logits, fake_logits)
        return tf.where(poison > 0, tf.constant(float("nan")), loss)

    class PoisonSecondEpoch(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            poison.assign(1.0 if epoch == 1 else 0.0)

    trainer = Trainer(few_images[:128], out_dir=tmp_path, callbacks=[PoisonSecondEpoch()], **SMALL)
    trainer.gan.loss_pair = losses.GANLoss("breaks-in-epoch-2", d_loss, losses.generator_loss_nonsaturating)
    with pytest.raises(TrainingDiverged, match=r"NaN at epoch 2, step 1.*ckpt-0001"):
        trainer.train(3)
    state = json.loads((tmp_path / "checkpoint.json").read_text())
    assert state["epoch"] == 1
    restored = GAN(width=8)
    restored.compile()
    assert load_checkpoint(restored, tmp_path) == 1
    assert all(np.isfinite(w).all() for w in restored.get_weights())


def test_generator_file_round_trip_and_source_api(few_images, tmp_path):
    trainer = Trainer(few_images[:128], out_dir=tmp_path, gif=True, **SMALL)
    trainer.train(2)
    assert (tmp_path / "samples.gif").is_file()
    picture = trainer.generate_and_save_images(epoch=2)
    assert picture.name == "image_at_epoch_0002.png" and picture.stat().st_size > 0
    generator = load_generator(tmp_path / "generator.weights.h5")
    np.testing.assert_array_equal(trainer.gan.generate(8, seed=4), generate(generator, 8, seed=4))
    weights = tmp_path / "generator.weights.h5"
    weights.write_bytes(weights.read_bytes()[:-10])
    with pytest.raises(CheckpointError, match="corrupt"):
        load_generator(weights)
    with pytest.raises(CheckpointError, match="do not exist"):
        load_generator(tmp_path / "nope.weights.h5")
    with pytest.raises(ValueError, match=r"\*\.weights\.h5"):
        save_weights_with_settings(trainer.gan.sampler, tmp_path / "g.h5", {})


def test_trainer_rejects_bad_arguments(few_images, tmp_path):
    with pytest.raises(ValueError, match="no full batch"):
        Trainer(few_images[:10], out_dir=tmp_path, batch_size=64, **SMALL)
    with pytest.raises(ValueError, match="GANConfig has no setting 'widht'"):
        Trainer(few_images[:64], out_dir=tmp_path, widht=8)
    with pytest.raises(ValueError, match="pass labels"):
        Trainer(few_images[:64], out_dir=tmp_path, kind="conditional", **SMALL)
    with pytest.raises(ValueError, match="unknown model kind 'bigan'"):
        Trainer(few_images[:64], out_dir=tmp_path, kind="bigan", **SMALL)
    trainer = Trainer(few_images[:64], out_dir=tmp_path, **SMALL)
    with pytest.raises(ValueError, match="epochs"):
        trainer.train(-1)


def test_restore_gan_at_a_kept_epoch(few_images, tmp_path):
    from ganlib.runs import checkpoint_file
    from ganlib.sampling import sample

    trainer = Trainer(few_images[:256], out_dir=tmp_path, keep=None, **SMALL)
    trainer.train(1)
    after_one = trainer.gan.generate(4, seed=5)
    trainer.train(1)
    assert sorted(p.name for p in tmp_path.glob("ckpt-*")) == [checkpoint_file(tmp_path, e).name for e in (1, 2)]
    gan, epoch = restore_run(tmp_path, 1)
    assert epoch == 1
    np.testing.assert_array_equal(gan.generate(4, seed=5), after_one)
    np.testing.assert_array_equal(sample(gan.sampler, fixed_noise(4, seed=5)), after_one)
    assert restore_run(tmp_path, 2)[1] == restore_run(tmp_path)[1] == 2
    with pytest.raises(CheckpointError, match="only kept epochs"):
        restore_run(tmp_path, 7)
