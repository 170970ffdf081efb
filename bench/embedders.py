"""Embedding backends side by side in one run: speed, parity with fp32, ARCD recall, end to end.

Run: `nice .venv/bin/python bench/embedders.py [--articles 40] [--rounds 2]`. Prints Markdown
tables and writes `bench/out/embedders.json`.

Everything is measured in this one process, interleaved (round r runs the contestants in a
rotated order), so that other jobs on a shared CPU slow them alike:

* **encode**: the chunk texts akhbar makes of the first N SaudiNewsNet articles, embedded by a
  stock `SentenceTransformer.encode` (fp32, batch 32, e5 passage prompt) and by each akhbar
  backend; tokens/s counts real model tokens (no padding); cosine to the stock vectors.
* **index build**: `Akhbar.build` of the same articles, end to end (read, split, embed,
  BM25, atomic write) with each backend, as tokens/s of real tokens over the whole wall time.
* **ARCD-train**: the 231 passages indexed with each backend, the 693 questions searched
  (dense and hybrid): recall@5 of the gold passage.
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import tempfile
import time
from itertools import islice
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SNN = SHARED / "corpora" / "saudinewsnet.jsonl.gz"
EVAL = SHARED / "eval"
OUT = ROOT / "bench" / "out"
BACKENDS = ("fp32", "bf16")


def _app(index_dir: Path, backend: str) -> Any:
    from akhbar.app import Akhbar
    from akhbar.settings import Settings

    settings = Settings()
    settings.index_dir = index_dir
    settings.embedding.backend = backend  # type: ignore[assignment]
    return Akhbar(settings)


def _cos(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    from index.embedders.auto import min_mean_cosine

    return min_mean_cosine(a, b)


def arcd_recall(tmp: Path, backend: str) -> dict[str, float]:
    """Recall@5 (dense, hybrid) on ARCD-train with an index built by `backend`."""
    from qa.evaluate import load_eval_set, recall_at
    from qa.question import analyse

    eval_set = load_eval_set(EVAL / "arcd-train.questions.jsonl")
    src = tmp / "arcd.jsonl"
    src.write_text(
        "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in eval_set.passages),
        encoding="utf-8",
    )
    app = _app(tmp / f"arcd-{backend}", backend)
    app.build([src])
    out: dict[str, list[float]] = {"dense": [], "hybrid": []}
    searcher = app.searcher
    for item in eval_set.items:
        query = analyse(item.question.strip(" -")).retrieval_query
        vec = searcher.encode_query(query)
        for mode in out:
            ids = [h.doc_id for h in searcher.search(query, k=10, mode=mode, query_vector=vec)]
            out[mode].append(recall_at(ids, str(item.doc), 5))
    return {f"{mode}_r5": float(np.mean(v)) for mode, v in out.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=40, help="SaudiNewsNet articles.")
    parser.add_argument("--rounds", type=int, default=2, help="Interleaved rounds.")
    parser.add_argument("--no-arcd", action="store_true", help="Skip the ARCD recall part.")
    args = parser.parse_args()

    import torch
    from sentence_transformers import SentenceTransformer

    from index.embedders import make_backend
    from index.embedders.torch_bf16 import cpu_flags, cpu_has_bf16
    from index.splitter import Splitter

    result: dict[str, Any] = {
        "machine": {
            "cpu": platform.processor() or platform.machine(),
            "bf16_flags": sorted(cpu_flags() & {"avx512_bf16", "amx_bf16", "avx512_vnni"}),
            "bf16": cpu_has_bf16(),
            "torch": torch.__version__,
            "threads": torch.get_num_threads(),
        },
        "articles": args.articles,
    }
    with tempfile.TemporaryDirectory(prefix="akhbar-bench-") as tmpdir:
        tmp = Path(tmpdir)
        src = tmp / "articles.jsonl"
        with gzip.open(SNN, "rt", encoding="utf-8") as fh:
            src.write_text("".join(islice(fh, args.articles)), encoding="utf-8")

        base = _app(tmp / "unused", "fp32")
        emb = base.embeddings
        emb.warm_up()
        from index.reader import read_paths

        splitter = Splitter(emb.count_tokens, base.settings.splitter)
        chunks = [c for a in read_paths([src]).articles for c in splitter.split(a)[0]]
        texts = [emb.passage_prompt + c.embed_text() for c in chunks]
        tokens = sum(emb.count_tokens(texts))
        result["chunks"], result["tokens"] = len(chunks), tokens
        stock = SentenceTransformer(emb.model, device="cpu")  # a second, untouched copy

        def run_stock() -> np.ndarray:
            return np.asarray(stock.encode(texts, batch_size=32, normalize_embeddings=True))

        runners = {"stock": run_stock}
        for name in BACKENDS:
            backend = make_backend(name)
            if not backend.supported():
                continue
            runners[name] = lambda b=backend: b.encode(emb.st, texts, emb.batch_size)
        run_stock()  # warm-up
        times: dict[str, list[float]] = {k: [] for k in runners}
        vectors: dict[str, np.ndarray] = {}
        builds: dict[str, list[float]] = {k: [] for k in runners if k != "stock"}
        names = list(runners)
        for r in range(args.rounds):
            order = names[r % len(names) :] + names[: r % len(names)]
            for name in order:
                t0 = time.perf_counter()
                vectors[name] = runners[name]()
                times[name].append(time.perf_counter() - t0)
                print(f"round {r} encode {name}: {times[name][-1]:.1f} s", flush=True)
            for name in order:
                if name == "stock":
                    continue
                app = _app(tmp / f"build-{name}-{r}", name)
                app._embeddings = emb  # the loaded model; the backend is set below
                emb.backend_setting = name
                emb._backend = None
                _ = emb.backend  # the one-time backend check is not part of the build
                t0 = time.perf_counter()
                summary = app.build([src])
                builds[name].append(time.perf_counter() - t0)
                print(f"round {r} build {name}: {builds[name][-1]:.1f} s", flush=True)
        rows = []
        best_stock = min(times["stock"])
        for name in names:
            best = min(times[name])
            row: dict[str, Any] = {
                "name": name,
                "encode_s": best,
                "encode_tokens_s": tokens / best,
                "encode_x_stock": best_stock / best,
            }
            row["cos_min"], row["cos_mean"] = _cos(vectors[name], vectors["stock"])
            if name in builds:
                b = min(builds[name])
                row["build_s"] = b
                row["build_tokens_s"] = summary.embedded_tokens / b
                row["build_x_stock"] = best_stock / b * summary.embedded_tokens / tokens
            rows.append(row)
        result["rows"] = rows
        result["build_tokens"] = summary.embedded_tokens
        if not args.no_arcd:
            for row in rows:
                if row["name"] == "stock":
                    continue
                row.update(arcd_recall(tmp, row["name"]))
                print(f"ARCD {row['name']}: {row}", flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "embedders.json").write_text(json.dumps(result, indent=1), encoding="utf-8")
    print_tables(result)


def print_tables(result: dict[str, Any]) -> None:
    """Markdown tables of a result."""
    m = result["machine"]
    print(
        f"\n{result['articles']} SaudiNewsNet articles, {result['chunks']} chunks, "
        f"{result['tokens']} tokens; torch {m['torch']}, {m['threads']} threads, "
        f"bf16 instructions: {', '.join(m['bf16_flags']) or 'none'}\n"
    )
    print(
        "| embedder | encode tokens/s | × stock | cosine to stock min / mean "
        "| index build tokens/s (end to end) | build × stock encode | ARCD R@5 dense / hybrid |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in result["rows"]:
        build = (
            f"{r['build_tokens_s']:.0f} | {r['build_x_stock']:.2f}×" if "build_s" in r else "– | –"
        )
        arcd = f"{r['dense_r5']:.3f} / {r['hybrid_r5']:.3f}" if "dense_r5" in r else "–"
        label = (
            "stock sentence-transformers fp32" if r["name"] == "stock" else f"akhbar {r['name']}"
        )
        print(
            f"| {label} | {r['encode_tokens_s']:.0f} | {r['encode_x_stock']:.2f}× | "
            f"{r['cos_min']:.5f} / {r['cos_mean']:.5f} | {build} | {arcd} |"
        )


if __name__ == "__main__":
    main()
