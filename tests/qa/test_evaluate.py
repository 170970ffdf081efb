"""Metric code on small hand-made cases with exact numbers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.evaluate import (
    EvalItem,
    Row,
    contains,
    exact_match,
    f1,
    load_eval_set,
    mrr_at,
    must_match,
    percentile,
    recall_at,
    score_row,
    summarise,
)


def test_exact_match_and_f1_normalise_arabic() -> None:
    assert exact_match("القاهرة.", ["القاهره"]) == 1.0
    assert exact_match("في القاهرة", ["القاهرة"]) == 0.0
    # prediction 3 tokens, gold 2, 2 shared: P=2/3, R=1 → F1 = 0.8
    assert f1("مدينة القاهرة الكبرى", ["مدينة القاهرة"]) == pytest.approx(0.8)
    assert f1("لا شيء", ["القاهرة"]) == 0.0


def test_contains_and_must() -> None:
    assert contains("وساطة مصرية قطرية", ["مصريه"]) == 1.0
    assert contains("الرقم ١٠٥ محتجزين", ["105"]) == 1.0
    assert contains("x", [""]) == 0.0
    assert (
        must_match("وساطة مصرية - قطرية - أمريكية", [["مصر"], ["قطر"], ["امريك", "واشنطن"]]) == 1.0
    )
    assert must_match("وساطة مصرية", [["مصر"], ["قطر"]]) == 0.0


def test_ranking_metrics() -> None:
    ranked = ["a", "a", "b", "c"]  # duplicates count once
    assert recall_at(ranked, "b", 1) == 0.0
    assert recall_at(ranked, "b", 2) == 1.0
    assert mrr_at(ranked, "c") == pytest.approx(1 / 3)
    assert mrr_at(ranked, "z") == 0.0
    assert percentile([1, 2, 3, 4], 50) == 2
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 95) == 10


def test_summary_refusals_and_kinds() -> None:
    items = [
        EvalItem(id="1", question="q", doc="d1", answers=["x"], kind="factoid"),
        EvalItem(id="2", question="q", doc="d2", answers=["y"], kind="factoid"),
        EvalItem(id="3", question="q", doc=None, answerable=False, kind="unanswerable"),
        EvalItem(id="4", question="q", doc=None, answerable=False, kind="unanswerable"),
    ]
    rows = [
        Row("1", "factoid", ["d1", "d2"], "d1", "x [1]", True, True, ["d1"], 0.1),
        Row("2", "factoid", ["d1"], "d2", "", False, True, [], 0.2),
        Row("3", "unanswerable", [], None, "", False, False, [], 0.3),
        Row("4", "unanswerable", [], None, "z", True, False, ["d1"], 0.4),
    ]
    for item, row in zip(items, rows, strict=True):
        score_row(item, row)
    s = summarise(rows)
    assert s["recall@1"] == 0.5 and s["contains"] == 0.5
    assert s["refused"] == 2 and s["refused_answerable"] == 1 and s["answered_unanswerable"] == 1
    assert s["refusal_precision"] == 0.5 and s["refusal_recall"] == 0.5
    assert s["found_correct"] == 0.5
    assert s["latency_mean_ms"] == pytest.approx(250.0)
    assert set(s["by_kind"]) == {"factoid", "unanswerable"}


def test_loaders(tmp_path: Path) -> None:
    squad = {
        "data": [
            {
                "title": "t",
                "paragraphs": [
                    {
                        "context": "نص",
                        "qas": [
                            {
                                "id": "1",
                                "question": "س؟",
                                "answers": [{"text": "نص", "answer_start": 0}],
                            }
                        ],
                    }
                ],
            }
        ]
    }
    (tmp_path / "s.json").write_text(json.dumps(squad), encoding="utf-8")
    es = load_eval_set(tmp_path / "s.json")
    assert es.items[0].doc == "s/0/0" and es.passages[0]["text"] == "نص"
    (tmp_path / "x.questions.jsonl").write_text(
        json.dumps({"id": "1", "question": "س", "answers": ["a"], "passage_id": "p"}) + "\n",
        encoding="utf-8",
    )
    (tmp_path / "x.passages.jsonl").write_text(
        json.dumps({"id": "p", "title": "t", "text": "a"}) + "\n", encoding="utf-8"
    )
    es = load_eval_set(tmp_path / "x.questions.jsonl")
    assert es.items[0].doc == "p" and es.passages[0]["id"] == "p"
