"""The index in PostgreSQL + pgvector: articles, chunks, vectors (HNSW, cosine) and BM25 terms.

Tables live in one schema (`AKHBAR_STORE__SCHEMA_NAME`, default `akhbar`) created by akhbar, with
a schema version it checks. Every write is one transaction that adds generation `g`: new rows get
`gen_added = g`, replaced and removed rows get `gen_removed = g`, and a row in `generations`
records the counts BM25 needs. A reader pins the newest generation `G` it saw and reads only rows
with `gen_added <= G < gen_removed`, so every query of a search sees the same state even while a
writer commits; rows a newer generation removed are deleted only when they have been invisible to
new readers for `GRACE_SECONDS`. Writers take a PostgreSQL advisory lock, so two never interleave;
a writer that dies mid-write leaves no trace (its transaction is rolled back by the server).

The lexical side stores akhbar's own Arabic terms (`index.arabic.terms`) per chunk and scores BM25
in SQL with the formula and constants of `index.lexical` (bm25s, Lucene variant), so hybrid search
ranks as the FAISS store does.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any, overload

import numpy as np

from index.arabic import terms
from index.errors import (
    IndexBusyError,
    IndexCorruptError,
    IndexMismatchError,
    IndexMissingError,
    IndexStoreError,
    StoreConnectionError,
    StoreSetupError,
)
from index.lexical import BM25_B, BM25_K1, EMPTY_TERM
from index.reader import Article
from index.splitter import Chunk
from index.store import DocEntry, Manifest

log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
GRACE_SECONDS = 600
"""Rows removed by a write are kept this long for readers still pinned to an older generation."""
_CACHE_ROWS = 20_000
_CHUNK_COLS = "id, doc_id, chunk_id, title, section, text, start_offset, end_offset"
_DOC_COLS = "doc_id, title, article_title, text, url, date, source, meta"


def _psycopg() -> Any:
    try:
        import psycopg
    except ImportError as exc:
        raise StoreSetupError(
            "the postgres store needs psycopg and pgvector: `pip install 'akhbar[postgres]'`"
        ) from exc
    return psycopg


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _where(dsn: str) -> str:
    """`user@host:port/db` of a connection string, never its password."""
    try:
        from psycopg.conninfo import conninfo_to_dict

        d = conninfo_to_dict(dsn)
    except Exception:
        return "AKHBAR_STORE__DSN"
    host = d.get("host") or "localhost"
    user = f"{d['user']}@" if d.get("user") else ""
    return f"{user}{host}:{d.get('port') or 5432}/{d.get('dbname') or ''}"


def _chunk_row(row: Sequence[Any]) -> dict[str, Any]:
    return {
        "doc_id": row[1],
        "chunk_id": row[2],
        "title": row[3],
        "section": row[4],
        "text": row[5],
        "start": row[6],
        "end": row[7],
    }


def _doc_row(row: Sequence[Any]) -> dict[str, Any]:
    return {
        "doc_id": row[0],
        "title": row[1],
        "article_title": row[2],
        "text": row[3],
        "url": row[4],
        "date": row[5],
        "source": row[6],
        "meta": row[7] if isinstance(row[7], dict) else json.loads(row[7] or "{}"),
    }


class PostgresStore:
    """An index in a PostgreSQL schema, shared by any number of akhbar processes."""

    def __init__(
        self,
        dsn: str,
        schema: str = "akhbar",
        lock_timeout: float = 120.0,
        ef_search: int = 1000,
    ) -> None:
        """Point at a database (nothing is connected yet).

        Args:
            dsn: libpq connection string or URL.
            schema: Schema holding akhbar's tables.
            lock_timeout: Seconds a writer waits for another writer.
            ef_search: pgvector `hnsw.ef_search` for HNSW searches.
        """
        self.dsn = dsn
        self.schema = schema
        self.lock_timeout = lock_timeout
        self.ef_search = ef_search
        self._conn: Any = None
        self._conn_lock = threading.Lock()
        self._writer: Any = None
        key = hashlib.sha1(f"akhbar:{schema}".encode(), usedforsecurity=False).digest()[:8]
        self._lock_key = int.from_bytes(key, "big", signed=True)

    # -- connections and errors ------------------------------------------------------------

    @property
    def location(self) -> str:
        """`PostgreSQL user@host:port/db, schema <name>`, for messages."""
        return f"PostgreSQL {_where(self.dsn)}, schema {self.schema}"

    def _t(self, table: str) -> str:
        return f'"{self.schema}".{table}'

    def _connect(self) -> Any:
        psycopg = _psycopg()
        try:
            conn = psycopg.connect(
                self.dsn, autocommit=True, connect_timeout=10, application_name="akhbar"
            )
        except psycopg.OperationalError as exc:
            raise StoreConnectionError(
                f"cannot connect to PostgreSQL at {_where(self.dsn)} ({_first_line(exc)}); "
                "start the server (`make postgres` runs a local one) or fix AKHBAR_STORE__DSN"
            ) from None
        except psycopg.ProgrammingError as exc:
            raise StoreConnectionError(
                f"AKHBAR_STORE__DSN is not a valid PostgreSQL connection string "
                f"({_first_line(exc)}); write it as postgresql://user:password@host:port/database"
            ) from None
        conn.execute(f"SET hnsw.ef_search = {int(self.ef_search)}")
        conn.execute("SET hnsw.iterative_scan = strict_order")
        return conn

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn database failures into one-line store errors."""
        psycopg = _psycopg()
        try:
            yield
        except IndexStoreError:
            raise
        except psycopg.errors.UndefinedTable:
            raise self._missing() from None
        except psycopg.OperationalError as exc:
            raise StoreConnectionError(
                f"PostgreSQL at {_where(self.dsn)} failed ({_first_line(exc)}); "
                "check that the server is running and try again"
            ) from None

    def _missing(self) -> IndexMissingError:
        return IndexMissingError(
            f"no index in {self.location}; create one with `akhbar index build PATH`"
        )

    def _reader(self) -> Any:
        """The shared reading connection (psycopg serialises its use across threads)."""
        with self._conn_lock:
            conn = self._conn
            if conn is None or conn.closed or conn.broken:
                conn = self._connect()
                with self._errors():
                    self._check_version(conn)
                self._conn = conn
            return conn

    def _query(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> list[Any]:
        conn = self._reader()
        with self._errors():
            try:
                return list(conn.execute(sql, params).fetchall())
            except _psycopg().OperationalError:
                if not conn.broken:
                    raise
            # One retry on a fresh connection (the server restarted, a proxy closed it).
            with self._conn_lock:
                self._conn = None
            return list(self._reader().execute(sql, params).fetchall())

    def _check_version(self, conn: Any) -> None:
        row = conn.execute(
            "SELECT to_regclass(%s) IS NOT NULL", (f'"{self.schema}".meta',)
        ).fetchone()
        if not row[0]:
            return  # no index yet: readers get IndexMissingError, the first writer creates it
        got = conn.execute(
            f"SELECT value FROM {self._t('meta')} WHERE key = 'schema_version'"
        ).fetchone()
        version = int(got[0]) if got else 0
        if version != SCHEMA_VERSION:
            raise IndexMismatchError(
                f"{self.location} holds akhbar tables of schema version {version}, but this "
                f"akhbar uses version {SCHEMA_VERSION}; rebuild into a new schema "
                "(AKHBAR_STORE__SCHEMA_NAME=... then `akhbar index build PATH`) or drop it "
                f'(`DROP SCHEMA "{self.schema}" CASCADE`) and rebuild'
            )

    # -- reading -----------------------------------------------------------------------------

    def _has_tables(self) -> bool:
        (row,) = self._query("SELECT to_regclass(%s) IS NOT NULL", (f'"{self.schema}".meta',))
        return bool(row[0])

    def exists(self) -> bool:
        """Whether an index has been written to the schema."""
        if not self._has_tables():
            return False
        (row,) = self._query(f"SELECT EXISTS (SELECT 1 FROM {self._t('generations')})")
        return bool(row[0])

    def _live(self) -> tuple[int, dict[str, Any], int, int, int, float]:
        if not self._has_tables():
            raise self._missing()
        rows = self._query(
            "SELECT gen, manifest, documents, chunks, total_terms, "
            f"extract(epoch from created) FROM {self._t('generations')} "
            "ORDER BY gen DESC LIMIT 1"
        )
        if not rows:
            raise self._missing()
        gen, manifest, documents, chunks, total, created = rows[0]
        return int(gen), manifest, int(documents), int(chunks), int(total), float(created)

    def generation(self) -> str:
        """`pg-<n>`, the live generation (one indexed query)."""
        (row,) = self._query(f"SELECT max(gen) FROM {self._t('generations')}")
        if row[0] is None:
            raise self._missing()
        return f"pg-{int(row[0])}"

    def _manifest(self, gen: int, data: dict[str, Any], documents: int, chunks: int) -> Manifest:
        return Manifest(
            embedding=data["embedding"],
            dim=int(data["dim"]),
            splitter=data["splitter"],
            index_type=data["index_type"],
            documents=_Documents(self, gen, documents),
            chunks=chunks,
            created=float(data.get("created", 0)),
        )

    def read_manifest(self) -> Manifest:
        """The live generation's manifest (articles are read on demand)."""
        gen, data, documents, chunks, _, _ = self._live()
        return self._manifest(gen, data, documents, chunks)

    def open(self) -> PostgresSnapshot:
        """Pin the live generation.

        Returns:
            A snapshot that reads rows of that generation on demand.
        """
        gen, data, documents, chunks, total, _ = self._live()
        ids = np.asarray(
            [
                r[0]
                for r in self._query(
                    f"SELECT id FROM {self._t('chunks')} WHERE {_visible('%s')} ORDER BY id",
                    (gen, gen),
                )
            ],
            dtype=np.int64,
        )
        if len(ids) != chunks:
            raise IndexCorruptError(
                f"{self.location} is inconsistent: generation {gen} records {chunks} chunks, "
                f"the chunk table holds {len(ids)}; rebuild it with "
                "`akhbar index build PATH --rebuild`"
            )
        return PostgresSnapshot(self, gen, self._manifest(gen, data, documents, chunks), ids, total)

    def size_on_disk(self) -> int:
        """Bytes of akhbar's tables and their indexes in the schema."""
        (row,) = self._query(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind = 'r'",
            (self.schema,),
        )
        return int(row[0])

    def drop(self) -> None:
        """Delete the schema and everything in it (temporary indexes such as `akhbar eval`'s)."""
        with self.lock():
            assert self._writer is not None
            with self._errors():
                self._writer.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE')
        with self._conn_lock:
            if self._conn is not None:
                self._conn.close()
            self._conn = None

    # -- writing -----------------------------------------------------------------------------

    @contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the writer lock (a session advisory lock, released if the process dies).

        Raises:
            IndexBusyError: Another writer kept it past the timeout.
        """
        conn = self._connect()
        try:
            deadline = time.monotonic() + self.lock_timeout
            with self._errors():
                while not conn.execute(
                    "SELECT pg_try_advisory_lock(%s)", (self._lock_key,)
                ).fetchone()[0]:
                    if time.monotonic() > deadline:
                        raise IndexBusyError(
                            f"another akhbar process is writing the index in {self.location}; "
                            "try again when it has finished"
                        )
                    time.sleep(0.2)
                with self._errors():
                    self._check_version(conn)
            self._writer = conn
            yield
        finally:
            self._writer = None
            conn.close()

    def _ensure_schema(self, conn: Any, dim: int) -> None:
        psycopg = _psycopg()
        try:
            with conn.transaction():
                conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        except (psycopg.errors.FeatureNotSupported, psycopg.errors.UndefinedFile) as exc:
            raise StoreSetupError(
                f"the pgvector extension is not available on {_where(self.dsn)} "
                f"({_first_line(exc)}); install pgvector on the server "
                "(https://github.com/pgvector/pgvector) or use `make postgres`"
            ) from None
        except psycopg.errors.InsufficientPrivilege as exc:
            raise StoreSetupError(
                f"cannot enable pgvector on {_where(self.dsn)} ({_first_line(exc)}); ask the "
                "database owner to run `CREATE EXTENSION vector` in this database"
            ) from None
        from pgvector.psycopg import register_vector

        register_vector(conn)
        if conn.execute(
            "SELECT to_regclass(%s) IS NOT NULL", (f'"{self.schema}".meta',)
        ).fetchone()[0]:
            return
        t = self._t
        with conn.transaction():
            conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{self.schema}"')
            conn.execute(f"CREATE TABLE {t('meta')} (key text PRIMARY KEY, value jsonb NOT NULL)")
            conn.execute(
                f"INSERT INTO {t('meta')} VALUES ('schema_version', %s), ('dim', %s)",
                (json.dumps(SCHEMA_VERSION), json.dumps(dim)),
            )
            conn.execute(
                f"""CREATE TABLE {t("generations")} (
                    gen bigint PRIMARY KEY, created timestamptz NOT NULL DEFAULT now(),
                    manifest jsonb NOT NULL, documents bigint NOT NULL, chunks bigint NOT NULL,
                    total_terms bigint NOT NULL)"""
            )
            conn.execute(
                f"""CREATE TABLE {t("articles")} (
                    id bigserial PRIMARY KEY, doc_id text NOT NULL, hash text NOT NULL,
                    title text NOT NULL, article_title text NOT NULL, text text NOT NULL,
                    url text NOT NULL, date text NOT NULL, source text NOT NULL,
                    meta jsonb NOT NULL, chunks integer NOT NULL,
                    gen_added bigint NOT NULL, gen_removed bigint)"""
            )
            conn.execute(f"CREATE INDEX ON {t('articles')} (doc_id)")
            conn.execute(
                f"CREATE UNIQUE INDEX ON {t('articles')} (doc_id) WHERE gen_removed IS NULL"
            )
            conn.execute(
                f"""CREATE TABLE {t("chunks")} (
                    id bigserial PRIMARY KEY,
                    article bigint NOT NULL REFERENCES {t("articles")} (id) ON DELETE CASCADE,
                    doc_id text NOT NULL, chunk_id text NOT NULL, title text NOT NULL,
                    section text NOT NULL, text text NOT NULL,
                    start_offset integer NOT NULL, end_offset integer NOT NULL,
                    terms integer NOT NULL, embedding vector({int(dim)}) NOT NULL,
                    gen_added bigint NOT NULL, gen_removed bigint)"""
            )
            # Vectors stay in the row (no TOAST): scans read them without detoasting.
            conn.execute(f"ALTER TABLE {t('chunks')} ALTER COLUMN embedding SET STORAGE PLAIN")
            conn.execute(f"CREATE INDEX ON {t('chunks')} (article)")
            conn.execute(
                f"""CREATE TABLE {t("postings")} (
                    term text NOT NULL,
                    chunk bigint NOT NULL REFERENCES {t("chunks")} (id) ON DELETE CASCADE,
                    tf integer NOT NULL, PRIMARY KEY (term, chunk))"""
            )
            conn.execute(f"CREATE INDEX ON {t('postings')} (chunk)")

    def _set_dim(self, conn: Any, dim: int) -> None:
        """A model of another dimension: empty the tables and retype the vector column."""
        t = self._t
        conn.execute(f'DROP INDEX IF EXISTS "{self.schema}".chunks_embedding_hnsw')
        conn.execute(f"TRUNCATE {t('postings')}, {t('chunks')}, {t('articles')}")
        conn.execute(f"ALTER TABLE {t('chunks')} ALTER COLUMN embedding TYPE vector({int(dim)})")
        conn.execute(f"UPDATE {t('meta')} SET value = %s WHERE key = 'dim'", (json.dumps(dim),))

    def write(
        self,
        manifest: Manifest,
        chunks: Sequence[Chunk],
        articles: Sequence[Article],
        vectors: np.ndarray,
    ) -> str:
        """Make exactly `articles` the live index in one transaction.

        Articles whose content hash, title and chunk count are unchanged (under the same model
        and splitter) keep their rows; the others are added or replaced, and articles not given
        are removed. Call under `lock()` (it is taken here otherwise).

        Args:
            manifest: Its manifest (chunk count and documents must match).
            chunks: All chunks in row order.
            articles: All articles.
            vectors: `(len(chunks), dim)` unit vectors in row order.

        Returns:
            The new generation (`pg-<n>`).
        """
        if len(chunks) != len(vectors):
            raise ValueError(f"{len(chunks)} chunks but {len(vectors)} vectors")
        if self._writer is None:
            with self.lock():
                return self.write(manifest, chunks, articles, vectors)
        with self.begin_write(manifest) as writer:
            writer.add(articles, chunks, vectors, manifest.documents)
            return writer.commit(manifest)

    def begin_write(self, manifest: Manifest) -> PostgresGenerationWriter:
        """Open the write transaction of a new generation. Call under `lock()`.

        Args:
            manifest: Model, dimension and splitter of the generation.

        Returns:
            The writer: batches are inserted as they come, inside one transaction that
            `commit` commits and `abort` (or an exception inside `with`) rolls back.
        """
        if self._writer is None:
            raise RuntimeError("PostgresStore.begin_write must be called under lock()")
        return PostgresGenerationWriter(self, self._writer, manifest)

    def _insert(
        self,
        conn: Any,
        gen: int,
        entries: Mapping[str, DocEntry],
        new: Sequence[Article],
        chunks: Sequence[Chunk],
        vectors: np.ndarray,
    ) -> int:
        """Insert articles with their chunks, vectors and terms; returns the terms added."""
        if not new:
            return 0
        t = self._t
        wanted = {a.doc_id for a in new}
        with conn.cursor().copy(
            f"COPY {t('articles')} (doc_id, hash, title, article_title, text, url, date, "
            "source, meta, chunks, gen_added) FROM STDIN"
        ) as copy:
            for a in new:
                entry = entries[a.doc_id]
                copy.write_row(
                    (
                        a.doc_id,
                        entry.hash,
                        entry.title,
                        a.title,
                        a.text,
                        a.url,
                        a.date,
                        a.source,
                        json.dumps(a.meta, ensure_ascii=False),
                        entry.chunks,
                        gen,
                    )
                )
        article_ids = dict(
            conn.execute(
                f"SELECT doc_id, id FROM {t('articles')} WHERE gen_added = %s AND doc_id = ANY(%s)",
                (gen, list(wanted)),
            ).fetchall()
        )
        rows = [i for i, c in enumerate(chunks) if c.doc_id in wanted]
        if not rows:
            return 0
        ids = [
            r[0]
            for r in conn.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                (f'"{self.schema}".chunks', len(rows)),
            )
        ]
        ids.sort()
        added_terms = 0
        postings: list[tuple[str, int, int]] = []
        with conn.cursor().copy(
            f"COPY {t('chunks')} (id, article, doc_id, chunk_id, title, section, text, "
            "start_offset, end_offset, terms, embedding, gen_added) FROM STDIN WITH (FORMAT BINARY)"
        ) as copy:
            copy.set_types(
                [
                    "int8",
                    "int8",
                    "text",
                    "text",
                    "text",
                    "text",
                    "text",
                    "int4",
                    "int4",
                    "int4",
                    "vector",
                    "int8",
                ]
            )
            for cid, i in zip(ids, rows, strict=True):
                c = chunks[i]
                tokens = terms(c.embed_text()) or [EMPTY_TERM]
                added_terms += len(tokens)
                postings.extend((term, cid, tf) for term, tf in Counter(tokens).items())
                copy.write_row(
                    (
                        cid,
                        article_ids[c.doc_id],
                        c.doc_id,
                        c.chunk_id,
                        c.title,
                        c.section,
                        c.text,
                        c.start,
                        c.end,
                        len(tokens),
                        np.asarray(vectors[i], dtype=np.float32),
                        gen,
                    )
                )
        with conn.cursor().copy(
            f"COPY {t('postings')} (term, chunk, tf) FROM STDIN WITH (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["text", "int8", "int4"])
            for row in postings:
                copy.write_row(row)
        return added_terms


class PostgresGenerationWriter:
    """A new generation of the PostgreSQL store, inserted batch by batch in one transaction.

    `begin` (the constructor) opens the transaction, takes the next generation number and reads
    the live articles' ids and manifest entries (a few fields an article, no text). Each `add`
    inserts its batch at once with COPY: articles that changed get their old rows marked
    `gen_removed = g` first, unchanged ones (same hash, title and chunk count under the same
    model and splitter) keep their rows and are not inserted again. `commit` marks the live
    articles never given as removed, checks the counts, records the generation and commits;
    nothing of it is visible before. `abort`, an exception, or the death of the process rolls
    everything back.
    """

    def __init__(self, store: PostgresStore, conn: Any, manifest: Manifest) -> None:
        """Open the write transaction (use `PostgresStore.begin_write`)."""
        self.store = store
        self.conn = conn
        self.rows = 0
        self.seen: set[str] = set()
        self._done = False
        self._tx = ExitStack()
        with store._errors():
            store._ensure_schema(conn, manifest.dim)
            self._tx.enter_context(conn.transaction())
            try:
                self._start(manifest)
            except BaseException:
                self.abort()
                raise

    def _start(self, manifest: Manifest) -> None:
        t, conn = self.store._t, self.conn
        conn.execute("SET LOCAL maintenance_work_mem = '512MB'")
        prev = conn.execute(
            f"SELECT gen, manifest, total_terms FROM {t('generations')} "
            "ORDER BY gen DESC LIMIT 1 FOR UPDATE"
        ).fetchone()
        self.gen = int(prev[0]) + 1 if prev else 1
        self.total_terms = int(prev[2]) if prev else 0
        (stored_dim,) = conn.execute(f"SELECT value FROM {t('meta')} WHERE key = 'dim'").fetchone()
        if int(stored_dim) != manifest.dim:
            self.store._set_dim(conn, manifest.dim)
            self.total_terms = 0
        self.same_model = bool(
            prev
            and prev[1]["embedding"] == manifest.embedding
            and prev[1]["splitter"] == manifest.splitter
            and int(stored_dim) == manifest.dim
        )
        self.live: dict[str, tuple[int, str, str, int]] = {
            r[0]: (int(r[1]), r[2], r[3], int(r[4]))
            for r in conn.execute(
                f"SELECT doc_id, id, hash, title, chunks FROM {t('articles')} "
                "WHERE gen_removed IS NULL"
            )
        }

    def __enter__(self) -> PostgresGenerationWriter:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if not self._done:
            self.abort()

    def _drop(self, ids: list[int]) -> None:
        """Mark live articles (by row id) and their chunks removed in this generation."""
        if not ids:
            return
        t = self.store._t
        (removed_terms,) = self.conn.execute(
            f"WITH r AS (UPDATE {t('chunks')} SET gen_removed = %s "
            "WHERE article = ANY(%s) AND gen_removed IS NULL RETURNING terms) "
            "SELECT coalesce(sum(terms), 0) FROM r",
            (self.gen, ids),
        ).fetchone()
        self.total_terms -= int(removed_terms)
        self.conn.execute(
            f"UPDATE {t('articles')} SET gen_removed = %s WHERE id = ANY(%s)", (self.gen, ids)
        )

    def add(
        self,
        articles: Sequence[Article],
        chunks: Sequence[Chunk],
        vectors: np.ndarray,
        entries: Mapping[str, DocEntry],
    ) -> None:
        """Insert a batch (articles whose live rows are unchanged are kept as they are).

        Args:
            articles: The articles.
            chunks: Their chunks in row order.
            vectors: `(len(chunks), dim)` unit vectors.
            entries: Manifest entries of the articles.
        """
        if self._done:
            raise ValueError("this generation was already committed or aborted")
        if len(chunks) != len(vectors):
            raise ValueError(f"{len(chunks)} chunks but {len(vectors)} vectors")
        new: list[Article] = []
        replaced: list[int] = []
        for article in articles:
            if article.doc_id in self.seen:
                raise ValueError(f"article {article.doc_id!r} given twice")
            self.seen.add(article.doc_id)
            entry = entries[article.doc_id]
            old = self.live.get(article.doc_id)
            if (
                self.same_model
                and old is not None
                and old[1:]
                == (
                    entry.hash,
                    entry.title,
                    entry.chunks,
                )
            ):
                continue
            new.append(article)
            if old is not None:
                replaced.append(old[0])
        with self.store._errors():
            self._drop(replaced)
            self.total_terms += self.store._insert(
                self.conn, self.gen, entries, new, chunks, vectors
            )
        self.rows += len(chunks)

    def commit(self, manifest: Manifest) -> str:
        """Remove the live articles not given, record the generation and commit.

        Args:
            manifest: Its manifest: the chunk count must be what was added, and so must its
                documents when it lists any (the generation's documents are those added).

        Returns:
            The new generation (`pg-<n>`).
        """
        if self._done:
            raise ValueError("this generation was already committed or aborted")
        if manifest.chunks != self.rows or (
            manifest.documents and set(manifest.documents) != self.seen
        ):
            raise ValueError(
                f"the manifest lists {len(manifest.documents)} articles and {manifest.chunks} "
                f"chunks, but {len(self.seen)} articles and {self.rows} chunks were added"
            )
        t, conn, gen = self.store._t, self.conn, self.gen
        with self.store._errors():
            self._drop([old[0] for doc_id, old in self.live.items() if doc_id not in self.seen])
            (visible,) = conn.execute(
                f"SELECT count(*) FROM {t('chunks')} WHERE gen_removed IS NULL"
            ).fetchone()
            if visible != self.rows:
                raise IndexCorruptError(
                    f"{self.store.location}: the write would leave {visible} chunks, not "
                    f"{self.rows}; nothing was changed; rebuild with "
                    "`akhbar index build PATH --rebuild`"
                )
            head = manifest.header_json()
            conn.execute(
                f"INSERT INTO {t('generations')} (gen, manifest, documents, chunks, total_terms) "
                "VALUES (%s, %s, %s, %s, %s)",
                (
                    gen,
                    json.dumps(head, ensure_ascii=False),
                    len(self.seen),
                    self.rows,
                    self.total_terms,
                ),
            )
            conn.execute(
                f"CREATE INDEX IF NOT EXISTS chunks_embedding_hnsw ON {t('chunks')} "
                "USING hnsw (embedding vector_cosine_ops)"
            )
            # Rows only generations older than GRACE_SECONDS can see are deleted (with cascades).
            conn.execute(
                f"""WITH cut AS (SELECT max(gen) AS gen FROM {t("generations")}
                                 WHERE created < now() - make_interval(secs => %s))
                    DELETE FROM {t("articles")} a USING cut
                    WHERE a.gen_removed IS NOT NULL AND a.gen_removed <= cut.gen""",
                (GRACE_SECONDS,),
            )
            conn.execute(
                f"""DELETE FROM {t("generations")} WHERE gen < (
                      SELECT max(gen) FROM {t("generations")}
                      WHERE created < now() - make_interval(secs => %s))""",
                (GRACE_SECONDS,),
            )
            self._done = True
            self._tx.close()  # COMMIT
            if gen == 1:
                conn.execute(f"ANALYZE {t('chunks')}")
                conn.execute(f"ANALYZE {t('postings')}")
        log.info("index written: %s generation %d (%d chunks)", self.store.location, gen, self.rows)
        return f"pg-{gen}"

    def abort(self) -> None:
        """Roll the transaction back; the live index is unchanged (idempotent)."""
        if self._done:
            return
        self._done = True
        psycopg = _psycopg()
        try:
            self._tx.__exit__(psycopg.Rollback, psycopg.Rollback(), None)
        except psycopg.Error as exc:
            # A broken connection: the server rolls the transaction back by itself.
            log.warning("rolling back the index write failed: %s", _first_line(exc))


def _visible(param: str) -> str:
    """SQL condition: the row is part of the generation bound twice as `param`."""
    return f"gen_added <= {param} AND (gen_removed IS NULL OR gen_removed > {param})"


class PostgresSnapshot:
    """One generation of a PostgreSQL index; rows are fetched when needed and cached."""

    def __init__(
        self, store: PostgresStore, gen: int, manifest: Manifest, ids: np.ndarray, total_terms: int
    ) -> None:
        """Pin a generation (use `PostgresStore.open`)."""
        self.store = store
        self.gen = gen
        self.manifest = manifest
        self.ids = ids
        self.total_terms = total_terms
        self._cache: dict[int, dict[str, Any]] = {}
        self._vectors: np.ndarray | None = None
        self.chunks = _Chunks(self)
        self.docs = _Docs(self)
        self.lexical = _Lexical(self)

    @property
    def generation(self) -> str:
        """`pg-<n>`."""
        return f"pg-{self.gen}"

    def __len__(self) -> int:
        return len(self.ids)

    def _t(self, table: str) -> str:
        return self.store._t(table)

    def _remember(self, rows: list[Any]) -> None:
        if len(self._cache) > _CACHE_ROWS:
            self._cache.clear()
        for r in rows:
            self._cache[int(r[0])] = _chunk_row(r)

    def _rows_of(self, ids: Sequence[int]) -> list[int]:
        pos = np.searchsorted(self.ids, np.asarray(ids, dtype=np.int64))
        out = []
        for p, i in zip(pos.tolist(), ids, strict=True):
            if p >= len(self.ids) or self.ids[p] != i:
                raise IndexCorruptError(f"chunk {i} is not part of generation {self.gen}")
            out.append(int(p))
        return out

    def prefetch(self, ids: Sequence[int]) -> None:
        """Load chunk rows not cached yet in one query."""
        missing = [int(i) for i in ids if int(i) not in self._cache]
        if missing:
            self._remember(
                self.store._query(
                    f"SELECT {_CHUNK_COLS} FROM {self._t('chunks')} WHERE id = ANY(%s)",
                    (missing,),
                )
            )

    def chunk_by_id(self, cid: int) -> dict[str, Any]:
        """One chunk record by its database id."""
        if cid not in self._cache:
            self.prefetch([cid])
        try:
            return self._cache[cid]
        except KeyError:
            raise IndexCorruptError(
                f"chunk {cid} of generation {self.gen} is gone from {self.store.location}; "
                "search again"
            ) from None

    def dense_search(self, query_vector: np.ndarray, k: int) -> list[tuple[int, float]]:
        """Nearest chunks by cosine similarity: exact under `flat`, pgvector HNSW under `hnsw`.

        Args:
            query_vector: A unit vector of the index's dimension.
            k: How many.

        Returns:
            `(row, score)` pairs, best first.
        """
        if not len(self.ids):
            return []
        vec = "[" + ",".join(f"{float(x):.9g}" for x in np.ravel(query_vector)) + "]"
        # `+ 0` keeps the planner off the HNSW index: an exact scan, as FAISS's flat index.
        exact = "" if self.manifest.index_type == "hnsw" else " + 0"
        # Rank on ids and distances alone, then read the k winners' text.
        rows = self.store._query(
            f"""WITH top AS (
                    SELECT id, embedding <=> %s::vector AS d
                    FROM {self._t("chunks")} WHERE {_visible("%s")}
                    ORDER BY (embedding <=> %s::vector){exact} LIMIT %s)
                SELECT {", ".join("c." + col for col in _CHUNK_COLS.split(", "))}, top.d
                FROM top JOIN {self._t("chunks")} c ON c.id = top.id
                ORDER BY top.d, c.id""",
            (vec, self.gen, self.gen, vec, min(k, len(self.ids))),
        )
        self._remember(rows)
        positions = self._rows_of([r[0] for r in rows])
        return [(p, 1.0 - float(r[-1])) for p, r in zip(positions, rows, strict=True)]

    def vectors(self) -> np.ndarray:
        """All vectors in row order (binary transfer: 4 bytes a dimension)."""
        dim = self.manifest.dim
        if not len(self.ids):
            return np.zeros((0, dim), dtype=np.float32)
        out = np.empty((len(self.ids), dim), dtype=np.float32)
        conn = self.store._connect()
        try:
            with self.store._errors():
                from pgvector.psycopg import register_vector

                register_vector(conn)
                with conn.cursor(binary=True) as cur:
                    cur.execute(
                        f"SELECT embedding FROM {self._t('chunks')} "
                        f"WHERE {_visible('%s')} ORDER BY id",
                        (self.gen, self.gen),
                    )
                    n = 0
                    for (vec,) in cur:
                        out[n] = vec.to_numpy() if hasattr(vec, "to_numpy") else vec
                        n += 1
        finally:
            conn.close()
        if n != len(self.ids):
            raise IndexCorruptError(
                f"generation {self.gen}: {n} vectors for {len(self.ids)} chunks"
            )
        return out

    def vectors_at(self, rows: Sequence[int]) -> np.ndarray:
        """Vectors of some rows (all vectors are read once, on the first call, and kept)."""
        if self._vectors is None:
            self._vectors = self.vectors()
        return self._vectors[list(rows)]

    def doc_rows(self) -> dict[str, list[int]]:
        """Rows of each article's chunks."""
        rows: dict[str, list[int]] = {}
        for i, (doc_id,) in enumerate(
            self.store._query(
                f"SELECT doc_id FROM {self._t('chunks')} WHERE {_visible('%s')} ORDER BY id",
                (self.gen, self.gen),
            )
        ):
            rows.setdefault(doc_id, []).append(i)
        return rows


class _Chunks(Sequence[dict[str, Any]]):
    """The snapshot's chunks by row, read on demand."""

    def __init__(self, snap: PostgresSnapshot) -> None:
        self.snap = snap

    def __len__(self) -> int:
        return len(self.snap.ids)

    @overload
    def __getitem__(self, row: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, row: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, row: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(row, slice):
            ids = [int(i) for i in self.snap.ids[row]]
            self.snap.prefetch(ids)
            return [self.snap.chunk_by_id(i) for i in ids]
        return self.snap.chunk_by_id(int(self.snap.ids[row]))

    def __iter__(self) -> Iterator[dict[str, Any]]:
        snap = self.snap
        for r in snap.store._query(
            f"SELECT {_CHUNK_COLS} FROM {snap._t('chunks')} WHERE {_visible('%s')} ORDER BY id",
            (snap.gen, snap.gen),
        ):
            yield _chunk_row(r)


class _Docs(Mapping[str, dict[str, Any]]):
    """The snapshot's articles by id, read on demand (iterating loads them all)."""

    def __init__(self, snap: PostgresSnapshot) -> None:
        self.snap = snap
        self._one: dict[str, dict[str, Any]] = {}
        self._all: dict[str, dict[str, Any]] | None = None

    def __getitem__(self, doc_id: str) -> dict[str, Any]:
        if self._all is not None:
            return self._all[doc_id]
        if doc_id not in self._one:
            snap = self.snap
            rows = snap.store._query(
                f"SELECT {_DOC_COLS} FROM {snap._t('articles')} "
                f"WHERE doc_id = %s AND {_visible('%s')}",
                (doc_id, snap.gen, snap.gen),
            )
            if not rows:
                raise KeyError(doc_id)
            if len(self._one) > 1000:
                self._one.clear()
            self._one[doc_id] = _doc_row(rows[0])
        return self._one[doc_id]

    def _load(self) -> dict[str, dict[str, Any]]:
        if self._all is None:
            snap = self.snap
            rows = snap.store._query(
                f"SELECT {_DOC_COLS} FROM {snap._t('articles')} WHERE {_visible('%s')} ORDER BY id",
                (snap.gen, snap.gen),
            )
            self._all = {r[0]: _doc_row(r) for r in rows}
        return self._all

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self.snap.manifest.documents)


class _Documents(Mapping[str, DocEntry]):
    """A generation's manifest entries by article id, read on demand."""

    def __init__(self, store: PostgresStore, gen: int, count: int) -> None:
        self.store = store
        self.gen = gen
        self.count = count
        self._all: dict[str, DocEntry] | None = None

    def _sql(self, where: str = "") -> str:
        return (
            f"SELECT doc_id, hash, title, source, chunks FROM {self.store._t('articles')} "
            f"WHERE {_visible('%s')}{where} ORDER BY id"
        )

    def __getitem__(self, doc_id: str) -> DocEntry:
        if self._all is not None:
            return self._all[doc_id]
        rows = self.store._query(self._sql(" AND doc_id = %s"), (self.gen, self.gen, doc_id))
        if not rows:
            raise KeyError(doc_id)
        _, hash_, title, source, chunks = rows[0]
        return DocEntry(hash=hash_, title=title, source=source, chunks=chunks)

    def _load(self) -> dict[str, DocEntry]:
        if self._all is None:
            self._all = {
                r[0]: DocEntry(hash=r[1], title=r[2], source=r[3], chunks=r[4])
                for r in self.store._query(self._sql(), (self.gen, self.gen))
            }
        return self._all

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return self.count


class _Lexical:
    """BM25 (bm25s's Lucene variant, same constants) over the stored terms of a generation."""

    def __init__(self, snap: PostgresSnapshot) -> None:
        self.snap = snap
        self._idf: dict[str, float] = {}

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        """Top rows for a query.

        Args:
            query: The question.
            k: How many.

        Returns:
            `(row, score)` pairs, best first, only rows with a positive score.
        """
        snap = self.snap
        tokens = terms(query)
        n = len(snap.ids)
        if not tokens or not n:
            return []
        avgdl = snap.total_terms / n
        # Each query token counts once per occurrence, as in bm25s.get_scores.
        rows = snap.store._query(
            f"""WITH q AS (SELECT term, count(*) AS qtf FROM unnest(%(terms)s::text[]) AS term
                           GROUP BY term),
                p AS (SELECT p.term, p.chunk, p.tf, c.terms AS dl
                      FROM {snap._t("postings")} p JOIN {snap._t("chunks")} c ON c.id = p.chunk
                      WHERE p.term = ANY(%(terms)s)
                        AND c.gen_added <= %(g)s
                        AND (c.gen_removed IS NULL OR c.gen_removed > %(g)s)),
                df AS (SELECT term, count(*)::float8 AS df FROM p GROUP BY term)
            SELECT p.chunk, sum(q.qtf * ln(1 + (%(n)s - df.df + 0.5) / (df.df + 0.5))
                       * p.tf / (p.tf + %(k1)s * (1 - %(b)s + %(b)s * p.dl / %(avgdl)s))) AS s
            FROM p JOIN df USING (term) JOIN q USING (term)
            GROUP BY p.chunk ORDER BY s DESC, p.chunk LIMIT %(k)s""",
            {
                "terms": tokens,
                "g": snap.gen,
                "n": float(n),
                "k1": BM25_K1,
                "b": BM25_B,
                "avgdl": float(avgdl),
                "k": int(k),
            },
        )
        rows = [r for r in rows if r[1] > 0]
        snap.prefetch([r[0] for r in rows])
        positions = snap._rows_of([r[0] for r in rows])
        return [(p, float(r[1])) for p, r in zip(positions, rows, strict=True)]

    def idf(self, term: str) -> float:
        """Inverse document frequency of a stemmed term, as `index.lexical.LexicalIndex.idf`.

        Args:
            term: A term as produced by `index.arabic.terms`.

        Returns:
            `log(1 + (N - df + 0.5) / (df + 0.5))`.
        """
        if term not in self._idf:
            snap = self.snap
            (row,) = snap.store._query(
                f"""SELECT count(*) FROM {snap._t("postings")} p
                    JOIN {snap._t("chunks")} c ON c.id = p.chunk
                    WHERE p.term = %s AND {_visible("%s")}""",
                (term, snap.gen, snap.gen),
            )
            n = max(len(snap.ids), 1)
            df = int(row[0])
            if len(self._idf) > 50_000:
                self._idf.clear()
            self._idf[term] = float(np.log(1.0 + (n - df + 0.5) / (df + 0.5)))
        return self._idf[term]
