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

`--hide-bf16` runs as on a CPU without bf16 instructions (the flags are hidden from akhbar's
check): no bf16 backend, OpenVINO compiled in f32, as `auto` would compare them there.
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
BACKENDS = ("fp32", "bf16", "openvino")


def _app(index_dir: Path, backend: str) -> Any:
    from akhbar.app import Akhbar
    from akhbar.settings import Settings

    settings = Settings()
    settings.index_dir = index_dir
    settings.embedding.backend = backend  # type: ignore[assignment]
    return Akhbar(settings)


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "-"


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
    parser.add_argument("--rounds", type=int, default=1, help="Passes over the slices.")
    parser.add_argument("--slice", type=int, default=32, help="Texts a slice.")
    parser.add_argument("--build-rounds", type=int, default=2, help="Builds per backend.")
    parser.add_argument("--no-arcd", action="store_true", help="Skip the ARCD recall part.")
    parser.add_argument(
        "--recall-from", type=Path, help="Take ARCD recall from an earlier run's JSON."
    )
    parser.add_argument(
        "--hide-bf16",
        action="store_true",
        help="Act as on a CPU without bf16 instructions: no bf16 backend, OpenVINO in f32.",
    )
    parser.add_argument("--out", type=Path, default=OUT / "embedders.json")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="Torch threads (1: on a CPU shared with other jobs, a 2-thread pass mostly "
        "measures how often both threads get scheduled; 0: torch's default).",
    )
    args = parser.parse_args()

    import torch
    from sentence_transformers import SentenceTransformer

    if args.threads:
        torch.set_num_threads(args.threads)

    from index.embedders import torch_bf16
    from index.embedders.torch_bf16 import BF16_FLAGS, cpu_flags, cpu_has_bf16

    if args.hide_bf16:
        real_flags = cpu_flags()
        torch_bf16.cpu_flags = lambda *_: real_flags - BF16_FLAGS  # type: ignore[assignment]
    from index.splitter import Splitter

    result: dict[str, Any] = {
        "machine": {
            "cpu": platform.processor() or platform.machine(),
            "bf16_flags": sorted(
                torch_bf16.cpu_flags() & {"avx512_bf16", "amx_bf16", "avx512_vnni"}
            ),
            "bf16": cpu_has_bf16(),
            "bf16_hidden": args.hide_bf16,
            "torch": torch.__version__,
            "openvino": _version("openvino"),
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

        def run_stock(part: list[str]) -> np.ndarray:
            return np.asarray(stock.encode(part, batch_size=32, normalize_embeddings=True))

        runners: dict[str, Any] = {"stock": run_stock}
        for name in BACKENDS:
            backend = emb.make_backend(name)
            if not backend.supported():
                continue
            runners[name] = lambda part, b=backend: b.encode(emb.st, part, emb.batch_size)
        names = list(runners)

        # Encode: the texts sorted by length (as akhbar and a full stock encode both do) and
        # cut into slices; every slice is encoded by every contestant in a rotating order, so
        # that the load other jobs put on a shared CPU falls on all of them alike.
        counts = emb.count_tokens(texts)
        order = sorted(range(len(texts)), key=lambda k: counts[k])
        slices = [order[a : a + args.slice] for a in range(0, len(order), args.slice)]
        run_stock([texts[k] for k in slices[0]])  # warm-up
        wall = dict.fromkeys(names, 0.0)
        cpu = dict.fromkeys(names, 0.0)
        vectors = {n: np.zeros((len(texts), emb.dim), dtype=np.float32) for n in names}
        for r in range(args.rounds):
            for si, sl in enumerate(slices):
                part = [texts[k] for k in sl]
                shift = (si + r) % len(names)
                for name in names[shift:] + names[:shift]:
                    w0, c0 = time.perf_counter(), time.process_time()
                    out = runners[name](part)
                    wall[name] += time.perf_counter() - w0
                    cpu[name] += time.process_time() - c0
                    vectors[name][sl] = out
            print(f"round {r}: " + ", ".join(f"{n} {wall[n]:.0f} s" for n in names), flush=True)

        # End to end: `Akhbar.build` of the articles with each backend, alternating.
        builds: dict[str, list[tuple[float, float, float]]] = {n: [] for n in names if n != "stock"}
        for r in range(args.build_rounds):
            for name in list(builds)[r % 2 :] + list(builds)[: r % 2]:
                app = _app(tmp / f"build-{name}-{r}", name)
                app._embeddings = emb  # the loaded model, with this backend
                emb.backend_setting = name
                emb._backend = None
                _ = emb.backend  # the one-time backend check is not part of the build
                w0, c0 = time.perf_counter(), time.process_time()
                summary = app.build([src])
                builds[name].append(
                    (time.perf_counter() - w0, time.process_time() - c0, summary.embed_seconds)
                )
                print(f"build {name} round {r}: {builds[name][-1][0]:.1f} s", flush=True)
        rows = []
        for name in names:
            row: dict[str, Any] = {
                "name": name,
                "encode_wall_s": wall[name] / args.rounds,
                "encode_cpu_s": cpu[name] / args.rounds,
                "encode_tokens_s": tokens * args.rounds / wall[name],
                "encode_x_stock_wall": wall["stock"] / wall[name],
                "encode_x_stock_cpu": cpu["stock"] / cpu[name],
            }
            row["cos_min"], row["cos_mean"] = _cos(vectors[name], vectors["stock"])
            if name in builds:
                b_wall = min(b[0] for b in builds[name])
                b_cpu = min(b[1] for b in builds[name])
                b_embed = min(b[2] for b in builds[name])
                row["build_s"] = b_wall
                row["build_cpu_s"] = b_cpu
                row["build_overhead"] = 1 - b_embed / b_wall
                row["build_tokens_s"] = summary.embedded_tokens / b_wall
                # End to end against the stock encode of the same chunks, both as CPU time
                # (robust to other jobs) and as wall time.
                stock_cpu = cpu["stock"] / args.rounds * summary.embedded_tokens / tokens
                stock_wall = wall["stock"] / args.rounds * summary.embedded_tokens / tokens
                row["build_x_stock_cpu"] = stock_cpu / b_cpu
                row["build_x_stock_wall"] = stock_wall / b_wall
            rows.append(row)
        result["rows"] = rows
        result["build_tokens"] = summary.embedded_tokens
        previous = args.recall_from
        if args.no_arcd and previous is not None and previous.exists():
            old = {r["name"]: r for r in json.loads(previous.read_text())["rows"]}
            for row in rows:
                for key in ("dense_r5", "hybrid_r5"):
                    if key in old.get(row["name"], {}):
                        row[key] = old[row["name"]][key]
        if not args.no_arcd:
            for row in rows:
                if row["name"] == "stock":
                    continue
                row.update(arcd_recall(tmp, row["name"]))
                print(f"ARCD {row['name']}: {row}", flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1), encoding="utf-8")
    print_tables(result)


def print_tables(result: dict[str, Any]) -> None:
    """Markdown tables of a result."""
    m = result["machine"]
    print(
        f"\n{result['articles']} SaudiNewsNet articles, {result['chunks']} chunks, "
        f"{result['tokens']} tokens; torch {m['torch']}, OpenVINO {m.get('openvino', '-')}, "
        f"{m['threads']} threads, "
        f"bf16 instructions: {', '.join(m['bf16_flags']) or 'none'}\n"
    )
    print(
        "| embedder | encode tokens/s | × stock (CPU time / wall) | cosine to stock min / mean "
        "| index build tokens/s end to end | build × stock encode (CPU / wall) "
        "| build time outside the model | ARCD R@5 dense / hybrid |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in result["rows"]:
        if "build_s" in r:
            build = (
                f"{r['build_tokens_s']:.0f} | {r['build_x_stock_cpu']:.2f}× / "
                f"{r['build_x_stock_wall']:.2f}× | {100 * r['build_overhead']:.0f}%"
            )
        else:
            build = "– | – | –"
        arcd = f"{r['dense_r5']:.3f} / {r['hybrid_r5']:.3f}" if "dense_r5" in r else "–"
        label = (
            "stock sentence-transformers fp32" if r["name"] == "stock" else f"akhbar {r['name']}"
        )
        print(
            f"| {label} | {r['encode_tokens_s']:.0f} | {r['encode_x_stock_cpu']:.2f}× / "
            f"{r['encode_x_stock_wall']:.2f}× | {r['cos_min']:.5f} / {r['cos_mean']:.5f} | "
            f"{build} | {arcd} |"
        )


if __name__ == "__main__":
    main()
