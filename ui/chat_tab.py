"""The chat tab: the conversation, its streamed answers with [n] links, and the sources panel."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import gradio as gr

from qa.errors import QuestionError
from ui import render
from ui.messages import WELCOME, friendly_error
from ui.protocols import Conversation, Library

if TYPE_CHECKING:
    from qa.answer import Answer

log = logging.getLogger(__name__)

MAX_HISTORY_TURNS = 6
_CITE = re.compile(r"\s*\[\d{1,3}\]")

Outputs = tuple[Any, Any, Any, Any, Any]


def plain_answer(answer: Answer) -> str:
    """The answer text without its [n] markers, as kept in the conversation history."""
    return _CITE.sub("", answer.answer).strip()


class ChatHandlers:
    """The chat's event functions, bound to one application."""

    def __init__(self, akhbar: Conversation) -> None:
        """Bind to an application.

        Args:
            akhbar: The application.
        """
        self.akhbar = akhbar

    def _articles(self, answer: Answer) -> dict[str, str | None]:
        try:
            docs = self.akhbar.articles()
        except Exception:  # the sources still show; only the whole-article view is left out
            log.warning("could not load the articles for the sources panel", exc_info=True)
            return {}
        out: dict[str, str | None] = {}
        for c in answer.citations:
            doc = docs.get(c.doc_id)
            out[c.doc_id] = doc.get("text") if isinstance(doc, dict) else None
        return out

    def respond(
        self,
        question: str,
        messages: list[dict[str, Any]] | None,
        pairs: list[list[Any]] | None,
        sections: list[str] | None,
    ) -> Iterator[Outputs]:
        """Answer one question in the chat, streaming the answer as it grows.

        Args:
            question: As typed.
            messages: The chat so far (Gradio messages).
            pairs: History turns: [question, answer, cited doc ids].
            sections: Sources-panel sections of earlier turns.

        Yields:
            (chat, sources panel, question box, history, sections) updates.
        """
        messages = list(messages or [])
        pairs = [list(p) for p in (pairs or [])]
        sections = list(sections or [])
        question = (question or "").strip()
        if not question:
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        turn = len([m for m in messages if m.get("role") == "user"]) + 1
        messages.append({"role": "user", "content": render.question_html(question)})
        messages.append({"role": "assistant", "content": render.pending_html()})
        yield list(messages), gr.skip(), "", gr.skip(), gr.skip()
        final: Answer | None = None
        shown = 0.0
        try:
            for final in self.akhbar.stream(question, pairs[-MAX_HISTORY_TURNS:]):
                now = time.perf_counter()
                if now - shown < 0.04:  # at most ~25 updates a second
                    continue
                shown = now
                messages[-1] = {
                    "role": "assistant",
                    "content": render.answer_html(final, turn, streaming=True),
                }
                yield list(messages), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        except Exception as exc:
            if not isinstance(exc, QuestionError):
                log.exception("answering failed")
            messages[-1] = {"role": "assistant", "content": render.error_html(friendly_error(exc))}
            yield list(messages), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        if final is None:
            messages[-1] = {
                "role": "assistant",
                "content": render.error_html(friendly_error(RuntimeError())),
            }
            yield list(messages), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        messages[-1] = {"role": "assistant", "content": render.answer_html(final, turn)}
        # The citations ride along, so that a follow-up looks in the cited articles first.
        pairs.append([question, plain_answer(final), [c.doc_id for c in final.citations]])
        sections.append(render.sources_section(final, turn, self._articles(final)))
        sections = sections[-render.MAX_TURNS_KEPT :]
        yield list(messages), render.sources_panel(sections), gr.skip(), pairs, sections

    def clear(self) -> Outputs:
        """Start a new conversation."""
        return [], render.sources_panel([]), "", [], []


def example_questions(akhbar: Library) -> list[str]:
    """Starter questions from the indexed titles (none when there is no index yet)."""
    try:
        return render.example_questions(akhbar.info().get("titles") or {})
    except Exception as exc:  # no index yet: the page still loads and says so when asked
        log.warning("no example questions: %s", exc)
        return []


def _pick_example(evt: gr.SelectData) -> str:
    value = evt.value
    if isinstance(value, dict):
        return str(value.get("text") or "")
    return str(value or "")


class ChatTab:
    """The chat tab's components and events (build inside a `gr.Blocks` context)."""

    def __init__(self, handlers: ChatHandlers, examples: list[str]) -> None:
        """Lay out the chat and the sources panel and connect their events.

        Args:
            handlers: The chat's event functions.
            examples: Starter questions shown in the empty chat.
        """
        self.pairs = gr.State([])
        self.sections = gr.State([])
        with gr.Row(equal_height=False, elem_id="akhbar-main"):
            with gr.Column(scale=3, min_width=340, elem_id="akhbar-chat-col"):
                self.chatbot = gr.Chatbot(
                    elem_id="akhbar-chat",
                    show_label=False,
                    rtl=True,
                    # Bubbles are HTML built here with everything escaped; Gradio's sanitiser
                    # stays on as a second line, and no Markdown or LaTeX is interpreted.
                    render_markdown=False,
                    sanitize_html=True,
                    allow_tags=False,
                    latex_delimiters=[],
                    buttons=["copy"],
                    feedback_options=None,
                    layout="bubble",
                    group_consecutive_messages=False,
                    height="62vh",
                    min_height=360,
                    placeholder=WELCOME,
                    examples=[{"text": q, "display_text": q} for q in examples] or None,
                )
                with gr.Row(elem_id="akhbar-ask-row"):
                    self.question = gr.Textbox(
                        placeholder="اكتب سؤالك عن الأخبار…",
                        show_label=False,
                        lines=1,
                        max_lines=4,
                        rtl=True,
                        autofocus=True,
                        scale=5,
                        container=False,
                        elem_id="akhbar-question",
                    )
                    self.send = gr.Button(
                        "إرسال", variant="primary", scale=1, min_width=96, elem_id="akhbar-send"
                    )
                with gr.Row(elem_id="akhbar-actions"):
                    gr.HTML(
                        '<p class="akhbar-hint">الإجابات مقتبسة من المقالات حرفياً؛ '
                        "اضغط على رقم المصدر لرؤية المقطع.</p>",
                        elem_id="akhbar-hint",
                    )
                    self.clear = gr.Button(
                        "محادثة جديدة", variant="secondary", size="sm", elem_id="akhbar-clear"
                    )
            with gr.Column(scale=2, min_width=300, elem_id="akhbar-sources-col"):
                self.sources = gr.HTML(render.sources_panel([]), elem_id="akhbar-sources")
        self._connect(handlers)

    def _connect(self, handlers: ChatHandlers) -> None:
        state = [self.chatbot, self.sources, self.question, self.pairs, self.sections]
        chat_io: dict[str, Any] = {
            "fn": handlers.respond,
            "inputs": [self.question, self.chatbot, self.pairs, self.sections],
            "outputs": state,
            "api_visibility": "private",
            "concurrency_id": "answer",
        }
        self.question.submit(**chat_io)
        self.send.click(**chat_io)
        self.chatbot.example_select(
            _pick_example, None, self.question, api_visibility="private", queue=False
        ).then(**chat_io)
        for reset in (self.clear.click, self.chatbot.clear):
            reset(handlers.clear, None, state, api_visibility="private", queue=False)
