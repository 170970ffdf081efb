"""Integrity checks of a stored index: passages against their articles, vectors, and the model."""

from __future__ import annotations

from typing import TYPE_CHECKING

from index.errors import IndexCorruptError
from index.passage import Passage

if TYPE_CHECKING:
    import numpy as np

    from index.protocols import Embedder, StoreSnapshot

FIX = "rebuild it with `akhbar index build PATH --rebuild`"


def check_stored(snap: StoreSnapshot) -> np.ndarray:
    """Check that every chunk is its article's text at its offsets and every vector is a unit vector.

    Args:
        snap: A loaded index generation.

    Returns:
        The stored vectors, in row order.

    Raises:
        IndexCorruptError: A chunk or a vector is damaged (the message names the fix).
    """
    import numpy as np

    docs = dict(snap.docs)
    for chunk in snap.chunks:
        doc = docs.get(chunk["doc_id"])
        if doc is None or doc["text"][chunk["start"] : chunk["end"]] != chunk["text"]:
            raise IndexCorruptError(f"chunk {chunk['chunk_id']} does not match its article; {FIX}")
    vectors = snap.vectors()
    if len(vectors) and not np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3):
        raise IndexCorruptError(f"index vectors are not unit length; {FIX}")
    return vectors


def check_model(snap: StoreSnapshot, vectors: np.ndarray, embeddings: Embedder) -> None:
    """Check that the model still gives the first chunk the vector stored for it.

    Args:
        snap: A loaded index generation.
        vectors: Its vectors (`check_stored`).
        embeddings: The model the index is searched with.

    Raises:
        IndexCorruptError: The model no longer reproduces the stored vectors.
    """
    if not len(vectors):
        return
    probe = Passage.from_dict(snap.chunks[0])
    fresh = embeddings.encode_passages([probe.embed_text()])[0]
    if float(fresh @ vectors[0]) < 0.99:
        raise IndexCorruptError(f"the model no longer reproduces the stored vectors; {FIX}")
