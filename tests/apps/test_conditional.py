"""ganlib.apps.conditional: conditional batch norm, projection discriminator, ConditionalGAN, truncation."""

import keras
import numpy as np
import pytest

from ganlib.apps.conditional import (ConditionalBatchNorm, ConditionalGAN, class_report,
                                     class_samples, generate, is_conditional, make_conditional_generator,
                                     make_projection_discriminator, sample, truncated_noise)
from ganlib.data import make_dataset
from ganlib.errors import DataError
from ganlib.evaluator import features_and_probabilities
from ganlib.model import make_generator
from ganlib.gan import GAN
from ganlib.trainer import Trainer
from ganlib.runs import GENERATOR_FILE, read_history
from ganlib.callbacks import StepHistory
from ganlib.sampling import fixed_noise
from ganlib.registry import load_generator, restore_run

from conftest import Interrupt

SMALL = {"width": 8, "verbose": 0}


@pytest.fixture(scope="module")
def labelled(mnist):
    images, labels = mnist.train
    return images[:2048], labels[:2048]


def test_shapes():
    g = make_conditional_generator(latent_dim=12, width=4, classes=3)
    d = make_projection_discriminator(width=4, classes=3)
    images = np.asarray(g([np.zeros((5, 12), np.float32), np.array([0, 1, 2, 0, 1])]))
    assert images.shape == (5, 28, 28, 1)
    assert np.all(np.abs(images) <= 1)
    assert d([images, np.array([0, 1, 2, 0, 1])]).shape == (5, 1)
    assert any(isinstance(layer, keras.layers.SpectralNormalization) for layer in d.layers)
    assert not any(isinstance(layer, keras.layers.SpectralNormalization)
                   for layer in make_projection_discriminator(4, 3, spectral=False).layers)


def test_conditional_batch_norm_closed_form_and_classes_differ():
    layer = ConditionalBatchNorm(3, epsilon=1e-3)
    x = np.random.default_rng(0).normal(2.0, 3.0, (6, 4, 4, 5)).astype(np.float32)
    y = np.array([0, 1, 2, 0, 1, 2])
    plain = np.asarray(layer([x, y], training=True))
    mean, var = x.mean(axis=(0, 1, 2)), x.var(axis=(0, 1, 2))
    x_hat = (x - mean) / np.sqrt(var + 1e-3)
    np.testing.assert_allclose(plain, x_hat, atol=1e-4)  # zero embeddings: plain batch norm
    rng = np.random.default_rng(1)
    gamma, beta = rng.normal(size=(3, 5)), rng.normal(size=(3, 5))
    layer.gamma.assign(gamma)
    layer.beta.assign(beta)
    out = np.asarray(layer([x, y], training=True))
    np.testing.assert_allclose(out, (1 + gamma[y][:, None, None]) * x_hat + beta[y][:, None, None], atol=1e-4)
    same = np.repeat(x[:1], 3, axis=0)
    per_class = np.asarray(layer([same, np.array([0, 1, 2])], training=False))
    assert not np.allclose(per_class[0], per_class[1]) and not np.allclose(per_class[1], per_class[2])


def test_generator_output_depends_on_the_label():
    g = make_conditional_generator(latent_dim=8, width=4, classes=4)
    for layer in g.layers:
        if isinstance(layer, ConditionalBatchNorm):
            layer.beta.assign(np.random.default_rng(0).normal(size=layer.beta.shape))
    z = np.repeat(fixed_noise(1, 8), 4, axis=0)
    images = np.asarray(g([z, np.arange(4)], training=False))
    assert all(np.abs(images[i] - images[j]).max() > 1e-3 for i in range(4) for j in range(i))


def test_projection_term_closed_form():
    d = make_projection_discriminator(width=4, classes=5, spectral=False)
    x = np.random.default_rng(0).uniform(-1, 1, (7, 28, 28, 1)).astype(np.float32)
    y = np.array([0, 1, 2, 3, 4, 0, 4])
    phi = np.asarray(keras.Model(d.inputs, d.get_layer("phi").output)([x, y]))
    psi = [layer for layer in d.layers if isinstance(layer, keras.layers.Dense)][0]
    embedding = np.asarray(d.get_layer("projection").embedding)
    expected = phi @ np.asarray(psi.kernel) + np.asarray(psi.bias) + (embedding[y] * phi).sum(1, keepdims=True)
    np.testing.assert_allclose(np.asarray(d([x, y])), expected, rtol=1e-4, atol=1e-4)


def test_fake_labels_are_uniform_stateless_and_per_stream():
    gan = ConditionalGAN(width=4, seed=5)
    gan.compile()
    (z, a), (_, b) = gan.sample_latent(20000, 0), gan.sample_latent(20000, 0)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, gan.sample_latent(20000, 1)[1])
    counts = np.bincount(np.asarray(a), minlength=10)
    assert len(counts) == 10 and np.all(np.abs(counts - 2000) < 200)
    # the noise is the plain GAN's, from the same (seed, step, stream) key
    np.testing.assert_array_equal(z, GAN.sample_latent(gan, 20000, 0))


def test_truncated_noise():
    np.testing.assert_array_equal(truncated_noise(5, 10, seed=3), fixed_noise(5, 10, seed=3))
    z = truncated_noise(2000, 10, seed=0, threshold=0.5)
    assert z.dtype == np.float32 and z.shape == (2000, 10)
    assert np.abs(z).max() <= 0.5 and np.abs(z).max() > 0.45
    np.testing.assert_array_equal(z, truncated_noise(2000, 10, seed=0, threshold=0.5))
    # Closed form: a standard normal truncated at +-1 has variance 1 - 2 phi(1) / (2 Phi(1) - 1) = 0.2911.
    variance = float(truncated_noise(20000, 10, seed=1, threshold=1.0).var())
    assert abs(variance - 0.2911) < 0.005, variance
    with pytest.raises(ValueError, match="positive"):
        truncated_noise(5, 10, threshold=0)
    with pytest.raises(ValueError, match="positive integer"):
        truncated_noise(0, 10)


def test_sample_and_generate():
    g = make_conditional_generator(latent_dim=8, width=4, classes=3)
    out = generate(g, 2, 5, seed=1, truncation=1.0)
    assert out.dtype == np.uint8 and out.shape == (5, 28, 28)
    np.testing.assert_array_equal(out, sample(g, np.full(5, 2), truncated_noise(5, 8, 1, 1.0)))
    with pytest.raises(ValueError, match="0..2"):
        generate(g, 3, 2)
    cycling = generate(g, None, 6, seed=1)  # no label: the classes in turn
    np.testing.assert_array_equal(cycling, sample(g, np.arange(6) % 3, truncated_noise(6, 8, 1)))
    assert is_conditional(g) and not is_conditional(make_generator(latent_dim=8, width=4))
    with pytest.raises(ValueError, match="one per latent vector"):
        sample(g, np.zeros(3, int), fixed_noise(4, 8))
    with pytest.raises(ValueError, match="not a conditional generator"):
        sample(keras.Sequential([keras.Input((8,)), keras.layers.Dense(784)]), np.zeros(2, int), fixed_noise(2, 8))


def test_conditional_gan_refuses_codes_and_unlabelled_batches(labelled):
    with pytest.raises(ValueError, match="no setting 'codes'"):
        ConditionalGAN(width=4, codes=10)
    gan = ConditionalGAN(width=4)
    gan.compile()
    with pytest.raises(DataError, match="labels"):
        gan.fit(make_dataset(labelled[0][:64], 32), steps_per_epoch=1, epochs=1, verbose=0, shuffle=False)


def test_short_training_learns_the_labels(labelled):
    """800 steps (about 50 s on 2 cores): D's loss falls from its start and G's digits follow the labels."""
    keras.utils.set_random_seed(0)
    gan = ConditionalGAN(width=16, seed=0)
    gan.compile()
    steps = StepHistory()
    gan.fit(make_dataset(*labelled[:1], 32, seed=0, labels=labelled[1]), steps_per_epoch=800, epochs=1,
            verbose=0, callbacks=[steps], shuffle=False)
    d_loss = steps.values["d_loss"]
    assert d_loss[0] > 1.8 and d_loss[100:300].mean() < 1.2  # hinge: 2 at chance, lower once D separates
    labels = np.arange(500) % 10
    _, probabilities = features_and_probabilities(gan.generate(500, labels=labels))
    assert (probabilities.argmax(1) == labels).mean() > 0.3  # chance: 0.1


def test_interrupted_run_resumes_exactly(labelled, tmp_path):
    images, labels = labelled[0][:256], labelled[1][:256]
    settings = {"seed": 3, "ema_decay": 0.99, **SMALL}
    straight = Trainer(images, labels, kind="conditional", out_dir=tmp_path / "straight", **settings)
    straight.train(3)
    cut = Trainer(images, labels, kind="conditional", out_dir=tmp_path / "cut", callbacks=[Interrupt(epoch=1, batch=1)],
                  **settings)
    with pytest.raises(KeyboardInterrupt):
        cut.train(3)
    resumed = Trainer(images, labels, kind="conditional", out_dir=tmp_path / "cut", resume=True, **settings)
    assert resumed.epoch == 1
    resumed.train(2)
    assert [line["epoch"] for line in read_history(tmp_path / "cut")] == [1, 2, 3]
    for a, b in zip(straight.gan.get_weights(), resumed.gan.get_weights()):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    np.testing.assert_array_equal(straight.gan.generate(10), resumed.gan.generate(10))
    assert (tmp_path / "cut" / "samples-0003.png").exists()

    restored, epoch = restore_run(tmp_path / "cut")
    assert epoch == 3 and isinstance(restored, ConditionalGAN)
    np.testing.assert_array_equal(restored.generate(10), straight.gan.generate(10))
    generator = load_generator(tmp_path / "cut" / GENERATOR_FILE)
    assert is_conditional(generator)
    np.testing.assert_array_equal(generate(generator, 7, 4, seed=2),
                                  generate(straight.gan.sampler, 7, 4, seed=2))


def test_class_report_tells_right_labels_from_wrong(mnist):
    """Real digits with their true labels score like real data; with shuffled labels they do not."""
    (images, labels), (test_images, test_labels) = mnist.train, mnist.test
    images, labels = images[::5], labels[::5]  # 2,000 training images, about 200 per digit
    right = class_report(images, labels, test_images, test_labels)
    shuffled = class_report(images, np.random.default_rng(0).permutation(labels), test_images, test_labels)
    assert right["accuracy"] > 0.98 and min(right["class_accuracy"]) > 0.95
    assert 0.05 < shuffled["accuracy"] < 0.15  # chance is 0.1
    assert max(right["class_fid"]) < min(shuffled["class_fid"])  # every class: a mixture is far from the digit
    assert right["fid"] == pytest.approx(shuffled["fid"])  # the unconditional scores ignore the labels
    with pytest.raises(DataError, match="no examples of class"):
        class_report(images, labels, test_images[test_labels != 3], test_labels[test_labels != 3])
    with pytest.raises(DataError, match="one label per image"):
        class_report(images, labels[:-1], test_images, test_labels)


def test_class_samples_come_in_blocks_of_each_class():
    g = make_conditional_generator(latent_dim=8, width=4, classes=3)
    images, labels = class_samples(g, 4, seed=5, truncation=1.5)
    assert images.shape == (12, 28, 28) and images.dtype == np.uint8
    np.testing.assert_array_equal(labels, [0] * 4 + [1] * 4 + [2] * 4)
    np.testing.assert_array_equal(images, sample(g, labels, truncated_noise(12, 8, 5, 1.5)))


def test_concatenating_cgan_reads_the_label_as_inputs_and_trains():
    from ganlib.apps.conditional import OneHotLabel, make_networks
    from ganlib.config import ConditionalConfig

    maps = OneHotLabel(3, (2, 2))(np.array([2, 0]))
    assert maps.shape == (2, 2, 2, 3) and np.all(np.asarray(maps)[0, ..., 2] == 1) and np.all(np.asarray(maps)[1, ..., 0] == 1)
    c = ConditionalConfig(conditioning="concat", d_norm="batch", loss="ns", width=8)
    generator, discriminator = make_networks(c)
    z = keras.ops.convert_to_tensor(np.random.default_rng(0).normal(size=(4, c.latent_dim)), "float32")
    y = keras.ops.convert_to_tensor(np.array([0, 1, 2, 3]), "int32")
    assert generator([z, y]).shape == (4, 28, 28, 1) and discriminator([generator([z, y]), y]).shape == (4, 1)
    assert not np.allclose(generator([z, y]), generator([z, keras.ops.flip(y, 0)]))  # the label changes the image
    assert discriminator.get_layer("body").input.shape[-1] == 11


def test_label_accuracy_sees_whether_the_label_is_obeyed():
    import keras

    from ganlib import pretrained
    from ganlib.apps.conditional import label_accuracy

    shipped = pretrained.load("cgan-mnist")
    z = keras.Input((shipped.input_shape[0][-1],))
    y = keras.Input((), dtype="int32")
    shifted = keras.Model([z, y], shipped([z, (y + 1) % 10]))  # draws digit k + 1 when asked for k
    assert label_accuracy(shipped, n_per_class=30) > 0.9
    assert label_accuracy(shifted, n_per_class=30) < 0.1
