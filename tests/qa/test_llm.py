"""Generated answers from the real local model (Qwen2.5-Coder-1.5B GGUF) in its supervised server.

Needs `make llm` (llama-cpp-python built portably, and the assembled GGUF file). akhbar runs the
model in llama-cpp-python's OpenAI-compatible server as a child process; these tests answer
through it, kill it in the middle of an answer (the answer falls back, the page stays up, the next
question is generated again), and ask four questions at once. The wording of the model's answers
varies, so the tests check what must hold whatever it writes: the mode, the citation check's
verdict, the cited article, and that failures fall back to the extractive answer.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from qa.citecheck import CitationChecker
from qa.gguf import DEFAULT_GGUF
from qa.retriever import Hit
from tests.conftest import free_port, serving

# Slow: the real model. The generous per-test limit is for a loaded 2-core machine, where four
# queued answers take minutes (an idle one answers each in 3-10 s).
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]

GGUF = Path(os.environ.get("AKHBAR_LLM__MODEL_PATH") or DEFAULT_GGUF)
LLM_OPTIONS = {"max_tokens": 80, "timeout_s": 240.0, "threads": 2}


def _need_llm() -> None:
    import importlib.util

    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed (run `make llm`)")
    if not GGUF.is_file():
        pytest.skip(f"{GGUF} not found (run `make llm`)")


@pytest.fixture(scope="module")
def local_app(akhbar: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The application with the `llamacpp` backend: the model in its supervised server."""
    _need_llm()
    log = tmp_path_factory.mktemp("llm-server") / "server.log"
    # A generous deadline: on a loaded 2-core machine four queued answers take minutes, and
    # what these tests check is what happens, not how fast (see bench/llm.py for that).
    app = llm_app(akhbar, backend="llamacpp", model_path=GGUF, server_log=log, timeout_s=900.0)
    server = app.engine.chat_model.server
    assert server.wait_ready(300), log.read_text()[-3000:]
    yield app
    server.close()


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
    print(
        f"{item['id']}: {final.mode} found={final.found} {seconds:.1f} s: {final.answer} {final.reason}"
    )
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


def test_local_model_answers_out_of_process(
    local_app: Any, akhbar: Any, seeds_dev: list[dict[str, Any]]
) -> None:
    check_answer(local_app, akhbar, item(seeds_dev, "d06"))
    server = local_app.engine.chat_model.server
    assert server.pid is not None and server.pid != os.getpid()
    assert "llama_cpp" not in sys.modules  # nothing native runs in akhbar's own process


def test_openai_backend_against_the_same_server(
    local_app: Any, akhbar: Any, seeds_dev: list[dict[str, Any]]
) -> None:
    """The plain `openai` backend, pointed at the running llama-cpp-python server."""
    server = local_app.engine.chat_model.server
    client, _ = server.client()
    app = llm_app(
        akhbar,
        backend="openai",
        base_url=str(client.openai_api_base),
        model=client.model_name,
        api_key=client.openai_api_key,
    )
    check_answer(app, akhbar, item(seeds_dev, "d02"))


def test_killed_model_costs_one_answer_and_the_page_stays_up(
    local_app: Any, akhbar: Any, seeds_dev: list[dict[str, Any]]
) -> None:
    from gradio_client import Client

    server = local_app.engine.chat_model.server
    # A question no other test asks, so the server holds no cached prompt for it.
    question = item(seeds_dev, "d07")["question"]
    extractive = akhbar.ask(question)
    assert server.wait_ready(300)
    with serving(local_app) as url:
        client = Client(url, verbose=False)
        victim = server.pid
        assert victim is not None
        job = client.submit(question, "[]", api_name="/ask")
        deadline = time.monotonic() + 120
        while server.active == 0 and time.monotonic() < deadline:  # the model is on it
            time.sleep(0.01)
        assert server.active > 0
        # Freeze the model mid-answer (a fast machine could finish a short answer before a
        # plain kill lands), then crash it the way a native fault does.
        os.kill(victim, signal.SIGSTOP)
        os.kill(victim, signal.SIGSEGV)  # what a native crash does; delivered on SIGCONT
        os.kill(victim, signal.SIGCONT)
        answer = job.result(timeout=120)
        assert answer["mode"] == "fallback", answer
        assert "SIGSEGV" in answer["reason"] and "during the answer" in answer["reason"]
        assert answer["answer"] == extractive.answer and answer["found"] == extractive.found
        # The page is still up; while the model restarts, questions are answered extractively.
        during = client.predict(question, "[]", api_name="/ask")
        assert during["mode"] in ("fallback", "generated") and during["answer"]
        assert server.wait_ready(300)
        assert server.restarts >= 1 and server.pid not in (None, victim)
        after = client.predict(question, "[]", api_name="/ask")
        # Generated again: the model wrote an answer and the citation check read it.
        assert after["check"] is not None, after
        assert after["mode"] in ("generated", "fallback") and "SIG" not in after["reason"]


def test_four_questions_at_once(
    local_app: Any, akhbar: Any, seeds_dev: list[dict[str, Any]]
) -> None:
    """Four page users at once: the server queues them; each gets its own whole answer."""
    from gradio_client import Client

    items = [item(seeds_dev, qid) for qid in ("d01", "d02", "d04", "d06")]
    assert local_app.engine.chat_model.server.wait_ready(300)
    with serving(local_app, concurrency=4) as url:

        def ask(q: dict[str, Any]) -> dict[str, Any]:
            out: dict[str, Any] = Client(url, verbose=False).predict(
                q["question"], "[]", api_name="/ask"
            )
            return out

        with ThreadPoolExecutor(4) as pool:
            answers = list(pool.map(ask, items))
    for q, answer in zip(items, answers, strict=True):
        assert answer["question"] == q["question"]
        assert answer["mode"] in ("generated", "fallback"), answer
        assert answer["check"] is not None, answer  # the model answered (no timeout, no crash)
        assert bool(answer["citations"]) == answer["found"]
        for c in answer["citations"]:
            assert 0 <= c["answer_start"] < c["answer_end"] <= len(c["text"])
        if answer["found"]:
            assert any(c["doc_id"] == q["doc"] for c in answer["citations"]), answer


def test_cli_answers_with_the_local_model(
    seeds_index: Path, seeds_dev: list[dict[str, Any]]
) -> None:
    _need_llm()
    question = "من هو وزير الدفاع الإيطالي الذي التقى السيسي؟"
    env = {
        **os.environ,
        "AKHBAR_LLM__BACKEND": "llamacpp",
        "AKHBAR_LLM__MODEL_PATH": str(GGUF),
        "AKHBAR_LLM__MAX_TOKENS": "80",
        "AKHBAR_LLM__TIMEOUT_S": "240",
        "AKHBAR_LLM__THREADS": "2",
    }
    base = [sys.executable, "-m", "akhbar.cli", "ask", question, "--index-dir", str(seeds_index)]
    as_json = subprocess.run(
        [*base, "--json"], env=env, capture_output=True, text=True, check=False, timeout=600
    )
    assert as_json.returncode == 0, as_json.stderr
    answer = json.loads(as_json.stdout)
    assert answer["mode"] in ("generated", "fallback"), answer
    assert answer["found"] and any("كروسيتو" in c["text"] for c in answer["citations"])
    if answer["mode"] == "fallback":
        assert answer["reason"]


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
