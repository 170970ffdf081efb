from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from index.files import atomic_write, sha256_file


def test_sha256_file_matches_hashlib(tmp_path: Path) -> None:
    data = bytes(range(256)) * 50_000  # more than one read block
    path = tmp_path / "blob"
    path.write_bytes(data)
    assert sha256_file(path) == hashlib.sha256(data).hexdigest()


def test_atomic_write_replaces_whole_or_not_at_all(tmp_path: Path) -> None:
    dest = tmp_path / "CURRENT"
    with atomic_write(dest, "w", encoding="utf-8") as fh:
        fh.write("gen-1")
    assert dest.read_text() == "gen-1"
    with pytest.raises(RuntimeError), atomic_write(dest, "w", encoding="utf-8") as fh:
        fh.write("gen-2 half")
        raise RuntimeError("crash mid-write")
    assert dest.read_text() == "gen-1"
    assert [p.name for p in tmp_path.iterdir()] == ["CURRENT"]  # no temporary file left
    assert dest.stat().st_mode & 0o777 == 0o644
