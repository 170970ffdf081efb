"""Generated answers from the real local model (Qwen2.5-Coder-1.5B GGUF), served and in-process.

Needs `make llm` (llama-cpp-python and the assembled GGUF file). The wording of the model's
answers varies, so the tests check what must hold whatever it writes: the mode, the citation
check's verdict, the cited article, and that failures fall back to the extractive answer quickly.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from qa.citecheck import CitationChecker
from qa.gguf import DEFAULT_GGUF
from qa.retriever import Hit
from tests.conftest import free_port

pytestmark = pytest.mark.slow

GGUF = Path(os.environ.get("AKHBAR_LLM__MODEL_PATH") or DEFAULT_GGUF)
LLM_OPTIONS = {"max_tokens": 80, "timeout_s": 240.0, "threads": 2}


def _need_llm() -> None:
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        pytest.skip("llama-cpp-python is not installed (run `make llm`)")
    if not GGUF.is_file():
        pytest.skip(f"{GGUF} not found (run `make llm`)")


@pytest.fixture(scope="module")
def llm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama-cpp-python's OpenAI-compatible server on loopback; yields its base URL."""
    _need_llm()
    port = free_port()
    log_path = tmp_path_factory.mktemp("llm-server") / "server.log"
    log_file = log_path.open("w")  # a file, not a pipe: llama.cpp logs a lot while loading
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(GGUF),
            "--model_alias",
            "qwen2.5-coder-1.5b",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "2048",
            "--n_threads",
            "2",
        ],
        stdout=log_file,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited: {log_path.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{base}/models", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("llama_cpp.server did not start within 120 s")
            time.sleep(0.5)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log_file.close()


def llm_app(akhbar: Any, **llm: Any) -> Any:
    """An application over the session's seeds index with the given `llm` settings."""
    from akhbar.app import Akhbar

    settings = akhbar.settings.model_copy(deep=True)
    for key, value in {**LLM_OPTIONS, **llm}.items():
        setattr(settings.llm, key, value)
    return Akhbar(settings, embeddings=akhbar.embeddings)


def check_answer(app: Any, akhbar: Any, item: dict[str, Any]) -> Any:
    """Ask through `app` (streaming) and check what must hold whatever the model writes."""
    started = time.perf_counter()
    partials = list(app.stream(item["question"], item["history"]))
    final = partials[-1]
    seconds = time.perf_counter() - started
    print(f"{item['id']}: {final.mode} found={final.found} {seconds:.1f} s: {final.answer}")
    assert final.mode in ("generated", "fallback"), final
    if final.mode == "fallback":
        # The extractive answer, exactly, with its citations.
        extractive = akhbar.ask(item["question"], item["history"])
        assert final.answer == extractive.answer and final.found == extractive.found
        return final
    assert len(partials) > 1  # tokens were streamed
    assert final.check is not None
    if not final.found:
        assert final.citations == [] and "لا تذكر المصادر" in final.answer
        return final
    assert final.check["kept"] >= 1
    assert any(c.doc_id == item["doc"] for c in final.citations), final.citations
    # Every sentence left in the final answer is supported by the citation it now carries.
    hits = [
        Hit(c.doc_id, c.chunk_id, c.title, c.section, c.text, c.start, c.end, 1.0, i)
        for i, c in enumerate(final.citations)
    ]
    recheck = CitationChecker(app.engine._encode_units).check(
        final.answer, hits, idf=app.searcher.snapshot().lexical.idf
    )
    assert recheck.sentences and all(s.supported for s in recheck.sentences), recheck.summary()
    for c in final.citations:
        assert f"[{c.n}]" in final.answer
        assert c.answer_start is not None and c.answer_end is not None
        assert 0 <= c.answer_start < c.answer_end <= len(c.text)
    return final


def item(seeds_dev: list[dict[str, Any]], qid: str) -> dict[str, Any]:
    return next(q for q in seeds_dev if q["id"] == qid)


@pytest.mark.parametrize("qid", ["d02", "d01"])
def test_openai_compatible_server(
    llm_server: str, akhbar: Any, seeds_dev: list[dict[str, Any]], qid: str
) -> None:
    app = llm_app(akhbar, backend="openai", base_url=llm_server, model="qwen2.5-coder-1.5b")
    check_answer(app, akhbar, item(seeds_dev, qid))


def test_cli_streams_generated_answers(
    llm_server: str, seeds_index: Path, seeds_dev: list[dict[str, Any]]
) -> None:
    question = item(seeds_dev, "d02")["question"]  # asked above: the server reuses its prompt cache
    env = {
        **os.environ,
        "AKHBAR_LLM__BACKEND": "openai",
        "AKHBAR_LLM__BASE_URL": llm_server,
        "AKHBAR_LLM__MODEL": "qwen2.5-coder-1.5b",
        "AKHBAR_LLM__MAX_TOKENS": "80",
        "AKHBAR_LLM__TIMEOUT_S": "240",
    }
    base = [sys.executable, "-m", "akhbar.cli", "ask", question, "--index-dir", str(seeds_index)]
    plain = subprocess.run(base, env=env, capture_output=True, text=True, check=False)
    assert plain.returncode == 0, plain.stderr
    # Tokens as they came, then the citations (or the checked answer, or a refusal).
    assert "[1]" in plain.stdout or "لا تذكر المصادر" in plain.stdout, plain.stdout
    as_json = subprocess.run(
        [*base, "--json"], env=env, capture_output=True, text=True, check=False
    )
    assert as_json.returncode == 0, as_json.stderr
    answer = json.loads(as_json.stdout)
    assert answer["mode"] in ("generated", "fallback")
    assert bool(answer["citations"]) == answer["found"]


def test_llamacpp_in_process(akhbar: Any, seeds_dev: list[dict[str, Any]]) -> None:
    _need_llm()
    app = llm_app(akhbar, backend="llamacpp", model_path=GGUF)
    check_answer(app, akhbar, item(seeds_dev, "d06"))


def test_backend_down_falls_back_quickly(akhbar: Any, seeds_dev: list[dict[str, Any]]) -> None:
    closed = free_port()  # nothing listens there
    app = llm_app(akhbar, backend="openai", base_url=f"http://127.0.0.1:{closed}/v1", timeout_s=30)
    q = item(seeds_dev, "d02")
    started = time.perf_counter()
    final = app.ask(q["question"])
    assert time.perf_counter() - started < 10
    assert final.mode == "fallback" and final.answer == akhbar.ask(q["question"]).answer


def test_backend_that_hangs_times_out(akhbar: Any, seeds_dev: list[dict[str, Any]]) -> None:
    with socket.socket() as silent:  # accepts connections (backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        app = llm_app(akhbar, backend="openai", base_url=f"http://127.0.0.1:{port}/v1", timeout_s=2)
        q = item(seeds_dev, "d05")
        started = time.perf_counter()
        final = app.ask(q["question"])
        assert time.perf_counter() - started < 10
    assert final.mode == "fallback" and final.answer == akhbar.ask(q["question"]).answer
