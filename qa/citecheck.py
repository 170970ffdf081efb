"""Check a generated answer's citations: keep only sentences their cited passage supports.

Every sentence of a generated answer must cite a passage ([n]) that exists and that supports it.
Support is judged on two kinds of evidence:

* lexical: the share of the sentence's content words (Arabic-aware stems, `index.arabic.terms`)
  found in the cited passage (with its title and section), with `term_credit`'s credit for
  near-misses (0.8 for a prefix or a one-letter slip);
* meaning: the cosine between the sentence and its best-matching clause or sentence of the
  passage, with the index's own embedding model (multilingual-e5-small: unrelated Arabic news
  sentences score about 0.72-0.78 against each other, a sentence and its paraphrase 0.85+).

Coverage is weighted by the index's idf, so a name, place or number the passage lacks weighs most;
and every number in the sentence must be in the passage. A sentence is supported when
`coverage >= 0.6`, or `coverage >= 0.4 and cosine >= 0.86`, or `cosine >= 0.95`; a sentence in
another script than Arabic (an English answer over Arabic passages: no words can match) needs
`cosine >= 0.83`. These were set on hand-made true and false sentences over the seed articles
(true ones: coverage 0.7-0.95, cosine 0.91-0.96; false ones with a foreign name or place:
coverage 0.1-0.3, cosine 0.83-0.86; garbled mixed-language output up to 0.92; an English
paraphrase 0.85, an unrelated English claim 0.78). A bare number ("105 [1]") is supported when
the passage holds it. Sentences with no citation borrow the
citation of the next cited sentence in the same paragraph ("claim. claim [1]."); a sentence
citing a number that is not one of the passages, or with no checkable content words, is
unsupported. The highlighted span of a citation is the passage clause that best matches the
sentence.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from index.arabic import normalize, terms
from index.splitter import clauses, sentences
from qa.extractive import term_credit
from qa.retriever import Hit

MIN_COVERAGE = 0.6
MIN_COVERAGE_WITH_MEANING = 0.4
MIN_COSINE_WITH_WORDS = 0.86
MIN_COSINE_ALONE = 0.95
MIN_COSINE_CROSSLINGUAL = 0.83
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_LATIN = re.compile(r"[A-Za-z]")

_DIGIT_MAP = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
# [1], [1, 2], [1][2], [١], [المصدر 1], [مقطع 2], 【1】
_MARKER = re.compile(
    r"[\[【]\s*(?:(?:المصدر|مصدر|المقطع|مقطع|source|passage)\s*)?"
    r"([0-9٠-٩۰-۹]+(?:\s*[,،و-]\s*[0-9٠-٩۰-۹]+)*)\s*[\]】]",
    re.IGNORECASE,
)
_NUM = re.compile(r"[0-9٠-٩۰-۹]+")
_WORDY = re.compile(r"[^\W\d_]")
_CONTENT = re.compile(r"[^\W_]")
_SPACES = re.compile(r"[ \t]+")

_REFUSALS = [
    normalize(p)
    for p in (
        "لا تذكر المصادر",
        "لا تذكر المقاطع",
        "المصادر لا تذكر",
        "المقاطع لا تذكر",
        "لا تتضمن المقاطع",
        "لا تتضمن المصادر",
        "لا تجيب المقاطع",
        "لا تجيب المصادر",
        "لا توجد إجابة",
        "لا تحتوي المقاطع",
        "لا تحتوي المصادر",
        "لا يوجد في المقاطع",
        "لم تذكر المقاطع",
        "لم تذكر المصادر",
    )
]
_REFUSALS_EN = re.compile(
    r"\b(do(es)? not|don't|doesn't|cannot|can't|fail to) (answer|mention|say|contain|provide|state)"
    r"|\bno (information|answer)\b|\bnot (mentioned|stated|found)\b",
    re.IGNORECASE,
)


@dataclass
class SentenceCheck:
    """The verdict on one sentence of a generated answer."""

    text: str
    cited: list[int]
    supported: bool
    reason: str
    passage: int | None = None
    coverage: float = 0.0
    cosine: float = 0.0
    span: tuple[int, int] | None = None


@dataclass
class CheckResult:
    """The verdict on a whole generated answer."""

    sentences: list[SentenceCheck] = field(default_factory=list)
    refusal: bool = False

    @property
    def kept(self) -> list[SentenceCheck]:
        """The supported sentences, in order."""
        return [s for s in self.sentences if s.supported]

    def summary(self) -> dict[str, Any]:
        """A JSON-friendly summary (sentences, kept, dropped with reasons)."""
        return {
            "sentences": len(self.sentences),
            "kept": len(self.kept),
            "dropped": [
                {"text": s.text, "cited": s.cited, "reason": s.reason}
                for s in self.sentences
                if not s.supported
            ],
            "refusal": self.refusal,
        }


def cited_numbers(text: str) -> list[int]:
    """The passage numbers cited in `text`, in order of appearance (repeats removed)."""
    found: list[int] = []
    for m in _MARKER.finditer(text):
        for num in _NUM.findall(m.group(1)):
            n = int(num.translate(_DIGIT_MAP))
            if n not in found:
                found.append(n)
    return found


def strip_markers(text: str) -> str:
    """`text` without its [n] markers (and the spaces they leave)."""
    out = _MARKER.sub("", text)
    out = re.sub(r"\s+([.!?؟،,؛])", r"\1", out)
    return _SPACES.sub(" ", out).strip()


def is_refusal(text: str) -> bool:
    """Whether a model's answer says the sources do not answer (Arabic or English)."""
    body = normalize(strip_markers(text))
    if any(p in body for p in _REFUSALS):
        return True
    return bool(_REFUSALS_EN.search(text)) and not _WORDY.search(re.sub(r"[A-Za-z]", "", text))


def split_answer(text: str) -> list[tuple[str, list[int], int]]:
    """Split a generated answer into sentences with the numbers each cites.

    A marker standing alone after a full stop ("... انتهى. [2]") belongs to the sentence before.

    Args:
        text: The model's answer.

    Returns:
        `(sentence, cited numbers, paragraph index)` triples in order.
    """
    out: list[tuple[str, list[int], int]] = []
    for p_index, paragraph in enumerate(re.split(r"\n\s*\n|\n", text)):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        spans = []
        for s, e in sentences(paragraph):
            # "claim [1] claim [2]": a marker followed by more words also ends a sentence.
            cut = s
            for m in _MARKER.finditer(paragraph, s, e):
                if _WORDY.search(paragraph, m.end(), e) and _WORDY.search(
                    paragraph, cut, m.start()
                ):
                    spans.append((cut, m.end()))
                    cut = m.end()
            spans.append((cut, e))
        for s, e in spans:
            piece = paragraph[s:e].strip()
            if not piece:
                continue
            nums = cited_numbers(piece)
            if out and out[-1][2] == p_index and not _CONTENT.search(_MARKER.sub("", piece)):
                prev_text, prev_nums, _ = out[-1]
                merged = prev_nums + [n for n in nums if n not in prev_nums]
                out[-1] = (f"{prev_text} {piece}", merged, p_index)
                continue
            if not _CONTENT.search(_MARKER.sub("", piece)):
                continue  # a stray marker or punctuation
            out.append((piece, nums, p_index))
    return out


def _coverage(sentence_terms: dict[str, float], unit_terms: set[str]) -> float:
    """Weighted share of the sentence's terms that `unit_terms` holds (with near-miss credit)."""
    total = sum(sentence_terms.values())
    if not total:
        return 0.0
    return sum(w * term_credit(t, unit_terms) for t, w in sentence_terms.items()) / total


def _numbers(text: str) -> set[str]:
    return {m.translate(_DIGIT_MAP).lstrip("0") or "0" for m in _NUM.findall(text)}


class CitationChecker:
    """Judges each sentence of a generated answer against the passage it cites."""

    def __init__(self, encode: Callable[[list[str]], np.ndarray] | None) -> None:
        """Configure.

        Args:
            encode: Embeds a list of texts to unit vectors (passage side); None: lexical only.
        """
        self.encode = encode

    def _units(self, hit: Hit) -> list[tuple[int, int]]:
        """The passage's sentences and clauses (candidates for the highlighted span)."""
        spans: list[tuple[int, int]] = []
        for s, e in sentences(hit.text):
            spans.append((s, e))
            parts = clauses(hit.text, s, e)
            if len(parts) > 1:
                spans.extend(parts)
        return spans or [(0, len(hit.text))]

    def _judge(
        self, body: str, hit: Hit, idf: Callable[[str], float] | None
    ) -> tuple[float, float, tuple[int, int]]:
        """(coverage, best cosine, best span) of a sentence against one passage."""
        sentence_terms = {t: (idf(t) if idf else 1.0) for t in dict.fromkeys(terms(body))}
        context = set(terms(f"{hit.title} {hit.section}"))
        passage_terms = set(terms(hit.text)) | context
        coverage = _coverage(sentence_terms, passage_terms)
        if not sentence_terms:  # a bare number ("105 [1]"): supported if the passage has it
            coverage = float(_numbers(body) <= _numbers(hit.text))
        units = self._units(hit)
        unit_cov = [
            _coverage(sentence_terms, set(terms(hit.text[a:b])) | context) for a, b in units
        ]
        cosines = [0.0] * len(units)
        if self.encode is not None:
            vectors = self.encode([body] + [hit.text[a:b] for a, b in units])
            sims = vectors[1:] @ vectors[0]
            cosines = [float(x) for x in sims]
        best = units[max(range(len(units)), key=lambda i: unit_cov[i] + cosines[i])]
        quoted = body.strip().rstrip(".!؟?،, ")
        at = hit.text.find(quoted) if len(quoted) >= 2 else -1
        if at >= 0:  # a short answer copied from the passage ("105", a name): mark exactly it
            best = (at, at + len(quoted))
        return coverage, max(cosines), best

    def check(
        self, text: str, hits: Sequence[Hit], idf: Callable[[str], float] | None = None
    ) -> CheckResult:
        """Judge every sentence of a generated answer.

        Args:
            text: The model's answer (passages cited as [n], 1-based into `hits`).
            hits: The passages the model was shown, in prompt order.
            idf: Term weights (the index's BM25 idf: rare names and places weigh most);
                None: all terms weigh the same.

        Returns:
            The verdicts; `kept` holds the supported sentences.
        """
        pieces = split_answer(text)
        result = CheckResult()
        # Uncited sentences borrow the citation of the next cited sentence in their paragraph.
        borrowed: list[list[int]] = []
        for i, (_, nums, para) in enumerate(pieces):
            if nums:
                borrowed.append(nums)
                continue
            later = next((n for _, n, p in pieces[i + 1 :] if p == para and n), [])
            borrowed.append(later)
        for (piece, _nums, _), cited in zip(pieces, borrowed, strict=True):
            body = strip_markers(piece)
            check = SentenceCheck(text=piece, cited=cited, supported=False, reason="")
            result.sentences.append(check)
            if not cited and is_refusal(body):
                check.reason = "refusal"
                continue
            if not cited:
                check.reason = "no citation"
                continue
            if any(n < 1 or n > len(hits) for n in cited):
                check.reason = "cites a passage that does not exist"
                continue
            if is_refusal(body):
                check.reason = "refusal"
                continue
            if not terms(body) and not _numbers(body):
                check.reason = "no content words to check"
                continue
            best: tuple[bool, float, float, int, tuple[int, int]] | None = None
            for n in cited:
                hit = hits[n - 1]
                coverage, cosine, span = self._judge(body, hit, idf)
                ok = supported(
                    coverage,
                    cosine,
                    crosslingual=bool(_LATIN.search(body)) and not _ARABIC.search(body),
                ) and _numbers(body) <= _numbers(f"{hit.title} {hit.section} {hit.text}")
                key = (ok, coverage + cosine)
                if best is None or key > (best[0], best[1] + best[2]):
                    best = (ok, coverage, cosine, n, span)
            assert best is not None
            check.supported, check.coverage, check.cosine, check.passage, check.span = best
            check.reason = "supported" if check.supported else "not supported by the cited passage"
        result.refusal = not result.kept and any(s.reason == "refusal" for s in result.sentences)
        return result


def supported(coverage: float, cosine: float, crosslingual: bool = False) -> bool:
    """The support rule (see the module docstring for the thresholds).

    Args:
        coverage: Share of the sentence's content words found in the passage.
        cosine: Best cosine between the sentence and a clause or sentence of the passage.
        crosslingual: The sentence is not in Arabic (only meaning can match).

    Returns:
        Whether the passage supports the sentence.
    """
    if crosslingual:
        return cosine >= MIN_COSINE_CROSSLINGUAL
    return (
        coverage >= MIN_COVERAGE
        or (coverage >= MIN_COVERAGE_WITH_MEANING and cosine >= MIN_COSINE_WITH_WORDS)
        or cosine >= MIN_COSINE_ALONE
    )


def renumber(result: CheckResult) -> tuple[str, list[tuple[int, int, tuple[int, int] | None]]]:
    """The checked answer text with citations renumbered 1..k in order of first use.

    Args:
        result: The verdicts.

    Returns:
        The text of the kept sentences (each ending with its new marker), and
        `(new number, passage number, span)` for every cited passage, the span from the first
        sentence that cites it.
    """
    order: dict[int, int] = {}
    spans: dict[int, tuple[int, int] | None] = {}
    parts: list[str] = []
    for s in result.kept:
        assert s.passage is not None
        if s.passage not in order:
            order[s.passage] = len(order) + 1
            spans[s.passage] = s.span
        body = strip_markers(s.text)
        marker = f"[{order[s.passage]}]"
        if body and body[-1] in ".!?؟…":
            parts.append(f"{body[:-1].rstrip()} {marker}{body[-1]}")
        else:
            parts.append(f"{body} {marker}")
    cited = [(new, old, spans[old]) for old, new in order.items()]
    return " ".join(parts), cited
