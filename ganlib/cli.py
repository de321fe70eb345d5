"""The ``ganlib`` command: ``ganlib train``, ``sample``, ``evaluate``, ``translate`` (also ``python -m ganlib``).

Bad arguments or input end with a one-line ``ganlib: error: ...`` and a non-zero exit
status, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from ganlib.config import cli_options, config_class, from_dict
from ganlib.distribute import STRATEGIES
from ganlib.errors import GanlibError

TRAINABLE = ("dcgan", "infogan", "conditional", "cyclegan", "anogan-encoder")  # ganlib.registry.KINDS, named here
#   so that parsing loads no TensorFlow (a test keeps them equal)


def _int_at_least(text: str, least: int, kind: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a {kind} integer, got {text!r}") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"expected a {kind} integer, got {value}")
    return value


def positive_int(text: str) -> int:
    return _int_at_least(text, 1, "positive")


def non_negative_int(text: str) -> int:
    return _int_at_least(text, 0, "non-negative")


def build_parser(model: str = "dcgan") -> argparse.ArgumentParser:
    """The command's parser; ``train``'s settings are those of ``model``'s config (:mod:`ganlib.config`)."""
    parser = argparse.ArgumentParser(prog="ganlib", description="Train DCGANs on MNIST and sample from them.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    train = commands.add_parser("train", help="train a GAN on MNIST (--model dcgan, infogan, conditional or cyclegan)",
                                description="Train a GAN on MNIST with a progress bar; writes a sample grid "
                                            "and a checkpoint per epoch, and generator.weights.h5 at the end. "
                                            f"The options after --model are {model}'s settings (ganlib.config); "
                                            "`ganlib train --model NAME --help` lists another model's.")
    train.add_argument("--model", choices=TRAINABLE, default=None,
                       help="model family: dcgan (default), infogan (latent codes), conditional (BigGAN-style, "
                            "with labels) or cyclegan (MNIST <-> the UCI digits); a resumed run keeps its own")
    train.add_argument("--epochs", type=positive_int, required=True,
                       help="total number of epochs (a resumed run trains only the missing ones)")
    train.add_argument("--data", type=Path, default=None,
                       help="mnist.npz in Keras layout (default: $GANLIB_MNIST, Keras' cache, else the "
                            "embedded 10,000-image subset)")
    train.add_argument("--download", action="store_true", help="allow downloading MNIST if no local copy exists")
    train.add_argument("--out", type=Path, default=None, help="output directory (default: runs/MODEL)")
    train.add_argument("--keep", type=non_negative_int, default=2, metavar="N",
                       help="keep the N latest epoch checkpoints (default: 2; 0 keeps every epoch's)")
    train.add_argument("--resume", action="store_true",
                       help="continue the run in --out from its last checkpoint, with its recorded settings "
                            "(a setting given that differs from the run's is refused)")
    train.add_argument("--gif", action="store_true", help="also join the per-epoch sample grids into samples.gif")
    train.add_argument("--limit", type=positive_int, default=None,
                       help="train on the first N images only (quick experiments)")
    train.add_argument("--distribute", choices=STRATEGIES, default="none",
                       help="train on several devices: mirrored (this machine's devices) or multiworker (the "
                            "machines of the cluster that the TF_CONFIG environment variable describes; start the "
                            "same command on each, with the same shared --out; only the chief, worker 0, writes "
                            "files); --batch-size stays the global batch over all devices (default: none)")
    settings = train.add_argument_group(f"{model} settings")
    for flag, options in cli_options(model):
        settings.add_argument(flag, **{**options, "default": argparse.SUPPRESS})  # only the settings given

    sample = commands.add_parser("sample", help="write generated digits to a .npy file",
                                 description="Generate N digits as a uint8 array (N, 28, 28) saved with numpy.save.")
    source = sample.add_mutually_exclusive_group(required=True)
    source.add_argument("--weights", type=Path, help="generator.weights.h5 written by `ganlib train`")
    source.add_argument("--model", help="name of a shipped pretrained model")
    sample.add_argument("--n", type=positive_int, required=True, help="number of samples")
    sample.add_argument("--seed", type=int, default=0, help="noise seed (default: 0)")
    sample.add_argument("--label", type=non_negative_int, default=None, metavar="K",
                        help="class-conditional models (cgan-mnist): make every sample a K "
                             "(default: the digits 0-9 in turn)")
    sample.add_argument("--truncation", type=float, default=None, metavar="T",
                        help="class-conditional models: redraw noise coordinates with |z| > T, the truncation "
                             "trick (default: none; 1.0 is a common choice)")
    sample.add_argument("--out", type=Path, required=True, help="output file, FILE.npy")

    evaluate = commands.add_parser("evaluate", help="score generated digits against MNIST (JSON)",
                                   description="Score uint8 digits (N, 28, 28) from a .npy file against the MNIST "
                                               "test images with the shipped evaluator: FID, classifier score, class "
                                               "histogram and its KL to uniform, confident share, precision and "
                                               "recall; each next to the same score of real MNIST training images.")
    evaluate.add_argument("--samples", type=Path, required=True, help="FILE.npy written by `ganlib sample`")
    evaluate.add_argument("--data", type=Path, default=None,
                          help="mnist.npz whose test images are the reference (default: $GANLIB_MNIST, Keras' "
                               "cache, else the embedded subset; all hold the 10,000 test images)")

    translate = commands.add_parser("translate", help="translate digits between MNIST and the UCI digits (CycleGAN)",
                                    description="Translate uint8 digits (N, 28, 28) from a .npy file into the other "
                                                "domain with the CycleGAN of ganlib.apps.cyclegan: MNIST to the UCI "
                                                "handwritten digits (upsampled to 28x28) or back; writes uint8 "
                                                "(N, 28, 28) with numpy.save.")
    translate.add_argument("--to", choices=("uci", "mnist"), required=True,
                           help="target domain: uci (the input is MNIST-like) or mnist (the input is UCI-like)")
    translate.add_argument("--in", dest="source", type=Path, required=True, metavar="FILE.npy",
                           help="uint8 digits (N, 28, 28), e.g. written by `ganlib sample`")
    translate.add_argument("--out", type=Path, required=True, metavar="FILE.npy", help="output file, FILE.npy")
    translate.add_argument("--weights", type=Path, default=None, metavar="DIR",
                           help="directory holding cyclegan-*.weights.h5 as `ganlib train --model cyclegan` writes them "
                                "(default: the generators shipped with ganlib)")
    translate.add_argument("--variant", choices=("semantic", "label-free"), default="semantic",
                           help="which shipped generators: semantic (trained with a semantic-consistency loss, "
                                "keeps the digit more often; default) or label-free (plain CycleGAN)")

    export = commands.add_parser("export-web", help="export shipped generators for the web pages (TensorFlow.js)",
                                 description="Write DIR/NAME.js for each shipped generator NAME: its layers, its "
                                             "weights (float32, with their sha256) and the noise of the first seeds, "
                                             "as the book's in-page latent explorer and conditional sampler load "
                                             "them (ganlib.web).")
    export.add_argument("names", nargs="*", metavar="NAME",
                        help="shipped generators to export (default: those the book's pages use: "
                             "dcgan-mnist cgan-mnist)")
    export.add_argument("--out", type=Path, required=True, metavar="DIR", help="output directory")
    return parser


def load_npy(path: Path, made_by: str):
    """The array in the .npy file ``path``, never unpickled; GanlibError naming ``made_by`` if it is missing or not one."""
    import numpy as np

    if not path.is_file():
        raise GanlibError(f"{path} does not exist; write one with {made_by}")
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as error:
        raise GanlibError(f"{path} is not a numpy .npy array file ({error})") from None


def model_named_in(argv) -> str:
    """The ``--model`` of a ``train`` command line (default dcgan), read before parsing it, so that
    the parser offers that model's settings."""
    for i, word in enumerate(argv):
        if word == "--model" and i + 1 < len(argv):
            return argv[i + 1] if argv[i + 1] in TRAINABLE else "dcgan"
        if word.startswith("--model="):
            return word.split("=", 1)[1] if word.split("=", 1)[1] in TRAINABLE else "dcgan"
    return "dcgan"


def train_config(args, names):
    """The run's config: the given settings on top of the run's recorded ones (``--resume``) or the defaults."""
    from ganlib.runs import read_checkpoint_state

    import dataclasses

    given = {name: getattr(args, name) for name in names if hasattr(args, name)}
    if not args.resume:
        return config_class(args.model or "dcgan")(**given)
    state = read_checkpoint_state(args.out)
    if state is None:
        raise GanlibError(f"nothing to resume in {args.out} (no checkpoint.json); run without --resume")
    saved = from_dict(state["config"])
    if args.model is not None and saved.kind != args.model:
        raise GanlibError(f"cannot resume {args.out}: it is a {saved.kind} run, not {args.model}")
    return dataclasses.replace(saved, **given)


def run_train(args) -> None:
    from ganlib.data import load_mnist
    from ganlib.trainer import Trainer

    names = [options["dest"] for _, options in cli_options(args.model or "dcgan")]
    args.out = args.out or Path("runs") / (args.model or "dcgan")
    config = train_config(args, names)
    mnist = load_mnist(args.data, allow_download=args.download)
    images, labels = (array[: args.limit] for array in mnist.train)
    trainer = Trainer(images, labels, config=config, out_dir=args.out, resume=args.resume, gif=args.gif,
                      keep=args.keep or None, distribute=args.distribute,
                      verbose=1 if sys.stdout.isatty() else 2)  # a progress bar on a terminal, a line per epoch in a log
    done, remaining = trainer.epoch, args.epochs - trainer.epoch
    print(f"ganlib train: {config.kind}, {len(images)} images from {mnist.source}; epochs {done + 1}..{args.epochs} "
          f"-> {args.out}" + (f" ({trainer.strategy.num_replicas_in_sync} replicas)" if trainer.strategy else ""))
    if remaining <= 0:
        print(f"already trained {done} epochs (asked for {args.epochs}); nothing to do")
        return
    start = time.perf_counter()
    trainer.train(remaining)
    print(f"done in {time.perf_counter() - start:.0f} s ({trainer.images_per_second:.0f} images/s); "
          + (f"wrote {', '.join(str(path) for path in trainer.exported)}" if trainer.chief else "the chief wrote the files"))


def run_sample(args) -> None:
    import numpy as np

    from ganlib import pretrained
    from ganlib.apps import conditional
    from ganlib.sampling import generate
    from ganlib.registry import load_generator

    if args.out.suffix != ".npy":
        raise GanlibError(f"--out must name a .npy file, got {args.out}")
    generator = pretrained.load(args.model) if args.model else load_generator(args.weights)
    if conditional.is_conditional(generator):
        images = conditional.generate(generator, args.label, args.n, seed=args.seed, truncation=args.truncation)
    elif args.label is not None or args.truncation is not None:
        raise GanlibError(f"--label and --truncation need a class-conditional model such as cgan-mnist; "
                          f"{args.model or args.weights} is unconditional")
    else:
        images = generate(generator, args.n, seed=args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.save(args.out, images)
    print(f"wrote {args.out}: {images.shape} {images.dtype}")


def run_evaluate(args) -> None:
    import json

    from ganlib.data import load_mnist
    from ganlib.metrics import evaluate

    samples = load_npy(args.samples, "`ganlib sample`")
    mnist = load_mnist(args.data)
    report = evaluate(samples, reference=mnist.test[0], real=mnist.train[0][: len(samples)])
    report["reference_source"] = mnist.source
    print(json.dumps(report, indent=2))


def run_translate(args) -> None:
    import numpy as np

    from ganlib.apps.cyclegan import load_generators, translate

    if args.out.suffix != ".npy":
        raise GanlibError(f"--out must name a .npy file, got {args.out}")
    images = load_npy(args.source, "numpy.save of uint8 digits (N, 28, 28), e.g. `ganlib sample`")
    direction = "mnist_to_uci" if args.to == "uci" else "uci_to_mnist"
    translated = translate(images, direction, load_generators(args.weights, args.variant))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.save(args.out, translated)
    print(f"wrote {args.out}: {translated.shape} {translated.dtype} ({direction})")


def run_export_web(args) -> None:
    from ganlib.web import WEB_MODELS, export_model

    for name in args.names or WEB_MODELS:
        manifest = export_model(name, args.out)
        print(f"wrote {args.out / (name + '.js')}: {manifest['kind']}, {len(manifest['ops'])} operations, "
              f"{manifest['bytes']:,} bytes, sha256 {manifest['sha256']}")


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(model_named_in(argv)).parse_args(argv)
    from ganlib.quiet import import_tensorflow_quietly

    try:
        if args.command == "train":  # a multiworker strategy must exist before TensorFlow's first operation
            from ganlib.distribute import strategy_for

            args.distribute = strategy_for(args.distribute)
        import_tensorflow_quietly()
        {"train": run_train, "sample": run_sample, "evaluate": run_evaluate,
         "translate": run_translate, "export-web": run_export_web}[args.command](args)
    except (GanlibError, ValueError, OSError) as error:
        print(f"ganlib: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("ganlib: interrupted; the last finished epoch's checkpoint is kept (continue with --resume)",
              file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
