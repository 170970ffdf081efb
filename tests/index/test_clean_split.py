from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

import pytest

from index.arabic import normalize, terms, words
from index.clean import structure
from index.config import SplitterSettings
from index.reader import Article, read_paths
from index.splitter import Splitter, sentences

from ..conftest import SEEDS

LEFTOVERS = [
    "تم أضافة تعليقك سوف يظهر بعد المراجعة",
    "اترك تعليقاً",
    "لن يتم نشر عنوان بريدك الإلكتروني",
    "زر الذهاب إلى الأعلى",
]


def word_counter(texts: Sequence[str]) -> list[int]:
    return [len(t.split()) for t in texts]


def split_all(chunk_tokens: int = 120) -> list[tuple[Article, list]]:
    splitter = Splitter(word_counter, SplitterSettings(chunk_tokens=chunk_tokens))
    return [(a, splitter.split(a)[0]) for a in read_paths([SEEDS]).articles]


def test_normalize_folds_spelling_variants() -> None:
    assert normalize("أَحْمَد إبراهيم آمال") == normalize("احمد ابراهيم امال")
    assert normalize("مستشفى المدينة") == "مستشفي المدينه"
    assert normalize("٢٠٢٣ ۱۲") == "2023 12"
    assert normalize("الـــقــاهرة") == "القاهره"


def test_words_keep_dates_and_stemming_drops_clitics() -> None:
    assert "7/10/2023" in words("منذ (السبت) 7/10/2023 وحتى الآن")
    assert terms("والمحتجزين")[0] == terms("المحتجزين")[0]
    assert terms("بالقاهرة") == terms("القاهرة")


@pytest.mark.parametrize("chunk_tokens", [40, 120, 300])
def test_offsets_round_trip(chunk_tokens: int) -> None:
    for article, chunks in split_all(chunk_tokens):
        assert chunks
        for c in chunks:
            assert article.text[c.start : c.end] == c.text


def test_no_page_leftover_reaches_a_chunk() -> None:
    for _article, chunks in split_all():
        for c in chunks:
            for line in LEFTOVERS:
                assert normalize(line) not in normalize(c.text)
            assert not re.search(r"^\s*المزيد\s*$", c.text, re.M)


def test_titles_and_sections() -> None:
    by_id = {a.doc_id: (a, chunks) for a, chunks in split_all()}
    _, chunks = by_id["004_b11fdc9a7b87af75.txt"]
    assert chunks[0].title.startswith("السيسي يبحث مع وزير الدفاع الإيطالي")
    sections = {c.section for c in chunks}
    assert "حماس: جاهزون لإطلاق الأسرى مقابل وقف الإبادة" in sections
    # A headline is metadata, not body text.
    assert all(c.text != c.section for c in chunks)


def test_chunks_respect_budget_and_overlap_one_sentence() -> None:
    for _article, chunks in split_all(60):
        for c in chunks:
            assert len(c.text.split()) <= 60
        for a, b in itertools.pairwise(chunks):
            if a.section == b.section and b.start < a.end:
                # The overlap is the last sentence (or clause) of the previous chunk.
                assert a.text.endswith(a.text[b.start - a.start :])


def test_no_split_inside_numbers_and_dates() -> None:
    text = "وقعت الحادثة في 7/10/2023 وبلغت النسبة 3.5 بالمئة. ثم انتهى الأمر في 4 يونيو 1967."
    spans = sentences(text)
    assert [text[s:e] for s, e in spans] == [
        "وقعت الحادثة في 7/10/2023 وبلغت النسبة 3.5 بالمئة.",
        "ثم انتهى الأمر في 4 يونيو 1967.",
    ]


def test_chunk_ids_are_stable() -> None:
    first = [[c.chunk_id for c in chunks] for _, chunks in split_all()]
    second = [[c.chunk_id for c in chunks] for _, chunks in split_all()]
    assert first == second
    assert len({cid for ids in first for cid in ids}) == sum(len(ids) for ids in first)


def test_structure_kinds_for_a_plain_article() -> None:
    text = "قسم\nعنوان الخبر الرئيسي اليوم\nفقرة أولى طويلة، فيها تفاصيل كثيرة عن الحدث.\nالمزيد\n"
    kinds = [(b.kind, text[b.start : b.end]) for b in structure(text)]
    assert kinds == [
        ("junk", "قسم"),
        ("title", "عنوان الخبر الرئيسي اليوم"),
        ("paragraph", "فقرة أولى طويلة، فيها تفاصيل كثيرة عن الحدث."),
        ("junk", "المزيد"),
    ]
