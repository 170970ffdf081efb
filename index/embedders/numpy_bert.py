"""A light runtime for a few texts: the BERT encoder's forward pass in numpy, no torch import.

Used for questions (and the few clauses an answer scores) when the torch model is not loaded,
so that a one-shot `akhbar ask` does not pay for importing torch, transformers and
sentence-transformers. It reads the same model folder (weights memory-mapped from
`model.safetensors`, `tokenizer.json` through `tokenizers`) and computes the same float32
vectors as the torch model up to rounding (cosine >= 0.9999; tests/index/test_embedders.py).
Only plain BERT encoders with mean pooling (the default model) are supported; `supports`
says whether a folder is one.
"""

from __future__ import annotations

import json
import struct
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

_DTYPES = {"F32": np.float32}


def _read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """Memory-map every tensor of a safetensors file (nothing is read until used)."""
    with path.open("rb") as fh:
        (size,) = struct.unpack("<Q", fh.read(8))
        header = json.loads(fh.read(size))
    base = 8 + size
    out: dict[str, np.ndarray] = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        dtype = _DTYPES.get(meta["dtype"])
        if dtype is None:
            raise ValueError(f"{path}: tensor {name} has unsupported dtype {meta['dtype']}")
        start, _ = meta["data_offsets"]
        out[name] = np.memmap(
            path, dtype=dtype, mode="r", offset=base + start, shape=tuple(meta["shape"])
        )
    return out


def supports(folder: Path) -> bool:
    """Whether `folder` is a sentence-transformers BERT folder this runtime can run.

    Args:
        folder: A model folder.

    Returns:
        True for a BERT encoder (absolute positions, exact GELU) with mean pooling.
    """
    try:
        config = json.loads((folder / "config.json").read_text(encoding="utf-8"))
        pooling = json.loads((folder / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        config.get("model_type") == "bert"
        and config.get("hidden_act") == "gelu"
        and config.get("position_embedding_type", "absolute") == "absolute"
        and bool(pooling.get("pooling_mode_mean_tokens"))
        and not any(
            pooling.get(k)
            for k in ("pooling_mode_cls_token", "pooling_mode_max_tokens", "pooling_mode_lasttoken")
        )
        and (folder / "model.safetensors").is_file()
        and (folder / "tokenizer.json").is_file()
    )


def _erf(x: np.ndarray) -> np.ndarray:
    # Numerical Recipes' erfc (Chebyshev fit), fractional error < 1.2e-7 everywhere.
    z = np.abs(x)
    t = 1.0 / (1.0 + 0.5 * z)
    poly = -1.26551223 + t * (
        1.00002368
        + t
        * (
            0.37409196
            + t
            * (
                0.09678418
                + t
                * (
                    -0.18628806
                    + t
                    * (
                        0.27886807
                        + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))
                    )
                )
            )
        )
    )
    erfc = t * np.exp(-z * z + poly)
    return np.where(x >= 0, 1.0 - erfc, erfc - 1.0)


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


class NumpyBert:
    """The default model's encoder in numpy; loads lazily, thread-safe, float32 unit vectors."""

    name = "numpy"

    def __init__(
        self, folder: Path, max_tokens: int = 512, tokenizer_cache: Path | None = None
    ) -> None:
        """Point at a model folder (nothing is read yet).

        Args:
            folder: A sentence-transformers BERT folder (see `supports`).
            max_tokens: Longest input in tokens, special tokens included (longer is cut).
            tokenizer_cache: Where the quick tokenizer's tables are kept (see
                `index.embedders.unigram_lite`; None: always the `tokenizers` one).
        """
        self.folder = Path(folder)
        self.max_tokens = max_tokens
        self.tokenizer_cache = tokenizer_cache
        self._weights: dict[str, np.ndarray] | None = None
        self._tokenizer: Any = None
        self._lite: Any = None
        self._config: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._tokenizer_lock = threading.Lock()
        self._transposed: dict[str, np.ndarray] = {}

    def _t(self, name: str) -> np.ndarray:
        """A weight matrix transposed, contiguous (copied out of the map once)."""
        out = self._transposed.get(name)
        if out is None:
            assert self._weights is not None
            out = self._transposed[name] = np.ascontiguousarray(self._weights[name].T)
        return out

    @property
    def tokenizer(self) -> Any:
        """The model's `tokenizers.Tokenizer` (truncating at `max_tokens`), read on first use."""
        if self._tokenizer is None:
            with self._tokenizer_lock:
                if self._tokenizer is None:
                    from tokenizers import Tokenizer

                    tokenizer = Tokenizer.from_file(str(self.folder / "tokenizer.json"))
                    tokenizer.no_padding()
                    tokenizer.enable_truncation(self.max_tokens)
                    self._tokenizer = tokenizer
        return self._tokenizer

    @property
    def dim(self) -> int:
        """Vector dimension."""
        self._load()
        return int(self._config["hidden_size"])

    def _load(self) -> None:
        if self._weights is not None:
            return
        with self._lock:
            if self._weights is not None:
                return
            if self.tokenizer_cache is not None:
                from index.embedders import unigram_lite

                # Built (once per tokenizer.json, checked against the real one) when missing.
                self._lite = unigram_lite.load_or_build(
                    self.folder / "tokenizer.json",
                    self.tokenizer_cache,
                    real=lambda: self.tokenizer,
                    max_tokens=self.max_tokens,
                )
            self._config = json.loads((self.folder / "config.json").read_text(encoding="utf-8"))
            self._weights = _read_safetensors(self.folder / "model.safetensors")

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        """Model tokens of each text, special tokens excluded (as the splitter counts them).

        Args:
            texts: Texts.

        Returns:
            Counts.
        """
        encoded = self.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        return [len(e.ids) for e in encoded]

    def _forward(self, ids: list[int]) -> np.ndarray:
        w = self._weights
        assert w is not None
        cfg = self._config
        eps = float(cfg.get("layer_norm_eps", 1e-12))
        heads = int(cfg["num_attention_heads"])
        n = len(ids)
        h = (
            np.asarray(w["embeddings.word_embeddings.weight"][ids])
            + w["embeddings.position_embeddings.weight"][:n]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        h = _layer_norm(
            h, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"], eps
        ).astype(np.float32)
        d = h.shape[1] // heads
        scale = np.float32(1.0 / np.sqrt(d))
        for i in range(int(cfg["num_hidden_layers"])):
            p = f"encoder.layer.{i}."

            def lin(x: np.ndarray, name: str, p: str = p) -> np.ndarray:
                return x @ self._t(p + name + ".weight") + w[p + name + ".bias"]  # type: ignore[index]

            q = lin(h, "attention.self.query").reshape(n, heads, d).transpose(1, 0, 2)
            k = lin(h, "attention.self.key").reshape(n, heads, d).transpose(1, 2, 0)
            v = lin(h, "attention.self.value").reshape(n, heads, d).transpose(1, 0, 2)
            scores = (q @ k) * scale
            scores -= scores.max(axis=-1, keepdims=True)
            probs = np.exp(scores)
            probs /= probs.sum(axis=-1, keepdims=True)
            ctx = (probs @ v).transpose(1, 0, 2).reshape(n, heads * d)
            h = _layer_norm(
                lin(ctx, "attention.output.dense") + h,
                w[p + "attention.output.LayerNorm.weight"],
                w[p + "attention.output.LayerNorm.bias"],
                eps,
            ).astype(np.float32)
            inner = lin(h, "intermediate.dense")
            inner = (0.5 * inner * (1.0 + _erf(inner * np.float32(1 / np.sqrt(2))))).astype(
                np.float32
            )
            h = _layer_norm(
                lin(inner, "output.dense") + h,
                w[p + "output.LayerNorm.weight"],
                w[p + "output.LayerNorm.bias"],
                eps,
            ).astype(np.float32)
        pooled = h.mean(axis=0)
        return pooled / max(float(np.linalg.norm(pooled)), 1e-12)

    def encode_texts(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts (prompts already added), one at a time (no padding).

        Args:
            texts: Texts.

        Returns:
            `(len(texts), dim)` float32 unit vectors.
        """
        self._load()
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        from threadpoolctl import threadpool_limits

        encoded = [self._ids(text) for text in texts]
        # Matrices this small run fastest on one BLAS thread (several threads spin, and on a
        # busy machine are ten times slower).
        with threadpool_limits(limits=1, user_api="blas"):
            return np.stack([self._forward(ids) for ids in encoded]).astype(np.float32)

    def _ids(self, text: str) -> list[int]:
        """Token ids of one text: the quick tokenizer when it covers it, else `tokenizers`."""
        if self._lite is not None:
            ids = self._lite.encode(text, self.max_tokens)
            if ids is not None:
                return ids  # type: ignore[no-any-return]
        return list(self.tokenizer.encode(text).ids)
