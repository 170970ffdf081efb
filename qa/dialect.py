"""Question words of Modern Standard Arabic and the main dialect groups, with the answer type asked.

A general table, written from grammars of the dialects (Egyptian, Levantine, Gulf/Iraqi and
Maghrebi), not from any question set: each spelling maps to the type of answer it asks for, and
dialect function words (relative pronouns, future and progressive particles, demonstratives)
map to their Modern Standard equivalent so that retrieval and word matching see the standard form.
Everything is matched after `index.arabic.normalize` (alef/hamza forms, taa marbuta, alef maqsura,
diacritics and tatweel folded), so loose spelling finds the same entry.
"""

from __future__ import annotations

import functools
from typing import Literal

from index.arabic import normalize, strip_clitics

_EDGE = "?!.,;:«»\"'()؟،"

QType = Literal["who", "when", "how_many", "where", "why", "how", "which", "yes_no", "what"]

# spelling -> (answer type, Modern Standard Arabic equivalent)
_QUESTION_WORDS: dict[str, tuple[QType, str]] = {}


def _add(qtype: QType, msa: str, *spellings: str) -> None:
    for spelling in spellings:
        _QUESTION_WORDS[normalize(spelling)] = (qtype, msa)


# Modern Standard Arabic.
_add("who", "من", "مَن", "منْ")
_add("when", "متى", "متى", "أيان")
_add("where", "أين", "أين")
_add("how_many", "كم", "كم", "بكم")
_add("why", "لماذا", "لماذا", "لمَ", "لمه")
_add("how", "كيف", "كيف")
_add("what", "ماذا", "ماذا")
_add("what", "ما", "ما", "ماهو", "ماهي")
# Egyptian.
_add("who", "من", "مين", "مينو")
_add("where", "أين", "فين", "فِين")
_add("where", "من أين", "منين", "منِين")
_add("when", "متى", "إمتى", "امتى", "إمتا", "امتا", "إيمتى", "ايمتى", "إيمتا")
_add("why", "لماذا", "ليه", "لِيه")
_add("how_many", "كم", "كام", "بكام")
_add("what", "ماذا", "إيه", "ايه", "إيش", "ايش")
_add("how", "كيف", "إزاي", "ازاي", "ازاى", "إزاى")
# Levantine.
_add("where", "أين", "وين", "وِين")
_add("where", "من أين", "منوين", "من وين")
_add("what", "ما", "شو", "شُو", "إشي", "شوهو", "شوهي")
_add("how_many", "كم", "قديش", "قدّيش", "قديه", "أديش", "اديش", "كدّيش", "كديش")
_add("why", "لماذا", "ليش", "لِيش", "ليشو", "لشو")
_add("how", "كيف", "كيفك", "كيفو")
_add("when", "متى", "إيمتى", "ايمتا", "أيمتى", "إمتين")
# Gulf and Iraqi.
_add("who", "من", "منو", "منهو", "مِنو")
_add("what", "ما", "وش", "وشو", "ويش", "شنو", "شنهو", "شنهي", "إش", "اش")
_add("how_many", "كم", "جم", "چم", "شكثر", "اشكثر", "كمّ")
_add("how", "كيف", "شلون", "اشلون", "شلونه")
_add("why", "لماذا", "ليش", "ليه", "شعلته", "علامه")
_add("when", "متى", "شوكت", "إمتى", "متى")
# Maghrebi (Tunisian, Algerian, Moroccan, Libyan).
_add("what", "ما", "شنوة", "شنوا", "شنو", "شنية", "شنيا", "اشنو", "أشنو", "آش", "واش", "شني")
_add("who", "من", "شكون", "اشكون", "أشكون", "شكونه", "مشكون", "منو")
_add("when", "متى", "وقتاش", "وقتاه", "فوقتاش", "إمتى", "امتى", "فوقاش", "إيمتا")
_add("how_many", "كم", "قداش", "قدّاش", "قداه", "شحال", "بشحال", "بقداش", "شحالك")
_add("why", "لماذا", "علاش", "علاه", "لاش", "لواش", "علاهش")
_add("where", "أين", "وين", "فين", "فاين", "وينو", "وينه", "وينها")
_add("where", "من أين", "منين", "منأين", "مناين", "منين")
_add("how", "كيف", "كيفاش", "كيفاه", "كيداير", "كيف")


def _normalised(table: dict[str, str]) -> dict[str, str]:
    return {normalize(k): v for k, v in table.items()}


# Dialect function words -> Modern Standard form ("" drops the word from matching).
_FUNCTION_WORDS = _normalised(
    {
        # pronouns spelt as spoken
        "هوا": "هو",
        "هيه": "هي",
        "همه": "هم",
        # relative pronoun
        "اللي": "الذي",
        "إللي": "الذي",
        "اللى": "الذي",
        "يلي": "الذي",
        "إلي": "الذي",
        # future / purpose particles
        "باش": "",
        "بش": "",
        "بِش": "",
        "حاي": "",
        "رح": "",
        "غادي": "",
        "غاد": "",
        "بدها": "",
        # progressive / presentative particles («عمّال», Levantine "keeps …", is left out: it
        # is «عمال», "workers", in the standard language; so is «دول», "those" in Egypt and
        # "countries", and «بدو», "he wants" in the Levant and "Bedouins")
        "راهو": "",
        "راهي": "",
        "راه": "",
        # demonstratives
        "ده": "هذا",
        "دي": "هذه",
        "دا": "هذا",
        "هاد": "هذا",
        "هادا": "هذا",
        "هادي": "هذه",
        "هاذا": "هذا",
        "هاذي": "هذه",
        "هيدا": "هذا",
        "هيدي": "هذه",
        "هاذاك": "ذلك",
        "هذاك": "ذلك",
        "هذيك": "تلك",
        "هداك": "ذلك",
        # genitive exponents and fillers
        "متاع": "",
        "متع": "",
        "بتاع": "",
        "بتاعة": "",
        "تاع": "",
        "ديال": "",
        "نتاع": "",
        "تبع": "",
        "هلق": "الآن",
        "دلوقتي": "الآن",
        "توا": "الآن",
        "دابا": "الآن",
        "هسه": "الآن",
        "الحين": "الآن",
        "برشا": "كثير",
        "بزاف": "كثير",
        "كتير": "كثير",
        "مش": "ليس",
        "موش": "ليس",
        "مهوش": "ليس",
        "مو": "ليس",
        "مب": "ليس",
    }
)

# Everyday nouns of the dialects (loanwords mostly) that news write in their standard form; only
# words with no other meaning in Modern Standard Arabic («عربية» "car" in Egypt is also "Arabic":
# left out). With the article, the standard form takes it too.
_NOUNS = _normalised(
    {
        "ماتش": "مباراة",
        "ماتشات": "مباريات",
        "كورة": "كرة",
        "فلوس": "أموال",
        "بوليس": "شرطة",
        "ترينو": "قطار",
        "تران": "قطار",
        "كرهبة": "سيارة",
        "كراهب": "سيارات",
        "طوموبيل": "سيارة",
        "سبيطار": "مستشفى",
        "صبيطار": "مستشفى",
        "بورطابل": "هاتف",
        "موبايل": "هاتف",
        "بلاصة": "مكان",
    }
)

# Words that are question words only where they open or close the question (elsewhere they are
# ordinary words: «من» is also "from", «ما» a negation, «ايه» also "verse", «ليه» also "to him",
# «علامه» also «علامة», "sign").
_FIRST_ONLY = frozenset(
    normalize(w) for w in ("من", "ما", "ايه", "اش", "آش", "واش", "جم", "ليه", "شو", "بكم", "علامه")
)


def question_word(word: str, edge: bool) -> tuple[QType, str] | None:
    """The answer type and standard form of a (normalised) question word, or None.

    A leading conjunction (و, ف) is allowed: «وفين», «فقداش».

    Args:
        word: One normalised word.
        edge: Whether it is the first or the last word of the question.

    Returns:
        `(type, Modern Standard equivalent)`, or None if it is not a question word.
    """
    for candidate in (word, word[1:] if len(word) > 2 and word[0] in "وف" else ""):
        if not candidate:
            continue
        entry = _QUESTION_WORDS.get(candidate)
        if entry is None:
            continue
        if candidate in _FIRST_ONLY and not edge:
            continue
        return entry
    return None


def function_word(word: str) -> str | None:
    """The standard form of a dialect function word ("" = no content) or everyday noun, else None.

    A noun keeps its article or clitic: «الماتش» → «المباراة», «بالكورة» → «بالكرة».
    """
    found = _FUNCTION_WORDS.get(word)
    if found is not None:
        return found
    bare = word if word in _NOUNS else strip_clitics(word)
    if bare not in _NOUNS:
        return None
    return word[: len(word) - len(bare)] + _NOUNS[bare]


@functools.lru_cache(maxsize=1)
def question_words() -> frozenset[str]:
    """Every known (normalised) spelling of a question word, in every variety."""
    return frozenset(_QUESTION_WORDS)


def to_standard(text: str) -> str:
    """The question with dialect question and function words replaced by their standard form.

    Other words keep their spelling (the embedding model reads this text too). Used for
    retrieval and word matching only: what the user typed is what is shown.

    Args:
        text: A question.

    Returns:
        The text with each dialect word in its Modern Standard form.
    """
    out: list[str] = []
    tokens = text.split()
    for i, token in enumerate(tokens):
        core = normalize(token).strip(_EDGE)
        tail = token[len(token.rstrip(_EDGE + "؟،")) :]
        if not core:
            out.append(token)
            continue
        entry = question_word(core, edge=i in (0, len(tokens) - 1))
        if entry is not None and normalize(entry[1]) != core:
            bare = core[1:] if core not in _QUESTION_WORDS else core
            prefix = core[0] if bare is not core else ""
            out.append(prefix + entry[1] + tail)
            continue
        std = function_word(core)
        if std is not None:
            if std:
                out.append(std + tail)
            elif tail:
                out.append(tail)
            continue
        out.append(token)
    return " ".join(out)
