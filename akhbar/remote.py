"""A one-shot `akhbar ask` answered by a running `akhbar serve` of the same index and settings.

`akhbar serve` has the model and the index loaded; a new `akhbar ask` process would spend seconds
loading them again. While it serves, `serve` keeps a small file under the data folder's `run/`,
named by a fingerprint of every setting that shapes an answer (the index folder, store, model,
retrieval, answer and LLM settings; not the page's own), holding its address and process id.
`ask` computes the same fingerprint from its own settings; when such a server is up, has no login,
and answers, the question goes to its `/ask` endpoint over plain HTTP (no Gradio client is
imported) and the answer is the one the server's engine gave: the same engine, settings and live
index as a local answer would use. Anything else (no server, a stale file, a refused or broken
connection, a server-side failure) leaves the question to be answered in the process.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from akhbar.settings import DATA_DIR, Settings

log = logging.getLogger(__name__)

RUN_DIR = DATA_DIR / "run"
API_PATH = "/gradio_api/call/ask"
CONNECT_TIMEOUT = 2.0
"""Seconds to wait for the server to take the question (it is on this machine)."""
ANSWER_TIMEOUT = 600.0
"""Seconds without a byte from the server before giving up on it (Gradio sends heartbeats)."""


class RemoteUnavailable(Exception):
    """The running server could not answer; the caller answers in its own process."""


@dataclass(frozen=True)
class Server:
    """A running `akhbar serve`, as its file under `run/` describes it."""

    url: str
    pid: int
    login: bool
    path: Path


def fingerprint(settings: Settings) -> str:
    """A short hash of every setting that shapes an answer (the page's own settings excluded).

    Args:
        settings: The settings tree.

    Returns:
        16 hex digits; equal for two processes that would give the same answers.
    """
    data = settings.model_dump(exclude={"server"})
    data["index_dir"] = str(Path(settings.index_dir).expanduser().resolve())

    def plain(value: Any) -> Any:
        if isinstance(value, SecretStr):  # hashed with the rest, never written anywhere
            return value.get_secret_value()
        return str(value)

    text = json.dumps(data, sort_keys=True, default=plain, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def server_file(settings: Settings, run_dir: Path | None = None) -> Path:
    """Where a server with these settings describes itself."""
    return (run_dir or RUN_DIR) / f"serve-{fingerprint(settings)}.json"


def _local_url(host: str, port: int) -> str:
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


def announce(
    settings: Settings, host: str, port: int, login: bool, run_dir: Path | None = None
) -> Path | None:
    """Tell `ask` that this process serves these settings (call once it listens).

    Args:
        settings: The server's settings.
        host: Address it listens on.
        port: Port it listens on.
        login: Whether the page asks for a login (then `ask` does not use it).
        run_dir: Folder of server files (default: the data folder's `run/`).

    Returns:
        The file written (give it to `withdraw` on exit), or None if it could not be written.
    """
    path = server_file(settings, run_dir)
    record = {"url": _local_url(host, port), "pid": os.getpid(), "login": login}
    tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(record), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:  # only a speed-up: serving goes on without it
        log.warning("cannot write %s (%s): `akhbar ask` will not reuse this server", path, exc)
        return None
    return path


def withdraw(path: Path | None) -> None:
    """Remove this process's server file (left alone if another server has replaced it)."""
    if path is None:
        return
    current = _read(path)
    if current is not None and current.pid == os.getpid():
        path.unlink(missing_ok=True)


def _read(path: Path) -> Server | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Server(str(data["url"]), int(data["pid"]), bool(data["login"]), path)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def find_server(settings: Settings, run_dir: Path | None = None) -> Server | None:
    """The running server with the same answer settings, if there is one to ask.

    Args:
        settings: This process's settings.
        run_dir: Folder of server files (default: the data folder's `run/`).

    Returns:
        The server, or None (none announced, its process is gone, or it asks for a login).
    """
    path = server_file(settings, run_dir)
    server = _read(path)
    if server is None:
        return None
    if not _alive(server.pid):
        log.info("removing the stale server file %s (process %d is gone)", path, server.pid)
        path.unlink(missing_ok=True)
        return None
    if server.login:
        log.info("the running server at %s asks for a login: answering here", server.url)
        return None
    return server


def ask_server(server: Server, question: str, history: Sequence[Any] = ()) -> dict[str, Any]:
    """Ask a running server's `/ask` endpoint.

    Args:
        server: The server.
        question: A question that has passed `qa.question.validate`.
        history: Earlier turns, as `akhbar ask --batch` takes them.

    Returns:
        The answer JSON, as `akhbar ask --json` prints it.

    Raises:
        RemoteUnavailable: The server did not answer (unreachable, failed, or replied oddly).
    """
    body = json.dumps({"data": [question, json.dumps(list(history), ensure_ascii=False)]})
    request = urllib.request.Request(
        server.url + API_PATH,
        data=body.encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=CONNECT_TIMEOUT) as response:
            event_id = json.loads(response.read())["event_id"]
        url = f"{server.url}{API_PATH}/{event_id}"
        with urllib.request.urlopen(url, timeout=ANSWER_TIMEOUT) as response:
            return _complete(response)
    except (OSError, ValueError, KeyError, TypeError) as exc:  # URLError is an OSError
        raise RemoteUnavailable(f"{server.url}: {exc}") from exc


def _complete(lines: Any) -> dict[str, Any]:
    """Read Gradio's event stream up to the `complete` event; its data is `[answer JSON]`."""
    event = ""
    for raw in lines:
        line = raw.decode("utf-8").rstrip("\r\n")
        if line.startswith("event:"):
            event = line.partition(":")[2].strip()
        elif line.startswith("data:") and event in ("complete", "error"):
            data = json.loads(line.partition(":")[2])
            if event == "error":
                raise RemoteUnavailable(f"the server failed: {data}")
            if not (isinstance(data, list) and data and isinstance(data[0], dict)):
                raise RemoteUnavailable(f"unexpected reply: {str(data)[:200]}")
            return data[0]  # type: ignore[no-any-return]
    raise RemoteUnavailable("the server closed the stream without an answer")
