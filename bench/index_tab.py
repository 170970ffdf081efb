"""The «الفهرس» tab on a big index, in a real browser: how long until the list is shown.

Run: `.venv/bin/python bench/index_tab.py --index-dir DIR [--rounds 5]`. Starts `akhbar serve`
on the index, opens the page in headless Debian Chromium (playwright, `/usr/bin/chromium`) and
times, from the click or key press to the table on screen:

* opening the tab (first page of the whole list; the first round also builds the sorted list);
* the next page;
* a search by the first four words of a random article's title (a new random article each round).

Prints a Markdown table (ms, p50 and max over the rounds) and writes `bench/out/index-tab.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from pathlib import Path
from typing import Any

import numpy as np
from cold import start_serve  # bench/cold.py (this folder is on sys.path when run)

from ui.index_tab import PER_PAGE

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SEARCH = "#akhbar-index-search textarea, #akhbar-index-search input"


def titles(index_dir: Path) -> dict[str, str]:
    """Article ids and titles of the live index (as the tab shows them)."""
    from akhbar.app import Akhbar
    from akhbar.settings import Settings

    settings = Settings()
    settings.index_dir = index_dir
    info = Akhbar(settings).info()
    return {str(k): str(v) for k, v in (info.get("titles") or {}).items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--port", type=int, default=7893)
    parser.add_argument("--out", type=Path, default=OUT / "index-tab.json")
    args = parser.parse_args()

    from playwright.sync_api import sync_playwright

    docs = titles(args.index_dir)
    rng = random.Random(0)
    ids = sorted(docs)
    timed: dict[str, list[float]] = {"open": [], "next": [], "search": []}
    proc = start_serve(args.index_dir, args.port)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for _ in range(args.rounds):
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(f"http://127.0.0.1:{args.port}/")
                page.get_by_role("tab", name="الفهرس").wait_for()
                info = page.locator("#akhbar-index-info")
                t = time.perf_counter()
                page.get_by_role("tab", name="الفهرس").click()
                info.get_by_text("الصفحة 1 من").first.wait_for()
                timed["open"].append(1000 * (time.perf_counter() - t))
                if len(docs) > PER_PAGE:
                    t = time.perf_counter()
                    page.click("#akhbar-index-next")
                    info.get_by_text("الصفحة 2 من").first.wait_for()
                    timed["next"].append(1000 * (time.perf_counter() - t))
                doc_id = rng.choice([d for d in ids if len(docs[d].split()) >= 4])
                query = " ".join(docs[doc_id].split()[:4])
                page.fill(SEARCH, query)
                t = time.perf_counter()
                page.locator(SEARCH).press("Enter")
                info.get_by_text(doc_id, exact=True).first.wait_for()
                timed["search"].append(1000 * (time.perf_counter() - t))
                page.close()
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)

    result: dict[str, Any] = {
        "index_dir": str(args.index_dir),
        "articles": len(docs),
        "rounds": args.rounds,
        "load_avg": os.getloadavg()[0],
    }
    for name, values in timed.items():
        if not values:
            values = [float("nan")]
        result[f"{name}_p50_ms"] = float(np.percentile(values, 50))
        result[f"{name}_max_ms"] = float(max(values))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(json.dumps(result, indent=1))
    print(
        "\n| articles | open the tab p50 / max ms | next page p50 / max ms | search p50 / max ms |"
    )
    print("|---|---|---|---|")
    r = result
    print(
        f"| {r['articles']:,} | {r['open_p50_ms']:.0f} / {r['open_max_ms']:.0f} | "
        f"{r['next_p50_ms']:.0f} / {r['next_max_ms']:.0f} | "
        f"{r['search_p50_ms']:.0f} / {r['search_max_ms']:.0f} |"
    )


if __name__ == "__main__":
    main()
