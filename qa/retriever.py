"""Hybrid retrieval: the store's dense search fused with BM25 by their scaled scores (or ranks)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Collection
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from index.passage import Passage
from index.protocols import Embedder, Store, StoreSnapshot
from index.store import IndexMismatchError
from qa.config import RetrievalSettings

log = logging.getLogger(__name__)

Mode = Literal["hybrid", "dense", "lexical"]


@dataclass
class Hit(Passage):
    """A retrieved passage with its scores; `text` is exactly `article.text[start:end]`."""

    score: float
    row: int
    dense_score: float | None = None
    lexical_score: float | None = None

    def to_json(self) -> dict[str, Any]:
        """The shared JSON shape of a search hit (the passage, its fused score, then section)."""
        data = self.to_dict()
        section = data.pop("section")
        data["score"] = round(self.score, 6)
        data["section"] = section
        return data


def score_fusion(
    dense: dict[int, float], lexical: dict[int, float], dense_weight: float
) -> list[tuple[int, float]]:
    """Merge two retrievers by their scores, each scaled to 0-1 over the candidates.

    Dense closeness is min-max scaled, BM25 divided by its best score (0 where a passage has none
    of the words); the fused score is `dense_weight` × dense + (1 − `dense_weight`) × BM25.
    Unlike rank fusion, a passage far ahead by its words keeps its lead even when the dense
    list does not have it.

    Args:
        dense: Row → dense closeness, for every candidate (rows BM25 alone found included).
        lexical: Row → BM25 score (rows it did not find are 0).
        dense_weight: The dense share, 0-1.

    Returns:
        `(row, fused score)` pairs, best first (ties broken by first appearance).
    """
    rows = list(dict.fromkeys([*dense, *lexical]))
    if not rows:
        return []
    d = np.array([dense.get(r, np.nan) for r in rows], dtype=np.float64)
    if not np.isnan(d).all():
        d = (d - np.nanmin(d)) / max(float(np.nanmax(d) - np.nanmin(d)), 1e-9)
    d = np.nan_to_num(d, nan=0.0)
    best = max(lexical.values(), default=0.0)
    lx = np.array([lexical.get(r, 0.0) / best if best > 0 else 0.0 for r in rows])
    fused = dense_weight * d + (1.0 - dense_weight) * lx
    order = np.argsort(-fused, kind="stable")
    return [(rows[i], float(fused[i])) for i in order]


def rrf(ranked: list[list[int]], weights: list[float], k: int = 60) -> list[tuple[int, float]]:
    """Weighted reciprocal-rank fusion.

    Args:
        ranked: Lists of rows, best first, one per retriever.
        weights: One weight per list.
        k: The RRF constant (larger flattens the rank curve).

    Returns:
        `(row, fused score)` pairs, best first (ties broken by first appearance).
    """
    scores: dict[int, float] = {}
    for rows, weight in zip(ranked, weights, strict=True):
        for rank, row in enumerate(rows):
            scores[row] = scores.get(row, 0.0) + weight / (k + rank + 1)
    return sorted(scores.items(), key=lambda item: -item[1])


class Searcher:
    """Reads the live index (reloading when a writer swaps it) and searches it."""

    def __init__(
        self,
        store: Store,
        embeddings: Embedder,
        settings: RetrievalSettings | None = None,
    ) -> None:
        """Configure (cheap: nothing is loaded until the first search or `warm_up`).

        Args:
            store: The index store.
            embeddings: The query embedder; must be the model that built the index.
            settings: Retrieval parameters.
        """
        self.store = store
        self.embeddings = embeddings
        self.settings = settings or RetrievalSettings()
        self._snapshot: StoreSnapshot | None = None
        self._doc_rows: tuple[StoreSnapshot, dict[str, list[int]]] | None = None
        self._lock = threading.Lock()

    def snapshot(self) -> StoreSnapshot:
        """The live index, reloaded if a writer has replaced it since the last call."""
        live = self.store.generation()
        snap = self._snapshot
        if snap is not None and snap.generation == live:
            return snap
        with self._lock:
            if self._snapshot is None or self._snapshot.generation != live:
                snap = self.store.open()
                wanted = self.embeddings.describe()
                if snap.manifest.embedding != wanted:
                    raise IndexMismatchError(
                        f"the index in {self.store.location} was built with "
                        f"{snap.manifest.embedding['model']!r} (prompts "
                        f"{snap.manifest.embedding.get('query_prompt')!r}/"
                        f"{snap.manifest.embedding.get('passage_prompt')!r}) but the settings ask "
                        f"for {wanted['model']!r} ({wanted['query_prompt']!r}/"
                        f"{wanted['passage_prompt']!r}); rebuild it with "
                        "`akhbar index build PATH... --rebuild` or change the settings back"
                    )
                self._snapshot = snap
                log.info("loaded index %s (%d chunks)", snap.generation, len(snap))
            return self._snapshot

    def warm_up(self) -> None:
        """Load the index and the model now."""
        self.snapshot()
        self.embeddings.warm_up()

    def encode_query(self, query: str) -> np.ndarray:
        """The query's unit vector.

        Args:
            query: The question.

        Returns:
            Its embedding.
        """
        return self.embeddings.encode_queries([query])[0]

    def _hit(self, snap: StoreSnapshot, row: int, score: float) -> Hit:
        return Hit.from_dict(snap.chunks[row], score=score, row=row)

    def search(
        self,
        query: str,
        k: int | None = None,
        mode: Mode = "hybrid",
        exclude_docs: Collection[str] = (),
        query_vector: np.ndarray | None = None,
        lexical_query: str | None = None,
    ) -> list[Hit]:
        """Find the chunks that best match a question.

        Args:
            query: The question (already standalone).
            k: How many hits (default from settings).
            mode: `hybrid`, `dense` or `lexical`.
            exclude_docs: Articles to leave out (used by evaluation).
            query_vector: The query's embedding, if the caller has it already.
            lexical_query: The query for word matching when it differs from `query` (e.g.
                with a counted noun's other number, `Question.lexical_query`).

        Returns:
            Hits, best first.
        """
        k = k or self.settings.k
        snap = self.snapshot()
        if not len(snap):
            return []
        n_cand = max(self.settings.candidates, k) + (
            sum(
                snap.manifest.documents[d].chunks
                for d in exclude_docs
                if d in snap.manifest.documents
            )
        )
        dense: list[tuple[int, float]] = []
        lexical: list[tuple[int, float]] = []
        if mode in ("hybrid", "dense"):
            qvec = query_vector if query_vector is not None else self.encode_query(query)
            dense = snap.dense_search(qvec, n_cand)
        if mode in ("hybrid", "lexical"):
            lexical = snap.lexical.search(lexical_query or query, n_cand)
        excluded = set(exclude_docs)

        def keep(pairs: list[tuple[int, float]]) -> list[tuple[int, float]]:
            return [(r, s) for r, s in pairs if snap.chunks[r]["doc_id"] not in excluded]

        dense, lexical = keep(dense), keep(lexical)
        dense_scores, lexical_scores = dict(dense), dict(lexical)
        if mode == "dense":
            fused = dense
        elif mode == "lexical":
            fused = lexical
        elif self.settings.fusion == "scores":
            # The candidates only one retriever found get their score from the other one too.
            missing = [r for r, _ in lexical if r not in dense_scores]
            if missing:
                vectors = snap.vectors_at(missing)
                closeness = vectors @ np.asarray(qvec, dtype=np.float32)
                dense_scores.update(zip(missing, (float(c) for c in closeness), strict=True))
            fused = score_fusion(dense_scores, lexical_scores, self.settings.score_dense_weight)
        else:
            fused = rrf(
                [[r for r, _ in dense], [r for r, _ in lexical]],
                [self.settings.dense_weight, self.settings.lexical_weight],
                self.settings.rrf_k,
            )
        hits = []
        for row, score in fused[:k]:
            hit = self._hit(snap, row, score)
            hit.dense_score = dense_scores.get(row)
            hit.lexical_score = lexical_scores.get(row)
            hits.append(hit)
        return hits

    def search_within(
        self,
        query: str,
        doc_ids: Collection[str],
        k: int = 3,
        query_vector: np.ndarray | None = None,
        lexical_query: str | None = None,
    ) -> list[Hit]:
        """The chunks of the given articles that best match a question (a follow-up's sources).

        Args:
            query: The question.
            doc_ids: Articles to look in (unknown ids are ignored).
            k: How many hits.
            query_vector: The query's embedding, if the caller has it already.
            lexical_query: The query for word matching when it differs from `query`.

        Returns:
            Hits from those articles only, best first (fused dense and BM25 ranks).
        """
        snap = self.snapshot()
        with self._lock:
            if self._doc_rows is None or self._doc_rows[0] is not snap:
                self._doc_rows = (snap, snap.doc_rows())
            by_doc = self._doc_rows[1]
        rows = [r for d in doc_ids for r in by_doc.get(d, [])]
        if not rows:
            return []
        qvec = query_vector if query_vector is not None else self.encode_query(query)
        faiss_index: Any = getattr(snap, "faiss_index", None)
        try:
            vectors = np.stack([faiss_index.reconstruct(int(r)) for r in rows])
            dense_scores = vectors @ np.asarray(qvec, dtype=np.float32)
        except (AttributeError, RuntimeError):  # a store that cannot give single vectors back
            dense_scores = np.zeros(len(rows), dtype=np.float32)
        matched = dict(snap.lexical.search(lexical_query or query, len(snap)))
        lexical_scores = np.array([matched.get(r, 0.0) for r in rows], dtype=np.float32)
        dense_rank = [rows[i] for i in np.argsort(-dense_scores, kind="stable")]
        lexical_rank = [rows[i] for i in np.argsort(-lexical_scores, kind="stable")]
        fused = rrf(
            [dense_rank, lexical_rank],
            [self.settings.dense_weight, self.settings.lexical_weight],
            self.settings.rrf_k,
        )
        dense_of = dict(zip(rows, dense_scores.tolist(), strict=True))
        lexical_of = dict(zip(rows, lexical_scores.tolist(), strict=True))
        hits = []
        for row, score in fused[:k]:
            hit = self._hit(snap, row, score)
            hit.dense_score = float(dense_of[row])
            hit.lexical_score = float(lexical_of[row])
            hits.append(hit)
        return hits


class HybridRetriever(BaseRetriever):
    """LangChain retriever over akhbar's hybrid search; metadata carries the citation fields."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    searcher: Any
    k: int = 5
    mode: str = "hybrid"

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        hits = self.searcher.search(query, k=self.k, mode=self.mode)
        return [hit_to_document(h) for h in hits]


def hit_to_document(hit: Hit) -> Document:
    """Wrap a hit as a LangChain `Document` (text as `page_content`, the rest as metadata).

    Args:
        hit: A hit.

    Returns:
        The document.
    """
    meta = asdict(hit)
    text = meta.pop("text")
    return Document(page_content=text, metadata=meta)
