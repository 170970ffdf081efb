"""The reference backend: sentence-transformers' own float32 forward pass."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


class TorchFP32:
    """Plain torch float32, exactly what `SentenceTransformer.encode` does; runs everywhere."""

    name = "fp32"

    def supported(self) -> bool:
        """Always."""
        return True

    def encode(self, model: Any, texts: Sequence[str], batch_size: int) -> np.ndarray:
        """See `EncoderBackend.encode`."""
        import torch

        with torch.inference_mode():
            vectors = model.encode(
                list(texts),
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32).reshape(len(texts), -1)
