"""Chat API under load: throughput and latency at 1, 8 and 32 concurrent gradio_client clients.

Serves the real page for a seeds index on loopback and sends bounded request loops
(`--seconds` per level). Run: `.venv/bin/python bench/load.py`.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

QUESTIONS = [
    "من توسط في هدنة نوفمبر؟",
    "كم عدد الدول التي تعترف بدولة فلسطين؟",
    "هل أغلق معبر رفح؟",
    "من هو وزير الدفاع الإيطالي الذي التقى السيسي؟",
]


def level(url: str, clients: int, seconds: float) -> tuple[list[float], int, float]:
    """Run `clients` request loops for `seconds`; return latencies, failures and wall time."""
    from gradio_client import Client

    times: list[float] = []
    failed = 0
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def run(i: int) -> None:
        nonlocal failed
        c = Client(url, verbose=False)
        n = 0
        while time.monotonic() < deadline and n < 500:
            t0 = time.perf_counter()
            try:
                c.predict(QUESTIONS[(i + n) % len(QUESTIONS)], "[]", api_name="/ask")
            except Exception:
                with lock:
                    failed += 1
            else:
                with lock:
                    times.append(time.perf_counter() - t0)
            n += 1

    start = time.monotonic()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times, failed, time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()

    from conftest import serving  # the tests' loopback server helper

    from akhbar.app import Akhbar
    from akhbar.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings()
        settings.index_dir = Path(tmp) / "index"
        app = Akhbar(settings)
        app.build([ROOT / "seeds"])
        app.searcher.warm_up()
        print("| clients | requests | failed | answers/s | p50 ms | p95 ms |")
        print("|---|---|---|---|---|---|")
        with serving(app) as url:
            for clients in (1, 8, 32):
                times, failed, elapsed = level(url, clients, args.seconds)
                print(
                    f"| {clients} | {len(times) + failed} | {failed} | {len(times) / elapsed:.1f} | "
                    f"{1000 * float(np.median(times)):.0f} | {1000 * float(np.percentile(times, 95)):.0f} |"
                )


if __name__ == "__main__":
    main()
