"""Index operations through the real embedding model (the fake-embedding tests cover the rest)."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index.store import IndexBusyError, IndexStore

from ..conftest import SEEDS

pytestmark = pytest.mark.slow


def test_readding_unchanged_seeds_changes_nothing(writable_app: Any) -> None:
    before = writable_app.store.current_path()
    vectors = writable_app.store.open().vectors()
    summary = writable_app.add([SEEDS])
    assert summary.embedded_chunks == 0 and len(summary.unchanged) == 2
    assert writable_app.store.current_path() == before
    assert np.array_equal(writable_app.store.open().vectors(), vectors)


def test_vectors_are_unit_length_and_find_themselves(akhbar: Any) -> None:
    snap = akhbar.searcher.snapshot()
    vectors = snap.vectors()
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    for row in (0, len(snap) // 2, len(snap) - 1):
        assert snap.dense_search(vectors[row], 1)[0][0] == row


def test_second_writer_waits_then_fails_clearly(writable_app: Any, tmp_path: Path) -> None:
    store = IndexStore(writable_app.store.root, lock_timeout=0.5)
    held = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with writable_app.store.lock():
            held.set()
            release.wait(5)

    t = threading.Thread(target=hold)
    t.start()
    held.wait(5)
    start = time.monotonic()
    with pytest.raises(IndexBusyError, match="another akhbar process"), store.lock():
        pass
    assert time.monotonic() - start >= 0.4
    release.set()
    t.join()
    with store.lock():  # free again
        pass
