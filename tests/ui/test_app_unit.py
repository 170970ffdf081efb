from __future__ import annotations

import json
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import gradio as gr
import pytest

from akhbar.app import Akhbar
from index.errors import IndexMissingError, StoreConnectionError
from qa.answer import Answer, Citation
from qa.errors import BadHistory, NoWordsQuestion, QuestionError, QuestionTooLong
from ui import render
from ui.api import AskApi
from ui.app import build_app
from ui.auth import parse_auth
from ui.chat_tab import ChatHandlers, plain_answer
from ui.index_tab import IndexHandlers, index_info_html, upload_summary_html
from ui.messages import friendly_error
from ui.uploads import Upload, UploadRejected, safe_name, stage_uploads

from ..conftest import SEEDS

HOSTILE = (
    'خبر <script>alert(1)</script> و<img src=x onerror="alert(1)"> '
    'و<a href="javascript:alert(1)">رابط</a> "quoted" \'single\' & more'
)
DOC = "004_b11fdc9a7b87af75.txt"


class _Audit(HTMLParser):
    """Collects what a browser would build from some HTML: tags, attributes, hrefs."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attrs: set[str] = set()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            self.attrs.add(name)
            if name in ("href", "src"):
                self.hrefs.append(value or "")


def audit(html: str) -> _Audit:
    parser = _Audit()
    parser.feed(html)
    parser.close()
    return parser


def assert_inert(html: str) -> None:
    found = audit(html)
    assert not found.tags & {"script", "img", "iframe", "object", "embed", "svg", "style"}
    assert not [a for a in found.attrs if a.startswith("on")], found.attrs
    assert all(h.startswith("#akhbar-src-") for h in found.hrefs), found.hrefs
    assert "src" not in found.attrs


@pytest.fixture
def seeded(fake_app: Any, tmp_path: Path) -> Any:
    folder = tmp_path / "articles"
    shutil.copytree(SEEDS, folder)
    fake_app.build([folder])
    return fake_app


def real_citation(app: Any, n: int = 1, word: str = "كروسيتو") -> Citation:
    """A citation of a real indexed passage, with `word` as its answer span."""
    hit = next(h for h in app.search(f"وزير الدفاع الإيطالي {word}", k=10) if word in h.text)
    at = hit.text.index(word)
    return Citation.from_hit(n, hit, (at, at + len(word)))


def hostile_citation() -> Citation:
    text = f"مقدمة {HOSTILE} خاتمة"
    at = text.index("<script>")
    return Citation(
        n=1,
        doc_id="<b>x</b>.txt",
        chunk_id="c1",
        title=HOSTILE,
        section=HOSTILE,
        text=text,
        start=0,
        end=len(text),
        answer_start=at,
        answer_end=at + 25,
    )


def test_everything_interpolated_is_escaped() -> None:
    citation = hostile_citation()
    answer = Answer(
        question=HOSTILE,
        answer=f"{HOSTILE} [1]",
        found=True,
        citations=[citation],
        short_answer=HOSTILE,
    )
    article = {citation.doc_id: citation.text + "\n" + HOSTILE}
    pieces = [
        render.answer_html(answer, 1),
        render.answer_html(answer, 1, streaming=True),
        render.sources_panel([render.sources_section(answer, 1, article)]),
        render.question_html(HOSTILE),
        render.error_html(HOSTILE),
        render.answer_html(replace(answer, found=False, citations=[]), 2),
        index_info_html(
            {"documents": 1, "chunks": 2, "model": HOSTILE, "titles": {HOSTILE: HOSTILE}}
        ),
        index_info_html(None, HOSTILE),
        upload_summary_html(
            {"added": [HOSTILE], "skipped": [{"where": HOSTILE, "reason": HOSTILE}]},
            [(HOSTILE, HOSTILE)],
            error=HOSTILE,
        ),
    ]
    for html in pieces:
        assert_inert(html)
        assert "<script>" not in html and "&lt;script&gt;" in html
        assert 'href="javascript' not in html
    # The hostile text is still all there, as text.
    assert render.esc(HOSTILE) in pieces[0]
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in pieces[2]


def test_the_short_answer_comes_first_in_the_bubble() -> None:
    answer = Answer(
        question="أين التقيا؟",
        answer="جاء ذلك خلال لقاء جمع الطرفين في القاهرة، [1]",
        found=True,
        citations=[hostile_citation()],
        short_answer="القاهرة",
    )
    html = render.answer_html(answer, 1)
    short = html.index('<p class="akhbar-short" dir="auto">القاهرة</p>')
    assert short < html.index('class="akhbar-text"')
    # Without one (an untyped question, a generated answer), the clause stands alone.
    assert "akhbar-short" not in render.answer_html(replace(answer, short_answer=""), 1)


def test_citation_html_marks_the_answer_span(seeded: Any) -> None:
    citation = real_citation(seeded)
    answer = Answer(
        question="من هو وزير الدفاع الإيطالي؟",
        answer=citation.text[: citation.answer_end] + " [1]",
        found=True,
        citations=[citation],
    )
    docs = seeded.searcher.snapshot().docs
    section = render.sources_section(answer, 3, {DOC: docs[DOC]["text"]})
    assert citation.doc_id == DOC
    assert f'id="{render.source_anchor(3, 1)}"' in section and 'data-n="1"' in section
    assert '<mark class="akhbar-answer">كروسيتو</mark>' in section
    passage = section.split('<blockquote class="akhbar-passage" dir="auto">')[1].split(
        "</blockquote>"
    )[0]
    assert passage.replace('<mark class="akhbar-answer">', "").replace("</mark>", "") == render.esc(
        citation.text
    )
    # The whole article, with the passage located by its offsets and highlighted in it.
    article = section.split('<div class="akhbar-article-text" dir="auto">')[1]
    assert '<span class="akhbar-in-article">' in article
    assert article.count('<mark class="akhbar-answer">') == 1
    assert render.esc(docs[DOC]["text"][: citation.start]) in article
    assert render.esc(citation.title) in section
    bubble = render.answer_html(answer, 3)
    assert '<a class="akhbar-cite" href="#akhbar-src-3-1"' in bubble
    assert 'class="akhbar-chip akhbar-cite" href="#akhbar-src-3-1"' in bubble


def test_article_view_left_out_when_the_article_changed(seeded: Any) -> None:
    citation = real_citation(seeded)
    answer = Answer(question="q", answer="a [1]", found=True, citations=[citation])
    section = render.sources_section(answer, 1, {DOC: "نص آخر تماماً"})
    assert "akhbar-article" not in section
    assert '<mark class="akhbar-answer">كروسيتو</mark>' in section


def test_unknown_citation_numbers_stay_text() -> None:
    answer = Answer(
        question="q", answer="نص [7] آخر [1]", found=True, citations=[hostile_citation()]
    )
    html = render.answer_html(answer, 1)
    assert "[7]" in html and html.count("akhbar-cite") == 2  # [1] in the text and its chip


def test_not_found_is_marked() -> None:
    answer = Answer(
        question="ما سعر الذهب؟", answer="لا تذكر المصادر المتاحة إجابة عن هذا السؤال.", found=False
    )
    html = render.answer_html(answer, 1)
    assert "akhbar-notfound" in html and "akhbar-cite" not in html
    assert render.NOT_FOUND_TITLE in html
    section = render.sources_section(answer, 1)
    assert "akhbar-source" not in section.replace("akhbar-sources", "")


def test_sources_panel_keeps_earlier_turns_hidden() -> None:
    a = Answer(question="q1", answer="a [1]", found=True, citations=[hostile_citation()])
    panel = render.sources_panel([render.sources_section(a, 1), render.sources_section(a, 2)])
    assert '<section hidden class="akhbar-turn" data-turn="1">' in panel
    assert '<section class="akhbar-turn" data-turn="2">' in panel
    many = render.sources_panel([render.sources_section(a, i) for i in range(1, 30)])
    assert many.count("<section") == render.MAX_TURNS_KEPT


def test_example_questions_come_from_titles() -> None:
    titles = {"a.txt": "عنوان أول", "b.txt": "", "c.txt": "ع " * 80, "d.txt": "عنوان أول"}
    qs = render.example_questions(titles)
    assert qs[0] == "ما أبرز ما جاء في: عنوان أول؟"
    assert len(qs) == 2 and qs[1].endswith("…؟") and len(qs[1]) < 100


class _StubApp:
    """Streams prepared answers and records the history it was given (a `Conversation`)."""

    def __init__(self, inner: Akhbar, answers: list[Answer]) -> None:
        self.inner = inner
        self.answers = answers
        self.histories: list[list[list[str]]] = []

    def articles(self) -> Mapping[str, dict[str, Any]]:
        return self.inner.articles()

    def stream(self, question: str, history: list[list[str]] | None = None) -> Iterator[Answer]:
        self.histories.append([list(p) for p in history or []])
        if not question.strip("؟? "):
            raise NoWordsQuestion("the question has no words: type a question about the articles")
        answer = self.answers.pop(0)
        words = answer.answer.split(" ")
        for i in range(1, len(words)):
            yield replace(answer, answer=" ".join(words[:i]))
        yield answer


def run(gen: Any) -> list[tuple[Any, ...]]:
    return list(gen)


def test_chat_turns_stream_cite_and_carry_history(seeded: Any) -> None:
    c1 = real_citation(seeded)
    first = Answer(
        question="من؟", answer=f"{c1.text[: c1.answer_end]} [1]", found=True, citations=[c1]
    )
    second = Answer(question="وأين؟", answer="في القاهرة [1]", found=True, citations=[replace(c1)])
    stub = _StubApp(seeded, [first, second])
    h = ChatHandlers(stub)

    updates = run(h.respond("من هو وزير الدفاع الإيطالي الذي التقى السيسي؟", [], [], []))
    assert len(updates) >= 3
    chat, sources, _, pairs, sections = updates[-1]
    assert updates[0][2] == ""  # the question box is emptied at once
    assert "akhbar-pending" in updates[0][0][-1]["content"]
    assert "akhbar-cursor" in updates[1][0][-1]["content"]  # streaming
    assert chat[-1]["role"] == "assistant" and "akhbar-src-1-1" in chat[-1]["content"]
    assert "akhbar-cursor" not in chat[-1]["content"]
    # The turn keeps what it cited, so that the follow-up looks there first.
    assert pairs == [
        ["من هو وزير الدفاع الإيطالي الذي التقى السيسي؟", plain_answer(first), [c1.doc_id]]
    ]
    assert "[1]" not in pairs[0][1]
    assert 'id="akhbar-src-1-1"' in sources and len(sections) == 1

    updates = run(h.respond("وأين التقيا؟", chat, pairs, sections))
    chat2, sources2, _, pairs2, sections2 = updates[-1]
    assert stub.histories[-1] == pairs  # the follow-up saw the first turn
    assert len(chat2) == 4 and "akhbar-src-2-1" in chat2[-1]["content"]
    assert len(pairs2) == 2 and len(sections2) == 2
    assert '<section hidden class="akhbar-turn" data-turn="1">' in sources2


def test_chat_errors_are_friendly(seeded: Any) -> None:
    h = ChatHandlers(_StubApp(seeded, []))
    assert run(h.respond("   ", [], [], [])) == [(gr.skip(),) * 5]
    updates = run(h.respond("؟؟؟", [], [], []))
    chat = updates[-1][0]
    assert "akhbar-error" in chat[-1]["content"] and "السؤال فارغ" in chat[-1]["content"]
    assert "Traceback" not in chat[-1]["content"]
    assert len(updates[-1]) == 5 and updates[-1][3] == gr.skip()  # history untouched

    class Broken(_StubApp):
        def stream(self, question: str, history: list[list[str]] | None = None) -> Iterator[Answer]:
            raise RuntimeError("secret internals /etc/passwd")
            yield

    h = ChatHandlers(Broken(seeded, []))
    chat = run(h.respond("سؤال", [], [], []))[-1][0]
    assert "secret" not in chat[-1]["content"] and "خطأ غير متوقع" in chat[-1]["content"]
    assert "طويل جداً (2500 حرفاً، والحد 2000)" in friendly_error(QuestionTooLong(2500, 2000))


def test_friendly_error_maps_exception_types_not_text() -> None:
    # The message text plays no part: the same English words under another type map elsewhere.
    assert "سياق المحادثة" in friendly_error(BadHistory("the question is too long"))
    assert "تعذّر قبول" in friendly_error(QuestionError("history is empty"))
    assert "الفهرس غير متاح" in friendly_error(IndexMissingError("no index"))
    assert "قاعدة بيانات الفهرس" in friendly_error(StoreConnectionError("no index"))
    assert "خطأ غير متوقع" in friendly_error(ValueError("the question is empty"))


def test_api_ask_returns_answer_json(seeded: Any) -> None:
    h = AskApi(seeded)
    out = h.ask("ما سعر الذهب؟", "[]")
    assert json.loads(json.dumps(out))["found"] is False and out["question"] == "ما سعر الذهب؟"
    assert h.ask("ما سعر الذهب؟", "")["answer"]
    with pytest.raises(gr.Error):
        h.ask("سؤال", "{not json")
    with pytest.raises(gr.Error):
        h.ask("سؤال", '[["only one"]]')
    with pytest.raises(gr.Error):
        h.ask("", "[]")


def test_build_app_has_stable_api(seeded: Any) -> None:
    demo = build_app(seeded)
    names = {fn.api_name for fn in demo.fns.values() if fn.api_visibility == "public"}
    assert names == {"ask"}
    assert "akhbar-sources" in json.dumps(demo.get_config_file(), ensure_ascii=False, default=str)


def test_parse_auth() -> None:
    assert parse_auth("") is None
    assert parse_auth("me:pa:ss") == ("me", "pa:ss")
    for bad in ("nopassword", ":x", "x:"):
        with pytest.raises(ValueError):
            parse_auth(bad)


# Uploads -----------------------------------------------------------------------------------


def write(path: Path, text: str = "أعلنت وزارة الزراعة عن موسم حصاد القمح في الصعيد.") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_safe_name_cannot_escape() -> None:
    assert safe_name("../../x.txt") == "x.txt"
    assert safe_name("..\\..\\evil.md") == "evil.md"
    assert safe_name("/etc/passwd") == "passwd"
    assert safe_name("..") == "upload"
    assert safe_name(".hidden.txt") == "hidden.txt"
    assert safe_name("خبر عاجل؟.txt") == "خبر_عاجل_.txt"
    assert len(safe_name("a" * 500 + ".txt")) <= 120 and safe_name("a" * 500 + ".txt").endswith(
        ".txt"
    )


def test_upload_name_stays_inside_the_staging_folder(tmp_path: Path) -> None:
    src = write(tmp_path / "in" / "whatever.txt")
    root = tmp_path / "staging"
    root.mkdir()
    staged = stage_uploads([Upload(src, "../../x.txt")], max_mb=1, max_files=5, root=root)
    try:
        assert [p.name for p in staged.files] == ["x.txt"]
        assert staged.files[0].parent == staged.folder and staged.folder.parent == root.resolve()
        assert not (tmp_path / "x.txt").exists() and not (root / "x.txt").exists()
    finally:
        staged.cleanup()
    assert not staged.folder.exists()


def test_upload_caps(tmp_path: Path) -> None:
    files = [write(tmp_path / f"a{i}.txt") for i in range(4)]
    with pytest.raises(UploadRejected, match="4"):
        stage_uploads(files, max_mb=1, max_files=3)
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * (1024 * 1024 + 1))
    with pytest.raises(UploadRejected, match=r"big\.txt"):
        stage_uploads([files[0], big], max_mb=1, max_files=3)
    with pytest.raises(UploadRejected):
        stage_uploads([], max_mb=1, max_files=3)
    pdf = write(tmp_path / "b.pdf")
    twin = write(tmp_path / "sub" / "a0.txt")
    staged = stage_uploads([files[0], pdf, twin], max_mb=1, max_files=3)
    try:
        assert [p.name for p in staged.files] == ["a0.txt"]
        assert [name for name, _ in staged.rejected] == ["b.pdf", "a0.txt"]
    finally:
        staged.cleanup()


def test_upload_handler_indexes_and_reports(seeded: Any, tmp_path: Path) -> None:
    h = IndexHandlers(seeded, 1.0, 3)
    generation = seeded.store.current_path()
    too_many = [str(write(tmp_path / f"m{i}.txt")) for i in range(4)]
    summary, info, files = h.upload(too_many)
    assert "akhbar-error" in summary and "4" in summary
    assert info == gr.skip() and files is None
    assert seeded.store.current_path() == generation  # index untouched

    big = tmp_path / "big.txt"
    big.write_bytes("خبر ".encode() * 400_000)
    summary, _, _ = h.upload([str(big)])
    assert "akhbar-error" in summary and seeded.store.current_path() == generation

    summary, _, _ = h.upload([str(tmp_path / "x.pdf")] if write(tmp_path / "x.pdf") else [])
    assert "akhbar-rejected" in summary and seeded.store.current_path() == generation

    hostile = write(tmp_path / "up" / "hostile.txt", f"خبر عن القمح.\n{HOSTILE}\n")
    empty = write(tmp_path / "up" / "empty.md", "   ")
    summary, info, files = h.upload([str(hostile), str(empty), str(tmp_path / "x.pdf")])
    assert_inert(summary)
    assert "akhbar-added" in summary and "hostile.txt" in summary
    assert (
        "akhbar-skipped" in summary and "empty.md" in summary and "/akhbar-upload-" not in summary
    )
    assert "akhbar-rejected" in summary and "x.pdf" in summary
    assert "hostile.txt" in info and files is None
    assert "hostile.txt" in seeded.info()["titles"]

    summary, _, _ = h.upload([str(hostile)])
    assert "akhbar-unchanged" in summary
    assert h.upload(None)[0].count("akhbar-error") == 1


def test_serve_launch_options(
    seeded: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from ui import server as ui

    calls: list[dict[str, Any]] = []

    def fake_launch(self: Any, *args: Any, **kwargs: Any) -> None:
        calls.append(kwargs)
        self.is_running = False

    monkeypatch.setattr(gr.Blocks, "launch", fake_launch)
    monkeypatch.setattr(gr.Blocks, "close", lambda self: None)
    ready: list[str] = []
    ui.serve(seeded, "0.0.0.0", 8123, max_upload_mb=2, max_upload_files=4, ready=ready.append)
    assert "without a login" in caplog.text
    kw = calls[-1]
    assert kw["server_name"] == "0.0.0.0" and kw["server_port"] == 8123
    assert kw["auth"] is None and kw["show_error"] is False
    assert kw["max_file_size"] == 2 * 1024 * 1024
    assert kw["css"] and kw["head"] and kw["theme"] is not None and kw["quiet"] is True
    assert ready == ["http://0.0.0.0:8123"]

    caplog.clear()
    ui.serve(seeded, "127.0.0.1", 8124, auth="me:secret")
    assert calls[-1]["auth"] == ("me", "secret") and "without a login" not in caplog.text
    with pytest.raises(ValueError):
        ui.serve(seeded, "127.0.0.1", 8125, auth="nocolon")
