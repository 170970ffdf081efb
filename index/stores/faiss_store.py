"""The on-disk index: FAISS vectors, BM25, chunks and articles in one folder, written atomically.

Layout: `<index_dir>/CURRENT` names the live generation folder `gen-<n>/`, which holds
`manifest.json`, `vectors.faiss`, `chunks.jsonl`, `docs.jsonl` (each with a `.offsets` file:
where each row starts, so that a reader parses only the rows a question needs) and `lexical/`.
A writer builds a new generation in a temporary folder, batch by batch
(`FaissGenerationWriter`: rows and vectors go to disk as they come), renames it into place and
then swaps `CURRENT` with `os.replace`, so a reader (or a crash at any point) sees the old index
or the new one, never a mix. Writers take a file lock; stale temporary folders are removed by
the next writer.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from index.errors import IndexBusyError, IndexCorruptError, IndexMissingError
from index.files import atomic_write, fsync_dir
from index.lexical import LexicalBuilder, LexicalIndex
from index.reader import Article
from index.splitter import Chunk
from index.store import DocEntry, Manifest
from index.stores.jsonl_rows import JsonlDocs, JsonlRows, OffsetsWriter, read_offsets

log = logging.getLogger(__name__)

_CURRENT = "CURRENT"
_LOCK = ".lock"
_RAW_VECTORS = "vectors.f32"
_RAW_TERMS = "terms.i32"
_RAW_ENTRIES = "documents.part.jsonl"
_ADD_ROWS = 65_536


def make_faiss_index(vectors: np.ndarray, index_type: str) -> Any:
    """Build a FAISS inner-product index over unit vectors.

    Args:
        vectors: `(n, dim)` float32.
        index_type: `flat` or `hnsw`.

    Returns:
        The FAISS index holding the vectors in row order.
    """
    import faiss

    dim = vectors.shape[1]
    if index_type == "hnsw":
        index: Any = faiss.IndexHNSWFlat(dim, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        # Saved with the index. At 1M chunks (bench/scale.py, docs/benchmarks.md) recall@10
        # against exact search was 0.89 with efSearch 128, 0.96 with 512 and 0.98 with 1024,
        # at ~2 ms a question on 2 cores (exact search: ~140 ms).
        index.hnsw.efSearch = 1024
    else:
        index = faiss.IndexFlatIP(dim)
    # In slices: `vectors` may be a memory map of a file far bigger than one slice.
    for start in range(0, len(vectors), _ADD_ROWS):
        index.add(np.ascontiguousarray(vectors[start : start + _ADD_ROWS], dtype=np.float32))
    return index


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


class Snapshot:
    """One loaded, read-only index generation."""

    def __init__(
        self,
        path: Path,
        manifest: Manifest,
        chunks: Sequence[dict[str, Any]],
        docs: Mapping[str, dict[str, Any]],
        faiss_index: Any,
        lexical: LexicalIndex,
    ) -> None:
        """Hold a loaded generation (use `IndexStore.open`)."""
        self.path = path
        self.manifest = manifest
        self.chunks = chunks
        self.docs = docs
        self.faiss_index = faiss_index
        self.lexical = lexical

    def __len__(self) -> int:
        return len(self.chunks)

    @property
    def generation(self) -> str:
        """Name of this generation (its folder)."""
        return self.path.name

    def dense_search(self, query_vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Nearest chunks by inner product.

        Args:
            query_vector: A unit vector of the index's dimension.
            k: How many.

        Returns:
            `(row, score)` pairs, best first.
        """
        if not self.chunks:
            return []
        q = np.ascontiguousarray(query_vector, dtype=np.float32).reshape(1, -1)
        scores, rows = self.faiss_index.search(q, min(k, len(self.chunks)))
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0]

    def vectors(self) -> np.ndarray:
        """All stored vectors in row order."""
        n = self.faiss_index.ntotal
        if n == 0:
            return np.zeros((0, self.manifest.dim), dtype=np.float32)
        return np.asarray(self.faiss_index.reconstruct_n(0, n), dtype=np.float32)

    def vectors_at(self, rows: Sequence[int]) -> np.ndarray:
        """Vectors of some rows, read from the FAISS index without copying the others."""
        if not len(rows):
            return np.zeros((0, self.manifest.dim), dtype=np.float32)
        wanted = np.asarray(rows, dtype=np.int64)
        return np.asarray(self.faiss_index.reconstruct_batch(wanted), dtype=np.float32)

    def doc_rows(self) -> dict[str, list[int]]:
        """Rows of each document's chunks."""
        rows: dict[str, list[int]] = {}
        for i, chunk in enumerate(self.chunks):
            rows.setdefault(chunk["doc_id"], []).append(i)
        return rows


class IndexStore:
    """Reads and atomically writes the index folder (the default store)."""

    def __init__(self, root: Path, lock_timeout: float = 120.0) -> None:
        """Point at an index folder (nothing is read yet).

        Args:
            root: The index folder.
            lock_timeout: Seconds a writer waits for another writer.
        """
        self.root = Path(root)
        self.lock_timeout = lock_timeout

    @property
    def location(self) -> str:
        """The index folder, for messages."""
        return str(self.root)

    def exists(self) -> bool:
        """Whether an index has been written here."""
        return (self.root / _CURRENT).is_file()

    def generation(self) -> str:
        """Name of the live generation (cheap: reads the `CURRENT` pointer)."""
        return self.current_path().name

    def current_path(self) -> Path:
        """Folder of the live generation.

        Raises:
            IndexMissingError: There is no index.
            IndexCorruptError: CURRENT names a missing folder.
        """
        pointer = self.root / _CURRENT
        if not pointer.is_file():
            raise IndexMissingError(
                f"no index in {self.root}; create one with `akhbar index build PATH`"
            )
        name = pointer.read_text().strip()
        path = self.root / name
        if not name.startswith("gen-") or not path.is_dir():
            raise IndexCorruptError(
                f"index in {self.root} is damaged (CURRENT names {name!r}); "
                "rebuild it with `akhbar index build PATH --rebuild`"
            )
        return path

    def read_manifest(self) -> Manifest:
        """The live generation's manifest (cheap: no vectors loaded)."""
        path = self.current_path()
        try:
            data = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise IndexCorruptError(
                f"index manifest in {path} is unreadable ({exc}); rebuild with "
                "`akhbar index build PATH --rebuild`"
            ) from exc
        try:
            return Manifest.from_json(data)
        except (KeyError, TypeError, ValueError) as exc:
            raise IndexCorruptError(f"index manifest in {path} is malformed: {exc}") from exc

    def open(self) -> Snapshot:
        """Load the live generation completely.

        Returns:
            The snapshot.

        Raises:
            IndexMissingError: No index.
            IndexCorruptError: Files missing, truncated or inconsistent.
            IndexMismatchError: Another format version.
        """
        import faiss

        manifest = self.read_manifest()
        path = self.current_path()
        fix = "rebuild it with `akhbar index build PATH --rebuild`"
        chunks: Sequence[dict[str, Any]]
        docs: Mapping[str, dict[str, Any]]
        try:
            chunk_offsets = read_offsets(path / "chunks.jsonl", manifest.chunks)
            doc_offsets = read_offsets(path / "docs.jsonl", len(manifest.documents))
            if chunk_offsets is not None and doc_offsets is not None:
                # Rows are parsed when a question reads them.
                chunks = JsonlRows(path / "chunks.jsonl", chunk_offsets)
                docs = JsonlDocs(
                    JsonlRows(path / "docs.jsonl", doc_offsets), list(manifest.documents)
                )
            else:  # written before the offsets were recorded: read whole
                chunks = _read_jsonl(path / "chunks.jsonl")
                docs = {d["doc_id"]: d for d in _read_jsonl(path / "docs.jsonl")}
            index = faiss.read_index(str(path / "vectors.faiss"))
            lexical = LexicalIndex.load(path / "lexical", len(chunks))
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise IndexCorruptError(f"index in {path} is damaged ({exc}); {fix}") from exc
        if not (len(chunks) == manifest.chunks == index.ntotal):
            raise IndexCorruptError(
                f"index in {path} is inconsistent: manifest {manifest.chunks} chunks, "
                f"chunk store {len(chunks)}, vectors {index.ntotal}; {fix}"
            )
        if index.ntotal and index.d != manifest.dim:
            raise IndexCorruptError(f"index vectors have dimension {index.d}, not {manifest.dim}")
        if not isinstance(docs, JsonlDocs) and set(docs) != set(manifest.documents):
            raise IndexCorruptError(f"index in {path}: article store and manifest disagree; {fix}")
        return Snapshot(path, manifest, chunks, docs, index, lexical)

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the writer lock.

        Raises:
            IndexBusyError: Another writer kept it past the timeout.
        """
        from filelock import FileLock, Timeout

        self.root.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.root / _LOCK), timeout=self.lock_timeout)
        try:
            with lock:
                yield
        except Timeout as exc:
            raise IndexBusyError(
                f"another akhbar process is writing the index in {self.root}; "
                "try again when it has finished"
            ) from exc

    def _clean_stale(self, keep: set[str]) -> None:
        for entry in self.root.iterdir():
            if entry.name.startswith(".tmp-") or (
                entry.name.startswith("gen-") and entry.name not in keep
            ):
                shutil.rmtree(entry, ignore_errors=True)

    def begin_write(self, manifest: Manifest) -> FaissGenerationWriter:
        """Start a new generation in a temporary folder. Call under `lock()`.

        Args:
            manifest: Gives the vector dimension (the rest comes with `commit`).

        Returns:
            The writer (a context manager that aborts unless committed).
        """
        self.root.mkdir(parents=True, exist_ok=True)
        previous = (self.root / _CURRENT).read_text().strip() if self.exists() else ""
        self._clean_stale(keep={previous})
        return FaissGenerationWriter(self, manifest.dim)

    def _publish(self, tmp: Path, name: str) -> Path:
        """Rename a finished temporary generation into place and point `CURRENT` at it."""
        previous = (self.root / _CURRENT).read_text().strip() if self.exists() else ""
        fsync_dir(tmp)
        final = self.root / name
        os.replace(tmp, final)
        with atomic_write(self.root / _CURRENT, "w", prefix=f".tmp-{_CURRENT}-") as fh:
            fh.write(name)
        # Keep the previous generation for readers that are still loading it.
        self._clean_stale(keep={name, previous})
        return final

    def write(
        self,
        manifest: Manifest,
        chunks: Sequence[Chunk],
        articles: Sequence[Article],
        vectors: np.ndarray,
    ) -> Path:
        """Write a new generation and make it live atomically. Call under `lock()`.

        Args:
            manifest: Its manifest (chunk count and documents must match).
            chunks: All chunks in row order.
            articles: All articles.
            vectors: `(len(chunks), dim)` unit vectors in row order.

        Returns:
            The new generation's folder.
        """
        if len(chunks) != len(vectors):
            raise ValueError(f"{len(chunks)} chunks but {len(vectors)} vectors")
        with self.begin_write(manifest) as writer:
            writer.add(articles, chunks, vectors, manifest.documents)
            return writer.commit(manifest)

    def size_on_disk(self) -> int:
        """Bytes used by the live generation."""
        path = self.current_path()
        return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _write_manifest(fh: TextIO, manifest: Manifest, entries: Path) -> None:
    """Write `manifest.json` with the documents read line by line from the writer's entries file.

    The result is the JSON of `Manifest.to_json()` (the documents in the order added) without
    holding one object per article in memory.
    """
    fh.write("{\n")
    for key, value in manifest.header_json().items():
        fh.write(f" {json.dumps(key)}: {json.dumps(value, ensure_ascii=False)},\n")
    fh.write(' "documents": {')
    sep = "\n"
    with entries.open(encoding="utf-8") as lines:
        for line in lines:
            doc_id, entry = json.loads(line)
            fh.write(f"{sep}  {json.dumps(doc_id, ensure_ascii=False)}: ")
            fh.write(json.dumps(entry, ensure_ascii=False))
            sep = ",\n"
    fh.write("\n }\n}\n")


class FaissGenerationWriter:
    """A generation of the FAISS store written batch by batch into `.tmp-gen-<n>/`.

    Chunk and article rows go straight to `chunks.jsonl` and `docs.jsonl`, the articles'
    manifest entries to a file of their own, vectors to a raw float32 file and the chunks'
    terms, as integer ids, to `index.lexical.LexicalBuilder`: what was added is on disk, not
    in memory (but for the set of article ids, which catches an article given twice).
    `commit` builds the FAISS index from the memory-mapped vectors (in slices; the index
    itself holds every vector, as it must to be saved and searched), builds BM25, writes the
    manifest with the entries streamed from their file, flushes everything to disk, renames
    the folder into place and swaps `CURRENT` (`IndexStore`'s atomic publication). Until then
    the live index is untouched; `abort` removes the folder, and a crash leaves a stale
    `.tmp-` folder that the next writer removes.
    """

    def __init__(self, store: IndexStore, dim: int) -> None:
        """Create the temporary folder and its files (use `IndexStore.begin_write`)."""
        self.store = store
        self.dim = dim
        self.name = f"gen-{time.time_ns()}"
        self.tmp = store.root / f".tmp-{self.name}"
        self.tmp.mkdir()
        self.rows = 0
        self.doc_ids: set[str] = set()
        self._done = False
        self._chunks = OffsetsWriter(self.tmp / "chunks.jsonl")
        self._docs = OffsetsWriter(self.tmp / "docs.jsonl")
        self._entries = (self.tmp / _RAW_ENTRIES).open("w", encoding="utf-8")
        self._vectors = (self.tmp / _RAW_VECTORS).open("wb")
        self._lexical = LexicalBuilder(self.tmp / _RAW_TERMS)

    def __enter__(self) -> FaissGenerationWriter:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if not self._done:
            self.abort()

    def add(
        self,
        articles: Sequence[Article],
        chunks: Sequence[Chunk],
        vectors: np.ndarray,
        entries: Mapping[str, DocEntry],
    ) -> None:
        """Append a batch of articles, their chunks (in row order) and the chunks' vectors.

        Args:
            articles: The articles.
            chunks: Their chunks in row order.
            vectors: `(len(chunks), dim)` unit vectors.
            entries: Manifest entries of the articles (their titles are stored with them).
        """
        if self._done:
            raise ValueError("this generation was already committed or aborted")
        vectors = np.asarray(vectors, dtype=np.float32)
        if len(chunks) != len(vectors):
            raise ValueError(f"{len(chunks)} chunks but {len(vectors)} vectors")
        if len(vectors) and vectors.shape[1] != self.dim:
            raise ValueError(f"vectors of dimension {vectors.shape[1]}, not {self.dim}")
        rows = []
        for a in articles:
            if a.doc_id in self.doc_ids:
                raise ValueError(f"article {a.doc_id!r} given twice")
            self.doc_ids.add(a.doc_id)
            entry = entries[a.doc_id]
            rows.append(
                {
                    "doc_id": a.doc_id,
                    "title": entry.title,
                    "article_title": a.title,
                    "text": a.text,
                    "url": a.url,
                    "date": a.date,
                    "source": a.source,
                    "meta": a.meta,
                }
            )
            self._entries.write(json.dumps([a.doc_id, entry.__dict__], ensure_ascii=False) + "\n")
        # The articles' rows, their manifest entries and so the manifest's documents share
        # one order, which is how a reader finds an article's row (`JsonlDocs`).
        self._docs.write(rows)
        self._chunks.write([c.to_dict() for c in chunks])
        self._vectors.write(np.ascontiguousarray(vectors).tobytes())
        self._lexical.add(c.embed_text() for c in chunks)
        self.rows += len(chunks)

    def _close_files(self) -> None:
        self._chunks.finish()
        self._docs.finish()
        for fh in (self._entries, self._vectors):
            if not fh.closed:
                fh.flush()
                os.fsync(fh.fileno())
                fh.close()

    def commit(self, manifest: Manifest) -> Path:
        """Finish the generation and make it live atomically.

        Args:
            manifest: Its manifest: the chunk count must be what was added, and so must its
                documents when it lists any (the generation's documents are those added).

        Returns:
            The new generation's folder.
        """
        if self._done:
            raise ValueError("this generation was already committed or aborted")
        if manifest.chunks != self.rows or (
            manifest.documents and set(manifest.documents) != self.doc_ids
        ):
            raise ValueError(
                f"the manifest lists {len(manifest.documents)} articles and {manifest.chunks} "
                f"chunks, but {len(self.doc_ids)} articles and {self.rows} chunks were added"
            )
        import faiss

        self._close_files()
        raw = self.tmp / _RAW_VECTORS
        vectors: Any = (
            np.memmap(raw, dtype=np.float32, mode="r", shape=(self.rows, self.dim))
            if self.rows
            else np.zeros((0, self.dim), dtype=np.float32)
        )
        index = make_faiss_index(vectors, manifest.index_type)
        del vectors
        faiss.write_index(index, str(self.tmp / "vectors.faiss"))
        del index
        raw.unlink()
        self._lexical.build().save(self.tmp / "lexical")
        entries = self.tmp / _RAW_ENTRIES
        with (self.tmp / "manifest.json").open("w", encoding="utf-8") as fh:
            _write_manifest(fh, manifest, entries)
            fh.flush()
            os.fsync(fh.fileno())
        entries.unlink()
        final = self.store._publish(self.tmp, self.name)
        self._done = True
        log.info("index written: %s (%d chunks)", final, self.rows)
        return final

    def abort(self) -> None:
        """Remove the temporary folder; the live index is unchanged (idempotent)."""
        if self._done:
            return
        self._done = True
        self._chunks.close()
        self._docs.close()
        for fh in (self._entries, self._vectors):
            fh.close()
        self._lexical.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
        log.info("index generation %s abandoned", self.name)
