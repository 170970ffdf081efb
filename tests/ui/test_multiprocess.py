"""Many processes, one index: two `akhbar serve` on one PostgreSQL database while a third adds."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from ..conftest import ROOT, SEEDS, drop_schema, free_port, pg_env, pg_settings
from .clients import NEW_ARTICLE, ask_loop, well_formed

pytestmark = pytest.mark.slow

NEW_QUESTION = "كم كتابا تضم مكتبة الأقصر الجديدة؟"
CLIENTS_PER_SERVER = 4


def start_server(env: dict[str, str]) -> tuple[subprocess.Popen[str], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "akhbar.cli", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    return proc, f"http://127.0.0.1:{port}/"


def wait_ready(proc: subprocess.Popen[str], timeout: float = 300) -> list[str]:
    """Read the server's output until it says it serves (the rest is drained in a thread)."""
    lines: queue.Queue[str | None] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=1)
        except queue.Empty:
            continue
        if line is None:
            raise AssertionError(f"server exited: {''.join(seen)}")
        seen.append(line)
        if "serving on" in line:
            return seen
    raise AssertionError(f"server not ready after {timeout} s: {''.join(seen)}")


def test_two_servers_one_database_while_a_third_process_adds(
    pg_dsn: str, embeddings: Any, tmp_path: Path
) -> None:
    from gradio_client import Client

    from akhbar.app import Akhbar

    schema = "multiprocess"
    drop_schema(pg_dsn, schema)
    Akhbar(pg_settings(pg_dsn, schema), embeddings=embeddings).build([SEEDS])
    env = pg_env(pg_dsn, schema)
    servers = [start_server(env) for _ in range(2)]
    try:
        for proc, _ in servers:
            wait_ready(proc)
        article = tmp_path / "new.txt"
        article.write_text(NEW_ARTICLE, encoding="utf-8")
        failures: list[str] = []
        answers: dict[str, int] = {url: 0 for _, url in servers}
        lock = threading.Lock()
        stop = threading.Event()

        def client(url: str, i: int) -> None:
            def record(out: dict[str, Any]) -> None:
                answers[url] += 1

            ask_loop(url, i, lambda _n: not stop.is_set(), lock, failures, record)

        threads = [
            threading.Thread(target=client, args=(url, i))
            for _, url in servers
            for i in range(CLIENTS_PER_SERVER)
        ]
        for t in threads:
            t.start()
        time.sleep(5)
        writer = subprocess.run(
            [sys.executable, "-m", "akhbar.cli", "index", "add", str(article), "--json"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        time.sleep(5)
        stop.set()
        for t in threads:
            t.join(timeout=120)
        assert writer.returncode == 0, writer.stderr
        assert json.loads(writer.stdout)["added"] == ["new.txt"]
        assert not failures, failures[:5]
        assert all(n >= CLIENTS_PER_SERVER for n in answers.values()), answers
        # Both servers now answer from the new generation.
        for _, url in servers:
            out = Client(url, verbose=False).predict(NEW_QUESTION, "[]", api_name="/ask")
            assert well_formed(out) and out["found"], out
            assert any(c["doc_id"] == "new.txt" for c in out["citations"]), out
    finally:
        for proc, _ in servers:
            proc.terminate()
        for proc, _ in servers:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
        drop_schema(pg_dsn, schema)
