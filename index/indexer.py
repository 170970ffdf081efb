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
from index.embeddings import SentenceEmbeddings
from index.errors import DocumentNotFound, NoArticlesError
from index.protocols import Store, StoreSnapshot
from index.reader import Article, Skipped, read_paths
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


class Indexer:
    """Writes the index for a store with one embedding model and splitter."""

    def __init__(
        self,
        store: Store,
        embeddings: SentenceEmbeddings,
        splitter: SplitterSettings,
        index_type: str = "auto",
        progress: bool = False,
    ) -> None:
        """Configure (cheap: the model loads when text is first embedded).

        Args:
            store: Where the index lives.
            embeddings: The embedding model.
            splitter: Chunking parameters.
            index_type: `auto`, `flat` or `hnsw`.
            progress: Show a progress bar while embedding.
        """
        self.store = store
        self.embeddings = embeddings
        self.splitter_config = splitter
        self.index_type = index_type
        self.progress = progress

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

    def _embed(self, chunks: Sequence[Chunk], summary: Summary) -> np.ndarray:
        texts = [c.embed_text() for c in chunks]
        if not texts:
            return np.zeros((0, self.embeddings.dim), dtype=np.float32)
        from tqdm import tqdm

        tokens = sum(self.embeddings.count_tokens(texts))
        self.embeddings.warm_up()
        step = self.embeddings.batch_size * 16
        parts: list[np.ndarray] = []
        start = time.perf_counter()
        with tqdm(
            total=len(texts), unit="chunk", disable=not self.progress, desc="embedding"
        ) as bar:
            for i in range(0, len(texts), step):
                parts.append(self.embeddings.encode_passages(texts[i : i + step]))
                bar.update(len(parts[-1]))
                done = sum(len(p) for p in parts)
                elapsed = max(time.perf_counter() - start, 1e-9)
                bar.set_postfix(tok_s=f"{tokens * done / len(texts) / elapsed:.0f}")
        summary.embedded_chunks += len(texts)
        summary.embedded_tokens += tokens
        summary.embed_seconds += time.perf_counter() - start
        return np.concatenate(parts)

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
        read = read_paths(paths)
        summary = Summary(skipped=read.skipped)
        if not read.articles and not keep_others:
            raise NoArticlesError(
                "no article could be read from the given paths"
                + (f" ({len(read.skipped)} skipped)" if read.skipped else "")
            )
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
            to_embed: list[Chunk] = []
            incoming = {a.doc_id for a in read.articles}
            if keep_others and old is not None:
                for doc_id, doc in old_docs.items():
                    if doc_id in incoming:
                        continue
                    article = stored_article(doc)
                    rows = old_rows.get(doc_id, [])
                    articles.append(article)
                    titles[doc_id] = old.manifest.documents[doc_id].title
                    chunk_lists[doc_id] = [Chunk.from_dict(old.chunks[r]) for r in rows]
                    assert old_vectors is not None
                    vector_lists[doc_id] = old_vectors[rows]
            for article in read.articles:
                entry = old.manifest.documents.get(article.doc_id) if old else None
                chunks, title = splitter.split(article)
                titles[article.doc_id] = title
                if entry is not None and entry.hash == article.content_hash:
                    assert old is not None and old_vectors is not None
                    rows = old_rows.get(article.doc_id, [])
                    chunk_lists[article.doc_id] = [Chunk.from_dict(old.chunks[r]) for r in rows]
                    vector_lists[article.doc_id] = old_vectors[rows]
                    summary.unchanged.append(article.doc_id)
                else:
                    chunk_lists[article.doc_id] = chunks
                    to_embed.extend(chunks)
                    (summary.replaced if entry is not None else summary.added).append(
                        article.doc_id
                    )
                articles.append(article)
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
            vectors = self._embed(to_embed, summary)
            pos = 0
            for article in articles:
                if article.doc_id in vector_lists:
                    continue
                n = len(chunk_lists[article.doc_id])
                vector_lists[article.doc_id] = vectors[pos : pos + n]
                pos += n
            self._commit(articles, titles, chunk_lists, vector_lists, summary)
        summary.seconds = time.perf_counter() - t0
        return summary

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
