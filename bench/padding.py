"""Padding waste of the index build's batching: model tokens run per real token, by buffer and pad.

Run: `.venv/bin/python bench/padding.py [--articles 2000]` (tokenizer only, no model run; ~1 min).

The index build gathers `AKHBAR_EMBEDDING__BUILD_BUFFER` chunks, sorts them by length and embeds
them in batches of `AKHBAR_EMBEDDING__BATCH_SIZE`, each padded to its longest text rounded up to
`AKHBAR_EMBEDDING__PAD_MULTIPLE` tokens. The model's work grows with the padded tokens (and, for
attention, with their square), so this prints, for the chunks of the first N SaudiNewsNet articles
as akhbar splits them, the padded tokens over the real ones (and the same for squared lengths)
for each buffer size and pad multiple. A stock `SentenceTransformer.encode` of a whole list sorts
it all and pads to the longest text of each batch: the last row with pad 1.
"""

from __future__ import annotations

import argparse
import gzip
import tempfile
from itertools import islice
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SNN = ROOT.parent / "shared" / "corpora" / "saudinewsnet.jsonl.gz"
BUFFERS = (256, 512, 1024, 2048, 4096)
PADS = (1, 8, 16)


def padded(lengths: list[int], buffer: int, pad: int, batch: int) -> tuple[int, int]:
    """Padded tokens and padded squared lengths of `lengths` batched as the index build does."""
    tokens = squares = 0
    for a in range(0, len(lengths), buffer):
        part = sorted(lengths[a : a + buffer])
        for b in range(0, len(part), batch):
            group = part[b : b + batch]
            longest = -(-max(group) // pad) * pad
            tokens += longest * len(group)
            squares += longest * longest * len(group)
    return tokens, squares


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=2000, help="SaudiNewsNet articles.")
    parser.add_argument("--corpus", type=Path, default=SNN)
    args = parser.parse_args()

    from akhbar.settings import Settings
    from index.embeddings import make_embeddings
    from index.reader import read_paths
    from index.splitter import Splitter

    settings = Settings()
    emb = make_embeddings(settings.embedding)
    with tempfile.TemporaryDirectory(prefix="akhbar-padding-") as tmp:
        src = Path(tmp) / "articles.jsonl"
        with gzip.open(args.corpus, "rt", encoding="utf-8") as fh:
            src.write_text("".join(islice(fh, args.articles)), encoding="utf-8")
        splitter = Splitter(emb.count_tokens, settings.splitter)
        chunks = [c for a in read_paths([src]).articles for c in splitter.split(a)[0]]
    # The lengths the model sees: prompt + text, with the two special tokens.
    lengths = [
        n + 2 for n in emb.count_tokens([emb.passage_prompt + c.embed_text() for c in chunks])
    ]
    real, real_sq = sum(lengths), sum(n * n for n in lengths)
    batch = settings.embedding.batch_size
    print(
        f"{args.articles} SaudiNewsNet articles, {len(lengths)} chunks, {real} tokens, "
        f"batches of {batch}\n"
    )
    print(
        "| chunks a buffer | pad to a multiple of | tokens run / real | squared lengths run / real |"
    )
    print("|---|---|---|---|")
    for buffer in (*BUFFERS, len(lengths)):
        label = f"{buffer}" if buffer != len(lengths) else f"all ({buffer}, as a stock encode)"
        for pad in PADS:
            tokens, squares = padded(lengths, buffer, pad, batch)
            print(f"| {label} | {pad} | {tokens / real:.3f} | {squares / real_sq:.3f} |")


if __name__ == "__main__":
    main()
