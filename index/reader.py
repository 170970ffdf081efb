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


def _jsonl_records(lines: Iterable[str | bytes], where: str) -> Iterator[Article | Skipped]:
    for lineno, raw in enumerate(lines, start=1):
        place = f"{where}:{lineno}"
        if isinstance(raw, bytes):
            try:
                line = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                yield Skipped(place, f"not valid UTF-8 (byte {exc.start})")
                continue
        else:
            line = raw
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Skipped(place, f"malformed JSON ({exc.msg})")
            continue
        if not isinstance(obj, dict):
            yield Skipped(place, "line is not a JSON object")
            continue
        doc_id, text = obj.get("id"), obj.get("text")
        if not isinstance(doc_id, str | int) or str(doc_id).strip() == "":
            yield Skipped(place, "missing `id`")
            continue
        if not isinstance(text, str) or not text.strip():
            yield Skipped(place, "missing or empty `text`")
            continue
        known = {"id", "text", "title", "url", "date"}
        yield Article(
            doc_id=str(doc_id),
            text=text,
            title=str(obj.get("title") or ""),
            url=str(obj.get("url") or ""),
            date=str(obj.get("date") or ""),
            source=place,
            meta={k: v for k, v in obj.items() if k not in known},
        )


def _read_jsonl(raw: str, where: str, result: ReadResult) -> None:
    for record in _jsonl_records(raw.splitlines(), where):
        if isinstance(record, Article):
            result.articles.append(record)
        else:
            result.skipped.append(record)


def _is_jsonl(path: Path) -> bool:
    name = path.name.lower()
    return path.suffix.lower() in JSONL_SUFFIXES or name.endswith(".jsonl.gz")


def _stream_jsonl(path: Path, where: str) -> Iterator[Article | Skipped]:
    """A JSONL file (optionally gzipped) line by line: any size, bounded memory."""
    import gzip

    opener: Any = gzip.open if path.name.lower().endswith(".gz") else open
    try:
        with opener(path, "rb") as fh:
            head = fh.read(8192)
            if b"\x00" in head:
                yield Skipped(where, "binary file, not text")
                return
            fh.seek(0)
            yield from _jsonl_records(fh, where)
    except (OSError, EOFError) as exc:
        yield Skipped(where, str(exc))


def count_articles(paths: Iterable[Path]) -> int:
    """A quick estimate of how many articles `iter_paths` will yield (for progress bars).

    Counts the lines of JSONL files and the other supported files; reads nothing else.

    Args:
        paths: Files and folders.

    Returns:
        The estimate.
    """
    import gzip

    total = 0
    for path in paths:
        path = Path(path)
        files = list(_files_under(path)) if path.is_dir() else [path] if path.exists() else []
        for file in files:
            if _is_jsonl(file):
                opener: Any = gzip.open if file.name.lower().endswith(".gz") else open
                try:
                    with opener(file, "rb") as fh:
                        total += sum(1 for line in fh if line.strip())
                except (OSError, EOFError):
                    continue
            elif file.suffix.lower() in SUPPORTED_SUFFIXES:
                total += 1
    return total


def iter_file(path: Path, doc_id: str) -> Iterator[Article | Skipped]:
    """Read one file, yielding its articles and, instead of raising, what was skipped.

    JSONL files (also `.jsonl.gz`) are streamed line by line and have no size limit; other
    files hold one article and are skipped above `MAX_FILE_BYTES`.

    Args:
        path: The file.
        doc_id: Identifier for a single-article file.

    Yields:
        Articles and skips.
    """
    where = str(path)
    suffix = path.suffix.lower()
    if _is_jsonl(path):
        yield from _stream_jsonl(path, where)
        return
    if suffix not in SUPPORTED_SUFFIXES:
        yield Skipped(where, f"unsupported file type {suffix or '(none)'}")
        return
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ValueError(f"file too large ({size} bytes, limit {MAX_FILE_BYTES})")
        text = _decode(path.read_bytes(), where)
        if not text.strip():
            raise ValueError("empty file")
        if suffix in HTML_SUFFIXES:
            yield _read_html(text, doc_id, where)
        else:
            yield Article(doc_id=doc_id, text=text, source=where)
    except (OSError, ValueError) as exc:
        yield Skipped(where, str(exc))


def read_file(path: Path, doc_id: str, result: ReadResult) -> None:
    """Read one file into `result`, recording a skip instead of raising on bad content.

    Args:
        path: The file.
        doc_id: Identifier for a single-article file.
        result: Collects articles and skips.
    """
    for record in iter_file(path, doc_id):
        if isinstance(record, Article):
            result.articles.append(record)
        else:
            result.skipped.append(record)


def _files_under(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and not any(
            part.startswith(".") for part in path.relative_to(root).parts
        ):
            yield path


def iter_paths(paths: Iterable[Path]) -> Iterator[Article | Skipped]:
    """Stream the articles of files and folders (recursively), one at a time.

    A file's `doc_id` is its path relative to the folder given, or its name when the file
    itself was given. Unsupported, binary, undecodable or empty files are skipped with a
    reason; a JSONL line that is malformed is skipped with its `file:line`; a repeated id is
    skipped (only the ids seen are remembered, never the articles).

    Args:
        paths: Files and folders.

    Yields:
        Articles and skips, in reading order.

    Raises:
        ReadError: A path does not exist, or a folder holds no file at all (raised before
            anything is yielded).
    """
    plan: list[tuple[Path, str]] = []
    for path in paths:
        path = Path(path)
        if not path.exists():
            raise ReadError(f"{path}: no such file or folder")
        if path.is_dir():
            files = list(_files_under(path))
            if not files:
                raise ReadError(f"{path}: the folder holds no files")
            plan.extend((file, file.relative_to(path).as_posix()) for file in files)
        else:
            plan.append((path, path.name))
    return _iter_plan(plan)


def _iter_plan(plan: list[tuple[Path, str]]) -> Iterator[Article | Skipped]:
    seen: dict[str, str] = {}
    for file, doc_id in plan:
        for record in iter_file(file, doc_id):
            if isinstance(record, Article):
                if record.doc_id in seen:
                    record = Skipped(
                        record.source,
                        f"duplicate id {record.doc_id!r} (first in {seen[record.doc_id]})",
                    )
                else:
                    seen[record.doc_id] = record.source
                    yield record
                    continue
            log.warning("skipped %s: %s", record.where, record.reason)
            yield record


def read_paths(paths: Iterable[Path]) -> ReadResult:
    """Read files and folders (recursively) of articles, all at once (see `iter_paths`).

    Args:
        paths: Files and folders.

    Returns:
        The articles read and what was skipped.

    Raises:
        ReadError: A path does not exist, or a folder holds no file at all.
    """
    result = ReadResult()
    for record in iter_paths(paths):
        if isinstance(record, Article):
            result.articles.append(record)
        else:
            result.skipped.append(record)
    return result
