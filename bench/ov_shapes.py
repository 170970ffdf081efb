"""Does OpenVINO's memory grow with the input shapes a build meets? Shapes met, and RSS per new shape.

    .venv/bin/python bench/ov_shapes.py --index-dir DIR [--shapes 256]

1. Shapes met: the (rows, padded tokens) of every OpenVINO request an `index build` of DIR's
   chunks makes (buffers of `build_buffer` sorted by tokens, slices of 256, requests of
   `batch_size / 2` texts, padded to `pad_multiple`), counted as the chunks go by.
2. RSS per new shape: the compiled model (the install step's export) run on `--shapes` distinct
   random shapes (heap handed back every 32, as the indexer does), then on shapes already met.
Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from index.config import EmbeddingSettings


def rss_mb() -> float:
    """Resident memory of this process now, in MB."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def shapes_met(index_dir: Path, s: EmbeddingSettings) -> list[tuple[int, int]]:
    """(chunks seen, distinct request shapes so far) after each buffer of an index's chunks."""
    from tokenizers import Tokenizer

    generation = (index_dir / "CURRENT").read_text().strip()
    texts = []
    with open(index_dir / generation / "chunks.jsonl", encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            head = " — ".join(p for p in (row["title"], row["section"]) if p)
            body = f"{head}\n{row['text']}" if head else row["text"]
            texts.append(s.passage_prompt + body)
    tok = Tokenizer.from_file(str(s.model_dir / "tokenizer.json"))
    tok.enable_truncation(512)
    lens = [len(e.ids) for e in tok.encode_batch(texts)]
    per_request = max(1, s.batch_size // 2)
    multiple = s.pad_multiple
    seen: set[tuple[int, int]] = set()
    curve = []
    size = s.build_buffer
    for a in range(0, len(texts), size):
        buffer = sorted(range(a, min(len(texts), a + size)), key=lambda k: lens[k])
        for b in range(0, len(buffer), 256):
            order = sorted(buffer[b : b + 256], key=lambda k: -len(texts[k]))
            for c in range(0, len(order), per_request):
                part = order[c : c + per_request]
                seen.add((len(part), math.ceil(max(lens[k] for k in part) / multiple) * multiple))
        curve.append((min(len(texts), a + size), len(seen)))
    return curve


def rss_per_shape(s: EmbeddingSettings, count: int) -> dict[str, Any]:
    """RSS while the exported model meets `count` new shapes, then shapes it has met."""
    from index.embedders.openvino_ir import IR_XML, _import_openvino
    from index.memory import release_free_memory

    exports = [p for p in s.export_dir.iterdir() if (p / IR_XML).is_file()]
    if not exports:
        raise SystemExit(f"no OpenVINO export in {s.export_dir} (run `akhbar model build`)")
    ov = _import_openvino()
    core = ov.Core()
    compiled = core.compile_model(
        core.read_model(exports[0] / IR_XML),
        "CPU",
        {"PERFORMANCE_HINT": "THROUGHPUT", "NUM_STREAMS": 2},
    )
    names = [p.get_any_name() for p in compiled.inputs]
    request = compiled.create_infer_request()
    rng = np.random.default_rng(0)
    shapes = [(b, t) for t in range(8, 257, 8) for b in (1, 2, 3, 5, 8, 11, 13, 16)]
    rng.shuffle(shapes)
    shapes = shapes[:count]

    def run(b: int, t: int) -> None:
        ids = rng.integers(5, 250_000, size=(b, t))
        feed = {
            n: ids
            if "input_ids" in n
            else np.ones((b, t), dtype=np.int64)
            if "attention" in n
            else np.zeros((b, t), dtype=np.int64)
            for n in names
        }
        request.infer(feed)

    start = rss_mb()
    curve = []
    for i, (b, t) in enumerate(shapes, 1):
        run(b, t)
        if i % 32 == 0:
            release_free_memory()
            curve.append(round(rss_mb()))
    for b, t in shapes[: min(64, len(shapes))]:
        run(b, t)
    release_free_memory()
    return {
        "rss_compiled_mb": round(start),
        "rss_every_32_new_shapes_mb": curve,
        "rss_after_64_known_shapes_mb": round(rss_mb()),
        # slope after the first 32 shapes (the first requests also allocate what every shape uses)
        "mb_per_new_shape": round((curve[-1] - curve[0]) / max(1, 32 * (len(curve) - 1)), 2)
        if len(curve) > 1
        else None,
    }


def main() -> None:
    """Print the shapes an index's build meets and OpenVINO's RSS per new shape."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--shapes", type=int, default=256)
    args = parser.parse_args()

    from akhbar.settings import Settings

    settings = Settings().embedding
    memory = rss_per_shape(settings, args.shapes)  # first: before the chunks are read
    curve = shapes_met(args.index_dir, settings)
    marks = sorted({max(0, round(len(curve) * f) - 1) for f in (0.1, 0.25, 0.5, 0.75, 1.0)})
    out = {"chunks_and_distinct_shapes": [curve[i] for i in marks], **memory}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
