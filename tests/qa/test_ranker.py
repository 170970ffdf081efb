"""The window ranker and the refusal evidence, on hand-made passages (no model, no index)."""

from __future__ import annotations

import json
from pathlib import Path

from qa.extractive import RANK_FEATURES, ExtractiveAnswerer, load_config
from qa.question import analyse
from qa.retriever import Hit
from tests.qa.hits import make_hit

# A stand-in for the index's idf: names are rare, everything else is common.
RARE = {"زغوان", "ناصيف"}


def idf(term: str) -> float:
    return 8.0 if any(term in r or r in term for r in RARE) else 1.0


def hit(doc: str, title: str, text: str) -> Hit:
    return make_hit(text, doc, title)


OTHER = hit(
    "a.txt",
    "افتتاح مستشفى جديد",
    "افتتح وزير الصحة مستشفى جديدا في ولاية القصرين بتكلفة بلغت عشرين مليون دينار.",
)
NAMED = hit(
    "b.txt",
    "مشاريع الصحة في زغوان",
    "وفي ولاية زغوان افتتح الوزير مستشفى جهويا جديدا، بتكلفة بلغت خمسة ملايين دينار.",
)


def test_the_window_naming_what_was_asked_about_wins_over_a_better_ranked_lookalike() -> None:
    question = analyse("كم بلغت تكلفة المستشفى الجديد في زغوان؟")
    answerer = ExtractiveAnswerer(load_config())
    result = answerer.extract(question, [OTHER, NAMED], None, None, idf)
    span = result.spans[0]
    assert span.hit_index == 1
    windows = answerer.windows(question, [OTHER, NAMED], None, None, idf)
    assert windows is not None
    rare = RANK_FEATURES.index("missing_rare")
    for cand, row in zip(windows.cands, windows.features, strict=True):
        # The rarest question word is missing from every window of the other passage.
        assert (row[rare] == 1.0) == (cand.hit_index == 0)


def test_refusal_evidence_sees_the_key_name_missing_from_the_passage() -> None:
    question = analyse("كم بلغت تكلفة المستشفى الجديد في زغوان؟")
    answerer = ExtractiveAnswerer(load_config())
    missing = answerer.extract(question, [OTHER], None, None, idf).debug["features"]
    present = answerer.extract(question, [NAMED], None, None, idf).debug["features"]
    assert missing["missing_idf"] == 1.0 and missing["passage_rare"] < 1.0
    assert present["missing_idf"] == 0.0 and present["passage_rare"] == 1.0
    # The fitted model trusts the passage that names it more.
    config = load_config()
    assert config.confidence(present) > config.confidence(missing)


def test_fitted_ranker_weights_are_read_from_the_params_file(tmp_path: Path) -> None:
    path = tmp_path / "params.json"
    weights = {f: 0.0 for f in RANK_FEATURES} | {"rank": 5.0}
    path.write_text(json.dumps({"params": {"rank_weights": weights, "shortlist": 1}}))
    config = load_config(path)
    assert config.rank_weights["rank"] == 5.0 and config.shortlist == 1
    # With only the retrieval rank weighed, the first passage's window is chosen.
    question = analyse("كم بلغت تكلفة المستشفى الجديد في زغوان؟")
    result = ExtractiveAnswerer(config).extract(question, [OTHER, NAMED], None, None, idf)
    assert result.spans[0].hit_index == 0


DEFINITION = hit(
    "c.txt",
    "الطاقة الشمسية في الجنوب",
    "محطة زغوان الشمسية هي أكبر محطة لتوليد الكهرباء من الشمس في البلاد، "
    "تمتد على مساحة مئة هكتار قرب المدينة، "
    "وتزود نحو أربعين ألف منزل بالكهرباء منذ افتتاحها، "
    "وقد بنتها شركة ناصيف للطاقة بتمويل من صندوق التنمية. "
    "ويعمل فيها مئتا مهندس وعامل من أبناء الجهة طوال السنة.",
)


def test_an_untyped_answer_runs_on_into_the_next_clauses_a_typed_one_does_not() -> None:
    config = load_config()
    assert config.answer_words_untyped > config.answer_words  # as fitted
    what = analyse("ما هي محطة زغوان الشمسية؟")
    answerer = ExtractiveAnswerer(config)
    span = answerer.extract(what, [DEFINITION], None, None, idf).spans[0]
    a, b = span.answer or (span.start, span.end)
    answer = DEFINITION.text[a:b]
    # The definition and what follows it, cut to the untyped length; never past it.
    assert answer.startswith("محطة زغوان الشمسية هي أكبر محطة")
    assert "أربعين ألف منزل" in answer
    assert config.answer_words < len(answer.split()) <= config.answer_words_untyped
    # The same passage with the shorter limit gives a shorter answer.
    short = ExtractiveAnswerer(load_config(answer_words_untyped=config.answer_words))
    span = short.extract(what, [DEFINITION], None, None, idf).spans[0]
    a, b = span.answer or (span.start, span.end)
    assert len(DEFINITION.text[a:b].split()) <= config.answer_words
    # A typed question (how many) keeps its short answer around the number.
    many = analyse("كم منزلا تزود محطة زغوان الشمسية بالكهرباء؟")
    span = answerer.extract(many, [DEFINITION], None, None, idf).spans[0]
    a, b = span.answer or (span.start, span.end)
    assert "أربعين ألف" in DEFINITION.text[a:b]
    assert len(DEFINITION.text[a:b].split()) <= config.answer_words


def answered_name(question: str, title: str, text: str, names: set[str]) -> str:
    """The span the answerer highlights in one passage, names being the rare words."""

    def name_idf(term: str) -> float:
        return 8.0 if any(term in n or n in term for n in names) else 1.0

    result = ExtractiveAnswerer(load_config()).extract(
        analyse(question), [hit("c.txt", title, text)], None, None, name_idf
    )
    span = result.spans[0]
    assert span.focus is not None
    return text[span.focus[0] : span.focus[1]]


def test_asked_who_holds_an_office_the_name_before_it_is_the_span() -> None:
    # The office and the question's words sit in clauses after the name: the chosen window may
    # start at the office, and the name is taken from the clause before it.
    text = (
        "وأعلن خالد ناصيف، وزير الصحة، أن افتتاح المستشفى الجهوي في زغوان سيكون الأسبوع "
        "المقبل بعد أشغال دامت ثلاث سنوات كاملة وتأخرت مرات عديدة بسبب نقص التمويل "
        "ونقص اليد العاملة في الجهة."
    )
    question = "من هو وزير الصحة الذي أعلن افتتاح المستشفى الجهوي في زغوان؟"
    got = answered_name(question, "مستشفى زغوان", text, {"خالد", "ناصيف", "زغوان"})
    assert got == "خالد ناصيف"


def test_a_window_holding_the_asked_noun_in_its_other_number_is_credited() -> None:
    # «كم مشروعا» asked; both passages hold four of the question's words, the second also
    # «9 مشاريع» (two letters away from «مشروع»: no near match by spelling).
    question = analyse("كم مشروعا أطلق حزب الأمل في المجلس البلدي؟")
    said = hit(
        "a.txt", "حزب الأمل", "وقال رئيس حزب الأمل إن الحزب أطلق حملة مع 40 منظمة في المجلس."
    )
    plans = hit("b.txt", "حزب الأمل", "وقدم حزب الأمل 9 مشاريع في المجلس البلدي الجديد.")
    answerer = ExtractiveAnswerer(load_config())
    windows = answerer.windows(question, [said, plans], None, None, idf)
    assert windows is not None
    plain = RANK_FEATURES.index("plain")
    best = {c.hit_index: 0.0 for c in windows.cands}
    for cand, row in zip(windows.cands, windows.features, strict=True):
        best[cand.hit_index] = max(best[cand.hit_index], float(row[plain]))
    assert best[1] > best[0]
    result = answerer.extract(question, [said, plans], None, None, idf)
    assert result.spans[0].hit_index == 1


def test_a_unit_written_abbreviated_counts_as_the_asked_unit() -> None:
    # «كم هكتارا … في زغوان؟»: the first passage has «هكتارا» but another region, the
    # second names the region and writes the unit «هك».
    question = analyse("كم هكتارا استرجعت الدولة في زغوان؟")
    assert "هك" in question.lexical_query.split()
    other = hit("a.txt", "أراض", "استرجعت الدولة أمس 23 هكتارا من الأراضي الفلاحية في باجة.")
    named = hit("b.txt", "أراض", "استرجعت الدولة اليوم عقارين يمسحان 42 هك من ولاية زغوان.")

    def unit_rare(term: str) -> float:  # the unit as rare as the region
        return 8.0 if term.startswith("هك") else idf(term)

    answerer = ExtractiveAnswerer(load_config())
    result = answerer.extract(question, [other, named], None, None, unit_rare)
    span = result.spans[0]
    assert span.hit_index == 1 and span.focus is not None
    assert named.text[span.focus[0] : span.focus[1]] == "42 هك"


def test_asked_who_holds_an_office_the_name_after_it_beats_a_name_with_another_title() -> None:
    # Two titled names in the sentence: the one after the office the question asks about wins.
    text = (
        "وكانت النائبة هالة الزغلامي قد طالبت خلال الجلسة العامة للبرلمان يوم الأربعاء الماضي "
        "بعد نقاش طويل حول الميزانية والديون الخارجية للبلاد بسحب الثقة من وزير النقل والموانئ "
        "كريم البحيري موجهة له تهما بالتقصير في متابعة ملف الرحلات المتأخرة."
    )
    names = {"هالة", "الزغلامي", "كريم", "البحيري"}
    got = answered_name("من هو وزير النقل والموانئ؟", "مساءلة وزير", text, names)
    assert got.startswith("كريم البحيري")
