"""The Arabic, right-to-left chat page (Gradio): the chat tab, the index tab and the `/ask` API."""

from __future__ import annotations

import gradio as gr

from ui import render
from ui.api import AskApi
from ui.chat_tab import ChatHandlers, ChatTab, example_questions
from ui.config import ServerSettings
from ui.index_tab import IndexHandlers, IndexTab
from ui.protocols import Backend
from ui.theme import AkhbarPage


def build_app(
    akhbar: Backend,
    *,
    max_upload_mb: float | None = None,
    max_upload_files: int | None = None,
) -> AkhbarPage:
    """Build the chat page for an application.

    The page has a chat (streamed answers with [n] citations that open their passage in the
    sources panel) and an index tab (overview and upload). Programs can call the `/ask`
    endpoint with gradio_client::

        from gradio_client import Client
        client = Client("http://127.0.0.1:7860/")
        answer = client.predict("من هو وزير الدفاع الإيطالي الذي التقى السيسي؟", "[]",
                                api_name="/ask")
        answer["answer"], answer["citations"][0]["doc_id"]

    The second argument is the history as JSON: `[[question, answer], ...]`. A refused
    question raises `gradio_client`'s `AppError` with the reason.

    Args:
        akhbar: The application (its index is read on first use).
        max_upload_mb: Largest uploaded file (default: `settings.server.max_upload_mb`).
        max_upload_files: Most files per upload (default: `settings.server.max_upload_files`).

    Returns:
        The page; `launch()` applies its theme, style sheet and script.
    """
    server = ServerSettings()
    index_handlers = IndexHandlers(
        akhbar,
        max_upload_mb if max_upload_mb is not None else server.max_upload_mb,
        max_upload_files if max_upload_files is not None else server.max_upload_files,
    )
    examples = example_questions(akhbar)
    with AkhbarPage(title=render.TITLE, analytics_enabled=False, fill_width=True) as page:
        gr.HTML(render.header_html(), elem_id="akhbar-header")
        with gr.Tabs(elem_id="akhbar-tabs"):
            with gr.Tab("المحادثة", id="chat", elem_id="akhbar-tab-chat"):
                ChatTab(ChatHandlers(akhbar), examples)
            with gr.Tab("الفهرس", id="index", elem_id="akhbar-tab-index"):
                index = IndexTab(index_handlers)
        index.load_on(page)
        AskApi(akhbar).register()
    return page
