"""Fit how dense and BM25 candidates are merged, on ARCD-train; print the table for the docs.

Every ARCD-train question is asked over the index of all its passages (the question analysed as
akhbar does: dialect, the counted noun's other number for BM25). The articles are split 70/30
with the seed of `bench/fit_answer.py`; `score_dense_weight` (the dense share of the `scores`
fusion, `qa.retriever.score_fusion`) is chosen on the training part: the highest recall@3 (the
answerer reads the first three passages), then recall@1. Rank fusion with the shipped weights is
shown beside it, and both parts are reported.

Run: `.venv/bin/python bench/fit_fusion.py --index-dir ARCD_INDEX`
(`.venv/bin/akhbar index build ../shared/eval/arcd-train.passages.jsonl --index-dir ARCD_INDEX`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fit_answer as fa

GRID = tuple(round(0.1 * i, 1) for i in range(11))
KS = (1, 3, 5)


def recalls(searcher: Any, cases: list[tuple[Any, Any, str]]) -> dict[int, float]:
    """Recall@1/3/5 of the gold passage over the cases (question, its vector, gold id)."""
    found = {k: 0 for k in KS}
    for question, vector, gold in cases:
        hits = searcher.search(
            question.retrieval_query,
            k=max(KS),
            query_vector=vector,
            lexical_query=question.lexical_query,
        )
        ids = [h.doc_id for h in hits]
        for k in KS:
            found[k] += gold in ids[:k]
    return {k: found[k] / max(len(cases), 1) for k in KS}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index-dir", type=Path, required=True, help="An index of ARCD passages.")
    args = parser.parse_args()

    from qa.question import analyse

    eval_set, train_articles, app = fa.open_arcd(args.index_dir)
    searcher = app.searcher
    parts: dict[str, list[tuple[Any, Any, str]]] = {"train": [], "held_out": []}
    for item in eval_set.items:
        question = analyse(item.question.strip(" -"))
        vector = searcher.encode_query(question.retrieval_query)
        part = "train" if fa.article_of(str(item.doc)) in train_articles else "held_out"
        parts[part].append((question, vector, str(item.doc)))

    rows: list[tuple[str, float | None, dict[str, dict[int, float]]]] = []
    searcher.settings.fusion = "rrf"
    rows.append(("rrf", None, {name: recalls(searcher, cases) for name, cases in parts.items()}))
    searcher.settings.fusion = "scores"
    for weight in GRID:
        searcher.settings.score_dense_weight = weight
        scores = {name: recalls(searcher, cases) for name, cases in parts.items()}
        rows.append(("scores", weight, scores))
    fitted = max(
        (r for r in rows if r[0] == "scores"), key=lambda r: (r[2]["train"][3], r[2]["train"][1])
    )
    n = {name: len(cases) for name, cases in parts.items()}
    print(f"ARCD-train: {n['train']} training questions, {n['held_out']} held out\n")
    print(
        "| fusion | dense share | train R@1 | train R@3 | train R@5 "
        "| held out R@1 | held out R@3 | held out R@5 |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for fusion, share_of, scores in rows:
        mark = " (fitted)" if (fusion, share_of) == fitted[:2] else ""
        cells = " | ".join(f"{scores[name][k]:.3f}" for name in ("train", "held_out") for k in KS)
        label = "rank fusion (0.7 / 1.0, k 60)" if fusion == "rrf" else "scores"
        share = "" if share_of is None else f"{share_of:.1f}{mark}"
        print(f"| {label} | {share} | {cells} |")
    print(f"\nscore_dense_weight = {fitted[1]}")


if __name__ == "__main__":
    main()
