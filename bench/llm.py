"""Generated answers with the offline 1.5B model over the 10 dev questions.

Prints, per question: time to first token, tokens/s while writing, total time, the final mode
(generated / fallback / extractive) and how many generated sentences the citation check removed.
Needs `make llm`. Run: `.venv/bin/python bench/llm.py [--backend llamacpp|openai]`.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT.parent / "shared" / "eval" / "seeds_dev.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--backend", default="llamacpp")
    parser.add_argument("--base-url", default="http://127.0.0.1:8000/v1")
    args = parser.parse_args()

    from akhbar.app import Akhbar
    from akhbar.settings import Settings

    questions = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line]
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings()
        settings.index_dir = Path(tmp) / "index"
        settings.llm.backend = args.backend
        settings.llm.base_url = args.base_url
        app = Akhbar(settings)
        app.build([ROOT / "seeds"])
        app.searcher.warm_up()
        app.ask("سؤال للإحماء عن غزة")  # loads the generator too
        print("| q | first token s | tokens/s | total s | mode | sentences removed |")
        print("|---|---|---|---|---|---|")
        modes: dict[str, int] = {}
        removed_all = 0
        for q in questions:
            t0 = time.perf_counter()
            first = last = None
            tokens = 0
            final = None
            for partial in app.stream(q["question"], q["history"]):
                now = time.perf_counter()
                if partial.answer and first is None:
                    first = now
                tokens += 1
                last = now
                final = partial
            assert final is not None
            total = time.perf_counter() - t0
            rate = (tokens - 1) / (last - first) if first and last and last > first else 0.0
            removed = len((final.check or {}).get("dropped", [])) if hasattr(final, "check") else 0
            removed_all += removed
            modes[final.mode] = modes.get(final.mode, 0) + 1
            print(
                f"| {q['id']} | {(first or t0) - t0:.1f} | {rate:.1f} | {total:.1f} | "
                f"{final.mode} | {removed} |"
            )
        print(f"\nmodes: {modes}; generated sentences removed by the check: {removed_all}")


if __name__ == "__main__":
    main()
