"""Answer latency on the seeds index: the 10 dev questions, asked 5 times each after a warm-up.

Run: `.venv/bin/python bench/latency.py`. The model and index are loaded before timing (as in a
running server); the clause-vector cache is cleared before every question, so each answer pays
its full cost.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "eval" / "seeds_dev.jsonl"
ROUNDS = 5


def main() -> None:
    from akhbar.app import Akhbar
    from akhbar.settings import Settings
    from qa.extractive import CachedEncoder

    questions = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings()
        settings.index_dir = Path(tmp) / "index"
        app = Akhbar(settings)
        app.build([ROOT / "seeds"])
        app.searcher.warm_up()
        app.ask("سؤال للإحماء عن غزة")
        times: dict[str, list[float]] = {q["id"]: [] for q in questions}
        for _ in range(ROUNDS):
            for q in questions:
                app.engine._encode_units = CachedEncoder(app.embeddings.encode_passages)
                t0 = time.perf_counter()
                app.ask(q["question"], q["history"])
                times[q["id"]].append(time.perf_counter() - t0)
    every = [t for ts in times.values() for t in ts]
    print(f"seeds index, {len(questions)} dev questions x {ROUNDS} rounds, cold clause cache\n")
    print("| question | kind | median ms |")
    print("|---|---|---|")
    for q in questions:
        print(f"| {q['id']} | {q['kind']} | {1000 * float(np.median(times[q['id']])):.0f} |")
    print(
        f"| **all** | | **{1000 * float(np.median(every)):.0f}** "
        f"(p95 {1000 * float(np.percentile(every, 95)):.0f}) |"
    )


if __name__ == "__main__":
    main()
