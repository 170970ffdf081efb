"""Build, extend and prune the index: read → split → embed → store, reusing unchanged articles."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from index.config import SplitterSettings
from index.embed_cache import CACHE_NAME, EmbeddingCache
from index.errors import DocumentNotFound, NoArticlesError
from index.memory import release_free_memory
from index.protocols import Embedder, GenerationWriter, Store, StoreSnapshot
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
        self,
        chunks: Sequence[Chunk],
        summary: Summary,
        cache: EmbeddingCache | None = None,
        on_slice: Callable[[], None] | None = None,
    ) -> np.ndarray:
        """Vectors of chunks: cached ones read back, the others embedded and cached.

        The missing texts are sorted by length over the whole buffer, so that each batch pads
        little, and embedded in slices; each slice is written to the cache at once, and the
        heap memory its batches freed is handed back, so that memory does not creep up.
        `on_slice` is called after each slice (the summary's counts are current then).
        """
        dim = self.embeddings.dim
        texts = [c.embed_text() for c in chunks]
        out = np.zeros((len(texts), dim), dtype=np.float32)
        if not texts:
            return out
        cached = cache.get_many(texts) if cache is not None else [None] * len(texts)
        # A text met twice (an article syndicated under two ids) is embedded once.
        first_of: dict[str, int] = {}
        missing: list[int] = []
        repeats: list[tuple[int, int]] = []
        for i, v in enumerate(cached):
            if v is not None:
                out[i] = v
            elif texts[i] in first_of:
                repeats.append((i, first_of[texts[i]]))
            else:
                first_of[texts[i]] = i
                missing.append(i)
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
            release_free_memory()
            summary.embedded_chunks += len(part)
            summary.embedded_tokens += sum(tokens[k] for k in part)
            if on_slice is not None:
                on_slice()
        for i, j in repeats:
            out[i] = out[j]
        summary.embed_seconds += time.perf_counter() - start
        return out

    def _load_existing(self, rebuild: bool) -> StoreSnapshot | None:
        if rebuild or not self.store.exists():
            return None
        snapshot = self.store.open()
        self.check_compatible(snapshot.manifest)
        return snapshot

    def _head(self) -> Manifest:
        """The manifest a new generation starts from (documents and counts come at commit)."""
        return Manifest(
            embedding=self.embeddings.describe(),
            dim=self.embeddings.dim,
            splitter=self.splitter_config.model_dump(),
            index_type=choose_index_type(self.index_type, 0),
        )

    def _commit(self, writer: GenerationWriter, batch: _Batch, summary: Summary) -> None:
        """Make what the writer holds live (its documents are the articles it was given)."""
        manifest = self._head()
        manifest.chunks = batch.rows
        manifest.index_type = choose_index_type(self.index_type, batch.rows)
        writer.commit(manifest)
        summary.documents = batch.articles
        summary.chunks = batch.rows

    def _update(
        self, paths: Iterable[Path], *, keep_others: bool, rebuild: bool = False
    ) -> Summary:
        t0 = time.perf_counter()
        paths = [Path(p) for p in paths]
        records = iter_paths(paths)  # raises ReadError before reading anything
        summary = Summary()
        with self.store.lock():
            old = self._load_existing(rebuild)
            old_rows = old.doc_rows() if old else {}
            splitter = Splitter(self.embeddings.count_tokens, self.splitter_config)
            incoming: set[str] = set()
            self.embeddings.warm_up()
            cache = (
                EmbeddingCache(
                    self.cache_dir / CACHE_NAME, self.embeddings.describe(), self.embeddings.dim
                )
                if self.cache_dir is not None
                else None
            )
            bar = self._progress_bar(paths)
            # New generation: each flushed batch goes to the writer and is dropped (the
            # writer keeps the articles' manifest entries; what stays here is their ids).
            with self.store.begin_write(self._head()) as writer:
                batch = _Batch(writer, self.embeddings.dim)

                def show_rate() -> None:
                    elapsed = max(time.perf_counter() - t0, 1e-9)
                    bar.set_postfix(
                        chunks_s=f"{(summary.embedded_chunks + summary.cached_chunks) / elapsed:.1f}",
                        cached=summary.cached_chunks,
                    )

                def flush() -> None:
                    todo = [
                        c for item in batch.pending if item.vectors is None for c in item.chunks
                    ]
                    vectors = self._embed(todo, summary, cache, on_slice=show_rate)
                    pos = 0
                    for item in batch.pending:
                        if item.vectors is None:
                            n = len(item.chunks)
                            item.vectors = vectors[pos : pos + n]
                            pos += n
                    embedded = sum(1 for item in batch.pending if item.new)
                    batch.flush()
                    bar.update(embedded)
                    show_rate()

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
                            assert old is not None
                            rows = old_rows.get(article.doc_id, [])
                            batch.append(
                                article,
                                entry.title,
                                _old_chunks(old, rows),
                                old.vectors_at(rows),
                            )
                            summary.unchanged.append(article.doc_id)
                            bar.update(1)
                        else:
                            chunks, title = splitter.split(article)
                            (summary.replaced if entry is not None else summary.added).append(
                                article.doc_id
                            )
                            batch.append(article, title, chunks, None)
                        if batch.to_embed >= self.embed_buffer or batch.held >= 4 * max(
                            self.embed_buffer, 1
                        ):
                            flush()
                    if batch.pending:
                        flush()
                finally:
                    bar.close()
                    if cache is not None:
                        cache.close()
                if not batch.articles and not keep_others:
                    raise NoArticlesError(
                        "no article could be read from the given paths"
                        + (f" ({len(summary.skipped)} skipped)" if summary.skipped else "")
                    )
                if not keep_others and old is not None:
                    summary.removed = sorted(set(old.manifest.documents) - incoming)
                if (
                    old is not None
                    and not summary.added
                    and not summary.replaced
                    and not summary.removed
                ):
                    writer.abort()
                    summary.documents = len(old.manifest.documents)
                    summary.chunks = len(old.chunks)
                    summary.seconds = time.perf_counter() - t0
                    log.info("index unchanged")
                    return summary
                if keep_others and old is not None:
                    # The articles not given again, from the old generation, after the new ones.
                    for doc_id, doc in old.docs.items():
                        if doc_id not in incoming:
                            _keep_old(batch, old, doc, old_rows.get(doc_id, []))
                            if batch.held >= self.embed_buffer:
                                batch.flush()
                    batch.flush()
                self._commit(writer, batch, summary)
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
            missing = [d for d in doc_ids if d not in old.manifest.documents]
            if missing:
                raise DocumentNotFound(f"not in the index: {', '.join(missing)}")
            drop = set(doc_ids)
            head = Manifest(
                embedding=old.manifest.embedding,
                dim=old.manifest.dim,
                splitter=old.manifest.splitter,
                index_type=old.manifest.index_type,
            )
            with self.store.begin_write(head) as writer:
                batch = _Batch(writer, old.manifest.dim)
                old_rows = old.doc_rows()
                for doc_id, doc in old.docs.items():
                    if doc_id not in drop:
                        _keep_old(batch, old, doc, old_rows.get(doc_id, []))
                        if batch.held >= self.embed_buffer:
                            batch.flush()
                batch.flush()
                head.chunks = batch.rows
                head.index_type = choose_index_type(self.index_type, batch.rows)
                writer.commit(head)
        summary.removed = list(doc_ids)
        summary.documents = batch.articles
        summary.chunks = batch.rows
        summary.seconds = time.perf_counter() - t0
        return summary


@dataclass
class _Item:
    """One article waiting in a batch: its chunks, and their vectors once known."""

    article: Article
    title: str
    chunks: list[Chunk]
    vectors: np.ndarray | None
    new: bool


class _Batch:
    """Articles on their way to a `GenerationWriter`, handed over a batch at a time.

    What it keeps after a flush is the article and row counts: the articles, their manifest
    entries (hash, title, source, chunk count), chunks and vectors are the writer's.
    """

    def __init__(self, writer: GenerationWriter, dim: int) -> None:
        self.writer = writer
        self.dim = dim
        self.pending: list[_Item] = []
        self.articles = 0
        self.rows = 0
        self.held = 0
        self.to_embed = 0

    def append(
        self, article: Article, title: str, chunks: list[Chunk], vectors: np.ndarray | None
    ) -> None:
        """Queue an article (`vectors` None: its chunks still need embedding)."""
        self.pending.append(_Item(article, title, chunks, vectors, vectors is None))
        self.held += len(chunks)
        if vectors is None:
            self.to_embed += len(chunks)

    def flush(self) -> None:
        """Hand the queued articles (all with vectors) to the writer and forget them."""
        if not self.pending:
            return
        articles = [item.article for item in self.pending]
        chunks = [c for item in self.pending for c in item.chunks]
        parts = [item.vectors for item in self.pending if item.vectors is not None]
        if len(parts) != len(self.pending):
            raise ValueError("a batch was flushed before its chunks were embedded")
        vectors = np.concatenate(parts) if parts else np.zeros((0, self.dim), np.float32)
        entries = {
            item.article.doc_id: DocEntry(
                hash=item.article.content_hash,
                title=item.title,
                source=item.article.source,
                chunks=len(item.chunks),
            )
            for item in self.pending
        }
        self.writer.add(articles, chunks, vectors, entries)
        self.articles += len(entries)
        self.rows += len(chunks)
        self.pending, self.held, self.to_embed = [], 0, 0


def _keep_old(
    batch: _Batch,
    old: StoreSnapshot,
    doc: dict[str, Any],
    rows: Sequence[int],
) -> None:
    """Queue an article of the old generation as it is stored (chunks and vectors)."""
    batch.append(
        stored_article(doc),
        old.manifest.documents[doc["doc_id"]].title,
        _old_chunks(old, rows),
        old.vectors_at(rows),
    )


def _old_chunks(old: StoreSnapshot, rows: Sequence[int]) -> list[Chunk]:
    """Chunks of some rows of the old generation (an article's rows are one run: one read)."""
    if rows and rows[-1] - rows[0] == len(rows) - 1:
        return [Chunk.from_dict(c) for c in old.chunks[rows[0] : rows[-1] + 1]]
    return [Chunk.from_dict(old.chunks[r]) for r in rows]
