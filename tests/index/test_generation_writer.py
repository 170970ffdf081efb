"""The streaming generation writer: all-or-nothing commits, same index as a one-shot write, and
an indexer that does not keep the archive in memory while it streams."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index.config import SplitterSettings
from index.indexer import Indexer
from index.lexical import LexicalIndex
from index.reader import Article, iter_paths
from index.splitter import Splitter
from index.store import DocEntry, IndexStore, Manifest
from index.stores import faiss_store

from ..conftest import CrashingEmbeddings, FakeEmbeddings
from .test_resume import WORDS, write_articles

SPLIT = SplitterSettings(chunk_tokens=40)


def indexer(root: Path, emb: Any | None = None, **kw: Any) -> Indexer:
    return Indexer(IndexStore(root), emb or FakeEmbeddings(), SPLIT, **kw)


def split_and_embed(src: Path) -> tuple[list[Article], list[Any], np.ndarray, dict[str, DocEntry]]:
    """The whole archive read, split and embedded at once (the reference for streamed builds)."""
    emb = FakeEmbeddings()
    splitter = Splitter(emb.count_tokens, SPLIT)
    articles: list[Article] = [a for a in iter_paths([src]) if isinstance(a, Article)]
    chunks: list[Any] = []
    entries: dict[str, DocEntry] = {}
    for a in articles:
        cs, title = splitter.split(a)
        chunks += cs
        entries[a.doc_id] = DocEntry(a.content_hash, title, a.source, len(cs))
    vectors = emb.encode_passages([c.embed_text() for c in chunks])
    return articles, chunks, vectors, entries


def manifest_of(entries: dict[str, DocEntry], rows: int) -> Manifest:
    emb = FakeEmbeddings()
    return Manifest(
        embedding=emb.describe(),
        dim=emb.dim,
        splitter=SPLIT.model_dump(),
        index_type="flat",
        documents=entries,
        chunks=rows,
    )


def temporary_folders(root: Path) -> list[str]:
    return [p.name for p in root.iterdir() if p.name.startswith(".tmp-")]


def test_abort_and_exceptions_leave_the_old_generation_live(tmp_path: Path) -> None:
    root = tmp_path / "index"
    indexer(root).build([write_articles(tmp_path / "old.jsonl", 3, start=500)])
    store = IndexStore(root)
    live = store.generation()
    articles, chunks, vectors, entries = split_and_embed(write_articles(tmp_path / "n.jsonl", 5))

    with store.lock():
        writer = store.begin_write(manifest_of({}, 0))
        writer.add(articles[:2], chunks[:0], vectors[:0], entries)
        assert store.generation() == live and len(store.open().docs) == 3
        writer.abort()
        writer.abort()  # twice is harmless
    assert store.generation() == live and temporary_folders(root) == []

    with (
        pytest.raises(RuntimeError, match="boom"),
        store.lock(),
        store.begin_write(manifest_of({}, 0)) as w,
    ):
        w.add(articles, chunks, vectors, entries)
        raise RuntimeError("boom")
    assert store.generation() == live and temporary_folders(root) == []
    assert sorted(store.open().docs) == ["a0500", "a0501", "a0502"]


def test_commit_swaps_everything_at_once(tmp_path: Path) -> None:
    root = tmp_path / "index"
    indexer(root).build([write_articles(tmp_path / "old.jsonl", 3, start=500)])
    store = IndexStore(root)
    live = store.generation()
    articles, chunks, vectors, entries = split_and_embed(write_articles(tmp_path / "n.jsonl", 5))
    per_doc = [sum(1 for c in chunks if c.doc_id == a.doc_id) for a in articles]
    with store.lock(), store.begin_write(manifest_of({}, 0)) as writer:
        row = 0
        for a, n in zip(articles, per_doc, strict=True):  # one article a batch
            writer.add([a], chunks[row : row + n], vectors[row : row + n], entries)
            row += n
            assert store.generation() == live
        with pytest.raises(ValueError, match="5 articles and"):
            writer.commit(manifest_of(dict(list(entries.items())[:4]), len(chunks)))
        # A refused commit leaves the writer usable; the right manifest goes through.
        writer.commit(manifest_of(entries, len(chunks)))
    snap = store.open()
    assert snap.generation != live and temporary_folders(root) == []
    assert sorted(snap.docs) == sorted(entries)
    assert [c["chunk_id"] for c in snap.chunks] == [c.chunk_id for c in chunks]
    np.testing.assert_allclose(snap.vectors(), vectors, atol=1e-6)


def test_embedder_failing_half_way_keeps_the_old_index(tmp_path: Path) -> None:
    root = tmp_path / "index"
    indexer(root).build([write_articles(tmp_path / "old.jsonl", 3, start=500)])
    store = IndexStore(root)
    live = store.generation()
    crashing = CrashingEmbeddings(crash_at=4)
    with pytest.raises(RuntimeError, match="crashed"):
        indexer(root, crashing, embed_buffer=8).build([write_articles(tmp_path / "big.jsonl", 40)])
    assert crashing.calls == 4  # batches were written to the new generation before the crash
    assert store.generation() == live and temporary_folders(root) == []
    snap = store.open()
    assert sorted(snap.docs) == ["a0500", "a0501", "a0502"] and len(snap.chunks) > 3


def test_streamed_build_is_the_index_a_one_shot_write_makes(tmp_path: Path) -> None:
    src = write_articles(tmp_path / "a.jsonl", 30)
    summary = indexer(tmp_path / "index", embed_buffer=8).build([src])
    streamed = IndexStore(tmp_path / "index").open()
    articles, chunks, vectors, entries = split_and_embed(src)
    assert summary.chunks == len(chunks) and summary.embedded_chunks == len(chunks)

    assert list(streamed.chunks) == [c.to_dict() for c in chunks]
    assert [streamed.docs[a.doc_id]["text"] for a in articles] == [a.text for a in articles]
    assert {k: v.__dict__ for k, v in streamed.manifest.documents.items()} == {
        k: v.__dict__ for k, v in entries.items()
    }
    np.testing.assert_allclose(streamed.vectors(), vectors, atol=1e-6)
    lexical = LexicalIndex.build([c.embed_text() for c in chunks])
    emb = FakeEmbeddings()
    for question in ("خطة المستشفيات", "رقم 17 جملة 3", "المدن الكبرى والقرى", "كلمة غائبة"):
        assert streamed.lexical.search(question, 10) == lexical.search(question, 10)
        q = emb.encode_queries([question])[0]
        exact = np.argsort(-(vectors @ q), kind="stable")[:5]
        assert [r for r, _ in streamed.dense_search(q, 5)] == [int(r) for r in exact]


def test_add_and_remove_stream_the_kept_articles(tmp_path: Path) -> None:
    root = tmp_path / "index"
    ix = indexer(root, embed_buffer=8)
    ix.build([write_articles(tmp_path / "a.jsonl", 12)])
    before = IndexStore(root).open()
    kept = {c["chunk_id"]: v for c, v in zip(before.chunks, before.vectors(), strict=True)}

    more = write_articles(tmp_path / "b.jsonl", 4, start=100)
    summary = ix.add([more])
    assert summary.added == [f"a{i:04d}" for i in range(100, 104)]
    assert summary.documents == 16
    after = IndexStore(root).open()
    assert len(after.docs) == 16 and len(after.chunks) == after.manifest.chunks
    by_id = {c["chunk_id"]: v for c, v in zip(after.chunks, after.vectors(), strict=True)}
    for chunk_id, vector in kept.items():  # the old articles' rows came over unchanged
        np.testing.assert_array_equal(by_id[chunk_id], vector)
    assert after.doc_rows().keys() == after.docs.keys()

    ix.remove(["a0003", "a0101"])
    final = IndexStore(root).open()
    assert sorted(final.docs) == sorted(set(after.docs) - {"a0003", "a0101"})
    assert {c["doc_id"] for c in final.chunks} == set(final.docs)
    assert final.lexical.search("رقم 3 جملة", 50) and temporary_folders(root) == []
    assert all(final.chunks[r]["doc_id"] != "a0003" for r, _ in final.lexical.search("رقم 3", 50))


def write_long_articles(path: Path, n: int) -> tuple[Path, float]:
    """`n` articles of ~2,500 characters; returns the file and the mean text length in bytes
    of a Python string (2 a character for Arabic)."""
    rng = np.random.default_rng(n)
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            paras = [
                "\n".join(
                    " ".join(rng.choice(WORDS, size=14)) + f" رقم {i} جملة {j}." for j in range(5)
                )
                for _ in range(4)
            ]
            row = {"id": f"m{i}", "title": f"خبر {i}", "text": "\n\n".join(paras)}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    mean_chars = sum(len(json.loads(line)["text"]) for line in path.open(encoding="utf-8")) / n
    return path, 2 * mean_chars


def streaming_peak(tmp_path: Path, src: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """Peak bytes Python allocated while a build streamed, up to the start of its commit."""
    peaks: list[int] = []
    commit = faiss_store.FaissGenerationWriter.commit

    def spy(self: Any, manifest: Manifest) -> Path:
        peaks.append(tracemalloc.get_traced_memory()[1])
        return commit(self, manifest)

    monkeypatch.setattr(faiss_store.FaissGenerationWriter, "commit", spy)
    ix = indexer(tmp_path / f"index-{src.stem}", embed_buffer=64)
    tracemalloc.start()
    try:
        ix.build([src])
    finally:
        tracemalloc.stop()
    assert len(peaks) == 1
    return peaks[0]


def test_memory_while_streaming_does_not_hold_the_articles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An extra article must cost far less than its own text before the commit.

    The indexer used to keep every article, chunk and vector until the end: measured with this
    test's archives, each extra article cost ~29 kB before the commit (its text is ~5 kB as a
    Python string). Streaming, an extra article costs its id and row offsets (its manifest entry
    goes to a file of the writer's): ~0.6 kB, down from ~0.9 kB when the entries were held.
    """
    small, text_bytes = write_long_articles(tmp_path / "small.jsonl", 150)
    large, _ = write_long_articles(tmp_path / "large.jsonl", 600)
    # A first build warms what is allocated once per process (the stemmer's word cache, lazy
    # imports), which would otherwise fall on whichever build runs first.
    streaming_peak(tmp_path / "warm", small, monkeypatch)
    p_small = streaming_peak(tmp_path, small, monkeypatch)
    p_large = streaming_peak(tmp_path, large, monkeypatch)
    per_article = (p_large - p_small) / 450
    assert per_article < 0.5 * text_bytes, (p_small, p_large, per_article, text_bytes)
