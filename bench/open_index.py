"""Opening a FAISS-store index: rows read on demand (offsets) against rows parsed whole.

Run: `.venv/bin/python bench/open_index.py --index-dir DIR [--runs 3]`. Each run is a fresh
process that opens the live generation (`IndexStore.open`) and reads 20 chunk rows spread over
it, as a question does; "whole" is the same process with the offsets files ignored (how a
generation written before they existed is read: every chunk and article parsed into memory).
Prints wall seconds (median and min) and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]

CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from pathlib import Path
import index.stores.faiss_store as fs
if {whole!r}:
    fs.read_offsets = lambda *a: None
t = time.perf_counter()
snap = fs.IndexStore(Path({index!r})).open()
n = len(snap.chunks)
rows = [snap.chunks[i] for i in range(0, n, max(1, n // 20))]
print(json.dumps({{"s": time.perf_counter() - t, "chunks": n, "docs": len(snap.docs),
    "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}}))
"""


def run(index: Path, whole: bool) -> dict[str, float]:
    """One fresh process; its measurements."""
    code = CHILD.format(root=str(ROOT), whole=whole, index=str(index))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print("| rows | articles | chunks | open + 20 rows: wall s median (min) | peak RSS MB |")
    print("|---|---|---|---|---|")
    for whole in (False, True):
        results = [run(args.index_dir, whole) for _ in range(args.runs)]
        s = [r["s"] for r in results]
        print(
            f"| {'parsed whole' if whole else 'on demand (offsets)'} | {results[0]['docs']:,} | "
            f"{results[0]['chunks']:,} | {np.median(s):.2f} ({min(s):.2f}) | "
            f"{max(r['rss_mb'] for r in results):.0f} |"
        )


if __name__ == "__main__":
    main()
