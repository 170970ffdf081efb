"""Interfaces of the index layer: stores the indexer writes and the searcher reads; embedders."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol, runtime_checkable

import numpy as np

from index.reader import Article
from index.splitter import Chunk
from index.store import DocEntry, Manifest


class LexicalSearch(Protocol):
    """BM25 over akhbar's Arabic terms (`index.arabic.terms`), one row per chunk."""

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        """Top rows for a query: `(row, score)` pairs, best first, positive scores only."""
        ...

    def idf(self, term: str) -> float:
        """Inverse document frequency of a stemmed term in this generation."""
        ...


@runtime_checkable
class StoreSnapshot(Protocol):
    """One generation of an index, read-only: rows are chunk positions `0..len-1`."""

    @property
    def manifest(self) -> Manifest:
        """What the generation holds (articles, chunk count, model, splitter)."""
        ...

    @property
    def chunks(self) -> Sequence[dict[str, Any]]:
        """Chunk records by row (`doc_id`, `chunk_id`, `title`, `section`, `text`, `start`, `end`)."""
        ...

    @property
    def docs(self) -> Mapping[str, dict[str, Any]]:
        """Article records by id (`text`, `title`, `article_title`, `url`, `date`, `meta`, ...)."""
        ...

    @property
    def lexical(self) -> LexicalSearch:
        """BM25 search over the generation's chunks."""
        ...

    @property
    def generation(self) -> str:
        """Identity of this generation; a new write gives a new one."""
        ...

    def __len__(self) -> int:
        """Number of chunks."""
        ...

    def dense_search(self, query_vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Nearest rows by cosine similarity (unit vectors: inner product), best first."""
        ...

    def vectors(self) -> np.ndarray:
        """All vectors in row order, `(len, dim)` float32."""
        ...

    def vectors_at(self, rows: Sequence[int]) -> np.ndarray:
        """Vectors of some rows, `(len(rows), dim)` float32, in the order given."""
        ...

    def doc_rows(self) -> dict[str, list[int]]:
        """Rows of each article's chunks."""
        ...


class GenerationWriter(Protocol):
    """A new index generation written batch by batch, live only when committed.

    `Store.begin_write` starts one (under the store's `lock()`). Each `add` call hands over a
    batch of articles with their chunks and vectors, which the writer stores at once (on disk
    or in the database transaction) so that the caller can drop them; `commit` makes the
    generation live all at once, `abort` (or an exception inside `with`) throws it away and
    leaves the live index as it was.
    """

    def add(
        self,
        articles: Sequence[Article],
        chunks: Sequence[Chunk],
        vectors: np.ndarray,
        entries: Mapping[str, DocEntry],
    ) -> None:
        """Append a batch: its articles, their chunks in row order and one vector a chunk.

        Args:
            articles: The batch's articles (each article once in the whole generation).
            chunks: Their chunks, in row order.
            vectors: `(len(chunks), dim)` unit vectors in the same order.
            entries: The manifest entry of each article of the batch, by id.
        """
        ...

    def commit(self, manifest: Manifest) -> Any:
        """Make what was added the live index, atomically.

        Args:
            manifest: The generation's manifest; its chunk count must be what was added, and
                so must its documents when it lists any. The generation's documents are the
                articles added with their entries, which the writer keeps out of memory.

        Returns:
            The new generation (a folder, a generation name).
        """
        ...

    def abort(self) -> None:
        """Throw the generation away; the live index is unchanged (idempotent)."""
        ...

    def __enter__(self) -> GenerationWriter:
        """The writer itself."""
        ...

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        """Abort unless committed."""
        ...


@runtime_checkable
class Store(Protocol):
    """Where an index lives: written by `index.indexer.Indexer`, read by `qa.retriever.Searcher`.

    Writes replace the live generation atomically: readers see the old one or the new one.
    """

    @property
    def location(self) -> str:
        """Where the index is (a folder, a database schema), for messages."""
        ...

    def exists(self) -> bool:
        """Whether an index has been written."""
        ...

    def generation(self) -> str:
        """Identity of the live generation (cheap; readers poll it to reload)."""
        ...

    def read_manifest(self) -> Manifest:
        """The live generation's manifest, without loading vectors."""
        ...

    def open(self) -> StoreSnapshot:
        """The live generation."""
        ...

    def lock(self) -> AbstractContextManager[None]:
        """Hold the single-writer lock (raises `IndexBusyError` after the timeout)."""
        ...

    def write(
        self,
        manifest: Manifest,
        chunks: Sequence[Chunk],
        articles: Sequence[Article],
        vectors: np.ndarray,
    ) -> Any:
        """Make `articles` (with their chunks and vectors, in row order) the live index."""
        ...

    def begin_write(self, manifest: Manifest) -> GenerationWriter:
        """Start a new generation to be filled batch by batch (call under `lock()`).

        Args:
            manifest: Model, dimension and splitter of the generation (its chunk count and
                index type are given to `commit`; its documents are the articles added).

        Returns:
            The writer; nothing is live until its `commit`.
        """
        ...

    def size_on_disk(self) -> int:
        """Bytes used by the live index."""
        ...


@runtime_checkable
class Embedder(Protocol):
    """Turns passages and questions into unit vectors; what the indexer and searcher need."""

    model_id: str
    batch_size: int

    @property
    def dim(self) -> int:
        """Vector dimension."""
        ...

    def warm_up(self) -> None:
        """Load the model now."""
        ...

    def describe(self) -> dict[str, Any]:
        """The model identity an index manifest records (never the backend)."""
        ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Model tokens of each text."""
        ...

    def encode_passages(self, texts: Sequence[str], progress: bool = False) -> np.ndarray:
        """`(len(texts), dim)` float32 unit vectors of passages."""
        ...

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        """`(len(texts), dim)` float32 unit vectors of questions."""
        ...


@runtime_checkable
class QuickStart(Protocol):
    """An embedder that can answer a few texts before its full model is loaded."""

    def warm_up_quick(self) -> bool:
        """Load only what a few texts need; False when there is no such lighter runtime."""
        ...


class EncoderBackend(Protocol):
    """One way of running a sentence-transformers model's forward pass (fp32, bf16, ...).

    Every backend must give the fp32 model's vectors up to rounding (checked by
    `index.embedders.auto.parity`); the backend is therefore not part of an index's identity.
    """

    name: str

    def supported(self) -> bool:
        """Whether this machine can run the backend usefully (e.g. has bf16 instructions)."""
        ...

    def encode(self, model: Any, texts: Sequence[str], batch_size: int) -> np.ndarray:
        """Encode texts (prompts already added) with a loaded `SentenceTransformer`.

        Args:
            model: The `SentenceTransformer`.
            texts: Texts.
            batch_size: Texts per forward pass.

        Returns:
            `(len(texts), dim)` float32 unit vectors.
        """
        ...
