"""What every index store shares: the manifest of an index generation (errors: `index.errors`)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from index.errors import (
    IndexBusyError,
    IndexCorruptError,
    IndexMismatchError,
    IndexMissingError,
    IndexStoreError,
    StoreConnectionError,
    StoreSetupError,
)

__all__ = [
    "FORMAT_VERSION",
    "HNSW_THRESHOLD",
    "DocEntry",
    "IndexBusyError",
    "IndexCorruptError",
    "IndexMismatchError",
    "IndexMissingError",
    "IndexStoreError",
    "Manifest",
    "StoreConnectionError",
    "StoreSetupError",
    "choose_index_type",
]

FORMAT_VERSION = 1
HNSW_THRESHOLD = 200_000


@dataclass
class DocEntry:
    """What the manifest records of one article."""

    hash: str
    title: str
    source: str
    chunks: int


@dataclass
class Manifest:
    """Description of an index generation."""

    embedding: dict[str, Any]
    dim: int
    splitter: dict[str, Any]
    index_type: str
    documents: Mapping[str, DocEntry] = field(default_factory=dict)
    chunks: int = 0
    format_version: int = FORMAT_VERSION
    created: float = field(default_factory=time.time)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON form."""
        return asdict(self)

    def header_json(self) -> dict[str, Any]:
        """Plain JSON form without the documents (which may be far bigger than the rest)."""
        return {k: v for k, v in self.__dict__.items() if k != "documents"}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest:
        """Parse, checking the format version.

        Args:
            data: Parsed manifest.json.

        Returns:
            The manifest.

        Raises:
            IndexMismatchError: Made by a newer akhbar.
        """
        version = int(data.get("format_version", 0))
        if version != FORMAT_VERSION:
            raise IndexMismatchError(
                f"index format {version} is not the format {FORMAT_VERSION} this akhbar reads; "
                "rebuild it with `akhbar index build PATH --rebuild` (or upgrade akhbar)"
            )
        docs = {k: DocEntry(**v) for k, v in data.get("documents", {}).items()}
        return cls(
            embedding=data["embedding"],
            dim=int(data["dim"]),
            splitter=data["splitter"],
            index_type=data["index_type"],
            documents=docs,
            chunks=int(data["chunks"]),
            format_version=version,
            created=float(data.get("created", 0)),
        )


def choose_index_type(requested: str, rows: int) -> str:
    """Exact search for small corpora, HNSW for large ones under `auto`.

    Args:
        requested: `auto`, `flat` or `hnsw`.
        rows: Number of vectors.

    Returns:
        `flat` or `hnsw`.
    """
    if requested != "auto":
        return requested
    return "hnsw" if rows >= HNSW_THRESHOLD else "flat"


def __getattr__(name: str) -> Any:
    """Keep `from index.store import IndexStore` working: the FAISS store moved to `index.stores`."""
    if name in ("IndexStore", "Snapshot", "make_faiss_index"):
        from index.stores import faiss_store

        return getattr(faiss_store, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
