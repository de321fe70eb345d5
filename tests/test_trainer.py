import json
import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from ganlib import losses
from ganlib.data import make_dataset, to_model_range
from ganlib.errors import CheckpointError, TrainingDiverged
from ganlib.trainer import (GAN, METRIC_NAMES, StepHistory, Trainer, fixed_noise, generate, load_checkpoint,
                            load_generator, read_history, restore_gan, save_generator)
from ganlib.utils import accuracy

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
    restored, epoch = restore_gan(tmp_path)
    assert epoch == 3
    np.testing.assert_array_equal(restored.generate(10, seed=3), samples)


class Interrupt(keras.callbacks.Callback):
    """Raise KeyboardInterrupt in the middle of epoch ``epoch`` (0-based), like Ctrl-C."""

    def __init__(self, epoch, batch):
        super().__init__()
        self.epoch, self.batch, self.current = epoch, batch, 0

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.current, batch) == (self.epoch, self.batch):
            raise KeyboardInterrupt


@pytest.mark.parametrize("ema_decay, update, codes, continuous",
                         [(None, "alternating", 0, 0), (0.99, "alternating", 0, 0),
                          (None, "simultaneous", 0, 0), (0.99, "alternating", 10, 2)])
def test_interrupted_run_resumes_to_the_same_weights(few_images, tmp_path, ema_decay, update, codes, continuous):
    images = few_images[:256]
    settings = {"seed": 3, "ema_decay": ema_decay, "update": update, "codes": codes, "continuous": continuous,
                **SMALL}
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
    for a, b in zip(straight.gan.get_weights(), resumed.gan.get_weights()):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(straight.gan.generate(4), resumed.gan.generate(4))


@pytest.mark.parametrize("update", ["simultaneous", "alternating"])
def test_update_order(few_images, update):
    """Simultaneous: both gradients at the old weights on one noise batch. Alternating: G sees the new D."""
    real = to_model_range(few_images[:16])
    gan = GAN(width=8, seed=2, update=update)
    gan.compile(d_optimizer=keras.optimizers.SGD(0.5), g_optimizer=keras.optimizers.SGD(0.5))
    generator, discriminator = (keras.models.clone_model(m) for m in (gan.generator, gan.discriminator))
    generator.set_weights(gan.generator.get_weights())
    discriminator.set_weights(gan.discriminator.get_weights())
    z = gan.noise(16, 0)
    with tf.GradientTape(persistent=True) as tape:
        fake_logits = discriminator(generator(z, training=True), training=True)
        d_loss = losses.discriminator_loss(discriminator(real, training=True), fake_logits)
        g_loss = losses.generator_loss_nonsaturating(fake_logits)
    expected_d = [w - 0.5 * g for w, g in zip(discriminator.trainable_weights,
                                              tape.gradient(d_loss, discriminator.trainable_weights))]
    expected_g = [w - 0.5 * g for w, g in zip(generator.trainable_weights,
                                              tape.gradient(g_loss, generator.trainable_weights))]
    gan.train_step(tf.constant(real))
    for expected, actual in zip(expected_d, gan.discriminator.trainable_weights):
        np.testing.assert_allclose(expected, actual, rtol=1e-4, atol=1e-5)
    g_matches = all(np.allclose(e, a, rtol=1e-4, atol=1e-5) for e, a in zip(expected_g, gan.generator.trainable_weights))
    assert g_matches == (update == "simultaneous")
    with pytest.raises(ValueError, match="update must be one of"):
        GAN(width=8, update="sideways")


def test_infogan_code_is_uniform_and_learned(few_images, tmp_path):
    from ganlib.model import CategoricalCode, latent_code

    z = fixed_noise(20000, seed=1)
    counts = np.bincount(np.asarray(latent_code(z, 10)), minlength=10)
    assert counts.sum() == 20000 and counts.min() > 1800 and counts.max() < 2200  # uniform: 2000 each
    layer = CategoricalCode(10)
    out = np.asarray(layer(z[:5]))
    assert out.shape == (5, 109)
    np.testing.assert_array_equal(out[:, :10].argmax(1), np.asarray(latent_code(z[:5], 10)))
    np.testing.assert_array_equal(out[:, 10:], z[:5, 1:])
    with pytest.raises(ValueError, match="at least 2 categories"):
        CategoricalCode(1)

    trainer = Trainer(few_images, out_dir=tmp_path, codes=10, batch_size=32, **SMALL)
    history = trainer.train(4).history
    # The code head starts to read c from G(z): its cross-entropy falls (2.60 -> 2.44 measured).
    assert history["info_loss"][-1] < history["info_loss"][0] - 0.05, history["info_loss"]
    restored, epoch = restore_gan(tmp_path)
    assert restored.codes == 10 and epoch == 4
    np.testing.assert_array_equal(restored.generate(6, seed=2), trainer.gan.generate(6, seed=2))
    np.testing.assert_array_equal(load_generator(tmp_path / "generator.weights.h5").predict(z[:4], verbose=0),
                                  trainer.gan.sampler.predict(z[:4], verbose=0))
    with pytest.raises(ValueError, match="CategoricalCode"):
        GAN(width=8, codes=10, generator=trainer.gan.discriminator)


def test_infogan_continuous_codes(few_images, tmp_path):
    from ganlib.model import latent_code
    from ganlib.trainer import CONTINUOUS_WEIGHT

    gan = GAN(width=8, codes=10, continuous=2)
    z = fixed_noise(64, seed=4)
    _, features = gan.critic(gan.generator(z, training=True))
    outputs = np.asarray(gan.code_head(features, training=True))
    assert outputs.shape == (64, 12)  # 10 logits, then the 2 continuous predictions
    logits = outputs[:, :10] - outputs[:, :10].max(1, keepdims=True)
    log_q = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    cross_entropy = -log_q[np.arange(64), np.asarray(latent_code(z, 10))].mean()
    gaussian = (((outputs[:, 10:] - z[:, 1:3]) ** 2).sum(1) / 2).mean()  # the codes are z_1, z_2
    np.testing.assert_allclose(float(gan.info_loss(z, features)), cross_entropy + CONTINUOUS_WEIGHT * gaussian,
                               rtol=1e-4)
    # Without a categorical code the continuous codes are the first noise coordinates.
    alone = GAN(width=8, continuous=3)
    assert alone.infogan and alone.code_head.output_shape == (None, 3)
    for bad in (-1, 100):
        with pytest.raises(ValueError, match="continuous codes must number 0 to 99"):
            GAN(width=8, codes=10, continuous=bad)

    trainer = Trainer(few_images, out_dir=tmp_path, codes=10, continuous=2, batch_size=32, **SMALL)
    history = trainer.train(4).history
    assert history["info_loss"][-1] < history["info_loss"][0] - 0.05, history["info_loss"]
    restored, _ = restore_gan(tmp_path)
    assert (restored.codes, restored.continuous) == (10, 2)
    with pytest.raises(CheckpointError, match="continuous"):
        Trainer(few_images, out_dir=tmp_path, codes=10, continuous=1, resume=True, **SMALL)


def test_generator_moving_average(few_images):
    gan = GAN(width=8, ema_decay=0.999)
    gan.compile()
    initial = [w.copy() for w in gan.generator_ema.get_weights()]
    gan.fit(make_dataset(few_images[:32], batch_size=32, repeat=False), epochs=1, verbose=0)
    # First step (t = 0): decay = min(0.999, 1/10) = 0.1, so ema = 0.1 * initial + 0.9 * new.
    for start, average, new in zip(initial, gan.generator_ema.get_weights(), gan.generator.get_weights()):
        np.testing.assert_allclose(average, 0.1 * start + 0.9 * new, rtol=1e-5, atol=1e-6)
    assert gan.sampler is gan.generator_ema
    assert GAN(width=8).sampler is not None
    with pytest.raises(ValueError, match="ema_decay"):
        GAN(width=8, ema_decay=1.5)


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

    broken = losses.GANLoss("breaks-in-epoch-2", d_loss, losses.generator_loss_nonsaturating)
    trainer = Trainer(few_images[:128], out_dir=tmp_path, loss=broken, callbacks=[PoisonSecondEpoch()], **SMALL)
    with pytest.raises(TrainingDiverged, match=r"NaN at epoch 2, step 1.*ckpt-0001"):
        trainer.train(3)
    state = json.loads((tmp_path / "checkpoint.json").read_text())
    assert state["epoch"] == 1
    restored = GAN(width=8)
    restored.compile()
    assert load_checkpoint(restored, tmp_path) == 1
    assert all(np.isfinite(w).all() for w in restored.get_weights())


def test_gan_trains_with_plain_fit_and_keras_callbacks(few_images, tmp_path):
    gan = GAN(width=8, seed=1)
    gan.compile()
    dataset = make_dataset(few_images[:128], batch_size=32, repeat=False)
    history = gan.fit(dataset, epochs=2, verbose=0,
                      callbacks=[keras.callbacks.BackupAndRestore(str(tmp_path / "backup")),
                                 keras.callbacks.CSVLogger(str(tmp_path / "log.csv"))])
    assert len(history.history["g_loss"]) == 2
    assert int(gan.g_optimizer.iterations) == 2 * 4  # two epochs of 128 // 32 steps
    assert "d_acc_real" in (tmp_path / "log.csv").read_text()
    assert gan(fixed_noise(2)).shape == (2, 28, 28, 1)


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
        save_generator(trainer.gan, tmp_path / "g.h5", {})


def test_trainer_rejects_bad_arguments(few_images, tmp_path):
    with pytest.raises(ValueError, match="no full batch"):
        Trainer(few_images[:10], out_dir=tmp_path, batch_size=64, **SMALL)
    trainer = Trainer(few_images[:64], out_dir=tmp_path, **SMALL)
    with pytest.raises(ValueError, match="epochs"):
        trainer.train(-1)


def test_restore_gan_at_a_kept_epoch(few_images, tmp_path):
    from ganlib.trainer import checkpoint_file, sample

    trainer = Trainer(few_images[:256], out_dir=tmp_path, keep=None, **SMALL)
    trainer.train(1)
    after_one = trainer.gan.generate(4, seed=5)
    trainer.train(1)
    assert sorted(p.name for p in tmp_path.glob("ckpt-*")) == [checkpoint_file(tmp_path, e).name for e in (1, 2)]
    gan, epoch = restore_gan(tmp_path, 1)
    assert epoch == 1
    np.testing.assert_array_equal(gan.generate(4, seed=5), after_one)
    np.testing.assert_array_equal(sample(gan.sampler, fixed_noise(4, seed=5)), after_one)
    assert restore_gan(tmp_path, 2)[1] == restore_gan(tmp_path)[1] == 2
    with pytest.raises(CheckpointError, match="only kept epochs"):
        restore_gan(tmp_path, 7)


def test_hooks_leave_the_plain_gan_unchanged(few_images, mnist):
    """The conditional GAN's hooks are identities for a plain GAN: labels in the batches change nothing."""
    assert GAN.fake_input(None, "fake", "z") == "fake"
    labels = mnist.train[1][:512]
    weights = []
    for with_labels in (False, True):
        keras.utils.set_random_seed(1)
        gan = GAN(width=8, seed=2, ema_decay=0.99)
        gan.compile()
        np.testing.assert_array_equal(gan.generator_input(4, 1), gan.noise(4, 1))
        dataset = make_dataset(few_images, 32, seed=0, labels=labels if with_labels else None)
        gan.fit(dataset, steps_per_epoch=4, epochs=1, verbose=0, shuffle=False)
        weights.append(gan.get_weights())
    for a, b in zip(*weights):
        np.testing.assert_array_equal(a, b)
