"""The offline answerer: pick the passage text that answers, mark its tightest span, or refuse."""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from index.arabic import terms
from index.splitter import clauses, sentences
from qa.places import find_place
from qa.question import Question
from qa.retriever import Hit

log = logging.getLogger(__name__)

NOT_FOUND_AR = "لا تذكر المصادر المتاحة إجابة عن هذا السؤال."
NOT_FOUND_EN = "The indexed articles do not answer this question."

_DIGITS = "0-9\u0660-\u0669\u06f0-\u06f9"
_NUMBER = re.compile(rf"[{_DIGITS}]+(?:[.,٫٬/][{_DIGITS}]+)*")
_MONTHS = (
    "يناير|فبراير|مارس|أبريل|ابريل|إبريل|مايو|يونيو|يوليو|أغسطس|اغسطس|سبتمبر|أكتوبر|اكتوبر|نوفمبر|ديسمبر|"
    "كانون الثاني|شباط|آذار|اذار|نيسان|أيار|ايار|حزيران|تموز|آب|أيلول|ايلول|تشرين الأول|تشرين الثاني|"
    "كانون الأول|January|February|March|April|May|June|July|August|September|October|November|December"
)
_WEEKDAYS = "السبت|الأحد|الاحد|الإثنين|الاثنين|الثلاثاء|الأربعاء|الاربعاء|الخميس|الجمعة"
_DATE = re.compile(
    rf"(?:[{_DIGITS}]{{1,2}}\s+)?(?:{_MONTHS})(?:\s*/\s*(?:{_MONTHS}))?(?:\s+(?:عام\s+)?[{_DIGITS}]{{4}})?"
    rf"|[{_DIGITS}]{{1,2}}/[{_DIGITS}]{{1,2}}/[{_DIGITS}]{{2,4}}"
    rf"|(?:عام|سنة|سنه)\s+[{_DIGITS}]{{3,4}}"
    rf"|\b(?:1[0-9]{{3}}|20[0-9]{{2}})\b"
    rf"|(?:{_WEEKDAYS})",
    re.IGNORECASE,
)
_WORD = re.compile(r"\S+")


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


@dataclass
class Extraction:
    """The answerer's decision."""

    found: bool
    spans: list[Span] = field(default_factory=list)
    support: float = 0.0
    dense: float = 0.0
    debug: dict[str, Any] = field(default_factory=dict)


@dataclass
class ExtractiveConfig:
    """Scoring weights and decision thresholds (chosen by measurement: see bench/tune_answer.py)."""

    passages: int = 3
    passages_latin: int = 6
    max_words: int = 60
    min_words: int = 4
    w_lexical: float = 1.0
    w_dense: float = 1.0
    w_rank: float = 0.15
    w_type: float = 0.15
    w_length: float = 0.0
    dense_fallback: float = 0.5
    shortlist: int = 4
    w_repeat: float = 1.0
    max_repeat: float = 0.6
    a_weighted: float = 0.5
    c_dense: float = 2.0
    dense_center: float = 0.8
    c_type: float = 0.15
    min_confidence: float = 0.6
    min_dense_latin: float = 0.74


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


def _type_match(qtype: str, text: str) -> tuple[int, int] | None:
    """Where in `text` an answer of the asked type might be (a number, a date)."""
    if qtype == "how_many":
        m = _NUMBER.search(text)
        return (m.start(), m.end()) if m else None
    if qtype == "when":
        m = _DATE.search(text)
        return (m.start(), m.end()) if m else None
    if qtype == "where":
        return find_place(text)
    return None


def tight_span(question: Question, text: str, start: int, end: int) -> tuple[int, int] | None:
    """The tightest span in text[start:end] answering a how-many or when question.

    Numbers (with the word after them) or date expressions are candidates; the one nearest
    to the question's words in the span wins.

    Args:
        question: The analysed question.
        text: The passage.
        start: Span start.
        end: Span end.

    Returns:
        `(start, end)` within `text`, or None for other question types or no candidate.
    """
    if question.qtype == "where":
        return find_place(text, start, end)
    if question.qtype not in ("how_many", "when"):
        return None
    pattern = _NUMBER if question.qtype == "how_many" else _DATE
    qterms = set(question.terms) | set(question.history_terms)
    words = [(m.start(), m.end()) for m in _WORD.finditer(text, start, end)]
    anchors = [s for s, e in words if set(terms(text[s:e])) & qterms]
    best: tuple[float, tuple[int, int]] | None = None
    for m in pattern.finditer(text, start, end):
        s, e = m.start(), m.end()
        if question.qtype == "how_many" and any(t in text[s:e] for t in "/"):
            continue  # a date, not a count
        distance = min((abs(a - s) for a in anchors), default=0)
        if best is None or distance < best[0]:
            best = (distance, (s, e))
    return best[1] if best else None


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
        credit = np.array(
            [
                [term_credit(t, set(terms(hits[h].text[a:b]))) for t in term_list]
                for h, a, b in units
            ],
            dtype=np.float32,
        ).reshape(len(units), len(term_list))
        w = np.array([weights[t] for t in term_list], dtype=np.float32)
        for cand, idx in zip(cands, members, strict=True):
            text = hits[cand.hit_index].text[cand.start : cand.end]
            cand.lexical = float(credit[idx].max(axis=0) @ w) / total if term_list else 0.0
            cand.score = (
                cfg.w_lexical * cand.lexical
                + (0.0 if question.latin else cfg.w_rank / (1 + cand.hit_index))
                + (cfg.w_type if _type_match(question.qtype, text) is not None else 0.0)
                - cfg.w_length * len(text.split())
            )
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
        if question.history_terms and question.last_answer_terms:
            # A follow-up wants something new: never answer with what was just said, and
            # prefer windows that add to it.
            said = set(question.previous_answer_terms)
            last = set(question.last_answer_terms)
            kept = []
            for cand, idx in zip(cands, members, strict=True):
                span_terms = set(terms(hits[cand.hit_index].text[cand.start : cand.end]))
                if span_terms and len(span_terms & last) / len(span_terms) > cfg.max_repeat:
                    continue
                if said:
                    cand.score -= cfg.w_repeat * len(said & span_terms) / len(said)
                kept.append((cand, idx))
            if kept:
                cands = [c for c, _ in kept]
                members = [i for _, i in kept]
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
        # Support: the share of the question's words that the chosen span holds, with its
        # passage's title and section (rarity-weighted, and plain), plus how close in meaning.
        context = set(terms(f"{hit.title} {hit.section}"))
        span_credit = credit[members[cands.index(best)]].max(axis=0)
        # In a follow-up, what the last answer said is known already: it need not be repeated.
        said = set(question.previous_answer_terms) - set(question.terms)
        scope = [
            (t, max(float(c), term_credit(t, context)))
            for t, c in zip(term_list, span_credit, strict=True)
            if t not in said
        ]
        scope_total = sum(weights[t] for t, _ in scope)
        weighted = sum(c * weights[t] for t, c in scope) / scope_total if scope_total else 0.0
        plain = sum(1.0 for _, c in scope if c > 0) / len(scope) if scope else 0.0
        typed = _type_match(question.qtype, hit.text[best.start : best.end]) is not None
        confidence = (
            cfg.a_weighted * weighted
            + (1 - cfg.a_weighted) * plain
            + cfg.c_dense * (best.dense - cfg.dense_center)
            + (cfg.c_type if typed else 0.0)
        )
        if question.latin:
            found = best.dense >= cfg.min_dense_latin
        else:
            found = confidence >= cfg.min_confidence
        best.focus = tight_span(question, hit.text, best.start, best.end)
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
            },
        )
