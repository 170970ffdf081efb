"""Arabic normalisation and tokenisation for matching (never for display)."""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Literal

_DIACRITICS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")  # + tatweel
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff\u00ad]")
_TRANSLATE = str.maketrans(
    {
        "أ": "ا",
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ى": "ي",
        "ة": "ه",
        "ؤ": "و",
        "ئ": "ي",
        "ی": "ي",
        "ک": "ك",
        **{chr(0x0660 + i): str(i) for i in range(10)},  # Arabic-Indic digits
        **{chr(0x06F0 + i): str(i) for i in range(10)},  # Eastern Arabic-Indic digits
        "٫": ".",
        "٬": ",",
        "،": ",",
        "؛": ";",
        "؟": "?",
    }
)
_WORD = re.compile(r"[^\W_]+(?:[.,/][0-9]+)*", re.UNICODE)

# Clitics stripped before stemming: conjunction/preposition + article combinations.
_PREFIXES = ("وبال", "وكال", "وال", "فال", "بال", "كال", "لل", "ال")
_ARABIC_LETTER = re.compile("[\u0621-\u064a]")


def normalize(text: str) -> str:
    """Fold spelling variants so equal words compare equal.

    Removes diacritics, tatweel and invisible marks; folds alef/hamza forms, alef maqsura,
    taa marbuta and Arabic-Indic digits; applies NFKC and lower-cases Latin letters;
    folds runs of white space. Only for matching: shown text is never normalised.

    Args:
        text: Any text.

    Returns:
        The normalised text (its length may differ from the input's).
    """
    text = unicodedata.normalize("NFKC", text)
    text = _INVISIBLE.sub("", text)
    text = _DIACRITICS.sub("", text)
    text = text.translate(_TRANSLATE).lower()
    return " ".join(text.split())


# A small set of very common function words; they carry no content for matching.
STOPWORDS = frozenset(
    normalize(word)
    for word in [
        "في",
        "من",
        "الى",
        "إلى",
        "على",
        "عن",
        "مع",
        "ان",
        "أن",
        "إن",
        "كان",
        "كانت",
        "هو",
        "هي",
        "هم",
        "هذا",
        "هذه",
        "ذلك",
        "تلك",
        "التي",
        "الذي",
        "الذين",
        "ما",
        "ماذا",
        "متى",
        "اين",
        "أين",
        "كيف",
        "كم",
        "هل",
        "لماذا",
        "من",
        "أي",
        "اي",
        "و",
        "ف",
        "ثم",
        "او",
        "أو",
        "بين",
        "عند",
        "قد",
        "لا",
        "لم",
        "لن",
        "كل",
        "بعد",
        "قبل",
        "حتى",
        "منذ",
        "اذا",
        "إذا",
        "عن",
        "ضد",
        "خلال",
        "حول",
        "به",
        "بها",
        "له",
        "لها",
        "فيه",
        "فيها",
        "عليه",
        "عليها",
        "منه",
        "منها",
        "the",
        "a",
        "an",
        "of",
        "in",
        "on",
        "at",
        "to",
        "is",
        "are",
        "was",
        "were",
        "who",
        "what",
        "when",
        "where",
        "which",
        "how",
        "many",
        "much",
        "did",
        "do",
        "does",
        "and",
        "or",
        "for",
        "by",
        "with",
        "from",
    ]
)


def words(text: str) -> list[str]:
    """Split normalised text into word tokens, keeping numbers like 7/10/2023 whole.

    Args:
        text: Text, normalised or not.

    Returns:
        The word tokens of the normalised text.
    """
    return _WORD.findall(normalize(text))


@functools.lru_cache(maxsize=1)
def _stemmer() -> object:
    import Stemmer  # PyStemmer: Snowball's Arabic stemmer

    return Stemmer.Stemmer("arabic")


def strip_clitics(word: str) -> str:
    """Remove a leading article/conjunction cluster (و ف ب ك ل ال) from a normalised word.

    Args:
        word: A normalised word.

    Returns:
        The word without its prefix, or unchanged when too little would remain.
    """
    for prefix in _PREFIXES:
        if word.startswith(prefix) and len(word) - len(prefix) >= 2:
            return word[len(prefix) :]
    if len(word) >= 5 and word[0] in "وفبكل" and word[1:3] != "ال":
        return word[1:]
    return word


@functools.lru_cache(maxsize=65_536)
def stem(word: str) -> str:
    """Stem one normalised word for lexical matching (Snowball Arabic; Latin words lower-cased).

    Args:
        word: A normalised word token.

    Returns:
        Its stem; short words and numbers are returned as they are.
    """
    if not _ARABIC_LETTER.search(word) or len(word) <= 2:
        return word
    stemmed = _stemmer().stemWord(strip_clitics(word))  # type: ignore[attr-defined]
    return str(stemmed) if len(stemmed) >= 2 else word


def terms(text: str, *, drop_stopwords: bool = True) -> list[str]:
    """Tokens for BM25 and overlap scoring: normalised, stemmed, stop words removed.

    Args:
        text: Any text.
        drop_stopwords: Whether to leave out function words.

    Returns:
        The list of stemmed terms in text order.
    """
    out = []
    for w in words(text):
        if drop_stopwords and (w in STOPWORDS or (w[0] in "وف" and w[1:] in STOPWORDS)):
            continue
        out.append(stem(w))
    return out


# Singular and broken-plural templates that pair up in news Arabic, written in normalised letters
# with ف ع ل for the root's three letters: (singular, plural, singular → plural, plural →
# singular). «افعال» and «فعول» are also the shapes of common verbal nouns («اغلاق», «دخول»),
# and «افعله» of verbs with a pronoun («ارسله»), so those are only reached from the singular or
# only left for it.
_NUMBER_TEMPLATES = (
    ("فعيل", "فعلاء", True, True),  # وزير / وزراء, شهيد / شهداء
    ("فعيل", "فعلي", True, True),  # قتيل / قتلى, جريح / جرحى (ى is folded to ي)
    ("فعيله", "فعايل", True, True),  # حقيبة / حقائب (ة is folded to ه, ئ to ي)
    ("فعاله", "فعايل", True, True),  # رسالة / رسائل
    ("فعال", "افعله", False, True),  # سلاح / أسلحة
    ("مفعل", "مفاعل", True, True),  # مقعد / مقاعد, مدرسة / مدارس
    ("مفعول", "مفاعيل", True, True),  # مشروع / مشاريع
    ("مفعال", "مفاعيل", True, True),  # مفتاح / مفاتيح
    ("فاعل", "فواعل", True, True),  # شارع / شوارع, عاصمة / عواصم
    ("فعل", "افعال", True, False),  # حزب / أحزاب
    ("فعل", "فعول", True, False),  # شهر / شهور
)


def _template_regex(template: str) -> re.Pattern[str]:
    return re.compile("^" + "".join("(.)" if c in "فعل" else c for c in template) + "$")


def _fill(template: str, root: tuple[str, ...]) -> str:
    slots = dict(zip("فعل", root, strict=True))
    return "".join(slots.get(c, c) for c in template)


_NUMBER_RULES = tuple(
    (_template_regex(src), dst, towards)
    for singular, plural, forward, back in _NUMBER_TEMPLATES
    for src, dst, on, towards in (
        (singular, plural, forward, "plural"),
        (plural, singular, back, "singular"),
    )
    if on
)


# Units news writes abbreviated after a number («42 هك», «1000 كلم», «5 كغ»).
_UNIT_ABBREVIATIONS = {
    "هكتار": ("هك",),
    "كيلومتر": ("كلم",),
    "كيلوغرام": ("كغ", "كلغ"),
}


def unit_abbreviations(word: str) -> tuple[str, ...]:
    """How a unit of measure is abbreviated («هكتارا» → «هك»), or () for any other word.

    Args:
        word: A normalised word (singular, accusative or plural: «هكتار», «هكتارا», «هكتارات»).
    """
    for full, short in _UNIT_ABBREVIATIONS.items():
        if word in (full, full + "ا", full + "ات"):
            return short
    return ()


@functools.lru_cache(maxsize=8_192)
def number_variants(word: str, towards: Literal["plural", "singular", ""] = "") -> tuple[str, ...]:
    """A noun's other number, singular ↔ broken plural, by the common templates.

    Snowball stems «مقعدا» to «مقعد» and «مقاعد» to «مقاعد»: a question asking «كم مقعدا»
    never meets an article saying «8 مقاعد». The variants are guesses made from the word's
    shape alone (a verb can take a noun's shape), so callers use them where a noun is
    certain, e.g. what «كم» counts, and only those that occur count.

    Args:
        word: A normalised word.
        towards: "plural" (the word is a singular) or "singular" (it is a plural); empty:
            either.

    Returns:
        Its candidate singulars or plurals (normalised, without clitics), none with its
        own stem.
    """
    if not _ARABIC_LETTER.search(word) or len(word) < 3:
        return ()
    forms = {word, strip_clitics(word)}
    # The accusative ending of «مقعدا», the feminine one of «مدرسه», the dual of «مقعدين».
    forms |= {f[:-1] for f in forms if len(f) >= 4 and f[-1] in "اه"}
    forms |= {f[:-2] for f in forms if len(f) >= 6 and f[-2:] in ("ين", "ان")}
    own = stem(word)
    out: dict[str, None] = {}
    for form in forms:
        for pattern, target, direction in _NUMBER_RULES:
            if towards and direction != towards:
                continue
            m = pattern.match(form)
            if m and not (target == "فعيل" and form[0] == "ا"):  # «اخرى», «اولى»: no plurals
                variant = _fill(target, m.groups())
                if stem(variant) != own:
                    out[variant] = None
    return tuple(out)
