"""Memory of the indexer's encoding loop with the real model, with and without each of its fixes.

Run: `nice .venv/bin/python bench/embed_memory.py --chunks 4000 [--pad-multiple 1] [--no-trim]
[--light-first]` (one variant per process: memory is per process). The chunk texts are the first
N chunks of an index's `chunks.jsonl` (`--index-dir`, e.g. a SaudiNewsNet index built by
`bench/snn.py`), encoded as `index build` does: buffers of `AKHBAR_EMBEDDING__BUILD_BUFFER`
sorted by length, slices of 256, batches of `AKHBAR_EMBEDDING__BATCH_SIZE`. Prints RSS after
each buffer and chunks/s as JSON.

* `--pad-multiple 1`: batches padded to their longest text only (before the fix);
* `--no-trim`: freed heap memory is not handed back after each slice (before the fix);
* `--light-first`: tokens are counted before torch loads, so the numpy runtime loads first, as in
  `index build`, and it is kept beside torch as the code before commit eeba1bc kept it (the
  current code lets it go once torch loads).
"""

from __future__ import annotations

import argparse
import json
import os
import time
from itertools import islice
from pathlib import Path


def rss_mb() -> float:
    """Resident memory of this process now, in MB."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--chunks", type=int, default=4000)
    parser.add_argument("--pad-multiple", type=int, default=None)
    parser.add_argument("--no-trim", action="store_true")
    parser.add_argument("--light-first", action="store_true")
    args = parser.parse_args()

    from akhbar.settings import Settings
    from index.embeddings import make_embeddings
    from index.memory import release_free_memory

    generation = (args.index_dir / "CURRENT").read_text().strip()
    texts = []
    with open(args.index_dir / generation / "chunks.jsonl", encoding="utf-8") as fh:
        for line in islice(fh, args.chunks):
            row = json.loads(line)
            head = " — ".join(p for p in (row["title"], row["section"]) if p)
            texts.append(f"{head}\n{row['text']}" if head else row["text"])
    settings = Settings().embedding
    if args.pad_multiple is not None:
        settings = settings.model_copy(update={"pad_multiple": args.pad_multiple})
    emb = make_embeddings(settings)
    kept = None
    if args.light_first:
        emb.count_tokens(texts[:8])
        kept = emb.light  # held, as before the fix
    emb.encode_passages(texts[:256])
    loaded = rss_mb()
    curve = []
    start = time.perf_counter()
    for a in range(0, len(texts), settings.build_buffer):
        buffer = texts[a : a + settings.build_buffer]
        tokens = emb.count_tokens(buffer)
        order = sorted(range(len(buffer)), key=lambda k: tokens[k])
        for b in range(0, len(order), 256):
            emb.encode_passages([buffer[k] for k in order[b : b + 256]])
            if not args.no_trim:
                release_free_memory()
        curve.append(round(rss_mb()))
    seconds = time.perf_counter() - start
    del kept
    print(
        json.dumps(
            {
                "chunks": len(texts),
                "backend": emb.backend.name,
                "pad_multiple": emb.pad_multiple,
                "build_buffer": settings.build_buffer,
                "trim": not args.no_trim,
                "light_first": args.light_first,
                "rss_loaded_mb": round(loaded),
                "rss_first_mb": curve[0],
                "rss_last_mb": curve[-1],
                "rss_curve_mb": curve,
                "chunks_per_s": round(len(texts) / seconds, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
