"""What each page of the built site weighs: requests and bytes a browser fetches to show it.

    python benchmarks/page_weights.py [_build/html]

Serves the built site on 127.0.0.1 (no compression, like a plain file server), opens every page of
``_toc.yml`` in Debian's headless Chromium with its cache disabled, and sums the bytes of every
request the page makes (Chrome's ``Network.loadingFinished`` ``encodedDataLength``) after it has
loaded and rendered for 2.5 s.  Prints one line per page and the median.  Needs the ``dev`` extra
(selenium) and ``chromium`` with ``chromium-driver``.  Reported in the closing notes of issue 18.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "site"))
from browser import chromium, served  # noqa: E402  (site/ is no package: its name is the stdlib's)
from build_saved import toc_pages  # noqa: E402


def main(site: Path) -> None:
    with served(site) as base, chromium(("performance",)) as driver:
        weigh(base, driver)


def weigh(base: str, driver) -> None:
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
    weights = []
    for page in toc_pages():
        driver.get_log("performance")
        driver.get(f"{base}/{page}.html")
        time.sleep(2.5)
        finished = [json.loads(entry["message"])["message"] for entry in driver.get_log("performance")]
        finished = [m["params"]["encodedDataLength"] for m in finished if m["method"] == "Network.loadingFinished"]
        weights.append(sum(finished))
        print(f"{page:28s} {len(finished):3d} requests {sum(finished) / 1e6:6.2f} MB", flush=True)
    print(f"median {statistics.median(weights) / 1e6:.2f} MB, largest {max(weights) / 1e6:.2f} MB")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "_build/html"))
