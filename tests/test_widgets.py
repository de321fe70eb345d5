
import numpy as np
import pytest

from ganlib import latent, model, utils, widgets
from ganlib.losses import LOSSES
from ganlib.model import latent_code, make_generator
from ganlib.gan import METRIC_NAMES
from ganlib.sampling import fixed_noise

PNG = b"\x89PNG\r\n\x1a\n"


def gaussian_pair(d=100, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal(d), rng.standard_normal(d)


# ---- lerp / slerp / interpolate / walk --------------------------------------------------------

def test_lerp_closed_form_and_shapes():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([3.0, 2.0, -1.0])
    np.testing.assert_allclose(latent.lerp(a, b, 0.0), a)
    np.testing.assert_allclose(latent.lerp(a, b, 1.0), b)
    np.testing.assert_allclose(latent.lerp(a, b, 0.25), [1.5, 2.0, 2.0])
    path = latent.lerp(a, b, np.linspace(0, 1, 5))
    assert path.shape == (5, 3)
    np.testing.assert_allclose(path[2], (a + b) / 2)


def test_slerp_endpoints_and_orthogonal_closed_form():
    a, b = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    t = np.linspace(0, 1, 7)
    path = latent.slerp(a, b, t)
    # A quarter circle at constant angular speed: (cos(t pi/2), sin(t pi/2)).
    np.testing.assert_allclose(path, np.stack([np.cos(t * np.pi / 2), np.sin(t * np.pi / 2)], axis=1), atol=1e-12)
    z_a, z_b = gaussian_pair()
    np.testing.assert_allclose(latent.slerp(z_a, z_b, 0.0), z_a, atol=1e-12)
    np.testing.assert_allclose(latent.slerp(z_a, z_b, 1.0), z_b, atol=1e-12)


def test_slerp_keeps_the_norm_of_equal_norm_endpoints_and_lerp_does_not():
    z_a, z_b = gaussian_pair()
    z_b = z_b / np.linalg.norm(z_b) * np.linalg.norm(z_a)  # equal norms
    t = np.linspace(0, 1, 11)
    norms = np.linalg.norm(latent.slerp(z_a, z_b, t), axis=1)
    np.testing.assert_allclose(norms, np.linalg.norm(z_a), rtol=1e-12)
    # The angle to z_a grows linearly in t.
    path = latent.slerp(z_a, z_b, t)
    cos = path @ z_a / (np.linalg.norm(path, axis=1) * np.linalg.norm(z_a))
    angles = np.arccos(np.clip(cos, -1, 1))
    np.testing.assert_allclose(angles, t * angles[-1], atol=1e-9)
    # Linear interpolation cuts through the inside of the shell: for near-orthogonal Gaussian
    # endpoints the midpoint's norm is about 1/sqrt(2) of theirs.
    midpoint = np.linalg.norm(latent.lerp(z_a, z_b, 0.5))
    assert midpoint < 0.85 * np.linalg.norm(z_a)


def test_slerp_degenerate_endpoints():
    a = np.array([1.0, 2.0, 2.0])
    np.testing.assert_allclose(latent.slerp(a, 2 * a, 0.5), 1.5 * a)  # parallel: the same path as lerp
    with pytest.raises(ValueError, match="opposite"):
        latent.slerp(a, -a, 0.5)
    with pytest.raises(ValueError, match="zero"):
        latent.slerp(a, np.zeros(3), 0.5)
    with pytest.raises(ValueError, match="same shape"):
        latent.slerp(a, np.ones(4), 0.5)
    with pytest.raises(ValueError, match="latent vector"):
        latent.lerp(np.ones((2, 3)), np.ones((2, 3)), 0.5)


def test_interpolate_shapes_methods_and_errors():
    z_a, z_b = gaussian_pair()
    for method in latent.INTERPOLATIONS:
        path = latent.interpolate(z_a, z_b, 9, method)
        assert path.shape == (9, 100) and path.dtype == np.float32
        np.testing.assert_allclose(path[0], z_a, rtol=1e-6)
        np.testing.assert_allclose(path[-1], z_b, rtol=1e-6)
    assert not np.allclose(latent.interpolate(z_a, z_b, 3, "slerp")[1], latent.interpolate(z_a, z_b, 3, "linear")[1])
    with pytest.raises(ValueError, match="linear"):
        latent.interpolate(z_a, z_b, 9, "cubic")
    for steps in (1, 0, 2.5, True):
        with pytest.raises(ValueError, match="steps"):
            latent.interpolate(z_a, z_b, steps)


def test_walk_moves_one_coordinate_only():
    z = fixed_noise(1, 100, seed=3)[0]
    out = latent.walk(z, 7, [-2.0, 0.0, 2.0])
    assert out.shape == (3, 100) and out.dtype == np.float32
    np.testing.assert_array_equal(out[:, 7], [-2.0, 0.0, 2.0])
    np.testing.assert_array_equal(np.delete(out, 7, axis=1), np.repeat(np.delete(z, 7)[None], 3, axis=0))
    for coordinate in (-1, 100, 1.0):
        with pytest.raises(ValueError, match="0 to 99"):
            latent.walk(z, coordinate, [0.0])
    with pytest.raises(ValueError, match="non-empty"):
        latent.walk(z, 0, [])


def test_category_values_select_each_category():
    for categories in (2, 10):
        values = latent.category_values(categories)
        z = latent.walk(fixed_noise(1, 12, seed=0)[0], 0, values)
        np.testing.assert_array_equal(np.asarray(latent_code(z, categories)), np.arange(categories))
    np.testing.assert_allclose(latent.category_values(2), [-0.6744897501960817, 0.6744897501960817])
    with pytest.raises(ValueError, match=">= 2"):
        latent.category_values(1)


def test_code_layout():
    info = make_generator(latent_dim=12, width=1, codes=10)
    assert latent.code_layout(info, continuous=2) == {"latent_dim": 12, "categories": 10, "continuous": [1, 2]}
    plain = make_generator(latent_dim=12, width=1)
    assert latent.code_layout(plain, continuous=1) == {"latent_dim": 12, "categories": 0, "continuous": [0]}
    with pytest.raises(ValueError, match="0 to 11"):
        latent.code_layout(info, continuous=12)


# ---- the latent explorer -----------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_infogan():
    return make_generator(latent_dim=16, width=2, codes=4)


def test_latent_explorer_draws_and_redraws(small_infogan):
    app = widgets.latent_explorer(small_infogan, continuous=2, steps=5)
    first, walk = bytes(app.images["interpolation"].value), bytes(app.images["walk"].value)
    assert first.startswith(PNG) and walk.startswith(PNG)
    assert "categorical code" in app.captions["walk"].value and "slant" in app.captions["walk"].value
    assert app.controls["coordinate"].disabled  # only the "coordinate" direction uses it

    app.controls["seed_b"].value = 5
    assert bytes(app.images["interpolation"].value) != first
    assert "seed 5" in app.captions["interpolation"].value
    assert bytes(app.images["walk"].value) == walk  # the walk starts from seed A, which did not change

    app.controls["method"].value = "linear"
    assert "linear" in app.captions["interpolation"].value
    app.controls["direction"].value = "continuous 2"
    assert "z[2]" in app.captions["walk"].value and bytes(app.images["walk"].value) != walk
    app.controls["direction"].value = "coordinate"
    assert not app.controls["coordinate"].disabled
    app.controls["coordinate"].value = 9
    assert "z[9]" in app.captions["walk"].value
    with pytest.raises(ValueError, match="coordinate"):
        widgets.latent_explorer(small_infogan, direction="sideways")


def test_walk_path_directions(small_infogan):
    layout = latent.code_layout(small_infogan, 2)
    z = fixed_noise(1, 16, seed=1)[0]
    moved, values = latent.walk_path(z, layout, "code")
    assert moved.shape == (4, 16)
    np.testing.assert_array_equal(np.asarray(latent_code(moved, 4)), np.arange(4))
    moved, values = latent.walk_path(z, layout, "continuous 1", span=2.0, steps=5)
    np.testing.assert_allclose(moved[:, 1], [-2, -1, 0, 1, 2])
    with pytest.raises(ValueError, match="no categorical code"):
        latent.walk_path(z, latent.code_layout(make_generator(16, 1)), "code")
    with pytest.raises(ValueError, match="continuous codes"):
        latent.walk_path(z, layout, "continuous 3")


# ---- the training playground -------------------------------------------------------------------

def test_run_playground_default_gan(few_images):
    calls = []
    result = widgets.run_playground("non-saturating", 2e-4, 20, 0, few_images,
                                    on_step=lambda step, values: calls.append((step, len(values["d_loss"]))))
    for name in METRIC_NAMES:
        assert result[name].shape == (20,) and np.isfinite(result[name]).all()
    assert ((result["d_real"] > 0) & (result["d_real"] < 1)).all() and ((result["d_fake"] > 0) & (result["d_fake"] < 1)).all()
    assert result["samples"].shape == (16, 28, 28) and result["samples"].dtype == np.uint8
    assert calls == [(10, 10), (20, 20)]
    assert result["width"] == 32 and result["seconds"] > 0
    # D learns in 20 steps: it separates the batches better at the end than at the start.
    assert result["d_real"][-5:].mean() - result["d_fake"][-5:].mean() > result["d_real"][0] - result["d_fake"][0]


def test_run_playground_is_reproducible_and_uses_the_loss(few_images):
    a = widgets.run_playground("hinge", 1e-3, 4, 3, few_images, width=4, batch_size=16)
    b = widgets.run_playground("hinge", 1e-3, 4, 3, few_images, width=4, batch_size=16)
    c = widgets.run_playground("non-saturating", 1e-3, 4, 3, few_images, width=4, batch_size=16)
    d = widgets.run_playground("minimax", 1e-3, 4, 3, few_images, width=4, batch_size=16)
    np.testing.assert_array_equal(a["d_loss"], b["d_loss"])
    np.testing.assert_array_equal(a["samples"], b["samples"])
    # Same seed: same initial weights and first batch, so D's first outputs agree whatever the loss...
    assert a["d_real"][0] == c["d_real"][0] == d["d_real"][0]
    # ... but the losses computed from them do not: hinge differs from the cross-entropy, and the
    # minimax G loss E[log(1 - D(G(z)))] is negative where the non-saturating -E[log D(G(z))] is positive.
    assert a["d_loss"][0] != pytest.approx(c["d_loss"][0], abs=1e-3)
    assert c["d_loss"][0] == pytest.approx(d["d_loss"][0])  # both use the same D loss
    assert (d["g_loss"] < 0).all() and (c["g_loss"] > 0).all()


def test_run_playground_rejects_bad_arguments():
    with pytest.raises(ValueError) as error:
        widgets.run_playground("wasserstein", 2e-4, 20)
    assert all(name in str(error.value) for name in LOSSES)
    for steps in (0, -5, 2.5):
        with pytest.raises(ValueError, match="positive integer"):
            widgets.run_playground("non-saturating", 2e-4, steps)
    for rate in (0, -1e-4, float("nan")):
        with pytest.raises(ValueError, match="learning_rate"):
            widgets.run_playground("non-saturating", rate, 20)
    with pytest.raises(ValueError, match="non-saturating"):
        widgets.training_playground(loss="bce", run_now=False)


def test_training_playground_button_runs_and_draws(few_images):
    app = widgets.training_playground(few_images, seed=1, steps=6, run_now=False, width=4, batch_size=16, every=3)
    assert app.result is None and "Press" in app.status.value
    assert app.images["curves"].layout.display == "none"
    assert app.controls["steps"].value == 6  # shorter than the slider's usual minimum
    app.controls["loss"].value = "minimax"
    app.controls["train"].click()
    assert app.result is not None and app.result["loss"] == "minimax" and app.result["steps"] == 6
    assert bytes(app.images["curves"].value).startswith(PNG) and bytes(app.images["samples"].value).startswith(PNG)
    assert app.images["samples"].layout.display is None
    assert "6 steps" in app.status.value and "minimax" in app.status.value
    assert not app.controls["train"].disabled


# ---- stroke statistics and layer tables --------------------------------------------------------

def test_stroke_stats_closed_forms():
    blank = np.zeros((28, 28), np.uint8)
    full = np.full((28, 28), 255, np.uint8)
    upright = blank.copy()
    upright[4:24, 13:15] = 255  # a vertical bar
    rising = blank.copy()
    for i in range(4, 24):
        rising[27 - i, i] = 255  # x = y: one pixel right per pixel up, "/"
    falling = rising[:, ::-1]  # mirrored: "\"
    stats = latent.stroke_stats(np.stack([blank, full, upright, rising, falling]))
    np.testing.assert_allclose(stats["ink"], [0.0, 1.0, 40 / 784, 20 / 784, 20 / 784])
    np.testing.assert_allclose(stats["slant"], [0.0, 0.0, 0.0, 1.0, -1.0], atol=1e-12)
    # [-1, 1] floats are read as model-range images: -1 is no ink.
    np.testing.assert_allclose(latent.stroke_stats(np.full((2, 28, 28, 1), -1.0))["ink"], 0.0)


def test_layer_table_counts_parameters_by_hand():
    generator = make_generator(latent_dim=10, width=2)
    rows = {row["layer"]: row for row in model.layer_table(generator)}
    dense = next(row for row in rows.values() if row["what it does"].startswith("linear map"))
    assert dense["parameters"] == 10 * 7 * 7 * 8 and dense["output shape"] == "(N, 392)"  # no bias
    last = list(rows.values())[-1]
    assert last["parameters"] == 5 * 5 * 2 * 1 + 1 and last["output shape"] == "(N, 28, 28, 1)"
    assert "tanh" in last["what it does"] and "1 channel + bias" in last["what it does"]
    norms = [row for row in rows.values() if row["what it does"].startswith("normalises")]
    assert [(row["parameters"], row["trainable"]) for row in norms] == [(4 * 392, 2 * 392), (16, 8), (8, 4)]
    assert sum(row["parameters"] for row in rows.values()) == generator.count_params()
    table = utils.html_table(model.layer_table(generator))
    assert table.startswith('<table class="table"><thead><tr><th>layer</th><th>output shape</th>')
    assert table.count("<tr>") == 1 + len(generator.layers) and '<td style="text-align: right">3,920</td>' in table
    assert "&lt;b&gt;" in utils.html_table([{"a": "<b>"}])  # text is escaped
    with pytest.raises(ValueError, match="at least one row"):
        utils.html_table([])


def linear_toy_generator():
    """A 'generator' whose every pixel is tanh(0.2 * z[1]): it ignores z[0] and z[2]."""
    import keras

    dense = keras.layers.Dense(784, activation="tanh")
    toy = keras.Sequential([keras.Input((3,)), dense, keras.layers.Reshape((28, 28, 1))])
    kernel = np.zeros((3, 784), np.float32)
    kernel[1] = 0.2
    dense.set_weights([kernel, np.zeros(784, np.float32)])
    return toy


def test_walk_effects_closed_form():
    z = fixed_noise(8, 3, seed=0)
    effects = latent.walk_effects(linear_toy_generator(), z, [0, 1, 2], low=-2.5, high=2.5)
    np.testing.assert_array_equal(effects["coordinate"], [0, 1, 2])
    assert effects["ink"][0] == 0.0 and effects["ink"][2] == 0.0  # ignored coordinates change nothing
    # ink = mean((x + 1) / 2) for x = tanh(0.2 z1), up to the rounding to uint8 (1/255).
    assert effects["ink"][1] == pytest.approx(np.tanh(0.5), abs=1 / 255)
    np.testing.assert_allclose(effects["slant"], 0.0, atol=1e-12)  # uniform images have no slant
    with pytest.raises(ValueError, match="0..2"):
        latent.walk_effects(linear_toy_generator(), z, [3])


def test_category_digits_rows_are_shares(small_infogan):
    table = latent.category_digits(small_infogan, fixed_noise(20, 16, seed=0))
    assert table.shape == (4, 10)
    np.testing.assert_allclose(table.sum(axis=1), 1.0)
    assert ((table * 20) % 1 == 0).all()  # counts of 20 samples
    with pytest.raises(ValueError, match="no categorical code"):
        latent.category_digits(make_generator(16, 1), fixed_noise(4, 16))
