"""The live apps against Keras, over many settings: pixel differences and drawing time.

    python benchmarks/browser_vs_keras.py [_build/html]

Opens the built site's latent explorer (``book/code_model``) and conditional sampler
(``book/app_conditional``) in Debian's headless Chromium, sets their controls to every
combination listed below, and compares each drawing with what the shipped generator gives in
Keras for the same settings (``site/live_check.py``; pixels on a [0, 1] scale).  Prints the
largest and the mean absolute difference over all pixels, and the time of a drawing in the page
(TensorFlow.js, CPU backend) against the same batch through Keras (an eager call, median of 5),
as a ratio measured in one run on one machine.  Reported in the closing notes of issue 18.
"""

from __future__ import annotations

import itertools
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from ganlib.quiet import import_tensorflow_quietly

import_tensorflow_quietly()
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "site"))
import live_check  # noqa: E402  (site/ is no package: its name is the stdlib's)
from browser import chromium, served  # noqa: E402

EXPLORER = [dict(seed_a=a, seed_b=b, method=m, direction=d, coordinate=c, steps=s)
            for (a, b), m, d, (c, s) in itertools.product([(0, 1), (5, 17), (42, 99)], ["slerp", "linear"],
                                                          ["code", "continuous 1", "continuous 2", "coordinate"],
                                                          [(3, 9), (60, 15)])]
SAMPLER = [dict(digit=d, truncation="none" if t is None else t, seed=s)
           for d, t, s in itertools.product(range(10), [None, 2.0, 1.0, 0.5], [0, 19])]


def keras_ms(state: dict, expected: dict) -> float:
    """Median of 5 eager calls of the shipped generator on the drawing's latent vectors."""
    from ganlib import pretrained

    generator = pretrained.load(state["model"])
    if state["kind"] == "sampler":
        inputs = [[expected["z"], np.full(len(expected["z"]), state["settings"]["digit"], np.int32)]]
    else:
        inputs = [expected["z_interpolation"], expected["z_walk"]]
    times = []
    for _ in range(5):
        start = time.perf_counter()
        for x in inputs:
            np.asarray(generator(x, training=False))
        times.append(1000 * (time.perf_counter() - start))
    return statistics.median(times)


def run(driver, base: str, page: str, kind: str, settings: list[dict]) -> None:
    driver.get(f"{base}/{page}.html")
    selector = f'.ganlib-live[data-app="{kind}"]'
    live_check.wait_ready(driver, selector)
    worst, total, count, ratios, page_ms = 0.0, 0.0, 0, [], []
    for values in settings:
        driver.execute_script(live_check.SET_CONTROLS, selector, values)
        state = driver.execute_script(live_check.READ_APP, selector)
        expected = live_check.keras_expected(state)
        for key, gap in live_check.differences(state, expected).items():
            if key.startswith("z"):
                assert gap["max"] < 1e-5, (values, key, gap)
            else:
                worst = max(worst, gap["max"])
                total, count = total + gap["mean"] * gap["numbers"], count + gap["numbers"]
        page_ms.append(state["ms"])
        ratios.append(state["ms"] / keras_ms(state, expected))
    print(f"{kind:9s} {len(settings):3d} settings, {count:,} pixels: max |browser - Keras| {worst:.2e}, "
          f"mean {total / count:.2e} (goal: mean < 1/255 = {1 / 255:.2e}); drawing in the page: median "
          f"{statistics.median(page_ms):.0f} ms, {statistics.median(ratios):.1f}x Keras' time", flush=True)


def main(site: Path) -> None:
    with served(site) as base, chromium(("browser",)) as driver:
        run(driver, base, "book/code_model", "explorer", EXPLORER)
        run(driver, base, "book/app_conditional", "sampler", SAMPLER)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "_build/html"))
