"""File helpers shared by the index, the model converter and the LLM file: sha256, atomic writes."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

log = logging.getLogger(__name__)

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


def _stat_key(path: Path) -> list[int]:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns, st.st_ino]


def first_altered_file(
    folder: Path, files: dict[str, str], memo: Path | None = None
) -> tuple[str, str] | None:
    """Check files against their recorded sha256, remembering a passed check in `memo`.

    A full check records each file's size, mtime and inode in `memo`; a later check whose files
    all still show the same ones skips re-hashing them (hashing hundreds of MB of weights costs
    about a second: too much for every one-shot question).

    Args:
        folder: Where the files are.
        files: Relative path -> expected sha256.
        memo: Optional JSON file remembering the last full check.

    Returns:
        None when every file matches, else the first bad file and what is wrong with it.
    """
    stats: dict[str, list[int]] = {}
    for name in sorted(files):
        target = folder / name
        if not target.is_file():
            return name, "is missing"
        stats[name] = _stat_key(target)
    remembered: Any = None
    if memo is not None:
        try:
            remembered = json.loads(memo.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            remembered = None
    if remembered == {"files": files, "stats": stats}:
        return None
    for name, expected in sorted(files.items()):
        if sha256_file(folder / name) != expected:
            return name, "does not match its recorded sha256"
    if memo is not None:
        try:
            with atomic_write(memo, "w", encoding="utf-8") as fh:
                json.dump({"files": files, "stats": stats}, fh)
        except OSError as exc:  # only a speed-up is lost
            log.warning("cannot remember the file check in %s: %s", memo, exc)
    return None
