"""Find the span that answers inside a passage: the name, number, date or place asked for."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from index.arabic import STOPWORDS, normalize, number_variants, stem, strip_clitics, terms
from qa.places import find_places, is_demonym
from qa.question import Question

_DIGITS = "0-9\u0660-\u0669\u06f0-\u06f9"
_NUMBER = re.compile(rf"[{_DIGITS}]+(?:[.,٫٬/][{_DIGITS}]+)*")
# Month names: Gregorian (Egypt and the Gulf), Syriac (the Levant and Iraq), Maghrebi (French)
# and English.
_MONTHS = (
    "يناير|فبراير|مارس|أبريل|ابريل|إبريل|مايو|يونيو|يوليو|أغسطس|اغسطس|سبتمبر|أكتوبر|اكتوبر|نوفمبر|ديسمبر|"
    "كانون الثاني|شباط|آذار|اذار|نيسان|أيار|ايار|حزيران|تموز|آب|أيلول|ايلول|تشرين الأول|تشرين الثاني|"
    "كانون الأول|جانفي|فيفري|أفريل|افريل|ماي|جوان|جويلية|جويليه|أوت|اوت|"
    "January|February|March|April|May|June|July|August|September|October|November|December"
)
_WEEKDAYS = "السبت|الأحد|الاحد|الإثنين|الاثنين|الثلاثاء|الأربعاء|الاربعاء|الخميس|الجمعة"
# An era after a year: «1529م», «358 هـ», «280 قبل الميلاد».
_ERA = (
    r"(?:\s*(?:م|هـ|ه|ق\.\s?م|قبل الميلاد|بعد الميلاد|ميلادي|ميلادية|هجري|هجرية)(?![^\s.,،؛:)\]]))?"
)
DATE = re.compile(
    rf"(?:(?:(?:[{_DIGITS}]{{1,2}}|غرة|غرّة)\s+)?(?:{_MONTHS})(?:\s*/\s*(?:{_MONTHS})|\s*\((?:{_MONTHS})\))?"
    rf"(?:\s+(?:عام\s+)?[{_DIGITS}]{{4}})?"
    rf"|[{_DIGITS}]{{1,2}}[/.-][{_DIGITS}]{{1,2}}[/.-][{_DIGITS}]{{2,4}}"
    rf"|(?:عام|سنة|سنه)\s+[{_DIGITS}]{{3,4}}"
    rf"|(?<![{_DIGITS}])(?:1[0-9]{{3}}|20[0-9]{{2}})(?![{_DIGITS}])"
    # A weekday, and the date that follows it: «(يوم) الاثنين 10 أكتوبر 2016».
    rf"|(?:(?<!\S)|(?<=و))(?:يوم\s+)?(?:{_WEEKDAYS})"
    rf"(?:\s+[{_DIGITS}]{{1,2}}\s+(?:{_MONTHS})(?:\s+[{_DIGITS}]{{4}})?)?"
    # A year of three or four digits written with its era: «في 874م».
    rf"|(?<![{_DIGITS}])[{_DIGITS}]{{3,4}}(?=\s*(?:م|هـ)(?![^\s.,،؛:)\]])))"
    rf"{_ERA}",
    re.IGNORECASE,
)
# How long ago or for how long («منذ 50 عاما», «منذ سنتين», «لمدة ثلاثة أشهر»): what «منذ متى»
# asks for.
_TIME_UNITS = (
    "عام|عاما|أعوام|اعوام|سنة|سنوات|سنين|شهر|شهرا|أشهر|اشهر|شهور|أسبوع|أسبوعا|أسابيع|اسبوع|"
    "اسبوعا|اسابيع|يوم|يوما|أيام|ايام|ساعة|ساعات|دقيقة|دقائق|عقد|عقود|قرن|قرون"
)
_TIME_DUALS = "عامين|سنتين|شهرين|أسبوعين|اسبوعين|يومين|ساعتين|عقدين|قرنين"
_SINCE_WORDS = frozenset(normalize(w) for w in ("منذ", "مذ"))
_SINCE_BEFORE = re.compile(r"(?<!\S)(?:منذ|مذ)\s+$")
_WEEKDAY_ONLY = re.compile(rf"(?:يوم\s+)?(?:{_WEEKDAYS})")
# Number words (a count may be written out) and the scale words that follow a number.
_NUMBER_WORDS = (
    "واحد|واحدة|اثنان|اثنين|اثنتان|ثلاث|ثلاثة|أربع|أربعة|اربعة|خمس|خمسة|ست|ستة|سبع|سبعة|ثمان|ثمانية|"
    "تسع|تسعة|عشر|عشرة|عشرون|عشرين|ثلاثون|ثلاثين|أربعون|أربعين|خمسون|خمسين|ستون|ستين|سبعون|سبعين|"
    "ثمانون|ثمانين|تسعون|تسعين|مئة|مائة|مئات|ألف|آلاف|الف|الاف|مليون|ملايين|مليار|مليارات|نصف|ربع|ثلث"
)
_SCALE = (
    r"(?:\s*%|\s*(?:ألف|آلاف|الف|الاف|مليون|ملايين|مليار|مليارات)|\s+(?:بالمائة|بالمئة|في المائة"
    r"|في المئة|%))?"
)
DURATION = re.compile(
    r"(?<!\S)(?:منذ|مذ|قبل|لمدة|طيلة|طوال)\s+(?:(?:نحو|حوالي|حوالى|أكثر من|اكثر من|قرابة)\s+)?"
    rf"(?:(?:[{_DIGITS}]+|(?:{_NUMBER_WORDS}))\s+(?:{_TIME_UNITS})|{_TIME_DUALS}|{_TIME_UNITS})"
    # («منذ عام 2011» is a date: «عام 2011».)
    rf"(?![^\s.,،؛:!?؟)])(?!\s*[{_DIGITS}])"
)
_BIG = ("ألف", "آلاف", "الف", "الاف", "مليون", "ملايين", "مليار", "مليارات")
_BIG_FORMS = tuple({normalize(w) for w in _BIG})
# Units of measure and currencies written after a number («1000 كلم», «600 طن», «1800 دينار»):
# part of the answer, and what tells a measure from a year.
_UNIT_WORDS = (
    "كلم كم كيلومتر كيلومترا كيلومترات متر مترا أمتار ميل ميلا أميال سنتيمتر هكتار هكتارا "
    "هكتارات هك طن طنا أطنان كغ كلغ كيلوغرام كيلوغراما غرام لتر لترا ليتر لترات برميل "
    "دينار دينارا دنانير دولار دولارا دولارات يورو أورو اورو ريال ريالا درهم درهما دراهم "
    "جنيه جنيها ليرة مليم"
)
_UNIT = (
    r"(?:\s*(?:"
    + "|".join(sorted(_UNIT_WORDS.split(), key=len, reverse=True))
    + r")(?![^\s.,،؛:!?؟)]))?"
)
_UNIT_END = re.compile(r"\s+(?:" + "|".join(normalize(w) for w in _UNIT_WORDS.split()) + r")$")
_BIG_WORDS = "آلاف|الاف|مئات|ملايين|مليارات"
_SCALE_WORDS = "ألف|آلاف|الف|الاف|مليون|ملايين|مليار|مليارات"
_ORDINALS_1_9 = (
    "الحادي الحادية الثاني الثانية الثالث الثالثة الرابع الرابعة الخامس الخامسة السادس "
    "السادسة السابع السابعة الثامن الثامنة التاسع التاسعة"
)
_AFTER_ORDINAL = "".join(f"(?<!{w} )" for w in _ORDINALS_1_9.split())
_ORDINAL_WORDS = "|".join(
    [*_ORDINALS_1_9.split(), "الأول", "الأولى", "الاول", "الاولى", "العاشر", "العاشرة"]
)
_ONE_COUNT = (
    rf"[{_DIGITS}]+(?:[.,٫٬][{_DIGITS}]+)*{_SCALE}{_UNIT}"
    # A number word may carry a conjunction or preposition («بثمانية مقاعد»), left outside;
    # not a three-letter one («لست» is "I am not").
    rf"|(?:(?<!\S)|(?:(?<=(?<!\S)[وفبل])|(?<=(?<!\S)[وف][بل]))(?=\S{{4}}))"
    # With the article a number word is an ordinal or a weekday («السادسة والثلاثين», «الاثنين»
    # is Monday), except the big units and before them («الآلاف», «الأربعة ملايين»); nor is
    # «عشر(ة)» after an ordinal a count («الدورة الحادية عشرة»).
    rf"{_AFTER_ORDINAL}(?:ال(?:{_BIG_WORDS})|ال(?:{_NUMBER_WORDS})(?=\s+(?:{_SCALE_WORDS}))"
    rf"|(?:{_NUMBER_WORDS}))"
    rf"(?:\s+(?:و)?(?:{_NUMBER_WORDS}))*(?![^\s.,،؛:!?؟)])"
)
# A count goes on past a big unit with «و»: «4 ملايين و800 ألف», «مليون و260 ألف».
COUNT = re.compile(
    rf"(?:{_ONE_COUNT})"
    rf"(?:(?:{'|'.join(f'(?<={w})' for w in _BIG)})\s*و\s*(?:[{_DIGITS}]+{_SCALE}|{_NUMBER_WORDS}))*"
)
# A rank, for a window with no count at all («الرئيس رقم كم؟» over «الثاني عشر»): number words
# with the article and after an ordinal too (not the weekday «الاثنين»).
RANK = re.compile(
    rf"(?:(?<!\S)|(?<=(?<!\S)[وفبل]))(?!ال[اإ]ثنين(?![^\s.,،؛:!?؟)]))"
    rf"(?:{_ORDINAL_WORDS}|(?:ال)?(?:{_NUMBER_WORDS}))"
    rf"(?:\s+(?:و)?(?:ال)?(?:{_NUMBER_WORDS}))*(?![^\s.,،؛:!?؟)])"
)
_RANK_WORDS = frozenset(normalize(w) for w in ("رقم", "ترتيب", "الترتيب", "المرتبة", "مرتبة"))
# Words that introduce a purpose: «من أجل», «بهدف», and the accusative verbal nouns news uses
# for it («ترحماً على», «احتجاجاً على», «تضامناً مع»), written with or without the tanween.
_PURPOSE = "|".join(
    [
        "من أجل",
        "من اجل",
        "بهدف",
        "بغية",
        "لغرض",
        *(
            f"{word}ً?"
            for word in (
                "سعيا",
                "حرصا",
                "ترحما",
                "حدادا",
                "احتجاجا",
                "تضامنا",
                "تكريما",
                "تنديدا",
                "استنكارا",
                "رفضا",
                "دعما",
                "تخليدا",
                "وفاء",
                "تجنبا",
                "تفاديا",
                "خوفا",
                "توقيا",
                "تحسبا",
                "درءا",
                "منعا",
                "حفاظا",
                "استعدادا",
                "تمهيدا",
                "ردا",
            )
        ),
    ]
)
# Words that introduce a cause (or the purpose the «لماذا» asks for).
_CAUSE = re.compile(
    r"(?:بسبب|لسبب|إثر|اثر|على إثر|على اثر|جراء|جرّاء|بفعل|نتيجة|بعد|لأن|لان|لأنه|لانه|نظرا ل|نظراً ل"
    rf"|على خلفية|بدعوى|بتهمة|بداعي|{_PURPOSE}|because|due to|after)\s",
    re.IGNORECASE,
)
_TOKEN = re.compile(r"[^\s،,.؛;:!؟?()\[\]«»\"“”]+")
_BREAK = re.compile(r"[،,.؛;:!؟?()\[\]«»\"“”\n-]")


@dataclass(frozen=True)
class Focus:
    """The span that answers, with how sure the finder is of its type."""

    start: int
    end: int
    typed: bool
    # A name given with the office the question asks about («رئيس الوزراء» asked: «شريف إسماعيل،
    # رئيس الوزراء،»), the surest kind of «من» answer.
    office_asked: bool = False


_CLITICS = ("وبال", "وال", "فال", "بال", "كال", "لل", "ال", "و", "ف", "ب", "ل", "ك")


_RELATIVES = frozenset(
    normalize(w)
    for w in ("الذي", "التي", "الذين", "اللذان", "اللتان", "اللذين", "اللتين", "اللواتي")
)
# «أنّ/إنّ», alone or with a pronoun: they open a clause, never a name («…، أنه يتابع …»).
_PARTICLES = frozenset(
    normalize(p + suffix)
    for p in ("أن", "إن", "لأن", "بأن", "وأن", "وإن")
    for suffix in ("", "ه", "ها", "هم", "هما", "هن", "ني", "نا")
)
# How a title's complement opens («بالحركة», «للشؤون», «باسم»).
_COMPLEMENT = ("بال", "لل", "باسم")
# An accusative participle («موجهة», «مشيرا», «مؤكدة»): how the subject acted, after its name.
# (Read as written: a foreign name ending in «ه», «مورسه», is no participle.)
_CIRCUMSTANTIAL = re.compile(r"م\w{3,6}(?:ة|اً?)")
# The words that join the parts of one name («عبد الله بن زايد آل نهيان», «أبو بكر»): they do
# not count towards a name's length, and the name is not cut at them.
_NAME_JOINS = frozenset(normalize(w) for w in ("بن", "ابن", "بنت", "آل", "أبو", "أبي", "عبد"))


def _bare(word: str) -> set[str]:
    """A normalised word and its forms without leading conjunctions, prepositions and article."""
    out = {word}
    for clitic in _CLITICS:
        if word.startswith(clitic) and len(word) - len(clitic) >= 3:
            out.add(word[len(clitic) :])
    return out


def _asked(question: Question) -> tuple[set[str], set[str]]:
    """The question's (and the conversation's) terms, and the question's words in bare forms."""
    own = set(question.terms) | set(question.history_terms)
    words = {b for w in question.asked_words for b in _bare(w)}
    return own, words


def _is_asked(word: str, own: set[str], words: set[str]) -> bool:
    norm = normalize(word)
    if _bare(norm) & words:
        return True
    found = terms(norm)
    return bool(found) and all(t in own for t in found)


def _rarity(idf: Callable[[str], float], word: str) -> float:
    """How rare a word is in the archive (a bare article or clitic, with no stem, is not)."""
    term = stem(normalize(word))
    return idf(term) if term else 0.0


def _tokens(text: str, start: int, end: int) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in _TOKEN.finditer(text, start, end)]


def _anchor_tokens(
    text: str, tokens: list[tuple[int, int]], question: Question, words: set[str]
) -> list[tuple[int, int]]:
    """The question's own words in the span (else the conversation's words)."""
    own = set(question.terms)
    anchors = [(s, e) for s, e in tokens if _is_asked(text[s:e], own, words)]
    if anchors:
        return anchors
    context = own | set(question.history_terms)
    return [(s, e) for s, e in tokens if _is_asked(text[s:e], context, words)]


def _nearest(anchors: list[int], pos: int) -> int:
    return min((abs(a - pos) for a in anchors), default=0)


def _pattern_focus(
    pattern: re.Pattern[str],
    text: str,
    start: int,
    end: int,
    question: Question,
    anchors: list[int],
    skip: Callable[[str], bool] | None = None,
    counted_only: bool = False,
    subject_at: int = -1,
    counted: tuple[str, ...] = (),
) -> tuple[int, int] | None:
    """The match of `pattern` in the span that answers (not the question's own numbers).

    What is counted comes first (`counted`: the stems of «كم»'s noun in either number, «كم مقعدا»
    answered by «8 مقاعد»), then the part of the sentence naming the question's rarest word (at
    `subject_at`), then the match nearest the question's words.
    """
    best: tuple[tuple[bool, bool, int], tuple[int, int]] | None = None
    # «حصد ماكرون 24% فيما حصلت لوبان على 21%» asked about Macron: the part of the sentence
    # that names the question's rarest word, before or after «فيما/بينما/في حين», comes first.
    side = _part(text, start, subject_at) if subject_at >= 0 else 0
    asked = {normalize(n) for n in (*question.numbers, *question.context_numbers)}
    for m in pattern.finditer(text, start, end):
        s, e = m.start(), m.end()
        while e > s and text[e - 1].isspace():
            e -= 1
        found = normalize(text[s:e])
        if not found.strip() or any(found == a or found.endswith(" " + a) for a in asked):
            continue  # the question's own number or year
        if skip is not None and skip(found):
            continue
        # «70 مشاركا من 30 دولة» asked «كم مشاركا»: the number of what is counted comes first.
        # (A unit the match ends with may be what is counted: «600 طنا» asked «كم طنا».)
        counts = _counted_end(text, e, counted) >= 0 or (
            " " in text[s:e].strip() and _is_counted(text[s:e].split()[-1], counted)
        )
        if counted_only and not counts:
            continue
        other_part = subject_at >= 0 and _part(text, start, s) != side
        key = (not counts, other_part, _nearest(anchors, s))
        if best is None or key < best[0]:
            best = (key, (s, e))
    return best[1] if best else None


_CONTRAST = re.compile(r"(?<!\S)(?:فيما|بينما|في حين|وفي حين|مقابل|أما|وأما)(?!\S)")


def _part(text: str, start: int, pos: int) -> int:
    """How many contrasting clauses («فيما», «بينما», «في حين») open between start and pos."""
    return len(_CONTRAST.findall(text, start, pos))


def _rarest_asked(
    text: str,
    tokens: list[tuple[int, int]],
    own: set[str],
    words: set[str],
    idf: Callable[[str], float],
) -> int:
    """Where the question's rarest word is in the span (-1: none of its words is)."""
    found = [(s, e) for s, e in tokens if _is_asked(text[s:e], own, words)]
    if not found:
        return -1
    return max(found, key=lambda t: _rarity(idf, text[t[0] : t[1]]))[0]


# «بين 10 و15», «من 1908 إلى 1914», «بين عامي 1908 و1914»: a range is answered whole.
_RANGE_OPEN = re.compile(r"(?<!\S)(?:بين|من)\s+(?:عامي\s+|سنتي\s+)?$")
_RANGE_JOIN = re.compile(r"\s*(?:و|إلى|الى|حتى|-|–)\s*")
_RANGE_BEFORE = re.compile(
    r"(?<!\S)(?:بين|من)\s+(?:عامي\s+|سنتي\s+)?(\S+(?:\s\S+)?)\s*(?:و|إلى|الى|حتى|-|–)\s*$"
)


def _with_range(
    text: str, start: int, end: int, span: tuple[int, int] | None, pattern: re.Pattern[str]
) -> tuple[int, int] | None:
    """The span widened to the range it opens or closes («بين 10 و15 قتيلا» → «10 و15»)."""
    if span is None:
        return None
    s, e = span
    if _RANGE_OPEN.search(text, max(start, s - 16), s):
        join = _RANGE_JOIN.match(text, e, end)
        other = pattern.match(text, join.end(), end) if join else None
        if other is not None and other.end() > other.start():
            return s, other.end()
        return span
    before = _RANGE_BEFORE.search(text, max(start, s - 40), s)
    if before is not None:
        first = pattern.fullmatch(text, before.start(1), before.end(1))
        if first is not None:
            return before.start(1), e
    return span


_AFTER_NUMBER = re.compile(rf"[{_DIGITS}]\s*$")


def _count_focus(
    text: str,
    start: int,
    end: int,
    question: Question,
    anchor_tokens: list[tuple[int, int]],
    subject_at: int,
) -> tuple[int, int] | None:
    """The count a «كم» question asks for, with what it counts and the range it belongs to.

    First the number of what is counted («27 علبة» asked «كم علبة»), then a count with its
    scale («أربعة ملايين», «20 بالمائة»), then any number but a year, then any number.
    """
    counted = _counted(question)
    # The counted noun after a number is no guide to which number («9 مقاعد من أصل 40
    # مقعدا»): nearness is to the question's other words.
    anchors = [
        s
        for s, e in anchor_tokens
        if not (stem(normalize(text[s:e])) in counted and _AFTER_NUMBER.search(text, start, s))
    ] or [s for s, _ in anchor_tokens]
    # A share answers «كم عدد…» only when a share is asked for («ما نسبة…»).
    shares = bool(question.asked_words & _SHARE_WORDS)

    def share(found: str) -> bool:
        return not shares and _is_share(found)

    passes: list[tuple[Callable[[str], bool] | None, bool]] = [
        (share, True),
        (lambda f: _unscaled(f) or share(f), False),
        (lambda f: _is_year(f) or share(f), False),
        (None, False),
    ]
    span = None
    for skip, counted_only in passes:
        span = _pattern_focus(
            COUNT, text, start, end, question, anchors, skip, counted_only, subject_at, counted
        )
        if span is not None:
            break
    span = _with_range(text, start, end, span, COUNT)
    if span is not None:
        # The count with what it counts: «27 علبة», «ثمانية مقاعد»; else («How many…?», «كم
        # عدد الضحايا؟» over «48 شخصا») the accusative noun after it.
        noun_end = _counted_end(text, span[1], counted) if counted else -1
        if noun_end < 0:
            noun_end = _tamyiz_end(text, span[1])
        if 0 <= noun_end <= end:
            span = (span[0], noun_end)
    return span


_TIME_UNIT_FORMS = frozenset(normalize(w) for w in (_TIME_UNITS + "|" + _TIME_DUALS).split("|"))
# Accusatives after a number that are no counted noun: «48 تقريبا», «300 سنويا».
_ADVERBS = frozenset(normalize(w) for w in ("تقريبا", "أيضا", "حاليا", "مثلا", "إذا"))


def _word_after(text: str, end: int) -> re.Match[str] | None:
    """The word right after `end` (only white space between), or None."""
    m = _TOKEN.search(text, end, min(len(text), end + 40))
    return None if m is None or text[end : m.start()].strip() else m


def _tamyiz_end(text: str, end: int) -> int:
    """Where the noun a number counts in the accusative («48 شخصا», «15 طفلاً») ends; else -1.

    Not an adverb («تقريبا», «سنويا»: «…يا» is a relative adjective's).
    """
    m = _word_after(text, end)
    if m is None:
        return -1
    word = normalize(m.group())
    if word in _TIME_UNIT_FORMS:  # «43 سنة», «3 أيام»
        return m.end()
    if (
        len(word) < 4
        or not word.endswith("ا")
        or word.endswith("يا")
        or word.startswith("ال")
        or word in _ADVERBS
        or word in STOPWORDS
    ):
        return -1
    return m.end()


_BORN = frozenset(normalize(w) for w in ("ولد", "ولدت", "يولد", "مولد", "ميلاد", "مواليد"))
_DIED = frozenset(
    normalize(w)
    for w in ("توفي", "توفيت", "توفى", "مات", "ماتت", "وفاة", "رحل", "رحلت", "رحيل", "موت")
)
_LIFE = re.compile(r"\(([^()]{1,120}?)\s*[-–—]\s*([^()]{1,120}?)\)")


def _life_date(text: str, start: int, end: int, question: Question) -> tuple[int, int] | None:
    """Asked when X was born or died, the first or second date of «X (1332 - 1406)»."""
    asked = {strip_clitics(w) for w in question.asked_words}
    side = 1 if asked & _BORN else 2 if asked & _DIED else 0
    if not side:
        return None
    for m in _LIFE.finditer(text, start, end):
        date = DATE.search(text, m.start(side), m.end(side))
        if date is not None:
            return date.start(), date.end()
    return None


def _counted(question: Question) -> tuple[str, ...]:
    """The stems of what a «كم» question counts, in its singular and plural («مقعد», «مقاعد»)."""
    head = normalize(question.head) if question.qtype == "how_many" else ""
    return (stem(head), *(stem(v) for v in number_variants(head))) if head else ()


def _counted_end(text: str, end: int, counted: tuple[str, ...]) -> int:
    """Where the counted noun right after a number (ending at `end`) ends; -1 if it is not there.

    Args:
        text: The passage.
        end: Where the number ends.
        counted: `_counted(question)`.
    """
    m = _word_after(text, end)
    return m.end() if m is not None and _is_counted(m.group(), counted) else -1


def _is_counted(word: str, counted: tuple[str, ...]) -> bool:
    """Whether a word is the noun a «كم» question counts (`_counted`), in either number."""
    word = stem(normalize(word))
    return len(word) >= 3 and any(
        len(c) >= 3 and (word.startswith(c) or c.startswith(word)) for c in counted
    )


_SHARE_WORDS = frozenset(
    normalize(w)
    for w in ["نسبة", "النسبة", "بنسبة", "نسبه", "بالمائة", "بالمئة", "%", "percent", "percentage"]
)
_SHARE = re.compile(
    "|".join(re.escape(normalize(w)) for w in ("%", "بالمائة", "بالمئة", "في المائة", "في المئة"))
)


def _is_share(found: str) -> bool:
    """Whether a (normalised) count is a percentage («15 بالمائة», «20%»)."""
    return bool(_SHARE.search(found))


def _unscaled(found: str) -> bool:
    """A bare number, with or without a unit («1000», «1000 كلم»; not «4 ملايين», «20%»)."""
    found = _UNIT_END.sub("", found)
    return " " not in found and "%" not in found and not found.endswith(_BIG_FORMS)


def _is_year(found: str) -> bool:
    return bool(re.fullmatch(r"(1[0-9]|20)[0-9]{2}", found))


def _name_focus(
    text: str,
    tokens: list[tuple[int, int]],
    own: set[str],
    words: set[str],
    idf: Callable[[str], float],
    max_words: int = 4,
    office: frozenset[str] = frozenset(),
) -> tuple[int, int, bool, bool] | None:
    """The run of words next to the question's words that is most likely a name.

    Runs are maximal sequences of words that are neither the question's nor function words,
    unbroken by punctuation; each is scored by the rarity of its words (names are rare), and
    only runs touching a question word or following a title count. The third item says whether
    the run follows a title («الرئيس», «وزير», «المنسق»…), the fourth whether that title is one
    the question asks about (right before the name, or across a comma: `_apposed`); `office` is
    the question's first title (`_office_asked`: «مين الحكم … ماتش النجم؟» asks for the referee,
    not «النجم»).
    """
    flags = []
    for s, e in tokens:
        word = normalize(text[s:e])
        asked = _is_asked(text[s:e], own, words)
        stop = (
            word in STOPWORDS
            or word in _PARTICLES
            or (len(word) > 1 and word[0] in "وف" and word[1:] in STOPWORDS)
            or any(ch.isdigit() for ch in word)
        )
        flags.append((s, e, asked, stop))
    # A title is not part of the name it introduces: it ends the run before it and the name's
    # run starts after it («تكليف القيادي بالحركة المنصف السلامي»).
    titles = [_is_title(text, (s, e)) for s, e, _, _ in flags]
    # A nationality after a title belongs to it: «الحكم المصري محمد معروف», «الرئيس الفرنسي X».
    demonym = [False] * len(flags)
    for k in range(1, len(flags)):
        if titles[k - 1] and is_demonym(normalize(text[flags[k][0] : flags[k][1]])):
            demonym[k] = titles[k] = True
    best: tuple[tuple[bool, float], tuple[int, int, bool, bool]] | None = None
    i = 0
    while i < len(flags):
        if flags[i][2] or flags[i][3] or titles[i]:
            i += 1
            continue
        j = i
        # A name given after a naming word may hold the question's words: «تحمل اسم مركز الأمان»
        # asked «ما اسم الميزة … للأمان؟».
        named = i > 0 and _is_naming(text, flags[i - 1][:2])
        joins = [_is_join(text, flags[i][:2])]
        while (
            j + 1 < len(flags)
            and (named or not flags[j + 1][2])
            and not (named and _opens_clause(text, flags[j + 1][:2]))
            and not flags[j + 1][3]
            and not titles[j + 1]
            and j + 1 - i - sum(joins) < max_words
            and not _BREAK.search(text[flags[j][1] : flags[j + 1][0]])
        ):
            j += 1
            joins.append(_is_join(text, flags[j][:2]))
        before = (
            i > 0 and flags[i - 1][2] and not _BREAK.search(text[flags[i - 1][1] : flags[i][0]])
        )
        after = (
            j + 1 < len(flags)
            and flags[j + 1][2]
            and not _BREAK.search(text[flags[j][1] : flags[j + 1][0]])
        )
        # «… من قبل الكيان الصهيوني الذي هدّد …» asked «من هدد؟»: the doer, before a relative
        # pronoun and the question's verb.
        doer = (
            j + 2 < len(flags)
            and normalize(text[flags[j + 1][0] : flags[j + 1][1]]) in _RELATIVES
            and flags[j + 2][2]
            and not _BREAK.search(text[flags[j][1] : flags[j + 2][0]])
        )
        apposed = _apposed(text, flags, i, j)
        title_at = _title_before(text, flags, titles, i)
        title_before = title_at is not None
        titled = title_before or apposed
        # The office asked about: the title and the words between it and the name are the
        # question's («وزير التربية ناجي جلول» asked «من وزير التربية؟», not «ووزيرة المالية،
        # لمياء …» beside it).
        asked_title = apposed or (
            title_at is not None
            and _is_office_asked(text, flags, demonym, title_at, office)
            and all(flags[k][2] or demonym[k] for k in range(title_at, i))
        )
        if before or after or doer or titled:
            rarity = [_rarity(idf, text[s:e]) for s, e, _, _ in flags[i : j + 1]]
            # Trim common words at the ends of the run (a verb or adverb after the name).
            top = max(rarity)
            a, b = i, j
            # Two words after a title are a first name and a surname, however common the
            # surname's stem («الكاتب العام منير الشعبوني»: «شعب»).
            pair = title_before and j == i + 1
            while b > a and rarity[b - i] < 0.5 * top and not pair:
                b -= 1
            # A participle after the name says how the person acted («… رياض المؤخر موجهة له»,
            # «… مشيرا إلى»), whatever its rarity: «مُفعِلة/مُفعِلا» closing a run is not a name.
            while (
                b > a
                and not (pair and b == j)
                and _CIRCUMSTANTIAL.fullmatch(text[flags[b][0] : flags[b][1]])
            ):
                b -= 1
            # A name's first word is often a common one («أحمد السروي»): the start is kept where
            # the run follows the question's words («مدير فنون أبها أحمد السروي»), unless they end
            # with a title, whose complement may open the run («رئيس الحزب المعارض فروديبو»).
            # Nor is a name joined by «بن/آل/عبد…» cut inside («عبد الله بن زايد آل نهيان»).
            # When the question holds the title's complement too («مدير فنون أبها أحمد …»),
            # the run is past it and is kept whole.
            complement_asked = title_at is not None and title_at < i - 1 and before
            keep_start = (before and not title_before) or complement_asked or any(joins[: b - i])
            while a < b and rarity[a - i] < 0.5 * top and not keep_start:
                a += 1
            # Right before the office it is set off beside, a name is its last two words (and
            # the «بن/عبد…» joining them): what comes before them is the clause that names it
            # («تقرر تعيين رضا بالحاج رئيسا»: «رضا بالحاج»).
            if apposed and j + 1 < len(flags) and _is_office(text, flags[j + 1][:2]):
                b = j
                first = b - 1
                while first - 1 >= a and (joins[first - 1 - i] or joins[first - i]):
                    first -= 1
                a = max(i, min(first, b))
            # What follows a title before the name is its complement, not the name
            # («القيادي بالحركة المنصف السلامي», «المتحدث باسم الوزارة أحمد …»).
            while (
                a < b
                and title_before
                and normalize(text[flags[a][0] : flags[a][1]]).startswith(_COMPLEMENT)
            ):
                a += 1
            # The name given with the office the question asks about comes first (the surest
            # «من» answer), then rarity, nearness and a title.
            score = (
                asked_title,
                sum(rarity[a - i : b - i + 1]) / (b - a + 1)
                + (0.5 if before or doer else 0.0)
                + (1.0 if titled else 0.0),
            )
            if best is None or score > best[0]:
                best = (score, (flags[a][0], flags[b][1], titled, asked_title))
        i = j + 1
    return best[1] if best else None


def _office_asked(question: Question) -> frozenset[str]:
    """The bare forms of the first title the question names («من هو وزير التربية؟»: «وزير»)."""
    for word in normalize(question.text).split():
        forms = _bare(word.strip("؟?!.,،"))
        if forms & _offices():
            return frozenset(forms)
    return frozenset()


def _is_office_asked(
    text: str,
    flags: list[tuple[int, int, bool, bool]],
    demonym: list[bool],
    k: int,
    office: frozenset[str],
) -> bool:
    """Whether the title at flags[k] (or the one its nationality follows) is the office asked.

    A title after «ل» is another title's complement («المساعد الأول لرئيس النيابة X»: X is the
    assistant), never the office itself.
    """
    while k > 0 and demonym[k]:
        k -= 1
    word = normalize(text[flags[k][0] : flags[k][1]])
    if _of_another_title(word):
        return False
    return not office or bool(_bare(word) & office)


def _of_another_title(word: str) -> bool:
    """A (normalised) title after «ل»: another title's complement («المساعد لرئيس النيابة»)."""
    return word.startswith("ل") and not word.startswith("ال")


def _token_in(text: str, token: tuple[int, int], table: frozenset[str]) -> bool:
    """Whether the word at `token` (or its form without clitics) is in a table of bare forms."""
    return bool(_bare(normalize(text[token[0] : token[1]])) & table)


def _is_title(text: str, token: tuple[int, int]) -> bool:
    return _token_in(text, token, _titles())


def _opens_clause(text: str, token: tuple[int, int]) -> bool:
    """A word with the conjunction «و» and no article («وسيعتبر», «ويهدف»): the next clause."""
    word = normalize(text[token[0] : token[1]])
    return len(word) > 3 and word[0] == "و" and not word.startswith("وال")


def _is_join(text: str, token: tuple[int, int]) -> bool:
    return normalize(text[token[0] : token[1]]) in _NAME_JOINS


def _is_office(text: str, token: tuple[int, int]) -> bool:
    """A title, also in the accusative after a name («تعيين رضا بالحاج رئيسا للهيئة»)."""
    if _token_in(text, token, _offices()):
        return True
    word = normalize(text[token[0] : token[1]])
    # (Not «رئيسها», "its head", whose «ه» folds like the «ة» of «رئيسة».)
    accusative = word.endswith("ا") and not word.endswith("ها")
    return len(word) > 4 and accusative and bool(_bare(word[:-1]) & _offices())


def _is_naming(text: str, token: tuple[int, int]) -> bool:
    return _token_in(text, token, _naming())


def _title_before(
    text: str, flags: list[tuple[int, int, bool, bool]], titles: list[bool], i: int
) -> int | None:
    """The title the run starting at flags[i] follows (its index), right after it or its complement.

    «القيادي رامي …», and «القيادي بالحزب رامي …» or «المتحدث باسم الوزارة أحمد …» even when the
    complement holds the question's words (then it is not part of the run), or across the comma
    of an apposition: «رئيس الحكومة، يوسف الشاهد».
    """
    if i > 0 and titles[i - 1]:
        return i - 1
    if i > 0 and text[flags[i - 1][1] : flags[i][0]].strip() in ("،", ","):
        for k in (i - 1, i - 2, i - 3):
            if k < 0 or (k < i - 1 and _BREAK.search(text[flags[k][1] : flags[i - 1][0]])):
                break
            if titles[k]:
                return k
    for k in (i - 2, i - 3):
        if k < 0 or not titles[k]:
            continue
        complement = flags[k + 1 : i]
        if not normalize(text[complement[0][0] : complement[0][1]]).startswith(_COMPLEMENT):
            continue
        if not _BREAK.search(text[flags[k][1] : flags[i][0]]):
            return k
    # The office the question asks about, with its complement in the question's words too:
    # «وزير الشؤون المحلية والبيئة رياض المؤخر» asked «من هو وزير الشؤون المحلية والبيئة؟».
    k = i - 1
    while k >= max(0, i - 10) and flags[k][2]:
        if _BREAK.search(text[flags[k][1] : flags[k + 1][0]]):
            break
        if titles[k]:
            return k
        k -= 1
    return None


def _apposed(text: str, flags: list[tuple[int, int, bool, bool]], i: int, j: int) -> bool:
    """Whether the run flags[i..j] is set off by commas beside a title phrase the question asks about.

    News gives a person's office in apposition, on either side of the name: «وأعلن شريف إسماعيل،
    رئيس الوزراء، أن…», «وصرح إياد الدهماني المتحدث باسم الحكومة…» and «قال وزير الخارجية، سامح
    شكري، إن…». Asked about the office, the name is across the comma (or right before the
    office) from the question's words; after the office, the name closes its phrase.
    """

    def comma(a: int, b: int) -> bool:
        return text[a:b].strip() in ("،", ",")

    office = normalize(text[flags[j + 1][0] : flags[j + 1][1]]) if j + 1 < len(flags) else ""
    # «X لرئيس الهيئة» is X's own office's complement, not an apposition; an office followed by
    # a nationality introduces the name after it («بإدارة الحكم المصري محمد معروف»).
    of_another = _of_another_title(office) or (
        j + 2 < len(flags) and is_demonym(normalize(text[flags[j + 2][0] : flags[j + 2][1]]))
    )
    if (
        j + 1 < len(flags)
        and flags[j + 1][2]
        and _is_office(text, flags[j + 1][:2])
        and not of_another
    ):
        gap = text[flags[j][1] : flags[j + 1][0]]
        # «X، رئيس الوزراء،», and without the comma when the run is a full name (a verb before
        # the office is one word: «وقال رئيس الوزراء»): «إياد الدهماني المتحدث باسم الحكومة».
        if comma(flags[j][1], flags[j + 1][0]) or (not gap.strip() and j > i):
            return True
    closed = j + 1 == len(flags) or bool(_BREAK.search(text[flags[j][1] : flags[j + 1][0]]))
    if closed and i > 0 and flags[i - 1][2] and comma(flags[i - 1][1], flags[i][0]):
        phrase = flags[max(0, i - 3) : i]
        k = len(phrase) - 1
        # The title phrase runs back from the comma without a break: «وزير الخارجية،».
        while k >= 0 and (
            k == len(phrase) - 1 or not _BREAK.search(text[phrase[k][1] : phrase[k + 1][0]])
        ):
            if _is_office(text, phrase[k][:2]):
                return True
            k -= 1
    return False


def _earlier_name(
    text: str,
    tokens: list[tuple[int, int]],
    start: int,
    own: set[str],
    words: set[str],
    idf: Callable[[str], float],
) -> tuple[int, int] | None:
    """«… الوزير …» in the span: the name given with that title earlier in the passage.

    News text names a person once («وزير الاتصال أنور معروف») and then says «الوزير»; a span
    that answers with the title alone is answered by the name it refers to.
    """
    titles = [stem(normalize(text[s:e])) for s, e in tokens if _is_office(text, (s, e))]
    if not titles or start == 0:
        return None
    before = _tokens(text, 0, start)
    best: tuple[int, int] | None = None
    for k, (s, e) in enumerate(before):
        word = normalize(text[s:e])
        if stem(word) not in titles or _of_another_title(word):
            continue  # («المساعد لرئيس الهيئة X»: X is the assistant.)
        if not _is_office(text, (s, e)):
            continue  # «رئيسها»: a title with a pronoun names no one after it
        if k >= 2 and text[before[k - 1][1] : s].strip() in ("،", ","):
            # «الحبيب الميلي، رئيس النيابة»: the name set off before the title.
            a, b = before[k - 2][0], before[k - 1][1]
            names = text[a:b].split()
            plain = not any(_is_asked(w, own, words) or normalize(w) in STOPWORDS for w in names)
            dated = DATE.search(text, a, b) or any(c.isdigit() for c in text[a:b])
            set_off = not _BREAK.search(text[a:b]) and not _is_title(text, before[k - 2])
            if plain and not dated and set_off:
                best = (a, b)
                continue
        # The name: the rarest run of up to three words among the next six after the title.
        window = before[k + 1 : k + 7]
        runs = [
            (window[i][0], window[j][1])
            for i in range(len(window))
            for j in range(i, min(i + 2, len(window)))
            if not _BREAK.search(text[window[i][0] : window[j][1]])
        ]
        scored = []
        for a, b in runs:
            names = text[a:b].split()
            if any(_is_asked(w, own, words) or normalize(w) in STOPWORDS for w in names):
                continue
            rarity = sum(_rarity(idf, w) for w in names) / len(names)
            # A title's name closes its phrase: «وزير الاتصال والاقتصاد الرقمي أنور معروف، …»,
            # and after a first name and a surname, a word more common than they are (a verb)
            # does too: «… هيساو تاناكا يعتزم».
            nxt = _TOKEN.search(text, b, min(len(text), b + 40))
            after = text[nxt.start() : nxt.end()] if nxt is not None else ""
            closes = _BREAK.match(text[b : b + 2].strip() or ".") is not None or (
                bool(after)
                and (
                    normalize(after) in STOPWORDS
                    or (len(names) == 2 and _rarity(idf, after) < rarity)
                )
            )
            scored.append((rarity + 0.5 * len(names) + (5.0 if closes else 0.0), (a, b)))
        if scored:
            best = max(scored)[1]
    return best


def _head_focus(
    text: str, tokens: list[tuple[int, int]], head: str, own: set[str], words: set[str]
) -> tuple[int, int] | None:
    """For «أي X…؟»: the mention of X in the passage and the words naming it («مستشفى بوحجلة»)."""
    head_stem = stem(normalize(head))
    for k, (s, e) in enumerate(tokens):
        if stem(normalize(text[s:e])) != head_stem:
            continue
        stop = e
        for s2, e2 in tokens[k + 1 : k + 4]:
            if _BREAK.search(text[stop:s2]):
                break
            word = normalize(text[s2:e2])
            if word in STOPWORDS or _is_asked(text[s2:e2], own, words):
                break
            stop = e2
        if stop > e:
            return (s, stop)
    return None


def _cause_focus(text: str, start: int, end: int) -> tuple[int, int] | None:
    m = _CAUSE.search(text, start, end)
    if not m:
        return None
    stop = _BREAK.search(text, m.end(), end)
    stop_at = stop.start() if stop else end
    tokens = _tokens(text, m.start(), stop_at)[:14]
    return (m.start(), tokens[-1][1]) if tokens else None


def find_focus(
    question: Question, text: str, start: int, end: int, idf: Callable[[str], float]
) -> Focus | None:
    """The span of text[start:end] that answers the question, never the question's own words.

    A number for «كم», a date for «متى», a place for «أين», a name for «من/ما اسم», the named
    thing for «أي X», the cause for «لماذا»; the candidate nearest the question's words wins.

    Args:
        question: The analysed question.
        text: The passage.
        start: Span start.
        end: Span end.
        idf: Term rarity (names are rare words).

    Returns:
        The focus, or None when the question type has none or nothing fits.
    """
    own, words = _asked(question)
    tokens = _tokens(text, start, end)
    anchor_tokens = _anchor_tokens(text, tokens, question, words)
    anchors = [s for s, _ in anchor_tokens]
    qtype = question.qtype
    subject_at = _rarest_asked(text, tokens, set(question.terms), words, idf)
    span: tuple[int, int] | None = None
    if qtype == "how_many":

        def rank() -> tuple[int, int] | None:
            return _pattern_focus(RANK, text, start, end, question, anchors, subject_at=subject_at)

        if any(_bare(w) & _RANK_WORDS for w in question.asked_words):  # «الرئيس رقم كم؟»
            found = rank()
            if found is not None:
                return Focus(found[0], found[1], typed=True)
        span = _count_focus(text, start, end, question, anchor_tokens, subject_at)
        if span is None:
            # No count: a rank, if any, is shown, but it is no evidence of a count.
            found = rank()
            return Focus(found[0], found[1], typed=False) if found else None
    elif qtype == "when":
        # «منذ متى…؟» asks how long ago: a duration («منذ 50 عاما») before a date.
        since = any(_bare(w) & _SINCE_WORDS for w in question.asked_words)  # «ومنذ متى»
        span = _pattern_focus(DURATION, text, start, end, question, anchors) if since else None
        span = span or _life_date(text, start, end, question)
        span = span or _pattern_focus(
            DATE, text, start, end, question, anchors, subject_at=subject_at
        )
        span = _with_range(text, start, end, span, DATE)
        if since and span is not None and _WEEKDAY_ONLY.fullmatch(text, span[0], span[1]):
            # «اليوم الاثنين» (the day of the report) is no answer to «منذ متى», unless it is
            # «منذ الاثنين».
            typed = bool(_SINCE_BEFORE.search(text, max(start, span[0] - 8), span[0]))
            return Focus(span[0], span[1], typed=typed)
    elif qtype == "where" or (qtype == "which" and _place_head(question.head)):
        place = _place_focus(text, start, end, own, words, anchors, idf)
        if place is not None:
            # A place after «في/إلى/ب…» answers «أين»; one mentioned in passing may not.
            return Focus(place[0], place[1], typed=place[2])
        if question.head:
            span = _head_focus(text, tokens, question.head, own, words)
    elif qtype == "which" and question.head:
        span = _head_focus(text, tokens, question.head, own, words)
        if span is None:
            name = _name_focus(text, tokens, own, words, idf, office=_office_asked(question))
            return Focus(name[0], name[1], typed=False) if name else None
    elif qtype == "who":
        described = _description_focus(text, tokens, start, end, question)
        if described is not None:
            return Focus(described[0], described[1], typed=True)
        name = _name_focus(text, tokens, own, words, idf, office=_office_asked(question))
        if name is not None and name[2]:
            return Focus(name[0], name[1], typed=True, office_asked=name[3])
        earlier = _earlier_name(text, tokens, start, own, words, idf)
        if earlier is not None:
            return Focus(earlier[0], earlier[1], typed=True)
        return Focus(name[0], name[1], typed=True) if name else None
    elif qtype == "why":
        span = _cause_focus(text, start, end)
    return Focus(span[0], span[1], typed=True) if span else None


# Words between a name and what it is: «X، هو …», «X (1911 - 2006) كان …».
_COPULAS = frozenset(
    normalize(w) for w in ("هو", "هي", "هم", "وهو", "وهي", "كان", "كانت", "يعد", "تعد", "يعتبر")
)
_CLAUSE_END = re.compile(r"[،,.;؛:!?؟\n]")


def _description_focus(
    text: str, tokens: list[tuple[int, int]], start: int, end: int, question: Question
) -> tuple[int, int] | None:
    """What the person or thing named by «من هو X؟» is: the words after X in the window.

    «جمال خاشقجي (13 أكتوبر 1958 - 2 أكتوبر 2018)، صحفي وإعلامي سعودي، …» asked «من هو جمال
    خاشقجي؟» gives «صحفي وإعلامي سعودي». Past X come a bracket, a comma and «هو/كان/يعد»;
    the description ends with its clause (at most 12 words). A window opening with «هو/هي» is
    already about X. None when the question asks for an office holder («من هو رئيس الوزراء؟»)
    or X is not in the window.
    """
    subject = question.subject.split()
    if not subject or _bare(subject[0]) & _offices():
        return None
    named = {t for w in subject for t in terms(w)}
    first = next(iter(tokens), None)
    at = -1
    if first is not None and normalize(text[first[0] : first[1]]) in _COPULAS:
        at = first[1]
    run = 0
    for s, e in tokens if at < 0 else ():
        if set(terms(normalize(text[s:e]))) & named:
            run += 1
            if run >= max(1, (len(named) + 1) // 2):
                at = e
        elif at >= 0:
            break
        else:
            run = 0
    if at < 0:
        return None
    pos = at
    while pos < end:
        rest = text[pos:end]
        stripped = rest.lstrip(" \t،,:-–—")
        pos += len(rest) - len(stripped)
        if stripped.startswith("("):
            close = text.find(")", pos, min(end, pos + 300))
            if close < 0:
                return None
            pos = close + 1
            continue
        m = _TOKEN.match(text, pos, end)
        if m is not None and normalize(m.group()) in _COPULAS:
            pos = m.end()
            continue
        break
    stop = _CLAUSE_END.search(text, pos, end)
    limit = stop.start() if stop else end
    inside = [(s, e) for s, e in tokens if pos <= s and e <= limit][:12]
    return (inside[0][0], inside[-1][1]) if inside else None


# Words that stand before a person's name in news text (titles, offices, honorifics).
_TITLE_WORDS = (
    "الرئيس رئيس الوزير وزير وزيرة الملك الأمير الأميرة الشيخ السيد السيدة الدكتور الدكتورة "
    "المستشار المستشارة النائب النائبة السفير السفيرة الأمين المتحدث المتحدثة الناطق الناطقة "
    "المدير مدير المديرة القاضي الجنرال اللواء العقيد العميد الفريق المشير البابا الإمام المفتي "
    "الحاكم المحافظ الوالي العمدة المنسق المبعوث المبعوثة المندوب الكاتب الكاتبة الصحفي "
    "الصحفية المدرب اللاعب اللاعبة الفنان الفنانة المخرج المخرجة الأستاذ الأستاذة البروفيسور "
    "النجم النجمة الممثل الممثلة المطرب المطربة الأمينة القائد زعيم الزعيم رئيسة الرئيسة "
    "القيادي القيادية العضو عضو الناشط الناشطة المحامي المحامية الخبير الخبيرة الباحث الباحثة "
    "المحلل المهندس الطبيب الطبيبة المرشح المرشحة الوكيل المفوض المفوضة العاهل الحارس "
    "الإعلامي الإعلامية الشاعر الشاعرة الروائي الروائية المؤرخ الحكم "
    "President Minister King Prince Dr Mr Mrs Ms Sheikh"
)


# Words that introduce a name; unlike a title, they never stand for the person later on.
_NAMING_WORDS = "اسم يسمى تسمى يدعى تدعى المسمى المسماة"


def _bare_forms(words: str) -> set[str]:
    return {b for w in words.split() for b in _bare(normalize(w))}


@functools.lru_cache(maxsize=1)
def _offices() -> frozenset[str]:
    """Titles: «الوزير» alone may also stand for the minister named earlier in the passage."""
    # «الإمام» without its article is «أمام» ("in front of"), far more often the preposition.
    return frozenset(_bare_forms(_TITLE_WORDS) - {normalize("أمام")})


@functools.lru_cache(maxsize=1)
def _naming() -> frozenset[str]:
    return frozenset(_bare_forms(_NAMING_WORDS))


@functools.lru_cache(maxsize=1)
def _titles() -> frozenset[str]:
    """Titles and the words that introduce a name («تحمل اسم X», «يدعى X»): what a name follows."""
    return _offices() | _naming()


@functools.lru_cache(maxsize=1)
def _place_nouns() -> frozenset[str]:
    return frozenset(
        stem(normalize(w))
        for w in ("مكان", "مدينة", "بلد", "دولة", "منطقة", "ولاية", "عاصمة", "قرية", "جزيرة")
    )


def _place_head(head: str) -> bool:
    return bool(head) and stem(normalize(head)) in _place_nouns()


def _place_focus(
    text: str,
    start: int,
    end: int,
    own: set[str],
    words: set[str],
    anchors: list[int],
    idf: Callable[[str], float],
) -> tuple[int, int, bool] | None:
    best: tuple[tuple[bool, int], tuple[int, int]] | None = None
    named = _named_places(text, start, end, own, words, idf)
    for s, e in [*find_places(text, start, end), *named]:
        if _is_asked(text[s:e], own, words):
            continue
        # «في القاهرة», «بتونس», «إلى باريس»: a place after a locative preposition is the answer
        # more often than a place mentioned in passing.
        before = normalize(text[max(start, s - 12) : s]).split()
        word = normalize(text[s:e])
        located = (bool(before) and before[-1] in _LOCATIVES) or (
            text[s - 1 : s].strip() != "" and normalize(text[s - 1]) in "بف"
        )
        key = (not located, _nearest(anchors, s))
        if word and (best is None or key < best[0]):
            best = (key, (s, e))
    if best is None:
        return None
    return _with_direction(text, start, best[1][0]), best[1][1], not best[0][0]


_DIRECTIONS = frozenset(
    normalize(w)
    for w in ["شمال", "جنوب", "شرق", "غرب", "وسط", "أقصى", "شمالي", "جنوبي", "شرقي", "غربي"]
)
_DIRECTION_BEFORE = re.compile(r"(\S+)\s+$")


def _with_direction(text: str, start: int, s: int) -> int:
    """Where a place's span starts with the directions before it: «أقصى غرب شمال أفريقيا»."""
    while s > start:
        m = _DIRECTION_BEFORE.search(text, max(start, s - 20), s)
        if m is None:
            break
        word = normalize(m.group(1))
        bare = word[1:] if len(word) > 3 and word[0] in "وبف" else word
        if bare not in _DIRECTIONS:
            break
        s = m.start(1) + (len(word) - len(bare))
    return s


# Nouns that head the name of a place too small for a gazetteer: «شارع التسعين», «ملعب رادس».
_PLACE_HEAD_WORDS = (
    "شارع حي ساحة ميدان مطار ملعب مستشفى معبر سجن جامعة قاعة مقر قصر فندق منطقة مدينة "
    "ولاية محافظة بلدة قرية مخيم ميناء جسر مسجد كنيسة معتقل حديقة كاتدرائية معبد متحف "
    "مدرسة معهد ثكنة معسكر شاطئ سوق مصنع"
)
_PLACE_HEADS = frozenset(normalize(w) for w in _PLACE_HEAD_WORDS.split())
# Where a place's name ends: prepositions and adverbs of place and time after it.
_SPATIAL_WORDS = (
    "أمام خلف قرب وسط بجانب قبالة داخل خارج بين عند تحت فوق حول قبل بعد شمال جنوب شرق غرب "
    "شمالي جنوبي شرقي غربي"
)
_SPATIAL = frozenset(normalize(w) for w in _SPATIAL_WORDS.split())


def _named_places(
    text: str,
    start: int,
    end: int,
    own: set[str],
    words: set[str],
    idf: Callable[[str], float],
) -> list[tuple[int, int]]:
    """Places named by a head noun and up to two words after it, within one phrase.

    «شارع التسعين», «بالملعب الأولمبي برادس», «جامعة 6 أكتوبر»: the head and the words that name
    it, stopping at punctuation, a function word, a preposition of place or a word of the
    question; a common word at the end is dropped, as for names.
    """
    tokens = _tokens(text, start, end)
    found = []
    for k, (s, e) in enumerate(tokens):
        if not _token_in(text, (s, e), _PLACE_HEADS):
            continue
        name: list[tuple[int, int]] = []
        for s2, e2 in tokens[k + 1 : k + 3]:
            word = normalize(text[s2:e2])
            if (
                _BREAK.search(text[(name[-1][1] if name else e) : s2])
                or word in STOPWORDS
                or word in _SPATIAL
                or _is_asked(text[s2:e2], own, words)
            ):
                break
            name.append((s2, e2))
        rarity = [_rarity(idf, text[a:b]) for a, b in name]
        while len(name) > 1 and rarity[-1] < 0.5 * max(rarity):
            name.pop()
            rarity.pop()
        if name:
            found.append((s, name[-1][1]))
    return found


_LOCATIVES = frozenset(
    normalize(w)
    for w in (
        "في",
        "إلى",
        "الى",
        "من",
        "بمدينة",
        "بولاية",
        "مدينة",
        "ولاية",
        "عاصمة",
        "داخل",
        "قرب",
    )
)
