"""Scale benchmark: single-query latency, recall and peak memory of retrieval from 1k to 1M chunks.

Run: `.venv/bin/python bench/scale.py [--sizes 1k,10k,100k,1M] [--quick]`. Prints Markdown tables
and writes the numbers to `bench/out/scale.json` (plot them with `bench/plots.py`).

What is measured, per corpus size, each step in a fresh process so that its peak memory
(`ru_maxrss`) is its own:

* dense retrieval with our `make_faiss_index`: exact `flat` and approximate `hnsw`. A build
  process makes the vectors, builds the index (timed) and writes it; a serving process reads the
  index back, as a server does, and times one question at a time (`k` = the searcher's 50
  candidates). Recall@10 of `hnsw` is measured against `flat` on the same questions, over a
  sweep of `efSearch`.
* lexical retrieval with our `LexicalIndex` (BM25 via bm25s): build time from term lists, then
  `LexicalIndex.search(question, 50)` timed in a serving process (question analysis included).

Data. The vectors are real where they can be: the chunks akhbar makes of the ARCD-train passages
and the seed articles, and further real pieces of the same texts (sentences, sentence pairs,
clauses, 32-word windows), embedded with akhbar's model (cached in `bench/out/scale-real.*`;
`--refresh` re-embeds). Larger corpora add *derived* vectors: `a*u + (1-a)*v + noise`,
renormalised, for a random real vector `u`, one of its 20 nearest real vectors `v`, `a` uniform
in [0, 1] and gaussian noise of norm ~0.1: new points on the real embeddings' manifold. (Noisy
copies of real vectors would be a trap: each noise-free real vector becomes the hub of a star
of its copies, HNSW's neighbour pruning keeps only the hub, and recall collapses in a way no real
corpus shows; a first version of this script measured exactly that.) The questions are the real
embeddings of the 693 ARCD-train questions.
The lexical corpora keep the real chunks' term lists and add derived term lists: a real chunk's
terms with 30% of them replaced by terms drawn from the whole corpus (building `terms()` for 1M
texts is slow in Python; its cost is measured on the real chunks and extrapolated). Derived
corpora keep the real (small) vocabulary, so their posting lists are longer than a real corpus of
that size would have: BM25 latencies above the real sizes err on the slow side.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from importlib.metadata import version
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval"
PASSAGES = EVAL / "arcd-train.passages.jsonl"
QUESTIONS = EVAL / "arcd-train.questions.jsonl"
SEEDS = ROOT / "seeds"
OUT = ROOT / "bench" / "out"
REAL_NPZ = OUT / "scale-real.npz"
REAL_JSON = OUT / "scale-real.json"
RESULT = OUT / "scale.json"

ALL_SIZES = (1_000, 10_000, 100_000, 1_000_000)
QUICK_SIZES = (1_000, 10_000)
K = 50  # what the searcher asks each retriever for (RetrievalSettings.candidates)
RECALL_AT = 10
EF_SWEEP = (64, 128, 256, 512, 1024)
TIMED_QUERIES = 300  # single-question searches timed per setting (after WARM_UP)
WARM_UP = 20
WINDOW_WORDS = 32
WINDOW_STRIDE = 16
MIX_NEIGHBOURS = 20  # derived vector: a*u + (1-a)*v, v among the real u's nearest, a ~ U(0, 1)
NOISE = 0.1  # ... plus gaussian noise of this expected norm, renormalised
REPLACE = 0.3  # derived term list: share of a real chunk's terms replaced
SEED = 20240601
DATA_VERSION = 1  # bump when the real pieces change (re-embeds)


# ---------------------------------------------------------------------------------------------
# helpers


def parse_size(text: str) -> int:
    """`1k`, `10k`, `1M`, `2500` → an integer."""
    text = text.strip().lower().replace("_", "")
    mult = 1
    if text.endswith("k"):
        mult, text = 1_000, text[:-1]
    elif text.endswith("m"):
        mult, text = 1_000_000, text[:-1]
    return int(float(text) * mult)


def label(n: int) -> str:
    """1000 → `1k`, 1000000 → `1M`."""
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1_000 and n % 1_000 == 0:
        return f"{n // 1_000}k"
    return str(n)


def peak_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def folder_bytes(path: Path) -> int:
    """Bytes of a file or of all files under a folder."""
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def percentiles(times: list[float]) -> dict[str, float]:
    """p50/p95 of durations in seconds, in milliseconds."""
    return {
        "p50_ms": 1000 * float(np.percentile(times, 50)),
        "p95_ms": 1000 * float(np.percentile(times, 95)),
    }


def cpu_name() -> str:
    """The processor's model name (Linux), else the machine type."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.machine()


def data_key() -> str:
    """Identity of the real data and embedding settings (the cache is reused while it holds)."""
    from akhbar.settings import Settings

    h = hashlib.sha256()
    for path in [PASSAGES, QUESTIONS, *sorted(SEEDS.iterdir())]:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    h.update(Settings().embedding.model_dump_json().encode())
    h.update(f"{DATA_VERSION}/{WINDOW_WORDS}/{WINDOW_STRIDE}".encode())
    return h.hexdigest()[:16]


def timed_sample(n_queries: int) -> np.ndarray:
    """The questions timed one at a time (a fixed random sample)."""
    rng = np.random.default_rng(SEED)
    return np.sort(rng.choice(n_queries, size=min(TIMED_QUERIES, n_queries), replace=False))


def load_real() -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """Real passage vectors, question vectors and their description (from the cache)."""
    with np.load(REAL_NPZ) as data:
        vectors, queries = data["vectors"], data["queries"]
    meta = json.loads(REAL_JSON.read_text(encoding="utf-8"))
    return vectors, queries, meta


# ---------------------------------------------------------------------------------------------
# real data (embedded once, cached)


def _fragments(texts: list[str]) -> dict[str, list[str]]:
    """Real pieces of the articles besides akhbar's chunks: sentences, pairs, clauses, windows."""
    from index.splitter import clauses, sentences

    out: dict[str, list[str]] = {"sentence": [], "sentence pair": [], "clause": [], "window": []}
    for text in texts:
        spans = sentences(text)
        out["sentence"] += [text[s:e] for s, e in spans]
        out["sentence pair"] += [text[a[0] : b[1]] for a, b in pairwise(spans)]
        for s, e in spans:
            parts = clauses(text, s, e)
            if len(parts) > 1:
                out["clause"] += [text[a:b] for a, b in parts]
        words = text.split()
        for i in range(0, max(len(words) - WINDOW_WORDS, 0) + 1, WINDOW_STRIDE):
            out["window"].append(" ".join(words[i : i + WINDOW_WORDS]))
    return out


def task_prepare() -> dict[str, Any]:
    """Index the real texts with akhbar, embed extra real pieces and the questions; cache them."""
    from akhbar.app import Akhbar
    from akhbar.settings import Settings
    from index.splitter import Chunk

    questions = [
        json.loads(line)["question"].strip(" -")
        for line in QUESTIONS.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    t_all = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings()
        settings.index_dir = Path(tmp) / "index"
        settings.retrieval.index_type = "flat"
        app = Akhbar(settings)
        summary = app.build([PASSAGES, SEEDS])
        snap = app.store.open()
        chunk_vectors = snap.vectors()
        chunks = [Chunk.from_dict(c) for c in snap.chunks]
        articles = [d["text"] for d in snap.docs.values()]
    seen = {c.text for c in chunks}
    kinds = ["chunk"] * len(chunks)
    extra: list[str] = []
    for kind, pieces in _fragments(articles).items():
        for piece in pieces:
            if len(piece) >= 20 and piece not in seen:
                seen.add(piece)
                extra.append(piece)
                kinds.append(kind)
    t0 = time.perf_counter()
    extra_vectors = app.embeddings.encode_passages(extra)
    extra_s = time.perf_counter() - t0
    query_vectors = app.embeddings.encode_queries(questions)
    encode_times = []
    for q in questions[:100]:
        t0 = time.perf_counter()
        app.embeddings.encode_queries([q])
        encode_times.append(time.perf_counter() - t0)
    vectors = np.vstack([chunk_vectors, extra_vectors]).astype(np.float32)
    meta = {
        "key": data_key(),
        "model": app.embeddings.model_id,
        "dim": int(vectors.shape[1]),
        "articles": summary.documents,
        "chunks": len(chunks),
        "vectors": len(vectors),
        "by_kind": dict(Counter(kinds)),
        "queries": len(questions),
        "chunk_embed_s": summary.embed_seconds,
        "extra_embed_s": extra_s,
        "prepare_s": time.perf_counter() - t_all,
        "query_encode": percentiles(encode_times),
        "chunk_texts": [c.embed_text() for c in chunks],
        "questions": questions,
    }
    OUT.mkdir(parents=True, exist_ok=True)
    np.savez(REAL_NPZ, vectors=vectors, queries=query_vectors)
    REAL_JSON.write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    return {k: v for k, v in meta.items() if k not in ("chunk_texts", "questions")}


# ---------------------------------------------------------------------------------------------
# corpora of any size


def make_vectors(n: int) -> tuple[np.ndarray, int]:
    """`n` unit vectors: the real ones first, then derived ones (deterministic for `n`).

    Returns:
        The vectors and how many of them are real.
    """
    real, _, _ = load_real()
    n_real = min(n, len(real))
    out = np.empty((n, real.shape[1]), dtype=np.float32)
    out[:n_real] = real[:n_real]
    if n == n_real:
        return out, n_real
    sims = real @ real.T
    np.fill_diagonal(sims, -np.inf)
    near = np.argsort(-sims, axis=1)[:, :MIX_NEIGHBOURS]
    rng = np.random.default_rng(SEED + n)
    sigma = np.float32(NOISE / np.sqrt(real.shape[1]))
    step = 100_000
    for s in range(n_real, n, step):
        m = min(step, n - s)
        i = rng.integers(0, len(real), m)
        u = real[i]
        v = real[near[i, rng.integers(0, near.shape[1], m)]]
        a = rng.uniform(0.0, 1.0, (m, 1)).astype(np.float32)
        x = a * u + (1 - a) * v + sigma * rng.standard_normal(u.shape, dtype=np.float32)
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        out[s : s + m] = x
    return out, n_real


def make_term_lists(n: int) -> tuple[list[list[str]], int, float]:
    """`n` term lists: the real chunks' (via `terms()`), then derived ones.

    Returns:
        The lists, how many are real, and seconds per real chunk spent in `terms()`.
    """
    from index.arabic import stem, terms

    texts = json.loads(REAL_JSON.read_text(encoding="utf-8"))["chunk_texts"]
    stem.cache_clear()
    t0 = time.perf_counter()
    real = [terms(t) or ["\u2205"] for t in texts]
    per_chunk = (time.perf_counter() - t0) / len(texts)
    n_real = min(n, len(real))
    lists = real[:n_real]
    if n > n_real:
        vocab = sorted({t for doc in real for t in doc})
        ids = {t: i for i, t in enumerate(vocab)}
        flat = np.array([ids[t] for doc in real for t in doc], dtype=np.int32)
        lens = np.array([len(doc) for doc in real])
        starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
        rng = np.random.default_rng(SEED + n)
        words = np.array(vocab, dtype=object)
        step = 100_000
        for s in range(n_real, n, step):
            m = min(step, n - s)
            src = rng.integers(0, len(real), m)
            out_lens = lens[src]
            total = int(out_lens.sum())
            doc_of = np.repeat(np.arange(m), out_lens)
            pos = np.arange(total) - np.repeat(np.cumsum(out_lens) - out_lens, out_lens)
            tok = flat[starts[src][doc_of] + pos]
            swap = rng.random(total) < REPLACE
            tok[swap] = flat[rng.integers(0, len(flat), int(swap.sum()))]
            pieces = np.split(words[tok], np.cumsum(out_lens)[:-1])
            lists.extend(p.tolist() for p in pieces)
    return lists, n_real, per_chunk


# ---------------------------------------------------------------------------------------------
# the measuring processes


def task_build(n: int, kind: str, folder: Path) -> dict[str, Any]:
    """Build one FAISS index over `n` vectors with our `make_faiss_index`; write it."""
    import faiss

    from index.store import make_faiss_index

    t0 = time.perf_counter()
    vectors, n_real = make_vectors(n)
    make_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    index = make_faiss_index(vectors, kind)
    build_s = time.perf_counter() - t0
    path = folder / f"{kind}.faiss"
    faiss.write_index(index, str(path))
    params: dict[str, Any] = {}
    if kind == "hnsw":
        params = {
            "M": int(index.hnsw.nb_neighbors(0) // 2),
            "efConstruction": int(index.hnsw.efConstruction),
            "efSearch": int(index.hnsw.efSearch),
        }
    return {
        "real": n_real,
        "make_vectors_s": make_s,
        "build_s": build_s,
        "vectors_mb": vectors.nbytes / 2**20,
        "index_mb": path.stat().st_size / 2**20,
        "build_peak_mb": peak_mb(),
        "params": params,
        "threads": faiss.omp_get_max_threads(),
    }


def _time_searches(index: Any, queries: np.ndarray) -> list[float]:
    for q in queries[:WARM_UP]:
        index.search(q.reshape(1, -1), K)
    times = []
    for q in queries[timed_sample(len(queries))]:
        x = np.ascontiguousarray(q, dtype=np.float32).reshape(1, -1)
        t0 = time.perf_counter()
        index.search(x, K)
        times.append(time.perf_counter() - t0)
    return times


def _recall(found: np.ndarray, exact: np.ndarray) -> float:
    hits = [
        len(set(f[:RECALL_AT].tolist()) & set(e[:RECALL_AT].tolist()))
        for f, e in zip(found, exact, strict=True)
    ]
    return float(np.mean(hits)) / RECALL_AT


def task_serve(n: int, kind: str, folder: Path) -> dict[str, Any]:
    """Load an index as a server does; time single questions; recall against exact."""
    import faiss

    with np.load(REAL_NPZ) as data:
        queries = np.ascontiguousarray(data["queries"], dtype=np.float32)
    base = peak_mb()
    t0 = time.perf_counter()
    index = faiss.read_index(str(folder / f"{kind}.faiss"))
    load_s = time.perf_counter() - t0
    assert index.ntotal == n
    gt_path = folder / "exact.npy"
    out: dict[str, Any] = {"load_s": load_s, "base_mb": base}
    if kind == "flat":
        scores, rows = index.search(queries, K)
        np.save(gt_path, rows)
        out.update(percentiles(_time_searches(index, queries)))
        out["recall10"] = 1.0
        out["top1_cos_median"] = float(np.median(scores[:, 0]))
        out["top10_cos_median"] = float(np.median(scores[:, RECALL_AT - 1]))
    else:
        exact = np.load(gt_path)
        stored = int(index.hnsw.efSearch)
        sweep = []
        for ef in sorted({*EF_SWEEP, stored}):
            index.hnsw.efSearch = ef
            _, rows = index.search(queries, K)
            sweep.append(
                {
                    "ef": ef,
                    "recall10": _recall(rows, exact),
                    **percentiles(_time_searches(index, queries)),
                }
            )
        index.hnsw.efSearch = stored
        out["sweep"] = sweep
        out["ef"] = stored
        out.update(
            {k: v for k, v in next(s for s in sweep if s["ef"] == stored).items() if k != "ef"}
        )
    out["peak_mb"] = peak_mb()
    return out


def task_lex_build(n: int, folder: Path) -> dict[str, Any]:
    """Build our `LexicalIndex` from `n` term lists (as `LexicalIndex.build` does) and save it."""
    from index.lexical import LexicalIndex

    t0 = time.perf_counter()
    corpus, n_real, per_chunk = make_term_lists(n)
    make_s = time.perf_counter() - t0
    avg_terms = float(np.mean([len(doc) for doc in corpus]))
    t0 = time.perf_counter()
    index = LexicalIndex.from_terms(corpus)
    build_s = time.perf_counter() - t0
    index.save(folder / "lexical")
    return {
        "real": n_real,
        "make_terms_s": make_s,
        "avg_terms": avg_terms,
        "vocab": index.vocabulary_size(),
        "build_s": build_s,
        "terms_ms_per_chunk": 1000 * per_chunk,
        "terms_est_s": per_chunk * n,
        "index_mb": folder_bytes(folder / "lexical") / 2**20,
        "build_peak_mb": peak_mb(),
    }


def task_lex_serve(n: int, folder: Path) -> dict[str, Any]:
    """Load the lexical index as a server does; time `search(question, 50)` one at a time."""
    from index.lexical import LexicalIndex

    questions = json.loads(REAL_JSON.read_text(encoding="utf-8"))["questions"]
    base = peak_mb()
    t0 = time.perf_counter()
    index = LexicalIndex.load(folder / "lexical", n)
    load_s = time.perf_counter() - t0
    for q in questions[:WARM_UP]:
        index.search(q, K)
    times = []
    for i in timed_sample(len(questions)):
        t0 = time.perf_counter()
        index.search(questions[i], K)
        times.append(time.perf_counter() - t0)
    return {"load_s": load_s, "base_mb": base, **percentiles(times), "peak_mb": peak_mb()}


def run_child(**spec: Any) -> dict[str, Any]:
    """Run one task in a fresh Python process; return its JSON answer."""
    proc = subprocess.run(
        [sys.executable, __file__, "--child", json.dumps(spec, default=str)],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        raise RuntimeError(f"{spec} failed with exit code {proc.returncode}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def child(spec: dict[str, Any]) -> dict[str, Any]:
    task = spec["task"]
    if task == "prepare":
        return task_prepare()
    if task == "key":
        return {"key": data_key()}
    n, folder = int(spec["n"]), Path(spec.get("folder", "."))
    if task == "build":
        return task_build(n, spec["kind"], folder)
    if task == "serve":
        return task_serve(n, spec["kind"], folder)
    if task == "lex-build":
        return task_lex_build(n, folder)
    if task == "lex-serve":
        return task_lex_serve(n, folder)
    raise ValueError(task)


# ---------------------------------------------------------------------------------------------
# the run and its report


class LoadWatch:
    """Samples the 1-minute load average in the background.

    Other work on the machine skews the timings; this benchmark alone keeps it near the core count.
    """

    def __init__(self, every: float = 5.0) -> None:
        import threading

        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(every,), daemon=True)

    def _run(self, every: float) -> None:
        while not self._stop.wait(every):
            self.samples.append(os.getloadavg()[0])

    def __enter__(self) -> LoadWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def summary(self) -> dict[str, float]:
        """Mean and max of the samples."""
        xs = self.samples or [os.getloadavg()[0]]
        return {"mean": float(np.mean(xs)), "max": float(np.max(xs))}


def measure(n: int, work: Path, log: Any) -> dict[str, Any]:
    """All measurements for one corpus size."""
    folder = work / label(n)
    folder.mkdir()
    row: dict[str, Any] = {"n": n}
    try:
        with LoadWatch() as watch:
            for kind in ("flat", "hnsw"):
                log(f"{label(n)}: building {kind}")
                built = run_child(task="build", n=n, kind=kind, folder=folder)
                log(f"{label(n)}: serving {kind}")
                row[kind] = {**built, **run_child(task="serve", n=n, kind=kind, folder=folder)}
            log(f"{label(n)}: building bm25")
            built = run_child(task="lex-build", n=n, folder=folder)
            log(f"{label(n)}: serving bm25")
            row["bm25"] = {**built, **run_child(task="lex-serve", n=n, folder=folder)}
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    row["load_average"] = watch.summary()
    return row


def report(result: dict[str, Any]) -> str:
    """The Markdown tables."""
    real = result["real"]
    rows = result["sizes"]
    kinds = ", ".join(f"{v} {k}s" for k, v in real["by_kind"].items())
    lines = [
        f"Machine: {result['machine']['cpus']} cores ({result['machine']['cpu']}), "
        f"FAISS {result['machine']['faiss']} with {rows[0]['flat']['threads'] if rows else '?'} "
        f"threads, bm25s {result['machine']['bm25s']}. Model {real['model']} (dim {real['dim']}).",
        "",
        f"Real vectors: {real['vectors']} ({kinds}) from {real['articles']} articles "
        "(ARCD-train passages + seeds), embedded with akhbar's model; larger corpora add derived "
        f"vectors (a*u + (1-a)*v + noise, renormalised: u real, v one of u's {MIX_NEIGHBOURS} "
        f"nearest real vectors, a ~ U(0, 1), noise norm ~{NOISE}). "
        f"Questions: the {real['queries']} real ARCD-train question embeddings; "
        f"{min(TIMED_QUERIES, real['queries'])} timed one at a time after {WARM_UP} warm-up, "
        f"k = {K} (the searcher's candidates). Encoding one question with the model adds "
        f"p50 {real['query_encode']['p50_ms']:.0f} ms (p95 {real['query_encode']['p95_ms']:.0f} ms) "
        "to every search below.",
        "",
        f"1-minute load average while measuring ({result['machine']['cpus']} cores; this "
        "benchmark alone keeps it near that, more means other work shared the machine): "
        + ", ".join(
            f"{label(r['n'])} mean {r['load_average']['mean']:.1f} max {r['load_average']['max']:.1f}"
            for r in rows
            if "load_average" in r
        )
        + ".",
        "",
        "### Dense retrieval (FAISS)",
        "",
        "| chunks | real vectors | index | build s | index MB | p50 ms | p95 ms | recall@10 vs exact "
        "| peak MB serving | peak MB building |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        for kind in ("flat", "hnsw"):
            m = r[kind]
            name = "flat (exact)"
            if kind == "hnsw":
                p = m["params"]
                name = f"hnsw M={p['M']} efC={p['efConstruction']} efSearch={m['ef']}"
            lines.append(
                f"| {label(r['n'])} | {m['real']} | {name} | {m['build_s']:.1f} | "
                f"{m['index_mb']:.1f} | {m['p50_ms']:.2f} | {m['p95_ms']:.2f} | {m['recall10']:.3f} | "
                f"{m['peak_mb']:.0f} | {m['build_peak_mb']:.0f} |"
            )
    lines += [
        "",
        f"Vectors alone: {real['dim']} float32 = {real['dim'] * 4} bytes a chunk "
        f"({rows[-1]['flat']['vectors_mb']:.0f} MB at {label(rows[-1]['n'])}). "
        "Serving peak includes the Python process with numpy and FAISS loaded "
        f"(~{rows[0]['flat']['base_mb']:.0f} MB before the index).",
        "",
        "Median cosine of each question's best / 10th-best exact match: "
        + ", ".join(
            f"{label(r['n'])} {r['flat']['top1_cos_median']:.3f} / {r['flat']['top10_cos_median']:.3f}"
            for r in rows
        )
        + ".",
        "",
        "### HNSW efSearch sweep (recall@10 against exact on all questions)",
        "",
        "| chunks | efSearch | recall@10 | p50 ms | p95 ms |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        for s in r["hnsw"]["sweep"]:
            mark = " (set)" if s["ef"] == r["hnsw"]["ef"] else ""
            lines.append(
                f"| {label(r['n'])} | {s['ef']}{mark} | {s['recall10']:.3f} | {s['p50_ms']:.2f} | "
                f"{s['p95_ms']:.2f} |"
            )
    lines += [
        "",
        f"FAISS searches at least k = {K} candidates (efSearch below k acts as k).",
        "",
        "### Lexical retrieval (our LexicalIndex, BM25 via bm25s)",
        "",
        "| chunks | real term lists | terms a chunk | vocabulary | build s (bm25s) "
        "| terms() s (est.) | index MB | p50 ms | p95 ms | peak MB serving | peak MB building |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        m = r["bm25"]
        lines.append(
            f"| {label(r['n'])} | {m['real']} | {m['avg_terms']:.0f} | {m['vocab']} | "
            f"{m['build_s']:.1f} | {m['terms_est_s']:.0f} | {m['index_mb']:.1f} | {m['p50_ms']:.2f} | "
            f"{m['p95_ms']:.2f} | {m['peak_mb']:.0f} | {m['build_peak_mb']:.0f} |"
        )
    per = rows[0]["bm25"]["terms_ms_per_chunk"] if rows else 0.0
    lines += [
        "",
        f"Lexical corpora beyond the {real['chunks']} real chunks are derived term lists (a real "
        f"chunk's terms with {REPLACE:.0%} replaced by terms drawn from the whole corpus), since "
        f"`terms()` costs {per:.1f} ms a chunk in Python (the terms() column extrapolates it). "
        "The vocabulary stays that of the real chunks, so posting lists are longer than in a real "
        "corpus of that size: these latencies err on the slow side. Search time includes "
        "`terms()` of the question.",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--sizes",
        default=",".join(label(n) for n in ALL_SIZES),
        help="Corpus sizes in chunks, comma-separated (default: %(default)s).",
    )
    parser.add_argument("--quick", action="store_true", help="Smoke run: 1k and 10k.")
    parser.add_argument("--refresh", action="store_true", help="Re-embed the real data.")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return
    sizes = list(QUICK_SIZES) if args.quick else [parse_size(s) for s in args.sizes.split(",")]
    started = time.perf_counter()

    def log(msg: str) -> None:
        print(f"[{time.perf_counter() - started:6.0f}s] {msg}", file=sys.stderr, flush=True)

    # The parent stays small (no akhbar, FAISS or bm25s imports): on Linux a child's ru_maxrss
    # starts from the RSS of the process that spawned it.
    cached = REAL_JSON.exists() and REAL_NPZ.exists() and not args.refresh
    if cached:
        key = run_child(task="key")["key"]
        cached = json.loads(REAL_JSON.read_text(encoding="utf-8")).get("key") == key
    if not cached:
        log("embedding the real texts and questions (a few minutes, cached afterwards)")
        run_child(task="prepare")
    _, _, real = load_real()
    real = {k: v for k, v in real.items() if k not in ("chunk_texts", "questions")}
    result: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "cpu": cpu_name(),
            "python": platform.python_version(),
            "faiss": version("faiss-cpu"),
            "bm25s": version("bm25s"),
        },
        "settings": {
            "k": K,
            "recall_at": RECALL_AT,
            "timed_queries": TIMED_QUERIES,
            "warm_up": WARM_UP,
            "derived_vectors": {"mix_neighbours": MIX_NEIGHBOURS, "noise_norm": NOISE},
            "derived_terms": {"replace": REPLACE},
        },
        "real": {**real, "cached": bool(cached)},
        "sizes": [],
    }
    with tempfile.TemporaryDirectory(prefix="akhbar-scale-") as tmp:
        for n in sizes:
            result["sizes"].append(measure(n, Path(tmp), log))
    result["seconds"] = time.perf_counter() - started
    OUT.mkdir(parents=True, exist_ok=True)
    RESULT.write_text(json.dumps(result, indent=1), encoding="utf-8")
    print(report(result))
    print(f"\n(run took {result['seconds'] / 60:.1f} min; numbers in {RESULT.relative_to(ROOT)})")


if __name__ == "__main__":
    main()
