"""Understand a question: validate it, find what it asks (who/when/how many/where), fold in history."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from index.arabic import (
    STOPWORDS,
    normalize,
    number_variants,
    stem,
    strip_clitics,
    terms,
    unit_abbreviations,
)
from qa.dialect import QType, question_word, question_words, to_standard
from qa.errors import BadHistory, EmptyQuestion, NoWordsQuestion, QuestionError, QuestionTooLong

__all__ = [
    "QType",
    "Question",
    "QuestionError",
    "Turn",
    "analyse",
    "parse_history",
    "question_type",
    "validate",
    "validate_history",
]

# Patterns for phrases of several words, run on normalised text (alef/hamza folded, taa marbuta →
# haa, lower-case) after dialect words are put in their standard form. Single question words
# (in every variety) come from the table in `qa.dialect`.
_PLACE_NOUNS = "مكان|مدينه|بلد|بلاد|دوله|منطقه|ولايه|قاره|محافظه|عاصمه|قريه|جزيره|موقع|مقر|معتمديه"
_TIME_NOUNS = "عام|سنه|يوم|شهر|تاريخ|قرن|وقت|ساعه|موعد|فتره"
_PHRASES: list[tuple[QType, re.Pattern[str]]] = [
    (
        "how_many",
        re.compile(
            # «ما عدد…», «عدد…؟», «كم عمر…»: a quantity noun opening the question or after
            # «ما/كم»; not any «عمر» («متى ولد عمر المختار؟» asks when).
            r"\bhow (many|much)\b|(^(و|ف)?((ما|ب?كم) )?|(^|\s)(و|ف)?(ما|ب?كم) )(هو |هي )?"
            r"(عدد|مقدار|نسبه|كميه|مبلغ|حجم|قيمه|سعر|مساحه|طول|عمر)\b"
        ),
    ),
    (
        "when",
        re.compile(
            rf"\bwhen\b|\bwhat (year|date|day|time)\b|(في|من|منذ|الي|حتي) اي ({_TIME_NOUNS})\b"
            rf"|(^|\s)(و|ف)?(اي|ايه) ({_TIME_NOUNS})\b|(^|\s)(و|ف)?ما (هو )?(تاريخ|موعد)\b"
        ),
    ),
    (
        "where",
        re.compile(
            rf"\bwhere\b|\bwhich (country|city|place)\b|(^|\s)(و|ف)?(في |من |الي |ب)?"
            rf"(اي|ايه) ({_PLACE_NOUNS})\b|(^|\s)(و|ف)?ما (هو |هي )?(مكان|موقع|مقر)\b"
        ),
    ),
    ("why", re.compile(r"\bwhy\b|(^|\s)(و|ف)?ما (هو |هي )?(سبب|اسباب|دافع)\b")),
    (
        "who",
        re.compile(
            r"\bwho(m|se)?\b|\bwhat is the name\b|(^|\s)(و|ف)?(من) (هو|هي|هم)\b"
            r"|(^|\s)(و|ف)?(ما|ماهو|ماهي) (هو |هي )?(اسم|اسمه|اسمها)\b|^(و|ف)?(اسمه|اسمها)\b"
        ),
    ),
    ("which", re.compile(r"\bwhich\b|(^|\s)(و|ف)?(في |من |الي |علي |ب)?(اي|ايه) \S")),
    ("how", re.compile(r"\bhow\b")),
    (
        "yes_no",
        re.compile(r"^(و|ف)?(هل|اهل)\b|^(is|are|was|were|did|does|do|has|have|can|will)\b"),
    ),
    ("what", re.compile(r"\bwhat\b")),
]
_WHICH_HEAD = re.compile(r"(?:^|\s)(?:و|ف)?(?:في |من |الي |علي |ب)?(?:اي|ايه) (\S+)")
# What «كم» counts: «كم مشاركا», «كم عدد القتلى», «كم من جثة».
_COUNT_HEAD = re.compile(r"(?:^|\s)(?:(?:و|ف)?ب?كم (عدد |من )?|(عدد) )(\S+)")
# «من هو/هي/هم X» where X may be named: its first word has no article or clitic (not
# «الفائز»), is no role or relation (`_ROLES`: «صاحب المشروع», «والد X»), and X holds no
# clause or phrase (`_NOT_A_NAME`); `qa.focus` also leaves out offices («مدير الشركة»).
_IDENTITY = re.compile(r"^(?:و|ف)?من (?:هو|هي|هم|هن) (\S+(?: \S+){0,5})$")
# Nouns of a relation or a role that ask for a name even without the article: «من هو صاحب
# المشروع؟», «من هو والد X؟».
_ROLES = frozenset(
    normalize(w)
    for w in [
        "صاحب",
        "صاحبة",
        "مؤسس",
        "مؤسسة",
        "مؤلف",
        "مؤلفة",
        "كاتب",
        "كاتبة",
        "والد",
        "والدة",
        "ابن",
        "ابنة",
        "زوج",
        "زوجة",
        "أخ",
        "أخت",
        "رسول",
        "قائد",
        "قائدة",
        "مخترع",
        "مكتشف",
        "مالك",
        "مالكة",
        "خليفة",
        "ملك",
        "ملكة",
        "مدرب",
        "مخرج",
        "منتج",
        "رئيس",
        "رئيسة",
        "وزير",
        "وزيرة",
    ]
)
_NOT_A_NAME = frozenset(
    normalize(w)
    for w in ("الذي", "التي", "الذين", "اللذان", "اللتان", "في", "من", "على", "إلى", "عن", "مع")
)
_DEMONSTRATIVES = frozenset(
    normalize(w)
    for w in (
        "هذا",
        "هذه",
        "ذلك",
        "تلك",
        "هؤلاء",
        "أولئك",
        "هذان",
        "هاتان",
        "this",
        "that",
        "these",
    )
)
_PRONOUN_ONLY = frozenset(normalize(w) for w in ("هو", "هي", "هم", "he", "she", "it", "they"))
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_LATIN = re.compile(r"[A-Za-z]")
_ARABIC = re.compile(r"[\u0600-\u06ff]")
_WORDY = re.compile(r"[^\W_]", re.UNICODE)
_EDGE = "?!.,;:«»\"'()"


@dataclass(frozen=True)
class Turn:
    """An earlier turn of the conversation: what was asked, answered, and cited."""

    question: str
    answer: str
    docs: tuple[str, ...] = ()
    chunks: tuple[str, ...] = ()


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
    followup: bool = False
    cited_docs: tuple[str, ...] = ()
    cited_chunks: tuple[str, ...] = ()
    # The noun after «أي» («في أي مستشفى») or what «كم» counts («كم مشاركا»).
    head: str = ""
    numbers: tuple[str, ...] = ()
    context_numbers: tuple[str, ...] = ()
    topic_question: str = ""
    asked_words: frozenset[str] = frozenset()
    # What «كم» counts in its other number («مقعدا» → «مقاعد»): the stems, by the head's term.
    number_forms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # The retrieval query for word matching: with the counted noun's other number.
    lexical_query: str = ""
    # X of «من هو X؟» when X may be a name («نجيب محفوظ»: what X is is asked, not a name;
    # `qa.focus` tells an office such as «رئيس الوزراء» apart), normalised; else "".
    subject: str = ""


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


def _cited(value: object, i: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Doc and chunk ids of a turn's citations: ids, or citation objects with `doc_id`."""
    if value is None:
        return (), ()
    if not isinstance(value, list | tuple):
        raise BadHistory(f"history turn {i + 1}: citations must be a list")
    docs: list[str] = []
    chunks: list[str] = []
    for c in value:
        if isinstance(c, str):
            docs.append(c)
        elif isinstance(c, dict) and isinstance(c.get("doc_id"), str):
            docs.append(c["doc_id"])
            if isinstance(c.get("chunk_id"), str):
                chunks.append(c["chunk_id"])
        else:
            raise BadHistory(
                f"history turn {i + 1}: a citation must be a doc id or an object with `doc_id`"
            )
    return tuple(dict.fromkeys(docs)), tuple(dict.fromkeys(chunks))


def parse_history(history: object) -> list[Turn]:
    """Check a conversation history and read it as turns.

    Each turn is `[question, answer]` (as before), `[question, answer, citations]`, or
    `{"question", "answer", "citations"}`; citations are doc ids or the citation objects of an
    earlier answer's JSON (their `doc_id`, and `chunk_id` when given, are used).

    Args:
        history: As received.

    Returns:
        The turns, oldest first.

    Raises:
        QuestionError: Not a list of such turns.
    """
    if history is None:
        return []
    if not isinstance(history, list | tuple):
        raise BadHistory("history must be a list of [question, answer] pairs")
    turns = []
    for i, turn in enumerate(history):
        if isinstance(turn, Turn):
            turns.append(turn)
            continue
        if isinstance(turn, dict):
            q, a = turn.get("question"), turn.get("answer")
            cites = turn.get("citations")
        elif isinstance(turn, list | tuple) and len(turn) in (2, 3):
            q, a = turn[0], turn[1]
            cites = turn[2] if len(turn) == 3 else None
        else:
            raise BadHistory(f"history turn {i + 1} is not a [question, answer] pair of strings")
        if not isinstance(q, str) or not isinstance(a, str):
            raise BadHistory(f"history turn {i + 1} is not a [question, answer] pair of strings")
        docs, chunks = _cited(cites, i)
        turns.append(Turn(q, a, docs, chunks))
    return turns


def validate_history(history: object) -> list[tuple[str, str]]:
    """Check a conversation history (see `parse_history`) and keep its [question, answer] pairs.

    Args:
        history: As received.

    Returns:
        The pairs.

    Raises:
        QuestionError: Not a list of turns.
    """
    return [(t.question, t.answer) for t in parse_history(history)]


def _words(text: str) -> list[str]:
    return [w for w in (w.strip(_EDGE) for w in normalize(text).split()) if w]


def question_type(text: str) -> QType:
    """What kind of answer a question asks for, in Modern Standard Arabic, a dialect or English.

    Args:
        text: The question.

    Returns:
        One of who, when, how_many, where, why, how, which, yes_no, what.
    """
    std = normalize(to_standard(text)).strip(" ?؟!.")
    for qtype, pattern in _PHRASES[:-3]:
        if pattern.search(std):
            return qtype
    words = _words(text)
    for i, word in enumerate(words):
        entry = question_word(word, edge=i in (0, len(words) - 1))
        if entry is not None:
            # «من كم محافظة…», «من أين…», «من متى…»: «من» is "from", the next word asks
            # («من ما» is left to «من»: «ما» after it is more often a negation or "what" clause).
            after = question_word(words[i + 1], edge=True) if i + 1 < len(words) else None
            if entry[1] == "من" and after is not None and after[1] != "ما":
                return after[0]
            return entry[0]
    for qtype, pattern in _PHRASES[-3:]:
        if pattern.search(std):
            return qtype
    return "what"


def is_latin(text: str) -> bool:
    """Whether a text is written mostly in Latin letters."""
    return len(_LATIN.findall(text)) > len(_ARABIC.findall(text))


def _subject(std: str) -> str:
    """X of a «من هو X؟» question when, by its shape, X may be a name; else ""."""
    m = _IDENTITY.match(re.sub(r"^\W+|\W+$", "", normalize(std)))
    if m is None:
        return ""
    named = m.group(1).split()
    if named[0].startswith("ال") or strip_clitics(named[0]) != named[0] or named[0] in _ROLES:
        return ""
    return "" if set(named) & _NOT_A_NAME else m.group(1)


def _own_terms(text: str) -> list[str]:
    """Content terms of a question: dialect and question words left out."""
    skip = question_words()
    kept = [w for w in to_standard(text).split() if normalize(w).strip(_EDGE) not in skip]
    return terms(" ".join(kept))


def _is_followup(text: str, own: list[str], earlier: list[str], max_terms: int) -> bool:
    """Whether a question leans on the conversation before it (else it opens a new topic)."""
    words = _words(text)
    if not words:
        return False
    first = words[0]
    opens_with_and = (
        first[0] in "وف"
        and first not in question_words()
        and (
            question_word(first[1:], edge=True) is not None
            or first[1:] in STOPWORDS
            or first[1:] in _PRONOUN_ONLY
        )
    )
    points_back = any(w in _DEMONSTRATIVES for w in words[1:]) or (
        not own and any(w in _PRONOUN_ONLY for w in words)
    )
    if opens_with_and or points_back or len(own) <= 1:
        return True
    shared = set(own) & set(earlier)
    return len(own) <= max_terms and bool(shared)


def analyse(
    text: str,
    history: Sequence[tuple[str, str] | Turn | Any] = (),
    max_terms: int = 4,
) -> Question:
    """Prepare a (validated) question for retrieval and answering.

    A question that leans on earlier turns (opens with «و/ف» and a question word, points back
    with «هذا/ذلك…», or has few words of its own) is a follow-up: the retrieval query is
    completed with the topic's first question and the last turn, whose words then count as
    context, and the articles they cited are where the answer is looked for first. A question
    that stands on its own starts a new topic.

    Args:
        text: The validated question.
        history: Earlier turns: [question, answer] pairs or `Turn`s (with their citations).
        max_terms: A question of at most this many content words sharing one with the
            conversation is a follow-up.

    Returns:
        The analysed question.
    """
    turns = parse_history(list(history)) if history else []
    own = _own_terms(text)
    std = to_standard(text)
    qtype = question_type(text)
    head = ""
    counted: tuple[str, ...] = ()
    pattern = _COUNT_HEAD if qtype == "how_many" else _WHICH_HEAD
    m = pattern.search(normalize(std)) if qtype in ("which", "where", "when", "how_many") else None
    if m is not None:
        head = m.group(m.lastindex or 1).strip(_EDGE + "؟")
    if qtype == "how_many" and head and m is not None:
        # «كم مقعدا» (a singular, always) is answered by «8 مقاعد», «عدد القتلى» (mostly a
        # plural) by «14 قتيلا».
        after_number = bool(m.group(2)) or "عدد" in (m.group(1) or "")
        counted = number_variants(normalize(head), "singular" if after_number else "plural")
        counted += unit_abbreviations(normalize(head))  # «كم هكتارا» / «42 هك»
    head_term = stem(normalize(head)) if counted else ""
    numbers = tuple(dict.fromkeys(_NUMBER.findall(normalize(text))))
    history_terms: list[str] = []
    said: list[str] = []
    last_answer: list[str] = []
    query = std if not is_latin(text) else text
    followup = False
    cited_docs: tuple[str, ...] = ()
    cited_chunks: tuple[str, ...] = ()
    context_numbers: tuple[str, ...] = ()
    topic_question = ""
    if turns:
        # The turns of the current topic: walk back while each turn leaned on the one before.
        topic = [turns[-1]]
        for j in range(len(turns) - 1, 0, -1):
            prev = turns[j]
            if not _is_followup(
                prev.question, _own_terms(prev.question), terms(turns[j - 1].question), max_terms
            ):
                break
            topic.insert(0, turns[j - 1])
        earlier = [t for turn in topic for t in terms(f"{turn.question} {turn.answer[:300]}")]
        followup = _is_followup(text, own, earlier, max_terms)
        if followup:
            last = topic[-1]
            first = topic[0]
            context = f"{last.question} {last.answer[:300]}"
            if first is not last:
                context = f"{first.question} {context}"
            history_terms = [t for t in dict.fromkeys(terms(to_standard(context))) if t not in own]
            asked = set(terms(last.question)) | set(own)
            last_answer = terms(last.answer)
            said = [t for t in last_answer[:60] if t not in asked]
            query = f"{query} {to_standard(context)}"
            context_numbers = tuple(dict.fromkeys(_NUMBER.findall(normalize(context))))
            topic_question = (
                f"{first.question} {last.question}" if first is not last else last.question
            )
            for turn in reversed(topic):
                cited_docs += tuple(d for d in turn.docs if d not in cited_docs)
                cited_chunks += tuple(c for c in turn.chunks if c not in cited_chunks)
    return Question(
        text=text,
        qtype=qtype,
        terms=own,
        history_terms=history_terms,
        retrieval_query=query,
        latin=is_latin(text),
        previous_answer_terms=said,
        last_answer_terms=last_answer,
        followup=followup,
        cited_docs=cited_docs,
        cited_chunks=cited_chunks,
        head=head,
        numbers=numbers,
        context_numbers=context_numbers,
        topic_question=topic_question,
        asked_words=frozenset(_words(std)),
        number_forms={head_term: tuple(stem(f) for f in counted)} if counted else {},
        subject=_subject(std) if qtype == "who" else "",
        lexical_query=" ".join((query, *counted)),
    )
