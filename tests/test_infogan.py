"""ganlib.infogan: the categorical and continuous codes, the info loss, training and restoring."""

import numpy as np
import pytest

from ganlib.errors import CheckpointError
from ganlib.infogan import InfoGAN
from ganlib.registry import load_generator, restore_run
from ganlib.sampling import fixed_noise
from ganlib.trainer import Trainer

SMALL = {"width": 8, "verbose": 0}


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
    restored, epoch = restore_run(tmp_path)
    assert isinstance(restored, InfoGAN) and restored.config.codes == 10 and epoch == 4
    np.testing.assert_array_equal(restored.generate(6, seed=2), trainer.gan.generate(6, seed=2))
    np.testing.assert_array_equal(load_generator(tmp_path / "generator.weights.h5").predict(z[:4], verbose=0),
                                  trainer.gan.sampler.predict(z[:4], verbose=0))
    with pytest.raises(ValueError, match="CategoricalCode"):
        InfoGAN(width=8, codes=10, generator=trainer.gan.discriminator)


def test_infogan_continuous_codes(few_images, tmp_path):
    from ganlib.model import latent_code
    from ganlib.infogan import CONTINUOUS_WEIGHT

    gan = InfoGAN(width=8, codes=10, continuous=2)
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
    alone = InfoGAN(width=8, codes=0, continuous=3)
    assert alone.code_head.output_shape == (None, 3)
    with pytest.raises(ValueError, match="continuous >= 0"):
        InfoGAN(width=8, codes=10, continuous=-1)
    with pytest.raises(ValueError, match="more than latent_dim=100"):
        InfoGAN(width=8, codes=10, continuous=100)
    with pytest.raises(ValueError, match="needs a code"):
        InfoGAN(width=8, codes=0)

    trainer = Trainer(few_images, out_dir=tmp_path, codes=10, continuous=2, batch_size=32, **SMALL)
    history = trainer.train(4).history
    assert history["info_loss"][-1] < history["info_loss"][0] - 0.05, history["info_loss"]
    restored, _ = restore_run(tmp_path)
    assert (restored.config.codes, restored.config.continuous) == (10, 2)
    with pytest.raises(CheckpointError, match="continuous: 2 -> 1"):
        Trainer(few_images, out_dir=tmp_path, codes=10, continuous=1, resume=True, **SMALL)


def test_information_lower_bound_closed_forms():
    from ganlib.infogan import information_lower_bound

    codes = np.array([0, 1, 2, 3, 1])
    assert information_lower_bound(np.eye(4)[codes], codes) == pytest.approx(np.log(4))  # a perfect Q: log K
    assert information_lower_bound(np.full((5, 4), 0.25), codes) == pytest.approx(0.0, abs=1e-12)  # guessing: 0
    half = np.full((5, 4), 0.5 / 3)
    half[np.arange(5), codes] = 0.5
    assert information_lower_bound(half, codes) == pytest.approx(np.log(4) + np.log(0.5))
    with pytest.raises(ValueError, match=r"\(N, K\)"):
        information_lower_bound(np.ones(4), codes)


def test_evaluator_q_reads_the_shipped_infogans_code():
    from ganlib.infogan import evaluator_code_probabilities, information_lower_bound
    from ganlib import pretrained

    generator = pretrained.load("dcgan-mnist")
    q, codes = evaluator_code_probabilities(generator, fixed_noise(50, generator.input_shape[-1], seed=3), 10)
    assert q.shape == (500, 10) and np.allclose(q.sum(axis=1), 1.0)
    assert (q.argmax(axis=1) == codes).mean() > 0.8  # the code mostly took the digit
    raw, tempered = information_lower_bound(q, codes), information_lower_bound(0.9 * q + 0.01, codes)
    assert 0 < raw < tempered <= np.log(10)  # a confident Q's mistakes cost it: any Q is a bound, some are tighter
    assert tempered > 0.6 * np.log(10)
