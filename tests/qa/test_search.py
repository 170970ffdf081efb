"""Hybrid search through the real model: every dev question finds its article in the top 3."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from qa.retriever import rrf, score_fusion

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


def test_score_fusion_keeps_a_passage_far_ahead_by_its_words() -> None:
    # Row 9 leads BM25 by far but missed the dense list (rows 1-4; its closeness, computed for
    # it, is a little lower); rows 1-3 are in both lists with middling BM25 scores. Rank fusion
    # puts the rows found by both first; fusing the scores keeps row 9's lead.
    dense = {1: 0.86, 2: 0.85, 3: 0.84, 4: 0.79, 9: 0.83}
    lexical = {9: 10.4, 1: 5.6, 2: 5.2, 3: 5.1}
    by_rank = rrf([[1, 2, 3, 4], [9, 1, 2, 3]], [0.7, 1.0], k=60)
    assert by_rank[0][0] != 9
    fused = score_fusion(dense, lexical, dense_weight=0.4)
    assert fused[0][0] == 9
    assert [s for _, s in fused] == sorted((s for _, s in fused), reverse=True)
    # The weight moves the balance: all dense, the closest passage wins.
    assert score_fusion(dense, lexical, dense_weight=1.0)[0][0] == 1
    # A passage BM25 did not find counts 0 for its words; nothing in, nothing out.
    assert dict(score_fusion({1: 0.9, 2: 0.5}, {2: 3.0}, 0.5))[1] == 0.5
    assert score_fusion({}, {}, 0.4) == []
