"""What every chat backend shares: the answer-length cap, deadline streaming, start-up (errors: qa.errors)."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage

from qa.errors import LLMError


def prepare(model: BaseChatModel) -> None:
    """Bring up the model's backend if it has one to start (the local server loads its model).

    Called before an answer's deadline starts, so that `timeout_s` covers the answer only; a
    model without a `warm_up` method needs nothing.

    Args:
        model: The chat model.

    Raises:
        LLMError: The backend is down or could not start (e.g. `ModelServerDown`).
    """
    warm_up = getattr(model, "warm_up", None)
    if callable(warm_up):
        warm_up()


def token_limit(max_tokens: int) -> dict[str, Any]:
    """Keyword arguments that cap an answer's length for every backend.

    LangChain's ChatOpenAI sends `max_completion_tokens`, which some OpenAI-compatible servers
    (llama-cpp-python's among them) do not read; they read `max_tokens`, sent here in the body too.

    Args:
        max_tokens: Most tokens to write.

    Returns:
        `max_tokens` and `extra_body` (both read by ChatOpenAI).
    """
    return {"max_tokens": max_tokens, "extra_body": {"max_tokens": max_tokens}}


def stream_text(
    model: BaseChatModel, messages: Sequence[BaseMessage], timeout_s: float, **kwargs: Any
) -> Iterator[str]:
    """Stream a chat model's text pieces, never waiting longer than `timeout_s` in all.

    The model runs in a worker thread; the caller gets pieces through a queue, so a backend that
    hangs (or reads a long prompt) cannot hold the answer past the deadline.

    Args:
        model: The chat model.
        messages: The prompt.
        timeout_s: Deadline for the whole answer, in seconds.
        **kwargs: Passed to `model.stream` (e.g. `max_tokens`).

    Yields:
        Text pieces as they come.

    Raises:
        LLMError: The backend failed or the deadline passed (an `LLMError` raised by the backend
            itself, such as `ModelServerDown`, comes through as it is).
    """
    pieces: queue.Queue[tuple[str, Any]] = queue.Queue()
    stop = threading.Event()

    def work() -> None:
        try:
            for chunk in model.stream(list(messages), **kwargs):
                if stop.is_set():
                    break
                content = chunk.content
                if isinstance(content, str) and content:
                    pieces.put(("text", content))
        except Exception as exc:
            pieces.put(("error", exc))
        finally:
            pieces.put(("end", None))

    worker = threading.Thread(target=work, name="akhbar-llm", daemon=True)
    deadline = time.monotonic() + timeout_s
    worker.start()
    try:
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise LLMError(f"the chat model took longer than {timeout_s:g} s")
            try:
                kind, value = pieces.get(timeout=remaining)
            except queue.Empty:
                raise LLMError(f"the chat model took longer than {timeout_s:g} s") from None
            if kind == "end":
                return
            if kind == "error":
                if isinstance(value, LLMError):
                    raise value
                raise LLMError(f"the chat model failed: {type(value).__name__}: {value}") from value
            yield value
    finally:
        stop.set()
