"""Fit the extractive answerer's weights and refusal model on ARCD-train; write qa/answer_params.json.

Training data: ARCD-train (../shared/eval/arcd-train.*), never the dev sets. Its articles are
split 70/30 with a fixed seed; everything is fitted on the 70 % and reported on both parts.
Three kinds of question are asked over the index of all ARCD passages:

- answerable: the question as written (its passage is in the index);
- unanswerable (article removed): the same question with every passage of its article left out;
- unanswerable (outside the archive's dates): questions naming a year, with the year moved
  40 years later, asked with their article present (the archive does not cover that year).

Scoring weights are chosen by coordinate search (gold answer inside the answer, on answerable
training questions); the refusal model is a logistic regression on the chosen span's features
(answerable = 1, unanswerable = 0), and the threshold is the highest that refuses at most 5 % of
the answerable training questions (`--max-refused`).

Run: `.venv/bin/python bench/fit_answer.py [--index-dir DIR] [--limit N]`
(builds a temporary index of the ARCD passages when `--index-dir` is not given).
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval"
PARAMS = ROOT / "qa" / "answer_params.json"
SEED = 0
YEAR = re.compile(r"(?<![0-9\u0660-\u0669])(1[5-9][0-9]{2}|20[0-2][0-9])(?![0-9\u0660-\u0669])")

# Coordinate search: each field is tried at these values, the others held.
GRID: dict[str, list[Any]] = {
    "w_type": [0.0, 0.15, 0.3, 0.5],
    "w_rank": [0.0, 0.05, 0.15, 0.3],
    "w_dense": [0.5, 1.0, 1.5],
    "max_words": [15, 20, 25, 35],
    "w_new": [0.0, 0.1, 0.2, 0.4],
}


def article_of(passage_id: str) -> str:
    return passage_id.rsplit("/", 1)[0] + "/"


def split_articles(passages: list[dict[str, Any]]) -> tuple[set[str], set[str]]:
    articles = sorted({article_of(p["id"]) for p in passages})
    random.Random(SEED).shuffle(articles)
    cut = round(0.7 * len(articles))
    return set(articles[:cut]), set(articles[cut:])


def shifted(question: str) -> str | None:
    """The question with its first year moved 40 years on (None if it names no year)."""
    m = YEAR.search(question)
    if not m:
        return None
    year = int(m.group(1)) + 40
    return question[: m.start()] + str(year) + question[m.end() :]


class Case:
    """One question in one condition, with its retrieval done once."""

    def __init__(self, item: Any, text: str, kind: str, exclude: list[str]) -> None:
        self.item = item
        self.text = text
        self.kind = kind  # answerable, removed, outside
        self.exclude = exclude
        self.question: Any = None
        self.hits: list[Any] = []
        self.qvec: Any = None


def prepare(app: Any, cases: list[Case]) -> None:
    from qa.question import analyse

    searcher = app.searcher
    k = searcher.settings.k
    vectors: dict[str, Any] = {}
    for case in cases:
        case.question = analyse(case.text)
        query = case.question.retrieval_query
        if query not in vectors:
            vectors[query] = searcher.encode_query(query)
        case.qvec = vectors[query]
        case.hits = searcher.search(
            case.question.retrieval_query, k=k, query_vector=case.qvec, exclude_docs=case.exclude
        )


def run(app: Any, config: Any, cases: list[Case]) -> list[dict[str, Any]]:
    from qa.evaluate import contains
    from qa.extractive import ExtractiveAnswerer

    answerer = ExtractiveAnswerer(config)
    engine = app.engine
    idf = app.searcher.snapshot().lexical.idf
    out = []
    for case in cases:
        result = answerer.extract(case.question, case.hits, case.qvec, engine._encode_units, idf)
        text = ""
        if result.spans:
            span = result.spans[0]
            a, b = span.answer or (span.start, span.end)
            hit_text = case.hits[span.hit_index].text
            text = hit_text[a:b]
            if span.lead is not None:
                text = f"{hit_text[span.lead[0] : span.lead[1]]} — {text}"
        out.append(
            {
                "kind": case.kind,
                "features": result.debug.get("features"),
                "contains": bool(text) and bool(contains(text, case.item.answers)),
                "words": len(text.split()),
            }
        )
    return out


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-2, steps: int = 50) -> np.ndarray:
    """Logistic regression by Newton's method; returns [bias, weights...]."""
    xb = np.hstack([np.ones((len(x), 1)), x])
    w = np.zeros(xb.shape[1])
    reg = l2 * np.eye(xb.shape[1])
    reg[0, 0] = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(xb @ w, -50, 50)))
        grad = xb.T @ (p - y) + reg @ w
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + reg
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def matrix(rows: list[dict[str, Any]]) -> np.ndarray:
    from qa.extractive import FEATURES

    return np.array(
        [[float((r["features"] or {}).get(f, 0.0)) for f in FEATURES] for r in rows], dtype=float
    )


def report(rows: list[dict[str, Any]], config: Any) -> dict[str, float]:
    answerable = [r for r in rows if r["kind"] == "answerable"]
    removed = [r for r in rows if r["kind"] == "removed"]
    outside = [r for r in rows if r["kind"] == "outside"]

    def found(r: dict[str, Any]) -> bool:
        return (
            r["features"] is not None and config.confidence(r["features"]) >= config.min_confidence
        )

    words = [r["words"] for r in answerable if found(r)]
    return {
        "questions": len(answerable),
        "gold_inside_answer": sum(found(r) and r["contains"] for r in answerable) / len(answerable),
        "gold_inside_if_answered": sum(r["contains"] for r in answerable) / len(answerable),
        "answerable_refused": sum(not found(r) for r in answerable) / len(answerable),
        "unanswerable_answered_removed": sum(found(r) for r in removed) / max(len(removed), 1),
        "unanswerable_answered_outside_dates": sum(found(r) for r in outside)
        / max(len(outside), 1),
        "outside_questions": len(outside),
        "median_answer_words": float(np.median(words)) if words else 0.0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--index-dir", type=Path, default=None, help="An index of the ARCD passages."
    )
    parser.add_argument("--limit", type=int, default=None, help="Use only N training questions.")
    parser.add_argument("--out", type=Path, default=PARAMS, help="Where to write the parameters.")
    parser.add_argument(
        "--max-refused",
        type=float,
        default=0.05,
        help="Largest share of answerable training questions the threshold may refuse.",
    )
    args = parser.parse_args()

    from akhbar.app import Akhbar
    from akhbar.settings import Settings
    from qa.evaluate import load_eval_set
    from qa.extractive import FEATURES, ExtractiveConfig

    t_start = time.perf_counter()
    eval_set = load_eval_set(EVAL / "arcd-train.questions.jsonl")
    passages = eval_set.passages
    train_articles, held_articles = split_articles(passages)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings()
        if args.index_dir is not None:
            settings.index_dir = args.index_dir
        else:
            settings.index_dir = Path(tmp) / "index"
            src = Path(tmp) / "passages.jsonl"
            src.write_text(
                "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in passages),
                encoding="utf-8",
            )
            Akhbar(settings).build([src])
        app = Akhbar(settings)
        app.searcher.warm_up()
        ids_of = {
            a: [p["id"] for p in passages if article_of(p["id"]) == a]
            for a in train_articles | held_articles
        }
        parts: dict[str, list[Case]] = {"train": [], "held_out": []}
        for item in eval_set.items:
            article = article_of(str(item.doc))
            part = "train" if article in train_articles else "held_out"
            text = item.question.strip(" -")
            parts[part].append(Case(item, text, "answerable", []))
            parts[part].append(Case(item, text, "removed", ids_of[article]))
            moved = shifted(text)
            if moved is not None:
                parts[part].append(Case(item, moved, "outside", []))
        if args.limit:
            for name in parts:
                items = list(dict.fromkeys(id(c.item) for c in parts[name]))[: args.limit]
                keep = set(items)
                parts[name] = [c for c in parts[name] if id(c.item) in keep]
        for name, cases in parts.items():
            prepare(app, cases)
            print(
                f"{name}: {len(cases)} cases retrieved ({time.perf_counter() - t_start:.0f} s)",
                file=sys.stderr,
            )

        train = parts["train"]
        train_answerable = [c for c in train if c.kind == "answerable"]

        def score(config: ExtractiveConfig) -> float:
            rows = run(app, config, train_answerable)
            return sum(r["contains"] for r in rows) / len(rows)

        config = ExtractiveConfig()
        best = score(config)
        search_log = [{"config": "defaults", "contains": best}]
        for name, values in GRID.items():
            for value in values:
                if getattr(config, name) == value:
                    continue
                trial = replace(config, **{name: value})
                s = score(trial)
                search_log.append({name: value, "contains": round(s, 4)})
                print(f"  {name}={value}: {s:.3f} (best {best:.3f})", file=sys.stderr)
                if s > best + 1e-9:
                    best, config = s, trial

        # Refusal model.
        rows = run(app, config, train)
        usable = [r for r in rows if r["features"] is not None]
        x = matrix(usable)
        y = np.array([r["kind"] == "answerable" for r in usable], dtype=float)
        w = fit_logistic(x, y)
        config.refusal_bias = float(w[0])
        config.refusal_weights = {f: float(v) for f, v in zip(FEATURES, w[1:], strict=True)}
        probs = np.array([config.confidence(r["features"]) for r in usable])
        pos, neg = probs[y == 1], probs[y == 0]
        # The threshold: the highest at which at most `--max-refused` of the answerable
        # training questions are refused (the target puts refusing what the archive answers
        # first); among those, the one with the fewest unanswerable questions answered.
        best_t, best_err = 0.05, 2.0
        for t in np.linspace(0.05, 0.95, 91):
            if float((pos < t).mean()) > args.max_refused:
                continue
            err = float((neg >= t).mean())
            if err < best_err - 1e-9:
                best_t, best_err = float(t), err
        config.min_confidence = round(best_t, 3)

        results = {"train": report(rows, config)}
        results["held_out"] = report(run(app, config, parts["held_out"]), config)

    params = {
        k: v
        for k, v in asdict(config).items()
        if k
        in (
            "max_words",
            "answer_words",
            "w_type",
            "w_rank",
            "w_dense",
            "w_cited",
            "w_new",
            "refusal_bias",
            "refusal_weights",
            "min_confidence",
        )
    }
    out = {
        "produced_by": "bench/fit_answer.py" + (f" --limit {args.limit}" if args.limit else ""),
        "command": ".venv/bin/python bench/fit_answer.py",
        "training_data": "ARCD-train, 70% of its articles (seed 0); held-out: the other 30%",
        "results": results,
        "search": search_log,
        "params": params,
    }
    args.out.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out} in {time.perf_counter() - t_start:.0f} s\n")
    print(
        "| ARCD-train split | questions | gold answer inside the answer | answerable refused "
        "| unanswerable answered (article removed) | outside the archive's dates answered "
        "| median answer words |"
    )
    print("|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(
            f"| {name} | {r['questions']} | {r['gold_inside_answer']:.3f} | {r['answerable_refused']:.3f} "
            f"| {r['unanswerable_answered_removed']:.3f} | {r['unanswerable_answered_outside_dates']:.3f} "
            f"({r['outside_questions']}) | {r['median_answer_words']:.0f} |"
        )


if __name__ == "__main__":
    main()
