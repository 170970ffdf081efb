"""The offline answerer: pick the passage text that answers, mark its tightest span, or refuse."""

from __future__ import annotations

import json
import logging
import math
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np

from index.arabic import normalize, terms
from index.splitter import clauses, sentences
from qa.focus import find_focus
from qa.question import Question
from qa.retriever import Hit

log = logging.getLogger(__name__)

NOT_FOUND_AR = "لا تذكر المصادر المتاحة إجابة عن هذا السؤال."
NOT_FOUND_EN = "The indexed articles do not answer this question."

_WORD = re.compile(r"\S+")
# Question types whose answer is a particular kind of span (see `qa.focus`).
TYPED = frozenset({"who", "when", "how_many", "where", "which", "why"})


@dataclass
class Span:
    """A candidate answer: a span of one hit's text."""

    hit_index: int
    start: int
    end: int
    score: float = 0.0
    lexical: float = 0.0
    dense: float = 0.0
    focus: tuple[int, int] | None = None
    answer: tuple[int, int] | None = None
    lead: tuple[int, int] | None = None


@dataclass
class Extraction:
    """The answerer's decision."""

    found: bool
    spans: list[Span] = field(default_factory=list)
    support: float = 0.0
    dense: float = 0.0
    debug: dict[str, Any] = field(default_factory=dict)


PARAMS_FILE = Path(__file__).with_name("answer_params.json")

# The refusal model's inputs, in order (see `features`).
FEATURES = (
    "weighted",
    "plain",
    "dense",
    "typed",
    "untyped_question",
    "missing_numbers",
    "cited",
    "rank",
)


@dataclass
class ExtractiveConfig:
    """Scoring weights and decision thresholds.

    The defaults are only a fallback: `load_config` reads the values fitted on ARCD-train by
    `bench/fit_answer.py` from `qa/answer_params.json`.
    """

    passages: int = 3
    passages_latin: int = 6
    cited_passages: int = 2
    max_words: int = 25
    min_words: int = 4
    answer_words: int = 25
    w_lexical: float = 1.0
    w_dense: float = 1.0
    w_rank: float = 0.15
    w_type: float = 0.15
    w_cited: float = 0.2
    w_new: float = 0.2
    w_length: float = 0.0
    dense_fallback: float = 0.5
    shortlist: int = 4
    refusal_bias: float = -4.0
    refusal_weights: dict[str, float] = field(
        default_factory=lambda: {
            "weighted": 2.5,
            "plain": 2.5,
            "dense": 4.0,
            "typed": 0.3,
            "untyped_question": 0.0,
            "missing_numbers": -3.0,
            "cited": 0.5,
            "rank": -0.1,
        }
    )
    min_confidence: float = 0.5
    min_dense_latin: float = 0.74

    def confidence(self, feats: dict[str, float]) -> float:
        """The refusal model's probability that the chosen span answers (logistic)."""
        z = self.refusal_bias + sum(
            self.refusal_weights.get(k, 0.0) * float(feats.get(k, 0.0)) for k in FEATURES
        )
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


def load_config(path: Path | None = None, **overrides: Any) -> ExtractiveConfig:
    """The answerer's fitted parameters (from `qa/answer_params.json`), with overrides.

    Args:
        path: A params file (default: the one shipped beside this module).
        **overrides: Fields to set regardless of the file (e.g. `min_confidence`).

    Returns:
        The configuration; the built-in defaults where the file is missing or lacks a field.
    """
    values: dict[str, Any] = {}
    path = path or PARAMS_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        values = data.get("params", data)
    except FileNotFoundError:
        log.warning("answer parameters %s not found; using built-in defaults", path)
    except (OSError, ValueError) as exc:
        log.warning("answer parameters %s unreadable (%s); using built-in defaults", path, exc)
    known = {f.name for f in fields(ExtractiveConfig)}
    values = {k: v for k, v in values.items() if k in known}
    values.update({k: v for k, v in overrides.items() if v is not None})
    return ExtractiveConfig(**values)


def _near(a: str, b: str) -> bool:
    """Whether two stems of length >= 4 differ by at most one edit (stemmer slips)."""
    if abs(len(a) - len(b)) > 1 or min(len(a), len(b)) < 4:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) <= 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def term_credit(term: str, span_terms: set[str]) -> float:
    """How well a question term is matched by a span: 1 exact, 0.8 near (prefix or one edit).

    Args:
        term: A stemmed question term.
        span_terms: The stemmed terms of the span.

    Returns:
        The credit in [0, 1].
    """
    if term in span_terms:
        return 1.0
    if len(term) < 3:
        return 0.0
    for other in span_terms:
        if len(other) >= 3 and (other.startswith(term) or term.startswith(other)):
            return 0.8
        if _near(term, other):
            return 0.8
    return 0.0


class CachedEncoder:
    """Embeds passage pieces, remembering recent ones (the same passages come back often)."""

    def __init__(self, encode: Any, max_items: int = 50_000) -> None:
        """Wrap an encoder.

        Args:
            encode: Function from a list of texts to an array of unit vectors.
            max_items: Pieces remembered (oldest forgotten first).
        """
        self._encode = encode
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._max = max_items
        self._lock = threading.Lock()

    def __call__(self, texts: list[str]) -> np.ndarray:
        """Vectors of `texts`, in order."""
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if missing:
            vectors = self._encode(missing)
            with self._lock:
                for t, v in zip(missing, vectors, strict=True):
                    self._cache[t] = v
                while len(self._cache) > self._max:
                    self._cache.popitem(last=False)
        with self._lock:
            return np.stack([self._cache[t] for t in texts])


class ExtractiveAnswerer:
    """Scores sentences and clause windows of the top passages against the question."""

    def __init__(self, config: ExtractiveConfig | None = None) -> None:
        """Configure.

        Args:
            config: Weights and thresholds.
        """
        self.config = config or ExtractiveConfig()

    def _candidates(
        self, hits: list[Hit], passages: int
    ) -> tuple[list[Span], list[tuple[int, int, int]], list[list[int]]]:
        """Windows of consecutive clauses inside each sentence of the top passages.

        Returns:
            The candidate spans, the clause units `(hit, start, end)`, and for each candidate
            the indexes of the units it covers.
        """
        cands: list[Span] = []
        units: list[tuple[int, int, int]] = []
        members: list[list[int]] = []
        limit = self.config.max_words
        for i, hit in enumerate(hits[:passages]):
            text = hit.text
            for s, e in sentences(text):
                parts = clauses(text, s, e)
                first = len(units)
                units.extend((i, a, b) for a, b in parts)
                lengths = [len(text[a:b].split()) for a, b in parts]
                for a in range(len(parts)):
                    words = 0
                    for b in range(a, len(parts)):
                        words += lengths[b]
                        if words > limit and b > a:
                            break
                        whole = a == 0 and b == len(parts) - 1
                        if words < self.config.min_words and not whole:
                            continue
                        cands.append(Span(i, parts[a][0], parts[b][1]))
                        members.append(list(range(first + a, first + b + 1)))
        return cands, units, members

    def extract(
        self,
        question: Question,
        hits: list[Hit],
        query_vector: np.ndarray | None,
        encode: Any,
        idf: Any,
    ) -> Extraction:
        """Choose the answer span, or decide the passages do not answer.

        Args:
            question: The analysed question.
            hits: Retrieved passages, best first.
            query_vector: The question's unit vector (None: no dense evidence).
            encode: Function embedding a list of passages to unit vectors.
            idf: Function giving a term's weight.

        Returns:
            The decision with the chosen span(s).
        """
        cfg = self.config
        if not hits:
            return Extraction(found=False)
        weights = {t: idf(t) for t in question.terms}
        for t in question.history_terms:
            weights.setdefault(t, 0.4 * idf(t))
        passages = cfg.passages_latin if question.latin else cfg.passages
        cands, units, members = self._candidates(hits, passages)
        if not cands:
            return Extraction(found=False)
        total = sum(weights.values()) or 1.0
        # credit[u, t]: how well unit u matches question term t.
        term_list = list(weights)
        unit_terms = [set(terms(hits[h].text[a:b])) for h, a, b in units]
        credit = np.array(
            [[term_credit(t, ut) for t in term_list] for ut in unit_terms],
            dtype=np.float32,
        ).reshape(len(units), len(term_list))
        w = np.array([weights[t] for t in term_list], dtype=np.float32)
        # Whether each unit holds an answer of the asked kind (a number, date, place, name...).
        # (An English question shares no words with the passage to anchor a span on.)
        typed_question = question.qtype in TYPED and not question.latin
        unit_typed = []
        for h, a, b in units:
            found_focus = find_focus(question, hits[h].text, a, b, idf) if typed_question else None
            unit_typed.append(found_focus is not None and found_focus.typed)
        cited = set(question.cited_docs)
        known = set(question.terms) | set(question.history_terms)
        for cand, idx in zip(cands, members, strict=True):
            cand.lexical = float(credit[idx].max(axis=0) @ w) / total if term_list else 0.0
            # An answer adds something to what was asked (and, in a follow-up, said before).
            span_terms = set().union(*(unit_terms[u] for u in idx))
            novelty = len(span_terms - known) / len(span_terms) if span_terms else 0.0
            cand.score = (
                cfg.w_new * novelty
                + cfg.w_lexical * cand.lexical
                + (0.0 if question.latin else cfg.w_rank / (1 + cand.hit_index))
                + (cfg.w_type if any(unit_typed[u] for u in idx) else 0.0)
                + (cfg.w_cited if hits[cand.hit_index].doc_id in cited else 0.0)
                - cfg.w_length * len(hits[cand.hit_index].text[cand.start : cand.end].split())
            )
        if question.followup and typed_question:
            # A follow-up has few words of its own to go by: it asks for a date, a place, a
            # name... and the windows that hold one are the candidates.
            typed_cands = [
                (c, i) for c, i in zip(cands, members, strict=True) if any(unit_typed[u] for u in i)
            ]
            if typed_cands:
                cands = [c for c, _ in typed_cands]
                members = [i for _, i in typed_cands]
        own_idx = [i for i, t in enumerate(term_list) if t in question.terms]
        own_w = w[own_idx]
        own_best = (
            max(
                (
                    float(credit[idx][:, own_idx].max(axis=0) @ own_w) / float(own_w.sum())
                    for idx in members
                ),
                default=0.0,
            )
            if own_idx and float(own_w.sum()) > 0
            else 0.0
        )
        can_embed = query_vector is not None and encode is not None
        weak = question.latin or own_best < cfg.dense_fallback
        if can_embed and weak:
            # Little word overlap (another language, a paraphrase): rank every window by
            # meaning, approximated by the mean similarity of its clauses.
            unit_sims = encode([hits[h].text[a:b] for h, a, b in units]) @ query_vector
            for cand, idx in zip(cands, members, strict=True):
                cand.dense = float(unit_sims[idx].mean())
                cand.score += cfg.w_dense * cand.dense
        shortlist = sorted(cands, key=lambda c: -c.score)[: cfg.shortlist]
        if can_embed:
            vectors = encode([hits[c.hit_index].text[c.start : c.end] for c in shortlist])
            for cand, v in zip(shortlist, vectors, strict=True):
                new_dense = float(v @ query_vector)
                cand.score += cfg.w_dense * (new_dense - (cand.dense if weak else 0.0))
                cand.dense = new_dense
        best = max(shortlist, key=lambda c: c.score)
        hit = hits[best.hit_index]
        best_idx = members[cands.index(best)]
        # Support: the share of the question's words that the chosen span holds, with its
        # passage's title and section (rarity-weighted, and plain), plus how close in meaning.
        context = set(terms(f"{hit.title} {hit.section}"))
        focus = find_focus(question, hit.text, best.start, best.end, idf)
        bare = (
            question.qtype == "how_many"
            and focus is not None
            and " " not in hit.text[focus.start : focus.end].strip()
        )
        if typed_question and (focus is None or not focus.typed or bare):
            # The words asked about are often in one clause and the answer in the next one
            # («… أقيل الرئيس المدير العام، إلياس الغربي إثر تأخير …»): look one clause on.
            after = self._next_unit(units, best)
            if after is not None:
                nxt = find_focus(question, hit.text, after[0], after[1], idf)
                scaled = nxt is not None and " " in hit.text[nxt.start : nxt.end].strip()
                if nxt is not None and nxt.typed and (not bare or scaled):
                    focus = nxt
                    best.end = after[1]
                    best_idx = [*best_idx, after[2]]
        span_credit = credit[best_idx].max(axis=0)
        # In a follow-up, what the last answer said is known already: it need not be repeated.
        said = set(question.previous_answer_terms) - set(question.terms)
        # A follow-up's topic words (from earlier turns) may be anywhere in the passage; its
        # own words must be near the answer.
        topic = context | set(terms(hit.text)) if question.history_terms else context
        own_terms = set(question.terms)
        scope = [
            (t, max(float(c), term_credit(t, context if t in own_terms else topic)))
            for t, c in zip(term_list, span_credit, strict=True)
            if t not in said
        ]
        scope_total = sum(weights[t] for t, _ in scope)
        weighted = sum(c * weights[t] for t, c in scope) / scope_total if scope_total else 0.0
        plain = sum(1.0 for _, c in scope if c > 0) / len(scope) if scope else 0.0
        typed = focus is not None and focus.typed
        passage = normalize(f"{hit.title} {hit.text}")
        missing = sum(1 for n in question.numbers if n not in passage)
        feats = {
            "weighted": weighted,
            "plain": plain,
            "dense": best.dense,
            "typed": float(typed),
            "untyped_question": float(not typed_question),
            "missing_numbers": float(missing > 0),
            "cited": float(hit.doc_id in cited),
            "rank": float(best.hit_index),
        }
        confidence = cfg.confidence(feats)
        if question.latin:
            found = best.dense >= cfg.min_dense_latin
        else:
            found = confidence >= cfg.min_confidence
        if question.followup and typed and hit.doc_id in cited:
            # A follow-up asks about the article the conversation is about: an answer of the
            # kind asked for, found there, answers it (the refusal model, fitted on single
            # questions, does not see the conversation).
            found = True
        if focus is not None:
            best.focus = (focus.start, focus.end)
            if focus.end <= best.start or focus.start >= best.end:
                # Named earlier in the passage («الوزير» → «أنور معروف»): say it first.
                best.lead = best.focus
        best.answer = self._short_answer(question, hit.text, best)
        return Extraction(
            found=found,
            spans=[best],
            support=weighted,
            dense=best.dense,
            debug={
                "candidates": len(cands),
                "plain_support": plain,
                "confidence": confidence,
                "weak_lexical": weak,
                "typed": typed,
                "features": feats,
            },
        )

    @staticmethod
    def _next_unit(units: list[tuple[int, int, int]], best: Span) -> tuple[int, int, int] | None:
        """The clause right after the chosen window in the same passage (start, end, unit)."""
        following = [
            (a, b, u) for u, (h, a, b) in enumerate(units) if h == best.hit_index and a >= best.end
        ]
        return min(following) if following else None

    def _short_answer(self, question: Question, text: str, best: Span) -> tuple[int, int]:
        """The answer to show: the chosen window, cut to `answer_words` words around its focus.

        Without a focus, the window is cut to the words around the question's words.
        """
        limit = self.config.answer_words
        start, end = best.start, best.end
        if best.focus is not None and best.lead is None:
            start, end = min(start, best.focus[0]), max(end, best.focus[1])
        tokens = [(m.start(), m.end()) for m in _WORD.finditer(text, start, end)]
        if len(tokens) <= limit:
            return (start, end)
        if best.focus is not None and best.lead is None:
            fs, fe = best.focus
            inside = [i for i, (s, e) in enumerate(tokens) if e > fs and s < fe]
            centre = (inside[0] + inside[-1]) // 2 if inside else 0
        else:
            own = set(question.terms) | set(question.history_terms)
            hits = [i for i, (s, e) in enumerate(tokens) if set(terms(text[s:e])) & own]
            centre = (hits[0] + hits[-1]) // 2 if hits else limit // 2
        first = max(0, min(centre - limit // 2, len(tokens) - limit))
        return (tokens[first][0], tokens[first + limit - 1][1])
