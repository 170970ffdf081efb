"""Load: 32 concurrent API clients for 30 s while an article is added; nothing fails or tears."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from ..conftest import serving
from .clients import NEW_ARTICLE, ask_loop

pytestmark = pytest.mark.slow

CLIENTS = 32
SECONDS = 30.0


def test_concurrent_clients_during_index_add(writable_app: Any, tmp_path: Path) -> None:
    writable_app.searcher.warm_up()
    article = tmp_path / "new.txt"
    article.write_text(NEW_ARTICLE, encoding="utf-8")
    docs_seen: set[int] = set()
    failures: list[str] = []
    answers = 0
    lock = threading.Lock()
    with serving(writable_app) as url:
        deadline = time.monotonic() + SECONDS

        def record(out: dict[str, Any]) -> None:
            nonlocal answers
            answers += 1
            docs_seen.add(len(writable_app.searcher.snapshot().docs))

        def client(i: int) -> None:
            ask_loop(
                url, i, lambda n: time.monotonic() < deadline and n < 200, lock, failures, record
            )

        threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
        for t in threads:
            t.start()
        time.sleep(SECONDS / 3)
        summary = writable_app.add([article])
        for t in threads:
            t.join(timeout=SECONDS + 60)
    assert summary.added == ["new.txt"]
    assert not failures, failures[:5]
    assert answers >= CLIENTS
    # Readers saw the old index (2 articles) and then the new one (3), never anything else.
    assert docs_seen <= {2, 3} and 3 in docs_seen
