"""ganlib.registry: a run's recorded kind gives back its model; old records still load."""

import json

import numpy as np
import pytest

from ganlib.apps.conditional import ConditionalGAN
from ganlib.config import ConditionalConfig, GANConfig, InfoGANConfig, to_dict
from ganlib.gan import GAN, SimultaneousGAN
from ganlib.infogan import InfoGAN
from ganlib.registry import KINDS, build_model, load_generator, model_kind
from ganlib.runs import save_weights_with_settings
from ganlib.sampling import generate


@pytest.mark.parametrize("config, cls", [(GANConfig(width=4), GAN), (GANConfig(width=4, update="simultaneous",
                                                                              ema_decay=None), SimultaneousGAN),
                                         (InfoGANConfig(width=4), InfoGAN), (ConditionalConfig(width=4), ConditionalGAN)])
def test_each_kind_builds_its_model_from_its_config(config, cls):
    model = build_model(config)
    assert type(model) is cls and model.config == config


def test_generators_load_by_recorded_kind_and_from_old_records_without_one(tmp_path):
    gan = build_model(InfoGANConfig(width=4, codes=10))
    new = save_weights_with_settings(gan.sampler, tmp_path / "new.weights.h5", to_dict(gan.config))
    old_record = {key: value for key, value in to_dict(gan.config).items() if key != "kind"}  # ganlib 0.1
    old = save_weights_with_settings(gan.sampler, tmp_path / "old.weights.h5", old_record)
    expected = generate(gan.sampler, 4, seed=1)
    for path in (new, old):
        np.testing.assert_array_equal(generate(load_generator(path), 4, seed=1), expected)
    assert json.loads((tmp_path / "new.json").read_text())["kind"] == "infogan"


def test_unknown_kinds_are_refused_with_the_choices():
    with pytest.raises(ValueError, match="unknown model kind 'bigan'"):
        model_kind("bigan")
    assert {"dcgan", "infogan", "conditional", "cyclegan", "anogan-encoder"} == set(KINDS)
