"""Hybrid search through the real model: every dev question finds its article in the top 3."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from qa.retriever import rrf

pytestmark = pytest.mark.slow


@pytest.fixture(params=["faiss", "postgres"])
def akhbar(request: pytest.FixtureRequest, akhbar: Any) -> Any:
    """Every test here runs over both stores: the FAISS folder and PostgreSQL + pgvector."""
    return akhbar if request.param == "faiss" else request.getfixturevalue("akhbar_pg")


def test_dev_questions_find_their_article_in_top3(
    akhbar: Any, seeds_dev: list[dict[str, Any]]
) -> None:
    from qa.question import analyse

    for item in seeds_dev:
        if item["doc"] is None:
            continue
        query = analyse(item["question"], [tuple(t) for t in item["history"]]).retrieval_query
        for mode in ("hybrid", "dense"):
            hits = akhbar.search(query, k=3, mode=mode)
            assert item["doc"] in {h.doc_id for h in hits}, (item["id"], mode)


def test_search_batch_json_shape(seeds_index: Any) -> None:
    lines = json.dumps({"id": "q1", "question": "معبر رفح"}) + "\n"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "akhbar.cli",
            "search",
            "--batch",
            "-",
            "--k",
            "4",
            "--index-dir",
            str(seeds_index),
        ],
        input=lines,
        capture_output=True,
        text=True,
        check=True,
    )
    (row,) = [json.loads(line) for line in proc.stdout.splitlines()]
    assert row["id"] == "q1" and len(row["hits"]) == 4
    hit = row["hits"][0]
    assert set(hit) >= {"doc_id", "chunk_id", "title", "text", "start", "end", "score"}
    scores = [h["score"] for h in row["hits"]]
    assert scores == sorted(scores, reverse=True)


def test_rrf_weights_and_ties() -> None:
    fused = rrf([[1, 2, 3], [3, 2]], [1.0, 1.0], k=1)
    assert [r for r, _ in fused] == [3, 2, 1]  # 3: 1/4 + 1/2, 2: 1/3 + 1/3, 1: 1/2
    only_dense = rrf([[1, 2], [2, 1]], [1.0, 0.0], k=60)
    assert [r for r, _ in only_dense] == [1, 2]
