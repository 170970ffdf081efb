"""Encoding backends for the embedding model, one per file, behind `make_backend`."""

from __future__ import annotations

from pathlib import Path

from index.protocols import EncoderBackend

BACKENDS = ("fp32", "bf16", "openvino")
"""Concrete backends; `auto` takes the fastest of them that passes the parity check."""


class UnknownBackendError(ValueError):
    """A backend name that akhbar does not know."""


def make_backend(
    name: str, *, export_root: Path | None = None, model_id: str | None = None, threads: int = 0
) -> EncoderBackend:
    """The backend called `name` (cheap: imports nothing heavy).

    Args:
        name: `fp32`, `bf16` or `openvino`.
        export_root: Where exported copies of the model are kept (`openvino`; None: converted
            in memory in every process).
        model_id: The model's identity, the key of its export.
        threads: CPU threads for backends that set their own (0: one per core).

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
    if name == "openvino":
        from index.embedders.openvino_ir import OpenVINO

        return OpenVINO(export_root, model_id, threads)
    raise UnknownBackendError(
        f"unknown embedding backend {name!r}; choose auto, {', '.join(BACKENDS)}"
    )
