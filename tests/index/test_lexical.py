"""The BM25 index: rarity and scores for every term, built at once or batch by batch."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.arabic import terms
from index.lexical import LexicalBuilder, LexicalIndex

TEXTS = ["وزير الدفاع الإيطالي يلتقي الرئيس", "الرئيس يعلن هدنة في غزة", "أمطار غزيرة في تونس"]


def _both(tmp_path: Path) -> list[LexicalIndex]:
    builder = LexicalBuilder(tmp_path / "terms.ids")
    builder.add(TEXTS[:2])
    builder.add(TEXTS[2:])
    return [LexicalIndex.build(TEXTS), builder.build()]


def test_rarity_of_any_term_never_fails(tmp_path: Path) -> None:
    for index in _both(tmp_path):
        unseen = index.idf("كلمةلاتوجد")
        # The empty token bm25s adds to its vocabulary occurs in no row: as rare as unseen.
        assert index.idf("") == pytest.approx(unseen)
        common = index.idf(terms("الرئيس")[0])
        rare = index.idf(terms("أمطار")[0])
        assert unseen > rare > common


def test_search_finds_the_row_and_ignores_unknown_terms(tmp_path: Path) -> None:
    for index in _both(tmp_path):
        assert index.search("هدنة غزة", 3)[0][0] == 1
        assert index.search("", 3) == []
        assert index.search("كلمةلاتوجد", 3) == []
