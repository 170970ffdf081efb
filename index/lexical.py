"""BM25 lexical index over Arabic-aware terms (bm25s), saved beside the FAISS index."""

from __future__ import annotations

import logging
from array import array
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from index.arabic import terms

log = logging.getLogger(__name__)

BM25_K1 = 1.2
BM25_B = 0.75
EMPTY_TERM = "\u2205"
"""The one term of a chunk that has no other, so that every row has a length."""


def _bm25s() -> Any:
    """Import bm25s, which sets its own logger to DEBUG on import; keep it at our level."""
    import bm25s

    logging.getLogger("bm25s").setLevel(logging.WARNING)
    return bm25s


class LexicalIndex:
    """BM25 over normalised, stemmed terms; row i is chunk i of the index."""

    def __init__(self, bm25: Any, size: int) -> None:
        """Wrap a built or loaded `bm25s.BM25`.

        Args:
            bm25: The bm25s model.
            size: Number of indexed texts.
        """
        self._bm25 = bm25
        self.size = size

    @classmethod
    def build(cls, texts: Sequence[str]) -> LexicalIndex:
        """Index texts.

        Args:
            texts: One text per chunk, in row order.

        Returns:
            The index.
        """
        return cls.from_terms([terms(t) for t in texts])

    @classmethod
    def from_terms(cls, corpus: Sequence[Sequence[str]]) -> LexicalIndex:
        """Index term lists that are already normalised and stemmed (see `index.arabic.terms`).

        Args:
            corpus: One term list per chunk, in row order.

        Returns:
            The index.
        """
        bm25 = _bm25s().BM25(k1=BM25_K1, b=BM25_B)
        rows = [list(doc) or [EMPTY_TERM] for doc in corpus]
        if rows:
            bm25.index(rows, show_progress=False)
        return cls(bm25, len(rows))

    def save(self, folder: Path) -> None:
        """Write the index files into `folder`.

        Args:
            folder: Destination (created).
        """
        folder.mkdir(parents=True, exist_ok=True)
        if self.size:
            self._bm25.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path, size: int) -> LexicalIndex:
        """Load an index written by `save`.

        Args:
            folder: Where it was saved.
            size: Expected number of rows (checked).

        Returns:
            The index.

        Raises:
            ValueError: The files are missing or do not match `size`.
        """
        bm25s = _bm25s()
        if size == 0:
            return cls(bm25s.BM25(), 0)
        try:
            bm25 = bm25s.BM25.load(str(folder), show_progress=False)
        except (OSError, ValueError, KeyError) as exc:
            raise ValueError(f"lexical index in {folder} is unreadable: {exc}") from exc
        rows = int(bm25.scores["num_docs"])
        if rows != size:
            raise ValueError(f"lexical index has {rows} rows, the chunk store {size}")
        return cls(bm25, size)

    def vocabulary_size(self) -> int:
        """How many distinct terms the index holds."""
        return len(self._bm25.vocab_dict) if self.size else 0

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every row for a query.

        Args:
            query: The question.

        Returns:
            A float array of length `size` (zeros when no term matches).
        """
        if not self.size:
            return np.zeros(0, dtype=np.float32)
        vocab = self._bm25.vocab_dict
        rows = len(self._bm25.scores["indptr"]) - 1
        tokens = [t for t in terms(query) if vocab.get(t, rows) < rows]
        if not tokens:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)

    def search(self, query: str, k: int) -> list[tuple[int, float]]:
        """Top rows for a query.

        Args:
            query: The question.
            k: How many.

        Returns:
            `(row, score)` pairs, best first, only rows with a positive score.
        """
        scores = self.scores(query)
        if not len(scores):
            return []
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]

    def idf(self, term: str) -> float:
        """Inverse document frequency of a stemmed term (rare terms weigh more).

        Args:
            term: A term as produced by `index.arabic.terms`.

        Returns:
            `log(1 + (N - df + 0.5) / (df + 0.5))`; an unseen term gets the highest value.
        """
        n = max(self.size, 1)
        tid = self._bm25.vocab_dict.get(term) if self.size else None
        df = 0
        indptr = self._bm25.scores["indptr"] if self.size else ()
        # bm25s adds an empty token ("") to the vocabulary after the score matrix is built,
        # with an id past the matrix: a term outside the matrix occurs in no row.
        if tid is not None and tid + 1 < len(indptr):
            df = int(indptr[tid + 1] - indptr[tid])
        return float(np.log(1.0 + (n - df + 0.5) / (df + 0.5)))


class _TermIds(Sequence[list[int]]):
    """Term ids of each row, read from one flat int32 array (memory-mapped) and row offsets."""

    def __init__(self, ids: np.ndarray, offsets: np.ndarray) -> None:
        self.ids = ids
        self.offsets = offsets

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, row: Any) -> Any:
        if isinstance(row, slice):
            return [self[i] for i in range(*row.indices(len(self)))]
        return self.ids[self.offsets[row] : self.offsets[row + 1]].tolist()

    def __iter__(self) -> Iterator[list[int]]:
        for row in range(len(self)):
            yield self.ids[self.offsets[row] : self.offsets[row + 1]].tolist()


class _Tokenized(NamedTuple):
    """What `bm25s.BM25.index` takes as an already tokenised corpus: `ids` per row, `vocab`."""

    ids: Sequence[list[int]]
    vocab: dict[str, int]


class LexicalBuilder:
    """Gathers chunks' terms batch by batch and builds the `LexicalIndex` of them all at the end.

    Terms become integer ids as they come: the ids go to a flat int32 file (4 bytes a term),
    so memory holds only the vocabulary and one offset per row, not the texts or term lists.
    `build` gives bm25s the ids through a memory map; its score matrix (one float per distinct
    term of each row) is the index itself and is held in memory, as `LexicalIndex.build`'s is.
    """

    def __init__(self, path: Path) -> None:
        """Start an empty corpus.

        Args:
            path: The term-id file to create (removed by `build` or `close`).
        """
        self.path = Path(path)
        self._fh = self.path.open("wb")
        self.vocab: dict[str, int] = {}
        self._offsets = array("q", [0])

    def __len__(self) -> int:
        return len(self._offsets) - 1

    def add(self, texts: Iterable[str]) -> None:
        """Append rows (one text per chunk, in row order, as `LexicalIndex.build` takes).

        Args:
            texts: The texts.
        """
        vocab = self.vocab
        ids: list[int] = []
        for text in texts:
            before = len(ids)
            for term in terms(text) or [EMPTY_TERM]:
                tid = vocab.get(term)
                if tid is None:
                    tid = vocab[term] = len(vocab)
                ids.append(tid)
            self._offsets.append(self._offsets[-1] + len(ids) - before)
        self._fh.write(np.asarray(ids, dtype=np.int32).tobytes())

    def build(self) -> LexicalIndex:
        """The BM25 index of all rows added (scores equal to `LexicalIndex.build`'s).

        Returns:
            The index.
        """
        self._fh.close()
        rows = len(self)
        bm25 = _bm25s().BM25(k1=BM25_K1, b=BM25_B)
        try:
            if rows:
                ids = np.memmap(self.path, dtype=np.int32, mode="r")
                offsets = np.frombuffer(self._offsets, dtype=np.int64)
                bm25.index(_Tokenized(_TermIds(ids, offsets), self.vocab), show_progress=False)
                del ids
        finally:
            self.close()
        return LexicalIndex(bm25, rows)

    def close(self) -> None:
        """Drop the term-id file (idempotent)."""
        if not self._fh.closed:
            self._fh.close()
        self.path.unlink(missing_ok=True)
