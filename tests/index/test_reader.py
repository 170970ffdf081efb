from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.reader import ReadError, read_paths

from ..conftest import SEEDS


def test_seed_files_read_with_relative_ids() -> None:
    result = read_paths([SEEDS])
    ids = sorted(a.doc_id for a in result.articles)
    assert ids == sorted(p.name for p in SEEDS.iterdir())
    assert not result.skipped
    original = (SEEDS / ids[0]).read_text(encoding="utf-8")
    assert next(a for a in result.articles if a.doc_id == ids[0]).text == original


def test_file_given_directly_uses_its_name(tmp_path: Path) -> None:
    sub = tmp_path / "a" / "b"
    sub.mkdir(parents=True)
    (sub / "x.txt").write_text("نص الخبر هنا.", encoding="utf-8")
    assert read_paths([sub / "x.txt"]).articles[0].doc_id == "x.txt"
    assert read_paths([tmp_path]).articles[0].doc_id == "a/b/x.txt"


def test_bad_files_are_skipped_with_reasons(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("خبر جيد.", encoding="utf-8")
    (tmp_path / "latin1.txt").write_bytes("caf\xe9".encode("latin-1"))
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02abc")
    (tmp_path / "empty.md").write_text("  \n", encoding="utf-8")
    (tmp_path / "pic.png").write_bytes(b"\x89PNG")
    result = read_paths([tmp_path])
    assert [a.doc_id for a in result.articles] == ["good.txt"]
    reasons = {Path(s.where).name: s.reason for s in result.skipped}
    assert "UTF-8" in reasons["latin1.txt"]
    assert "binary" in reasons["bin.txt"]
    assert "empty" in reasons["empty.md"]
    assert "unsupported" in reasons["pic.png"]


def test_jsonl_lines_keep_metadata_and_name_bad_lines(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    rows = [
        json.dumps(
            {"id": "n1", "text": "الخبر الأول.", "title": "عنوان", "url": "u", "section": "اقتصاد"}
        ),
        "{not json",
        json.dumps({"id": "n2"}),
        json.dumps({"id": "n3", "text": "الخبر الثالث.", "date": "2024-01-02"}),
    ]
    path.write_text("\n".join(rows), encoding="utf-8")
    result = read_paths([path])
    assert [a.doc_id for a in result.articles] == ["n1", "n3"]
    assert result.articles[0].meta == {"section": "اقتصاد"}
    assert result.articles[0].title == "عنوان"
    assert result.articles[1].date == "2024-01-02"
    assert {s.where for s in result.skipped} == {f"{path}:2", f"{path}:3"}


def test_html_main_text_title_and_date(tmp_path: Path) -> None:
    html = """<html><head><title>موقع الأخبار | عنوان المقال</title>
    <meta property="article:published_time" content="2024-03-05"></head><body>
    <nav><a href="/">الرئيسية</a> <a href="/sport">رياضة</a></nav>
    <article><h1>البرلمان يقر الموازنة الجديدة</h1>
    <p>أقر البرلمان اليوم الموازنة العامة الجديدة بعد نقاش استمر ثلاثة أيام بين الكتل النيابية المختلفة.</p>
    <p>وقال رئيس اللجنة المالية إن الموازنة تركز على التعليم والصحة وتخفيض العجز خلال العام المقبل.</p>
    </article><footer>جميع الحقوق محفوظة 2024</footer></body></html>"""
    (tmp_path / "a.html").write_text(html, encoding="utf-8")
    article = read_paths([tmp_path]).articles[0]
    assert "أقر البرلمان" in article.text
    assert "رياضة" not in article.text and "جميع الحقوق" not in article.text
    assert article.date == "2024-03-05"
    assert article.title


def test_missing_path_and_empty_folder_raise(tmp_path: Path) -> None:
    with pytest.raises(ReadError, match="no such file"):
        read_paths([tmp_path / "nope"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(ReadError, match="holds no files"):
        read_paths([tmp_path / "empty"])
