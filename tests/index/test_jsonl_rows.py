from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from index.store import IndexCorruptError
from index.stores.faiss_store import _read_jsonl
from index.stores.jsonl_rows import OFFSETS_SUFFIX, JsonlRows, OffsetsWriter, read_offsets

from ..conftest import SEEDS

ROWS = [
    {"id": 0, "text": "أعلنت وزارة الزراعة عن موسم الحصاد"},
    {"id": 1, "text": "Mixed نص with English and «علامات»\nعلى سطرين"},
    {"id": 2, "text": ""},
]


def written(tmp_path: Path, batches: list[list[dict[str, Any]]]) -> Path:
    path = tmp_path / "rows.jsonl"
    writer = OffsetsWriter(path)
    for batch in batches:
        writer.write(batch)
    writer.finish()
    return path


def test_rows_read_back_one_at_a_time(tmp_path: Path) -> None:
    path = written(tmp_path, [ROWS[:2], [], ROWS[2:]])
    offsets = read_offsets(path, len(ROWS))
    assert offsets is not None
    rows = JsonlRows(path, offsets)
    assert len(rows) == 3
    assert rows[1] == ROWS[1] and rows[-1] == ROWS[2] and rows[0:2] == ROWS[:2]
    assert list(rows) == ROWS == _read_jsonl(path)
    with pytest.raises(IndexError):
        rows[3]


def test_empty_file(tmp_path: Path) -> None:
    path = written(tmp_path, [])
    offsets = read_offsets(path, 0)
    assert offsets is not None and list(JsonlRows(path, offsets)) == []


def test_offsets_that_do_not_describe_the_file_are_not_used(tmp_path: Path) -> None:
    path = written(tmp_path, [ROWS])
    assert read_offsets(path, 2) is None  # another row count
    path.write_text(path.read_text(encoding="utf-8") + "{}\n", encoding="utf-8")
    assert read_offsets(path, 3) is None  # the file changed after it was written
    Path(str(path) + OFFSETS_SUFFIX).unlink()
    assert read_offsets(path, 4) is None  # no offsets: an older generation


def test_a_damaged_row_is_a_clear_error_when_read(tmp_path: Path) -> None:
    path = written(tmp_path, [ROWS])
    data = path.read_bytes()
    path.write_bytes(data.replace(b'"id": 1', b'"id"; 1'))  # same length, broken JSON
    offsets = read_offsets(path, 3)
    assert offsets is not None
    rows = JsonlRows(path, offsets)
    assert rows[0] == ROWS[0]
    with pytest.raises(IndexCorruptError, match=r"row 1 .*rebuild"):
        rows[1]


def test_a_built_index_reads_the_same_rows_lazily_or_whole(fake_app: Any, tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    shutil.copytree(SEEDS, folder)
    fake_app.build([folder])
    gen = fake_app.store.current_path()
    lazy = fake_app.store.open()
    assert isinstance(lazy.chunks, JsonlRows)
    whole_chunks = _read_jsonl(gen / "chunks.jsonl")
    whole_docs = {d["doc_id"]: d for d in _read_jsonl(gen / "docs.jsonl")}
    assert list(lazy.chunks) == whole_chunks
    assert dict(lazy.docs) == whole_docs and set(lazy.docs) == set(lazy.manifest.documents)
    hits = fake_app.search("وزير الدفاع الإيطالي كروسيتو", k=3)
    assert hits[0].doc_id == "004_b11fdc9a7b87af75.txt"

    # A generation written before the offsets were recorded opens as before.
    for name in ("chunks.jsonl", "docs.jsonl"):
        Path(str(gen / name) + OFFSETS_SUFFIX).unlink()
    whole = fake_app.store.open()
    assert isinstance(whole.chunks, list) and whole.chunks == whole_chunks
    assert whole.docs == whole_docs
    assert fake_app.verify()["documents"] == 2


def test_articles_out_of_the_manifest_order_are_caught(fake_app: Any, tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    shutil.copytree(SEEDS, folder)
    fake_app.build([folder])
    gen = fake_app.store.current_path()
    manifest = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
    manifest["documents"] = dict(reversed(list(manifest["documents"].items())))
    (gen / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), "utf-8")
    docs = fake_app.store.open().docs
    with pytest.raises(IndexCorruptError, match="rebuild"):
        docs[next(iter(docs))]
