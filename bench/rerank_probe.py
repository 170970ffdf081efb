"""How far re-ranking the answerer's windows could go on ARCD-train, and a learned re-ranker tried.

Run: `.venv/bin/python bench/rerank_probe.py --index-dir ARCD_INDEX [--cache FILE] [--top 12]`
(the index and cache as for `bench/fit_answer.py`; same 70/30 article split, seed 0).

For each answerable ARCD-train question, the shipped answerer (`qa/answer_params.json`) ranks the
windows of its top passages; this prints

* the ceiling: the share of questions whose `top` best windows by the first-stage score hold one
  whose finished answer holds a gold answer (`top1` ... `top12`), beside what the shipped
  answerer gets (before refusals);
* learned second stages over those windows, fitted (listwise softmax, as `fit_answer.py`) on the
  training split and scored on both: the first-stage score and closeness in meaning (what ships),
  plus the element-wise product of the question's and the window's e5 vectors (384 features: a
  re-weighted similarity), or that product's first principal components only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fit_answer as fa


def gather(cache: fa.VectorCache, cases: list[fa.Case], top: int) -> list[Any]:
    """Per question: the top windows' first-stage scores, vectors and labels."""
    from dataclasses import replace

    from qa.extractive import ExtractiveAnswerer, load_config

    config = load_config()
    answerer = ExtractiveAnswerer(config)
    # Same first stage, a longer shortlist: `fit_answer.shortlist_of` gives the best `top`.
    wider = ExtractiveAnswerer(replace(config, shortlist=top))
    rows: list[Any] = []
    for case in cases:
        windows = fa.windows_of(cache, answerer, case)
        if windows is None:
            rows.append(None)
            continue
        labels = fa.window_labels(case, windows, answerer)
        s1 = answerer.scores(windows)
        order = fa.shortlist_of(wider, windows)
        texts = [
            windows.hits[windows.cands[i].hit_index].text[
                windows.cands[i].start : windows.cands[i].end
            ]
            for i in order
        ]
        rows.append(
            {
                "s1": s1[order],
                "vectors": cache.passages(texts),
                "query": case.qvec,
                "labels": labels[order],
                "shipped": bool(labels[answerer.choose(windows).debug["window"]]),
            }
        )
    return rows


def features(row: dict[str, Any], top: int, basis: np.ndarray | None, mean: np.ndarray) -> Any:
    s1, vectors, query = row["s1"][:top], row["vectors"][:top], row["query"]
    x = np.column_stack([s1, vectors @ query])
    if basis is not None:
        x = np.hstack([x, ((vectors * query[None, :]) - mean) @ basis.T * 30.0])
    return x


def accuracy(rows: list[Any], weights: np.ndarray, top: int, basis: Any, mean: Any) -> float:
    right = sum(
        bool(r["labels"][:top][int(np.argmax(features(r, top, basis, mean) @ weights))])
        for r in rows
        if r is not None
    )
    return right / len(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index-dir", type=Path, required=True)
    parser.add_argument("--cache", type=Path, default=None)
    parser.add_argument("--top", type=int, default=12)
    args = parser.parse_args()

    eval_set, train_articles, app = fa.open_arcd(args.index_dir)
    cache = fa.VectorCache(app, args.cache)
    parts: dict[str, list[fa.Case]] = {"train": [], "held_out": []}
    for item in eval_set.items:
        part = "train" if fa.article_of(str(item.doc)) in train_articles else "held_out"
        parts[part].append(fa.Case(item, item.question.strip(" -"), "answerable", []))
    data = {}
    for name, cases in parts.items():
        fa.prepare(app, cache, cases)
        data[name] = gather(cache, cases, args.top)
    cache.save()

    ks = [k for k in (1, 2, 4, 6, 8, 12) if k <= args.top]
    print(
        "| split | questions | shipped (before refusals) | "
        + " | ".join(f"top {k}" for k in ks)
        + " |"
    )
    print("|---|---|---|" + "---|" * len(ks))
    for name, rows in data.items():
        n = len(rows)
        shipped = sum(r is not None and r["shipped"] for r in rows) / n
        tops = [sum(r is not None and r["labels"][:k].any() for r in rows) / n for k in ks]
        print(f"| {name} | {n} | {shipped:.3f} | " + " | ".join(f"{t:.3f}" for t in tops) + " |")

    train = [r for r in data["train"] if r is not None]
    products = np.vstack([r["vectors"] * r["query"][None, :] for r in train])
    mean = products.mean(axis=0)
    _, _, vt = np.linalg.svd(products - mean, full_matrices=False)
    print("\n| windows re-ranked | features | ridge | train | held out |")
    print("|---|---|---|---|---|")
    for top in sorted({6, args.top}):
        for name, basis in [
            ("score + closeness (as shipped)", None),
            ("+ 8 principal components of q*w", vt[:8]),
            ("+ q*w (384)", np.eye(vt.shape[1])),
        ]:
            for l2 in (1e-3, 1e-1):
                groups = [(features(r, top, basis, mean), r["labels"][:top]) for r in train]
                _, weights = fa.fit_listwise(groups, l2=l2, steps=600)
                scores = [accuracy(data[p], weights, top, basis, mean) for p in data]
                print(f"| {top} | {name} | {l2:g} | {scores[0]:.3f} | {scores[1]:.3f} |")


if __name__ == "__main__":
    main()
