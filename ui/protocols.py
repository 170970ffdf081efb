"""What the page needs from the application: a `typing.Protocol` the composition root satisfies."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Protocol

from index.indexer import Summary
from qa.chain import Answer


class Backend(Protocol):
    """The application as the page uses it (`akhbar.app.Akhbar` implements it)."""

    def ask(self, question: str, history: list[list[str]] | None = None) -> Answer:
        """Answer a question."""
        ...

    def stream(self, question: str, history: list[list[str]] | None = None) -> Iterator[Answer]:
        """Answer a question, yielding the growing answer."""
        ...

    def add(self, paths: Iterable[Path]) -> Summary:
        """Add or update articles."""
        ...

    def info(self) -> dict[str, Any]:
        """Documents, chunks, model and size of the live index."""
        ...

    def articles(self) -> dict[str, dict[str, Any]]:
        """The indexed articles by id (`text`, `title`, ...), as the live index holds them."""
        ...
