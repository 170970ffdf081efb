"""ARCD-train recall with each embedding backend: the same chunks, vectors from each backend.

Run: `nice .venv/bin/python bench/arcd_backends.py [--threads 1]`. Indexes the 231 ARCD-train
passages once (fp32), then for each other backend writes a copy of that index whose vectors that
backend computed, and asks the 693 questions with query vectors from the same backend: recall@5 of
the gold passage for dense and hybrid search, and the share of questions whose top passage is the
same as fp32's. Prints a Markdown table and writes `bench/out/arcd-backends.json`.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval"
OUT = ROOT / "bench" / "out"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=1, help="Torch threads (0: default).")
    args = parser.parse_args()

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)

    from akhbar.app import Akhbar
    from akhbar.settings import Settings
    from index.embedders import BACKENDS
    from index.embedders.auto import min_mean_cosine
    from index.indexer import stored_article
    from index.passage import Passage
    from index.store import IndexStore
    from qa.evaluate import load_eval_set, recall_at
    from qa.question import analyse
    from qa.retriever import Searcher

    eval_set = load_eval_set(EVAL / "arcd-train.questions.jsonl")
    questions = [analyse(it.question.strip(" -")).retrieval_query for it in eval_set.items]
    gold = [str(it.doc) for it in eval_set.items]
    results: dict[str, Any] = {"questions": len(questions), "rows": []}
    with tempfile.TemporaryDirectory(prefix="akhbar-arcd-") as tmp:
        src = Path(tmp) / "arcd.jsonl"
        src.write_text(
            "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in eval_set.passages),
            encoding="utf-8",
        )
        settings = Settings()
        settings.index_dir = Path(tmp) / "fp32"
        settings.embedding.backend = "fp32"
        app = Akhbar(settings)
        app.build([src])
        emb = app.embeddings
        base = IndexStore(settings.index_dir).open()
        texts = [emb.passage_prompt + Passage.from_dict(c).embed_text() for c in base.chunks]
        top1: dict[str, list[str]] = {}
        reference = base.vectors()
        for name in BACKENDS:
            backend = emb.make_backend(name)
            if not backend.supported():
                continue
            root = Path(tmp) / name
            if name != "fp32":
                vectors = backend.encode(emb.st, texts, emb.batch_size)
                store = IndexStore(root)
                with store.lock():
                    store.write(
                        base.manifest,
                        [Passage.from_dict(c) for c in base.chunks],
                        [stored_article(d) for d in base.docs.values()],
                        vectors,
                    )
            else:
                vectors = reference
            searcher = Searcher(IndexStore(root), emb, app.settings.retrieval)
            qvecs = backend.encode(emb.st, [emb.query_prompt + q for q in questions], 32)
            ranked: dict[str, list[list[str]]] = {"dense": [], "hybrid": []}
            for q, v in zip(questions, qvecs, strict=True):
                for mode in ranked:
                    hits = searcher.search(q, k=10, mode=mode, query_vector=v)  # type: ignore[arg-type]
                    ranked[mode].append([h.doc_id for h in hits])
            top1[name] = [r[0] if r else "" for r in ranked["hybrid"]]
            low, mean = min_mean_cosine(vectors, reference)
            row = {
                "backend": name,
                "cos_min": low,
                "cos_mean": mean,
                **{
                    f"{mode}_r5": float(
                        np.mean([recall_at(r, g, 5) for r, g in zip(rk, gold, strict=True)])
                    )
                    for mode, rk in ranked.items()
                },
                "same_top1_as_fp32": float(
                    np.mean([a == b for a, b in zip(top1[name], top1["fp32"], strict=True)])
                ),
            }
            results["rows"].append(row)
            print(json.dumps(row), flush=True)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "arcd-backends.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(
        f"\nARCD-train: 231 passages, {results['questions']} questions\n\n"
        "| backend | passage cosine to fp32 min / mean | dense R@5 | hybrid R@5 "
        "| same top passage as fp32 (hybrid) |\n|---|---|---|---|---|"
    )
    for r in results["rows"]:
        print(
            f"| {r['backend']} | {r['cos_min']:.5f} / {r['cos_mean']:.5f} | {r['dense_r5']:.3f} | "
            f"{r['hybrid_r5']:.3f} | {r['same_top1_as_fp32']:.3f} |"
        )


if __name__ == "__main__":
    main()
