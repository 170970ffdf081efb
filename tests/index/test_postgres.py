"""The PostgreSQL + pgvector store against a real server: same results as FAISS, transactions,
locks, readers during writes, and one-line errors for every set-up mistake."""

from __future__ import annotations

import random
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest

from index.errors import (
    IndexBusyError,
    IndexMismatchError,
    IndexMissingError,
    StoreConnectionError,
    StoreSetupError,
)

from ..conftest import (
    ROOT,
    SEEDS,
    CrashingEmbeddings,
    FakeEmbeddings,
    free_port,
    pg_env,
    pg_settings,
)


def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    shutil.copytree(SEEDS, folder)
    return folder


def fake(settings: Any) -> Any:
    from akhbar.app import Akhbar

    settings.splitter.chunk_tokens = 60
    return Akhbar(settings, embeddings=FakeEmbeddings())


@pytest.fixture
def pg_app(pg_dsn: str, pg_schema: str, tmp_path: Path) -> Any:
    """Fake embeddings over an empty PostgreSQL schema."""
    return fake(pg_settings(pg_dsn, pg_schema, tmp_path / "unused"))


@pytest.fixture
def faiss_app(fake_app: Any) -> Any:
    return fake_app


def ranked(app: Any, query: str, mode: str) -> list[tuple[str, float]]:
    return [(h.chunk_id, h.score) for h in app.search(query, k=8, mode=mode)]


def same_ranking(a: list[tuple[str, float]], b: list[tuple[str, float]]) -> bool:
    """Equal scores in the same order; chunks with equal scores may come in either order."""
    if len(a) != len(b) or any(abs(x[1] - y[1]) > 1e-4 for x, y in zip(a, b, strict=True)):
        return False
    groups: dict[float, tuple[set[str], set[str]]] = {}
    for (ca, sa), (cb, _) in zip(a, b, strict=True):
        key = round(sa, 4)
        groups.setdefault(key, (set(), set()))
        groups[key][0].add(ca)
        groups[key][1].add(cb)
    # Ties at the cut-off may bring different members; inside the list they must agree.
    last = round(a[-1][1], 4) if a else None
    return all(x == y for key, (x, y) in groups.items() if key != last)


QUERIES = ["وزير الدفاع الإيطالي كروسيتو", "معبر رفح", "هدنة نوفمبر", "فلسطين الأمم المتحدة"]


def test_same_results_as_faiss_through_add_replace_remove(
    pg_app: Any, faiss_app: Any, tmp_path: Path
) -> None:
    folder = corpus(tmp_path)
    new = tmp_path / "new"
    new.mkdir()
    (new / "n.txt").write_text("أعلنت وزارة الزراعة عن موسم حصاد القمح في الصعيد.", "utf-8")

    def check() -> None:
        fi, pi = faiss_app.info(), pg_app.info()
        assert (fi["documents"], fi["chunks"]) == (pi["documents"], pi["chunks"])
        assert fi["titles"] == pi["titles"]
        # The fake vectors tie often, and FAISS and bm25s break ties in no set order, so fused
        # ranks are compared with the real model (test_same_ranking_as_faiss_real_model).
        for q in [*QUERIES, "حصاد القمح", "ترشيد المياه"]:
            for mode in ("dense", "lexical"):
                assert same_ranking(ranked(faiss_app, q, mode), ranked(pg_app, q, mode)), (q, mode)

    for app in (faiss_app, pg_app):
        app.build([folder])
    check()
    first = pg_app.store.generation()
    for app in (faiss_app, pg_app):
        assert app.add([new]).added == ["n.txt"]
    check()
    (new / "n.txt").write_text("أعلنت وزارة الري عن خطة ترشيد المياه.", encoding="utf-8")
    for app in (faiss_app, pg_app):
        assert app.add([new / "n.txt"]).replaced == ["n.txt"]
    check()
    assert pg_app.search("ترشيد المياه", k=1)[0].doc_id == "n.txt"
    for app in (faiss_app, pg_app):
        app.remove(["n.txt"])
    check()
    assert pg_app.store.generation() != first
    assert pg_app.verify()["documents"] == 2
    # Re-adding unchanged articles writes nothing.
    generation = pg_app.store.generation()
    assert not pg_app.add([folder]).added and pg_app.store.generation() == generation


def fake_store_snapshot(pg_app: Any, tmp_path: Path) -> Any:
    """The same articles indexed into a FAISS folder."""
    from akhbar.settings import Settings

    settings = Settings()
    settings.index_dir = tmp_path / "faiss"
    app = fake(settings)
    app.build([tmp_path / "articles"])
    return app.store.open()


def test_offsets_and_articles_are_exact(pg_app: Any, tmp_path: Path) -> None:
    pg_app.build([corpus(tmp_path)])
    snap = pg_app.store.open()
    faiss = fake_store_snapshot(pg_app, tmp_path)
    assert [c for c in snap.chunks] == list(faiss.chunks)
    assert dict(snap.docs) == faiss.docs
    for chunk in snap.chunks:
        text = snap.docs[chunk["doc_id"]]["text"]
        assert text[chunk["start"] : chunk["end"]] == chunk["text"]


def test_snapshot_pinned_to_its_generation(pg_app: Any, tmp_path: Path) -> None:
    folder = corpus(tmp_path)
    pg_app.build([folder])
    old = pg_app.store.open()
    old_ids = [c["chunk_id"] for c in old.chunks]
    pg_app.remove([sorted(p.name for p in SEEDS.iterdir())[0]])
    new = pg_app.store.open()
    assert len(new) < len(old)
    # The old snapshot still reads its own generation, consistently.
    assert [c["chunk_id"] for c in old.chunks] == old_ids
    assert len(old.docs) == 2 and len(new.docs) == 1
    assert {old.chunks[r]["doc_id"] for r, _ in old.lexical.search("غزة", 50)} <= set(old.docs)


def test_missing_index_and_other_schema_version(pg_app: Any, pg_dsn: str, tmp_path: Path) -> None:
    with pytest.raises(IndexMissingError, match="akhbar index build"):
        pg_app.search("سؤال")
    pg_app.build([corpus(tmp_path)])
    schema = pg_app.settings.store.schema_name
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(f"UPDATE \"{schema}\".meta SET value = '99' WHERE key = 'schema_version'")
    again = fake(pg_settings(pg_dsn, schema))
    with pytest.raises(IndexMismatchError, match=r"schema version 99.*DROP SCHEMA"):
        again.search("سؤال")
    with pytest.raises(IndexMismatchError, match="schema version 99"):
        again.add([tmp_path / "articles"])


def test_other_model_is_a_clear_error(pg_app: Any, tmp_path: Path) -> None:
    pg_app.build([corpus(tmp_path)])
    pg_app.embeddings.model_id = "another-model"
    with pytest.raises(IndexMismatchError, match="--rebuild"):
        pg_app.search("سؤال")


@pytest.mark.parametrize(
    ("dsn", "error", "message"),
    [
        ("postgresql://akhbar@127.0.0.1:{down}/akhbar", StoreConnectionError, "make postgres"),
        ("host=127.0.0.1 port=x=y", StoreConnectionError, "AKHBAR_STORE__DSN"),
        ("postgresql://akhbar@127.0.0.1:{port}/nosuchdb", StoreConnectionError, "nosuchdb"),
    ],
)
def test_bad_dsn_and_server_down(
    pg_dsn: str, tmp_path: Path, dsn: str, error: type, message: str
) -> None:
    port = pg_dsn.rsplit(":", 1)[1].split("/")[0]
    app = fake(pg_settings(dsn.format(down=free_port(), port=port), "akhbar"))
    with pytest.raises(error, match=message):
        app.search("سؤال")
    with pytest.raises(error, match=message):
        app.build([corpus(tmp_path)])


def test_missing_extension(pg_dsn: str, tmp_path: Path) -> None:
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS noext")
        conn.execute("CREATE DATABASE noext")
    # A server where pgvector is not installed: point its extension path at an empty folder.
    base = pg_dsn.rsplit("/", 1)[0]
    dsn = f"{base}/noext?options=-c%20extension_control_path%3D{tmp_path}"
    app = fake(pg_settings(dsn, "akhbar"))
    try:
        with pytest.raises(StoreSetupError, match="pgvector"):
            app.build([corpus(tmp_path)])
    finally:
        with psycopg.connect(pg_dsn, autocommit=True) as conn:
            conn.execute("DROP DATABASE noext WITH (FORCE)")


def test_cli_errors_are_one_line(pg_dsn: str, pg_schema: str) -> None:
    env = pg_env(f"postgresql://akhbar@127.0.0.1:{free_port()}/akhbar", pg_schema)
    for args in (["index", "info"], ["search", "معبر رفح"]):
        proc = subprocess.run(
            [sys.executable, "-m", "akhbar.cli", *args],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 2
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and "make postgres" in lines[0], proc.stderr
        assert "Traceback" not in proc.stderr
    proc = subprocess.run(
        [sys.executable, "-m", "akhbar.cli", "index", "info"],
        env=pg_env(pg_dsn, pg_schema),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2 and "akhbar index build" in proc.stderr.strip().splitlines()[0]


def test_second_writer_waits_then_fails_clearly(pg_app: Any, pg_dsn: str, tmp_path: Path) -> None:
    from index.stores.postgres import PostgresStore

    pg_app.build([corpus(tmp_path)])
    other = PostgresStore(pg_dsn, schema=pg_app.settings.store.schema_name, lock_timeout=0.5)
    with (
        pg_app.store.lock(),
        pytest.raises(IndexBusyError, match="another akhbar process"),
        other.lock(),
    ):
        pass
    with other.lock():  # free again
        pass


WRITER = textwrap.dedent(
    """
    import sys
    sys.path.append({root!r})
    from pydantic import SecretStr
    from tests.conftest import FakeEmbeddings
    from akhbar.app import Akhbar
    from akhbar.settings import Settings
    s = Settings(); s.splitter.chunk_tokens = 60
    s.store.backend = "postgres"; s.store.dsn = SecretStr({dsn!r}); s.store.schema_name = {schema!r}
    print("ready", flush=True)
    Akhbar(s, embeddings=FakeEmbeddings()).add([{extra!r}])
    print("done", flush=True)
    """
)


def articles(folder: Path, prefix: str, n: int) -> Path:
    folder.mkdir()
    for i in range(n):
        (folder / f"{prefix}{i}.txt").write_text(
            f"خبر {prefix} رقم {i} عن الطقس والزراعة في المدينة. " * 20, encoding="utf-8"
        )
    return folder


def writer(pg_app: Any, extra: Path) -> subprocess.Popen[str]:
    script = WRITER.format(
        root=str(ROOT),
        dsn=pg_app.settings.store.dsn.get_secret_value(),
        schema=pg_app.settings.store.schema_name,
        extra=str(extra),
    )
    return subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )


def test_killed_writer_leaves_the_previous_state(pg_app: Any, tmp_path: Path) -> None:
    pg_app.build([corpus(tmp_path)])
    extra = articles(tmp_path / "extra", "n", 150)
    rng = random.Random(7)
    for _trial in range(6):
        before = pg_app.info()
        proc = writer(pg_app, extra)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.5, 3.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        after = pg_app.store.open()  # always opens, all or nothing
        assert len(after.docs) in {2, 152}
        assert pg_app.verify()["documents"] == len(after.docs)
        if len(after.docs) == 152:
            assert pg_app.info()["generation"] != before["generation"]
            pg_app.remove([f"n{i}.txt" for i in range(150)])
        else:
            assert pg_app.info()["generation"] == before["generation"]
    # The advisory lock died with the writer: the next one goes ahead.
    assert pg_app.add([extra / "n0.txt"]).added == ["n0.txt"]


def test_streamed_write_is_invisible_until_commit_and_gone_on_failure(
    pg_app: Any, tmp_path: Path
) -> None:
    from index.indexer import Indexer

    pg_app.build([corpus(tmp_path)])
    store = pg_app.store
    live = store.generation()
    extra = articles(tmp_path / "extra", "n", 30)
    crashing = CrashingEmbeddings(crash_at=4)
    with pytest.raises(RuntimeError, match="crashed"):
        Indexer(store, crashing, pg_app.settings.splitter, embed_buffer=4).add([extra])
    assert crashing.calls == 4  # three batches had been inserted into the write transaction
    assert store.generation() == live and len(store.open().docs) == 2
    (left,) = store._query(
        f"SELECT count(*) FROM {store._t('chunks')} WHERE gen_added > %s", (int(live[3:]),)
    )
    assert left[0] == 0  # rolled back, not merely hidden

    seen: list[tuple[str, int]] = []

    class Watching(FakeEmbeddings):
        def encode_passages(self, texts: Any, progress: bool = False) -> Any:
            seen.append((store.generation(), len(store.open().docs)))  # a reader, mid-write
            return super().encode_passages(texts, progress)

    summary = Indexer(store, Watching(), pg_app.settings.splitter, embed_buffer=4).add([extra])
    assert len(seen) > 3 and set(seen) == {(live, 2)}
    assert len(summary.added) == 30 and store.generation() != live
    assert len(store.open().docs) == 32 and pg_app.verify()["documents"] == 32


def test_two_writers_and_readers_never_see_a_mix(pg_app: Any, tmp_path: Path) -> None:
    pg_app.build([corpus(tmp_path)])
    a = articles(tmp_path / "a", "a", 40)
    b = articles(tmp_path / "b", "b", 40)
    seen: set[int] = set()
    problems: list[str] = []
    stop = threading.Event()

    def reader() -> None:
        from akhbar.app import Akhbar

        app = Akhbar(pg_app.settings, embeddings=FakeEmbeddings())
        while not stop.is_set():
            snap = app.store.open()
            docs = set(snap.docs)
            seen.add(len(docs))
            rows = [c["doc_id"] for c in snap.chunks]
            if set(rows) != docs or len(rows) != snap.manifest.chunks:
                problems.append(f"mixed state: {len(docs)} docs, chunks of {len(set(rows))}")
            for hit in app.search("خبر الطقس والزراعة", k=5):
                text = app.articles()[hit.doc_id]["text"]
                if text[hit.start : hit.end] != hit.text:
                    problems.append(f"hit does not match its article: {hit.chunk_id}")

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for t in threads:
        t.start()
    procs = [writer(pg_app, a), writer(pg_app, b)]
    outs = [p.communicate(timeout=300)[0] for p in procs]
    stop.set()
    for t in threads:
        t.join(timeout=60)
    assert all(p.returncode == 0 for p in procs), outs
    assert all("done" in out for out in outs)
    assert pg_app.info()["documents"] == 82
    assert not problems, problems[:3]
    assert seen <= {2, 42, 82} and 2 in seen
    assert pg_app.verify()["documents"] == 82


def test_settings_choose_the_store(pg_dsn: str, pg_schema: str, monkeypatch: Any) -> None:
    from akhbar.app import Akhbar
    from akhbar.settings import Settings, settings_table
    from index.stores.faiss_store import IndexStore
    from index.stores.postgres import PostgresStore

    assert isinstance(Akhbar(Settings()).store, IndexStore)
    monkeypatch.setenv("AKHBAR_STORE__BACKEND", "postgres")
    monkeypatch.setenv("AKHBAR_STORE__DSN", pg_dsn)
    monkeypatch.setenv("AKHBAR_STORE__SCHEMA_NAME", pg_schema)
    store = Akhbar(Settings()).store
    assert isinstance(store, PostgresStore) and store.schema == pg_schema
    assert pg_dsn.split("@")[1].split("/")[0] in store.location
    names = {row[0] for row in settings_table()}
    assert {"AKHBAR_STORE__BACKEND", "AKHBAR_STORE__DSN"} <= names
    monkeypatch.setenv("AKHBAR_STORE__DSN", "")
    with pytest.raises(StoreConnectionError, match="AKHBAR_STORE__DSN"):
        _ = Akhbar(Settings()).store


def test_password_never_shown(pg_dsn: str) -> None:
    from index.stores.postgres import PostgresStore

    store = PostgresStore("postgresql://akhbar:s3cret@127.0.0.1:1/akhbar")
    assert "s3cret" not in store.location
    with pytest.raises(StoreConnectionError) as info:
        store.exists()
    assert "s3cret" not in str(info.value)


@pytest.mark.slow
def test_same_ranking_as_faiss_real_model(
    akhbar: Any, akhbar_pg: Any, seeds_dev: list[dict[str, Any]]
) -> None:
    from qa.question import analyse

    queries = [
        analyse(item["question"], [tuple(t) for t in item["history"]]).retrieval_query
        for item in seeds_dev
    ]
    for q in [*queries, *QUERIES]:
        for mode in ("dense", "lexical", "hybrid"):
            a, b = ranked(akhbar, q, mode), ranked(akhbar_pg, q, mode)
            assert same_ranking(a, b), (q, mode, a, b)


@pytest.mark.slow
def test_cli_over_postgres(pg_dsn: str, seeds_pg: str, embeddings: Any) -> None:
    import json

    env = pg_env(pg_dsn, seeds_pg)

    def akhbar(*args: str, stdin: str | None = None) -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "akhbar.cli", *args],
            env=env,
            cwd=ROOT,
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    info = json.loads(akhbar("index", "info", "--json"))
    assert info["store"] == "postgres" and info["documents"] == 2 and info["size_bytes"] > 0
    assert json.loads(akhbar("index", "verify", "--json"))["ok"]
    (row,) = [
        json.loads(line)
        for line in akhbar(
            "search", "--batch", "-", "--k", "4", stdin='{"id": "q1", "question": "معبر رفح"}\n'
        ).splitlines()
    ]
    assert row["id"] == "q1" and len(row["hits"]) == 4
    answer = json.loads(akhbar("ask", "كم عدد الدول التي تعترف بدولة فلسطين؟", "--json"))
    assert answer["found"] and "148" in answer["answer"]
    for c in answer["citations"]:
        assert c["text"][c["answer_start"] : c["answer_end"]]


@pytest.mark.slow
def test_eval_over_postgres_uses_a_temporary_schema(
    pg_dsn: str, pg_schema: str, tmp_path: Path
) -> None:
    import json

    squad = {
        "data": [
            {
                "title": "t",
                "paragraphs": [
                    {
                        "context": "افتتحت محافظة الأقصر مكتبة عامة جديدة تضم خمسين ألف كتاب.",
                        "qas": [
                            {
                                "id": "q1",
                                "question": "كم كتابا تضم مكتبة الأقصر الجديدة؟",
                                "answers": [{"text": "خمسين ألف كتاب", "answer_start": 39}],
                            }
                        ],
                    },
                    {
                        "context": "أعلنت وزارة الري في مصر عن خطة لترشيد استهلاك المياه.",
                        "qas": [
                            {
                                "id": "q2",
                                "question": "ما الذي أعلنته وزارة الري؟",
                                "answers": [
                                    {"text": "خطة لترشيد استهلاك المياه", "answer_start": 27}
                                ],
                            }
                        ],
                    },
                ],
            }
        ]
    }
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(squad, ensure_ascii=False), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "akhbar.cli", "eval", str(path), "--json"],
        env=pg_env(pg_dsn, pg_schema),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)["summary"]
    assert summary["questions"] == 2
    with psycopg.connect(pg_dsn) as conn:
        left = conn.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'akhbar_eval_%'"
        ).fetchall()
    assert left == []


def test_local_server_start_reuse_stop() -> None:
    """`make postgres`: DSN as the last line, the running server reused, `make postgres-stop`."""
    import tempfile

    folder = Path(tempfile.mkdtemp(prefix="akhbar-test-localpg-"))
    folder.chmod(0o755)
    data = folder / "pg"

    def run(action: str) -> list[str]:
        proc = subprocess.run(
            [sys.executable, "-m", "akhbar.localpg", action, str(data)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=180,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.strip().splitlines()

    try:
        dsn = run("start")[-1]
        assert dsn.startswith("postgresql://") and "@127.0.0.1:" in dsn
        with psycopg.connect(dsn) as conn:
            pid = conn.execute("SELECT pg_backend_pid()").fetchone()
            assert conn.execute("SHOW listen_addresses").fetchone() == ("127.0.0.1",)
            assert pid is not None
        assert run("start")[-1] == dsn  # reused, not a second server
        assert "stopped" in run("stop")[-1]
        with pytest.raises(psycopg.OperationalError):
            psycopg.connect(dsn, connect_timeout=3)
        assert "no server" in run("stop")[-1]
    finally:
        subprocess.run(
            [sys.executable, "-m", "akhbar.localpg", "stop", str(data)],
            cwd=ROOT,
            capture_output=True,
            check=False,
        )
        shutil.rmtree(folder, ignore_errors=True)
