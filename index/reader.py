"""Read article files (.txt, .md, .html, .jsonl) into `Article` records, skipping bad input clearly."""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from index.errors import ReadError

log = logging.getLogger(__name__)

TEXT_SUFFIXES = frozenset({".txt", ".md", ".markdown"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
JSONL_SUFFIXES = frozenset({".jsonl"})
SUPPORTED_SUFFIXES = TEXT_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES
MAX_FILE_BYTES = 50 * 1024 * 1024


@dataclass
class Article:
    """One article as indexed and shown: `text` is never altered after reading."""

    doc_id: str
    text: str
    title: str = ""
    url: str = ""
    date: str = ""
    source: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def content_hash(self) -> str:
        """Hash of everything that affects the index entries of this article."""
        payload = json.dumps(
            [self.text, self.title, self.url, self.date, self.meta],
            ensure_ascii=False,
            sort_keys=True,
            default=str,
        )
        return hashlib.sha256(payload.encode()).hexdigest()


@dataclass
class Skipped:
    """An input left out, with the reason shown to the operator."""

    where: str
    reason: str


@dataclass
class ReadResult:
    """Articles read from some paths plus what was skipped and why."""

    articles: list[Article] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def _decode(raw: bytes, where: str) -> str:
    if b"\x00" in raw[:8192]:
        raise ValueError("binary file, not text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not valid UTF-8 (byte {exc.start})") from exc


def _read_html(raw: str, doc_id: str, where: str) -> Article:
    import trafilatura  # heavy: lxml and friends

    doc = trafilatura.bare_extraction(
        raw, with_metadata=True, include_comments=False, include_tables=True
    )
    data = doc.as_dict() if doc is not None and hasattr(doc, "as_dict") else (doc or {})
    text = (data.get("text") or "").strip()
    if not text:
        raise ValueError("no article text found in the HTML")
    return Article(
        doc_id=doc_id,
        text=text,
        title=(data.get("title") or "").strip(),
        url=(data.get("url") or "").strip(),
        date=(data.get("date") or "").strip(),
        source=where,
    )


def _read_jsonl(raw: str, where: str, result: ReadResult) -> None:
    for lineno, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        place = f"{where}:{lineno}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            result.skipped.append(Skipped(place, f"malformed JSON ({exc.msg})"))
            continue
        if not isinstance(obj, dict):
            result.skipped.append(Skipped(place, "line is not a JSON object"))
            continue
        doc_id, text = obj.get("id"), obj.get("text")
        if not isinstance(doc_id, str | int) or str(doc_id).strip() == "":
            result.skipped.append(Skipped(place, "missing `id`"))
            continue
        if not isinstance(text, str) or not text.strip():
            result.skipped.append(Skipped(place, "missing or empty `text`"))
            continue
        known = {"id", "text", "title", "url", "date"}
        result.articles.append(
            Article(
                doc_id=str(doc_id),
                text=text,
                title=str(obj.get("title") or ""),
                url=str(obj.get("url") or ""),
                date=str(obj.get("date") or ""),
                source=place,
                meta={k: v for k, v in obj.items() if k not in known},
            )
        )


def read_file(path: Path, doc_id: str, result: ReadResult) -> None:
    """Read one file into `result`, recording a skip instead of raising on bad content.

    Args:
        path: The file.
        doc_id: Identifier for a single-article file.
        result: Collects articles and skips.
    """
    where = str(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        result.skipped.append(Skipped(where, f"unsupported file type {suffix or '(none)'}"))
        return
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ValueError(f"file too large ({size} bytes, limit {MAX_FILE_BYTES})")
        text = _decode(path.read_bytes(), where)
        if suffix in JSONL_SUFFIXES:
            _read_jsonl(text, where, result)
            return
        if not text.strip():
            raise ValueError("empty file")
        if suffix in HTML_SUFFIXES:
            result.articles.append(_read_html(text, doc_id, where))
        else:
            result.articles.append(Article(doc_id=doc_id, text=text, source=where))
    except (OSError, ValueError) as exc:
        result.skipped.append(Skipped(where, str(exc)))


def _files_under(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and not any(
            part.startswith(".") for part in path.relative_to(root).parts
        ):
            yield path


def read_paths(paths: Iterable[Path]) -> ReadResult:
    """Read files and folders (recursively) of articles.

    A file's `doc_id` is its path relative to the folder given, or its name when the file
    itself was given. Unsupported, binary, undecodable or empty files are skipped with a
    reason; a JSONL line that is malformed is skipped with its `file:line`.

    Args:
        paths: Files and folders.

    Returns:
        The articles read and what was skipped.

    Raises:
        ReadError: A path does not exist, or a folder holds no file at all.
    """
    result = ReadResult()
    for path in paths:
        path = Path(path)
        if not path.exists():
            raise ReadError(f"{path}: no such file or folder")
        if path.is_dir():
            files = list(_files_under(path))
            if not files:
                raise ReadError(f"{path}: the folder holds no files")
            for file in files:
                read_file(file, file.relative_to(path).as_posix(), result)
        else:
            read_file(path, path.name, result)
    seen: dict[str, str] = {}
    unique: list[Article] = []
    for article in result.articles:
        if article.doc_id in seen:
            result.skipped.append(
                Skipped(
                    article.source,
                    f"duplicate id {article.doc_id!r} (first in {seen[article.doc_id]})",
                )
            )
            continue
        seen[article.doc_id] = article.source
        unique.append(article)
    result.articles = unique
    for skip in result.skipped:
        log.warning("skipped %s: %s", skip.where, skip.reason)
    return result
