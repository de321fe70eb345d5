"""ganlib.web: the export the web pages' live apps run (the browser side is tests/test_browser.py)."""

from __future__ import annotations

import numpy as np
import pytest

from ganlib import latent, pretrained, web
from ganlib.apps import conditional
from ganlib.cli import main
from ganlib.errors import DataError, GanlibError


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    out = tmp_path_factory.mktemp("web")
    return out, {name: web.export_model(name, out) for name in ("dcgan-mnist", "cgan-concat-mnist")}


def test_export_holds_the_generators_weights(exported):
    out, manifests = exported
    manifest, blob = web.load_export(out / "dcgan-mnist.js")
    assert manifest == manifests["dcgan-mnist"] and manifest["kind"] == "explorer"
    generator = pretrained.load("dcgan-mnist")
    dense = next(op for op in manifest["ops"] if op["op"] == "dense")
    np.testing.assert_array_equal(web.tensor(blob, dense["kernel"]), np.asarray(generator.layers[1].kernel))
    last = [op for op in manifest["ops"] if op["op"] == "conv2d_transpose"][-1]
    assert last["activation"] == "tanh" and last["filters"] == 1
    np.testing.assert_array_equal(web.tensor(blob, last["bias"]), np.asarray(generator.layers[-1].bias))
    assert manifest["categories"] == 10 and manifest["continuous"] == [1, 2]
    np.testing.assert_allclose(manifest["category_values"], latent.category_values(10))
    # Every float of the blob is a weight or a noise draw, each counted once.
    ends = [ref["offset"] + int(np.prod(ref["shape"])) for op in manifest["ops"] for ref in op.values()
            if isinstance(ref, dict)] + [manifest["noise"]["offset"] + int(np.prod(manifest["noise"]["shape"]))]
    assert max(ends) == blob.size == manifest["bytes"] // 4
    assert sum(int(np.prod(w.shape)) for w in generator.weights) \
        == blob.size - int(np.prod(manifest["noise"]["shape"]))


def test_export_noise_is_the_librarys_noise(exported):
    out, _ = exported
    manifest, blob = web.load_export(out / "dcgan-mnist.js")
    noise = web.tensor(blob, manifest["noise"])
    assert noise.shape == (web.EXPLORER_SEEDS, 100)
    for seed in (0, 1, 57):
        np.testing.assert_array_equal(noise[seed], latent.seed_noise(seed, 100))


@pytest.mark.parametrize("threshold", [None, 2.0, 1.0, 0.5])
def test_truncated_noise_replays_from_the_stream(exported, threshold):
    """The page's rule (first n*d draws, then each |z| > T redrawn in row-major order from the rest of
    the seed's stream) gives truncated_noise's numbers, down to the last bit."""
    out, _ = exported
    manifest, blob = web.load_export(out / "cgan-concat-mnist.js")
    assert manifest["kind"] == "conditional" and manifest["classes"] == 10
    assert manifest["truncations"] == list(latent.TRUNCATIONS)
    streams = web.tensor(blob, manifest["noise"])
    n, d = manifest["images"], manifest["latent_dim"]
    for seed in (0, 7, web.SAMPLER_SEEDS - 1):
        stream = streams[seed]
        z, used = stream[:n * d].copy(), n * d
        while threshold is not None and (outside := np.flatnonzero(np.abs(z) > threshold)).size:
            assert used + outside.size <= stream.size
            z[outside], used = stream[used:used + outside.size], used + outside.size
        np.testing.assert_array_equal(z.reshape(n, d), conditional.truncated_noise(n, d, seed, threshold))


def test_a_corrupt_or_foreign_file_is_refused(exported, tmp_path):
    out, _ = exported
    text = (out / "cgan-concat-mnist.js").read_text()
    start = text.index(', "') + 3
    flipped = text[:start + 100] + ("A" if text[start + 100] != "A" else "B") + text[start + 101:]
    (tmp_path / "flipped.js").write_text(flipped)
    with pytest.raises(DataError, match="sha256"):
        web.load_export(tmp_path / "flipped.js")
    (tmp_path / "short.js").write_text(text[:start + 1000] + '");\n')
    with pytest.raises(DataError, match="sha256"):
        web.load_export(tmp_path / "short.js")
    (tmp_path / "other.js").write_text("console.log('hello');\n")
    with pytest.raises(DataError, match="not a ganlib web export"):
        web.load_export(tmp_path / "other.js")


def test_unknown_model_and_unsupported_layer_are_named():
    import keras

    with pytest.raises(GanlibError, match="unknown pretrained model 'nope'.*dcgan-mnist"):
        web.export_model("nope", "unused")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu", name="relu_dense")])
    with pytest.raises(GanlibError, match="relu_dense.*no web export"):
        web.generator_ops(model)


def test_export_web_command(tmp_path, capsys):
    assert main(["export-web", "cgan-mnist", "--out", str(tmp_path)]) == 0
    manifest, _ = web.load_export(tmp_path / "cgan-mnist.js")
    assert manifest["sha256"] in capsys.readouterr().out
    assert [op["op"] for op in manifest["ops"]].count("conditional_batch_norm") == 3
    assert not list(tmp_path.glob("*.partial"))
    assert main(["export-web", "nope", "--out", str(tmp_path)]) == 1
    assert "known models" in capsys.readouterr().err


def test_conditional_sampler_widget_redraws_and_checks_its_input():
    from ganlib import widgets

    generator = pretrained.load("cgan-mnist")
    sampler = widgets.conditional_sampler(generator, digit=4, truncation=0.5, seed=3)
    first = bytes(sampler.image.value)
    assert first.startswith(b"\x89PNG") and "digit <b>4</b>" in sampler.caption.value
    sampler.controls["digit"].value = 7
    assert bytes(sampler.image.value) != first and "digit <b>7</b>" in sampler.caption.value
    with pytest.raises(ValueError, match="digit must be an integer from 0 to 9"):
        widgets.conditional_sampler(generator, digit=10)
    with pytest.raises(ValueError, match="truncation must be one of"):
        widgets.conditional_sampler(generator, truncation=0.3)
    with pytest.raises(ValueError, match="class-conditional generator"):
        widgets.conditional_sampler(pretrained.load("dcgan-mnist"))
