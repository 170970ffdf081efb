"""Run an evaluation set through the application (indexing a SQuAD-style set's passages first)."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from akhbar.app import Akhbar
from akhbar.settings import Settings
from index.stores.postgres import PostgresStore
from qa.evaluate import EvalSet, Row, evaluate, load_eval_set


def evaluate_file(
    path: Path,
    settings: Settings,
    *,
    own_index: bool,
    limit: int | None = None,
    seed: int = 0,
    progress: bool = False,
) -> tuple[EvalSet, dict[str, Any], list[Row]]:
    """Load a question set and score retrieval and answers on it.

    A set that brings its passages (SQuAD JSON, `*.questions.jsonl`) is indexed into a temporary
    folder (with the postgres store: a temporary schema, dropped afterwards) unless `own_index`
    says the caller chose an index folder.

    Args:
        path: Seeds JSONL, SQuAD JSON, or `*.questions.jsonl`.
        settings: The settings to answer with.
        own_index: The caller named an index folder: ask it, do not build one.
        limit: Ask only this many questions (drawn at random with `seed`).
        seed: Random seed for `limit`.
        progress: Show progress bars.

    Returns:
        The set, the summary and the per-question rows.
    """
    eval_set = load_eval_set(path)
    with tempfile.TemporaryDirectory(prefix="akhbar-eval-") as tmp:
        if eval_set.passages and not own_index:
            passages = Path(tmp) / "passages.jsonl"
            passages.write_text(
                "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in eval_set.passages),
                encoding="utf-8",
            )
            settings.index_dir = Path(tmp) / "index"
            if settings.store.backend == "postgres":
                settings.store.schema_name = f"akhbar_eval_{os.getpid()}"
            app = Akhbar(settings, progress=progress)
            try:
                app.build([passages])
                summary, rows = evaluate(app, eval_set, limit=limit, seed=seed, progress=progress)
            finally:
                if isinstance(app.store, PostgresStore):
                    app.store.drop()
            return eval_set, summary, rows
        app = Akhbar(settings)
        summary, rows = evaluate(app, eval_set, limit=limit, seed=seed, progress=progress)
    return eval_set, summary, rows
