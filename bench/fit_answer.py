"""Fit the extractive answerer's weights and refusal model on ARCD-train; write qa/answer_params.json.

Training data: ARCD-train (../shared/eval/arcd-train.*), never the dev sets. Its articles are
split 70/30 with a fixed seed; everything is fitted on the 70 % and reported on both parts.
Three kinds of question are asked over the index of all ARCD passages:

- answerable: the question as written (its passage is in the index);
- unanswerable (article removed): the same question with every passage of its article left out;
- unanswerable (outside the archive's dates): questions naming a year, with the year moved
  40 years later, asked with their article present (the archive does not cover that year).

The window ranker (a linear score over `qa.extractive.RANK_FEATURES`, then the shortlist re-ranked
with closeness in meaning) is fitted on the answerable training questions: for each `max_words`
and `shortlist` in the grid, by listwise softmax regression (a window is positive when the answer
finished from it holds a gold answer), first stage then second; the best of those and the
hand-set defaults is then improved by coordinate search on the measure itself (gold answer inside
the answer), each weight moved by each of `STEPS`, kept when at least one more question is
answered right (`--sweeps` rounds). The refusal model is a logistic regression on the chosen
span's features (answerable = 1, unanswerable = 0), and the threshold is the highest that refuses
at most 5 % of the answerable training questions (`--max-refused`). Each case's retrieval,
windows, clause vectors and finished answers are computed once and reused across the grid;
`--cache FILE` keeps the vectors between runs (a refit then takes under a minute). The train
split's misses are sorted by cause (`train_errors` in the output).

Run: `.venv/bin/python bench/fit_answer.py [--index-dir DIR] [--cache FILE] [--limit N]`
(builds a temporary index of the ARCD passages when `--index-dir` is not given). With
`--refusal-only` the ranker and answer lengths of the shipped parameters are kept (with the log
of their search) and only the refusal model and its threshold are refit, e.g. after retrieval
changed.
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

# Window sizes and shortlist lengths tried (the ranker is refitted for each).
GRID_MAX_WORDS = (25, 30)
GRID_SHORTLIST = (4, 6)
# Longest answers tried for questions without a typed answer (kept only if the median holds).
GRID_UNTYPED_WORDS = (25, 30, 35, 40)
# Steps of the coordinate search on the ranker's weights (after the fits).
STEPS = (-0.4, -0.15, -0.05, 0.05, 0.15, 0.4)


def article_of(passage_id: str) -> str:
    return passage_id.rsplit("/", 1)[0] + "/"


def split_articles(passages: list[dict[str, Any]]) -> tuple[set[str], set[str]]:
    articles = sorted({article_of(p["id"]) for p in passages})
    random.Random(SEED).shuffle(articles)
    cut = round(0.7 * len(articles))
    return set(articles[:cut]), set(articles[cut:])


def open_arcd(index_dir: Path) -> tuple[Any, set[str], Any]:
    """ARCD-train's questions, its training articles and akhbar over an index of its passages.

    Args:
        index_dir: The index of `arcd-train.passages.jsonl`.

    Returns:
        (the eval set, the training split's article prefixes, the warmed-up `Akhbar`).
    """
    from akhbar.app import Akhbar
    from akhbar.settings import Settings
    from qa.evaluate import load_eval_set

    eval_set = load_eval_set(EVAL / "arcd-train.questions.jsonl")
    train_articles, _ = split_articles(eval_set.passages)
    settings = Settings()
    settings.index_dir = index_dir
    app = Akhbar(settings)
    app.searcher.warm_up()
    return eval_set, train_articles, app


def shifted(question: str) -> str | None:
    """The question with its first year moved 40 years on (None if it names no year)."""
    m = YEAR.search(question)
    if not m:
        return None
    year = int(m.group(1)) + 40
    return question[: m.start()] + str(year) + question[m.end() :]


class VectorCache:
    """Question and passage-piece vectors, kept between runs in one file (`--cache`)."""

    def __init__(self, app: Any, path: Path | None) -> None:
        self.app = app
        self.path = path
        self.model = json.dumps(app.searcher.embeddings.describe(), sort_keys=True)
        self.vectors: dict[str, np.ndarray] = {}
        self.added = 0
        if path is not None and path.exists():
            with np.load(path, allow_pickle=False) as data:
                if str(data["model"]) == self.model:
                    keys = json.loads(str(data["keys"]))
                    self.vectors = dict(zip(keys, data["vectors"], strict=True))

    def query(self, text: str) -> np.ndarray:
        key = f"q:{text}"
        if key not in self.vectors:
            self.vectors[key] = self.app.searcher.encode_query(text)
            self.added += 1
        return self.vectors[key]

    def passages(self, texts: list[str]) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if f"p:{t}" not in self.vectors))
        if missing:
            encoded = self.app.searcher.embeddings.encode_passages(missing)
            for t, v in zip(missing, encoded, strict=True):
                self.vectors[f"p:{t}"] = np.asarray(v, dtype=np.float32)
            self.added += len(missing)
        return np.stack([self.vectors[f"p:{t}"] for t in texts])

    def save(self) -> None:
        if self.path is None or not self.added:
            return
        keys = list(self.vectors)
        np.savez(
            self.path,
            model=np.array(self.model),
            keys=np.array(json.dumps(keys, ensure_ascii=False)),
            vectors=np.stack([self.vectors[k] for k in keys]),
        )


class Case:
    """One question in one condition, with its retrieval done once and its windows remembered."""

    def __init__(self, item: Any, text: str, kind: str, exclude: list[str]) -> None:
        self.item = item
        self.text = text
        self.kind = kind  # answerable, removed, outside
        self.exclude = exclude
        self.question: Any = None
        self.hits: list[Any] = []
        self.qvec: Any = None
        self.golds: list[str] = []
        self.windows: dict[int, Any] = {}  # max_words -> qa.extractive.Windows (or None)


def prepare(app: Any, cache: VectorCache, cases: list[Case]) -> None:
    from index.arabic import normalize
    from qa.question import analyse

    searcher = app.searcher
    k = searcher.settings.k
    for case in cases:
        case.question = analyse(case.text)
        case.qvec = cache.query(case.question.retrieval_query)
        case.hits = searcher.search(
            case.question.retrieval_query,
            k=k,
            query_vector=case.qvec,
            exclude_docs=case.exclude,
            lexical_query=case.question.lexical_query,
        )
        case.golds = [g for g in (normalize(a) for a in case.item.answers) if g]


def windows_of(cache: VectorCache, answerer: Any, case: Case) -> Any:
    """The case's candidate windows at the answerer's `max_words` (built once)."""
    size = answerer.config.max_words
    if size not in case.windows:
        case.windows[size] = answerer.windows(
            case.question,
            case.hits,
            case.qvec,
            cache.passages,
            cache.app.searcher.snapshot().lexical.idf,
        )
    return case.windows[size]


def answer_text(windows: Any, span: Any) -> str:
    """What the answer says for a finished span (the lead name first, as the chain shows it)."""
    text = windows.hits[span.hit_index].text
    a, b = span.answer or (span.start, span.end)
    body = text[a:b]
    if span.lead is not None:
        body = f"{text[span.lead[0] : span.lead[1]]} — {body}"
    return body


def window_labels(case: Case, windows: Any, answerer: Any = None) -> np.ndarray:
    """Whether each window holds a gold answer (with an answerer: whether the answer finished
    from that window does)."""
    from index.arabic import normalize

    out = []
    for i, c in enumerate(windows.cands):
        if answerer is not None:
            text = normalize(answer_text(windows, answerer.finish(windows, i)[0]))
        else:
            text = normalize(windows.hits[c.hit_index].text[c.start : c.end])
        out.append(any(g in text for g in case.golds))
    return np.array(out, dtype=bool)


def forget_answers(cases: list[Case]) -> None:
    """Drop the finished answers remembered in the cases' windows (after the answer length
    changes; the ranker's weights do not change them)."""
    for case in cases:
        for windows in case.windows.values():
            if windows is not None:
                windows.finished.clear()


def shortlist_of(answerer: Any, windows: Any) -> list[int]:
    """The windows the ranker's second stage looks at (as `ExtractiveAnswerer.choose` does)."""
    s1 = answerer.scores(windows)
    eligible = np.flatnonzero(windows.eligible)
    order = eligible[np.argsort(-s1[eligible], kind="stable")]
    return [int(i) for i in order[: answerer.config.shortlist]]


def prefetch(cache: VectorCache, answerer: Any, cases: list[Case]) -> None:
    """Embed every case's shortlisted windows in one batched call (not a few per case)."""
    texts = []
    for case in cases:
        windows = windows_of(cache, answerer, case)
        if windows is None or not windows.can_embed:
            continue
        for i in shortlist_of(answerer, windows):
            c = windows.cands[i]
            texts.append(windows.hits[c.hit_index].text[c.start : c.end])
    if texts:
        cache.passages(texts)


def run(cache: VectorCache, config: Any, cases: list[Case]) -> list[dict[str, Any]]:
    from qa.evaluate import contains
    from qa.extractive import ExtractiveAnswerer

    answerer = ExtractiveAnswerer(config)
    prefetch(cache, answerer, cases)
    out = []
    for case in cases:
        windows = windows_of(cache, answerer, case)
        text = ""
        features = None
        chosen = None
        if windows is not None:
            result = answerer.choose(windows)
            features = result.debug.get("features")
            chosen = result.debug.get("window")
            text = answer_text(windows, result.spans[0])
        out.append(
            {
                "case": case,
                "kind": case.kind,
                "features": features,
                "window": chosen,
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


def fit_listwise(
    groups: list[tuple[np.ndarray, np.ndarray]], l2: float = 1e-3, steps: int = 400
) -> tuple[float, np.ndarray]:
    """Listwise softmax regression: per group, the share of probability on its positive rows.

    Args:
        groups: (features, labels) of each question's windows; a group needs a positive and a
            negative row to count.
        l2: Ridge penalty on the standardised weights.
        steps: Gradient steps (Adam).

    Returns:
        (bias, weights) in the features' own scale; the bias centres the scores at 0.
    """
    groups = [(x, y) for x, y in groups if y.any() and not y.all()]
    x = np.vstack([g[0] for g in groups])
    y = np.concatenate([g[1] for g in groups]).astype(bool)
    starts = np.cumsum([0] + [len(g[1]) for g in groups[:-1]])
    seg = np.repeat(np.arange(len(groups)), [len(g[1]) for g in groups])
    mu, sd = x.mean(axis=0), x.std(axis=0)
    sd[sd < 1e-9] = 1.0
    z = (x - mu) / sd
    w = np.zeros(z.shape[1])
    m, v = np.zeros_like(w), np.zeros_like(w)
    for t in range(1, steps + 1):
        s = z @ w
        s = s - np.maximum.reduceat(s, starts)[seg]
        e = np.exp(s)
        p_all = e / np.add.reduceat(e, starts)[seg]
        ep = np.where(y, e, 0.0)
        p_pos = ep / np.add.reduceat(ep, starts)[seg]
        grad = z.T @ (p_all - p_pos) / len(groups) + l2 * w
        m = 0.9 * m + 0.1 * grad
        v = 0.999 * v + 0.001 * grad**2
        w -= 0.05 * (m / (1 - 0.9**t)) / (np.sqrt(v / (1 - 0.999**t)) + 1e-8)
    weights = w / sd
    return float(-(weights @ mu)), weights


def fit_ranker(cache: VectorCache, config: Any, cases: list[Case]) -> Any:
    """The window ranker's two stages, fitted on the answerable cases at `config`'s sizes."""
    from qa.extractive import RANK_FEATURES, ExtractiveAnswerer

    answerer = ExtractiveAnswerer(config)
    groups = []
    labelled = []
    for case in cases:
        windows = windows_of(cache, answerer, case)
        if windows is None:
            continue
        labels = window_labels(case, windows, answerer)
        keep = windows.eligible
        groups.append((windows.features[keep], labels[keep]))
        labelled.append((windows, labels))
    bias, weights = fit_listwise(groups)
    config = replace(
        config,
        rank_bias=bias,
        rank_weights={f: float(v) for f, v in zip(RANK_FEATURES, weights, strict=True)},
        rerank_bias=0.0,
        rerank_weights={"stage1": 1.0, "dense": 0.0},
    )
    answerer = ExtractiveAnswerer(config)
    prefetch(cache, answerer, cases)
    second = []
    for windows, labels in labelled:
        s1 = answerer.scores(windows)
        short = shortlist_of(answerer, windows)
        dense = windows.dense(short)
        second.append((np.column_stack([s1[short], dense]), labels[short]))
    bias2, weights2 = fit_listwise(second)
    return replace(
        config,
        rerank_bias=bias2,
        rerank_weights={"stage1": float(weights2[0]), "dense": float(weights2[1])},
    )


def nudged(config: Any, name: str, step: float) -> Any:
    """The config with one ranker weight moved by `step` (relative for the second stage)."""
    from qa.extractive import RERANK_FEATURES

    if name in RERANK_FEATURES:
        weights = dict(config.rerank_weights)
        weights[name] = weights.get(name, 0.0) * (1 + step) + (step if name == "dense" else 0.0)
        return replace(config, rerank_weights=weights)
    weights = dict(config.rank_weights)
    weights[name] = weights.get(name, 0.0) + step
    return replace(config, rank_weights=weights)


def matrix(rows: list[dict[str, Any]]) -> np.ndarray:
    from qa.extractive import FEATURES

    return np.array(
        [[float((r["features"] or {}).get(f, 0.0)) for f in FEATURES] for r in rows], dtype=float
    )


def found(r: dict[str, Any], config: Any) -> bool:
    return r["features"] is not None and config.confidence(r["features"]) >= config.min_confidence


def report(rows: list[dict[str, Any]], config: Any) -> dict[str, float]:
    answerable = [r for r in rows if r["kind"] == "answerable"]
    removed = [r for r in rows if r["kind"] == "removed"]
    outside = [r for r in rows if r["kind"] == "outside"]
    words = [r["words"] for r in answerable if found(r, config)]
    return {
        "questions": len(answerable),
        "gold_inside_answer": sum(found(r, config) and r["contains"] for r in answerable)
        / len(answerable),
        "gold_inside_if_answered": sum(r["contains"] for r in answerable) / len(answerable),
        "answerable_refused": sum(not found(r, config) for r in answerable) / len(answerable),
        # Answered, but the answer does not hold a gold answer.
        "answerable_answered_wrong": sum(found(r, config) and not r["contains"] for r in answerable)
        / len(answerable),
        "unanswerable_answered_removed": sum(found(r, config) for r in removed)
        / max(len(removed), 1),
        # Of those, the ones answered with a gold answer from another article (ARCD's articles
        # overlap: the archive does answer them).
        "removed_answered_gold_elsewhere": sum(found(r, config) and r["contains"] for r in removed)
        / max(len(removed), 1),
        "unanswerable_answered_outside_dates": sum(found(r, config) for r in outside)
        / max(len(outside), 1),
        "outside_questions": len(outside),
        "median_answer_words": float(np.median(words)) if words else 0.0,
    }


def diagnose(rows: list[dict[str, Any]], config: Any) -> dict[str, int]:
    """Why the gold answer is not inside the answer, for each answerable question that misses."""
    causes: dict[str, int] = {}
    for r in rows:
        if r["kind"] != "answerable" or (r["contains"] and found(r, config)):
            continue
        case: Case = r["case"]
        windows = case.windows.get(config.max_words)
        if r["contains"]:
            cause = "refused"
        elif windows is None:
            cause = "no passage"
        else:
            labels = window_labels(case, windows)
            in_text = [
                i
                for i, h in enumerate(case.hits[: config.passages])
                if any(g in normalize_text(h.text) for g in case.golds)
            ]
            chosen = r["window"]
            hit = windows.cands[chosen].hit_index if chosen is not None else -1
            if not in_text:
                longest = max(len(g.split()) for g in case.golds) if case.golds else 0
                in_any = any(
                    any(g in normalize_text(h.text) for g in case.golds) for h in case.hits
                )
                cause = (
                    "gold in a lower-ranked passage"
                    if in_any
                    else "gold longer than a window"
                    if longest > config.max_words
                    else "gold passage not retrieved (or gold split across chunks)"
                )
            elif hit not in in_text:
                cause = "wrong passage chosen"
            elif not labels.any():
                cause = "gold crosses a sentence or window boundary"
            elif labels[chosen]:
                cause = "right window, cut when shortened"
            else:
                cause = "right passage, wrong window"
        causes[cause] = causes.get(cause, 0) + 1
    return dict(sorted(causes.items(), key=lambda kv: -kv[1]))


def normalize_text(text: str) -> str:
    from index.arabic import normalize

    return normalize(text)


def search_ranker(
    args: argparse.Namespace,
    cache: VectorCache,
    score: Any,
    train_answerable: list[Case],
) -> tuple[Any, list[dict[str, Any]]]:
    """The window ranker and answer lengths, fitted on the answerable training questions.

    Listwise fits over the grid of window sizes and shortlists, then coordinate search on the
    measure itself from the best of those and the hand-set defaults, then the answer length of
    untyped answers. Returns the configuration and the log of the search.
    """
    from qa.extractive import RANK_FEATURES, RERANK_FEATURES, ExtractiveConfig

    t_start = time.perf_counter()
    defaults = ExtractiveConfig(answer_words=args.answer_words)
    search_log: list[dict[str, Any]] = [
        {"config": "hand-set defaults", "contains": round(score(defaults), 4)}
    ]
    config, best = defaults, search_log[0]["contains"]
    for max_words in GRID_MAX_WORDS:
        for shortlist in GRID_SHORTLIST:
            trial = fit_ranker(
                cache,
                replace(defaults, max_words=max_words, shortlist=shortlist),
                train_answerable,
            )
            s = score(trial)
            search_log.append(
                {"max_words": max_words, "shortlist": shortlist, "contains": round(s, 4)}
            )
            print(
                f"  max_words={max_words} shortlist={shortlist}: {s:.3f} "
                f"({time.perf_counter() - t_start:.0f} s)",
                file=sys.stderr,
            )
            if s > best + 1e-9:
                best, config = s, trial

    # Then coordinate search on the measure itself, from the best so far: each ranker weight
    # is moved by each step, kept when at least one more question gets its answer.
    for sweep in range(args.sweeps):
        for name in RANK_FEATURES + RERANK_FEATURES:
            for step in STEPS:
                trial = nudged(config, name, step)
                s = score(trial)
                if s > best + 0.5 / len(train_answerable):
                    best, config = s, trial
                    search_log.append({"sweep": sweep, name: step, "contains": round(s, 4)})
                    print(f"  {name} {step:+}: {s:.3f}", file=sys.stderr)

    # How long an answer without a typed span («ما هو/كيف…») may run on: the longest
    # that holds more gold answers while the median answer stays within `--answer-words`.
    for words in GRID_UNTYPED_WORDS:
        if words < config.answer_words:
            continue
        trial = replace(config, answer_words_untyped=words)
        forget_answers(train_answerable)
        rows = run(cache, trial, train_answerable)
        s = sum(r["contains"] for r in rows) / len(rows)
        median = float(np.median([r["words"] for r in rows if r["words"]]))
        search_log.append(
            {"answer_words_untyped": words, "contains": round(s, 4), "median": median}
        )
        print(
            f"  answer_words_untyped={words}: {s:.3f}, median {median:.0f} words",
            file=sys.stderr,
        )
        if s > best + 0.5 / len(train_answerable) and median <= args.answer_words:
            best, config = s, trial

    forget_answers(train_answerable)
    return config, search_log


def shipped_search(path: Path) -> Any:
    """The ranker's search log of a parameters file (its `ranker_search`, else its `search`)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = json.loads(PARAMS.read_text(encoding="utf-8"))
    return data.get("ranker_search", data.get("search"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--index-dir", type=Path, default=None, help="An index of the ARCD passages."
    )
    parser.add_argument("--limit", type=int, default=None, help="Use only N training questions.")
    parser.add_argument("--out", type=Path, default=PARAMS, help="Where to write the parameters.")
    parser.add_argument(
        "--cache",
        type=Path,
        default=None,
        help="A file keeping question and passage vectors between runs (.npz).",
    )
    parser.add_argument(
        "--max-refused",
        type=float,
        default=0.05,
        help="Largest share of answerable training questions the threshold may refuse.",
    )
    parser.add_argument(
        "--answer-words", type=int, default=25, help="Longest answer shown, in words."
    )
    parser.add_argument(
        "--sweeps", type=int, default=2, help="Rounds of coordinate search after the ranker fits."
    )
    parser.add_argument(
        "--refusal-only",
        action="store_true",
        help="Keep the ranker and answer lengths of the shipped parameters; refit only the "
        "refusal model and its threshold.",
    )
    parser.add_argument(
        "--refusal-label",
        choices=("question", "answer"),
        default="question",
        help="What the refusal model learns to tell apart: 'answer' = the answer given holds a "
        "gold answer (whichever article it comes from), 'question' = the question's article is "
        "in the index.",
    )
    args = parser.parse_args()

    from akhbar.app import Akhbar
    from akhbar.settings import Settings
    from qa.evaluate import load_eval_set
    from qa.extractive import FEATURES, ExtractiveConfig, load_config

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
        cache = VectorCache(app, args.cache)
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
            prepare(app, cache, cases)
            print(
                f"{name}: {len(cases)} cases retrieved ({time.perf_counter() - t_start:.0f} s)",
                file=sys.stderr,
            )

        train = parts["train"]
        train_answerable = [c for c in train if c.kind == "answerable"]

        def score(config: ExtractiveConfig) -> float:
            rows = run(cache, config, train_answerable)
            return sum(r["contains"] for r in rows) / len(rows)

        if args.refusal_only:
            config = load_config()
            search_log: list[dict[str, Any]] = [
                {
                    "config": "shipped ranker, refusal refit only",
                    "contains": round(score(config), 4),
                }
            ]
        else:
            config, search_log = search_ranker(args, cache, score, train_answerable)
        forget_answers(train_answerable)

        # Refusal model.
        rows = run(cache, config, train)
        usable = [r for r in rows if r["features"] is not None]
        x = matrix(usable)
        if args.refusal_label == "answer":
            # Whether the answer given holds a gold answer: a wrong answer to an answerable
            # question is something to refuse, and a question whose article is removed but
            # which another article answers is not. The year-moved questions stay negative.
            y = np.array([r["kind"] != "outside" and r["contains"] for r in usable], dtype=float)
        else:
            y = np.array([r["kind"] == "answerable" for r in usable], dtype=float)
        w = fit_logistic(x, y)
        config.refusal_bias = float(w[0])
        config.refusal_weights = {f: float(v) for f, v in zip(FEATURES, w[1:], strict=True)}
        probs = np.array([config.confidence(r["features"]) for r in usable])
        asked = np.array([r["kind"] == "answerable" for r in usable])
        n_asked = sum(r["kind"] == "answerable" for r in rows)
        # The threshold: the highest at which at most `--max-refused` of the answerable
        # training questions (whatever the label; a question with no window at all is refused
        # anyway) are refused, the target putting refusing what the archive answers first;
        # among those, the one that answers the fewest of the negatives.
        best_t, best_err = 0.05, 2.0
        for t in np.linspace(0.05, 0.95, 91):
            refused = int((probs[asked] < t).sum()) + n_asked - int(asked.sum())
            if refused / n_asked > args.max_refused:
                continue
            err = float((probs[y == 0] >= t).mean())
            if err < best_err - 1e-9:
                best_t, best_err = float(t), err
        config.min_confidence = round(best_t, 3)

        results = {"train": report(rows, config)}
        results["held_out"] = report(run(cache, config, parts["held_out"]), config)
        errors = diagnose(rows, config)
        cache.save()

    params = {
        k: v
        for k, v in asdict(config).items()
        if k
        in (
            "max_words",
            "answer_words",
            "answer_words_untyped",
            "shortlist",
            "rank_bias",
            "rank_weights",
            "rerank_bias",
            "rerank_weights",
            "w_cited",
            "refusal_bias",
            "refusal_weights",
            "min_confidence",
        )
    }
    seconds = time.perf_counter() - t_start
    out = {
        "produced_by": "bench/fit_answer.py" + (f" --limit {args.limit}" if args.limit else ""),
        "command": ".venv/bin/python bench/fit_answer.py --index-dir ARCD_INDEX --cache FILE"
        + (" --refusal-only" if args.refusal_only else "")
        + f" --refusal-label {args.refusal_label}",
        "training_data": "ARCD-train, 70% of its articles (seed 0); held-out: the other 30%",
        "seconds": round(seconds),
        "results": results,
        "train_errors": errors,
        "search": search_log,
        # A refusal-only refit keeps the ranker, and with it the record of how it was fitted.
        **({"ranker_search": shipped_search(args.out)} if args.refusal_only else {}),
        "params": params,
    }
    args.out.write_text(json.dumps(out, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {args.out} in {seconds:.0f} s\n")
    print(f"train misses by cause: {errors}\n")
    print(
        "| ARCD-train split | questions | gold answer inside the answer | answerable refused "
        "| answerable answered wrong | unanswerable answered (article removed) "
        "| of which with a gold answer from another article "
        "| outside the archive's dates answered | median answer words |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        print(
            f"| {name} | {r['questions']} | {r['gold_inside_answer']:.3f} "
            f"| {r['answerable_refused']:.3f} | {r['answerable_answered_wrong']:.3f} "
            f"| {r['unanswerable_answered_removed']:.3f} "
            f"| {r['removed_answered_gold_elsewhere']:.3f} "
            f"| {r['unanswerable_answered_outside_dates']:.3f} ({r['outside_questions']}) "
            f"| {r['median_answer_words']:.0f} |"
        )


if __name__ == "__main__":
    main()
