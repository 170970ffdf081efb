"""File helpers shared by the index, the model converter and the LLM file: sha256, atomic writes."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

_BLOCK = 8 << 20


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in blocks.

    Args:
        path: The file.

    Returns:
        64 hex digits.
    """
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        while block := fh.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def fsync_dir(path: Path) -> None:
    """Flush a folder's entries (new and renamed files) to disk; a no-op where unsupported."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_write(
    dest: Path, mode: str = "wb", prefix: str = ".tmp-", **open_args: Any
) -> Iterator[IO[Any]]:
    """Write `dest` all at once: a temporary file beside it, flushed to disk, then renamed.

    Readers see the old file or the new one, never a part. If the block raises, the
    temporary file is removed and `dest` is left as it was.

    Args:
        dest: The file to write.
        mode: `open` mode (`wb` or `w`).
        prefix: Name prefix of the temporary file (in `dest`'s folder).
        **open_args: Passed to `open` (e.g. `encoding`).

    Yields:
        The open temporary file.
    """
    dest = Path(dest)
    fd, name = tempfile.mkstemp(prefix=prefix, dir=dest.parent)
    tmp = Path(name)
    try:
        with os.fdopen(fd, mode, **open_args) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        tmp.chmod(0o644)
        os.replace(tmp, dest)
        fsync_dir(dest.parent)
    finally:
        tmp.unlink(missing_ok=True)
