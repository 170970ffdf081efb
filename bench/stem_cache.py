"""The stemmer's word cache: lexical terms of the first N SaudiNewsNet articles, by cache size.

Run: `.venv/bin/python bench/stem_cache.py [--articles 10000]`. For each cache size, times
`index.arabic.terms` over the articles' titles and texts with a fresh LRU cache of that size, and
measures what the filled cache holds in Python memory (tracemalloc, a separate fill). Prints the
distinct words seen and a Markdown table.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import json
import time
import tracemalloc
from itertools import islice
from pathlib import Path

import index.arabic as arabic

SNN = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "saudinewsnet.jsonl.gz"
SIZES = (200_000, 65_536, 16_384, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--corpus", type=Path, default=SNN)
    args = parser.parse_args()
    with gzip.open(args.corpus, "rt", encoding="utf-8") as fh:
        rows = [json.loads(line) for line in islice(fh, args.articles)]
    texts = [f"{r.get('title') or ''} {r.get('text') or ''}" for r in rows]
    raw = arabic.stem.__wrapped__
    words = {w for t in texts for w in arabic.normalize(t).split()}
    print(f"{len(texts)} articles, {len(words):,} distinct normalised words\n")
    print("| cache size (words) | terms() s | cache hits | cache MB when filled |")
    print("|---|---|---|---|")
    try:
        for size in SIZES:
            arabic.stem = functools.lru_cache(maxsize=size)(raw) if size else raw  # type: ignore[assignment]
            t0 = time.perf_counter()
            for text in texts:
                arabic.terms(text)
            seconds = time.perf_counter() - t0
            hits = arabic.stem.cache_info().hits if size else 0  # type: ignore[attr-defined]
            mb = 0.0
            if size:
                arabic.stem = functools.lru_cache(maxsize=size)(raw)  # type: ignore[assignment]
                tracemalloc.start()
                for text in texts:
                    arabic.terms(text)
                mb = tracemalloc.get_traced_memory()[0] / 1e6
                tracemalloc.stop()
            print(f"| {size or 'none'} | {seconds:.2f} | {hits:,} | {mb:.1f} |")
    finally:
        arabic.stem = functools.lru_cache(maxsize=65_536)(raw)  # type: ignore[assignment]


if __name__ == "__main__":
    main()
