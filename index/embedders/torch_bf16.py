"""bfloat16 autocast on CPUs with bf16 instructions (AVX512-BF16, AMX); float32 vectors out."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

BF16_FLAGS = frozenset({"avx512_bf16", "amx_bf16"})


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> frozenset[str]:
    """The CPU feature flags the kernel reports (empty where there is no /proc/cpuinfo).

    Args:
        cpuinfo: The file to read.

    Returns:
        The flags of the first processor.
    """
    try:
        with cpuinfo.open(encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith(("flags", "Features")):
                    return frozenset(line.split(":", 1)[1].split())
    except OSError:
        pass
    return frozenset()


@cache
def cpu_has_bf16() -> bool:
    """Whether the CPU computes in bf16 natively (else autocast is emulated and slow)."""
    flags = cpu_flags()
    if flags:
        return bool(flags & BF16_FLAGS)
    try:  # no /proc/cpuinfo (macOS, ...): ask oneDNN
        import torch

        return bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    except Exception:  # any failure means "no"
        return False


class TorchBF16:
    """`torch.autocast("cpu", dtype=torch.bfloat16)` around the fp32 model.

    Matrix products run in bf16 (oneDNN), layer norms, softmax and pooling stay in fp32; the
    vectors are returned as normalised float32 and stay within cosine 0.9999 of fp32 on the
    default model (see bench/embedders.py).
    """

    name = "bf16"

    def supported(self) -> bool:
        """Only where the CPU has bf16 instructions."""
        return cpu_has_bf16()

    def encode(self, model: Any, texts: Sequence[str], batch_size: int) -> np.ndarray:
        """See `EncoderBackend.encode`."""
        import torch

        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
            vectors = model.encode(
                list(texts),
                batch_size=batch_size,
                normalize_embeddings=False,
                convert_to_tensor=True,
                show_progress_bar=False,
            )
        out = vectors.float().numpy().astype(np.float32, copy=False).reshape(len(texts), -1)
        out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return np.ascontiguousarray(out)
