"""The one settings tree: each layer's settings composed and read from `AKHBAR_*` variables."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from index.config import DATA_DIR, EmbeddingSettings, SplitterSettings, StoreSettings
from qa.config import AnswerSettings, LLMSettings, RetrievalSettings
from ui.config import ServerSettings

__all__ = [
    "DATA_DIR",
    "AnswerSettings",
    "EmbeddingSettings",
    "LLMSettings",
    "RetrievalSettings",
    "ServerSettings",
    "Settings",
    "SplitterSettings",
    "StoreSettings",
    "settings_table",
]


class Settings(BaseSettings):
    """All of akhbar's settings; environment names are `AKHBAR_<FIELD>` and `AKHBAR_<GROUP>__<FIELD>`."""

    model_config = SettingsConfigDict(
        env_prefix="AKHBAR_", env_nested_delimiter="__", extra="ignore"
    )

    index_dir: Path = Field(
        default=DATA_DIR / "index",
        description="Folder holding the index (FAISS, BM25, chunks) when the store is `faiss`.",
    )
    store: StoreSettings = Field(default_factory=StoreSettings)
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    splitter: SplitterSettings = Field(default_factory=SplitterSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    answer: AnswerSettings = Field(default_factory=AnswerSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)


def settings_table(
    model: type[BaseModel] = Settings, prefix: str = "AKHBAR_"
) -> list[tuple[str, str, str]]:
    """List every setting as (environment name, default, description) for help texts and docs.

    Args:
        model: The settings model to describe.
        prefix: Environment-name prefix for this level.

    Returns:
        Rows in declaration order, nested groups flattened with `__`.
    """
    rows: list[tuple[str, str, str]] = []
    for name, field in model.model_fields.items():
        ann = field.annotation
        env = f"{prefix}{name.upper()}"
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            rows.extend(settings_table(ann, env + "__"))
            continue
        default = field.default
        if isinstance(default, SecretStr):
            default = ""
        if isinstance(default, Path):
            default = str(default).replace(str(Path.home()), "~")
        rows.append((env, str(default), field.description or ""))
    return rows
