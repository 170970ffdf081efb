"""The answering chain through the real model and index (seeds), plus bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from index.arabic import normalize
from qa.question import QuestionError

pytestmark = pytest.mark.slow


@pytest.fixture(params=["faiss", "postgres"])
def akhbar(request: pytest.FixtureRequest, akhbar: Any) -> Any:
    """Every test here runs over both stores: the FAISS folder and PostgreSQL + pgvector."""
    return akhbar if request.param == "faiss" else request.getfixturevalue("akhbar_pg")


def holds_must(answer: str, must: list[list[str]]) -> bool:
    text = normalize(answer)
    return all(any(normalize(alt) in text for alt in group) for group in must)


@pytest.mark.parametrize("qid", [f"d{i:02d}" for i in range(1, 11)])
def test_seeds_dev_question(akhbar: Any, seeds_dev: list[dict[str, Any]], qid: str) -> None:
    item = next(q for q in seeds_dev if q["id"] == qid)
    answer = akhbar.ask(item["question"], item["history"])
    assert answer.found == item["answerable"], answer.answer
    if not item["answerable"]:
        assert answer.citations == []
        assert "لا تذكر المصادر" in answer.answer
        return
    assert holds_must(answer.answer, item["must"]), answer.answer
    assert any(c.doc_id == item["doc"] for c in answer.citations)
    for c in answer.citations:
        # The citation is the stored passage, and the marked span lies inside it.
        assert c.answer_start is not None and c.answer_end is not None
        assert 0 <= c.answer_start < c.answer_end <= len(c.text)
        article = akhbar.searcher.snapshot().docs[c.doc_id]["text"]
        assert article[c.start : c.end] == c.text
        assert f"[{c.n}]" in answer.answer


def test_answer_span_is_tight_for_counts(akhbar: Any) -> None:
    answer = akhbar.ask("كم عدد المحتجزين الذين أطلق سراحهم خلال الهدنة الأولى؟")
    c = answer.citations[0]
    assert c.text[c.answer_start : c.answer_end] == "105"
    # The short answer shown first is that span; a question with no typed answer has none.
    assert answer.short_answer == "105"
    assert answer.to_json()["short_answer"] == "105"
    untyped = akhbar.ask("هل أغلق معبر رفح؟")
    assert untyped.found and untyped.short_answer == ""


@pytest.mark.parametrize(
    ("question", "history", "message"),
    [
        ("", [], "empty"),
        ("   \n\t ", [], "empty"),
        ("؟؟؟ !!! 🙂🙂", [], "no words"),
        ("س" * 2001, [], "too long"),
        ("من توسط؟", [["only one"]], "pair"),
        ("من توسط؟", "not a list", "pairs"),
    ],
)
def test_bad_questions_get_clear_messages(
    akhbar: Any, question: str, history: Any, message: str
) -> None:
    with pytest.raises(QuestionError, match=message):
        akhbar.ask(question, history)


def test_chain_is_a_langchain_runnable(akhbar: Any) -> None:
    from langchain_core.runnables import Runnable

    chain = akhbar.engine.chain
    assert isinstance(chain, Runnable)
    final = chain.invoke({"question": "كم عدد الدول التي تعترف بدولة فلسطين؟", "history": []})
    assert "148" in final.answer
    pieces = list(chain.stream({"question": "كم عدد الدول التي تعترف بدولة فلسطين؟"}))
    assert len(pieces) > 1 and pieces[-1].answer == final.answer


def test_retriever_is_a_langchain_retriever(akhbar: Any) -> None:
    from langchain_core.retrievers import BaseRetriever

    from qa.retriever import HybridRetriever

    retriever = HybridRetriever(searcher=akhbar.searcher, k=3)
    assert isinstance(retriever, BaseRetriever)
    docs = retriever.invoke("من هو وزير الدفاع الإيطالي الذي التقى السيسي؟")
    assert len(docs) == 3
    assert docs[0].metadata["doc_id"] == "004_b11fdc9a7b87af75.txt"


def test_cli_ask_batch_json(seeds_index: Any, seeds_dev: list[dict[str, Any]]) -> None:
    lines = "\n".join(json.dumps(q, ensure_ascii=False) for q in seeds_dev[:3]) + "\n"
    lines += json.dumps({"id": "bad", "question": "  "}) + "\n"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "akhbar.cli",
            "ask",
            "--batch",
            "-",
            "--index-dir",
            str(seeds_index),
        ],
        input=lines,
        capture_output=True,
        text=True,
        check=True,
    )
    out = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [o["id"] for o in out] == ["d01", "d02", "d03", "bad"]
    first = out[0]
    assert set(first) >= {"id", "answer", "found", "citations", "mode"}
    cite = first["citations"][0]
    assert set(cite) >= {
        "n",
        "doc_id",
        "chunk_id",
        "title",
        "text",
        "start",
        "end",
        "answer_start",
        "answer_end",
    }
    assert "error" in out[3] and "empty" in out[3]["error"]


def test_cli_errors_are_one_line(tmp_path: Any) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "akhbar.cli", "ask", "سؤال", "--index-dir", str(tmp_path / "none")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "akhbar index build" in proc.stderr
