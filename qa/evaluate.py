"""Evaluation: load question sets (seeds JSONL, SQuAD JSON or JSONL pairs) and compute metrics."""

from __future__ import annotations

import json
import logging
import math
import re
import string
import time
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.arabic import normalize
from qa.protocols import QuestionAnswering

log = logging.getLogger(__name__)


@dataclass
class EvalItem:
    """One question with its gold data."""

    id: str
    question: str
    history: list[Any] = field(default_factory=list)
    doc: str | None = None
    answers: list[str] = field(default_factory=list)
    must: list[list[str]] = field(default_factory=list)
    answerable: bool = True
    kind: str = "factoid"


@dataclass
class EvalSet:
    """Questions plus, for SQuAD-style sets, the passages to index."""

    name: str
    items: list[EvalItem]
    passages_file: Path | None = None
    passages: list[dict[str, Any]] = field(default_factory=list)


def load_eval_set(path: Path) -> EvalSet:
    """Read a question set.

    Accepts the seeds format (`question`, `history`, `doc`, `must`, `answerable`, `kind`), SQuAD
    v1.1 JSON (`data[].paragraphs[].qas[]`), or a `*.questions.jsonl` file whose passages are in
    the sibling `*.passages.jsonl`.

    Args:
        path: The file.

    Returns:
        The set.

    Raises:
        ValueError: The file is in none of these formats.
    """
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return _load_squad(path, json.loads(text))
    rows = [json.loads(line) for line in text.splitlines() if line.strip()]
    if rows and "passage_id" in rows[0]:
        passages_file = path.with_name(path.name.replace(".questions.", ".passages."))
        items = [
            EvalItem(
                id=str(r["id"]),
                question=r["question"],
                doc=r["passage_id"],
                answers=list(r.get("answers", [])),
            )
            for r in rows
        ]
        passages = [
            json.loads(line)
            for line in passages_file.read_text(encoding="utf-8").splitlines()
            if line.strip()
        ]
        return EvalSet(path.stem, items, passages_file, passages)
    if rows and "question" in rows[0]:
        items = [
            EvalItem(
                id=str(r.get("id", i)),
                question=r["question"],
                history=r.get("history") or [],
                doc=r.get("doc"),
                must=r.get("must") or [],
                answers=r.get("answers") or [],
                answerable=bool(r.get("answerable", True)),
                kind=r.get("kind", "factoid"),
            )
            for i, r in enumerate(rows)
        ]
        return EvalSet(path.stem, items)
    raise ValueError(f"{path}: not a seeds, SQuAD or questions/passages JSONL file")


def _load_squad(path: Path, data: dict[str, Any]) -> EvalSet:
    items: list[EvalItem] = []
    passages: list[dict[str, Any]] = []
    for a, article in enumerate(data.get("data", [])):
        for p, para in enumerate(article.get("paragraphs", [])):
            pid = f"{path.stem}/{a}/{p}"
            passages.append({"id": pid, "title": article.get("title", ""), "text": para["context"]})
            for qa in para.get("qas", []):
                items.append(
                    EvalItem(
                        id=str(qa["id"]),
                        question=qa["question"],
                        doc=pid,
                        answers=[x["text"] for x in qa.get("answers", [])],
                        answerable=not qa.get("is_impossible", False),
                    )
                )
    if not items:
        raise ValueError(f"{path}: no SQuAD questions found")
    return EvalSet(path.stem, items, None, passages)


# --- metrics -------------------------------------------------------------------------------

_PUNCT = set(string.punctuation) | set("،؛؟«»…“”’‘")


def _squad_norm(text: str) -> str:
    text = normalize(text)
    text = "".join(ch for ch in text if ch not in _PUNCT)
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def exact_match(prediction: str, golds: Sequence[str]) -> float:
    """SQuAD exact match after Arabic normalisation (1.0 or 0.0)."""
    p = _squad_norm(prediction)
    return float(any(p == _squad_norm(g) for g in golds))


def f1(prediction: str, golds: Sequence[str]) -> float:
    """SQuAD token F1 after Arabic normalisation, best over the gold answers."""
    p_tokens = _squad_norm(prediction).split()
    best = 0.0
    for gold in golds:
        g_tokens = _squad_norm(gold).split()
        common = Counter(p_tokens) & Counter(g_tokens)
        same = sum(common.values())
        if not same:
            continue
        precision, recall = same / len(p_tokens), same / len(g_tokens)
        best = max(best, 2 * precision * recall / (precision + recall))
    return best


def contains(prediction: str, golds: Sequence[str]) -> float:
    """1.0 if a gold answer appears inside the prediction (normalised, white space folded)."""
    p = normalize(prediction)
    return float(any(normalize(g) and normalize(g) in p for g in golds))


def must_match(prediction: str, must: Sequence[Sequence[str]]) -> float:
    """1.0 if the prediction holds one alternative of every `must` group (normalised)."""
    p = normalize(prediction)
    return float(all(any(normalize(alt) in p for alt in group) for group in must))


def highlight(answer: Any) -> str:
    """The span an answer marks in its first cited passage ("" when it marks none)."""
    for c in answer.citations:
        if c.answer_start is not None and c.answer_end is not None:
            return str(c.text[c.answer_start : c.answer_end])
    return ""


def recall_at(ranked: Sequence[str], gold: str, k: int) -> float:
    """1.0 if `gold` is among the first k (deduplicated) documents."""
    return float(gold in list(dict.fromkeys(ranked))[:k])


def mrr_at(ranked: Sequence[str], gold: str, k: int = 10) -> float:
    """Reciprocal rank of `gold` among the first k (deduplicated) documents."""
    docs = list(dict.fromkeys(ranked))[:k]
    return 1.0 / (docs.index(gold) + 1) if gold in docs else 0.0


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Row:
    """Per-question results."""

    id: str
    kind: str
    retrieved: list[str]
    gold_doc: str | None
    answer: str
    found: bool
    answerable: bool
    cited_docs: list[str]
    seconds: float
    scores: dict[str, float] = field(default_factory=dict)


def score_row(item: EvalItem, row: Row) -> None:
    """Fill `row.scores` with every metric that applies to the item."""
    s = row.scores
    if item.doc is not None:
        for k in (1, 5, 10):
            s[f"recall@{k}"] = recall_at(row.retrieved, item.doc, k)
        s["mrr@10"] = mrr_at(row.retrieved, item.doc)
        if row.found:
            s["citation_accuracy"] = float(item.doc in row.cited_docs)
    if item.answerable and item.answers:
        s["contains"] = contains(row.answer, item.answers) if row.found else 0.0
        s["exact_match"] = exact_match(row.answer, item.answers) if row.found else 0.0
        s["f1"] = f1(row.answer, item.answers) if row.found else 0.0
    if item.must:
        s["must"] = must_match(row.answer, item.must) if row.found else 0.0
    s["found_correct"] = float(row.found == item.answerable)
    # One pass/fail a user would give: refused when it should be, else answered with the facts
    # asked for (the `must` groups, or a gold answer inside) from the right article if known.
    if not item.answerable:
        s["correct"] = float(not row.found)
    elif not row.found:
        s["correct"] = 0.0
    else:
        ok = s.get("must", s.get("contains", 1.0)) == 1.0
        s["correct"] = float(ok and (item.doc is None or item.doc in row.cited_docs))


def summarise(rows: Sequence[Row]) -> dict[str, Any]:
    """Averages of every metric, refusal precision/recall, latency, and a breakdown by kind."""

    def mean_scores(subset: Sequence[Row]) -> dict[str, float]:
        keys = sorted({k for r in subset for k in r.scores})
        out = {}
        for key in keys:
            vals = [r.scores[key] for r in subset if key in r.scores]
            out[key] = sum(vals) / len(vals)
        return out

    summary: dict[str, Any] = {"questions": len(rows), **mean_scores(rows)}
    refused = [r for r in rows if not r.found]
    unanswerable = [r for r in rows if not r.answerable]
    summary["refused"] = len(refused)
    summary["refused_answerable"] = sum(1 for r in refused if r.answerable)
    summary["answered_unanswerable"] = sum(1 for r in unanswerable if r.found)
    if refused:
        summary["refusal_precision"] = sum(1 for r in refused if not r.answerable) / len(refused)
    if unanswerable:
        summary["refusal_recall"] = sum(1 for r in unanswerable if not r.found) / len(unanswerable)
    summary.update(_timing(rows))
    kinds = sorted({r.kind for r in rows})
    if len(kinds) > 1:
        summary["by_kind"] = {
            k: {
                "questions": len(subset),
                **mean_scores(subset),
                **_timing(subset),
            }
            for k in kinds
            for subset in [[r for r in rows if r.kind == k]]
        }
    return summary


def _timing(rows: Sequence[Row]) -> dict[str, float]:
    times = [r.seconds for r in rows]
    return {
        "latency_mean_ms": 1000 * sum(times) / max(len(times), 1),
        "latency_p50_ms": 1000 * percentile(times, 50),
        "latency_p95_ms": 1000 * percentile(times, 95),
    }


def run_eval(
    items: Iterable[EvalItem],
    answer: Callable[[EvalItem], tuple[list[str], str, bool, list[str]]],
    progress: bool = False,
) -> list[Row]:
    """Ask every question and score it.

    Args:
        items: Questions.
        answer: Returns (retrieved doc ids in rank order, answer text, found, cited doc ids).
        progress: Show a progress bar.

    Returns:
        Scored rows.
    """
    from tqdm import tqdm

    items = list(items)
    rows = []
    for item in tqdm(items, disable=not progress, unit="q", desc="eval"):
        t0 = time.perf_counter()
        retrieved, text, found, cited = answer(item)
        row = Row(
            id=item.id,
            kind=item.kind,
            retrieved=retrieved,
            gold_doc=item.doc,
            answer=text,
            found=found,
            answerable=item.answerable,
            cited_docs=cited,
            seconds=time.perf_counter() - t0,
        )
        score_row(item, row)
        rows.append(row)
    return rows


def evaluate(
    app: QuestionAnswering,
    eval_set: EvalSet,
    *,
    limit: int | None = None,
    seed: int = 0,
    progress: bool = False,
    k: int = 10,
    replay_history: bool = True,
) -> tuple[dict[str, Any], list[Row]]:
    """Ask a set's questions through the application and score retrieval and answers.

    Retrieval is scored for hybrid, dense and lexical search on the same questions
    (`recall@k` is hybrid's; `dense_recall@k` and `lexical_recall@k` the others').

    Args:
        app: The application (an `akhbar.app.Akhbar`) whose index holds the set's documents.
        eval_set: The questions.
        limit: Ask only this many, drawn at random with `seed`.
        seed: Random seed for `limit`.
        progress: Show a progress bar.
        k: Retrieval depth scored.
        replay_history: For multi-turn items whose history carries no citations, ask the
            earlier questions first and carry their citations into the history (as the chat
            page and `ask --batch` do); the time is the last question's alone.

    Returns:
        The summary and the per-question rows.
    """
    import random

    from qa.question import Turn, analyse, parse_history

    items = list(eval_set.items)
    if limit is not None and limit < len(items):
        items = random.Random(seed).sample(items, limit)
    searcher = app.searcher
    searcher.warm_up()
    extra: dict[str, dict[str, float]] = {}
    ask_seconds: dict[str, float] = {}

    def conversation(item: EvalItem) -> list[Turn]:
        turns = parse_history(item.history)
        if not replay_history or any(t.docs for t in turns):
            return turns
        replayed: list[Turn] = []
        for turn in turns:
            earlier = app.ask(turn.question, replayed)
            cited = tuple(c.doc_id for c in earlier.citations)
            replayed.append(Turn(turn.question, turn.answer, cited))
        return replayed

    def answer(item: EvalItem) -> tuple[list[str], str, bool, list[str]]:
        history = conversation(item)
        question = analyse(item.question.strip(), history)
        qvec = searcher.encode_query(question.retrieval_query)
        ranked = {
            mode: [
                h.doc_id
                for h in searcher.search(
                    question.retrieval_query,
                    k=k,
                    mode=mode,
                    query_vector=qvec,
                    lexical_query=question.lexical_query,
                )
            ]
            for mode in ("hybrid", "dense", "lexical")
        }
        t0 = time.perf_counter()
        result = app.ask(item.question.strip(), history)
        ask_seconds[item.id] = time.perf_counter() - t0
        scores = extra.setdefault(item.id, {})
        if item.doc is not None:
            scores.update(
                {
                    f"{mode}_recall@{n}": recall_at(ranked[mode], item.doc, n)
                    for mode in ("dense", "lexical")
                    for n in (1, 5, 10)
                }
            )
        if item.answerable and item.answers:
            # What the page highlights in the cited passage, against the gold answer.
            marked = highlight(result) if result.found else ""
            scores["highlight_contains"] = contains(marked, item.answers) if marked else 0.0
            scores["highlight_f1"] = f1(marked, item.answers) if marked else 0.0
        return ranked["hybrid"], result.answer, result.found, [c.doc_id for c in result.citations]

    rows = run_eval(items, answer, progress=progress)
    for row in rows:
        row.scores.update(extra.get(row.id, {}))
        # Latency is the answer's alone, not the extra searches scored above.
        row.seconds = ask_seconds.get(row.id, row.seconds)
    return summarise(rows), rows
