"""The offline answerer: pick the passage text that answers, mark its tightest span, or refuse."""

from __future__ import annotations

import json
import logging
import math
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field, fields, replace
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
# Those an English question may be answered with from Arabic text: numbers and dates.
LATIN_TYPED = frozenset({"when", "how_many"})


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

# The window ranker's inputs, in order (see `ExtractiveAnswerer.windows`); its second stage adds
# the closeness in meaning of the shortlisted windows (`RERANK_FEATURES`).
RANK_FEATURES = (
    "lexical",  # rarity-weighted share of the question's (and conversation's) words held
    "plain",  # share of the question's own words held
    "rare",  # how well the question's two rarest words are held (with the passage's title)
    "missing_rare",  # rarity of the rarest question word neither held nor in the title (0-1)
    "passage",  # rarity-weighted share of the question's words in the whole passage and title
    "sentence",  # the same, in the window's sentence
    "novelty",  # share of the window's words that the question does not have
    "typed",  # the window holds an answer of the kind asked for
    "rank",  # 1 / (1 + the passage's retrieval rank)
    "length",  # words / max_words
    "unit_dense",  # mean closeness in meaning of its clauses (only when words hardly overlap)
)
RERANK_FEATURES = ("stage1", "dense")

# The refusal model's inputs, in order (see `ExtractiveAnswerer.choose`).
FEATURES = (
    "weighted",
    "plain",
    "dense",
    "typed",
    "untyped_question",
    "missing_numbers",
    "cited",
    "rank",
    "ranker",
    "margin",
    "passage_rare",
    "missing_idf",
)


def _logistic(bias: float, weights: dict[str, float], feats: dict[str, float]) -> float:
    z = bias + sum(w * float(feats.get(k, 0.0)) for k, w in weights.items())
    return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


@dataclass
class ExtractiveConfig:
    """Ranker weights and decision thresholds.

    The defaults are only a fallback: `load_config` reads the values fitted on ARCD-train by
    `bench/fit_answer.py` from `qa/answer_params.json`.
    """

    passages: int = 3
    passages_latin: int = 6
    cited_passages: int = 2
    max_words: int = 25
    min_words: int = 4
    answer_words: int = 25
    # Questions without a typed answer («ما هو/كيف…»: a definition, a manner) are answered with
    # a clause, often longer: their answer may run on into the next clauses of the passage up
    # to this many words.
    answer_words_untyped: int = 25
    dense_fallback: float = 0.5
    shortlist: int = 4
    # Window ranker: a linear score over `RANK_FEATURES` picks the shortlist, then
    # `rerank_weights` over (that score, closeness in meaning) picks the window.
    rank_bias: float = 0.0
    rank_weights: dict[str, float] = field(
        default_factory=lambda: {
            "lexical": 1.0,
            "novelty": 0.2,
            "typed": 0.15,
            "rank": 0.15,
            "unit_dense": 1.0,
        }
    )
    rerank_bias: float = 0.0
    rerank_weights: dict[str, float] = field(default_factory=lambda: {"stage1": 1.0, "dense": 1.0})
    # Bonus for windows of an article the conversation cited, as a share of the ranker's weight
    # for full word coverage (`lexical` + `plain`; not fitted: ARCD has no conversations).
    w_cited: float = 0.2
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
        weights = {k: self.refusal_weights.get(k, 0.0) for k in FEATURES}
        return _logistic(self.refusal_bias, weights, feats)


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


def asks_typed(question: Question) -> bool:
    """Whether the question asks for a typed answer (a name, number, date, place, cause...).

    An English question shares no words with the passage to anchor a name, a place or a cause
    on; numbers and dates read the same in any language, so «how many» and «when» are typed.
    """
    if question.latin:
        return question.qtype in LATIN_TYPED
    return question.qtype in TYPED


def _near(a: str, b: str) -> bool:
    """Whether two stems of length >= 4 differ by at most one edit (stemmer slips)."""
    if abs(len(a) - len(b)) > 1 or min(len(a), len(b)) < 4:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) <= 1
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    return any(long_[:i] + long_[i + 1 :] == short for i in range(len(long_)))


def term_credit(term: str, span_terms: set[str], forms: Sequence[str] = ()) -> float:
    """How well a question term is matched by a span: 1 exact, 0.8 near.

    Near is a prefix, one edit, or the word's other number («مقعدا» / «مقاعد»).

    Args:
        term: A stemmed question term.
        span_terms: The stemmed terms of the span.
        forms: The stems of the term's other number (`index.arabic.number_variants`).

    Returns:
        The credit in [0, 1].
    """
    if term in span_terms:
        return 1.0
    if any(f in span_terms for f in forms):
        return 0.8
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


@dataclass
class Windows:
    """A question's candidate windows with what the ranker knows of each (no weights applied).

    Built once by `ExtractiveAnswerer.windows`; `ExtractiveAnswerer.choose` applies the weights.
    Closeness in meaning and the finished answer of a window are computed when first needed and
    remembered (so that weights can be tried cheaply on the same windows).
    """

    question: Question
    hits: list[Hit]
    units: list[tuple[int, int, int]]
    cands: list[Span]
    members: list[list[int]]
    features: np.ndarray  # windows x RANK_FEATURES
    eligible: np.ndarray  # windows a follow-up may answer from (all, for other questions)
    cited: np.ndarray  # windows of an article the conversation cited
    article: list[str]  # each window's article (its title, else its doc id)
    credit: np.ndarray  # units x terms: how well each clause holds each question term
    term_list: list[str]
    weights: dict[str, float]
    unit_typed: list[bool]
    typed_question: bool
    weak: bool
    context_terms: list[set[str]]  # per hit: the terms of its title and section
    passage_credit: np.ndarray  # hits x terms: how well the passage and its title hold each
    query_vector: np.ndarray | None
    encode: Any
    idf: Any
    dense_of: dict[int, float] = field(default_factory=dict)
    finished: dict[int, tuple[Span, dict[str, float], bool]] = field(default_factory=dict)

    @property
    def can_embed(self) -> bool:
        """Whether closeness in meaning can be measured."""
        return self.query_vector is not None and self.encode is not None

    def dense(self, indexes: list[int]) -> np.ndarray:
        """Closeness in meaning of the question and the given windows (0 when it cannot be had)."""
        missing = [i for i in indexes if i not in self.dense_of]
        if missing and self.can_embed:
            texts = [
                self.hits[self.cands[i].hit_index].text[self.cands[i].start : self.cands[i].end]
                for i in missing
            ]
            for i, v in zip(missing, self.encode(texts), strict=True):
                self.dense_of[i] = float(v @ self.query_vector)
        return np.array([self.dense_of.get(i, 0.0) for i in indexes], dtype=float)


class ExtractiveAnswerer:
    """Ranks clause windows of the top passages against the question; marks the span or refuses."""

    def __init__(self, config: ExtractiveConfig | None = None) -> None:
        """Configure.

        Args:
            config: Weights and thresholds.
        """
        self.config = config or ExtractiveConfig()

    def _candidates(
        self, hits: list[Hit], passages: int
    ) -> tuple[list[Span], list[tuple[int, int, int]], list[list[int]], list[int]]:
        """Windows of consecutive clauses inside each sentence of the top passages.

        Returns:
            The candidate spans, the clause units `(hit, start, end)`, for each candidate the
            indexes of the units it covers, and for each unit the index of its sentence.
        """
        cands: list[Span] = []
        units: list[tuple[int, int, int]] = []
        members: list[list[int]] = []
        sentence_of: list[int] = []
        limit = self.config.max_words
        n_sentences = 0
        for i, hit in enumerate(hits[:passages]):
            text = hit.text
            for s, e in sentences(text):
                parts = clauses(text, s, e)
                first = len(units)
                units.extend((i, a, b) for a, b in parts)
                sentence_of.extend([n_sentences] * len(parts))
                n_sentences += 1
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
        return cands, units, members, sentence_of

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
        windows = self.windows(question, hits, query_vector, encode, idf)
        if windows is None:
            return Extraction(found=False)
        return self.choose(windows)

    def windows(
        self,
        question: Question,
        hits: list[Hit],
        query_vector: np.ndarray | None,
        encode: Any,
        idf: Any,
    ) -> Windows | None:
        """The candidate windows of the top passages with their ranking features.

        Args:
            question: The analysed question.
            hits: Retrieved passages, best first.
            query_vector: The question's unit vector (None: no dense evidence).
            encode: Function embedding a list of passages to unit vectors.
            idf: Function giving a term's weight.

        Returns:
            The windows, or None when there is nothing to choose from.
        """
        cfg = self.config
        if not hits:
            return None
        weights = {t: idf(t) for t in question.terms}
        for t in question.history_terms:
            weights.setdefault(t, 0.4 * idf(t))
        passages = cfg.passages_latin if question.latin else cfg.passages
        cands, units, members, sentence_of = self._candidates(hits, passages)
        if not cands:
            return None
        total = sum(weights.values()) or 1.0
        # credit[u, t]: how well unit u matches question term t.
        term_list = list(weights)
        n_terms = len(term_list)
        unit_terms = [set(terms(hits[h].text[a:b])) for h, a, b in units]
        forms = question.number_forms
        credit = np.array(
            [[term_credit(t, ut, forms.get(t, ())) for t in term_list] for ut in unit_terms],
            dtype=np.float32,
        ).reshape(len(units), n_terms)
        w = np.array([weights[t] for t in term_list], dtype=np.float32)
        used = sorted({c.hit_index for c in cands})
        context_terms = [set(terms(f"{h.title} {h.section}")) for h in hits]
        passage_credit = np.zeros((len(hits), n_terms), dtype=np.float32)
        context_credit = np.zeros((len(hits), n_terms), dtype=np.float32)
        for h in used:
            whole = set(terms(hits[h].text)) | context_terms[h]
            passage_credit[h] = [term_credit(t, whole, forms.get(t, ())) for t in term_list]
            context_credit[h] = [
                term_credit(t, context_terms[h], forms.get(t, ())) for t in term_list
            ]
        n_sent = max(sentence_of) + 1 if sentence_of else 0
        sentence_credit = np.zeros((n_sent, n_terms), dtype=np.float32)
        for u, sid in enumerate(sentence_of):
            sentence_credit[sid] = np.maximum(sentence_credit[sid], credit[u])
        # The question's own words, their rarity relative to its rarest, and its two rarest.
        own_idx = [i for i, t in enumerate(term_list) if t in question.terms]
        own_w = w[own_idx]
        rel = own_w / float(own_w.max()) if own_idx and float(own_w.max()) > 0 else own_w
        rare_idx = [own_idx[i] for i in np.argsort(-own_w, kind="stable")[:2]]
        # Whether each unit holds an answer of the asked kind (a number, date, place, name...).
        typed_question = asks_typed(question)
        unit_typed = []
        for h, a, b in units:
            found_focus = find_focus(question, hits[h].text, a, b, idf) if typed_question else None
            unit_typed.append(found_focus is not None and found_focus.typed)
        cited_docs = set(question.cited_docs)
        known = set(question.terms) | set(question.history_terms)
        own_best = 0.0
        feats = np.zeros((len(cands), len(RANK_FEATURES)), dtype=float)
        col = {f: i for i, f in enumerate(RANK_FEATURES)}
        for k, (cand, idx) in enumerate(zip(cands, members, strict=True)):
            h = cand.hit_index
            held = credit[idx].max(axis=0)
            with_title = np.maximum(held, context_credit[h])
            row = feats[k]
            row[col["lexical"]] = float(held @ w) / total if n_terms else 0.0
            if own_idx:
                row[col["plain"]] = float((held[own_idx] > 0).mean())
                row[col["rare"]] = float(with_title[rare_idx].mean())
                gone = [r for r, i in zip(rel, own_idx, strict=True) if with_title[i] == 0]
                row[col["missing_rare"]] = float(max(gone, default=0.0))
                if float(own_w.sum()) > 0:
                    own_best = max(own_best, float(held[own_idx] @ own_w) / float(own_w.sum()))
            row[col["passage"]] = float(passage_credit[h] @ w) / total if n_terms else 0.0
            sid = sentence_of[idx[0]]
            row[col["sentence"]] = float(sentence_credit[sid] @ w) / total if n_terms else 0.0
            # An answer adds something to what was asked (and, in a follow-up, said before).
            span_terms = set().union(*(unit_terms[u] for u in idx))
            row[col["novelty"]] = len(span_terms - known) / len(span_terms) if span_terms else 0.0
            row[col["typed"]] = float(any(unit_typed[u] for u in idx))
            row[col["rank"]] = 0.0 if question.latin else 1.0 / (1 + h)
            words = len(hits[h].text[cand.start : cand.end].split())
            row[col["length"]] = words / max(cfg.max_words, 1)
        eligible = np.ones(len(cands), dtype=bool)
        if question.followup and typed_question:
            # A follow-up has few words of its own to go by: it asks for a date, a place, a
            # name... and the windows that hold one are the candidates.
            typed_windows = feats[:, col["typed"]] > 0
            if typed_windows.any():
                eligible = typed_windows
        windows = Windows(
            question=question,
            hits=hits,
            units=units,
            cands=cands,
            members=members,
            features=feats,
            eligible=eligible,
            cited=np.array([hits[c.hit_index].doc_id in cited_docs for c in cands], dtype=bool),
            article=[hits[c.hit_index].title or hits[c.hit_index].doc_id for c in cands],
            credit=credit,
            term_list=term_list,
            weights=weights,
            unit_typed=unit_typed,
            typed_question=typed_question,
            weak=question.latin or own_best < cfg.dense_fallback,
            context_terms=context_terms,
            passage_credit=passage_credit,
            query_vector=query_vector,
            encode=encode,
            idf=idf,
        )
        if windows.weak and windows.can_embed:
            # Little word overlap (another language, a paraphrase): windows are also ranked by
            # meaning, approximated by the mean similarity of their clauses.
            unit_sims = encode([hits[h].text[a:b] for h, a, b in units]) @ query_vector
            for k, idx in enumerate(members):
                feats[k, col["unit_dense"]] = float(unit_sims[idx].mean())
        return windows

    def scores(self, windows: Windows) -> np.ndarray:
        """The ranker's first-stage score of every window (higher: more likely to answer)."""
        cfg = self.config
        w1 = np.array([cfg.rank_weights.get(f, 0.0) for f in RANK_FEATURES], dtype=float)
        # The cited-article bonus is a share of what full word coverage is worth to the ranker.
        coverage = cfg.rank_weights.get("lexical", 0.0) + cfg.rank_weights.get("plain", 0.0)
        bonus = cfg.w_cited * max(coverage, 1.0)
        return cfg.rank_bias + windows.features @ w1 + bonus * windows.cited

    def choose(self, windows: Windows) -> Extraction:
        """Apply the ranker to the windows, finish the best one's span and decide whether it answers.

        Args:
            windows: From `windows`.

        Returns:
            The decision with the chosen span.
        """
        cfg = self.config
        question = windows.question
        s1 = self.scores(windows)
        eligible = np.flatnonzero(windows.eligible)
        order = eligible[np.argsort(-s1[eligible], kind="stable")]
        shortlist = [int(i) for i in order[: cfg.shortlist]]
        dense = windows.dense(shortlist)
        s2 = (
            cfg.rerank_bias
            + cfg.rerank_weights.get("stage1", 1.0) * s1[shortlist]
            + cfg.rerank_weights.get("dense", 0.0) * dense
        )
        pick = int(np.argmax(s2))
        chosen = shortlist[pick]
        best, feats, typed = self.finish(windows, chosen)
        best.dense = float(dense[pick])
        # How far the chosen article is ahead of the best window of any other article.
        others = [float(s1[i]) for i in eligible if windows.article[i] != windows.article[chosen]]
        margin = float(s1[chosen]) - max(others) if others else 5.0
        feats = {
            **feats,
            "dense": best.dense,
            "ranker": float(np.clip(s2[pick], -10.0, 10.0)),
            "margin": float(np.clip(margin, -5.0, 5.0)),
        }
        confidence = cfg.confidence(feats)
        hit = windows.hits[best.hit_index]
        if question.latin:
            found = best.dense >= cfg.min_dense_latin
        else:
            found = confidence >= cfg.min_confidence
        if question.followup and typed and hit.doc_id in set(question.cited_docs):
            # A follow-up asks about the article the conversation is about: an answer of the
            # kind asked for, found there, answers it (the refusal model, fitted on single
            # questions, does not see the conversation).
            found = True
        return Extraction(
            found=found,
            spans=[best],
            support=feats["weighted"],
            dense=best.dense,
            debug={
                "candidates": len(windows.cands),
                "window": chosen,
                "plain_support": feats["plain"],
                "confidence": confidence,
                "weak_lexical": windows.weak,
                "typed": typed,
                "features": feats,
            },
        )

    def finish(self, windows: Windows, chosen: int) -> tuple[Span, dict[str, float], bool]:
        """A window's answer span, the refusal model's word evidence, and whether it is typed.

        Remembered per window; closeness in meaning is added by `choose`.
        """
        if chosen in windows.finished:
            span, feats, typed = windows.finished[chosen]
            return replace(span), dict(feats), typed
        question, hits, idf = windows.question, windows.hits, windows.idf
        units = windows.units
        best = replace(windows.cands[chosen])
        best.lexical = float(windows.features[chosen, RANK_FEATURES.index("lexical")])
        best_idx = list(windows.members[chosen])
        hit = hits[best.hit_index]
        # Support: the share of the question's words that the chosen span holds, with its
        # passage's title and section (rarity-weighted, and plain), plus how close in meaning.
        context = windows.context_terms[best.hit_index]
        focus = find_focus(question, hit.text, best.start, best.end, idf)
        bare = (
            question.qtype == "how_many"
            and focus is not None
            and " " not in hit.text[focus.start : focus.end].strip()
        )
        if windows.typed_question and (focus is None or not focus.typed or bare):
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
        if question.qtype == "who" and not (focus is not None and focus.office_asked):
            # «وأعلن شريف إسماعيل، رئيس الوزراء، أنه …»: asked who holds an office, the window
            # may start at the office, or after it, while the name stands before it across a
            # comma: look up to two clauses back, within the sentence.
            opens = max((a for a, _ in sentences(hit.text) if a <= best.start), default=0)
            start = best.start
            added: list[int] = []
            for _ in range(2):
                before = self._previous_unit(units, best.hit_index, start)
                if before is None or before[0] < opens:
                    break
                start, added = before[0], [before[2], *added]
                back = find_focus(question, hit.text, start, best.end, idf)
                if back is not None and back.office_asked and back.start < best.start:
                    focus = back
                    best.start = start
                    best_idx = [*added, *best_idx]
                    break
        if (
            not windows.typed_question
            and self.config.answer_words_untyped > self.config.answer_words
        ):
            # A clause-long answer: run on into the next clauses while they fit.
            limit = self.config.answer_words_untyped
            words = len(_WORD.findall(hit.text, best.start, best.end))
            while True:
                after = self._next_unit(units, best)
                if after is None:
                    break
                more = len(_WORD.findall(hit.text, after[0], after[1]))
                if words + more > limit:
                    break
                words += more
                best.end = after[1]
        term_list, weights = windows.term_list, windows.weights
        span_credit = windows.credit[best_idx].max(axis=0)
        # In a follow-up, what the last answer said is known already: it need not be repeated.
        said = set(question.previous_answer_terms) - set(question.terms)
        # A follow-up's topic words (from earlier turns) may be anywhere in the passage; its
        # own words must be near the answer.
        topic = context | set(terms(hit.text)) if question.history_terms else context
        own_terms = set(question.terms)
        scope = [
            (
                t,
                max(
                    float(c),
                    term_credit(
                        t, context if t in own_terms else topic, question.number_forms.get(t, ())
                    ),
                ),
            )
            for t, c in zip(term_list, span_credit, strict=True)
            if t not in said
        ]
        scope_total = sum(weights[t] for t, _ in scope)
        weighted = sum(c * weights[t] for t, c in scope) / scope_total if scope_total else 0.0
        plain = sum(1.0 for _, c in scope if c > 0) / len(scope) if scope else 0.0
        typed = focus is not None and focus.typed
        passage = normalize(f"{hit.title} {hit.text}")
        missing = sum(1 for n in question.numbers if n not in passage)
        # The question's rarest words in the whole passage: a key name missing from it is the
        # surest sign that the passage is about something else.
        own = [(weights[t], i) for i, t in enumerate(term_list) if t in own_terms]
        top = max((wt for wt, _ in own), default=0.0)
        held = windows.passage_credit[best.hit_index]
        rarest = sorted(own, reverse=True)[:2]
        feats = {
            "weighted": weighted,
            "plain": plain,
            "typed": float(typed),
            "untyped_question": float(not windows.typed_question),
            "missing_numbers": float(missing > 0),
            "cited": float(hit.doc_id in set(question.cited_docs)),
            "rank": float(best.hit_index),
            "passage_rare": float(np.mean([held[i] for _, i in rarest])) if rarest else 0.0,
            "missing_idf": max(
                (wt / top for wt, i in own if held[i] == 0 and top > 0), default=0.0
            ),
        }
        if focus is not None:
            best.focus = (focus.start, focus.end)
            if focus.end <= best.start or focus.start >= best.end:
                # Named earlier in the passage («الوزير» → «أنور معروف»): say it first.
                best.lead = best.focus
        best.answer = self._short_answer(question, hit.text, best)
        windows.finished[chosen] = (replace(best), dict(feats), typed)
        return best, feats, typed

    @staticmethod
    def _next_unit(units: list[tuple[int, int, int]], best: Span) -> tuple[int, int, int] | None:
        """The clause right after the chosen window in the same passage (start, end, unit)."""
        following = [
            (a, b, u) for u, (h, a, b) in enumerate(units) if h == best.hit_index and a >= best.end
        ]
        return min(following) if following else None

    @staticmethod
    def _previous_unit(
        units: list[tuple[int, int, int]], hit_index: int, start: int
    ) -> tuple[int, int, int] | None:
        """The clause ending before `start` in passage `hit_index`, nearest first (start, end, unit)."""
        preceding = [
            (a, b, u) for u, (h, a, b) in enumerate(units) if h == hit_index and b <= start
        ]
        return max(preceding, key=lambda unit: unit[1]) if preceding else None

    def _short_answer(self, question: Question, text: str, best: Span) -> tuple[int, int]:
        """The answer to show: the chosen window, cut to `answer_words` words around its focus.

        Without a focus, the window is cut to the words around the question's words.
        """
        typed = asks_typed(question)
        limit = self.config.answer_words if typed else self.config.answer_words_untyped
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
