"""What the page needs from the application: `typing.Protocol`s the composition root satisfies."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

from index.indexer import Summary
from qa.answer import Answer


class Asker(Protocol):
    """Answers one question at a time (the `/ask` endpoint)."""

    def ask(self, question: str, history: list[list[str]] | None = None) -> Answer:
        """Answer a question."""
        ...


class Conversation(Protocol):
    """Streams answers and shows the articles they cite (the chat tab)."""

    def stream(self, question: str, history: list[list[str]] | None = None) -> Iterator[Answer]:
        """Answer a question, yielding the growing answer."""
        ...

    def articles(self) -> Mapping[str, dict[str, Any]]:
        """The indexed articles by id (`text`, `title`, ...), as the live index holds them."""
        ...


class Library(Protocol):
    """Shows and extends the index (the index tab)."""

    def add(self, paths: Iterable[Path]) -> Summary:
        """Add or update articles."""
        ...

    def info(self) -> dict[str, Any]:
        """Documents, chunks, model and size of the live index."""
        ...


class Backend(Asker, Conversation, Library, Protocol):
    """The application as the whole page uses it (`akhbar.app.Akhbar` implements it)."""
