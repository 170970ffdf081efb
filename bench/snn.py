"""SaudiNewsNet end to end: index the first N articles (resumably), then time search and answers.

Run: `nice .venv/bin/python bench/snn.py --articles 1000 [--index-dir DIR]`. Interrupt it at any
time and run it again: the build resumes from the embedding cache beside the index. Prints a
Markdown table and writes `bench/out/snn-<N>.json`:

* build: wall seconds, real model tokens/s (embedding only and end to end), articles/s, chunks,
  size on disk, and the whole corpus's time extrapolated from the measured rate;
* memory: the process's RSS when each 10% of the articles has been read (`rss_at_pct_mb`: flat
  when the build does not hold the archive; `rss_parts_at_pct_mb` splits it into anonymous and
  file-backed memory and gives glibc's account of its heap), the peak while streaming (reading,
  splitting, embedding, writing batches; sampled every 0.2 s), the peak over the whole build
  including the commit (which builds the FAISS and BM25 indexes, holding every vector and the
  BM25 matrix), and
  the process's lifetime peak (`ru_maxrss`, which includes loading the model);
* with the model and index loaded: search (hybrid) and answer p50/p95 over questions made from
  article titles of the indexed part (the title as the question).

`--fake-embedder` measures the indexer and the store only: chunks are cut with the model's real
tokenizer, but vectors are hashed from the text (no model is loaded, nothing is embedded), into a
fresh index folder (`bench/out/snn-index-fake`). Use it to see how the indexer's own memory grows
with the archive in minutes instead of hours; it skips the latency part and writes
`bench/out/snn-<N>-fake.json`.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import functools
import gzip
import json
import os
import resource
import shutil
import threading
import time
import zlib
from collections.abc import Iterator, Sequence
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SNN = ROOT.parent / "shared" / "corpora" / "saudinewsnet.jsonl.gz"
OUT = ROOT / "bench" / "out"
TOTAL_ARTICLES = 30_100


def rss_mb() -> float:
    """Resident memory of this process now, in MB."""
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


class _MallInfo2(ctypes.Structure):
    """glibc's `struct mallinfo2` (glibc >= 2.33)."""

    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd",
            "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost",
        )
    ]  # fmt: skip


@functools.cache
def _mallinfo2() -> Any:
    """glibc's `mallinfo2`, or None where the C library has none (not glibc, or glibc < 2.33)."""
    try:
        function = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").mallinfo2
    except (OSError, AttributeError):
        return None
    function.restype = _MallInfo2
    return function


def heap_mb() -> dict[str, float]:
    """What glibc's heap holds, all arenas: in use by the program, free inside it, mmapped blocks.

    Empty where the C library has no `mallinfo2`.
    """
    mallinfo2 = _mallinfo2()
    if mallinfo2 is None:
        return {}
    info = mallinfo2()
    return {
        "heap_in_use": info.uordblks / 1e6,
        "heap_free": info.fordblks / 1e6,
        "heap_mmapped": info.hblkhd / 1e6,
    }


def rss_parts_mb() -> dict[str, float]:
    """Anonymous (heap, model buffers) and file-backed (mapped files) resident memory, in MB.

    Also glibc's own account of its heap (`heap_in_use`: allocated and not yet freed, by Python
    and native code alike; `heap_free`: freed but kept inside the heap, resident only where a
    page still holds something in use; `heap_mmapped`: big blocks mapped on their own). With
    `--tracemalloc`, also what Python objects hold (`traced`; native code's memory is not in it).
    """
    import tracemalloc

    parts: dict[str, float] = heap_mb()
    if tracemalloc.is_tracing():
        parts["traced"] = tracemalloc.get_traced_memory()[0] / 1e6
    with open("/proc/self/status") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("RssAnon", "RssFile", "RssShmem"):
                parts[key] = int(value.split()[0]) / 1000
    return parts


class HashedEmbeddings:
    """Vectors hashed from the text with the model's tokenizer and dimension: memory runs only.

    The index it makes answers nothing well; it exists to measure the indexer and the store
    without hours of embedding.
    """

    batch_size = 32

    def __init__(self, model_dir: Path, dim: int = 384) -> None:
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        self._dim = dim
        self.model_id = f"hashed-{dim}"

    @property
    def dim(self) -> int:
        return self._dim

    def warm_up(self) -> None:
        return None

    def describe(self) -> dict[str, Any]:
        return {"model": self.model_id, "query_prompt": "", "passage_prompt": ""}

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [
            len(e.ids) for e in self.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        ]

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        out = np.empty((len(texts), self._dim), dtype=np.float32)
        for i, text in enumerate(texts):
            v = np.random.default_rng(zlib.crc32(text.encode())).standard_normal(self._dim)
            out[i] = v / np.linalg.norm(v)
        return out

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self.encode_passages(texts)


def track_reading(
    total: int,
    marks: dict[int, float],
    done: list[float],
    parts: dict[int, dict[str, float]] | None = None,
) -> None:
    """Record the RSS (and its anonymous / file parts) when each 10% of the articles is read."""
    import index.indexer

    original = index.indexer.iter_paths
    step = max(1, total // 10)

    def counting(paths: Any) -> Iterator[Any]:
        for n, record in enumerate(original(paths), 1):
            yield record
            if n % step == 0 and n // step <= 10:
                marks[10 * (n // step)] = rss_mb()
                if parts is not None:
                    parts[10 * (n // step)] = rss_parts_mb()
        done.append(time.perf_counter())
        marks[100] = rss_mb()
        if parts is not None:
            parts[100] = rss_parts_mb()

    index.indexer.iter_paths = counting  # type: ignore[assignment]


def latency(app: Any, n: int) -> dict[str, float]:
    """Search and answer p50/p95 (wall and process CPU ms) over questions made of titles."""
    docs = app.articles()
    titles = [d.get("article_title") or d.get("title") for d in docs.values()]
    rng = np.random.default_rng(0)
    questions = [
        str(titles[i]) for i in rng.choice(len(titles), size=min(n, len(titles)), replace=False)
    ]
    app.searcher.warm_up()
    app.ask(questions[0])  # warm caches
    timed: dict[str, list[float]] = {"search": [], "answer": [], "search_cpu": [], "answer_cpu": []}
    for q in questions:
        for name, fn in (("search", app.search), ("answer", app.ask)):
            t, c = time.perf_counter(), time.process_time()
            fn(q)
            timed[name].append(1000 * (time.perf_counter() - t))
            timed[name + "_cpu"].append(1000 * (time.process_time() - c))
    out: dict[str, float] = {"questions": float(len(questions))}
    for name, values in timed.items():
        out[f"{name}_p50_ms"] = float(np.percentile(values, 50))
        out[f"{name}_p95_ms"] = float(np.percentile(values, 95))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=1000)
    parser.add_argument("--index-dir", type=Path, default=None)
    parser.add_argument("--corpus", type=Path, default=SNN, help="SaudiNewsNet as JSONL (.gz)")
    parser.add_argument(
        "--fake-embedder",
        action="store_true",
        help="Hashed vectors, no model: measures the indexer's and the store's memory only.",
    )
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="Trace Python allocations during the build (slower; adds `traced` to the RSS parts).",
    )
    parser.add_argument(
        "--latency-only",
        action="store_true",
        help="Only time search and answers on the index already built (bench/out/snn-N-latency.json).",
    )
    args = parser.parse_args()

    from akhbar.app import Akhbar
    from akhbar.settings import Settings

    OUT.mkdir(parents=True, exist_ok=True)
    src = OUT / f"snn-{args.articles}.jsonl"
    if not src.exists():
        with gzip.open(args.corpus, "rt", encoding="utf-8") as fh:
            src.write_text("".join(islice(fh, args.articles)), encoding="utf-8")
    settings = Settings()
    fake = HashedEmbeddings(settings.embedding.model_dir) if args.fake_embedder else None
    tag = "-fake" if fake else ""
    settings.index_dir = args.index_dir or OUT / f"snn-index{tag}"
    if fake and settings.index_dir.exists():
        shutil.rmtree(settings.index_dir)  # a whole build every time, no cached vectors
    app = Akhbar(settings, progress=True, embeddings=fake)

    if args.latency_only:
        result = latency(app, args.questions)
        result["load_avg"] = os.getloadavg()[0]
        out = OUT / f"snn-{args.articles}-latency.json"
        out.write_text(json.dumps(result, indent=1), encoding="utf-8")
        print(json.dumps(result, indent=1))
        return

    samples: list[tuple[float, float]] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            samples.append((time.perf_counter(), rss_mb()))
            stop.wait(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t0 = time.perf_counter()
    app.embeddings.warm_up()
    if not fake:
        _ = app.embeddings.backend  # the one-time backend check is not part of the build
    load_s = time.perf_counter() - t0
    marks: dict[int, float] = {}
    read_all: list[float] = []
    parts: dict[int, dict[str, float]] = {}
    track_reading(sum(1 for _ in src.open(encoding="utf-8")), marks, read_all, parts)
    if args.tracemalloc:
        import tracemalloc

        tracemalloc.start()
    t1, c1 = time.perf_counter(), time.process_time()
    rss_before = rss_mb()
    summary = app.build([src])
    build_s = time.perf_counter() - t1
    if args.tracemalloc:
        tracemalloc.stop()
    build_cpu_s = time.process_time() - c1
    stop.set()
    sampler.join()
    end_of_reading = read_all[0] if read_all else time.perf_counter()
    build_samples = [r for t, r in samples if t >= t1] or [rss_before]
    streaming = [r for t, r in samples if t1 <= t <= end_of_reading] or [rss_before]
    info = app.info()
    result: dict[str, Any] = {
        "embedder": "hashed (no model; indexer and store memory only)" if fake else "model",
        "articles": summary.documents,
        "chunks": summary.chunks,
        "embedded_chunks": summary.embedded_chunks,
        "cached_chunks": summary.cached_chunks,
        "tokens": summary.embedded_tokens,
        "backend": "none" if fake else app.embeddings.backend.name,
        "model_load_s": load_s,
        "build_s": build_s,
        "build_cpu_s": build_cpu_s,
        "load_avg": os.getloadavg()[0],
        "embed_s": summary.embed_seconds,
        "embed_tokens_s": summary.embedded_tokens / max(summary.embed_seconds, 1e-9),
        "build_tokens_s": summary.embedded_tokens / max(build_s, 1e-9),
        "articles_s": summary.documents / max(build_s, 1e-9),
        "rss_before_build_mb": rss_before,
        "rss_at_pct_mb": {str(k): round(v) for k, v in sorted(marks.items())},
        "rss_parts_at_pct_mb": {
            str(k): {name: round(v) for name, v in p.items()} for k, p in sorted(parts.items())
        },
        "peak_rss_streaming_mb": max(streaming),
        "peak_rss_build_mb": max(build_samples),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6,
        "rss_curve_mb": [round(r) for _, r in samples[:: max(1, len(samples) // 20)]],
        "size_mb": info["size_bytes"] / 1e6,
        "full_corpus_h_extrapolated": build_s / max(summary.documents, 1) * TOTAL_ARTICLES / 3600,
    }
    if summary.cached_chunks:
        result["note"] = (
            "part of the vectors came from the embedding cache: an earlier, interrupted run's, "
            "or chunk texts repeated in the archive (embedded once)"
        )

    r = result
    curve = " / ".join(str(r["rss_at_pct_mb"].get(str(p), "-")) for p in range(10, 101, 10))
    memory_table = (
        "\n| articles | chunks | embedder | RSS MB at 10 / 20 / ... / 100 % of the articles read "
        "| peak RSS MB while streaming | peak RSS MB over the build (with commit) | build s |\n"
        "|---|---|---|---|---|---|---|\n"
        f"| {r['articles']} | {r['chunks']} | {'hashed' if fake else r['backend']} | {curve} | "
        f"{r['peak_rss_streaming_mb']:.0f} | {r['peak_rss_build_mb']:.0f} | {r['build_s']:.0f} |"
    )
    if fake:
        (OUT / f"snn-{args.articles}-fake.json").write_text(
            json.dumps(result, indent=1), encoding="utf-8"
        )
        print(json.dumps(result, indent=1))
        print(memory_table)
        return
    result.update(latency(app, args.questions))
    (OUT / f"snn-{args.articles}.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(json.dumps(result, indent=1))
    print(memory_table)
    print(
        "\n| articles | chunks | backend | build s | tokens/s (embed / end to end) | peak RSS MB "
        "| size MB | search p50/p95 ms | answer p50/p95 ms | whole corpus (30,100), extrapolated |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    print(
        f"| {r['articles']} | {r['chunks']} | {r['backend']} | {r['build_s']:.0f} | "
        f"{r['embed_tokens_s']:.0f} / {r['build_tokens_s']:.0f} | {r['peak_rss_mb']:.0f} | "
        f"{r['size_mb']:.1f} | {r['search_p50_ms']:.0f} / {r['search_p95_ms']:.0f} | "
        f"{r['answer_p50_ms']:.0f} / {r['answer_p95_ms']:.0f} | "
        f"{r['full_corpus_h_extrapolated']:.1f} h |"
    )


if __name__ == "__main__":
    main()
