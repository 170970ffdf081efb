"""The index tab's article list: paged and searchable, whatever the size of the index."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from index.indexer import Summary
from ui.index_tab import PER_PAGE, ArticleList, IndexHandlers, article_page, index_info_html

from ..conftest import serving
from .test_page import Page


def big_info(n: int = 30_000) -> dict[str, Any]:
    titles = {
        f"{i:05d}.txt": f"خبر رقم {i} عن {'الاقتصاد' if i % 3 else 'الرياضة'}" for i in range(n)
    }
    titles["إمارة.txt"] = "أمطار غزيرة في الإمارات"
    return {
        "documents": len(titles),
        "chunks": 3 * len(titles),
        "generation": "g1",
        "titles": titles,
    }


def test_pages_cover_every_article_once() -> None:
    rows = ArticleList().rows(big_info(1234))
    seen: list[str] = []
    page, pages = 1, None
    while True:
        shown, total, page, pages = article_page(rows, "", page)
        seen.extend(d for d, _ in shown)
        if page == pages:
            break
        page += 1
    assert total == 1235 and pages == -(-1235 // PER_PAGE)
    assert len(seen) == len(set(seen)) == 1235
    assert seen == sorted(seen)
    # Out-of-range pages are clamped, not empty.
    assert article_page(rows, "", 10_000)[2] == pages
    assert article_page(rows, "", -3)[2] == 1


def test_search_by_title_or_id_folds_spelling() -> None:
    rows = ArticleList().rows(big_info(3000))
    shown, total, _, _ = article_page(rows, "الرياضه")  # taa marbuta folded
    assert total == 1000 and all("الرياضة" in t for _, t in shown)
    assert article_page(rows, "02999")[0] == [("02999.txt", "خبر رقم 2999 عن الاقتصاد")]
    assert article_page(rows, "امارة")[0][0][0] == "إمارة.txt"  # hamza folded, id matched
    assert article_page(rows, "الرياضة 2997")[1] == 1
    assert article_page(rows, "الرياضة 2998")[1] == 0  # every word must match
    assert article_page(rows, "لا يوجد")[1] == 0


def test_html_lists_one_page_of_a_30k_index() -> None:
    info = big_info()
    html = index_info_html(info, page=3)
    assert html.count("<tr>") == PER_PAGE + 1  # header row + one page
    assert "00100.txt" in html and "00150.txt" not in html and "00099.txt" not in html
    assert "الصفحة 3 من 601" in html
    assert "لا مقال يطابق" in index_info_html(info, query="غير موجود")


class FakeBackend:
    def __init__(self) -> None:
        self.calls = 0
        self.data = big_info(120)

    def info(self) -> dict[str, Any]:
        self.calls += 1
        return self.data

    def add(self, paths: Iterable[Path]) -> Summary:
        raise AssertionError("browsing the index never writes to it")


def test_browse_moves_between_pages_and_restarts_on_search() -> None:
    backend = FakeBackend()
    handlers = IndexHandlers(backend, max_upload_mb=1, max_upload_files=1)
    html, page = handlers.browse("", 1, +1)
    assert page == 2 and "00050.txt" in html
    html, page = handlers.browse("", 3, +1)
    assert page == 3  # 121 articles: 3 pages; next on the last stays there
    html, page = handlers.browse("الرياضة", 1)
    assert page == 1 and "00000.txt" in html and "00001.txt" not in html
    # The sorted, normalised list is built once per generation, not on every click.
    rows = handlers.articles.rows(backend.info())
    handlers.browse("", 2, -1)
    assert handlers.articles.rows(backend.info()) is rows


@pytest.mark.slow
def test_index_tab_pages_and_searches_in_the_browser(
    fake_app: Any, browser: Any, tmp_path: Path
) -> None:
    import json

    src = tmp_path / "many.jsonl"
    src.write_text(
        "".join(
            json.dumps({"id": f"n{i:03d}", "title": f"خبر {i}", "text": f"نص الخبر رقم {i}."})
            + "\n"
            for i in range(230)
        ),
        encoding="utf-8",
    )
    fake_app.build([src])
    with serving(fake_app) as url:
        tab = Page(browser, url, 1280, 900)
        page = tab.page
        page.get_by_role("tab", name="الفهرس").click()
        info = page.locator("#akhbar-index-info")
        info.get_by_text("الصفحة 1 من 5").wait_for()
        assert info.locator("tbody tr").count() == PER_PAGE
        page.click("#akhbar-index-next")
        info.get_by_text("الصفحة 2 من 5").wait_for()
        info.get_by_text("n050", exact=True).wait_for()
        page.fill("#akhbar-index-search textarea, #akhbar-index-search input", "خبر 117")
        page.locator("#akhbar-index-search textarea, #akhbar-index-search input").press("Enter")
        info.get_by_text("n117", exact=True).wait_for()
        assert info.locator("tbody tr").count() == 1
        tab.close()
