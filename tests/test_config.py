"""ganlib.config: typed settings, declared once, without TensorFlow."""

import subprocess
import sys

import pytest

from ganlib import config, defaults
from ganlib.config import (ConditionalConfig, CycleGANConfig, GANConfig, InfoGANConfig, changed_settings, cli_options,
                           from_dict, to_dict)


def test_config_module_imports_no_tensorflow():
    code = "import sys, ganlib.config, ganlib.defaults; print('tensorflow' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "False"


def test_defaults_read_the_dataclass():
    assert (defaults.LATENT_DIM, defaults.DEFAULT_WIDTH, defaults.DEFAULT_BATCH_SIZE, defaults.DEFAULT_EMA_DECAY) == \
        (GANConfig().latent_dim, GANConfig().width, GANConfig().batch_size, GANConfig().ema_decay) == (100, 32, 64, 0.999)


def test_round_trip_through_a_dict_keeps_kind_and_settings():
    for settings in (GANConfig(width=16), InfoGANConfig(codes=10, continuous=2), ConditionalConfig(classes=5),
                     CycleGANConfig(semantic_weight=0.0)):
        record = to_dict(settings)
        assert record["kind"] == settings.kind
        assert from_dict({**record, "epochs": 3, "sha256": "ab", "scores": {}}) == settings


def test_records_without_a_kind_are_read_as_before():
    assert from_dict({"codes": 10, "continuous": 2}).kind == "infogan"
    assert from_dict({"conditional": True, "classes": 10, "loss": "hinge"}).kind == "conditional"
    assert from_dict({"codes": 0, "width": 32}) == GANConfig()


def test_subclass_defaults_override_the_parents():
    assert ConditionalConfig().loss == "hinge" and GANConfig().loss == "non-saturating"
    assert CycleGANConfig().batch_size == 32


def test_changed_settings_name_each_difference():
    assert changed_settings(GANConfig(), GANConfig()) == []
    assert changed_settings(GANConfig(), GANConfig(ema_decay=None, batch_size=32)) == \
        ["batch_size: 64 -> 32", "ema_decay: 0.999 -> None"]
    assert changed_settings(GANConfig(), InfoGANConfig()) == ["kind: 'dcgan' -> 'infogan'"]


@pytest.mark.parametrize("bad, message", [
    (dict(batch_size=0), "batch_size"), (dict(loss="wasserstein"), "unknown GAN loss"),
    (dict(ema_decay=1.5), "ema_decay"), (dict(n_critic=0), "n_critic"), (dict(learning_rate=0), "learning_rate"),
    (dict(update="simultaneous", n_critic=5), "simultaneous"), (dict(r1=-1.0), "penalty"),
])
def test_bad_settings_are_refused_with_the_name(bad, message):
    with pytest.raises(ValueError, match=message):
        GANConfig(**bad)


def test_infogan_needs_a_code_that_fits_the_noise():
    with pytest.raises(ValueError, match="needs a code"):
        InfoGANConfig(codes=0, continuous=0)
    with pytest.raises(ValueError, match="noise coordinates"):
        InfoGANConfig(codes=10, continuous=100)


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="unknown model kind"):
        from_dict({"kind": "stylegan"})


def test_cli_options_take_their_defaults_from_the_fields():
    options = dict(cli_options("dcgan"))
    assert options["--batch-size"]["default"] == 64 and options["--batch-size"]["type"] is int
    assert options["--ema"]["dest"] == "ema_decay" and options["--ema"]["type"]("0") is None
    assert options["--loss"]["choices"] == config.LOSS_NAMES + ("ns",)
    assert "--codes" in dict(cli_options("infogan")) and "--codes" not in options
    assert options["--d-norm"]["default"] == "batch" and options["--d-norm"]["choices"] == config.D_NORMS
    d_norm = dict(cli_options("conditional"))["--d-norm"]
    assert d_norm["default"] == "spectral" and d_norm["choices"] == config.D_NORMS


def test_d_norm_is_checked_per_family_and_old_conditional_records_still_load():
    with pytest.raises(ValueError, match="d_norm must be one of"):
        config.GANConfig(d_norm="group")
    with pytest.raises(ValueError, match="the projection discriminator takes d_norm 'spectral' or 'none'"):
        config.ConditionalConfig(d_norm="batch")  # the projection D has no batch-norm variant
    assert config.ConditionalConfig(conditioning="concat", d_norm="batch").d_norm == "batch"
    with pytest.raises(ValueError, match="conditioning must be one of"):
        config.ConditionalConfig(conditioning="film")
    assert config.from_dict({"kind": "conditional", "spectral": False}).d_norm == "none"
    assert config.from_dict({"kind": "conditional", "spectral": True}).d_norm == "spectral"
