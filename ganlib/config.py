"""Typed settings of every model family ``ganlib`` trains, each default declared once, here.

A run is described by one frozen dataclass: :class:`GANConfig` (``kind = "dcgan"``) and its
refinements :class:`InfoGANConfig` and :class:`ConditionalConfig`, :class:`CycleGANConfig` and
:class:`EncoderConfig` (f-AnoGAN's encoder).  The command line builds its options from these
fields (:func:`cli_options`), the checkpoint stores :func:`to_dict` of the one it trained with,
and ``--resume`` compares the two and names every setting that changed (:func:`changed_settings`).

This module imports no TensorFlow, so ``ganlib train --help`` is instant.  The measurements
behind the default recipe (width 32, batch 64, Adam 2e-4 with beta_1 0.5, moving average 0.999):
``benchmarks/README.md``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar

LOSS_NAMES = ("non-saturating", "minimax", "ls", "hinge", "wgan-gp")  # ganlib.losses.LOSSES, by name
LOSS_ALIASES = {"ns": "non-saturating"}  # ganlib.losses.ALIASES
UPDATES = ("alternating", "simultaneous")
D_NORMS = ("batch", "layer", "spectral", "none")  # ganlib.model.NORMALIZATIONS
CONDITIONINGS = ("projection", "concat")  # ganlib.apps.conditional
SEMANTIC_CLASSIFIERS = ("lenet5", "evaluator")  # ganlib.apps.cyclegan.classifier_architecture


def _setting(default, help: str, **cli) -> Any:
    """A dataclass field with its command-line help (and argparse extras such as ``choices``)."""
    return field(default=default, metadata={"help": help, **cli})


@dataclass(frozen=True)
class RunConfig:
    """What every run records: its seed, batch and optimiser (Adam) settings."""

    kind: ClassVar[str] = ""
    seed: int = _setting(0, "random seed of the weights, the noise and the batch order")
    batch_size: int = _setting(64, "images per training step (the global batch, over all devices)")
    learning_rate: float = _setting(2e-4, "Adam's learning rate, for each network (the DCGAN paper's 2e-4)")
    beta_1: float = _setting(0.5, "Adam's beta_1 (the DCGAN paper's 0.5)")

    def __post_init__(self):
        if not isinstance(self.seed, int):
            raise ValueError(f"seed must be an integer, got {self.seed!r}")
        self.check_positive_integers("batch_size")
        if not self.learning_rate > 0:
            raise ValueError(f"learning_rate must be positive, got {self.learning_rate!r}")
        if not 0 <= self.beta_1 < 1:
            raise ValueError(f"beta_1 must be in [0, 1), got {self.beta_1!r}")

    def check_positive_integers(self, *names: str) -> None:
        """ValueError naming the first of ``names`` whose value is not a positive integer."""
        for name in names:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")


@dataclass(frozen=True)
class GANConfig(RunConfig):
    """A DCGAN on 28x28 digits (:class:`ganlib.gan.GAN` with :mod:`ganlib.model`'s networks)."""

    kind: ClassVar[str] = "dcgan"
    latent_dim: int = _setting(100, "length of the noise vector z")
    # 32 rather than the DCGAN paper's 64: a width-32 generator samples 10,000 digits in under two
    # seconds on a 2-core CPU and trains about 3x faster per epoch.
    width: int = _setting(32, "network width: channels of the generator's last layer")
    loss: str = _setting("non-saturating", "GAN loss (ns = non-saturating)", choices=LOSS_NAMES + tuple(LOSS_ALIASES))
    # Sample from an exponential moving average of the generator's weights (None: off).
    ema_decay: float | None = _setting(0.999, "decay of the moving average of G's weights that samples are "
                                              "drawn from (0 turns it off)", flag="--ema")
    update: str = _setting("alternating", "alternating D-then-G updates (Algorithm 1) or simultaneous ones from "
                                          "one forward pass (the TensorFlow tutorial's step)", choices=UPDATES)
    n_critic: int = _setting(1, "discriminator steps per generator step (k of Algorithm 1; WGAN-GP uses 5)")
    gp_weight: float = _setting(10.0, "weight lambda of WGAN-GP's gradient penalty (used with --loss wgan-gp)")
    r1: float = _setting(0.0, "weight gamma of the R1 penalty gamma/2 E|grad D(x)|^2 on real images (0: off)")
    label_smoothing: float = _setting(0.0, "one-sided label smoothing s: D's target for real images is 1 - s "
                                           "(cross-entropy losses; 0: off)")
    feature_matching: bool = _setting(False, "G matches the mean of D's last features on real images instead of "
                                             "fooling D's verdict (Salimans et al. 2016)")
    d_norm: str = _setting("batch", "how D's layers are normalised: batch norm (DCGAN), layer norm (WGAN-GP's "
                                    "critic), spectral norm (SNGAN) or none", choices=D_NORMS)

    def __post_init__(self):
        super().__post_init__()
        self.check_positive_integers("latent_dim", "width", "n_critic")
        object.__setattr__(self, "loss", LOSS_ALIASES.get(self.loss, self.loss))  # one name per loss in records
        if self.loss not in LOSS_NAMES:
            raise ValueError(f"unknown GAN loss {self.loss!r}; choose one of {LOSS_NAMES}")
        if self.d_norm not in D_NORMS:
            raise ValueError(f"d_norm must be one of {D_NORMS}, got {self.d_norm!r}")
        if self.update not in UPDATES:
            raise ValueError(f"update must be one of {UPDATES}, got {self.update!r}")
        if self.ema_decay is not None and not 0.0 < self.ema_decay < 1.0:
            raise ValueError(f"ema_decay must be in (0, 1), e.g. 0.999, or None (off); got {self.ema_decay!r}")
        if self.update == "simultaneous" and (self.n_critic != 1 or self.penalised):
            raise ValueError("the simultaneous update makes one D and one G step from one forward pass: "
                             "it takes n_critic=1 and no gradient penalty (use update='alternating')")
        if self.label_smoothing and self.loss not in ("non-saturating", "minimax"):
            raise ValueError(f"label_smoothing applies to the cross-entropy losses (non-saturating, minimax), "
                             f"not {self.loss!r}")
        if self.feature_matching and self.kind != "dcgan":
            raise ValueError(f"feature_matching is implemented for the dcgan kind (GANConfig), not {self.kind}")
        if not 0 <= self.label_smoothing < 0.5:
            raise ValueError(f"label_smoothing must be in [0, 0.5), e.g. 0.1; got {self.label_smoothing!r}")
        if self.gp_weight < 0 or self.r1 < 0:
            raise ValueError(f"penalty weights must be >= 0, got gp_weight={self.gp_weight!r}, r1={self.r1!r}")

    @property
    def penalised(self) -> bool:
        """Whether D's loss has a gradient penalty (WGAN-GP's or R1)."""
        return self.loss == "wgan-gp" or self.r1 > 0


@dataclass(frozen=True)
class InfoGANConfig(GANConfig):
    """An InfoGAN (:class:`ganlib.infogan.InfoGAN`): latent codes a head on D must recover."""

    kind: ClassVar[str] = "infogan"
    codes: int = _setting(10, "K of a K-way categorical code in the noise (0: none)")
    continuous: int = _setting(0, "number of continuous codes in the noise")
    info_weight: float = _setting(1.0, "weight of the mutual-information term in both losses")

    def __post_init__(self):
        super().__post_init__()
        if self.codes == 1 or self.codes < 0 or self.continuous < 0:
            raise ValueError(f"codes must be 0 or at least 2 and continuous >= 0, got {self.codes!r}, "
                             f"{self.continuous!r}")
        if not (self.codes or self.continuous):
            raise ValueError("an InfoGAN needs a code: codes >= 2 or continuous >= 1 (else train --model dcgan)")
        if self.continuous + (1 if self.codes else 0) > self.latent_dim:
            raise ValueError(f"the codes take {self.continuous + (1 if self.codes else 0)} noise coordinates, "
                             f"more than latent_dim={self.latent_dim}")


@dataclass(frozen=True)
class ConditionalConfig(GANConfig):
    """A BigGAN-style class-conditional GAN (:class:`ganlib.apps.conditional.ConditionalGAN`)."""

    kind: ClassVar[str] = "conditional"
    loss: str = _setting("hinge", "GAN loss (ns = non-saturating)", choices=LOSS_NAMES + tuple(LOSS_ALIASES))
    classes: int = _setting(10, "number of classes the generator is told")
    conditioning: str = _setting("projection", "how the networks read the label: BigGAN-style (conditional batch "
                                               "norm in G, a projection D) or concatenated to their inputs "
                                               "(Mirza & Osindero 2014)", choices=CONDITIONINGS)
    d_norm: str = _setting("spectral", "how D's layers are normalised (the projection D: spectral or none)",
                           choices=D_NORMS)

    def __post_init__(self):
        super().__post_init__()
        if not isinstance(self.classes, int) or self.classes < 2:
            raise ValueError(f"classes must be an integer of at least 2, got {self.classes!r}")
        if self.conditioning not in CONDITIONINGS:
            raise ValueError(f"conditioning must be one of {CONDITIONINGS}, got {self.conditioning!r}")
        if self.conditioning == "projection" and self.d_norm not in ("spectral", "none"):
            raise ValueError(f"the projection discriminator takes d_norm 'spectral' or 'none', not {self.d_norm!r} "
                             "(other normalisations: conditioning='concat')")


@dataclass(frozen=True)
class CycleGANConfig(RunConfig):
    """A CycleGAN between MNIST and the UCI digits (:class:`ganlib.apps.cyclegan.CycleGAN`)."""

    kind: ClassVar[str] = "cyclegan"
    batch_size: int = _setting(32, "image pairs per training step")
    width: int = _setting(16, "channels of the translators' first layer")
    blocks: int = _setting(3, "residual blocks in each translator")
    critic_width: int = _setting(32, "channels of the patch critics' first layer")
    cycle_weight: float = _setting(10.0, "lambda of the cycle loss (Zhu et al. 2017)")
    identity_weight: float = _setting(5.0, "weight of the identity loss (0.5 lambda, as Zhu et al.'s code)")
    semantic_weight: float = _setting(1.0, "weight of the semantic-consistency loss through two frozen digit "
                                           "classifiers (0: the plain, label-free CycleGAN)")
    semantic_classifier: str = _setting("lenet5", "architecture of the semantic loss's classifiers",
                                        choices=SEMANTIC_CLASSIFIERS)
    steps_per_epoch: int | None = _setting(None, "steps per epoch (default: one pass over the smaller domain)")

    def __post_init__(self):
        super().__post_init__()
        if self.semantic_weight < 0 or self.cycle_weight < 0 or self.identity_weight < 0:
            raise ValueError("loss weights must be >= 0")
        if self.semantic_classifier not in SEMANTIC_CLASSIFIERS:
            raise ValueError(f"semantic_classifier must be one of {SEMANTIC_CLASSIFIERS}, "
                             f"got {self.semantic_classifier!r}")


@dataclass(frozen=True)
class EncoderConfig(RunConfig):
    """f-AnoGAN's encoder E, trained with a DCGAN run's G and D frozen (:mod:`ganlib.apps.anogan`)."""

    kind: ClassVar[str] = "anogan-encoder"
    learning_rate: float = _setting(1e-3, "Adam's learning rate")
    beta_1: float = _setting(0.9, "Adam's beta_1")
    kappa: float = _setting(1.0, "weight of the feature residual in the izi_f loss")
    gan_run: str = _setting("", "the DCGAN run directory whose G (its moving average) and D the encoder learns to "
                                "invert, frozen (required)")

    def __post_init__(self):
        super().__post_init__()
        if not self.gan_run:
            raise ValueError("an f-AnoGAN encoder inverts a trained GAN: give gan_run, the GAN's run directory "
                             "(CLI: --gan-run DIR)")


KINDS: dict[str, type[RunConfig]] = {c.kind: c for c in (GANConfig, InfoGANConfig, ConditionalConfig,
                                                          CycleGANConfig, EncoderConfig)}


def config_class(kind: str) -> type[RunConfig]:
    """The config dataclass of a model ``kind`` (:data:`KINDS`)."""
    if kind not in KINDS:
        raise ValueError(f"unknown model kind {kind!r}; choose one of {sorted(KINDS)}")
    return KINDS[kind]


def to_dict(config: RunConfig) -> dict:
    """The settings as a JSON-able dict, with the ``kind`` first (what checkpoints record)."""
    return {"kind": config.kind, **dataclasses.asdict(config)}


def infer_kind(record: dict) -> str:
    """The kind of a record written before kinds were recorded (ganlib 0.1's generator.json files)."""
    if "kind" in record:
        return record["kind"]
    if record.get("conditional"):
        return "conditional"
    if record.get("cyclegan"):
        return "cyclegan"
    return "infogan" if record.get("codes") or record.get("continuous") else "dcgan"


def from_dict(record: dict) -> RunConfig:
    """The config a record describes; keys that are not settings (epochs, sha256, scores ...) are ignored."""
    kind = infer_kind(record)
    cls = config_class(kind)
    if kind == "cyclegan" and "kind" not in record:  # ganlib 0.1's CycleGAN records left these out when off
        record = {"semantic_weight": 0.0, "semantic_classifier": "evaluator", **record}
    if kind == "conditional" and "spectral" in record:  # ganlib 0.2's records: spectral: bool
        record = {"d_norm": "spectral" if record["spectral"] else "none", **record}
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in record.items() if k in names})


def build_config(cls: type[RunConfig], config: RunConfig | None, settings: dict) -> RunConfig:
    """``config`` (default: ``cls()``) with ``settings`` replacing fields of it; ValueError naming an
    unknown setting, or a config of another class, with what to do instead."""
    if config is not None and not isinstance(config, cls):
        raise ValueError(f"expected a {cls.__name__}, got a {type(config).__name__}")
    names = [f.name for f in dataclasses.fields(cls)]
    unknown = sorted(set(settings) - set(names))
    if unknown:
        hint = ""
        if {"codes", "continuous"} & set(unknown):
            hint = "; latent codes belong to an InfoGAN (ganlib.infogan.InfoGAN)"
        raise ValueError(f"{cls.__name__} has no setting {', '.join(map(repr, unknown))}{hint}; "
                         f"its settings are {', '.join(names)}")
    return cls(**settings) if config is None else dataclasses.replace(config, **settings)


def changed_settings(saved: RunConfig, now: RunConfig) -> list[str]:
    """``name: saved -> now`` for each setting that differs (the kind too), in field order."""
    if saved.kind != now.kind:
        return [f"kind: {saved.kind!r} -> {now.kind!r}"]
    return [f"{f.name}: {getattr(saved, f.name)!r} -> {getattr(now, f.name)!r}"
            for f in dataclasses.fields(now) if getattr(saved, f.name) != getattr(now, f.name)]


def cli_options(kind: str) -> list[tuple[str, dict]]:
    """``(flag, argparse keyword arguments)`` for each setting of ``kind``, defaults from the dataclass."""
    options = []
    for f in dataclasses.fields(config_class(kind)):
        meta = dict(f.metadata)
        flag = meta.pop("flag", "--" + f.name.replace("_", "-"))
        help_text = meta.pop("help")
        default = f.default
        kwargs = {"dest": f.name, "default": default, **meta}
        if f.type in ("bool", bool):
            kwargs["type"] = _boolean
            kwargs["metavar"] = "yes|no"
        elif default is None or f.type in ("float | None", "int | None"):
            kwargs["type"] = _optional_number(f.type)
        else:
            kwargs["type"] = type(default)
        kwargs["help"] = f"{help_text} (default: {default if default is not None else 'none'})"
        options.append((flag, kwargs))
    return options


def _boolean(text: str) -> bool:
    if text.lower() in ("yes", "true", "1"):
        return True
    if text.lower() in ("no", "false", "0"):
        return False
    raise ValueError(f"expected yes or no, got {text!r}")


def _optional_number(type_name: str):
    number = float if "float" in type_name else int

    def parse(text: str):
        value = number(text)
        return None if value == 0 else value  # 0 turns the setting off

    parse.__name__ = number.__name__
    return parse


__all__ = ["RunConfig", "GANConfig", "InfoGANConfig", "ConditionalConfig", "CycleGANConfig", "EncoderConfig",
           "KINDS", "LOSS_NAMES", "UPDATES", "config_class", "build_config", "to_dict", "from_dict", "infer_kind",
           "changed_settings", "cli_options"]
