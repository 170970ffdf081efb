"""Indexing benchmark: chunks/s, model tokens/s and peak memory for the seeds and ARCD passages.

Run: `.venv/bin/python bench/indexing.py` (each corpus is indexed in a fresh process so that
its peak memory is its own). Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPORA = {
    "seeds (2 articles)": ROOT / "seeds",
    "ARCD-train passages (231)": ROOT.parent / "shared" / "eval" / "arcd-train.passages.jsonl",
}


def one(path: Path) -> dict[str, float]:
    from akhbar.app import Akhbar
    from akhbar.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings()
        settings.index_dir = Path(tmp) / "index"
        app = Akhbar(settings)
        t0 = time.perf_counter()
        app.embeddings.warm_up()
        load = time.perf_counter() - t0
        summary = app.build([path])
        return {
            "articles": summary.documents,
            "chunks": summary.chunks,
            "tokens": summary.embedded_tokens,
            "model_load_s": load,
            "embed_s": summary.embed_seconds,
            "total_s": summary.seconds,
            "chunks_per_s": summary.chunks / summary.embed_seconds,
            "tokens_per_s": summary.embedded_tokens / summary.embed_seconds,
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--one", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one(args.one)))
        return
    print(
        "| corpus | articles | chunks | model tokens | embed s | chunks/s | tokens/s | build s (all) | peak MB |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, path in CORPORA.items():
        out = (
            subprocess.run(
                [sys.executable, __file__, "--one", str(path)],
                capture_output=True,
                text=True,
                check=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        r = json.loads(out)
        print(
            f"| {name} | {r['articles']} | {r['chunks']} | {r['tokens']} | {r['embed_s']:.1f} | "
            f"{r['chunks_per_s']:.1f} | {r['tokens_per_s']:.0f} | {r['total_s']:.1f} | {r['peak_mb']:.0f} |"
        )


if __name__ == "__main__":
    main()
