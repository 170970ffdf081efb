"""Rows of a JSON-lines file read on demand: byte offsets in a side file, the file memory-mapped.

A FAISS-store generation keeps its chunks and articles in `chunks.jsonl` and `docs.jsonl`.
Parsing them whole costs seconds and hundreds of MB at tens of thousands of articles, while a
question reads a few dozen rows. The writer therefore records where each line starts
(`<name>.offsets`: little-endian int64, one per row and then the file's length), and a reader
memory-maps the file and parses a row only when it is asked for.
"""

from __future__ import annotations

import json
import logging
import mmap
import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO, overload

import numpy as np

from index.errors import IndexCorruptError

__all__ = ["OFFSETS_SUFFIX", "JsonlDocs", "JsonlRows", "OffsetsWriter", "read_offsets"]

OFFSETS_SUFFIX = ".offsets"
log = logging.getLogger(__name__)
_FIX = "rebuild it with `akhbar index build PATH --rebuild`"


class OffsetsWriter:
    """Writes JSON lines to a file and where each starts to `<file>.offsets`, as they come."""

    def __init__(self, path: Path) -> None:
        """Create (truncate) the file and its offsets file.

        Args:
            path: The JSON-lines file.
        """
        self.path = path
        self.pos = 0
        self._fh: BinaryIO = path.open("wb")
        side = Path(str(path) + OFFSETS_SUFFIX)
        self._offsets: BinaryIO = side.open("wb")

    def write(self, rows: Sequence[dict[str, Any]]) -> None:
        """Append rows, one JSON line each."""
        starts = np.empty(len(rows), dtype="<i8")
        for i, row in enumerate(rows):
            data = (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")
            starts[i] = self.pos
            self._fh.write(data)
            self.pos += len(data)
        self._offsets.write(starts.tobytes())

    def finish(self) -> None:
        """Record the end of the last row and flush both files to disk."""
        if self._offsets.closed:
            return
        self._offsets.write(np.asarray([self.pos], dtype="<i8").tobytes())
        self.close(sync=True)

    def close(self, sync: bool = False) -> None:
        """Close both files (flushed to disk with `sync`)."""
        for fh in (self._fh, self._offsets):
            if not fh.closed:
                if sync:
                    fh.flush()
                    os.fsync(fh.fileno())
                fh.close()


def read_offsets(path: Path, rows: int) -> np.ndarray | None:
    """The offsets of a JSON-lines file, if they describe it.

    Args:
        path: The JSON-lines file.
        rows: How many rows it must hold.

    Returns:
        `rows + 1` offsets; None when there is no offsets file (a generation written before
        they were recorded) or it does not describe the file (the file was changed after it
        was written): then the file must be read whole, which finds what is wrong with it.
    """
    side = Path(str(path) + OFFSETS_SUFFIX)
    try:
        offsets = np.fromfile(side, dtype="<i8")
        size = path.stat().st_size
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("%s is unreadable (%s); reading %s whole", side, exc, path.name)
        return None
    if (
        len(offsets) != rows + 1
        or offsets[0] != 0
        or offsets[-1] != size
        or (rows and not bool(np.all(np.diff(offsets) > 0)))
    ):
        log.info(
            "%s does not match its offsets (%d rows recorded, %d expected, file of %d bytes); "
            "reading it whole",
            path,
            len(offsets) - 1,
            rows,
            size,
        )
        return None
    return offsets


class JsonlRows(Sequence[dict[str, Any]]):
    """A JSON-lines file as a read-only sequence of dicts, each parsed when it is read."""

    def __init__(self, path: Path, offsets: np.ndarray) -> None:
        """Map the file (no row is read yet).

        Args:
            path: The JSON-lines file.
            offsets: Its `read_offsets`.
        """
        self.path = path
        self._offsets = offsets
        self._map: mmap.mmap | None = None
        if offsets[-1] > 0:
            with path.open("rb") as fh:
                self._map = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)

    def __len__(self) -> int:
        return len(self._offsets) - 1

    @overload
    def __getitem__(self, i: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, i: slice) -> list[dict[str, Any]]: ...

    def __getitem__(self, i: int | slice) -> dict[str, Any] | list[dict[str, Any]]:
        if isinstance(i, slice):
            return [self._row(j) for j in range(*i.indices(len(self)))]
        n = len(self)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError(f"row {i} of {n}")
        return self._row(i)

    def __iter__(self) -> Iterator[dict[str, Any]]:
        for i in range(len(self)):
            yield self._row(i)

    def _row(self, i: int) -> dict[str, Any]:
        assert self._map is not None
        start, end = int(self._offsets[i]), int(self._offsets[i + 1])
        try:
            row = json.loads(self._map[start:end])
        except ValueError as exc:
            raise IndexCorruptError(f"{self.path}: row {i} is damaged ({exc}); {_FIX}") from exc
        if not isinstance(row, dict):
            raise IndexCorruptError(f"{self.path}: row {i} is not an object; {_FIX}")
        return row


class JsonlDocs(Mapping[str, dict[str, Any]]):
    """Article rows by id, read on demand: the ids are given in the file's row order."""

    def __init__(self, rows: JsonlRows, ids: Sequence[str]) -> None:
        """Index the rows by id.

        Args:
            rows: The articles' rows.
            ids: Their ids, in row order (the manifest lists them so).

        Raises:
            IndexCorruptError: Not one id a row.
        """
        if len(ids) != len(rows):
            raise IndexCorruptError(
                f"{rows.path} holds {len(rows)} articles, the manifest {len(ids)}; {_FIX}"
            )
        self.rows = rows
        self._row_of = {doc_id: i for i, doc_id in enumerate(ids)}

    def __getitem__(self, doc_id: str) -> dict[str, Any]:
        row = self.rows[self._row_of[doc_id]]
        if row.get("doc_id") != doc_id:
            raise IndexCorruptError(
                f"{self.rows.path}: the row of {doc_id!r} holds {row.get('doc_id')!r}; {_FIX}"
            )
        return row

    def __iter__(self) -> Iterator[str]:
        return iter(self._row_of)

    def __len__(self) -> int:
        return len(self._row_of)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._row_of
