"""The page's one public API endpoint for programs, `/ask`: the answer JSON of `akhbar ask --json`."""

from __future__ import annotations

import inspect
import json
import logging
from collections.abc import Callable
from typing import Any

import gradio as gr

from qa.errors import QuestionError
from ui.protocols import Asker

log = logging.getLogger(__name__)

API_NAME = "ask"


class AskApi:
    """The `/ask` endpoint, bound to one application."""

    def __init__(self, akhbar: Asker) -> None:
        """Bind to an application.

        Args:
            akhbar: The application.
        """
        self.akhbar = akhbar

    def ask(self, question: str, history: str = "[]") -> dict[str, Any]:
        """Answer a question from the indexed articles, citing the passages (the `/ask` endpoint).

        Args:
            question: The question, in Arabic or English.
            history: Earlier turns as a JSON list of [question, answer] pairs, e.g.
                '[["من هو وزير الدفاع الإيطالي الذي التقى السيسي؟", "جويدو كروسيتو"]]';
                "" or "[]" for none. A turn may carry a third item, the citations of that
                answer (doc ids, or the `citations` of its JSON), so that a follow-up looks
                in those articles first.

        Returns:
            The answer JSON: question, answer, short_answer, found, citations (n, doc_id,
            chunk_id, title, section, text, start, end, answer_start, answer_end), mode,
            standalone_question, seconds, id.
        """
        try:
            turns = json.loads(history) if history and history.strip() else []
        except json.JSONDecodeError:
            raise gr.Error("history must be a JSON list of [question, answer] pairs") from None
        try:
            return self.akhbar.ask(question, turns).to_json()
        except QuestionError as exc:
            raise gr.Error(str(exc)) from None
        except Exception:
            log.exception("api ask failed")
            raise gr.Error("the question could not be answered (see the server log)") from None

    def register(self) -> None:
        """Declare the endpoint on the page being built (inside its `gr.Blocks` context)."""
        gr.api(_typed(self.ask), api_name=API_NAME, api_description=inspect.getdoc(self.ask))


def _typed(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap `fn` in a function whose signature holds real types, as `gr.api` reads them.

    This module postpones annotations, which would otherwise leave them as strings.
    """

    def wrapper(question: str, history: str = "[]") -> dict[str, Any]:
        return fn(question, history)  # type: ignore[no-any-return]

    wrapper.__doc__ = fn.__doc__
    wrapper.__name__ = API_NAME
    wrapper.__signature__ = inspect.signature(wrapper, eval_str=True)  # type: ignore[attr-defined]
    return wrapper
