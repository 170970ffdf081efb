"""What qa's consumers need from the application: `typing.Protocol`s (the `Akhbar` facade has them)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np

    from qa.answer import Answer
    from qa.retriever import Hit, Mode


class Searching(Protocol):
    """Hybrid search over the live index (`qa.retriever.Searcher`)."""

    def warm_up(self) -> None:
        """Load the index and the model now."""
        ...

    def encode_query(self, query: str) -> np.ndarray:
        """The query's unit vector."""
        ...

    def search(
        self,
        query: str,
        k: int | None = None,
        mode: Mode = "hybrid",
        exclude_docs: Collection[str] = (),
        query_vector: np.ndarray | None = None,
        lexical_query: str | None = None,
    ) -> list[Hit]:
        """Find the chunks that best match a question, best first."""
        ...


class QuestionAnswering(Protocol):
    """Searches and answers (what `qa.evaluate.evaluate` scores)."""

    @property
    def searcher(self) -> Searching:
        """The searcher over the index the answers come from."""
        ...

    def ask(self, question: str, history: Sequence[Any] | None = None) -> Answer:
        """Answer a question, citing the passages."""
        ...
