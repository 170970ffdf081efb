from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from index.arabic import terms
from qa.question import analyse

from ..conftest import SEEDS


def build(fake_app: Any, tmp_path: Path) -> Any:
    articles = tmp_path / "articles"
    shutil.copytree(SEEDS, articles)
    fake_app.build([articles])
    return fake_app


def test_lexical_only_search_uses_terms_alone(fake_app: Any, tmp_path: Path) -> None:
    app = build(fake_app, tmp_path)
    hits = app.search("كروسيتو", k=5, mode="lexical")
    assert hits and all(h.dense_score is None and h.lexical_score for h in hits)
    assert all(set(terms("كروسيتو")) & set(terms(h.embed_text())) for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert app.search("زززز", k=5, mode="lexical") == []  # no shared term: nothing, not noise
    dense = app.search("زززز", k=5, mode="dense")
    assert dense and all(h.lexical_score is None for h in dense)


def test_hybrid_hits_are_fused_by_both_scores(fake_app: Any, tmp_path: Path) -> None:
    app = build(fake_app, tmp_path)
    hits = app.search("وزير الدفاع الإيطالي كروسيتو", k=10)
    # Every candidate has its closeness in meaning, also those only word matching found (it is
    # computed for them from the stored vectors), and the order follows the fused score.
    assert hits and all(h.dense_score is not None for h in hits)
    assert any(h.lexical_score for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert all(0.0 <= h.score <= 1.0 for h in hits)


def test_excluded_articles_never_come_back(fake_app: Any, tmp_path: Path) -> None:
    app = build(fake_app, tmp_path)
    question = "وزير الدفاع الإيطالي كروسيتو"
    top = app.search(question, k=3)[0].doc_id
    for mode in ("hybrid", "dense", "lexical"):
        hits = app.searcher.search(question, k=10, mode=mode, exclude_docs=[top])
        assert hits and top not in {h.doc_id for h in hits}, mode
    # Excluding an article still returns k passages from the others when they exist.
    others = app.searcher.search(question, k=5, mode="dense", exclude_docs=[top])
    assert len(others) == 5
    everything = {d for d in app.info()["titles"]}
    assert app.searcher.search(question, k=5, exclude_docs=everything) == []


def test_a_count_finds_the_article_that_gives_it_with_the_plural(
    writable_app: Any, tmp_path: Path
) -> None:
    # «كم مقعدا» (singular after «كم») is answered by «8 مقاعد» (plural after 3 to 10); the
    # other article shares as many of the question's words. Real model, seeds index plus these.
    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "seats.txt").write_text(
        "نتائج الانتخابات البلدية في المنستير\n\n"
        "أعلنت الهيئة المستقلة للانتخابات النتائج النهائية. "
        "وفاز حزب الأمل بثمانية مقاعد في المجلس البلدي بالمنستير.",
        encoding="utf-8",
    )
    (articles / "campaign.txt").write_text(
        "حملة حزب الأمل في المنستير\n\n"
        "حصل حزب الأمل على دعم النقابات في حملة الانتخابات بالمنستير.",
        encoding="utf-8",
    )
    writable_app.add([articles])
    question = "كم مقعدا حصل عليه حزب الأمل في الانتخابات البلدية بالمنستير؟"
    counted = analyse(question).lexical_query
    lexical = writable_app.searcher.search(question, k=2, mode="lexical", lexical_query=counted)
    assert lexical[0].doc_id == "seats.txt"
    answer = writable_app.ask(question)
    assert answer.citations and answer.citations[0].doc_id == "seats.txt"
    cited = answer.citations[0]
    assert cited.answer_start is not None and cited.answer_end is not None
    assert cited.text[cited.answer_start : cited.answer_end] == "ثمانية مقاعد"
