"""The `openai` backend: any OpenAI-compatible server through LangChain's ChatOpenAI."""

from __future__ import annotations

from langchain_core.language_models import BaseChatModel

from qa.config import LLMSettings
from qa.llm.base import token_limit


def make_openai_chat(
    settings: LLMSettings,
    *,
    base_url: str | None = None,
    model: str | None = None,
    timeout_s: float | None = None,
    api_key: str | None = None,
) -> BaseChatModel:
    """A streaming ChatOpenAI for the settings' server (or the one given).

    Args:
        settings: The `llm` settings group (address, model, key, sampling, answer length).
        base_url: Server address instead of `settings.base_url` (e.g. the supervised local server).
        model: Model name instead of `settings.model`.
        timeout_s: HTTP timeout instead of `settings.timeout_s`.
        api_key: Key instead of `settings.api_key`.

    Returns:
        The chat model (no connection is made here).
    """
    from langchain_openai import ChatOpenAI

    key = api_key if api_key is not None else settings.api_key.get_secret_value()
    return ChatOpenAI(
        base_url=base_url or settings.base_url,
        model=model or settings.model or "default",
        api_key=key or "not-needed",  # type: ignore[arg-type]
        timeout=timeout_s if timeout_s is not None else settings.timeout_s,
        max_retries=0,
        temperature=settings.temperature,
        streaming=True,
        **token_limit(settings.max_tokens),
    )
