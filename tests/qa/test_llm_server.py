"""The local model supervisor with a stand-in server process (fast; the real one is in test_llm.py).

The stand-in (`tests/qa/fake_llama_server.py`) takes llama_cpp.server's flags, echoes the prompt
word by word, and dies of SIGSEGV / SIGABRT or hangs on demand, so crashes, hangs, restarts and
the child's clean-up are checked in seconds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage

from qa.config import LLMSettings
from qa.llm import LLMError, ModelServerDown, stream_text
from qa.llm.llamacpp_server import LlamaServer, LocalServerChat
from tests.conftest import ROOT

FAKE = "tests.qa.fake_llama_server"


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (dead, not yet reaped) counts as gone.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


@pytest.fixture
def fake_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The child must import the stand-in from the repository."""
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))


def make_server(tmp_path: Path, **settings: Any) -> LlamaServer:
    llm = LLMSettings(backend="llamacpp", **{"timeout_s": 20.0, **settings})
    return LlamaServer(llm, tmp_path / "model.gguf", tmp_path / "server.log", server_module=FAKE)


@pytest.fixture
def server(tmp_path: Path, fake_env: None) -> Iterator[LlamaServer]:
    srv = make_server(tmp_path)
    yield srv
    srv.close()


def ask(model: LocalServerChat, text: str, timeout_s: float = 20.0) -> str:
    return "".join(stream_text(model, [HumanMessage(content=text)], timeout_s))


def test_answers_through_the_supervised_server(server: LlamaServer) -> None:
    assert server.state == "stopped" and server.pid is None  # nothing starts before first use
    model = LocalServerChat(server=server)
    assert ask(model, "واحد اثنان ثلاثة") == "واحد اثنان ثلاثة"
    assert server.state == "ready" and server.pid is not None
    assert "starting the local model server" in server.log_path.read_text()


@pytest.mark.parametrize(("trigger", "signame"), [("CRASH", "SIGSEGV"), ("ABORT", "SIGABRT")])
def test_a_crash_costs_one_answer_then_the_server_is_back(
    tmp_path: Path, fake_env: None, monkeypatch: pytest.MonkeyPatch, trigger: str, signame: str
) -> None:
    monkeypatch.setenv("FAKE_LLAMA_START_S", "1.5")  # loading takes a while, as a model does
    server = make_server(tmp_path)
    model = LocalServerChat(server=server)
    try:
        assert ask(model, "قبل") == "قبل"
        first_pid = server.pid
        with pytest.raises(ModelServerDown, match=signame):
            ask(model, f"سؤال {trigger} هنا")
        # While it restarts, questions fail at once (the caller falls back), not after a wait.
        started = time.perf_counter()
        with pytest.raises(ModelServerDown, match=r"restarting|died"):
            ask(model, "أثناء")
        assert time.perf_counter() - started < 1.0
        assert server.wait_ready(30)
        assert ask(model, "بعد") == "بعد"
        assert server.restarts == 1 and server.pid not in (None, first_pid)
    finally:
        server.close()


def test_a_hung_server_is_killed_and_restarted(tmp_path: Path, fake_env: None) -> None:
    server = make_server(tmp_path, hang_s=1.0)
    model = LocalServerChat(server=server)
    try:
        ask(model, "إحماء")
        started = time.perf_counter()
        with pytest.raises(ModelServerDown, match="sent nothing"):
            ask(model, "كلمة HANG أخرى")
        assert time.perf_counter() - started < 10
        assert server.wait_ready(30)
        assert ask(model, "عاد") == "عاد"
    finally:
        server.close()


def test_a_busy_server_is_not_a_hung_one(tmp_path: Path, fake_env: None) -> None:
    server = make_server(tmp_path, hang_s=2.0)
    model = LocalServerChat(server=server)
    try:
        assert ask(model, "BUSY ثم جواب") == "BUSY ثم جواب"  # silent 4 s, but using the CPU
        assert server.restarts == 0
    finally:
        server.close()


def test_a_stopped_server_is_hung(server: LlamaServer) -> None:
    """SIGSTOP: alive, silent, no CPU used; killed and restarted after `hang_s`."""
    server.settings.hang_s = 1.0
    model = LocalServerChat(server=server)
    ask(model, "إحماء")
    pid = server.pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    with pytest.raises(ModelServerDown, match="idle"):
        ask(model, "بعد التوقف")
    assert server.wait_ready(30) and server.pid != pid
    assert ask(model, "عاد") == "عاد"


def test_a_server_that_cannot_start_is_an_error_not_a_wait(tmp_path: Path, fake_env: None) -> None:
    llm = LLMSettings(backend="llamacpp", start_timeout_s=5)
    server = LlamaServer(llm, tmp_path / "x.gguf", tmp_path / "log", server_module="no_such_mod")
    try:
        started = time.perf_counter()
        with pytest.raises(ModelServerDown, match="exited while starting"):
            ask(LocalServerChat(server=server), "سؤال")
        assert time.perf_counter() - started < 5
        assert "No module named" in (tmp_path / "log").read_text()
    finally:
        server.close()


def test_concurrent_questions_queue_and_all_complete(server: LlamaServer) -> None:
    model = LocalServerChat(server=server)
    questions = [f"سؤال رقم {i} من أربعة" for i in range(4)]
    answers: dict[int, str | BaseException] = {}

    def one(i: int) -> None:
        try:
            answers[i] = ask(model, questions[i])
        except BaseException as exc:
            answers[i] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert answers == dict(enumerate(questions))


def test_close_stops_the_child(server: LlamaServer) -> None:
    ask(LocalServerChat(server=server), "مرحبا")
    pid = server.pid
    assert pid is not None and alive(pid)
    server.close()
    assert not alive(pid)
    with pytest.raises(LLMError, match="shut down"):
        ask(LocalServerChat(server=server), "مرحبا")


CHILD = """
import sys, time
from pathlib import Path
from qa.config import LLMSettings
from qa.llm import stream_text
from qa.llm.llamacpp_server import LlamaServer, LocalServerChat
from langchain_core.messages import HumanMessage
tmp = Path(sys.argv[1])
server = LlamaServer(LLMSettings(backend="llamacpp"), tmp / "m.gguf", tmp / "log",
                     server_module="tests.qa.fake_llama_server")
print("".join(stream_text(LocalServerChat(server=server), [HumanMessage(content="ok")], 20)))
print(server.pid, flush=True)
time.sleep(600)
"""


def test_the_child_dies_with_a_killed_akhbar(tmp_path: Path, fake_env: None) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(tmp_path)], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    try:
        assert parent.stdout is not None
        assert parent.stdout.readline().strip() == "ok"
        child = int(parent.stdout.readline())
        assert alive(child)
        parent.send_signal(signal.SIGKILL)  # no atexit, no clean-up code runs
        parent.wait(10)
        deadline = time.monotonic() + 10
        while alive(child) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(child)
    finally:
        parent.kill()
        parent.wait()
