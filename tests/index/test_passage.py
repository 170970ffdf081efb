from __future__ import annotations

import json

from index.passage import PASSAGE_FIELDS, Passage, mark_span
from index.splitter import Chunk
from qa.answer import Answer, Citation
from qa.retriever import Hit

ROW = {
    "doc_id": "a.txt",
    "chunk_id": "0123456789abcdef",
    "title": "عنوان",
    "section": "قسم",
    "text": "نص المقطع كما خُزّن.",
    "start": 10,
    "end": 30,
}


def test_stored_row_round_trips_and_old_rows_still_load() -> None:
    chunk = Chunk.from_dict(ROW)
    assert chunk.to_dict() == ROW and list(chunk.to_dict()) == list(PASSAGE_FIELDS)
    assert json.loads(json.dumps(chunk.to_dict(), ensure_ascii=False)) == ROW
    old = {k: v for k, v in ROW.items() if k != "section"}  # rows written before sections
    assert Passage.from_dict(old).section == ""
    assert Passage.from_dict({**ROW, "unknown": 1}) == chunk  # extra keys are ignored


def test_hit_and_citation_share_the_record_and_keep_their_json_shapes() -> None:
    hit = Hit.from_dict(ROW, score=0.1234567891, row=3)
    assert isinstance(hit, Passage) and hit.to_dict() == ROW
    assert list(hit.to_json()) == [
        "doc_id",
        "chunk_id",
        "title",
        "text",
        "start",
        "end",
        "score",
        "section",
    ]
    assert hit.to_json()["score"] == 0.123457
    cite = Citation.from_hit(2, hit, (4, 9))
    assert isinstance(cite, Passage) and (cite.n, cite.answer_start, cite.answer_end) == (2, 4, 9)
    shape = ["n", *PASSAGE_FIELDS, "answer_start", "answer_end"]
    assert list(cite.to_dict()) == shape
    assert Citation.from_dict(cite.to_dict()) == cite
    answer = Answer(question="؟", answer="x [2]", found=True, citations=[cite])
    assert list(answer.to_json()["citations"][0]) == shape
    assert Citation.from_hit(1, hit, None).to_dict()["answer_start"] is None


def test_mark_span_marks_only_valid_spans() -> None:
    def wrap(s: str) -> str:
        return f"[{s}]"

    assert mark_span("abcdef", 1, 3, wrap) == "a[bc]def"
    assert mark_span("a<b", 1, 2, wrap, escape=lambda s: s.replace("<", "&lt;")) == "a[&lt;]b"
    for start, end in ((None, None), (3, 3), (4, 2), (0, 99), (-1, 2)):
        assert mark_span("abcdef", start, end, wrap) == "abcdef"
