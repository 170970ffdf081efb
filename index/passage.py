"""The one passage record: a piece of an article, as stored, searched, cited and shown."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields
from typing import Any, Self


@dataclass
class Passage:
    """A piece of an article: `article.text[start:end] == text`.

    The splitter makes them (`index.splitter.Chunk`), the store keeps them (one `to_dict` a line
    of chunks.jsonl), retrieval scores them (`qa.retriever.Hit`) and answers cite them
    (`qa.answer.Citation`); those extend this record with their own fields.
    """

    doc_id: str
    chunk_id: str
    title: str
    section: str
    text: str
    start: int
    end: int

    def embed_text(self) -> str:
        """The text given to the embedder and lexical index: title and section give context."""
        head = " — ".join(part for part in (self.title, self.section) if part)
        return f"{head}\n{self.text}" if head else self.text

    def to_dict(self) -> dict[str, Any]:
        """The passage's own fields as plain JSON (the stored form; subclasses add theirs)."""
        return {name: getattr(self, name) for name in PASSAGE_FIELDS}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], **extra: Any) -> Self:
        """Rebuild a record from its dict form (unknown keys are ignored).

        Args:
            data: A `to_dict()` result, or a row of chunks.jsonl (`section` may be absent).
            **extra: Values for fields `data` lacks or that should replace its own.

        Returns:
            The record.
        """
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        values.setdefault("section", "")
        values.update(extra)
        return cls(**values)


PASSAGE_FIELDS = tuple(f.name for f in fields(Passage))


def mark_span(
    text: str,
    start: int | None,
    end: int | None,
    wrap: Callable[[str], str],
    escape: Callable[[str], str] = str,
) -> str:
    """Show `text` with `text[start:end]` (an answer span) marked, for a terminal or a page.

    Args:
        text: The passage.
        start: Span start, or None for no span.
        end: Span end, or None.
        wrap: Marks the (escaped) span, e.g. with `<mark>` or terminal bold.
        escape: Applied to every piece of text (e.g. HTML escaping).

    Returns:
        The escaped text, the span wrapped when it is a valid, non-empty span of `text`.
    """
    if start is None or end is None or not 0 <= start < end <= len(text):
        return escape(text)
    return f"{escape(text[:start])}{wrap(escape(text[start:end]))}{escape(text[end:])}"
