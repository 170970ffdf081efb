"""Hand-made retrieved passages for the answer tests (no index)."""

from __future__ import annotations

from qa.retriever import Hit


def make_hit(text: str, doc_id: str = "doc0", title: str = "عنوان", row: int = 0) -> Hit:
    """A whole-article passage as the retriever would return it.

    Args:
        text: The passage (and article) text.
        doc_id: Its article id.
        title: The article title.
        row: Its row in the index.

    Returns:
        The hit, score 1.
    """
    return Hit(
        doc_id=doc_id,
        chunk_id=f"{doc_id}#0",
        title=title,
        section="",
        text=text,
        start=0,
        end=len(text),
        score=1.0,
        row=row,
    )
