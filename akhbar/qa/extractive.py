"""The offline answerer: pick the passage text that answers, mark its tightest span, or refuse."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from akhbar.index.arabic import terms
from akhbar.index.splitter import clauses, sentences
from akhbar.qa.question import Question
from akhbar.qa.retriever import Hit

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
    max_words: int = 40
    w_lexical: float = 1.0
    w_dense: float = 2.0
    w_rank: float = 0.15
    w_type: float = 0.15
    min_support: float = 0.5
    min_dense: float = 0.83
    min_dense_latin: float = 0.80


def _coverage(span_terms: set[str], weights: dict[str, float]) -> float:
    total = sum(weights.values())
    if total <= 0:
        return 0.0
    return sum(w for t, w in weights.items() if t in span_terms) / total


def _type_match(qtype: str, text: str) -> tuple[int, int] | None:
    """Where in `text` an answer of the asked type might be (a number, a date)."""
    if qtype == "how_many":
        m = _NUMBER.search(text)
        return (m.start(), m.end()) if m else None
    if qtype == "when":
        m = _DATE.search(text)
        return (m.start(), m.end()) if m else None
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


class ExtractiveAnswerer:
    """Scores sentences and clause windows of the top passages against the question."""

    def __init__(self, config: ExtractiveConfig | None = None) -> None:
        """Configure.

        Args:
            config: Weights and thresholds.
        """
        self.config = config or ExtractiveConfig()

    def _candidates(self, hits: list[Hit]) -> list[Span]:
        cands: list[Span] = []
        limit = self.config.max_words
        for i, hit in enumerate(hits[: self.config.passages]):
            text = hit.text
            for s, e in sentences(text):
                n_words = len(text[s:e].split())
                if n_words <= limit:
                    cands.append(Span(i, s, e))
                    continue
                parts = clauses(text, s, e)
                for a in range(len(parts)):
                    words = 0
                    for b in range(a, len(parts)):
                        words += len(text[parts[b][0] : parts[b][1]].split())
                        if words > limit and b > a:
                            break
                        cands.append(Span(i, parts[a][0], parts[b][1]))
        return cands

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
        cands = self._candidates(hits)
        if not cands:
            return Extraction(found=False)
        texts = [hits[c.hit_index].text[c.start : c.end] for c in cands]
        dense = np.zeros(len(cands), dtype=np.float32)
        if query_vector is not None and encode is not None:
            vectors = encode(texts)
            dense = vectors @ np.asarray(query_vector, dtype=np.float32)
        own = {t: w for t, w in weights.items() if t in question.terms}
        for cand, text, d in zip(cands, texts, dense, strict=True):
            span_terms = set(terms(text))
            cand.lexical = _coverage(span_terms, weights)
            cand.dense = float(d)
            type_hit = _type_match(question.qtype, text) is not None
            cand.score = (
                cfg.w_lexical * cand.lexical
                + cfg.w_dense * cand.dense
                + cfg.w_rank / (1 + cand.hit_index)
                + (cfg.w_type if type_hit else 0.0)
            )
        best = max(cands, key=lambda c: c.score)
        hit = hits[best.hit_index]
        # Support: the share of the question's own words found in the chosen passage
        # (its text, title and section), weighted by rarity.
        context_terms = set(terms(f"{hit.title} {hit.section} {hit.text}"))
        support = _coverage(context_terms, own) if own else _coverage(context_terms, weights)
        dense_best = max(c.dense for c in cands)
        if question.latin:
            found = dense_best >= cfg.min_dense_latin
        else:
            found = support >= cfg.min_support and dense_best >= cfg.min_dense
        best.focus = tight_span(question, hit.text, best.start, best.end)
        return Extraction(
            found=found,
            spans=[best],
            support=support,
            dense=dense_best,
            debug={"candidates": len(cands), "best_score": best.score},
        )
