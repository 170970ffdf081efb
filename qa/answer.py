"""The answer record and its numbered citations: the JSON shared by the CLI, the page and the API."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field, fields
from typing import TYPE_CHECKING, Any

from index.passage import Passage, mark_span

if TYPE_CHECKING:
    from qa.retriever import Hit


@dataclass
class Citation(Passage):
    """A numbered source: `text` is the passage as stored; the answer is `text[answer_start:answer_end]`."""

    n: int
    answer_start: int | None = None
    answer_end: int | None = None

    @classmethod
    def from_hit(cls, n: int, hit: Hit, answer: tuple[int, int] | None) -> Citation:
        """Number a retrieved passage as source `n`, with the answer span inside its text."""
        return cls.from_dict(
            hit.to_dict(),
            n=n,
            answer_start=answer[0] if answer else None,
            answer_end=answer[1] if answer else None,
        )

    def to_dict(self) -> dict[str, Any]:
        """The shared JSON shape of a citation: its number, the passage, the answer span."""
        return {
            "n": self.n,
            **super().to_dict(),
            "answer_start": self.answer_start,
            "answer_end": self.answer_end,
        }

    def marked(self, wrap: Callable[[str], str], escape: Callable[[str], str] = str) -> str:
        """The passage with its answer span marked (see `index.passage.mark_span`)."""
        return mark_span(self.text, self.answer_start, self.answer_end, wrap, escape)


@dataclass
class Answer:
    """An answer with its citations, in the JSON shape shared by the CLI, the page and the tests."""

    question: str
    answer: str
    found: bool
    citations: list[Citation] = field(default_factory=list)
    mode: str = "extractive"
    standalone_question: str = ""
    seconds: float = 0.0
    id: Any = None
    check: dict[str, Any] | None = None
    reason: str = ""  # why a generated answer fell back to the extractive one (mode "fallback")
    closest: list[Citation] = field(default_factory=list)  # a refusal's nearest passages
    # The name, number, date or place asked for, when the question asks for one and the answer
    # holds it (the first citation's highlighted span, or the name its passage gave earlier):
    # what the page and `akhbar ask` show first. Empty otherwise.
    short_answer: str = ""

    def __add__(self, other: Answer) -> Answer:
        """Streaming chunks are successive states: the later one wins (lets `invoke` work)."""
        return other

    def to_json(self) -> dict[str, Any]:
        """Plain JSON form (`id`, `answer`, `found`, `citations`, `mode`, ...)."""
        data = asdict(self)
        for f in fields(self):  # passages in their own shape (`n` first for citations)
            value = getattr(self, f.name)
            if isinstance(value, list) and value and isinstance(value[0], Passage):
                data[f.name] = [p.to_dict() for p in value]
        data["seconds"] = round(self.seconds, 4)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Answer:
        """Rebuild an answer from its `to_json()` form (e.g. as a running server sent it).

        Args:
            data: The answer JSON.

        Returns:
            The answer, its citations and closest passages as `Citation`s.
        """
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        for key in ("citations", "closest"):
            values[key] = [Citation.from_dict(c) for c in values.get(key) or []]
        return cls(**values)
