"""The answering layer's settings: retrieval, the extractive answerer and the chat model."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr


class RetrievalSettings(BaseModel):
    """How passages are found for a question."""

    k: int = Field(default=5, ge=1, le=100, description="Passages returned per question.")
    candidates: int = Field(
        default=50, ge=1, description="Candidates taken from each retriever before fusion."
    )
    fusion: Literal["scores", "rrf"] = Field(
        default="scores",
        description=(
            "How dense and BM25 candidates are merged: `scores` (each retriever's scores "
            "scaled to 0-1 over the candidates and summed with `score_dense_weight`; a passage "
            "far ahead by its words is not lost for being absent from the dense list) or `rrf` "
            "(weighted reciprocal-rank fusion with `dense_weight`, `lexical_weight`, `rrf_k`)."
        ),
    )
    score_dense_weight: float = Field(
        default=0.4,
        ge=0,
        le=1,
        description=(
            "`scores` fusion: the dense share (BM25 gets the rest); fitted on ARCD-train by "
            "bench/fit_fusion.py."
        ),
    )
    dense_weight: float = Field(
        default=0.7, ge=0, description="`rrf` fusion: weight of dense (FAISS) ranks."
    )
    lexical_weight: float = Field(
        default=1.0, ge=0, description="`rrf` fusion: weight of BM25 ranks."
    )
    rrf_k: int = Field(default=60, ge=1, description="`rrf` fusion: reciprocal-rank constant.")
    index_type: Literal["auto", "flat", "hnsw"] = Field(
        default="auto",
        description="FAISS index: exact `flat`, approximate `hnsw`, or `auto` by corpus size.",
    )


class AnswerSettings(BaseModel):
    """How the default (extractive) answerer decides and phrases answers."""

    min_confidence: float | None = Field(
        default=None,
        description=(
            "Least answer confidence (0-1: the fitted refusal model's probability that the "
            "chosen span answers) below which akhbar says the sources do not answer; empty = "
            "the value fitted on ARCD-train in qa/answer_params.json."
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
            "`base_url`), or `llamacpp` (a local GGUF file at `model_path`, served by "
            "llama-cpp-python's server in a child process that akhbar watches; `make llm`)."
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
        default=2048, ge=512, description="Context window of the `llamacpp` server, in tokens."
    )
    threads: int = Field(
        default=0, ge=0, description="CPU threads of the `llamacpp` server (0 = all cores)."
    )
    passages: int = Field(
        default=3, ge=1, le=10, description="Top passages shown to the model (numbered [1]..[n])."
    )
    start_timeout_s: float = Field(
        default=180.0,
        gt=0,
        description=(
            "`llamacpp`: longest wait for the local model server to load the model (first "
            "question only; after a crash questions fall back until it is back)."
        ),
    )
    hang_s: float = Field(
        default=60.0,
        gt=0,
        description=(
            "`llamacpp`: the local model server is killed and restarted when it sends nothing "
            "for this long while a question waits and uses no CPU (or for three times this long "
            "whatever it does)."
        ),
    )
    server_log: Path | None = Field(
        default=None,
        description=(
            "`llamacpp`: the local model server's output (default: `logs/llama-server.log` in "
            "the data dir)."
        ),
    )
