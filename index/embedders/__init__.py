"""Encoding backends for the embedding model, one per file, behind `make_backend`."""

from __future__ import annotations

from index.protocols import EncoderBackend

BACKENDS = ("fp32", "bf16")
"""Concrete backends, in order of preference when they pass the parity check."""


class UnknownBackendError(ValueError):
    """A backend name that akhbar does not know."""


def make_backend(name: str) -> EncoderBackend:
    """The backend called `name` (cheap: imports nothing heavy).

    Args:
        name: `fp32` or `bf16`.

    Returns:
        The backend.

    Raises:
        UnknownBackendError: Any other name.
    """
    if name == "fp32":
        from index.embedders.torch_fp32 import TorchFP32

        return TorchFP32()
    if name == "bf16":
        from index.embedders.torch_bf16 import TorchBF16

        return TorchBF16()
    raise UnknownBackendError(
        f"unknown embedding backend {name!r}; choose auto, {', '.join(BACKENDS)}"
    )
