"""The `akhbar` commands as a user runs them: a subprocess over the session's real seeds index."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from akhbar import remote
from akhbar.cli import SHUTDOWN_GRACE_S
from akhbar.report import metrics_table
from akhbar.settings import Settings, settings_table

from ..conftest import ROOT, SEEDS, free_port


def cli(*args: Any, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `python -m akhbar.cli ARGS` from the repository, capturing its output."""
    return subprocess.run(
        [sys.executable, "-m", "akhbar.cli", *map(str, args)],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


def one_line_error(proc: subprocess.CompletedProcess[str], *words: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("akhbar: error: "), proc.stderr
    assert "Traceback" not in proc.stderr
    for word in words:
        assert word in lines[0], lines[0]


def copy_index(seeds_index: Path, tmp_path: Path) -> Path:
    dest = tmp_path / "index"
    shutil.copytree(seeds_index, dest)
    return dest


def test_settings_lists_every_setting() -> None:
    proc = cli("settings")
    assert proc.returncode == 0, proc.stderr
    for env, default, description in settings_table():
        assert f"{env}\n    default: {default or '(empty)'}\n    {description}" in proc.stdout
    assert "AKHBAR_RETRIEVAL__K\n    default: 5" in proc.stdout


def test_metrics_table_orders_metrics_then_kinds() -> None:
    table = metrics_table(
        {
            "questions": 3,
            "recall@5": 2 / 3,
            "found_correct": 1.0,
            "correct": 2 / 3,
            "latency_p50_ms": 120.4,
            "by_kind": {
                "factoid": {"questions": 2, "correct": 1.0, "recall@5": 1.0, "must": 0.5},
                "followup": {"questions": 1, "correct": 0.0, "latency_p50_ms": 80.0},
            },
        }
    ).splitlines()
    assert table[:2] == ["| metric | value |", "|---|---|"]
    assert table[2:5] == [
        "| questions | 3 |",
        "| recall@5 | 0.667 |",
        "| found_correct | 1.000 |",
    ]
    head = table.index(
        "| kind | questions | correct | found right | must | recall@5 | ms p50 | ms p95 |"
    )
    # Kinds in the order given, then all; a metric a kind lacks is an empty cell.
    assert table[head + 2 :] == [
        "| factoid | 2 | 2/2 |  | 0.50 | 1.00 |  |  |",
        "| followup | 1 | 0/1 |  |  |  | 80 |  |",
        "| all | 3 | 2/3 | 1.00 |  | 0.67 | 120 |  |",
    ]


@pytest.mark.slow
def test_index_info_text_and_json(seeds_index: Path) -> None:
    proc = cli("index", "info", "--index-dir", seeds_index, "--json")
    assert proc.returncode == 0, proc.stderr
    info = json.loads(proc.stdout)
    names = {p.name for p in SEEDS.iterdir()}
    assert set(info["titles"]) == names and info["documents"] == len(names)
    assert info["chunks"] > info["documents"] and info["index_type"] == "flat"
    assert info["dim"] == 384 and info["size_bytes"] > 0
    assert info["index_dir"] == str(seeds_index)
    text = cli("index", "info", "--index-dir", seeds_index).stdout
    assert f"documents:  {len(names)}" in text and f"chunks:     {info['chunks']}" in text
    assert all(name in text for name in names)


@pytest.mark.slow
def test_index_verify_passes_then_names_the_damage(seeds_index: Path, tmp_path: Path) -> None:
    proc = cli("index", "verify", "--index-dir", seeds_index, "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["ok"] is True and report["documents"] == len(list(SEEDS.iterdir()))

    index = copy_index(seeds_index, tmp_path)
    chunks = index / (index / "CURRENT").read_text().strip() / "chunks.jsonl"
    rows = chunks.read_text(encoding="utf-8").splitlines()
    first = json.loads(rows[0])
    first["text"] = first["text"].replace(first["text"][:5], "xxxxx", 1)
    chunks.write_text("\n".join([json.dumps(first, ensure_ascii=False), *rows[1:]]) + "\n")
    one_line_error(cli("index", "verify", "--index-dir", index), first["chunk_id"], "--rebuild")


@pytest.mark.slow
def test_index_remove_drops_an_article_and_refuses_unknown_ids(
    seeds_index: Path, tmp_path: Path
) -> None:
    index = copy_index(seeds_index, tmp_path)
    doc = sorted(p.name for p in SEEDS.iterdir())[0]
    one_line_error(cli("index", "remove", "nothere.txt", "--index-dir", index), "nothere.txt")
    proc = cli("index", "remove", doc, "--index-dir", index, "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["removed"] == [doc] and summary["documents"] == len(list(SEEDS.iterdir())) - 1
    info = json.loads(cli("index", "info", "--index-dir", index, "--json").stdout)
    assert doc not in info["titles"] and info["chunks"] == summary["chunks"]


@pytest.mark.slow
def test_eval_on_an_index_and_on_a_squad_set(seeds_index: Path, tmp_path: Path) -> None:
    dev = ROOT.parent / "shared" / "eval" / "seeds_dev.jsonl"
    if not dev.exists():
        pytest.skip(f"{dev} not found")
    proc = cli("eval", dev, "--index-dir", seeds_index, "--limit", "1", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["set"] == "seeds_dev" and out["summary"]["questions"] == 1
    assert len(out["rows"]) == 1 and {"recall@5", "found_correct"} <= set(out["summary"])

    # A SQuAD set brings its passages: they are indexed into a temporary folder first.
    context = "افتتح معرض القاهرة الدولي للكتاب دورته الجديدة يوم الخميس بمشاركة ألف ناشر."
    squad = {
        "data": [
            {
                "title": "معرض الكتاب",
                "paragraphs": [
                    {
                        "context": context,
                        "qas": [
                            {
                                "id": "s1",
                                "question": "كم ناشراً شارك في معرض القاهرة للكتاب؟",
                                "answers": [{"text": "ألف ناشر", "answer_start": 60}],
                            }
                        ],
                    }
                ],
            }
        ]
    }
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(squad, ensure_ascii=False), encoding="utf-8")
    proc = cli("eval", path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("tiny: 1 questions\n| metric | value |")
    assert "| recall@1 | 1.000 |" in proc.stdout
    # The page highlights «ألف ناشر», the count asked for with what it counts: the gold.
    assert "| highlight_contains | 1.000 |" in proc.stdout
    assert "| highlight_f1 | 1.000 |" in proc.stdout
    one_line_error(cli("eval", tmp_path / "nothing.jsonl"))


@pytest.mark.slow
def start_serve(
    index_dir: Path, port: int, stderr: Any, ignore_sigint: bool = False
) -> subprocess.Popen[str]:
    """`akhbar serve` of an index on a port, without a login; its stdout piped."""
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "akhbar.cli",
            "serve",
            "--port",
            str(port),
            "--index-dir",
            index_dir,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        env={**os.environ, "AKHBAR_SERVER__AUTH": ""},
        preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
        if ignore_sigint
        else None,
    )


def test_serve_answers_on_the_page_and_stops_on_interrupt(
    seeds_index: Path, tmp_path: Path
) -> None:
    from gradio_client import Client

    port = free_port()
    errors = tmp_path / "serve.stderr"
    # As a shell script's `akhbar serve &` starts it: with SIGINT ignored.
    proc = start_serve(seeds_index, port, errors.open("w"), ignore_sigint=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == f"akhbar: serving on http://127.0.0.1:{port}", line
        page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30).read().decode()
        assert "أخبار" in page
        answer = Client(f"http://127.0.0.1:{port}/", verbose=False).predict(
            "من هو وزير الدفاع الإيطالي الذي التقى السيسي؟", "[]", api_name="/ask"
        )
        assert answer["found"] is True and answer["citations"]
        # A one-shot `ask` of the same index is answered by this server, as a local one would be.
        question = "من توسط في هدنة نوفمبر؟"
        announced = remote.server_file(Settings(index_dir=seeds_index))
        assert json.loads(announced.read_text())["pid"] == proc.pid
        via = cli("-v", "ask", question, "--json", "--index-dir", seeds_index)
        assert via.returncode == 0, via.stderr
        assert f"answered by the running akhbar serve at http://127.0.0.1:{port}" in via.stderr
        here = cli("-v", "ask", question, "--json", "--local", "--index-dir", seeds_index)
        assert here.returncode == 0 and "running akhbar serve" not in here.stderr, here.stderr
        served, local = json.loads(via.stdout), json.loads(here.stdout)
        assert served["found"] and served["answer"] == local["answer"]
        assert served["citations"] == local["citations"]
        text = cli("ask", question, "--index-dir", seeds_index)
        assert text.returncode == 0 and "[1]" in text.stdout and "【" in text.stdout, text.stderr
        one_line_error(cli("ask", "   ", "--index-dir", seeds_index), "empty")
        proc.send_signal(signal.SIGINT)
        # A stuck shutdown ends by itself within the grace period, its threads' stacks in stderr.
        assert proc.wait(timeout=SHUTDOWN_GRACE_S + 30) == 0, errors.read_text()[-4000:]
        assert not announced.exists()  # withdrawn on exit
        after = cli("-v", "ask", question, "--json", "--index-dir", seeds_index)
        assert after.returncode == 0 and "running akhbar serve" not in after.stderr, after.stderr
        assert json.loads(after.stdout)["answer"] == local["answer"]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    busy = free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", busy))
        s.listen()
        time.sleep(0.1)
        one_line_error(
            cli("serve", "--port", busy, "--index-dir", seeds_index), f"127.0.0.1:{busy}"
        )


def test_serve_stops_on_sigterm_and_withdraws_its_server_file(seeds_index: Path) -> None:
    port = free_port()
    proc = start_serve(seeds_index, port, subprocess.PIPE)
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith("akhbar: serving on")
        announced = remote.server_file(Settings(index_dir=seeds_index))
        assert json.loads(announced.read_text())["pid"] == proc.pid
        proc.terminate()
        _, err = proc.communicate(timeout=SHUTDOWN_GRACE_S + 30)
        assert proc.returncode == 0, err[-4000:]
        assert not announced.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.slow
def test_model_verify_and_build(tmp_path: Path) -> None:
    proc = cli("model", "verify")
    assert proc.returncode == 0 and proc.stdout.startswith("model folder intact: "), proc.stderr
    one_line_error(cli("model", "verify", "--dest", tmp_path / "none"), "akhbar model build")
    proc = cli("model", "build")  # already built by the install step: checked, not rebuilt
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("model ready and checked: ")
    assert "embedding backend on this machine: " in proc.stdout


@pytest.mark.slow
def test_index_built_with_openvino_finds_what_fp32_finds(
    seeds_dev: list[dict[str, Any]], tmp_path: Path
) -> None:
    from index.embedders.openvino_ir import openvino_available

    if not openvino_available():
        pytest.skip("the openvino package is not installed")

    def akhbar(*args: Any, backend: str = "auto", stdin: str | None = None) -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "akhbar.cli", *map(str, args)],
            cwd=ROOT,
            env={**os.environ, "AKHBAR_EMBEDDING__BACKEND": backend},
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
            timeout=600,
        )
        assert proc.returncode == 0, proc.stderr  # and no abort at exit
        assert "terminate called" not in proc.stderr
        return proc.stdout

    questions = "".join(
        json.dumps({"id": row["id"], "question": row["question"]}, ensure_ascii=False) + "\n"
        for row in seeds_dev
    )
    found: dict[str, dict[str, list[str]]] = {}
    for backend in ("fp32", "openvino"):
        index = tmp_path / backend
        akhbar("index", "build", SEEDS, "--index-dir", index, backend=backend)
        out = akhbar(
            *("search", "--batch", "-", "--json", "--k", "3", "--mode", "dense"),
            *("--index-dir", index),
            stdin=questions,
        )
        rows = [json.loads(line) for line in out.splitlines()]
        found[backend] = {r["id"]: [h["chunk_id"] for h in r["hits"]] for r in rows}
    assert len(found["fp32"]) == len(seeds_dev)
    first = {backend: {q: hits[:1] for q, hits in rows.items()} for backend, rows in found.items()}
    assert first["openvino"] == first["fp32"]  # the same best passage for every question
