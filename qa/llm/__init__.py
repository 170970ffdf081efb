"""Chat models for generated answers: one backend a module behind `make_chat_model`, the prompts."""

# openai_backend: any OpenAI-compatible server (LangChain's ChatOpenAI); llamacpp_server: the local
# GGUF model in llama-cpp-python's server, a supervised child process reached through the openai
# backend; prompts: the answer and follow-up prompts; base: deadline streaming and start-up.

from __future__ import annotations

from langchain_core.language_models import BaseChatModel

from qa.config import LLMSettings
from qa.errors import LLMError, ModelServerDown
from qa.llm.base import prepare, stream_text, token_limit
from qa.llm.prompts import (
    ANSWER_SYSTEM,
    PASSAGES_HEADER,
    REWRITE_SYSTEM,
    answer_messages,
    clean_rewrite,
    passage_block,
    rewrite_messages,
)

__all__ = [
    "ANSWER_SYSTEM",
    "PASSAGES_HEADER",
    "REWRITE_SYSTEM",
    "LLMError",
    "ModelServerDown",
    "answer_messages",
    "clean_rewrite",
    "make_chat_model",
    "passage_block",
    "prepare",
    "rewrite_messages",
    "stream_text",
    "token_limit",
]


def make_chat_model(settings: LLMSettings) -> BaseChatModel | None:
    """The chat model the settings choose, or None for the extractive answerer (cheap: nothing starts).

    Args:
        settings: The `llm` settings group.

    Returns:
        A LangChain chat model, or None when `backend` is `extractive`.

    Raises:
        LLMError: The backend's library or model file is missing, or the backend is unknown.
    """
    if settings.backend == "extractive":
        return None
    if settings.backend == "openai":
        from qa.llm.openai_backend import make_openai_chat

        return make_openai_chat(settings)
    if settings.backend == "llamacpp":
        from qa.llm.llamacpp_server import make_llamacpp_chat

        return make_llamacpp_chat(settings)
    raise LLMError(f"unknown LLM backend {settings.backend!r}")
