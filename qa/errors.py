"""The qa layer's errors: one hierarchy under `QAError`; each carries what its message says."""

from __future__ import annotations


class QAError(Exception):
    """Base class of everything the qa layer raises on purpose."""


class QuestionError(QAError, ValueError):
    """A question that cannot be asked, with the reason to show."""


class EmptyQuestion(QuestionError):
    """The question is empty."""


class NoWordsQuestion(EmptyQuestion):
    """The question holds no letter or digit (only punctuation or symbols)."""


class QuestionTooLong(QuestionError):
    """The question is longer than the limit."""

    def __init__(self, length: int, limit: int) -> None:
        """Record the sizes.

        Args:
            length: The question's length in characters.
            limit: The longest accepted question.
        """
        super().__init__(f"the question is too long ({length} characters; the limit is {limit})")
        self.length = length
        self.limit = limit


class BadHistory(QuestionError):
    """The conversation history is not a list of [question, answer] pairs."""


class LLMError(QAError, RuntimeError):
    """The chat model is unavailable, failed, or took too long (the caller falls back)."""


class ModelServerDown(LLMError):
    """The local model server is down, starting or restarting (this answer falls back)."""
