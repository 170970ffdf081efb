from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Literal

from akhbar.app import Akhbar
from akhbar.settings import Settings

from ..conftest import SEEDS, FakeEmbeddings


def make_app(index_dir: Path, index_type: Literal["flat", "hnsw"]) -> Akhbar:
    settings = Settings()
    settings.index_dir = index_dir
    settings.splitter.chunk_tokens = 60
    settings.retrieval.index_type = index_type
    return Akhbar(settings, embeddings=FakeEmbeddings())


def test_hnsw_index_finds_what_exact_search_finds(tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    shutil.copytree(SEEDS, articles)
    exact = make_app(tmp_path / "flat", "flat")
    graph = make_app(tmp_path / "hnsw", "hnsw")
    exact.build([articles])
    graph.build([articles])

    assert graph.info()["index_type"] == "hnsw" and exact.info()["index_type"] == "flat"
    snap: Any = graph.store.open()
    assert type(snap.faiss_index).__name__ == "IndexHNSWFlat"
    for question in ("وزير الدفاع الإيطالي", "معبر رفح", "هدنة نوفمبر", "المساعدات الإنسانية"):
        want = [(h.chunk_id, round(h.score, 5)) for h in exact.search(question, k=5, mode="dense")]
        got = [(h.chunk_id, round(h.score, 5)) for h in graph.search(question, k=5, mode="dense")]
        assert got == want, question
    # The graph index keeps its vectors: verification and later writes work on it too.
    assert graph.verify()["chunks"] == exact.info()["chunks"]
    (articles / "extra.txt").write_text("خبر جديد عن معبر رفح والقوافل.", encoding="utf-8")
    graph.add([articles / "extra.txt"])
    assert graph.info()["index_type"] == "hnsw"
    assert graph.search("القوافل معبر رفح", k=1, mode="dense")[0].doc_id == "extra.txt"
