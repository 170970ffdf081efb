"""The application facade shared by the CLI, the chat page, the tests and the benchmarks."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel

from akhbar.settings import Settings
from index.embeddings import make_embeddings
from index.indexer import Indexer, Summary
from index.protocols import Embedder, QuickStart, Store
from index.stores import make_store
from qa.answer import Answer
from qa.chain import AnswerEngine
from qa.retriever import Hit, Mode, Searcher

log = logging.getLogger(__name__)


class Akhbar:
    """Everything akhbar does, wired from one settings tree; parts are made on first use."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        embeddings: Embedder | None = None,
        chat_model: BaseChatModel | None = None,
        progress: bool = False,
    ) -> None:
        """Wire the parts (cheap: no model or index is loaded here).

        Args:
            settings: Settings (default: from the environment).
            embeddings: An embedder to share (e.g. one already loaded by a test session).
            chat_model: A chat model to answer with instead of the one `settings.llm` chooses.
            progress: Show progress bars on long index operations.
        """
        self.settings = settings or Settings()
        self._embeddings = embeddings
        self._chat_model = chat_model
        self.progress = progress

    @cached_property
    def embeddings(self) -> Embedder:
        """The embedding model (not loaded until used)."""
        return self._embeddings or make_embeddings(self.settings.embedding)

    @cached_property
    def store(self) -> Store:
        """The index store the settings choose (a folder, or a PostgreSQL database)."""
        return make_store(self.settings.store, self.settings.index_dir)

    @cached_property
    def indexer(self) -> Indexer:
        """The index writer."""
        return Indexer(
            self.store,
            self.embeddings,
            self.settings.splitter,
            index_type=self.settings.retrieval.index_type,
            progress=self.progress,
            embed_buffer=self.settings.embedding.build_buffer,
            cache_dir=self.settings.index_dir,  # the resume cache, for any store
        )

    @cached_property
    def searcher(self) -> Searcher:
        """The hybrid searcher over the live index."""
        return Searcher(self.store, self.embeddings, self.settings.retrieval)

    @cached_property
    def engine(self) -> AnswerEngine:
        """The answering chain."""
        return AnswerEngine(
            self.searcher, self.settings.answer, self.settings.llm, chat_model=self._chat_model
        )

    def warm_up(self, background: bool = False) -> None:
        """Load the index and the embedding model now, for fast first answers.

        Args:
            background: Load only the model's light runtime now (enough for questions) and the
                full model in a background thread, so that a server listens seconds sooner.
        """
        self.searcher.snapshot()
        embeddings = self.embeddings
        if background and isinstance(embeddings, QuickStart) and embeddings.warm_up_quick():
            threading.Thread(
                target=self._load_model, args=(embeddings,), name="akhbar-model", daemon=True
            ).start()
            return
        embeddings.warm_up()

    @staticmethod
    def _load_model(embeddings: Embedder) -> None:
        started = time.perf_counter()
        try:
            embeddings.warm_up()
        except Exception:  # the light runtime goes on answering; the next use retries and says why
            log.exception("loading the embedding model in the background failed")
            return
        log.info(
            "embedding model loaded in the background in %.1f s", time.perf_counter() - started
        )

    def ask(self, question: str, history: Sequence[Any] | None = None) -> Answer:
        """Answer a question (see `AnswerEngine.ask`)."""
        return self.engine.ask(question, history)

    def stream(self, question: str, history: Sequence[Any] | None = None) -> Iterator[Answer]:
        """Answer a question, yielding the growing answer (see `AnswerEngine.stream`)."""
        return self.engine.stream(question, history)

    def build(self, paths: Iterable[Path], rebuild: bool = False) -> Summary:
        """Index exactly these paths (see `Indexer.build`)."""
        return self.indexer.build(paths, rebuild=rebuild)

    def add(self, paths: Iterable[Path]) -> Summary:
        """Add or update articles (see `Indexer.add`)."""
        return self.indexer.add(paths)

    def remove(self, doc_ids: list[str]) -> Summary:
        """Remove articles (see `Indexer.remove`)."""
        return self.indexer.remove(doc_ids)

    def search(self, query: str, k: int | None = None, mode: Mode = "hybrid") -> list[Hit]:
        """Search the index (see `Searcher.search`)."""
        return self.searcher.search(query, k=k, mode=mode)

    def verify(self) -> dict[str, Any]:
        """Check the index end to end: files, counts, offsets, vectors, and the model.

        Returns:
            What was checked.

        Raises:
            IndexStoreError: Something is damaged or mismatched (the message names the fix).
        """
        from index.verify import check_model, check_stored

        snap = self.store.open()
        vectors = check_stored(snap)
        self.searcher.snapshot()  # model/prompts match the index, else IndexMismatchError
        self.embeddings.warm_up()  # the default model folder is checked by hash as it loads
        check_model(snap, vectors, self.embeddings)
        return {
            "documents": len(snap.docs),
            "chunks": len(snap.chunks),
            "generation": snap.generation,
        }

    def articles(self) -> Mapping[str, dict[str, Any]]:
        """The indexed articles by id (`text`, `title`, ...), as the live index holds them."""
        return self.searcher.snapshot().docs

    def info(self) -> dict[str, Any]:
        """Documents, chunks, model and size of the live index."""
        manifest = self.store.read_manifest()
        return {
            "index_dir": self.store.location,
            "store": self.settings.store.backend,
            "generation": self.store.generation(),
            "documents": len(manifest.documents),
            "chunks": manifest.chunks,
            "model": manifest.embedding.get("model"),
            "dim": manifest.dim,
            "index_type": manifest.index_type,
            "splitter": manifest.splitter,
            "size_bytes": self.store.size_on_disk(),
            "titles": {k: v.title for k, v in manifest.documents.items()},
        }
