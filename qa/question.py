"""Understand a question: validate it, find what it asks (who/when/how many/where), fold in history."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from index.arabic import normalize, terms
from qa.errors import BadHistory, EmptyQuestion, NoWordsQuestion, QuestionError, QuestionTooLong

QType = Literal["who", "when", "how_many", "where", "yes_no", "what"]

# Patterns run on normalised text (alef/hamza folded, taa marbuta → haa, lower-case).
_QTYPE_PATTERNS: list[tuple[QType, re.Pattern[str]]] = [
    (
        "how_many",
        re.compile(r"(^|\s)(و|ف)?كم\b|\bhow (many|much)\b|(^|\s)(ما )?(عدد|مقدار|نسبه)\b"),
    ),
    (
        "when",
        re.compile(
            r"(^|\s)(و|ف)?متي\b|\bwhen\b|\bwhat (year|date|day)\b|في اي (عام|سنه|يوم|شهر|تاريخ|قرن)"
            r"|(^|\s)ما تاريخ\b"
        ),
    ),
    (
        "where",
        re.compile(r"(^|\s)(و|ف)?(اين|الي اين|من اين)\b|\bwhere\b|في اي (مكان|مدينه|بلد|دوله)"),
    ),
    ("yes_no", re.compile(r"^(و|ف)?هل\b|^(is|are|was|were|did|does|do|has|have|can|will)\b")),
    ("who", re.compile(r"^(و|ف)?من\b|(^|\s)من (هو|هي|هم)\b|\bwho(m|se)?\b|(^|\s)(ما|ماهو) اسم\b")),
]

_LATIN = re.compile(r"[A-Za-z]")
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_WORDY = re.compile(r"[^\W_]", re.UNICODE)


@dataclass
class Question:
    """A validated question with what the answerer needs to know about it."""

    text: str
    qtype: QType
    terms: list[str]
    history_terms: list[str]
    retrieval_query: str
    latin: bool
    previous_answer_terms: list[str] = field(default_factory=list)
    last_answer_terms: list[str] = field(default_factory=list)


def validate(text: str, max_chars: int) -> str:
    """Check that a question can be asked.

    Args:
        text: As typed.
        max_chars: Longest accepted question.

    Returns:
        The question, trimmed.

    Raises:
        QuestionError: Empty, too long, or holding no letters or digits.
    """
    if not isinstance(text, str):
        raise QuestionError("the question must be text")
    text = unicodedata.normalize("NFC", text).strip()
    if not text:
        raise EmptyQuestion("the question is empty: type a question about the articles")
    if len(text) > max_chars:
        raise QuestionTooLong(len(text), max_chars)
    if not _WORDY.search(text):
        raise NoWordsQuestion("the question has no words: type a question about the articles")
    return text


def validate_history(history: object) -> list[tuple[str, str]]:
    """Check a conversation history: a list of [user, assistant] pairs of strings.

    Args:
        history: As received.

    Returns:
        The pairs.

    Raises:
        QuestionError: Not a list of string pairs.
    """
    if history is None:
        return []
    if not isinstance(history, list | tuple):
        raise BadHistory("history must be a list of [question, answer] pairs")
    pairs = []
    for i, turn in enumerate(history):
        if (
            not isinstance(turn, list | tuple)
            or len(turn) != 2
            or not all(isinstance(x, str) for x in turn)
        ):
            raise BadHistory(f"history turn {i + 1} is not a [question, answer] pair of strings")
        pairs.append((turn[0], turn[1]))
    return pairs


def question_type(text: str) -> QType:
    """What kind of answer a question asks for.

    Args:
        text: The question.

    Returns:
        One of who, when, how_many, where, yes_no, what.
    """
    norm = normalize(text).strip(" ?؟!.")
    for qtype, pattern in _QTYPE_PATTERNS:
        if pattern.search(norm):
            return qtype
    return "what"


def is_latin(text: str) -> bool:
    """Whether a text is written mostly in Latin letters."""
    return len(_LATIN.findall(text)) > len(_ARABIC.findall(text))


def analyse(text: str, history: Sequence[tuple[str, str]] = (), max_terms: int = 4) -> Question:
    """Prepare a (validated) question for retrieval and answering.

    A question with few content words after earlier turns is a follow-up: the retrieval query
    is completed with the last turn's question and answer, whose words then count as context.

    Args:
        text: The validated question.
        history: Earlier [question, answer] turns.
        max_terms: A question with at most this many content words is treated as a follow-up.

    Returns:
        The analysed question.
    """
    own = terms(text)
    history_terms: list[str] = []
    said: list[str] = []
    last_answer: list[str] = []
    query = text
    if history and len(own) <= max_terms:
        last_q, last_a = history[-1]
        context = f"{last_q} {last_a[:300]}"
        history_terms = [t for t in terms(context) if t not in own]
        asked = set(terms(last_q)) | set(own)
        last_answer = terms(last_a)
        said = [t for t in last_answer[:60] if t not in asked]
        query = f"{text} {context}"
    return Question(
        text=text,
        qtype=question_type(text),
        terms=own,
        history_terms=history_terms,
        retrieval_query=query,
        latin=is_latin(text),
        previous_answer_terms=said,
        last_answer_terms=last_answer,
    )
