from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from index.arabic import terms

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
