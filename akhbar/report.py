"""Plain-text reports for the CLI: index summaries and info, search hits, answers, metric tables."""

from __future__ import annotations

from typing import Any

METRIC_ORDER = (
    "questions",
    "recall@1",
    "recall@5",
    "recall@10",
    "mrr@10",
    "dense_recall@1",
    "dense_recall@5",
    "dense_recall@10",
    "lexical_recall@1",
    "lexical_recall@5",
    "lexical_recall@10",
    "contains",
    "exact_match",
    "f1",
    "highlight_contains",
    "highlight_f1",
    "must",
    "citation_accuracy",
    "found_correct",
    "refused",
    "refused_answerable",
    "answered_unanswerable",
    "refusal_precision",
    "refusal_recall",
    "correct",
    "latency_mean_ms",
    "latency_p50_ms",
    "latency_p95_ms",
)


def summary_text(summary: Any) -> str:
    """What an index operation did, in one or two lines.

    Args:
        summary: An `index.indexer.Summary`.

    Returns:
        The lines (skipped files are listed by `skipped_lines`).
    """
    lines = [
        f"{summary.documents} articles, {summary.chunks} chunks in the index "
        f"({len(summary.added)} added, {len(summary.replaced)} replaced, "
        f"{len(summary.unchanged)} unchanged, {len(summary.removed)} removed, "
        f"{len(summary.skipped)} skipped) in {summary.seconds:.1f} s"
    ]
    if summary.embedded_chunks:
        rate = summary.embedded_tokens / max(summary.embed_seconds, 1e-9)
        lines.append(
            f"embedded {summary.embedded_chunks} chunks, {summary.embedded_tokens} tokens "
            f"in {summary.embed_seconds:.1f} s ({rate:.0f} tokens/s)"
        )
    cached = getattr(summary, "cached_chunks", 0)
    if cached:
        # An interrupted build's vectors, or those of a chunk text met earlier in this build
        # (an archive repeats boilerplate paragraphs): the cache is keyed by the text.
        lines.append(
            f"{cached} chunks' vectors read from the embedding cache, not re-embedded "
            "(left by an interrupted build, or the same text met earlier in the archive)"
        )
    return "\n".join(lines)


def skipped_lines(summary: Any) -> list[str]:
    """One line per file or line the indexer skipped, with the reason."""
    return [f"skipped {skip.where}: {skip.reason}" for skip in summary.skipped]


def info_text(info: dict[str, Any]) -> str:
    """The live index's documents, chunks, model and size (`Akhbar.info()`)."""
    lines = [
        f"index:      {info['index_dir']} ({info['generation']})",
        f"documents:  {info['documents']}",
        f"chunks:     {info['chunks']}",
        f"model:      {info['model']} (dim {info['dim']}, {info['index_type']})",
        f"size:       {info['size_bytes'] / 1e6:.2f} MB",
    ]
    lines += [f"  {doc_id}\t{title}" for doc_id, title in info["titles"].items()]
    return "\n".join(lines)


def verify_text(report: dict[str, Any]) -> str:
    """The one-line verdict of `Akhbar.verify()`."""
    return (
        f"index OK: {report['documents']} articles, {report['chunks']} chunks "
        f"({report['generation']}); model reproduces the stored vectors"
    )


def _where(passage: Any) -> str:
    return f"{passage.title} — {passage.section}" if passage.section else passage.title


def hits_text(hits: list[Any]) -> str:
    """Ranked search hits, each with its article, section, score and passage."""
    if not hits:
        return "no passages found"
    return "\n".join(
        f"[{i}] {h.doc_id}  {_where(h)}  (score {h.score:.4f})\n    {h.text}\n"
        for i, h in enumerate(hits, start=1)
    )


def sources_text(answer: Any, mark: tuple[str, str]) -> str:
    """An answer's numbered citations, the answer span marked in each passage.

    Args:
        answer: A `qa.answer.Answer`.
        mark: The strings put before and after the answer span.

    Returns:
        The citations (empty when there are none), each starting with a blank line.
    """
    on, off = mark
    return "\n".join(
        f"\n[{c.n}] {_where(c)}  ({c.doc_id})\n    {c.marked(lambda span: on + span + off)}"
        for c in answer.citations
    )


def closest_text(answer: Any) -> str:
    """A refusal's closest passages («أقرب ما وجدته»), for the reader to check."""
    return "\n".join(
        ["\nأقرب ما وجدته:"]
        + [f"\n  {_where(c)}  ({c.doc_id})\n    {c.text[:300]}" for c in answer.closest]
    )


def metrics_table(summary: dict[str, Any]) -> str:
    """An evaluation summary as a Markdown table (metrics in a fixed order, then by kind)."""
    lines = ["| metric | value |", "|---|---|"]
    for key in METRIC_ORDER:
        if key in summary:
            value = summary[key]
            shown = f"{value:.3f}" if isinstance(value, float) else str(value)
            lines.append(f"| {key} | {shown} |")
    by_kind = summary.get("by_kind", {})
    if by_kind:
        lines += [
            "",
            "| kind | questions | correct | found right | must | recall@5 | ms p50 | ms p95 |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for kind, scores in [*by_kind.items(), ("all", summary)]:

            def cell(key: str, scores: dict[str, Any] = scores, fmt: str = ".2f") -> str:
                value = scores.get(key)
                return "" if value is None else format(value, fmt)

            correct = scores.get("correct")
            n = scores.get("questions", 0)
            shown = f"{round(correct * n)}/{n}" if correct is not None else ""
            lines.append(
                f"| {kind} | {n} | {shown} | {cell('found_correct')} | {cell('must')} "
                f"| {cell('recall@5')} | {cell('latency_p50_ms', fmt='.0f')} "
                f"| {cell('latency_p95_ms', fmt='.0f')} |"
            )
    return "\n".join(lines)
