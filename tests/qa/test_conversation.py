"""Conversations through the real model and seeds index: cited follow-ups, new topics, dialect,
refusals that show the closest passages, and `akhbar eval` on a multi-turn set."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from index.arabic import normalize

pytestmark = pytest.mark.slow

DATA = Path(__file__).parent / "data" / "seeds_conversations.jsonl"
ITALY = "004_b11fdc9a7b87af75.txt"
TRUCE = "000_d65fed2462b338f3.txt"


def test_follow_up_is_answered_from_the_cited_article(akhbar: Any) -> None:
    first = akhbar.ask("في أي مدينة بدأت حماس وإسرائيل جولة المفاوضات غير المباشرة؟")
    assert first.found and first.citations[0].doc_id == ITALY
    cited = [c.to_json() if hasattr(c, "to_json") else c.__dict__ for c in first.citations]
    history = [{"question": first.question, "answer": first.answer, "citations": cited}]
    follow = akhbar.ask("ومتى بدأت هذه الجولة؟", history)
    assert follow.found, follow.answer
    assert follow.citations[0].doc_id == ITALY
    assert "يوليو" in normalize(follow.answer) or "تموز" in follow.answer
    # The same follow-up as a plain [question, answer] pair still works (backwards compatible).
    plain = akhbar.ask("ومتى بدأت هذه الجولة؟", [[first.question, first.answer]])
    assert plain.found and plain.citations[0].doc_id == ITALY


def test_cited_article_is_searched_first(akhbar: Any) -> None:
    history = [["ماذا بحث السيسي مع وزير الدفاع الإيطالي؟", "التعاون العسكري.", [ITALY]]]
    state = akhbar.engine._prepare({"question": "وماذا قال البيان عنه؟", "history": history})
    akhbar.engine._retrieve(state)
    assert state.question.followup
    assert state.hits[0].doc_id == ITALY


def test_a_new_topic_mid_conversation_is_recognised(akhbar: Any) -> None:
    history = [["ماذا بحث السيسي مع وزير الدفاع الإيطالي؟", "التعاون العسكري.", [ITALY]]]
    answer = akhbar.ask("من هو وزير الخارجية الأمريكي الذي زار القاهرة عدة مرات؟", history)
    assert answer.found and answer.citations[0].doc_id == TRUCE
    assert "بلينكن" in answer.answer


# Made-up articles: four on ministers dismissed (the words the first answer is made of), one
# with what the minister said about vocational training, and other dismissals (a coach, a
# manager) so that «إقالة» is a common word, as in a real archive.
DISMISSALS = [
    ("coach", "إقالة المدرب", "أعلن النادي الرياضي إقالة المدرب بعد سلسلة من الهزائم في البطولة."),
    ("manager", "إقالة المدير العام", "قرر مجلس إدارة الشركة إقالة المدير العام وتعيين مدير جديد."),
    ("referee", "إيقاف حكم", "قررت الجامعة إقالة الحكم من لجنة التحكيم بعد أخطاء في المباراة."),
    (
        "dismiss-1",
        "إقالة وزيرين",
        "قرر رئيس الحكومة إقالة وزير التربية سامي الزواري ووزيرة المالية ليلى الكافي، وقال رئيس الحكومة إن قرار الإقالة جاء بعد تقييم عمل الوزراء.",
    ),
    (
        "dismiss-2",
        "ردود على الإقالة",
        "انتقدت أحزاب المعارضة قرار إقالة وزير التربية ووزيرة المالية، واعتبرت أن رئيس الحكومة تسرع في قرار الإقالة دون تقييم عمل الوزراء.",
    ),
    (
        "dismiss-3",
        "النقابات والإقالة",
        "رحبت نقابات التعليم بقرار رئيس الحكومة إقالة وزير التربية، وقالت إن تقييم عمل الوزراء يجب أن يشمل وزيرة المالية أيضا.",
    ),
    (
        "dismiss-4",
        "تعيينات جديدة",
        "أعلن رئيس الحكومة تعيين وزير جديد للتربية بعد الإقالة، وقال إن تقييم عمل الوزراء سيتواصل.",
    ),
    (
        "training",
        "التكوين المهني",
        "قال وزير التربية سامي الزواري إن الوزارة ستوجه عددا من تلاميذ السنة التاسعة نحو التعليم المهني بداية من العام الدراسي القادم، في إطار ورشات للعمل اليدوي.",
    ),
]


def test_a_follow_up_about_something_new_finds_the_other_article(
    tmp_path: Path, embeddings: Any
) -> None:
    from akhbar.app import Akhbar
    from akhbar.settings import Settings

    src = tmp_path / "news.jsonl"
    src.write_text(
        "".join(
            json.dumps({"id": i, "title": t, "text": x}, ensure_ascii=False) + "\n"
            for i, t, x in DISMISSALS
        ),
        encoding="utf-8",
    )
    settings = Settings()
    settings.index_dir = tmp_path / "index"
    app = Akhbar(settings, embeddings=embeddings)
    app.build([src])
    first = app.ask("من هو وزير التربية الذي تمت إقالته؟")
    assert first.found and first.citations[0].doc_id.startswith("dismiss"), first.answer
    history = [[first.question, first.answer, [c.doc_id for c in first.citations]]]
    # The follow-up's own words are in another article than the one cited; the earlier answer's
    # words (the dismissal) must not keep it in the articles about the dismissal.
    follow = app.ask("وماذا قال عن التعليم المهني؟", history)
    assert follow.found, follow.answer
    assert follow.citations[0].doc_id == "training", follow.answer
    assert "التعليم المهني" in follow.answer


def test_dialect_and_loose_spelling_give_the_same_answer(akhbar: Any) -> None:
    standard = akhbar.ask("من هو مدير وكالة الاستخبارات المركزية الأمريكية؟")
    for variant in (
        "مين مدير وكالة الاستخبارات المركزية الأمريكية؟",
        "شكون مدير وكالة الاستخبارات المركزيه الامريكيه؟",
        "منو مدير وكاله الاستخبارات المركزيه الأمريكية",
    ):
        answer = akhbar.ask(variant)
        assert answer.found, variant
        assert "بيرنز" in answer.answer, (variant, answer.answer)
        assert answer.citations[0].chunk_id == standard.citations[0].chunk_id


def test_answer_is_short_and_highlights_the_span(akhbar: Any) -> None:
    answer = akhbar.ask("كم مصابا فلسطينيا يستقبل معبر رفح اليوم؟")
    c = answer.citations[0]
    assert c.text[c.answer_start : c.answer_end] == "40 مصابا"
    assert len(answer.answer.split()) <= 30


def test_refusal_shows_the_closest_passages(akhbar: Any) -> None:
    answer = akhbar.ask("ما هو عدد سكان مدينة ملبورن؟")
    assert not answer.found and answer.citations == []
    assert answer.closest and all(c.answer_start is None for c in answer.closest)
    assert "closest" in answer.to_json() and "أقرب ما وجدته" in answer.answer


def test_eval_takes_multi_turn_jsonl_and_reports_by_kind(seeds_index: Any) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "akhbar.cli",
            "eval",
            str(DATA),
            "--index-dir",
            str(seeds_index),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    out = json.loads(proc.stdout)
    summary = out["summary"]
    kinds = summary["by_kind"]
    assert {"factoid", "followup", "dialect", "unanswerable", "crosslingual"} <= set(kinds)
    for scores in kinds.values():
        assert scores["questions"] >= 1
        assert scores["latency_p50_ms"] > 0 and "correct" in scores
    rows = {r["id"]: r for r in out["rows"]}
    assert all(r["seconds"] > 0 for r in rows.values())
    # The follow-ups were asked with the citations of their first turn, and answered.
    assert kinds["followup"]["correct"] == 1.0
    assert summary["correct"] >= 0.75
