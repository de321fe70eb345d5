"""ganlib.studies.losses: the loss comparison's variants and its summary."""

import numpy as np
import pytest

from ganlib.config import GANConfig
from ganlib.studies import losses as study


def test_every_variant_is_a_valid_config_and_only_the_loss_settings_depart():
    default = GANConfig()
    for name in study.VARIANTS:
        config = study.variant_config(name, seed=2)
        assert isinstance(config, GANConfig) and config.seed == 2
        changed = {field for field in ("loss", "n_critic", "d_norm", "r1", "label_smoothing", "feature_matching")
                   if getattr(config, field) != getattr(default, field)}
        assert changed <= set(study.VARIANTS[name][0]) | {"loss"}
        assert (config.width, config.batch_size, config.learning_rate) == (default.width, default.batch_size,
                                                                           default.learning_rate)
    assert set(study.LOSS_VARIANTS) | set(study.TRICK_VARIANTS) == set(study.VARIANTS)
    with pytest.raises(ValueError, match="unknown loss variant 'wgan'"):
        study.variant_config("wgan", 0)


def test_summarise_takes_each_runs_last_epoch_in_variant_order():
    def run(variant, seed, fids):
        return {"variant": variant, "seed": seed,
                "scores": [{"epoch": e + 1, "fid": f, "classifier_score": 9 - f / 100, "train_seconds": 60.0 * (e + 1)}
                           for e, f in enumerate(fids)]}

    runs = [run("hinge", 0, [90, 50]), run("ns", 0, [80, 40]), run("ns", 1, [70, 44]), run("hinge", 1, [95, 60])]
    rows = study.summarise(runs)
    assert [row["variant"] for row in rows] == ["ns", "hinge"]
    ns = rows[0]
    assert ns["seeds"] == 2 and ns["fid_mean"] == pytest.approx(42.0) and ns["fid_sd"] == pytest.approx(np.std([40, 44], ddof=1))
    assert (ns["fid_best"], ns["fid_worst"]) == (40, 44) and ns["minutes"] == pytest.approx(2.0)
