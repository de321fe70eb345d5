"""The live apps against Keras: the pixels a page's explorer or sampler drew, next to the pixels
the shipped generator gives in Python (Keras) for the same settings.

Used by ``tests/test_browser.py`` (which asserts) and ``benchmarks/browser_vs_keras.py`` (which
reports).  The latent vectors are rebuilt here from the app's settings with the library's own
functions (``latent.seed_noise``, ``interpolate``, ``walk_path``, ``conditional.truncated_noise``),
so the comparison covers the page's noise and paths as well as its network.
"""

from __future__ import annotations

import numpy as np

# In the page: the app's last drawing (ganlibLast) as plain arrays.
READ_APP = """
const app = document.querySelector(arguments[0]);
if (!app || app.dataset.state !== 'ready' || !app.ganlibLast) return null;
const out = {settings: app.ganlibLast.settings, renders: +app.dataset.renders, model: app.dataset.model,
             kind: app.dataset.app};
for (const [key, value] of Object.entries(app.ganlibLast)) {
  if (key === 'ms') out.ms = value;
  else if (key !== 'settings') out[key] = Array.from(value);
}
return out;
"""


def keras_expected(state: dict) -> dict[str, np.ndarray]:
    """The latent vectors and Keras' pixels in [-1, 1] (flat, float32) for an app's ``state``
    (what :data:`READ_APP` returns): keys as the page's (``interpolation``/``walk`` with
    ``z_interpolation``/``z_walk`` for the explorer; ``samples`` with ``z`` for the sampler)."""
    from ganlib import latent, pretrained
    from ganlib.apps import conditional

    generator = pretrained.load(state["model"])
    s = state["settings"]
    if state["kind"] == "explorer":
        settings = pretrained.settings(state["model"])
        d = int(generator.input_shape[-1])
        z_a, z_b = latent.seed_noise(s["seed_a"], d), latent.seed_noise(s["seed_b"], d)
        path = latent.interpolate(z_a, z_b, s["steps"], s["method"])
        layout = latent.code_layout(generator, int(settings.get("continuous", 0)))
        moved, _ = latent.walk_path(z_a, layout, s["direction"], s["coordinate"], s["span"], s["steps"])
        return {"z_interpolation": path, "interpolation": np.asarray(generator(path, training=False)),
                "z_walk": moved, "walk": np.asarray(generator(moved, training=False))}
    z = conditional.truncated_noise(s["n"], int(generator.input_shape[0][-1]), s["seed"], s["truncation"])
    labels = np.full(s["n"], s["digit"], np.int32)
    return {"z": z, "samples": np.asarray(generator([z, labels], training=False))}


def differences(state: dict, expected: dict) -> dict[str, dict[str, float]]:
    """Per key: ``max`` and ``mean`` absolute difference, pixels on a [0, 1] scale (x+1)/2 for the
    images, raw for the latent vectors; and ``pixels``, how many were compared."""
    out = {}
    for key, reference in expected.items():
        reference = np.asarray(reference, dtype=np.float64).ravel()
        page = np.asarray(state[key], dtype=np.float64)
        if page.shape != reference.shape:
            raise AssertionError(f"{key}: the page has {page.size} numbers, Keras {reference.size}")
        scale = 1.0 if key.startswith("z") else 0.5
        gap = np.abs(page - reference) * scale
        out[key] = {"max": float(gap.max()), "mean": float(gap.mean()), "numbers": int(gap.size)}
    return out


# In the page: set the app's controls (name -> value) and redraw once.
SET_CONTROLS = """
const app = document.querySelector(arguments[0]);
const values = arguments[1];
for (const [name, value] of Object.entries(values)) {
  const control = app.querySelector(`[name="${name}"]`);
  if (!control) throw new Error(`no control ${name}`);
  control.value = String(value);
}
app.querySelector(`[name="${Object.keys(values)[0]}"]`).dispatchEvent(new Event('change'));
"""


def wait_ready(driver, selector: str, seconds: float = 60) -> dict:
    """Wait until the app at ``selector`` has drawn once; return its state (:data:`READ_APP`)."""
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(driver, seconds).until(lambda d: d.execute_script(READ_APP, selector) is not None)
    return driver.execute_script(READ_APP, selector)
