"""SaudiNewsNet from 1k to 30k articles on real vectors: build, size, search and answer times.

Run, after the whole corpus has been indexed with the model (`bench/snn.py --articles 30100
--index-dir FULL`):

    nice .venv/bin/python bench/snn_curve.py --full-index FULL [--sizes 1000,3000,10000]

For each size N, an index of the first N SaudiNewsNet articles is built by `bench/snn.py` in a
fresh process, exactly as a user's build runs, with one difference: the folder's resumable
embedding cache (`embed-cache.sqlite`, the same file an interrupted build leaves behind) is first
filled with the real vectors of the whole index, so nothing is embedded again. Every vector is
the model's own; only the embedding time is left out (the full build measured it). The build then
reads, splits, takes vectors from the cache, builds BM25 and FAISS and commits, and `snn.py`
times search and answers over questions made of article titles with model and index loaded.

Prints a Markdown table (with the full build's row from `bench/out/snn-30100.json` when it is
there) and writes `bench/out/snn-curve.json`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"


def seed_cache(full_index: Path, path: Path) -> int:
    """Write an embedding cache file holding every (chunk text, vector) of the full index.

    Args:
        full_index: The index folder of the whole corpus.
        path: The cache file to write (replaced).

    Returns:
        Vectors written.
    """
    from akhbar.settings import Settings
    from index.embed_cache import EmbeddingCache
    from index.passage import Passage
    from index.stores import make_store

    settings = Settings()
    snapshot = make_store(settings.store, full_index).open()
    identity = snapshot.manifest.embedding
    path.unlink(missing_ok=True)
    cache = EmbeddingCache(path, identity, snapshot.manifest.dim)
    rows = snapshot.chunks
    step = 4096
    for a in range(0, len(rows), step):
        part = range(a, min(a + step, len(rows)))
        texts = [Passage.from_dict(rows[i]).embed_text() for i in part]
        cache.put_many(texts, snapshot.vectors_at(list(part)))
    n = len(cache)
    cache.close()
    return n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--full-index", type=Path, required=True)
    parser.add_argument("--sizes", default="1000,3000,10000")
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--work", type=Path, default=OUT / "snn-curve")
    args = parser.parse_args()

    from index.embed_cache import CACHE_NAME

    args.work.mkdir(parents=True, exist_ok=True)
    seed = args.work / "seed.sqlite"
    seeded = seed_cache(args.full_index, seed)  # once; each size starts from a copy
    print(f"# cache seeded with {seeded} vectors", file=sys.stderr, flush=True)
    results: list[dict[str, Any]] = []
    for n in (int(s) for s in args.sizes.split(",")):
        folder = args.work / f"index-{n}"
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        shutil.copyfile(seed, folder / CACHE_NAME)
        cmd = [
            sys.executable,
            str(ROOT / "bench" / "snn.py"),
            "--articles",
            str(n),
            "--index-dir",
            str(folder),
            "--questions",
            str(args.questions),
        ]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, cwd=ROOT, env=os.environ)
        result = json.loads((OUT / f"snn-{n}.json").read_text(encoding="utf-8"))
        result["source"] = "vectors from the full build (cache seeded), not re-embedded"
        results.append(result)
        shutil.rmtree(folder)
    seed.unlink()
    full = OUT / "snn-30100.json"
    if full.exists():
        row = json.loads(full.read_text(encoding="utf-8"))
        row["source"] = "full build with the model"
        results.append(row)
    (OUT / "snn-curve.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(
        "| articles | chunks | vectors | build s (embedding excluded where cached) | peak RSS MB "
        "| size MB | search p50 / p95 ms | answer p50 / p95 ms | load avg |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for r in results:
        how = "full build" if r.get("embedded_chunks") else "from cache"
        print(
            f"| {r['articles']:,} | {r['chunks']:,} | {how} | {r['build_s']:.0f} | "
            f"{r['peak_rss_mb']:.0f} | {r['size_mb']:.1f} | "
            f"{r['search_p50_ms']:.0f} / {r['search_p95_ms']:.0f} | "
            f"{r['answer_p50_ms']:.0f} / {r['answer_p95_ms']:.0f} | {r['load_avg']:.1f} |"
        )


if __name__ == "__main__":
    main()
