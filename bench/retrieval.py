"""ARCD-train retrieval and answers: akhbar (dense, lexical, hybrid; e5 prompts on/off) beside a plain baseline.

The baseline is what a user gets with no care for Arabic or for the model: the same model through
sentence-transformers on whole passages, without e5 prompts, FAISS exact search. Every number
comes from this run. Run: `.venv/bin/python bench/retrieval.py [--limit N]`.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EVAL = ROOT.parent / "shared" / "eval"


def recall(ranked: list[list[str]], gold: list[str], k: int) -> float:
    from qa.evaluate import recall_at

    return float(np.mean([recall_at(r, g, k) for r, g in zip(ranked, gold, strict=True)]))


def row(name: str, ranked: list[list[str]], gold: list[str]) -> str:
    cells = " | ".join(f"{recall(ranked, gold, k):.3f}" for k in (1, 5, 10))
    return f"| {name} | {cells} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--limit", type=int, default=None, help="Questions to ask (default all).")
    args = parser.parse_args()

    import faiss

    from akhbar.app import Akhbar
    from akhbar.settings import Settings
    from index.config import E5_PASSAGE_PROMPT, E5_QUERY_PROMPT
    from qa.evaluate import contains, load_eval_set
    from qa.question import analyse

    eval_set = load_eval_set(EVAL / "arcd-train.questions.jsonl")
    items = eval_set.items[: args.limit] if args.limit else eval_set.items
    questions = [it.question.strip(" -") for it in items]
    gold = [str(it.doc) for it in items]
    passages = eval_set.passages
    lines = []

    with tempfile.TemporaryDirectory() as tmp:
        # Baseline: whole passages, no prompts, exact FAISS.
        base = Akhbar(Settings())
        st = base.embeddings.st
        t0 = time.perf_counter()
        pv = st.encode([p["text"] for p in passages], batch_size=32, normalize_embeddings=True)
        index = faiss.IndexFlatIP(pv.shape[1])
        index.add(np.asarray(pv, dtype=np.float32))
        qv = st.encode(questions, batch_size=32, normalize_embeddings=True)
        _, ids = index.search(np.asarray(qv, dtype=np.float32), 10)
        lines.append(
            row(
                "baseline: whole passages, no prompts, dense",
                [[passages[i]["id"] for i in r] for r in ids],
                gold,
            )
        )
        base_s = time.perf_counter() - t0

        results = {}
        for label, qp, pp in (
            ("akhbar, e5 prompts", E5_QUERY_PROMPT, E5_PASSAGE_PROMPT),
            ("akhbar, no prompts", "", ""),
        ):
            settings = Settings()
            settings.index_dir = Path(tmp) / label.replace(" ", "_").replace(",", "")
            settings.embedding.query_prompt = qp
            settings.embedding.passage_prompt = pp
            app = Akhbar(settings, embeddings=None)
            src = Path(tmp) / "passages.jsonl"
            src.write_text(
                "".join(json.dumps(p, ensure_ascii=False) + "\n" for p in passages),
                encoding="utf-8",
            )
            app.build([src])
            searcher = app.searcher
            ranked: dict[str, list[list[str]]] = {"dense": [], "lexical": [], "hybrid": []}
            for q in questions:
                query = analyse(q).retrieval_query
                vec = searcher.encode_query(query)
                for mode in ranked:
                    ranked[mode].append(
                        [
                            h.doc_id
                            for h in searcher.search(query, k=10, mode=mode, query_vector=vec)
                        ]
                    )
            results[label] = (app, ranked)
            for mode in ("dense", "lexical", "hybrid"):
                if mode == "lexical" and label.endswith("no prompts"):
                    continue  # the same BM25 index either way
                lines.append(row(f"{label}: {mode}", ranked[mode], gold))

        # Answers, with each prompt setting.
        answer_lines = []
        for label, (app, _) in results.items():
            contained = found = wrongly_answered = 0
            times = []
            for it, q in zip(items, questions, strict=True):
                t0 = time.perf_counter()
                answer = app.ask(q)
                times.append(time.perf_counter() - t0)
                found += answer.found
                contained += bool(answer.found and contains(answer.answer, it.answers))
                # The same question with every passage of its article removed must be refused.
                article = str(it.doc).rsplit("/", 1)[0] + "/"
                hidden = [p["id"] for p in passages if p["id"].startswith(article)]
                wrongly_answered += app.engine.ask(q, exclude_docs=hidden).found
            n = len(items)
            answer_lines.append(
                f"| {label} | {contained / n:.3f} | {1 - found / n:.3f} | {wrongly_answered / n:.3f} | "
                f"{1000 * float(np.median(times)):.0f} / {1000 * float(np.percentile(times, 95)):.0f} |"
            )

    print(
        f"ARCD-train: {len(passages)} passages, {len(items)} questions (baseline {base_s:.0f} s)\n"
    )
    print("| retrieval (gold passage) | R@1 | R@5 | R@10 |")
    print("|---|---|---|---|")
    print("\n".join(lines))
    print()
    print(
        "| answers | gold answer inside the answer | answerable refused "
        "| unanswerable answered (article removed) | ms median / p95 |"
    )
    print("|---|---|---|---|---|")
    print("\n".join(answer_lines))


if __name__ == "__main__":
    main()
