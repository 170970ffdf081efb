"""Streaming builds: resume after SIGKILL through the embedding cache, progress, bounded batches."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index.config import SplitterSettings
from index.embed_cache import CACHE_NAME
from index.indexer import Indexer
from index.store import IndexStore

from ..conftest import ROOT, FakeEmbeddings

WORDS = [
    "وزارة",
    "الصحة",
    "أعلنت",
    "اليوم",
    "عن",
    "خطة",
    "جديدة",
    "لتطوير",
    "المستشفيات",
    "في",
    "المدن",
    "الكبرى",
    "والقرى",
]


def write_articles(path: Path, n: int, start: int = 0) -> Path:
    """A JSONL archive of `n` distinct multi-chunk articles."""
    rng = np.random.default_rng(start)
    with path.open("w", encoding="utf-8") as fh:
        for i in range(start, start + n):
            sentences = [
                " ".join(rng.choice(WORDS, size=12)) + f" رقم {i} جملة {j}." for j in range(6)
            ]
            row = {"id": f"a{i:04d}", "title": f"خبر {i}", "text": "\n\n".join(sentences)}
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    return path


class CountingEmbeddings(FakeEmbeddings):
    """The fake embedder, remembering every text it embedded and each call's size."""

    def __init__(self) -> None:
        self.embedded: list[str] = []
        self.calls: list[int] = []

    def encode_passages(self, texts: Any, progress: bool = False) -> Any:
        self.embedded.extend(texts)
        self.calls.append(len(texts))
        return super().encode_passages(texts, progress)


def indexer(root: Path, emb: Any, **kw: Any) -> Indexer:
    return Indexer(IndexStore(root), emb, SplitterSettings(chunk_tokens=40), **kw)


KILLED_BUILD = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from index.config import SplitterSettings
    from index.indexer import Indexer
    from index.store import IndexStore
    from tests.conftest import FakeEmbeddings

    class Slow(FakeEmbeddings):
        def encode_passages(self, texts, progress=False):
            time.sleep(0.05)
            return super().encode_passages(texts, progress)

    emb = Slow()
    Indexer(IndexStore(Path(sys.argv[1])), emb, SplitterSettings(chunk_tokens=40),
            embed_buffer=8).build([Path(sys.argv[2])])
    """
)


def cached_rows(root: Path) -> int:
    path = root / CACHE_NAME
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(str(path), timeout=5) as db:
            return int(db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0])
    except sqlite3.Error:
        return 0


def test_sigkill_mid_embedding_then_resume(tmp_path: Path) -> None:
    root = tmp_path / "index"
    old_src = write_articles(tmp_path / "old.jsonl", 3, start=1000)
    indexer(root, FakeEmbeddings()).build([old_src])
    old_generation = IndexStore(root).current_path()
    src = write_articles(tmp_path / "big.jsonl", 80)

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_BUILD, str(root), str(src)], cwd=ROOT, env=env
    )
    try:
        deadline = time.monotonic() + 120
        while cached_rows(root) < 40 and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert proc.poll() is None, "the build finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=30)
    done = cached_rows(root)
    assert done >= 40

    # The live index is the old one, whole.
    store = IndexStore(root)
    assert store.current_path() == old_generation
    assert sorted(store.open().docs) == ["a1000", "a1001", "a1002"]

    # Started again, it embeds only what the killed build had not cached.
    emb = CountingEmbeddings()
    summary = indexer(root, emb).build([src])
    snap = store.open()
    assert len(snap.docs) == 80 and summary.documents == 80
    assert summary.cached_chunks == done
    assert summary.embedded_chunks == len(emb.embedded) == snap.manifest.chunks - done
    assert len(set(emb.embedded)) == len(emb.embedded)
    # Cached or fresh, every stored vector is the model's vector of its chunk.
    fresh = FakeEmbeddings().encode_passages([_embed_text(c) for c in snap.chunks])
    assert np.allclose(snap.vectors(), fresh, atol=1e-6)
    assert not (root / CACHE_NAME).exists(), "the cache is dropped once the index is committed"


def _embed_text(chunk: dict[str, Any]) -> str:
    from index.splitter import Chunk

    return Chunk(**chunk).embed_text()


def test_streams_articles_and_embeds_in_bounded_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import index.indexer as indexer_module

    src = write_articles(tmp_path / "a.jsonl", 60)
    read = {"n": 0}
    original = indexer_module.iter_paths

    def counting_iter(paths: Any) -> Any:
        for record in original(paths):
            read["n"] += 1
            yield record

    monkeypatch.setattr(indexer_module, "iter_paths", counting_iter)
    emb = CountingEmbeddings()
    read_at_first_call: list[int] = []
    encode = emb.encode_passages

    def spy(texts: Any, progress: bool = False) -> Any:
        read_at_first_call.append(read["n"])
        return encode(texts, progress)

    emb.encode_passages = spy  # type: ignore[method-assign]
    summary = indexer(tmp_path / "index", emb, embed_buffer=16).build([src])
    assert summary.documents == 60
    # Embedding started long before the archive was read to its end ...
    assert read_at_first_call[0] < 20
    # ... and no call saw more than one slice of the buffer.
    assert max(emb.calls) <= emb.batch_size * 8
    assert sum(emb.calls) == summary.chunks


def test_progress_bar_shows_articles_rate_and_eta(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = write_articles(tmp_path / "a.jsonl", 12)
    indexer(tmp_path / "index", FakeEmbeddings(), progress=True, embed_buffer=8).build([src])
    err = capsys.readouterr().err
    assert "indexing" in err and "12/12" in err and "article" in err
    assert "chunks_s=" in err
    assert "<" in err  # tqdm's elapsed<remaining (ETA)


def test_interrupted_build_keeps_old_index_and_reuses_cache(tmp_path: Path) -> None:
    """Ctrl-C (KeyboardInterrupt) mid-embedding: old index live, finished batches cached."""
    root = tmp_path / "index"
    src = write_articles(tmp_path / "a.jsonl", 30)

    class Interrupting(CountingEmbeddings):
        def encode_passages(self, texts: Any, progress: bool = False) -> Any:
            if len(self.calls) == 3:
                raise KeyboardInterrupt
            return super().encode_passages(texts, progress)

    first = Interrupting()
    with pytest.raises(KeyboardInterrupt):
        indexer(root, first, embed_buffer=8).build([src])
    assert not IndexStore(root).exists()
    assert cached_rows(root) == len(first.embedded) > 0

    second = CountingEmbeddings()
    summary = indexer(root, second, embed_buffer=8).build([src])
    assert summary.cached_chunks == len(first.embedded)
    assert not set(second.embedded) & set(first.embedded)


def test_silent_bar_still_counts_for_callers_that_track_tqdm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The page's upload follows the indexer's tqdm bar (Gradio `track_tqdm`): it must count."""
    import tqdm

    seen: list[tuple[int, int | None]] = []

    class Recording(tqdm.tqdm):  # type: ignore[type-arg]
        def update(self, n: float | None = 1) -> bool | None:
            out = super().update(n)
            seen.append((int(self.n), self.total))
            return out

    monkeypatch.setattr(tqdm, "tqdm", Recording)
    src = write_articles(tmp_path / "a.jsonl", 20)
    indexer(tmp_path / "index", FakeEmbeddings(), progress=False, embed_buffer=8).build([src])
    assert seen and seen[-1] == (20, 20)
    assert len(seen) > 2  # several steps, not one jump at the end
    assert "indexing" not in capsys.readouterr().err  # and nothing printed


def test_a_text_repeated_in_the_archive_is_embedded_once(tmp_path: Path) -> None:
    one = write_articles(tmp_path / "one.jsonl", 1)
    row = json.loads(one.read_text(encoding="utf-8"))
    # The same article syndicated under another id, as news archives have them.
    src = tmp_path / "twice.jsonl"
    src.write_text(
        "".join(json.dumps({**row, "id": i}, ensure_ascii=False) + "\n" for i in ("a", "b")),
        encoding="utf-8",
    )
    emb = CountingEmbeddings()
    summary = indexer(tmp_path / "index", emb).build([src])
    assert summary.documents == 2
    # Each text is embedded once; both copies get its vector.
    assert summary.cached_chunks == summary.embedded_chunks == len(emb.embedded) > 0
    assert len(set(emb.embedded)) == len(emb.embedded)
    snap = IndexStore(tmp_path / "index").open()
    fresh = FakeEmbeddings().encode_passages([_embed_text(c) for c in snap.chunks])
    assert np.allclose(snap.vectors(), fresh, atol=1e-6)
