"""The `llamacpp` backend: llama-cpp-python's own server in a child process, watched and restarted."""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict

from qa.config import LLMSettings
from qa.errors import LLMError, ModelServerDown
from qa.llm.openai_backend import make_openai_chat

log = logging.getLogger(__name__)

MODEL_ALIAS = "akhbar-local"
LOG_ROTATE_BYTES = 20 << 20

# Run in the child before llama_cpp.server: die with the thread that started us (the supervisor),
# and quit at once if akhbar is already gone.
_BOOTSTRAP = """\
import ctypes, os, runpy, signal, sys
ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
if os.getppid() != int(os.environ.pop("AKHBAR_PARENT_PID", "0")):
    sys.exit(0)
module = sys.argv.pop(1)
runpy.run_module(module, run_name="__main__", alter_sys=True)
"""

_SERVERS: weakref.WeakSet[LlamaServer] = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:
    """Stop every local model server this process started."""
    for server in list(_SERVERS):
        server.close()


def describe_exit(returncode: int) -> str:
    """A process's exit status in words ("killed by SIGSEGV", "exit code 1")."""
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exit code {returncode}"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


class LlamaServer:
    """Runs, watches and restarts `python -m llama_cpp.server` for one GGUF file.

    A native crash (segfault, abort) or a hang in llama.cpp costs one answer, never akhbar: the
    model runs in the child on a free loopback port, reached through the `openai` backend
    (ChatOpenAI); nothing of llama_cpp is imported in this process. The supervisor thread starts
    it on first use, waits until it answers, watches it, and restarts it when it dies or hangs
    (sends nothing for `hang_s` while a question waits, without using the CPU). While it is down,
    `client()` fails fast with `ModelServerDown` (the chain falls back to the extractive answer).
    The server handles one request at a time (its model lock) and is started with
    `--interrupt_requests false`, so concurrent questions queue instead of cutting each other's
    answers short. The child dies with akhbar: `atexit` stops it, and the kernel kills it
    (PR_SET_PDEATHSIG, tied to the supervisor thread that starts every child) if akhbar is killed.

    Cheap to construct; the child starts on the first `client()` call.
    """

    def __init__(
        self,
        settings: LLMSettings,
        model_path: Path,
        log_path: Path,
        server_module: str = "llama_cpp.server",
    ) -> None:
        """Remember the setup (nothing is started here).

        Args:
            settings: The `llm` settings group (context, threads, timeouts, sampling).
            model_path: The GGUF file.
            log_path: Where the server's output goes (appended to; rotated past 20 MB).
            server_module: The module run as the server (tests use a stand-in).
        """
        self.settings = settings
        self.server_module = server_module
        self.model_path = model_path
        self.log_path = log_path
        self.restarts = 0
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._state = "stopped"  # stopped | starting | ready | down | closed
        self._reason = ""
        self._incarnation = 0
        self._client: BaseChatModel | None = None
        self._api_key = secrets.token_urlsafe(24)
        self._attempts_done = 0
        self._ended: dict[int, str] = {}  # why each incarnation stopped
        self._active = 0
        self._last_progress = 0.0
        _SERVERS.add(self)

    # --- what requests use ----------------------------------------------------------------

    @property
    def state(self) -> str:
        """`stopped`, `starting`, `ready`, `down` (restarting soon) or `closed`."""
        return self._state

    @property
    def reason(self) -> str:
        """Why the server is not ready (empty when it is)."""
        return self._reason

    @property
    def pid(self) -> int | None:
        """The child's process id while one runs."""
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    @property
    def active(self) -> int:
        """Requests now waiting on the server."""
        return self._active

    def client(self) -> tuple[BaseChatModel, int]:
        """The chat model of the running server, starting it on first use.

        The first call waits (up to `start_timeout_s`) for the model to load; later calls never
        wait: while the server is down or restarting they fail at once.

        Returns:
            The ChatOpenAI client and the server's incarnation number.

        Raises:
            ModelServerDown: The server is not (yet, or no longer) ready.
        """
        with self._cond:
            if self._state == "closed":
                raise ModelServerDown("the local model server was shut down")
            if self._thread is None:
                self._state = "starting"
                self._reason = "the local model server is starting"
                self._thread = threading.Thread(
                    target=self._supervise, name="akhbar-llm-supervisor", daemon=True
                )
                self._thread.start()
            if self._attempts_done == 0:
                self._cond.wait_for(
                    lambda: self._attempts_done > 0 or self._state == "closed",
                    timeout=self.settings.start_timeout_s + 10,
                )
            proc = self._proc
            if self._state == "ready" and proc is not None and proc.poll() is not None:
                # Died a moment ago; the supervisor is about to notice and restart it.
                raise ModelServerDown(
                    f"the local model process died ({describe_exit(proc.returncode)}); "
                    "restarting it"
                )
            if self._state != "ready" or self._client is None:
                raise ModelServerDown(self._reason or f"the local model server is {self._state}")
            return self._client, self._incarnation

    def wait_ready(self, timeout_s: float) -> bool:
        """Wait until the server answers (starting it if needed); whether it does.

        Args:
            timeout_s: Longest wait.

        Returns:
            True when it is ready.
        """
        with contextlib.suppress(ModelServerDown):
            self.client()
        with self._cond:
            return self._cond.wait_for(self._ready_or_closed, timeout_s) and self._state == "ready"

    def _ready_or_closed(self) -> bool:
        proc = self._proc
        alive = proc is not None and proc.poll() is None and self._incarnation not in self._ended
        return (self._state == "ready" and alive) or self._state == "closed"

    @contextlib.contextmanager
    def request(self) -> Iterator[Any]:
        """Count a request as waiting on the server while the block runs (for hang detection).

        Yields:
            A function to call whenever the server sends something.
        """
        with self._cond:
            if self._active == 0:
                self._last_progress = time.monotonic()
            self._active += 1

        def progress() -> None:
            self._last_progress = time.monotonic()

        try:
            yield progress
        finally:
            with self._cond:
                self._active -= 1
                self._last_progress = time.monotonic()

    def failure(self, incarnation: int, exc: BaseException) -> LLMError:
        """The error to raise for a request that broke: a dead server says so, with how it died.

        Args:
            incarnation: The server the request went to.
            exc: What the client raised.

        Returns:
            `ModelServerDown` if that server died or was killed, else a plain `LLMError`.
        """
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            with self._cond:
                ended = self._ended.get(incarnation)
                proc = self._proc if self._incarnation == incarnation else None
            if ended is None and proc is not None and proc.poll() is not None:
                ended = f"the local model process died ({describe_exit(proc.returncode)})"
            if ended is not None:
                return ModelServerDown(f"{ended} during the answer")
            time.sleep(0.05)
        return LLMError(f"the local model server failed: {type(exc).__name__}: {exc}")

    def close(self) -> None:
        """Stop the supervisor and the child (SIGTERM, then SIGKILL after 5 s)."""
        with self._cond:
            if self._state == "closed":
                return
            self._state = "closed"
            self._reason = "the local model server was shut down"
            proc = self._proc
            self._cond.notify_all()
        if proc is not None:
            _stop(proc)

    # --- the supervisor thread --------------------------------------------------------------

    def _supervise(self) -> None:
        failures = 0
        try:
            while not self._closed():
                started = time.monotonic()
                reason = self._run_once()
                if reason is None:
                    return
                with self._cond:
                    self._attempts_done += 1
                    if self._state == "closed":
                        return
                    if self._state == "ready" or self._incarnation in self._ended:
                        self._ended.setdefault(self._incarnation, reason)
                    self._state = "down"
                    self._reason = reason
                    self._client = None
                    self._cond.notify_all()
                failures = failures + 1 if time.monotonic() - started < 60 else 1
                delay = 0.0 if failures <= 1 else min(60.0, 2.0 ** (failures - 1))
                log.error(
                    "%s; restarting it%s (log: %s)",
                    reason,
                    f" in {delay:g} s" if delay else "",
                    self.log_path,
                )
                with self._cond:
                    if delay:
                        self._cond.wait_for(lambda: self._state == "closed", timeout=delay)
                    if self._state == "closed":
                        return
                    self._state = "starting"
                    self._reason = f"the local model server is restarting ({reason})"
                self.restarts += 1
        except Exception:  # the supervisor must never die silently
            log.exception("the local model supervisor failed")
            with self._cond:
                self._state = "down"
                self._reason = "the local model supervisor failed (see the log)"
                self._attempts_done += 1
                self._cond.notify_all()

    def _closed(self) -> bool:
        with self._cond:
            return self._state == "closed"

    def _run_once(self) -> str | None:
        """Start a child, wait until it answers, watch it; why it stopped (None: closed)."""
        port = _free_port()
        proc, log_file = self._spawn(port)
        try:
            with self._cond:
                if self._state == "closed":
                    return None
                self._proc = proc
            base_url = f"http://127.0.0.1:{port}/v1"
            reason = self._wait_ready(proc, base_url)
            if reason is not None:
                return reason
            client = make_openai_chat(
                self.settings,
                base_url=base_url,
                model=MODEL_ALIAS,
                # The supervisor decides when the server hangs; the answer's own deadline
                # (`timeout_s`) is kept by `stream_text`.
                timeout_s=max(self.settings.timeout_s, 3 * self.settings.hang_s) + 30,
                api_key=self._api_key,
            )
            with self._cond:
                if self._state == "closed":
                    return None
                self._incarnation += 1
                self._client = client
                self._state = "ready"
                self._reason = ""
                self._attempts_done += 1
                self._cond.notify_all()
            log.info("local model server ready on %s (pid %d)", base_url, proc.pid)
            return self._watch(proc)
        finally:
            if proc.poll() is None and self._closed():
                _stop(proc)
            log_file.close()

    def _spawn(self, port: int) -> tuple[subprocess.Popen[bytes], IO[bytes]]:
        threads = self.settings.threads or os.cpu_count() or 1
        args = [
            "--model",
            str(self.model_path),
            "--model_alias",
            MODEL_ALIAS,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            str(self.settings.n_ctx),
            "--n_threads",
            str(threads),
            "--n_threads_batch",
            str(threads),
            # Queue concurrent requests instead of cutting the running answer short.
            "--interrupt_requests",
            "false",
            # llama.cpp's own logging is per token; the log keeps requests, errors and tracebacks.
            "--verbose",
            "false",
        ]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(OSError):
            if self.log_path.stat().st_size > LOG_ROTATE_BYTES:
                os.replace(self.log_path, self.log_path.with_name(self.log_path.name + ".1"))
        log_file = self.log_path.open("ab")
        log_file.write(f"\n--- akhbar: starting the local model server on port {port}\n".encode())
        log_file.flush()
        env = {
            **os.environ,
            "AKHBAR_PARENT_PID": str(os.getpid()),
            "API_KEY": self._api_key,  # read by llama_cpp.server's settings; not on the command line
            "PYTHONUNBUFFERED": "1",
            "PYTHONFAULTHANDLER": "1",  # a native crash leaves its Python stack in the log
        }
        proc = subprocess.Popen(
            [sys.executable, "-c", _BOOTSTRAP, self.server_module, *args],
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,  # a terminal's Ctrl-C goes to akhbar, which stops the child
        )
        log.info("started the local model server (pid %d, port %d)", proc.pid, port)
        return proc, log_file

    def _wait_ready(self, proc: subprocess.Popen[bytes], base_url: str) -> str | None:
        deadline = time.monotonic() + self.settings.start_timeout_s
        request = urllib.request.Request(
            f"{base_url}/models", headers={"Authorization": f"Bearer {self._api_key}"}
        )
        while True:
            if self._closed():
                return None
            if proc.poll() is not None:
                return (
                    "the local model server exited while starting "
                    f"({describe_exit(proc.returncode)})"
                )
            try:
                with _NO_PROXY.open(request, timeout=2) as resp:
                    if resp.status == 200:
                        return None
            except (OSError, urllib.error.URLError):
                pass
            if time.monotonic() > deadline:
                _kill(proc)
                return (
                    "the local model server did not start within "
                    f"{self.settings.start_timeout_s:g} s"
                )
            time.sleep(0.25)

    def _watch(self, proc: subprocess.Popen[bytes]) -> str | None:
        """Block until the child dies or hangs (killing it then); why (None: closed).

        Hung: a question waits, nothing came for `hang_s`, and the child has used no CPU for
        `min(hang_s, 10)` s (deadlocked, stopped); or nothing came for `3 * hang_s` whatever it
        does (spinning). Busy reading a long prompt on a loaded machine is not a hang.
        """
        hang_s = self.settings.hang_s
        cpu = _cpu_seconds(proc.pid)
        cpu_moved = time.monotonic()
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._state == "closed", timeout=0.2)
                if self._state == "closed":
                    return None
                now = time.monotonic()
                silent = now - self._last_progress if self._active else 0.0
            if proc.poll() is not None:
                return f"the local model process died ({describe_exit(proc.returncode)})"
            used = _cpu_seconds(proc.pid)
            if used is None or cpu is None or used > cpu:
                cpu, cpu_moved = used, now
            idle = now - cpu_moved
            if (silent > hang_s and idle > min(hang_s, 10.0)) or silent > 3 * hang_s:
                reason = (
                    f"the local model server sent nothing for {silent:.0f} s while a question "
                    f"waited ({'idle' if idle > min(hang_s, 10.0) else 'spinning'}); killed it"
                )
                with self._cond:  # before the kill, so that the broken answer reads why
                    self._ended[self._incarnation] = reason
                    self._state = "down"
                    self._reason = reason
                _kill(proc)
                return reason


def _cpu_seconds(pid: int) -> float | None:
    """CPU time a process has used (user + system), from /proc; None where unreadable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _kill(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        proc.kill()
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=10)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        _kill(proc)


class LocalServerChat(BaseChatModel):
    """A LangChain chat model over the supervised local server (one `LlamaServer`).

    Each call takes the running server's ChatOpenAI client; a call made while the server is down
    raises `ModelServerDown` at once, and a call cut short by the server's death says how it died.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    server: LlamaServer

    @property
    def _llm_type(self) -> str:
        return "akhbar-llamacpp-server"

    @property
    def _identifying_params(self) -> dict[str, Any]:
        return {"model_path": str(self.server.model_path)}

    def warm_up(self) -> None:
        """Start the server (first call: wait for the model to load).

        Raises:
            ModelServerDown: It is down, restarting, or failed to start.
        """
        self.server.client()

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        client, incarnation = self.server.client()
        finished = False
        with self.server.request() as progress:
            try:
                for message in client.stream(messages, stop=stop, **kwargs):
                    progress()
                    finished = finished or bool(message.response_metadata.get("finish_reason"))
                    content = message.content if isinstance(message.content, str) else ""
                    if not content:
                        continue
                    chunk = ChatGenerationChunk(message=AIMessageChunk(content=content))
                    if run_manager is not None:
                        run_manager.on_llm_new_token(content, chunk=chunk)
                    yield chunk
                if not finished:  # the stream broke off without saying why it ended
                    raise ConnectionError("the answer's stream ended before its last chunk")
            except LLMError:
                raise
            except Exception as exc:
                raise self.server.failure(incarnation, exc) from exc

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = "".join(
            str(c.message.content) for c in self._stream(messages, stop, run_manager, **kwargs)
        )
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])


def default_log_path() -> Path:
    """`logs/llama-server.log` in akhbar's data dir."""
    from index.config import DATA_DIR

    return DATA_DIR / "logs" / "llama-server.log"


def make_llamacpp_chat(settings: LLMSettings) -> LocalServerChat:
    """The `llamacpp` backend: a chat model over a supervised local server (not started yet).

    Args:
        settings: The `llm` settings group.

    Returns:
        The chat model; its server starts on the first question.

    Raises:
        LLMError: The GGUF file or llama-cpp-python is missing (`make llm` installs both).
    """
    from qa.gguf import DEFAULT_GGUF

    path = settings.model_path or DEFAULT_GGUF
    if not path.is_file():
        raise LLMError(f"model file not found: {path} (run `make llm`)")
    if importlib.util.find_spec("llama_cpp") is None:
        raise LLMError("the llamacpp backend needs llama-cpp-python's server: run `make llm`")
    server = LlamaServer(settings, path, settings.server_log or default_log_path())
    return LocalServerChat(server=server)
