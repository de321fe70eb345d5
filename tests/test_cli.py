import subprocess
import sys

import numpy as np
import pytest

from ganlib.cli import main
from ganlib.runs import read_history


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run")
    assert main(["train", "--epochs", "1", "--limit", "256", "--width", "8", "--out", str(out)]) == 0
    return out


def test_train_writes_grid_checkpoint_and_weights(trained_run, capsys):
    for name in ("samples-0001.png", "ckpt-0001.weights.h5", "checkpoint.json", "generator.weights.h5"):
        assert (trained_run / name).is_file()
    assert main(["train", "--epochs", "1", "--limit", "256", "--width", "8", "--out", str(trained_run),
                 "--resume"]) == 0
    assert "nothing to do" in capsys.readouterr().out


def test_resume_continues_to_the_requested_total(trained_run, tmp_path):
    import shutil

    run = tmp_path / "copy"
    shutil.copytree(trained_run, run)
    assert main(["train", "--epochs", "3", "--limit", "256", "--width", "8", "--out", str(run), "--resume",
                 "--keep", "0"]) == 0
    assert (run / "samples-0003.png").is_file()
    assert sorted(p.name for p in run.glob("ckpt-*")) == [f"ckpt-000{e}.weights.h5" for e in (1, 2, 3)]  # --keep 0
    assert [line["epoch"] for line in read_history(run)] == [1, 2, 3]


def test_sample_writes_uint8_digits(trained_run, tmp_path):
    out = tmp_path / "s.npy"
    assert main(["sample", "--weights", str(trained_run / "generator.weights.h5"), "--n", "7", "--out", str(out)]) == 0
    samples = np.load(out)
    assert samples.shape == (7, 28, 28) and samples.dtype == np.uint8
    again = tmp_path / "t.npy"
    main(["sample", "--weights", str(trained_run / "generator.weights.h5"), "--n", "7", "--out", str(again)])
    np.testing.assert_array_equal(np.load(again), samples)  # same seed, same digits


@pytest.mark.parametrize(
    "argv, message",
    [
        (["sample", "--model", "nope", "--n", "3", "--out", "x.npy"], "unknown pretrained model 'nope'; known models"),
        (["sample", "--weights", "missing.weights.h5", "--n", "3", "--out", "x.npy"], "do not exist"),
        (["sample", "--weights", "g.weights.h5", "--n", "3", "--out", "x.png"], "must name a .npy file"),
        (["sample", "--weights", "{run}/generator.weights.h5", "--label", "3", "--n", "3", "--out", "x.npy"],
         "--label and --truncation need a class-conditional model such as cgan-mnist"),
        (["sample", "--model", "cgan-mnist", "--label", "10", "--n", "3", "--out", "x.npy"], "labels must lie in 0..9"),
        (["sample", "--model", "cgan-mnist", "--truncation", "0", "--n", "3", "--out", "x.npy"],
         "truncation threshold must be positive"),
        (["train", "--epochs", "1", "--data", "missing.npz"], "does not exist"),
        (["train", "--epochs", "1", "--out", "{run}"], "already holds a run"),
        (["train", "--epochs", "1", "--out", "{empty}", "--resume"], "nothing to resume"),
        (["train", "--model", "infogan", "--epochs", "1", "--codes", "1", "--out", "{empty}"],
         "codes must be 0 or at least 2"),
        (["train", "--model", "infogan", "--epochs", "1", "--codes", "10", "--continuous", "100", "--out", "{empty}"],
         "more than latent_dim=100"),
        (["train", "--epochs", "2", "--out", "{run}", "--resume", "--width", "16"],
         "cannot resume {run} with other settings (width: 8 -> 16)"),
        (["train", "--model", "infogan", "--epochs", "2", "--out", "{run}", "--resume"], "it is a dcgan run"),
        (["train", "--epochs", "1", "--ema", "1.5", "--out", "{empty}"], "ema_decay must be in (0, 1)"),
        (["train", "--model", "anogan-encoder", "--epochs", "1", "--out", "{empty}"], "give gan_run"),
        (["train", "--model", "anogan-encoder", "--gan-run", "{empty}", "--epochs", "1", "--out", "{empty}2"],
         "no checkpoint in"),
    ],
)
def test_bad_input_is_one_line_error(argv, message, trained_run, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    argv = [a.format(run=trained_run, empty=tmp_path / "empty") for a in argv]
    message = message.format(run=trained_run)
    assert main(argv) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("ganlib: error:") and message in err and "\n" not in err


@pytest.mark.parametrize("argv", [["train", "--epochs", "0"], ["train", "--epochs", "1", "--keep", "-1"],
                                  ["train", "--epochs", "1", "--update", "sideways"],
                                  ["train", "--epochs", "1", "--loss", "wgan"],
                                  ["train", "--epochs", "1", "--codes", "10"],      # codes need --model infogan
                                  ["train", "--model", "bigan", "--epochs", "1"],
                                  ["sample", "--n", "3", "--out", "x.npy"],
                                  ["sample", "--model", "a", "--weights", "b", "--n", "1", "--out", "x.npy"],
                                  ["translate", "--to", "svhn", "--in", "a.npy", "--out", "b.npy"],
                                  ["fly"]])
def test_bad_arguments_exit_with_usage(argv, capsys):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    assert "error:" in capsys.readouterr().err


@pytest.mark.parametrize("model, extra", [("infogan", ["--codes", "10", "--continuous", "2"]),
                                          ("conditional", []),
                                          ("conditional", ["--conditioning", "concat", "--d-norm", "batch", "--loss", "ns"]),
                                          ("dcgan", ["--loss", "wgan-gp", "--n-critic", "2"]),
                                          ("cyclegan", ["--blocks", "1", "--critic-width", "4", "--batch-size", "8",
                                                        "--steps-per-epoch", "3", "--semantic-weight", "0"]),
                                          ("anogan-encoder", ["--gan-run", "{run}"])])
def test_every_family_trains_from_the_command_line_and_resumes_exactly(model, extra, trained_run, tmp_path):
    import h5py

    width = {"cyclegan": ["--width", "4"], "anogan-encoder": []}.get(model, ["--width", "8"])
    common = ["train", "--model", model, "--limit", "256", *width, "--keep", "0",
              *(word.format(run=trained_run) for word in extra)]
    assert main([*common, "--epochs", "2", "--out", str(tmp_path / "straight")]) == 0
    assert main([*common, "--epochs", "1", "--out", str(tmp_path / "cut")]) == 0
    assert main(["train", "--epochs", "2", "--limit", "256", "--out", str(tmp_path / "cut"), "--resume"]) == 0  # its own settings
    for run in ("straight", "cut"):
        assert [line["epoch"] for line in read_history(tmp_path / run)] == [1, 2]
        if model == "conditional":  # a conditional run scores its labels after every epoch
            assert all(0 <= line["label_accuracy"] <= 1 for line in read_history(tmp_path / run))

    def weights(run):
        exported = {"cyclegan": "cyclegan-mnist_to_uci.weights.h5",
                    "anogan-encoder": "encoder.weights.h5"}.get(model, "generator.weights.h5")
        with h5py.File(tmp_path / run / exported) as file:
            arrays = []
            file.visititems(lambda name, item: arrays.append(item[()]) if isinstance(item, h5py.Dataset) else None)
            return arrays

    for a, b in zip(weights("straight"), weights("cut"), strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)


def test_train_models_are_the_registrys():
    from ganlib.cli import TRAINABLE
    from ganlib.registry import KINDS

    assert set(TRAINABLE) == set(KINDS)


@pytest.mark.parametrize("command", [[], ["train"], ["train", "--model", "infogan"], ["train", "--model", "cyclegan"],
                                     ["sample"], ["translate"]])
def test_help_on_every_command(command, capsys):
    with pytest.raises(SystemExit) as stop:
        main([*command, "--help"])
    assert stop.value.code == 0 and "usage: ganlib" in capsys.readouterr().out


def test_console_entry_point_prints_no_traceback(tmp_path):
    result = subprocess.run([sys.executable, "-m", "ganlib", "sample", "--weights", "nope.weights.h5", "--n", "2",
                             "--out", str(tmp_path / "x.npy")], capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == ["ganlib: error: generator weights nope.weights.h5 do not exist; "
                                                  "give the .weights.h5 that training wrote"]


@pytest.fixture(scope="module")
def cyclegan_weights(tmp_path_factory):
    """Untrained small CycleGAN generators saved as `ganlib train --model cyclegan` saves them."""
    import keras

    from ganlib.apps.cyclegan import CycleGAN, save_generators

    keras.utils.set_random_seed(0)
    directory = tmp_path_factory.mktemp("cyclegan")
    save_generators(CycleGAN(width=4, blocks=1), directory, {"width": 4, "blocks": 1})
    return directory


@pytest.mark.parametrize("to, direction", [("uci", "mnist_to_uci"), ("mnist", "uci_to_mnist")])
def test_translate_writes_uint8_digits(to, direction, cyclegan_weights, mnist, tmp_path):
    from ganlib.apps.cyclegan import load_generators, translate

    source, out = tmp_path / "in.npy", tmp_path / "out.npy"
    np.save(source, mnist.test[0][:6])
    assert main(["translate", "--to", to, "--in", str(source), "--out", str(out), "--weights",
                 str(cyclegan_weights)]) == 0
    translated = np.load(out)
    assert translated.shape == (6, 28, 28) and translated.dtype == np.uint8
    np.testing.assert_array_equal(translated, translate(mnist.test[0][:6], direction, load_generators(cyclegan_weights)))


def test_translate_variant_choices_are_the_librarys():
    from ganlib.apps.cyclegan import DEFAULT_VARIANT, VARIANTS
    from ganlib.cli import build_parser

    translate = build_parser()._subparsers._group_actions[0].choices["translate"]
    variant = next(action for action in translate._actions if action.dest == "variant")
    assert tuple(variant.choices) == VARIANTS and variant.default == DEFAULT_VARIANT


def test_translate_uses_the_shipped_generators_by_default(mnist, tmp_path):
    from ganlib.apps.cyclegan import load_generators, translate

    source, out = tmp_path / "in.npy", tmp_path / "out.npy"
    np.save(source, mnist.test[0][:4])
    assert main(["translate", "--to", "uci", "--in", str(source), "--out", str(out)]) == 0
    np.testing.assert_array_equal(np.load(out), translate(mnist.test[0][:4], "mnist_to_uci", load_generators()))
    plain = tmp_path / "plain.npy"
    assert main(["translate", "--to", "uci", "--in", str(source), "--out", str(plain), "--variant", "label-free"]) == 0
    np.testing.assert_array_equal(np.load(plain), translate(mnist.test[0][:4], "mnist_to_uci",
                                                            load_generators(variant="label-free")))
    assert not np.array_equal(np.load(plain), np.load(out))  # two different shipped pairs


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--in", "missing.npy"], "missing.npy does not exist; write one with numpy.save"),
        (["--in", "{floats}"], "the digits must be uint8 of shape (N, 28, 28)"),
        (["--in", "{text}"], "is not a numpy .npy array file"),
        (["--in", "{digits}", "--weights", "{empty}"], "holds no cyclegan-"),
        (["--in", "{digits}", "--out", "x.png"], "--out must name a .npy file"),
    ],
)
def test_translate_bad_input_is_one_line_error(argv, message, cyclegan_weights, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    np.save(tmp_path / "floats.npy", np.zeros((2, 28, 28), np.float32))
    np.save(tmp_path / "digits.npy", np.zeros((2, 28, 28), np.uint8))
    (tmp_path / "text.npy").write_text("not an array")
    files = {name: str(tmp_path / f"{name}.npy") for name in ("floats", "digits", "text")}
    argv = [a.format(empty=tmp_path / "empty", **files) for a in argv]
    defaults = {"--out": "out.npy", "--weights": str(cyclegan_weights)}
    argv += [item for flag, value in defaults.items() if flag not in argv for item in (flag, value)]
    assert main(["translate", "--to", "uci", *argv]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("ganlib: error:") and message in err and "\n" not in err
