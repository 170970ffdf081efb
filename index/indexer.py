"""Build, extend and prune the index: read → split → embed → store, reusing unchanged articles."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from index.config import SplitterSettings
from index.embed_cache import CACHE_NAME, EmbeddingCache
from index.errors import DocumentNotFound, NoArticlesError
from index.protocols import Embedder, Store, StoreSnapshot
from index.reader import Article, Skipped, count_articles, iter_paths
from index.splitter import Chunk, Splitter
from index.store import (
    DocEntry,
    IndexMismatchError,
    Manifest,
    choose_index_type,
)

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


@dataclass
class Summary:
    """What an index operation did, for people and for `--json`."""

    added: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    documents: int = 0
    chunks: int = 0
    embedded_chunks: int = 0
    embedded_tokens: int = 0
    cached_chunks: int = 0
    embed_seconds: float = 0.0
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """Plain JSON form."""
        return asdict(self)


def stored_article(doc: dict[str, Any]) -> Article:
    """Rebuild the `Article` as it was read from a row of the index's article store.

    Args:
        doc: A row of docs.jsonl.

    Returns:
        The article, equal (and so of equal hash) to the one first read.
    """
    return Article(
        doc_id=doc["doc_id"],
        text=doc["text"],
        title=doc.get("article_title", ""),
        url=doc.get("url", ""),
        date=doc.get("date", ""),
        source=doc.get("source", ""),
        meta=doc.get("meta", {}),
    )


class _NullWriter:
    """A file that forgets what is written (for a silent progress bar)."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        return None


class Indexer:
    """Writes the index for a store with one embedding model and splitter."""

    def __init__(
        self,
        store: Store,
        embeddings: Embedder,
        splitter: SplitterSettings,
        index_type: str = "auto",
        progress: bool = False,
        embed_buffer: int = 256,
        cache_dir: Path | None = None,
    ) -> None:
        """Configure (cheap: the model loads when text is first embedded).

        Args:
            store: Where the index lives.
            embeddings: The embedding model.
            splitter: Chunking parameters.
            index_type: `auto`, `flat` or `hnsw`.
            progress: Show a progress bar (articles, chunks/s, ETA) while indexing.
            embed_buffer: Chunks gathered before they are embedded (sorted by length) and
                written to the embedding cache; bounds the memory and the work an
                interruption can lose.
            cache_dir: Folder of the resumable embedding cache (default: the store's own
                folder, if it has one; None there means no cache).
        """
        self.store = store
        self.embeddings = embeddings
        self.splitter_config = splitter
        self.index_type = index_type
        self.progress = progress
        self.embed_buffer = embed_buffer
        root = getattr(store, "root", None)
        where = cache_dir if cache_dir is not None else root
        self.cache_dir = Path(where) if where is not None else None

    def _expected(self) -> dict[str, Any]:
        return {
            "embedding": self.embeddings.describe(),
            "splitter": self.splitter_config.model_dump(),
        }

    def check_compatible(self, manifest: Manifest) -> None:
        """Refuse to mix vectors of another model or chunks of another splitter.

        Args:
            manifest: The existing index's manifest.

        Raises:
            IndexMismatchError: With the rebuild command.
        """
        expected = self._expected()
        if manifest.embedding != expected["embedding"] or manifest.splitter != expected["splitter"]:
            raise IndexMismatchError(
                f"the index was built with {manifest.embedding} and splitter {manifest.splitter}, "
                f"but the settings now say {expected['embedding']} and {expected['splitter']}; "
                "rebuild it with `akhbar index build PATH... --rebuild`"
            )

    def _embed(
        self, chunks: Sequence[Chunk], summary: Summary, cache: EmbeddingCache | None = None
    ) -> np.ndarray:
        """Vectors of chunks: cached ones read back, the others embedded and cached.

        The missing texts are sorted by length over the whole buffer, so that each batch pads
        little, and embedded in slices; each slice is written to the cache at once.
        """
        dim = self.embeddings.dim
        texts = [c.embed_text() for c in chunks]
        out = np.zeros((len(texts), dim), dtype=np.float32)
        if not texts:
            return out
        cached = cache.get_many(texts) if cache is not None else [None] * len(texts)
        missing = [i for i, v in enumerate(cached) if v is None]
        for i, v in enumerate(cached):
            if v is not None:
                out[i] = v
        summary.cached_chunks += len(texts) - len(missing)
        if not missing:
            return out
        todo = [texts[i] for i in missing]
        tokens = self.embeddings.count_tokens(todo)
        order = sorted(range(len(todo)), key=lambda k: tokens[k])
        step = self.embeddings.batch_size * 8
        start = time.perf_counter()
        for a in range(0, len(order), step):
            part = order[a : a + step]
            vectors = self.embeddings.encode_passages([todo[k] for k in part])
            rows = [missing[k] for k in part]
            out[rows] = vectors
            if cache is not None:
                cache.put_many([todo[k] for k in part], vectors)
        summary.embedded_chunks += len(todo)
        summary.embedded_tokens += sum(tokens)
        summary.embed_seconds += time.perf_counter() - start
        return out

    def _load_existing(self, rebuild: bool) -> StoreSnapshot | None:
        if rebuild or not self.store.exists():
            return None
        snapshot = self.store.open()
        self.check_compatible(snapshot.manifest)
        return snapshot

    def _commit(
        self,
        articles: list[Article],
        titles: dict[str, str],
        chunk_lists: dict[str, list[Chunk]],
        vector_lists: dict[str, np.ndarray],
        summary: Summary,
    ) -> None:
        chunks = [c for a in articles for c in chunk_lists[a.doc_id]]
        dim = self.embeddings.dim
        vectors = (
            np.concatenate([vector_lists[a.doc_id] for a in articles])
            if chunks
            else np.zeros((0, dim), dtype=np.float32)
        )
        manifest = Manifest(
            embedding=self.embeddings.describe(),
            dim=dim,
            splitter=self.splitter_config.model_dump(),
            index_type=choose_index_type(self.index_type, len(chunks)),
            documents={
                a.doc_id: DocEntry(
                    hash=a.content_hash,
                    title=titles[a.doc_id],
                    source=a.source,
                    chunks=len(chunk_lists[a.doc_id]),
                )
                for a in articles
            },
            chunks=len(chunks),
        )
        self.store.write(manifest, chunks, articles, vectors)
        summary.documents = len(articles)
        summary.chunks = len(chunks)

    def _update(
        self, paths: Iterable[Path], *, keep_others: bool, rebuild: bool = False
    ) -> Summary:
        t0 = time.perf_counter()
        paths = [Path(p) for p in paths]
        records = iter_paths(paths)  # raises ReadError before reading anything
        summary = Summary()
        with self.store.lock():
            old = self._load_existing(rebuild)
            old_docs: Mapping[str, dict[str, Any]] = old.docs if old else {}
            old_rows = old.doc_rows() if old else {}
            old_vectors = old.vectors() if old else None
            splitter = Splitter(self.embeddings.count_tokens, self.splitter_config)

            articles: list[Article] = []
            titles: dict[str, str] = {}
            chunk_lists: dict[str, list[Chunk]] = {}
            vector_lists: dict[str, np.ndarray] = {}
            incoming: set[str] = set()
            pending: list[Article] = []
            pending_chunks = 0
            self.embeddings.warm_up()
            cache = (
                EmbeddingCache(
                    self.cache_dir / CACHE_NAME, self.embeddings.describe(), self.embeddings.dim
                )
                if self.cache_dir is not None
                else None
            )
            bar = self._progress_bar(paths)

            def flush() -> None:
                nonlocal pending, pending_chunks
                chunks = [c for a in pending for c in chunk_lists[a.doc_id]]
                vectors = self._embed(chunks, summary, cache)
                pos = 0
                for article in pending:
                    n = len(chunk_lists[article.doc_id])
                    vector_lists[article.doc_id] = vectors[pos : pos + n]
                    pos += n
                bar.update(len(pending))
                elapsed = max(time.perf_counter() - t0, 1e-9)
                bar.set_postfix(
                    chunks_s=f"{(summary.embedded_chunks + summary.cached_chunks) / elapsed:.1f}",
                    cached=summary.cached_chunks,
                )
                pending, pending_chunks = [], 0

            try:
                for record in records:
                    if isinstance(record, Skipped):
                        summary.skipped.append(record)
                        bar.update(1)
                        continue
                    article = record
                    incoming.add(article.doc_id)
                    entry = old.manifest.documents.get(article.doc_id) if old else None
                    if entry is not None and entry.hash == article.content_hash:
                        assert old is not None and old_vectors is not None
                        rows = old_rows.get(article.doc_id, [])
                        titles[article.doc_id] = entry.title
                        chunk_lists[article.doc_id] = [Chunk.from_dict(old.chunks[r]) for r in rows]
                        vector_lists[article.doc_id] = old_vectors[rows]
                        summary.unchanged.append(article.doc_id)
                        articles.append(article)
                        bar.update(1)
                        continue
                    chunks, title = splitter.split(article)
                    titles[article.doc_id] = title
                    chunk_lists[article.doc_id] = chunks
                    (summary.replaced if entry is not None else summary.added).append(
                        article.doc_id
                    )
                    articles.append(article)
                    pending.append(article)
                    pending_chunks += len(chunks)
                    if pending_chunks >= self.embed_buffer:
                        flush()
                if pending:
                    flush()
            finally:
                bar.close()
                if cache is not None:
                    cache.close()
            if not articles and not keep_others:
                raise NoArticlesError(
                    "no article could be read from the given paths"
                    + (f" ({len(summary.skipped)} skipped)" if summary.skipped else "")
                )
            if keep_others and old is not None:
                kept: list[Article] = []
                for doc_id, doc in old_docs.items():
                    if doc_id in incoming:
                        continue
                    rows = old_rows.get(doc_id, [])
                    kept.append(stored_article(doc))
                    titles[doc_id] = old.manifest.documents[doc_id].title
                    chunk_lists[doc_id] = [Chunk.from_dict(old.chunks[r]) for r in rows]
                    assert old_vectors is not None
                    vector_lists[doc_id] = old_vectors[rows]
                articles = kept + articles
            if not keep_others and old is not None:
                summary.removed = sorted(set(old_docs) - incoming)
            if (
                old is not None
                and not summary.added
                and not summary.replaced
                and not summary.removed
            ):
                summary.documents = len(old_docs)
                summary.chunks = len(old.chunks)
                summary.seconds = time.perf_counter() - t0
                log.info("index unchanged")
                return summary
            self._commit(articles, titles, chunk_lists, vector_lists, summary)
            # The new vectors are in the live index now; the cache has done its job.
            if cache is not None:
                cache.remove()
        summary.seconds = time.perf_counter() - t0
        return summary

    def _progress_bar(self, paths: list[Path]) -> Any:
        """A tqdm bar of articles, chunks/s and ETA: on stderr, or silent but live.

        A silent bar still counts, so that a caller tracking tqdm (the page's upload) can
        follow it.
        """
        import sys

        from tqdm import tqdm

        return tqdm(
            total=count_articles(paths),
            unit="article",
            desc="indexing",
            file=sys.stderr if self.progress else _NullWriter(),
            dynamic_ncols=self.progress,
            smoothing=0.1,
        )

    def build(self, paths: Iterable[Path], rebuild: bool = False) -> Summary:
        """Make the index hold exactly the articles under `paths`.

        Unchanged articles keep their vectors unless `rebuild` is set, which re-embeds all
        (needed after changing the model or splitter).

        Args:
            paths: Files and folders.
            rebuild: Start from nothing.

        Returns:
            What was done.
        """
        return self._update(paths, keep_others=False, rebuild=rebuild)

    def add(self, paths: Iterable[Path]) -> Summary:
        """Add new articles, replace changed ones, skip unchanged ones; keep all others.

        Args:
            paths: Files and folders.

        Returns:
            What was done.
        """
        return self._update(paths, keep_others=True)

    def remove(self, doc_ids: Sequence[str]) -> Summary:
        """Remove articles by id.

        Args:
            doc_ids: Their ids.

        Returns:
            What was done.

        Raises:
            DocumentNotFound: An id is not in the index (nothing is changed).
        """
        t0 = time.perf_counter()
        summary = Summary()
        with self.store.lock():
            old = self.store.open()
            missing = [d for d in doc_ids if d not in old.docs]
            if missing:
                raise DocumentNotFound(f"not in the index: {', '.join(missing)}")
            drop = set(doc_ids)
            keep_rows = [i for i, c in enumerate(old.chunks) if c["doc_id"] not in drop]
            vectors = (
                old.vectors()[keep_rows]
                if keep_rows
                else np.zeros((0, old.manifest.dim), np.float32)
            )
            chunks = [Chunk.from_dict(old.chunks[i]) for i in keep_rows]
            articles = [stored_article(d) for doc_id, d in old.docs.items() if doc_id not in drop]
            manifest = old.manifest
            manifest.documents = {k: v for k, v in manifest.documents.items() if k not in drop}
            manifest.chunks = len(chunks)
            manifest.index_type = choose_index_type(self.index_type, len(chunks))
            self.store.write(manifest, chunks, articles, vectors)
        summary.removed = list(doc_ids)
        summary.documents = len(articles)
        summary.chunks = len(chunks)
        summary.seconds = time.perf_counter() - t0
        return summary
