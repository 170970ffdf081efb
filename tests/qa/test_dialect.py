"""Question words of the dialects, loose spelling, follow-ups and history (no model needed)."""

from __future__ import annotations

import pytest

from qa.dialect import to_standard
from qa.question import QuestionError, analyse, parse_history, question_type, validate_history


@pytest.mark.parametrize(
    ("question", "qtype"),
    [
        # Egyptian
        ("مين كسب الانتخابات؟", "who"),
        ("الوزير راح فين؟", "where"),
        ("إمتى افتتحوا المصنع؟", "when"),
        ("ليه استقال المدرب؟", "why"),
        ("كام واحد اتصاب في الحادثة؟", "how_many"),
        ("إزاي وصلوا للاتفاق؟", "how"),
        # Levantine
        ("وين صار الانفجار؟", "where"),
        ("شو اسم الرئيس الجديد؟", "who"),
        ("قديش كلف المشروع؟", "how_many"),
        ("ليش تأجلت الانتخابات؟", "why"),
        # Gulf and Iraqi
        ("منو فاز بالجائزة؟", "who"),
        ("شلون تم الاتفاق؟", "how"),
        ("وش صار في المؤتمر؟", "what"),
        # Maghrebi
        ("شكون ربح الماتش؟", "who"),
        ("وقتاش يبدا الامتحان؟", "when"),
        ("قداش عدد الضحايا؟", "how_many"),
        ("علاش سكرو الطريق؟", "why"),
        ("شنوة البرنامج الجديد؟", "what"),
        ("منين جاو المهاجرين؟", "where"),
        # Modern Standard, phrases
        ("في أي عام تأسست الشركة؟", "when"),
        ("في أي مدينة عقد المؤتمر؟", "where"),
        ("ما اسم رئيس البعثة؟", "who"),
        ("ما نسبة البطالة في البلاد؟", "how_many"),
        ("عدد سكان المدينة؟", "how_many"),
        ("بكم تقدر قيمة الصفقة؟", "how_many"),
        ("ما هو عمر اللاعب؟", "how_many"),
        # A quantity noun inside another question does not make it «كم» («عمر» is also a name).
        ("متى ولد عمر المختار؟", "when"),
        ("متى ارتفعت نسبة البطالة؟", "when"),
        ("من هو والد عمر المختار؟", "who"),
        # «من» is "from" before another question word.
        ("من كم محافظة تتكون البلاد؟", "how_many"),
        ("من أين جاء المهاجرون؟", "where"),
        ("من متى يعمل المصنع؟", "when"),
        ("من من تزوجت المغنية؟", "who"),
        ("ما سبب تأجيل المباراة؟", "why"),
        ("أي مستشفى استقبل الجرحى؟", "which"),
        ("هل أغلقت المدارس؟", "yes_no"),
        ("How many people were hurt?", "how_many"),
        ("Who won the vote?", "who"),
    ],
)
def test_question_words_of_every_variety(question: str, qtype: str) -> None:
    assert question_type(question) == qtype


@pytest.mark.parametrize(
    ("tidy", "loose"),
    [
        ("متى افتتحت المكتبة الوطنية؟", "متي افتتحت المكتبه الوطنيه؟"),
        ("أين عقد الاجتماع الأخير؟", "اين عقد الاجتماع الاخير"),
        ("كم عدد المشاركين في المسابقة؟", "كَمْ عـــدد المشاركين فى المسابقه؟"),
        ("من هو رئيس الهيئة؟", "من هوا رئيس الهيئه؟"),
        ("إلى أين سافر الوفد؟", "الى اين سافر الوفد"),
    ],
)
def test_loose_spelling_does_not_change_the_question(tidy: str, loose: str) -> None:
    a, b = analyse(tidy), analyse(loose)
    assert a.qtype == b.qtype
    assert a.terms == b.terms


def test_dialect_words_become_standard_for_matching_only() -> None:
    assert to_standard("شنوة البرنامج اللي باش يبدا؟").split()[:3] == ["ما", "البرنامج", "الذي"]
    assert "باش" not in to_standard("شنوة البرنامج اللي باش يبدا؟")
    q = analyse("فين اتعقد المؤتمر؟")
    assert q.text == "فين اتعقد المؤتمر؟"  # shown as typed
    assert q.retrieval_query.startswith("أين")
    assert "فين" not in " ".join(q.terms)


def test_standard_words_spelt_like_dialect_particles_keep_their_meaning() -> None:
    # «عمال» (workers), «دول» (countries) and «علامة» (sign) are also spellings of dialect
    # words («عمّال» "keeps …", «دول» "those", «علامه» "why"): inside a question they are nouns.
    assert "عمال" in to_standard("كم عدد عمال الميناء؟")
    assert "دول" in to_standard("كم عدد دول حوض النيل؟")
    sign = analyse("ما هي علامة التصنيف الجديدة؟")
    assert sign.qtype == "what" and "لماذا" not in sign.retrieval_query
    assert analyse("علامه سكروا المحلات؟").qtype == "why"
    # What «كم» counts is matched: the same words as with the article.
    assert analyse("كم عدد عمال الميناء؟").terms == analyse("كم عدد العمال الميناء؟").terms


def test_everyday_dialect_nouns_match_their_standard_form() -> None:
    assert to_standard("وين الماتش؟") == "أين المباراة؟"
    assert to_standard("قداش من كرهبة تحرقت؟").split()[2] == "سيارة"
    # What the question asks about matches the article's word, whatever the question's spelling.
    assert analyse("علاش وقفوا قبل الماتش؟").terms == analyse("علاش وقفوا قبل المباراة؟").terms


def test_the_conversations_dialect_words_count_in_their_standard_form() -> None:
    # The earlier turn's «مين … ماتش» is matched as «من … مباراة», like the question's own words.
    q = analyse("وفين اتلعب؟", [("مين الحكم اللي دار ماتش الترجي؟", "محمد معروف")])
    assert q.followup
    assert "مبار" in q.history_terms
    assert not {"مين", "ماتش", "لي"} & set(q.history_terms)


def test_history_turns_with_and_without_citations() -> None:
    cite = {"n": 1, "doc_id": "a.txt", "chunk_id": "c1", "text": "..."}
    turns = parse_history(
        [
            ["س1", "ج1"],
            ["س2", "ج2", ["b.txt"]],
            {"question": "س3", "answer": "ج3", "citations": [cite]},
        ]
    )
    assert [t.docs for t in turns] == [(), ("b.txt",), ("a.txt",)]
    assert turns[2].chunks == ("c1",)
    assert validate_history([["س", "ج", ["d"]]]) == [("س", "ج")]
    for bad in ([["only"]], [["س", "ج", "not a list"]], [["س", "ج", [3]]], "x"):
        with pytest.raises(QuestionError):
            parse_history(bad)


def test_follow_ups_lean_on_the_conversation_and_new_topics_do_not() -> None:
    history = [["كم شخصا أصيب في انفجار المرفأ؟", "أكثر من 300 شخص.", ["port.txt"]]]
    for follow in ("ومن أعلن ذلك؟", "وأين وقع؟", "ما اسمه؟", "ومتى حدث هذا؟"):
        q = analyse(follow, history)
        assert q.followup, follow
        assert q.cited_docs == ("port.txt",)
        assert "انفجار" in q.retrieval_query
    new = analyse("من فاز ببطولة كأس العالم لكرة القدم للسيدات؟", history)
    assert not new.followup
    assert new.cited_docs == () and "انفجار" not in new.retrieval_query


def test_a_follow_up_of_a_follow_up_keeps_the_topic() -> None:
    history = [
        ["من افتتح معرض الكتاب الدولي؟", "وزيرة الثقافة.", ["fair.txt"]],
        ["ومتى؟", "يوم الجمعة.", ["fair.txt"]],
    ]
    q = analyse("وأين أقيم؟", history)
    assert q.followup and "معرض" in q.retrieval_query and q.cited_docs == ("fair.txt",)


@pytest.mark.parametrize(
    ("question", "subject"),
    [
        ("من هو نجيب محفوظ؟", "نجيب محفوظ"),
        (" - مين هو إياد الدهماني ؟", "اياد الدهماني"),
        ("من هو الفائز في الانتخابات؟", ""),
        ("من هو صاحب المشروع؟", ""),
        ("من هو رئيس الحكومة؟", ""),
        ("من هو اللاعب الذي سجل الهدف؟", ""),
        ("من توسط في الهدنة؟", ""),
    ],
)
def test_who_is_x_names_its_subject_only_when_x_may_be_a_name(question: str, subject: str) -> None:
    assert analyse(question).subject == subject
