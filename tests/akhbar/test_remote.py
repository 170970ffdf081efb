"""Which running server a one-shot `ask` may use, and how a server that cannot answer is told apart."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from akhbar import remote
from akhbar.settings import Settings

from ..conftest import free_port


def settings(index_dir: Path, **env: str) -> Settings:
    return Settings(index_dir=index_dir, **env)  # type: ignore[arg-type]


def test_fingerprint_follows_what_shapes_an_answer(tmp_path: Path) -> None:
    base = remote.fingerprint(settings(tmp_path / "a"))
    assert base == remote.fingerprint(settings(tmp_path / "a"))
    assert base == remote.fingerprint(settings(tmp_path / "b" / ".." / "a"))  # same folder
    assert base != remote.fingerprint(settings(tmp_path / "b"))
    other = settings(tmp_path / "a")
    other.retrieval.k = other.retrieval.k + 1
    assert base != remote.fingerprint(other)
    page = settings(tmp_path / "a")
    page.server.port = 9999  # the page's own settings do not change answers
    assert base == remote.fingerprint(page)
    secret = settings(tmp_path / "a")
    secret.store.dsn = "postgresql://u:hunter2@db/x"  # type: ignore[assignment]
    assert base != remote.fingerprint(secret)


def test_announce_find_withdraw(tmp_path: Path) -> None:
    cfg = settings(tmp_path / "index")
    run = tmp_path / "run"
    assert remote.find_server(cfg, run) is None
    path = remote.announce(cfg, "0.0.0.0", 7861, login=False, run_dir=run)
    assert path is not None and path.parent == run
    assert "hunter2" not in path.read_text()
    found = remote.find_server(cfg, run)
    assert found is not None and found.url == "http://127.0.0.1:7861" and found.pid == os.getpid()
    other = settings(tmp_path / "other")
    assert remote.find_server(other, run) is None  # another index: not this server
    remote.withdraw(path)
    assert not path.exists() and remote.find_server(cfg, run) is None


def test_a_login_or_a_dead_process_is_not_used(tmp_path: Path) -> None:
    cfg = settings(tmp_path / "index")
    run = tmp_path / "run"
    path = remote.announce(cfg, "127.0.0.1", 7861, login=True, run_dir=run)
    assert path is not None and remote.find_server(cfg, run) is None
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    path.write_text(
        json.dumps({"url": "http://127.0.0.1:1", "pid": int(gone.stdout), "login": False})
    )
    assert remote.find_server(cfg, run) is None
    assert not path.exists()  # the stale file is cleared
    path.write_text("{not json")
    assert remote.find_server(cfg, run) is None


def test_a_server_that_does_not_listen_is_unavailable(tmp_path: Path) -> None:
    server = remote.Server(f"http://127.0.0.1:{free_port()}", os.getpid(), False, tmp_path)
    with pytest.raises(remote.RemoteUnavailable):
        remote.ask_server(server, "من توسط في الهدنة؟")


def test_event_stream_answers_and_failures() -> None:
    answer = {"answer": "قطر", "found": True}
    stream = [
        b"event: heartbeat\n",
        b"data: null\n",
        b"\n",
        b"event: complete\n",
        b"data: " + json.dumps([answer]).encode() + b"\n",
    ]
    assert remote._complete(stream) == answer
    with pytest.raises(remote.RemoteUnavailable):
        remote._complete([b"event: error\n", b"data: null\n"])
    with pytest.raises(remote.RemoteUnavailable):
        remote._complete([b"event: complete\n", b'data: ["text"]\n'])
    with pytest.raises(remote.RemoteUnavailable):
        remote._complete([b"event: heartbeat\n"])
