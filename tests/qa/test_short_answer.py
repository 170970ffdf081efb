"""The short answer shown before the answer's clause: the span asked for, or nothing."""

from __future__ import annotations

from qa.chain import _short_answer
from qa.extractive import Span
from qa.question import analyse

TEXT = "وقال الوزير إن الاجتماع سيعقد في تونس العاصمة - حسب البلاغ - يوم الأحد المقبل."


def span_of(part: str | None, shown: tuple[int, int]) -> Span:
    focus = None
    if part is not None:
        a = TEXT.index(part)
        focus = (a, a + len(part))
    return Span(0, shown[0], shown[1], focus=focus)


def test_a_typed_question_gets_its_span() -> None:
    shown = (0, len(TEXT))
    span = span_of("تونس العاصمة", shown)
    assert _short_answer(analyse("أين سيعقد الاجتماع؟"), TEXT, span, shown) == "تونس العاصمة"


def test_no_short_answer_without_a_span_of_its_own() -> None:
    shown = (0, len(TEXT))
    # An untyped question, a span that is the whole clause, or one with no word in it.
    assert _short_answer(analyse("هل سيعقد الاجتماع؟"), TEXT, span_of("تونس", shown), shown) == ""
    assert _short_answer(analyse("أين سيعقد الاجتماع؟"), TEXT, span_of(None, shown), shown) == ""
    assert _short_answer(analyse("أين سيعقد الاجتماع؟"), TEXT, span_of(" - ", shown), shown) == ""


def test_an_english_question_gets_a_number_or_a_date_but_no_name() -> None:
    text = "وأعلن الوزير خالد العنزي يوم 12 مارس 2017 أن 17 مليون شخص يحتاجون إلى المساعدة."
    shown = (0, len(text))

    def short(question: str, part: str) -> str:
        a = text.index(part)
        span = Span(0, shown[0], shown[1], focus=(a, a + len(part)))
        return _short_answer(analyse(question), text, span, shown)

    assert short("How many people need help?", "17 مليون شخص") == "17 مليون شخص"
    assert short("When did the minister announce it?", "12 مارس 2017") == "12 مارس 2017"
    # A name or a place has no word of the question to be found by: no short answer.
    assert short("Who is the minister?", "خالد العنزي") == ""
