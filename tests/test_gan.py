"""ganlib.gan: the GAN's train_step is Algorithm 1, with each loss and penalty of the config."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from ganlib import losses
from ganlib.data import make_dataset, to_model_range
from ganlib.config import InfoGANConfig
from ganlib.gan import GAN, SimultaneousGAN, input_gradients
from ganlib.model import discriminator_features
from ganlib.sampling import fixed_noise


@pytest.mark.parametrize("update", ["simultaneous", "alternating"])
def test_update_order(few_images, update):
    """Simultaneous: both gradients at the old weights on one noise batch. Alternating: G sees the new D."""
    real = to_model_range(few_images[:16])
    gan = (SimultaneousGAN if update == "simultaneous" else GAN)(width=8, seed=2, update=update)
    gan.compile(d_optimizer=keras.optimizers.SGD(0.5), g_optimizer=keras.optimizers.SGD(0.5))
    generator, discriminator = (keras.models.clone_model(m) for m in (gan.generator, gan.discriminator))
    generator.set_weights(gan.generator.get_weights())
    discriminator.set_weights(gan.discriminator.get_weights())
    z = gan.sample_latent(16, stream=0)
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
    with pytest.raises(ValueError, match="SimultaneousGAN"):
        GAN(width=8, update="simultaneous")


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


def test_gan_reads_its_settings_from_one_config():
    from ganlib.config import GANConfig

    gan = GAN(width=8, loss="ns", ema_decay=None)
    assert gan.config == GANConfig(width=8, ema_decay=None) and gan.config.loss == "non-saturating"
    assert GAN(config=GANConfig(width=8, seed=4)).config.seed == 4
    with pytest.raises(ValueError, match="no setting 'codes'.*InfoGAN"):
        GAN(width=8, codes=10)
    with pytest.raises(ValueError, match="unknown GAN loss"):
        GAN(width=8, loss="wasserstein")


@pytest.mark.parametrize("loss", ["ls", "wgan-gp", "hinge", "minimax"])
def test_every_loss_trains_and_its_d_loss_falls(few_images, loss):
    gan = GAN(width=8, seed=0, loss=loss, ema_decay=None, n_critic=2 if loss == "wgan-gp" else 1)
    gan.compile()
    history = gan.fit(make_dataset(few_images, 32, seed=0), steps_per_epoch=8, epochs=3, verbose=0).history
    assert all(np.isfinite(v) for v in history["d_loss"] + history["g_loss"])
    assert history["d_loss"][-1] < history["d_loss"][0], history["d_loss"]
    assert int(gan.d_optimizer.iterations) == gan.config.n_critic * int(gan.g_optimizer.iterations) == \
        gan.config.n_critic * 24


def linear_critic(weights):
    """D(x) = <w, x>: its input gradient is w at every x, so both penalties have closed forms."""
    w = tf.constant(weights.reshape(1, 28, 28, 1), tf.float32)
    return lambda images, training=True: tf.reduce_sum(images * w, axis=[1, 2, 3])[:, None]


def test_penalties_match_their_closed_forms_for_a_linear_critic():
    rng = np.random.default_rng(0)
    w = rng.normal(size=784).astype(np.float32) * 0.1
    real = tf.constant(rng.uniform(-1, 1, (8, 28, 28, 1)), tf.float32)
    fake = tf.constant(rng.uniform(-1, 1, (8, 28, 28, 1)), tf.float32)
    np.testing.assert_allclose(input_gradients(linear_critic(w), real).numpy(), np.tile(w.reshape(1, 28, 28, 1),
                                                                                        (8, 1, 1, 1)), rtol=1e-6)
    norm = np.linalg.norm(w)
    wgan = GAN(width=8, loss="wgan-gp", gp_weight=10.0, ema_decay=None)
    wgan.compile()
    np.testing.assert_allclose(float(wgan.penalty(linear_critic(w), real, fake)), 10.0 * (norm - 1.0) ** 2, rtol=1e-5)
    r1 = GAN(width=8, r1=4.0, ema_decay=None)
    r1.compile()
    np.testing.assert_allclose(float(r1.penalty(linear_critic(w), real, fake)), 4.0 / 2.0 * norm ** 2, rtol=1e-5)
    assert float(GAN(width=8, ema_decay=None).penalty(linear_critic(w), real, fake)) == 0.0


def test_wgan_gp_interpolates_with_uniform_weights():
    """x_hat = eps x + (1 - eps) G(z) with eps ~ U(0, 1) per image, a fresh draw each D step:
    D(x) = sum(x) on x = 1, G(z) = 0 images reads eps back from the interpolates."""
    seen = []
    gan = GAN(width=8, loss="wgan-gp", ema_decay=None)
    gan.compile()

    def spy(images, training=True):
        seen.append(tf.reduce_mean(images, axis=[1, 2, 3]))
        return tf.reduce_sum(images, axis=[1, 2, 3])[:, None]

    ones, zeros = tf.ones((4000, 28, 28, 1)), tf.zeros((4000, 28, 28, 1))
    gan.penalty(spy, ones, zeros)
    eps = seen[-1].numpy()
    assert eps.min() >= 0.0 and eps.max() <= 1.0
    assert abs(eps.mean() - 0.5) < 0.02 and abs(eps.var() - 1 / 12) < 0.01  # U(0, 1): mean 1/2, variance 1/12
    gan.d_optimizer.iterations.assign_add(1)
    gan.penalty(spy, ones, zeros)
    assert not np.allclose(seen[-1].numpy(), eps)  # the next D step draws new weights


def test_feature_matching_g_loss_compares_d_features_on_the_real_batch(few_images):
    gan = GAN(width=8, seed=0, feature_matching=True, ema_decay=None)
    real = tf.constant(few_images[:16])
    z = tf.random.stateless_normal((16, gan.config.latent_dim), seed=[0, 1])
    g_loss, _ = gan.generator_loss(real, z)
    features = discriminator_features(gan.discriminator)
    expected = losses.feature_matching_loss(features(real, training=True),
                                            features(gan.generator(z, training=True), training=True))
    assert float(g_loss) == pytest.approx(float(expected), rel=1e-4)
    gan.compile()
    history = gan.fit(make_dataset(few_images, 32, seed=0), steps_per_epoch=8, epochs=2, verbose=0).history
    assert all(np.isfinite(v) for v in history["g_loss"])
    with pytest.raises(ValueError, match="feature_matching is implemented for the dcgan kind"):
        InfoGANConfig(feature_matching=True)


@pytest.mark.parametrize("settings", [{"label_smoothing": 0.1}, {"d_norm": "spectral"}, {"d_norm": "layer"},
                                      {"d_norm": "none"}])
def test_tricks_and_normalisations_train(few_images, settings):
    gan = GAN(width=8, seed=0, ema_decay=None, **settings)
    gan.compile()
    history = gan.fit(make_dataset(few_images, 32, seed=0), steps_per_epoch=8, epochs=3, verbose=0).history
    assert all(np.isfinite(v) for v in history["d_loss"] + history["g_loss"])
    assert history["d_loss"][-1] < history["d_loss"][0], history["d_loss"]
    if "label_smoothing" in settings:
        with pytest.raises(ValueError, match="cross-entropy losses"):
            GAN(loss="hinge", label_smoothing=0.1)


def test_d_logs_report_the_critic_gap_in_closed_form():
    gan = GAN(width=4)
    real, fake = np.array([[1.0], [3.0]], np.float32), np.array([[0.0], [-2.0]], np.float32)
    logs = {name: float(value) for name, value in gan.d_logs(0.0, real, fake).items()}
    assert logs["d_gap"] == pytest.approx(2.0 - (-1.0))  # mean real logit minus mean fake logit
    assert logs["d_acc_real"] == 1.0 and logs["d_acc_fake"] == 1.0
    assert logs["d_real"] == pytest.approx(np.mean(1 / (1 + np.exp(-real))))
