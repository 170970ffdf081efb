from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from index.store import IndexCorruptError, IndexMismatchError, IndexMissingError

from ..conftest import ROOT, SEEDS


def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    shutil.copytree(SEEDS, folder)
    return folder


def test_build_info_and_search(fake_app: Any, tmp_path: Path) -> None:
    summary = fake_app.build([corpus(tmp_path)])
    assert sorted(summary.added) == sorted(p.name for p in SEEDS.iterdir())
    info = fake_app.info()
    assert info["documents"] == 2 and info["chunks"] == summary.chunks > 2
    assert info["model"] == "fake-hash-64"
    hits = fake_app.search("وزير الدفاع الإيطالي كروسيتو", k=3)
    assert hits[0].doc_id == "004_b11fdc9a7b87af75.txt"


def test_readding_unchanged_changes_nothing(fake_app: Any, tmp_path: Path) -> None:
    folder = corpus(tmp_path)
    fake_app.build([folder])
    generation = fake_app.store.current_path()
    summary = fake_app.add([folder])
    assert sorted(summary.unchanged) == sorted(p.name for p in SEEDS.iterdir())
    assert not summary.added and not summary.replaced and summary.embedded_chunks == 0
    assert fake_app.store.current_path() == generation


def test_add_replace_remove(fake_app: Any, tmp_path: Path) -> None:
    folder = corpus(tmp_path)
    fake_app.build([folder])
    before = fake_app.info()["chunks"]
    new = tmp_path / "new"
    new.mkdir()
    (new / "n.txt").write_text(
        "أعلنت وزارة الزراعة عن موسم حصاد القمح في الصعيد.", encoding="utf-8"
    )
    s = fake_app.add([new])
    assert s.added == ["n.txt"] and s.embedded_chunks == 1
    assert fake_app.info()["chunks"] == before + 1
    (new / "n.txt").write_text("أعلنت وزارة الري عن خطة ترشيد المياه.", encoding="utf-8")
    s = fake_app.add([new / "n.txt"])
    assert s.replaced == ["n.txt"]
    assert fake_app.search("ترشيد المياه", k=1)[0].doc_id == "n.txt"
    s = fake_app.remove(["n.txt"])
    assert fake_app.info()["documents"] == 2 and fake_app.info()["chunks"] == before
    with pytest.raises(KeyError):
        fake_app.remove(["missing.txt"])


def test_build_drops_articles_no_longer_given(fake_app: Any, tmp_path: Path) -> None:
    folder = corpus(tmp_path)
    fake_app.build([folder])
    one = sorted(folder.iterdir())[0]
    s = fake_app.build([one])
    assert s.removed == [sorted(p.name for p in SEEDS.iterdir())[1]]
    assert fake_app.info()["documents"] == 1


def test_missing_and_corrupt_index_errors(fake_app: Any, tmp_path: Path) -> None:
    with pytest.raises(IndexMissingError, match="akhbar index build"):
        fake_app.search("سؤال")
    fake_app.build([corpus(tmp_path)])
    gen = fake_app.store.current_path()
    (gen / "vectors.faiss").write_bytes(b"garbage")
    fake_app.searcher._snapshot = None
    with pytest.raises(IndexCorruptError, match="--rebuild"):
        fake_app.store.open()


def test_newer_format_is_refused(fake_app: Any, tmp_path: Path) -> None:
    fake_app.build([corpus(tmp_path)])
    path = fake_app.store.current_path() / "manifest.json"
    data = json.loads(path.read_text())
    data["format_version"] = 99
    path.write_text(json.dumps(data))
    with pytest.raises(IndexMismatchError, match="format 99"):
        fake_app.store.open()


def test_other_model_is_a_clear_error(fake_app: Any, tmp_path: Path) -> None:
    fake_app.build([corpus(tmp_path)])
    fake_app.embeddings.model_id = "another-model"
    with pytest.raises(IndexMismatchError, match="rebuild"):
        fake_app.search("سؤال")
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        fake_app.add([corpus(tmp_path / "again")])


def test_nothing_readable_leaves_index_untouched(fake_app: Any, tmp_path: Path) -> None:
    fake_app.build([corpus(tmp_path)])
    gen = fake_app.store.current_path()
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "x.txt").write_bytes(b"\xff\xfe\x00\x00")
    with pytest.raises(ValueError, match="no article"):
        fake_app.build([bad])
    assert fake_app.store.current_path() == gen
    assert fake_app.info()["documents"] == 2


KILL_SCRIPT = textwrap.dedent(
    """
    import os, sys
    sys.path.append({tests!r})  # after the repo: tests/index must not shadow index
    from conftest import FakeEmbeddings
    from akhbar.app import Akhbar
    from akhbar.settings import Settings
    import faiss

    real = faiss.write_index

    def boom(index, path):
        # Die halfway through the commit: the new generation's vectors are written into its
        # temporary folder, its lexical index and manifest are not.
        real(index, path)
        os.kill(os.getpid(), 9)

    faiss.write_index = boom
    s = Settings(); s.index_dir = {index!r}; s.splitter.chunk_tokens = 60
    Akhbar(s, embeddings=FakeEmbeddings()).add([{extra!r}])
    """
)


def test_killed_build_leaves_old_index(fake_app: Any, tmp_path: Path) -> None:
    fake_app.build([corpus(tmp_path)])
    before = fake_app.info()
    extra = tmp_path / "extra.txt"
    extra.write_text("خبر إضافي عن الطقس في الإسكندرية.", encoding="utf-8")
    script = KILL_SCRIPT.format(
        tests=str(ROOT / "tests"), index=str(fake_app.store.root), extra=str(extra)
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=dict(os.environ), check=False
    )
    assert proc.returncode == -9
    after = fake_app.info()
    assert after["generation"] == before["generation"]
    assert after["documents"] == before["documents"]
    assert fake_app.store.open().manifest.chunks == before["chunks"]
    # The next writer cleans up the stale temporary folder and succeeds.
    assert any(p.name.startswith(".tmp-") for p in fake_app.store.root.iterdir())
    fake_app.add([extra])
    assert not any(p.name.startswith(".tmp-") for p in fake_app.store.root.iterdir())
    assert fake_app.info()["documents"] == before["documents"] + 1


def test_verify_finds_damage(fake_app: Any, tmp_path: Path) -> None:
    fake_app.build([corpus(tmp_path)])
    assert fake_app.verify()["documents"] == 2
    gen = fake_app.store.current_path()
    lines = (gen / "chunks.jsonl").read_text(encoding="utf-8").splitlines()
    row = json.loads(lines[0])
    row["text"] = "x" + row["text"][1:]
    lines[0] = json.dumps(row, ensure_ascii=False)
    (gen / "chunks.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(IndexCorruptError, match="does not match its article"):
        fake_app.verify()
    (gen / "chunks.jsonl").write_text("\n".join(lines[1:]) + "\n", encoding="utf-8")
    with pytest.raises(IndexCorruptError, match=r"damaged|inconsistent"):
        fake_app.verify()


def test_truncated_vectors_file_is_a_clear_error(fake_app: Any, tmp_path: Path) -> None:
    fake_app.build([corpus(tmp_path)])
    path = fake_app.store.current_path() / "vectors.faiss"
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(IndexCorruptError, match="rebuild"):
        fake_app.store.open()


WRITER = textwrap.dedent(
    """
    import sys
    sys.path.append({tests!r})  # after the repo: tests/index must not shadow index
    from conftest import FakeEmbeddings
    from akhbar.app import Akhbar
    from akhbar.settings import Settings
    s = Settings(); s.index_dir = {index!r}; s.splitter.chunk_tokens = 60
    print("ready", flush=True)
    Akhbar(s, embeddings=FakeEmbeddings()).add([{extra!r}])
    """
)


def test_sigkill_at_random_points_never_tears_the_index(fake_app: Any, tmp_path: Path) -> None:
    import random
    import signal
    import time

    fake_app.build([corpus(tmp_path)])
    old_docs = fake_app.info()["documents"]
    extra = tmp_path / "extra"
    extra.mkdir()
    for i in range(150):
        (extra / f"n{i}.txt").write_text(
            f"خبر رقم {i} عن الطقس والزراعة في المدينة. " * 20, encoding="utf-8"
        )
    script = WRITER.format(
        tests=str(ROOT / "tests"), index=str(fake_app.store.root), extra=str(extra)
    )
    rng = random.Random(7)
    for _trial in range(10):
        before = fake_app.info()["documents"]
        proc = subprocess.Popen(
            [sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True
        )
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        after = fake_app.store.open()  # always loads
        assert len(after.docs) in {before, old_docs + 150}
        if len(after.docs) != old_docs:
            fake_app.remove([f"n{i}.txt" for i in range(150)])
    # The next writer cleans up whatever a killed one left behind.
    fake_app.add([extra / "n0.txt"])
    assert not any(p.name.startswith(".tmp-") for p in fake_app.store.root.iterdir())
