"""ganlib.apps.cyclegan: networks, losses, training, resume, translate, save/load, semantic loss."""

import keras
import numpy as np
import pytest

from ganlib.apps.cyclegan import (DIRECTIONS, METRIC_NAMES, CycleGAN,
                                  example_rows, generator_name, load_generators, lsgan_critic_loss,
                                  lsgan_generator_loss, make_patch_critic, make_translator,
                                  reconstruction_loss, save_generators, semantic_loss, translate)
from ganlib.classifiers import classifier_architecture, make_lenet5
from ganlib.evaluator import make_evaluator
from ganlib.data import to_model_range
from ganlib.errors import CheckpointError, DataError
from ganlib.callbacks import StepHistory
from ganlib.registry import restore_run
from ganlib.trainer import Trainer
from ganlib.runs import read_history
from ganlib.uci import load_uci_digits

from conftest import Interrupt

TINY = {"width": 4, "blocks": 1, "critic_width": 4}


@pytest.fixture(scope="module")
def uci():
    return load_uci_digits(seed=0)


@pytest.fixture(scope="module")
def tiny_generators():
    keras.utils.set_random_seed(1)
    model = CycleGAN(**TINY)
    return model.generators


def test_networks_shapes_ranges_and_size():
    g, d = make_translator(), make_patch_critic()
    images = np.random.default_rng(0).uniform(-1, 1, (5, 28, 28, 1)).astype(np.float32)
    out = np.asarray(g(images))
    assert out.shape == (5, 28, 28, 1) and np.abs(out).max() <= 1
    assert d(images).shape == (5, 7, 7, 1)
    assert any(isinstance(layer, keras.layers.GroupNormalization) for layer in g.layers)
    assert g.count_params() < 100_000  # both float32 generators together well under 3 MB
    with pytest.raises(ValueError, match="width must be a positive"):
        make_translator(width=0)


def test_instance_norm_normalises_each_image_on_its_own():
    g = make_translator(width=4, blocks=1)
    norm = next(layer for layer in g.layers if isinstance(layer, keras.layers.GroupNormalization))
    x = np.random.default_rng(0).normal(3.0, 2.0, (2, 5, 5, 4)).astype(np.float32)
    out = np.asarray(norm(x))
    np.testing.assert_allclose(out, (x - x.mean((1, 2), keepdims=True)) / np.sqrt(x.var((1, 2), keepdims=True) + 1e-5),
                               atol=1e-4)


def test_losses_closed_forms():
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(4, 7, 7, 1)).astype(np.float32), rng.normal(size=(4, 7, 7, 1)).astype(np.float32)
    np.testing.assert_allclose(lsgan_critic_loss(real, fake), 0.5 * (((real - 1) ** 2).mean() + (fake ** 2).mean()),
                               rtol=1e-5)
    np.testing.assert_allclose(lsgan_generator_loss(fake), ((fake - 1) ** 2).mean(), rtol=1e-5)
    assert float(lsgan_critic_loss(np.ones(3), np.zeros(3))) == 0.0 and float(lsgan_generator_loss(np.ones(3))) == 0.0
    x, x2, y, y2 = (rng.uniform(-1, 1, (3, 28, 28, 1)).astype(np.float32) for _ in range(4))
    np.testing.assert_allclose(reconstruction_loss(x, x2, y, y2, 10.0),
                               10 * (np.abs(x2 - x).mean() + np.abs(y2 - y).mean()), rtol=1e-5)


def test_model_loss_terms_are_the_documented_formulas():
    keras.utils.set_random_seed(0)
    model = CycleGAN(**TINY)
    rng = np.random.default_rng(2)
    x, y = (rng.uniform(-1, 1, (3, 28, 28, 1)).astype(np.float32) for _ in range(2))
    G, F, DX, DY = (lambda a, m=m: np.asarray(m(a)) for m in (model.mnist_to_uci, model.uci_to_mnist,
                                                               model.critic_mnist, model.critic_uci))
    terms = {k: float(v) for k, v in model.generator_losses(x, y, G(x), F(y)).items()}
    assert model.cycle_weight == 10.0 and model.identity_weight == 5.0
    np.testing.assert_allclose(terms["adversarial"], ((DY(G(x)) - 1) ** 2).mean() + ((DX(F(y)) - 1) ** 2).mean(),
                               rtol=1e-4)
    np.testing.assert_allclose(terms["cycle"], 10 * (np.abs(F(G(x)) - x).mean() + np.abs(G(F(y)) - y).mean()),
                               rtol=1e-4)
    np.testing.assert_allclose(terms["identity"], 5 * (np.abs(F(x) - x).mean() + np.abs(G(y) - y).mean()), rtol=1e-4)
    critics = {k: float(v) for k, v in model.critic_losses(x, y, G(x), F(y)).items()}
    np.testing.assert_allclose(critics["d_uci"], 0.5 * (((DY(y) - 1) ** 2).mean() + (DY(G(x)) ** 2).mean()), rtol=1e-4)
    np.testing.assert_allclose(critics["d_mnist"], 0.5 * (((DX(x) - 1) ** 2).mean() + (DX(F(y)) ** 2).mean()),
                               rtol=1e-4)


def test_train_step_refuses_unpaired_batches(mnist):
    model = CycleGAN(**TINY)
    model.compile()
    with pytest.raises(DataError, match="zip two make_dataset"):
        model.fit(to_model_range(mnist.train[0][:8]), batch_size=8, epochs=1, verbose=0)


def test_short_training_lowers_the_cycle_loss(mnist, uci, tmp_path):
    """A few seconds of training: the cycle loss falls well below its start, the critics learn."""
    steps = StepHistory(names=METRIC_NAMES)
    trainer = Trainer(mnist.train[0][:1024], kind="cyclegan", second=uci.train, out_dir=tmp_path, width=8, blocks=1,
                      critic_width=8, semantic_weight=0.0, steps_per_epoch=30, verbose=0, callbacks=[steps])
    history = trainer.train(2).history
    cycle, d_uci = steps.values["cycle"], steps.values["d_uci"]
    assert cycle[-10:].mean() < 0.5 * cycle[:3].mean(), (cycle[:3], cycle[-10:])
    assert np.isfinite(history["g_loss"]).all() and d_uci[-10:].mean() < d_uci[:3].mean()
    assert [line["epoch"] for line in read_history(tmp_path)] == [1, 2]
    generators = load_generators(tmp_path)
    images = mnist.test[0][:16]
    np.testing.assert_array_equal(translate(images, "mnist_to_uci", generators),
                                  translate(images, "mnist_to_uci", trainer.gan.generators))


def test_interrupted_run_resumes_exactly(mnist, uci, tmp_path):
    settings = {"kind": "cyclegan", "seed": 4, "steps_per_epoch": 3, "batch_size": 8, "verbose": 0,
                "semantic_weight": 0.0, **TINY}
    data = (mnist.train[0][:200],)
    settings["second"] = (uci.train[0][:100], None)
    straight = Trainer(*data, out_dir=tmp_path / "straight", **settings)
    straight.train(2)
    cut = Trainer(*data, out_dir=tmp_path / "cut", callbacks=[Interrupt(epoch=1, batch=1)], **settings)
    with pytest.raises(KeyboardInterrupt):
        cut.train(2)
    with pytest.raises(CheckpointError, match="already holds a run"):
        Trainer(*data, out_dir=tmp_path / "cut", **settings)
    with pytest.raises(CheckpointError, match="other settings"):
        Trainer(*data, out_dir=tmp_path / "cut", resume=True, **{**settings, "seed": 5})
    resumed = Trainer(*data, out_dir=tmp_path / "cut", resume=True, **settings)
    assert resumed.epoch == 1
    resumed.train(1)
    assert [line["epoch"] for line in read_history(tmp_path / "cut")] == [1, 2]
    for a, b in zip(straight.gan.get_weights(), resumed.gan.get_weights()):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    first = straight.gan.get_weights()
    assert any(not np.allclose(a, b) for a, b in zip(first, CycleGAN(**TINY).get_weights()))
    restored, epoch = restore_run(tmp_path / "cut")
    assert isinstance(restored, CycleGAN)
    assert epoch == 2
    for a, b in zip(restored.get_weights(), resumed.gan.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(CheckpointError, match="no checkpoint in"):
        restore_run(tmp_path / "nothing")


def test_translate_returns_uint8_and_refuses_bad_input(tiny_generators, mnist):
    out = translate(mnist.test[0][:5], "mnist_to_uci", tiny_generators)
    assert out.dtype == np.uint8 and out.shape == (5, 28, 28)
    back = translate(out, "uci_to_mnist", tiny_generators)
    assert back.dtype == np.uint8 and back.shape == (5, 28, 28)
    with pytest.raises(DataError, match=r"the digits must be uint8 of shape \(N, 28, 28\)"):
        translate(mnist.test[0][:5].astype(np.float32), "mnist_to_uci", tiny_generators)
    with pytest.raises(DataError, match=r"the digits must be uint8 of shape \(N, 28, 28\)"):
        translate(np.zeros((2, 8, 8), np.uint8), "uci_to_mnist", tiny_generators)
    with pytest.raises(DataError, match="choose one of"):
        translate(mnist.test[0][:5], "mnist_to_svhn", tiny_generators)


def test_save_load_roundtrip_and_corrupt_weights_refused(tiny_generators, mnist, tmp_path):
    model = CycleGAN(**TINY)
    for direction in DIRECTIONS:
        model.generators[direction].set_weights(tiny_generators[direction].get_weights())
    files = save_generators(model, tmp_path, {**TINY})
    assert sorted(p.name for p in files) == sorted(generator_name(d) for d in DIRECTIONS)
    shipped_style = save_generators(model, tmp_path / "assets", {**TINY}, variant="semantic")
    assert [p.name for p in shipped_style] == [f"cyclegan-semantic-{d}.weights.h5" for d in DIRECTIONS]
    loaded = load_generators(tmp_path)
    for direction in DIRECTIONS:
        np.testing.assert_array_equal(translate(mnist.test[0][:8], direction, loaded),
                                      translate(mnist.test[0][:8], direction, tiny_generators))
    weights = tmp_path / generator_name("uci_to_mnist")
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0xFF
    weights.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="refusing corrupt"):
        load_generators(tmp_path)
    with pytest.raises(CheckpointError, match="holds no cyclegan-mnist_to_uci"):
        load_generators(tmp_path / "empty")


def test_shipped_variants_have_their_own_files_and_settings():
    from ganlib.apps.cyclegan import VARIANTS, check_variant, shipped_generator_name
    from ganlib.runs import read_weights_settings
    from ganlib import assets

    assert shipped_generator_name("mnist_to_uci", "label-free") == generator_name("mnist_to_uci")
    assert shipped_generator_name("uci_to_mnist", "semantic") == "cyclegan-semantic-uci_to_mnist.weights.h5"
    for variant in VARIANTS:
        generators = load_generators(variant=variant)
        assert sorted(generators) == sorted(DIRECTIONS)
        config = read_weights_settings(assets.path(shipped_generator_name("mnist_to_uci", variant)))
        assert bool(config.get("semantic_weight")) == (variant == "semantic")
    semantic = read_weights_settings(assets.path(shipped_generator_name("mnist_to_uci", "semantic")))
    assert semantic["semantic_classifier"] == "lenet5"  # no reader of the benchmark shares its architecture
    keep = semantic["scores"]["cnn"]["label_preservation"]
    assert min(keep.values()) >= 0.9  # the recorded benchmark of the shipped pair
    with pytest.raises(DataError, match="unknown CycleGAN variant 'plain'.*label-free"):
        check_variant("plain")
    with pytest.raises(DataError, match="unknown CycleGAN variant"):
        load_generators(variant="plain")


def test_example_rows(tiny_generators, mnist, uci):
    rows = example_rows(tiny_generators, mnist.test[0][:4], uci.test[0][:4])
    assert rows.shape == (24, 28, 28) and rows.dtype == np.uint8
    np.testing.assert_array_equal(rows[:4], mnist.test[0][:4])
    np.testing.assert_array_equal(rows[4:8], translate(mnist.test[0][:4], "mnist_to_uci", tiny_generators))
    with pytest.raises(DataError, match="as many"):
        example_rows(tiny_generators, mnist.test[0][:4], uci.test[0][:3])


def cross_entropy(logits, labels):
    logits = np.asarray(logits, np.float64)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -log_p[np.arange(len(labels)), labels].mean()


def test_semantic_loss_is_the_two_cross_entropies():
    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(5, 10)).astype(np.float32), rng.normal(size=(5, 10)).astype(np.float32)
    la, lb = rng.integers(0, 10, 5), rng.integers(0, 10, 5)
    np.testing.assert_allclose(float(semantic_loss(a, la, b, lb)), cross_entropy(a, la) + cross_entropy(b, lb),
                               rtol=1e-5)
    sure = 50.0 * np.eye(10, dtype=np.float32)[la]  # a classifier certain of the source's label: no loss
    assert float(semantic_loss(sure, la, sure, la)) < 1e-6


def test_semantic_term_reads_translations_with_the_other_domains_classifier():
    keras.utils.set_random_seed(0)
    f_mnist, f_uci = make_evaluator(), make_evaluator()
    model = CycleGAN(**TINY, semantic_weight=2.0, classifiers=(f_mnist, f_uci))
    assert not f_mnist.trainable and not f_uci.trainable and "semantic" in model.trackers
    rng = np.random.default_rng(2)
    x, y = (rng.uniform(-1, 1, (4, 28, 28, 1)).astype(np.float32) for _ in range(2))
    fake_y, fake_x = np.asarray(model.mnist_to_uci(x)), np.asarray(model.uci_to_mnist(y))
    terms = model.generator_losses(x, y, fake_y, fake_x)
    expected = 2.0 * (cross_entropy(f_uci(fake_y), np.asarray(f_mnist(x)).argmax(1))
                      + cross_entropy(f_mnist(fake_x), np.asarray(f_uci(y)).argmax(1)))
    np.testing.assert_allclose(float(terms["semantic"]), expected, rtol=1e-4)
    assert "semantic" not in CycleGAN(**TINY).generator_losses(x, y, fake_y, fake_x)
    with pytest.raises(ValueError, match="semantic_weight must be >= 0"):
        CycleGAN(**TINY, semantic_weight=-1.0)


def test_lenet5_is_another_architecture_with_the_evaluators_interface():
    lenet, evaluator = make_lenet5(), make_evaluator()
    x = np.zeros((3, 28, 28, 1), np.float32)
    assert lenet(x).shape == evaluator(x).shape == (3, 10)
    kinds = {type(layer).__name__ for layer in lenet.layers}
    assert "AveragePooling2D" in kinds and "MaxPooling2D" not in kinds
    assert classifier_architecture("lenet5") is make_lenet5 and classifier_architecture("evaluator") is make_evaluator
    with pytest.raises(DataError, match="unknown classifier architecture 'resnet'.*lenet5"):
        classifier_architecture("resnet")
    with pytest.raises(DataError, match="unknown classifier architecture"):
        CycleGAN(**TINY, semantic_weight=1.0, semantic_classifier="resnet")


@pytest.mark.parametrize("architecture", ["evaluator", "lenet5"])
def test_semantic_run_keeps_its_classifiers_frozen_and_resumes_them(mnist, uci, tmp_path, architecture):
    data = (mnist.train[0][:200],)
    labels = {"labels": mnist.train[1][:200]}
    settings = {"kind": "cyclegan", "seed": 2, "steps_per_epoch": 3, "batch_size": 8, "verbose": 0,
                "semantic_weight": 1.0, "semantic_classifier": architecture, "second": (uci.train[0][:100], uci.train[1][:100]),
                **TINY}
    with pytest.raises(DataError, match="pass the MNIST labels"):
        Trainer(*data, out_dir=tmp_path / "none", **settings)
    trainer = Trainer(*data, out_dir=tmp_path / "run", **settings, **labels)
    assert trainer.config.semantic_classifier == architecture
    assert trainer.gan.classifier_mnist.name == classifier_architecture(architecture)().name
    before = [w.copy() for w in trainer.gan.classifier_uci.get_weights()]
    history = trainer.train(1).history
    assert np.isfinite(history["semantic"]).all() and history["semantic"][0] > 0
    for a, b in zip(before, trainer.gan.classifier_uci.get_weights()):
        np.testing.assert_array_equal(a, b)  # frozen: only the translators and critics learn
    assert read_history(tmp_path / "run")[0]["semantic"] > 0
    restored, epoch = restore_run(tmp_path / "run")
    assert epoch == 1 and restored.semantic_weight == 1.0
    for a, b in zip(restored.classifier_mnist.get_weights(), trainer.gan.classifier_mnist.get_weights()):
        np.testing.assert_array_equal(a, b)
    resumed = Trainer(*data, out_dir=tmp_path / "run", resume=True, **settings, **labels)
    for a, b in zip(resumed.gan.get_weights(), trainer.gan.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_semantic_classifier_names_agree_across_config_app_and_classifiers():
    from ganlib import classifiers, config
    from ganlib.apps import cyclegan

    assert set(cyclegan.SEMANTIC_CLASSIFIERS) == set(config.SEMANTIC_CLASSIFIERS) == set(classifiers.ARCHITECTURES)
