"""The real chat page in Debian's Chromium: answers, clickable citations, RTL, hostile uploads."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest

from ..conftest import ROOT, serving

pytestmark = pytest.mark.slow

ARTIFACTS = ROOT / "tests" / "artifacts"
SCREENSHOT = ROOT / "docs" / "screenshot.png"
DOC = "004_b11fdc9a7b87af75.txt"
TIMEOUT_MS = 45_000


class Page:
    """A browser tab on the page that records dialogs and refuses non-local requests."""

    def __init__(self, browser: Any, url: str, width: int, height: int) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.external: list[str] = []
        self.dialogs: list[str] = []
        self.context.route("**/*", self._route)
        self.page = self.context.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.page.on("dialog", self._dialog)
        self.page.goto(url)
        self.page.wait_for_selector("#akhbar-question textarea")

    def _route(self, route: Any) -> None:
        host = urlparse(route.request.url).hostname
        if route.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            self.external.append(route.request.url)
            route.abort()

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def ask(self, question: str, turn: int) -> str:
        """Ask in the page and wait for the final answer; returns the answer bubble's text."""
        self.page.fill("#akhbar-question textarea", question)
        self.page.click("#akhbar-send")
        self.page.wait_for_selector(f'#akhbar-sources section.akhbar-turn[data-turn="{turn}"]')
        bubbles = self.page.locator("#akhbar-chat .akhbar-msg")
        assert bubbles.count() == turn
        return str(bubbles.nth(turn - 1).inner_text())

    def close(self) -> None:
        self.context.close()


def save_screenshot(page: Any, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path))


def compact_copy(src: Path, dest: Path, limit: int = 300_000) -> None:
    """Copy a screenshot for the docs, reduced to a palette image if it is too large."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dest)
    if dest.stat().st_size > limit:
        from PIL import Image

        with Image.open(src) as img:
            img.convert("RGB").quantize(colors=128).save(dest, optimize=True)
    assert dest.stat().st_size <= limit


def test_ask_cite_follow_up_rtl(akhbar: Any, browser: Any, seeds_dev: list[dict[str, Any]]) -> None:
    started = time.perf_counter()
    akhbar.searcher.warm_up()
    item = next(x for x in seeds_dev if x["id"] == "d05")
    title = akhbar.info()["titles"][DOC]
    with serving(akhbar) as url:
        tab = Page(browser, url, 1280, 900)
        page = tab.page
        assert page.evaluate("document.documentElement.dir") == "rtl"
        assert (
            page.evaluate("getComputedStyle(document.querySelector('#akhbar-chat')).direction")
            == "rtl"
        )
        assert (
            page.evaluate("getComputedStyle(document.querySelector('#akhbar-sources')).direction")
            == "rtl"
        )

        text = tab.ask(item["question"], 1)
        assert "كروسيتو" in text, text
        cite = page.locator('#akhbar-chat a.akhbar-cite[href="#akhbar-src-1-1"]').first
        cite.click()
        source = page.locator("#akhbar-src-1-1")
        mark = source.locator(".akhbar-passage mark.akhbar-answer")
        mark.wait_for(state="visible")
        passage = str(source.locator(".akhbar-passage").inner_text())
        assert mark.inner_text().strip() and mark.inner_text() in passage
        # The bubble opens with the short answer: the span the source highlights.
        short = page.locator("#akhbar-chat .akhbar-found .akhbar-short").first
        assert short.inner_text().strip() == mark.inner_text().strip()
        assert source.get_attribute("data-doc") == DOC
        assert "akhbar-active" in (source.get_attribute("class") or "")
        heading = source.locator(".akhbar-title")
        assert heading.is_visible() and heading.inner_text().strip() == title
        assert (
            page.evaluate(
                "getComputedStyle(document.querySelector('#akhbar-src-1-1 .akhbar-passage')).direction"
            )
            == "rtl"
        )

        # The whole article around the passage, the passage highlighted in it.
        source.locator("details.akhbar-article > summary").click()
        in_article = source.locator(".akhbar-article-text .akhbar-in-article")
        in_article.wait_for(state="visible")
        assert in_article.inner_text() == passage
        assert in_article.locator("mark.akhbar-answer").inner_text() == mark.inner_text()

        follow_up = tab.ask("وأين التقيا؟", 2)
        assert "القاهرة" in follow_up  # the page carries the conversation
        turn_2 = page.locator('#akhbar-chat a.akhbar-cite[href^="#akhbar-src-2-"]')
        turn_2.first.click()
        page.locator('#akhbar-sources .akhbar-active[data-turn="2"]').wait_for(state="visible")
        assert not source.is_visible()  # the first answer's sources are tucked away
        # A citation of the first answer still opens the first answer's source.
        page.locator('#akhbar-chat a.akhbar-cite[href="#akhbar-src-1-1"]').first.click()
        source.wait_for(state="visible")
        mark.wait_for(state="visible")
        source.locator("details.akhbar-article > summary").click()
        in_article.wait_for(state="visible")
        page.wait_for_timeout(600)  # smooth scrolling settles
        desktop = ARTIFACTS / "page-desktop.png"
        save_screenshot(page, desktop)
        if os.environ.get("AKHBAR_UPDATE_SCREENSHOT"):  # refresh the README's picture on request
            compact_copy(desktop, SCREENSHOT)
        assert not tab.dialogs and not tab.external, (tab.dialogs, tab.external)
        tab.close()

        phone = Page(browser, url, 390, 844)
        # An example question (built from an article title) asks itself; a new chat clears all.
        phone.page.locator("#akhbar-chat button.example").first.click()
        phone.page.wait_for_selector('#akhbar-sources section.akhbar-turn[data-turn="1"]')
        assert phone.page.locator("#akhbar-chat .akhbar-user").inner_text().startswith("ما أبرز")
        phone.page.click("#akhbar-clear")
        phone.page.locator("#akhbar-sources .akhbar-empty-sources").wait_for()
        assert phone.page.locator("#akhbar-chat .akhbar-msg").count() == 0
        text = phone.ask(item["question"], 1)
        assert "كروسيتو" in text
        assert phone.page.evaluate("document.documentElement.scrollWidth") <= 390
        save_screenshot(phone.page, ARTIFACTS / "page-phone.png")
        phone.page.locator('#akhbar-chat a.akhbar-cite[href="#akhbar-src-1-1"]').first.click()
        phone_mark = phone.page.locator("#akhbar-src-1-1 .akhbar-passage mark.akhbar-answer")
        phone_mark.wait_for(state="visible")
        phone.page.wait_for_timeout(600)  # smooth scrolling settles
        assert phone_mark.is_visible() and phone.page.evaluate("window.scrollY") > 0
        assert phone.page.evaluate("document.documentElement.scrollWidth") <= 390
        save_screenshot(phone.page, ARTIFACTS / "page-phone-source.png")
        assert not phone.external
        phone.close()
    assert time.perf_counter() - started < 90


HOSTILE_ARTICLE = """مكتبة الزهراء <img src=x onerror="window.__pwned=1">

افتتح رئيس البلدية سامي العلوي مكتبة الزهراء العامة يوم الأحد <script>window.__pwned=1</script> في حي النخيل.
وتضم المكتبة خمسين ألف كتاب <img src=x onerror="window.__pwned=1"> وقاعة للأطفال، و<a href="javascript:window.__pwned=1">رابط</a> للتسجيل.
"""


def test_hostile_upload_shows_as_text(writable_app: Any, browser: Any, tmp_path: Path) -> None:
    started = time.perf_counter()
    writable_app.searcher.warm_up()
    article = tmp_path / "hostile_article.txt"
    article.write_text(HOSTILE_ARTICLE, encoding="utf-8")
    with serving(writable_app) as url:
        tab = Page(browser, url, 1280, 900)
        page = tab.page
        page.get_by_role("tab", name="الفهرس").click()
        page.locator("#akhbar-upload input[type=file]").set_input_files(str(article))
        page.locator("#akhbar-upload").get_by_text("hostile_article.txt").first.wait_for()
        page.click("#akhbar-add")
        page.locator("#akhbar-upload-summary .akhbar-added").get_by_text(
            "hostile_article.txt"
        ).wait_for()
        page.locator("#akhbar-index-info").get_by_text("hostile_article.txt").wait_for()
        assert "hostile_article.txt" in writable_app.info()["titles"]

        page.get_by_role("tab", name="المحادثة").click()
        tab.ask('<img src=x onerror="window.__pwned=1"> من افتتح مكتبة الزهراء العامة؟', 1)
        source = page.locator(
            '#akhbar-sources .akhbar-source[data-doc="hostile_article.txt"]'
        ).first
        n = source.get_attribute("data-n")
        page.locator(f'#akhbar-chat a.akhbar-cite[href="#akhbar-src-1-{n}"]').first.click()
        passage = source.locator(".akhbar-passage")
        passage.wait_for(state="visible")
        source.locator("details.akhbar-article > summary").click()
        source.locator(".akhbar-article-text").wait_for(state="visible")

        assert "<script>window.__pwned=1</script>" in passage.inner_text()
        assert (
            source.locator(".akhbar-article-text")
            .get_by_text("<script>window.__pwned=1</script>")
            .is_visible()
        )
        assert (
            page.locator("#akhbar-chat .akhbar-user")
            .get_by_text('<img src=x onerror="window.__pwned=1">')
            .is_visible()
        )
        page.wait_for_timeout(500)  # give any injected handler time to run
        assert page.evaluate("typeof window.__pwned") == "undefined"
        for where in (
            "#akhbar-sources",
            "#akhbar-chat .message-content",
            "#akhbar-index-info",
            "#akhbar-upload-summary",
        ):
            assert page.locator(f"{where} img, {where} script, {where} iframe").count() == 0, where
        assert page.locator('a[href^="javascript:"]').count() == 0
        assert page.locator("[onerror]").count() == 0
        assert not tab.dialogs and not tab.external, (tab.dialogs, tab.external)
        tab.close()
    assert time.perf_counter() - started < 60
