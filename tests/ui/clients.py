"""Load-test clients shared by the page tests: questions, a well-formedness check, an ask loop."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

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


def ask_loop(
    url: str,
    offset: int,
    keep_going: Callable[[int], bool],
    lock: threading.Lock,
    failures: list[str],
    on_answer: Callable[[dict[str, Any]], None],
) -> None:
    """Ask `/ask` at `url` in turn until `keep_going(asked)` is false, recording every failure.

    Args:
        url: The page's address.
        offset: Where in `QUESTIONS` this client starts.
        keep_going: Called with the number asked so far; the loop ends when it returns false.
        lock: Guards `failures` and `on_answer`.
        failures: Where a failed request or a malformed answer is described.
        on_answer: Called (under `lock`) with each answer that came back.
    """
    from gradio_client import Client

    client = Client(url, verbose=False)
    n = 0
    while keep_going(n):
        question = QUESTIONS[(offset + n) % len(QUESTIONS)]
        n += 1
        try:
            out = client.predict(question, "[]", api_name="/ask")
        except Exception as exc:  # any failure is a test failure
            with lock:
                failures.append(f"{url}: {type(exc).__name__}: {exc}")
            continue
        with lock:
            on_answer(out)
            if not well_formed(out):
                failures.append(f"{url} malformed: {out!r}")
