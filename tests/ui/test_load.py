"""Load: 32 concurrent API clients for 30 s while an article is added; nothing fails or tears."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from ..conftest import serving

pytestmark = pytest.mark.slow

CLIENTS = 32
SECONDS = 30.0
QUESTIONS = [
    "من توسط في هدنة نوفمبر؟",
    "كم عدد الدول التي تعترف بدولة فلسطين؟",
    "هل أغلق معبر رفح؟",
    "ما هي عاصمة أستراليا؟",
]
NEW_ARTICLE = (
    "افتتاح مكتبة عامة جديدة في مدينة الأقصر\n\n"
    "افتتحت محافظة الأقصر يوم الأحد مكتبة عامة جديدة تضم خمسين ألف كتاب وقاعة للأطفال.\n"
)


def well_formed(answer: Any) -> bool:
    if not isinstance(answer, dict) or not isinstance(answer.get("answer"), str):
        return False
    if answer["found"]:
        return bool(answer["citations"]) and all(
            c["text"] and 0 <= c["answer_start"] < c["answer_end"] <= len(c["text"])
            for c in answer["citations"]
        )
    return answer["citations"] == []


def test_concurrent_clients_during_index_add(writable_app: Any, tmp_path: Path) -> None:
    from gradio_client import Client

    writable_app.searcher.warm_up()
    article = tmp_path / "new.txt"
    article.write_text(NEW_ARTICLE, encoding="utf-8")
    docs_seen: set[int] = set()
    failures: list[str] = []
    answers = 0
    lock = threading.Lock()
    with serving(writable_app) as url:
        deadline = time.monotonic() + SECONDS

        def client(i: int) -> None:
            nonlocal answers
            c = Client(url, verbose=False)
            n = 0
            while time.monotonic() < deadline and n < 200:
                q = QUESTIONS[(i + n) % len(QUESTIONS)]
                n += 1
                try:
                    out = c.predict(q, "[]", api_name="/ask")
                except Exception as exc:  # any failure is a test failure
                    with lock:
                        failures.append(f"{type(exc).__name__}: {exc}")
                    continue
                with lock:
                    answers += 1
                    if not well_formed(out):
                        failures.append(f"malformed: {out!r}")
                    docs_seen.add(len(writable_app.searcher.snapshot().docs))

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
