"""akhbar beside a "stock LangChain" pipeline, same data, same machine, one run.

The baseline is what a user would assemble from LangChain parts: RecursiveCharacterTextSplitter
(1000/200), the same embedding model without e5 prompts, a LangChain FAISS store with similarity
search, LangChain's BM25Retriever with its default whitespace tokens, and an EnsembleRetriever
(equal weights) over the two. Its "answer" is the top retrieved chunk, as such a pipeline would
hand to a reader. Run: `.venv/bin/python bench/compare.py [--limit N]`; writes
`bench/out/compare.json` for `bench/plots.py`.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval"
OUT = ROOT / "bench" / "out"


def ranked_docs(docs: list[Any]) -> list[str]:
    return [d.metadata["doc_id"] for d in docs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=None, help="Questions to ask (default all).")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")

    from langchain_classic.retrievers import EnsembleRetriever
    from langchain_community.retrievers import BM25Retriever
    from langchain_community.vectorstores import FAISS
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from akhbar.app import Akhbar
    from akhbar.settings import Settings
    from index.embeddings import make_embeddings
    from qa.evaluate import contains, mrr_at, recall_at

    passages = [
        json.loads(line)
        for line in (EVAL / "arcd-train.passages.jsonl").read_text("utf-8").splitlines()
        if line
    ]
    questions = [
        json.loads(line)
        for line in (EVAL / "arcd-train.questions.jsonl").read_text("utf-8").splitlines()
        if line
    ]
    if args.limit:
        questions = questions[: args.limit]
    gold = [q["passage_id"] for q in questions]
    texts = [q["question"].strip(" -") for q in questions]

    # --- stock LangChain -------------------------------------------------------------------
    settings = Settings()
    plain = make_embeddings(settings.embedding)
    plain.query_prompt = plain.passage_prompt = ""
    t0 = time.perf_counter()
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    docs = splitter.split_documents(
        [
            Document(page_content=p["text"], metadata={"doc_id": p["id"], "title": p["title"]})
            for p in passages
        ]
    )
    store = FAISS.from_documents(docs, plain)
    bm25 = BM25Retriever.from_documents(docs, k=10)
    dense = store.as_retriever(search_kwargs={"k": 10})
    ensemble = EnsembleRetriever(retrievers=[bm25, dense], weights=[0.5, 0.5])
    base_build = time.perf_counter() - t0
    base: dict[str, list[list[str]]] = {"dense": [], "lexical": [], "hybrid": []}
    base_times, base_answers = [], []
    for q in texts:
        t = time.perf_counter()
        hybrid_docs = ensemble.invoke(q)
        base_times.append(time.perf_counter() - t)
        base["hybrid"].append(ranked_docs(hybrid_docs))
        base["dense"].append(ranked_docs(dense.invoke(q)))
        base["lexical"].append(ranked_docs(bm25.invoke(q)))
        base_answers.append(hybrid_docs[0].page_content if hybrid_docs else "")

    # --- akhbar ----------------------------------------------------------------------------
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings()
        settings.index_dir = Path(tmp) / "index"
        src = Path(tmp) / "passages.jsonl"
        src.write_text(
            "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in passages), encoding="utf-8"
        )
        app = Akhbar(settings)
        app.embeddings.warm_up()
        t0 = time.perf_counter()
        app.build([src])
        ours_build = time.perf_counter() - t0
        ours: dict[str, list[list[str]]] = {"dense": [], "lexical": [], "hybrid": []}
        ours_times, ours_answers = [], []
        for q in texts:
            for mode in ("dense", "lexical"):
                ours[mode].append([h.doc_id for h in app.search(q, k=10, mode=mode)])
            t = time.perf_counter()
            hits = app.search(q, k=10)
            ours_times.append(time.perf_counter() - t)
            ours["hybrid"].append([h.doc_id for h in hits])
            t = time.perf_counter()
            answer = app.ask(q)
            ours_answers.append((answer.answer if answer.found else "", time.perf_counter() - t))

    def mean(values: list[float]) -> float:
        return float(np.mean(values))

    rows = []
    for mode in ("hybrid", "dense", "lexical"):
        for k in (1, 5, 10):
            a = mean([recall_at(r, g, k) for r, g in zip(ours[mode], gold, strict=True)])
            b = mean([recall_at(r, g, k) for r, g in zip(base[mode], gold, strict=True)])
            rows.append({"metric": f"{mode} recall@{k}", "akhbar": a, "baseline": b})
        a = mean([mrr_at(r, g) for r, g in zip(ours[mode], gold, strict=True)])
        b = mean([mrr_at(r, g) for r, g in zip(base[mode], gold, strict=True)])
        rows.append({"metric": f"{mode} mrr@10", "akhbar": a, "baseline": b})
    golds = [q["answers"] for q in questions]
    rows.append(
        {
            "metric": "gold answer in the answer",
            "akhbar": mean([contains(a, g) for (a, _), g in zip(ours_answers, golds, strict=True)]),
            "baseline": mean([contains(a, g) for a, g in zip(base_answers, golds, strict=True)]),
        }
    )
    rows.append(
        {
            "metric": "answer length (words)",
            "akhbar": mean([len(a.split()) for a, _ in ours_answers]),
            "baseline": mean([len(a.split()) for a in base_answers]),
        }
    )
    speed = [
        {"metric": "index build s", "akhbar": ours_build, "baseline": base_build},
        {
            "metric": "retrieval p50 ms",
            "akhbar": 1000 * float(np.median(ours_times)),
            "baseline": 1000 * float(np.median(base_times)),
        },
        {
            "metric": "answer p50 ms (akhbar: whole answer)",
            "akhbar": 1000 * float(np.median([t for _, t in ours_answers])),
            "baseline": 1000 * float(np.median(base_times)),
        },
    ]
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "compare.json").write_text(
        json.dumps({"rows": rows, "speed": speed}, indent=1), encoding="utf-8"
    )

    print(
        f"ARCD-train: {len(passages)} passages, {len(questions)} questions; baseline chunks: {len(docs)}\n"
    )
    print("| quality | akhbar | stock LangChain | delta |")
    print("|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['metric']} | {r['akhbar']:.3f} | {r['baseline']:.3f} | {r['akhbar'] - r['baseline']:+.3f} |"
        )
    print("\n| speed | akhbar | stock LangChain | ratio (baseline / akhbar) |")
    print("|---|---|---|---|")
    for r in speed:
        print(
            f"| {r['metric']} | {r['akhbar']:.1f} | {r['baseline']:.1f} | {r['baseline'] / r['akhbar']:.2f}x |"
        )
    print(
        '\nThe baseline\'s "answer" is its top chunk (up to 1,000 characters), so it contains the gold'
        " answer more easily; akhbar answers with a sentence or clause and refuses when unsure."
    )


if __name__ == "__main__":
    main()
