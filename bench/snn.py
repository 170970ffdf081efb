"""SaudiNewsNet end to end: index the first N articles (resumably), then time search and answers.

Run: `nice .venv/bin/python bench/snn.py --articles 1000 [--index-dir DIR]`. Interrupt it at any
time and run it again: the build resumes from the embedding cache beside the index. Prints a
Markdown table and writes `bench/out/snn-<N>.json`:

* build: wall seconds, real model tokens/s (embedding only and end to end), articles/s, chunks,
  peak RSS (sampled every second, with the RSS after each 10% of the articles, to show whether
  it grows with the archive), size on disk, and the whole corpus's time extrapolated from the
  measured rate;
* with the model and index loaded: search (hybrid) and answer p50/p95 over questions made from
  article titles of the indexed part (the title as the question).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import threading
import time
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
    parser.add_argument("--index-dir", type=Path, default=OUT / "snn-index")
    parser.add_argument("--questions", type=int, default=100)
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
        with gzip.open(SNN, "rt", encoding="utf-8") as fh:
            src.write_text("".join(islice(fh, args.articles)), encoding="utf-8")
    settings = Settings()
    settings.index_dir = args.index_dir
    app = Akhbar(settings, progress=True)

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
            stop.wait(1.0)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    t0 = time.perf_counter()
    app.embeddings.warm_up()
    _ = app.embeddings.backend  # the one-time backend check is not part of the build
    load_s = time.perf_counter() - t0
    t1, c1 = time.perf_counter(), time.process_time()
    summary = app.build([src])
    build_s = time.perf_counter() - t1
    build_cpu_s = time.process_time() - c1
    stop.set()
    sampler.join()
    peak = max(r for _, r in samples)
    info = app.info()
    result: dict[str, Any] = {
        "articles": summary.documents,
        "chunks": summary.chunks,
        "embedded_chunks": summary.embedded_chunks,
        "cached_chunks": summary.cached_chunks,
        "tokens": summary.embedded_tokens,
        "backend": app.embeddings.backend.name,
        "model_load_s": load_s,
        "build_s": build_s,
        "build_cpu_s": build_cpu_s,
        "load_avg": os.getloadavg()[0],
        "embed_s": summary.embed_seconds,
        "embed_tokens_s": summary.embedded_tokens / max(summary.embed_seconds, 1e-9),
        "build_tokens_s": summary.embedded_tokens / max(build_s, 1e-9),
        "articles_s": summary.documents / max(build_s, 1e-9),
        "peak_rss_mb": peak,
        "rss_curve_mb": [round(r) for _, r in samples[:: max(1, len(samples) // 20)]],
        "size_mb": info["size_bytes"] / 1e6,
        "full_corpus_h_extrapolated": build_s / max(summary.documents, 1) * TOTAL_ARTICLES / 3600,
    }
    if summary.cached_chunks:
        result["note"] = "resumed: part of the vectors came from the cache of an earlier run"

    result.update(latency(app, args.questions))
    (OUT / f"snn-{args.articles}.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(json.dumps(result, indent=1))
    print(
        "\n| articles | chunks | backend | build s | tokens/s (embed / end to end) | peak RSS MB "
        "| size MB | search p50/p95 ms | answer p50/p95 ms | whole corpus (30,100), extrapolated |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    r = result
    print(
        f"| {r['articles']} | {r['chunks']} | {r['backend']} | {r['build_s']:.0f} | "
        f"{r['embed_tokens_s']:.0f} / {r['build_tokens_s']:.0f} | {r['peak_rss_mb']:.0f} | "
        f"{r['size_mb']:.1f} | {r['search_p50_ms']:.0f} / {r['search_p95_ms']:.0f} | "
        f"{r['answer_p50_ms']:.0f} / {r['answer_p95_ms']:.0f} | "
        f"{r['full_corpus_h_extrapolated']:.1f} h |"
    )


if __name__ == "__main__":
    main()
