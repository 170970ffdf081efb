"""A resumable embedding cache beside the index: vectors keyed by (model identity, chunk text).

A build writes each batch of vectors here as soon as it is computed (SQLite, WAL, one
transaction a batch), so a build that is interrupted (Ctrl-C, SIGKILL, power loss) and started
again embeds only what is missing. The live index is not touched by this file: it still
changes all at once when the build commits. The backend that computed a vector is not part of
the key: every backend gives the fp32 model's vectors up to rounding.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

CACHE_NAME = "embed-cache.sqlite"


def model_key(identity: dict[str, Any]) -> str:
    """A stable string for a model identity (what an index manifest records).

    Args:
        identity: `Embedder.describe()`.

    Returns:
        Its canonical JSON.
    """
    return json.dumps(identity, sort_keys=True, ensure_ascii=False)


class EmbeddingCache:
    """Vectors by hash of (model identity, text); safe to lose, never trusted across models."""

    def __init__(self, path: Path, identity: dict[str, Any], dim: int) -> None:
        """Open (or create) the cache file.

        Args:
            path: The SQLite file.
            identity: The model identity (part of every key).
            dim: Vector dimension (rows of another size are ignored).
        """
        self.path = Path(path)
        self.dim = dim
        self._prefix = (model_key(identity) + "\x00").encode()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(self.path), timeout=30, check_same_thread=False)
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS vectors (key BLOB PRIMARY KEY, vec BLOB NOT NULL)"
            )
            self._db.commit()
        except sqlite3.DatabaseError as exc:  # a damaged cache is only lost work
            log.warning("embedding cache %s unreadable (%s); starting a new one", path, exc)
            self._db.close()
            self.path.unlink(missing_ok=True)
            self._db = sqlite3.connect(str(self.path), timeout=30, check_same_thread=False)
            self._db.execute("CREATE TABLE vectors (key BLOB PRIMARY KEY, vec BLOB NOT NULL)")
            self._db.commit()

    def key(self, text: str) -> bytes:
        """The cache key of a text under this model.

        Args:
            text: The exact text that is embedded (prompt excluded; the identity holds it).

        Returns:
            20 bytes of SHA-256.
        """
        return hashlib.sha256(self._prefix + text.encode()).digest()[:20]

    def get_many(self, texts: Sequence[str]) -> list[np.ndarray | None]:
        """Cached vectors of texts, None where missing.

        Args:
            texts: Texts.

        Returns:
            One entry per text.
        """
        keys = [self.key(t) for t in texts]
        found: dict[bytes, np.ndarray] = {}
        for i in range(0, len(keys), 500):
            part = keys[i : i + 500]
            rows = self._db.execute(
                f"SELECT key, vec FROM vectors WHERE key IN ({','.join('?' * len(part))})", part
            ).fetchall()
            for key, blob in rows:
                vec = np.frombuffer(blob, dtype=np.float32)
                if vec.shape == (self.dim,):
                    found[bytes(key)] = vec
        return [found.get(k) for k in keys]

    def put_many(self, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Store vectors (one transaction, durable when this returns).

        Args:
            texts: Texts.
            vectors: `(len(texts), dim)` float32.
        """
        rows = [
            (self.key(t), np.ascontiguousarray(v, dtype=np.float32).tobytes())
            for t, v in zip(texts, vectors, strict=True)
        ]
        with self._db:
            self._db.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)

    def __len__(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0])

    def close(self) -> None:
        """Close the file."""
        self._db.close()

    def remove(self) -> None:
        """Close and delete the cache (after the index it fed has been committed)."""
        self.close()
        for suffix in ("", "-wal", "-shm"):
            Path(str(self.path) + suffix).unlink(missing_ok=True)
