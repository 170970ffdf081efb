"""The model's Unigram tokenizer for a few short texts, loaded in milliseconds from a checked cache.

`tokenizers` needs most of a second to read the default model's `tokenizer.json` (9 MB of JSON,
a trie of 250,002 pieces; `bench/tokenizer_parity.py` times it), for a question of a few dozen
pieces. `LiteUnigram` keeps the pieces (sorted, for binary search), their ids and scores in one
binary file, built once from the real tokenizer, and runs the same Viterbi in Python.

It is exact by construction only for what it was checked on, so:

* the cache is written only after the real tokenizer and this one agree on a probe set (texts in
  every script it covers, diacritics, spaces, truncation); otherwise the cache records
  "unsupported" and the real tokenizer is used;
* normalisation is a per-code-point table taken from the real normaliser, which is exact for
  the default model (its pipeline maps code points one by one, see `index.e5.tokenizer`) and
  only for characters whose grapheme clusters cannot span several code points in other ways;
  `encode` returns None for a text with any character outside `_COVERED` (Hangul, CR LF, flags,
  the Arabic "prepend" signs, ...) or holding a special token, and the caller uses `tokenizers`.
"""

from __future__ import annotations

import bisect
import json
import logging
import random
import re
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from index.files import atomic_write, sha256_file

log = logging.getLogger(__name__)

_MAGIC = b"AKUL"
_VERSION = 1
_METASPACE = "\u2581"

# Code points whose grapheme clusters are made only by combining marks / joiners (which the
# default model's normaliser splits off one by one): Latin, Greek, Cyrillic, Hebrew, Arabic
# (without its prepended number signs U+0600-0605, U+06DD, U+0890-0891, U+08E2), general
# punctuation, currency signs and Arabic presentation forms. CR is left out (CR LF is one cluster).
_COVERED_RANGES = (
    (0x09, 0x0A),
    (0x20, 0x7E),
    (0xA0, 0x52F),
    (0x590, 0x5FF),
    (0x606, 0x6DC),
    (0x6DE, 0x6FF),
    (0x750, 0x77F),
    (0x8A0, 0x8E1),
    (0x8E3, 0x8FF),
    (0x2000, 0x206F),
    (0x20A0, 0x20CF),
    (0xFB50, 0xFDFF),
    (0xFE70, 0xFEFF),
)
_UNCOVERED = re.compile("[^" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in _COVERED_RANGES) + "]")
_SPACES = re.compile(" {2,}")


class LiteUnigram:
    """Viterbi over sorted Unigram pieces; the same ids as the model's `tokenizers` pipeline.

    Build with `load_or_build`; `encode` returns None for texts it does not cover.
    """

    def __init__(
        self,
        pieces: list[str],
        ids: Any,
        scores: Sequence[float],
        meta: dict[str, Any],
    ) -> None:
        """Wrap loaded tables (see `load_or_build`).

        Args:
            pieces: Every piece, sorted.
            ids: The id of each piece of `pieces` (a sequence or an int array).
            scores: Score of each id.
            meta: Special ids, special token texts, the normalisation table, longest piece.
        """
        self._pieces = pieces
        self._ids = ids
        self._scores = scores
        self._norm: dict[str, str] = meta["norm"]
        self._specials: list[str] = meta["specials"]
        self._bos: int = meta["bos"]
        self._eos: int = meta["eos"]
        self._unk: int = meta["unk"]
        self._longest: int = meta["longest"]

    def _matches(self, text: str, i: int) -> list[tuple[int, int]]:
        """(length, id) of every piece that `text` holds at `i`, shortest first."""
        pieces, out = self._pieces, []
        for length in range(1, min(self._longest, len(text) - i) + 1):
            sub = text[i : i + length]
            k = bisect.bisect_left(pieces, sub)
            if k == len(pieces) or not pieces[k].startswith(sub):
                break  # no piece starts with `sub`, so none with anything longer
            if pieces[k] == sub:
                out.append((length, int(self._ids[k])))
        return out

    def _normalise(self, text: str) -> str | None:
        if _UNCOVERED.search(text) or any(s in text for s in self._specials):
            return None
        norm = self._norm
        out = _SPACES.sub(" ", "".join([norm.get(ch, ch) for ch in text]))
        if not out:
            return None
        out = out.replace(" ", _METASPACE)
        return out if out.startswith(_METASPACE) else _METASPACE + out

    def _viterbi(self, text: str) -> list[int]:
        n = len(text)
        best: list[float | None] = [None] * (n + 1)
        best[0] = 0.0
        start = [0] * (n + 1)
        token = [0] * (n + 1)
        scores = self._scores
        for i in range(n):
            base = best[i]
            assert base is not None  # every position is reached (unknown characters too)
            single = False
            for length, pid in self._matches(text, i):
                single = single or length == 1
                cand = base + scores[pid]
                end = i + length
                prev = best[end]
                if prev is None or cand > prev:
                    best[end], start[end], token[end] = cand, i, pid
            if not single:  # a character in no piece: one <unk> of its own
                best[i + 1], start[i + 1], token[i + 1] = base, i, self._unk
        out: list[int] = []
        end = n
        while end > 0:
            out.append(token[end])
            end = start[end]
        out.reverse()
        return out

    def encode(self, text: str, max_tokens: int) -> list[int] | None:
        """Token ids of `text` with `<s>`/`</s>`, cut to `max_tokens` (as `tokenizers` cuts).

        Args:
            text: The text.
            max_tokens: Longest output, special tokens included.

        Returns:
            The ids, or None when the text has a character or a special token this
            tokenizer does not cover (use the real tokenizer then).
        """
        norm = self._normalise(text)
        if norm is None:
            return None
        ids = self._viterbi(norm)[: max(max_tokens - 2, 0)]
        return [self._bos, *ids, self._eos]


def _probe_texts(covered: list[str], seed: int = 0) -> list[str]:
    """Texts the cached tokenizer must encode exactly as the real one before it is used."""
    rng = random.Random(seed)
    fixed = [
        "query: من توسط في هدنة نوفمبر؟",
        "passage: ونجحت وساطة مصرية - قطرية - أمريكية في 24 نوفمبر الماضي في التوصل إلى هدنة.",
        "query: What did the minister say about Gaza on 3 March 2024?",
        "  leading  and   trailing spaces\t\tand tabs\nand lines  ",
        "مُحَمَّدٌ رَسُولُ اللَّهِ ــــ تطويل، «اقتباس» (قوس) ١٢٣٤٥٦٧٨٩٠ ٪ ؟",
        "e\u0301 a\u0308 \u0627\u064e\u0651 \u200c\u200d \u200e\u200f \ufeff \u00a0 \u2009x",
        "ﻻ ﷲ ﷺ ﭐﭑ ﹰﹱ Ω ж שלום ﬁ ½ ² Ⅸ № ™ …",
        "x" * 3000,
        " " + "كلمة " * 700,
    ]
    words = ["".join(rng.choice(covered) for _ in range(rng.randint(1, 12))) for _ in range(2000)]
    randoms = [" ".join(rng.choice(words) for _ in range(rng.randint(1, 30))) for _ in range(300)]
    return fixed + randoms


def _cache_path(tokenizer_json: Path, cache_dir: Path) -> Path:
    return cache_dir / f"unigram-{sha256_file(tokenizer_json)[:32]}.bin"


def _read(path: Path) -> LiteUnigram | None:
    import numpy as np

    data = path.read_bytes()
    if data[:4] != _MAGIC:
        raise ValueError("not a tokenizer cache")
    version, header_len = struct.unpack_from("<II", data, 4)
    if version != _VERSION:
        raise ValueError(f"tokenizer cache version {version}")
    at = 12 + header_len
    meta = json.loads(data[12:at])
    if not meta.get("supported"):
        return None
    n = int(meta["count"])
    ids = np.frombuffer(data, dtype="<i4", count=n, offset=at)
    at += 4 * n
    scores = np.frombuffer(data, dtype="<f8", count=n, offset=at).tolist()
    at += 8 * n
    pieces = data[at:].decode("utf-8").split("\n")
    if len(pieces) != n:
        raise ValueError("tokenizer cache pieces do not match its count")
    return LiteUnigram(pieces, ids, scores, meta)


def _write(
    path: Path,
    meta: dict[str, Any],
    ids: Any = None,
    scores: Any = None,
    pieces: list[str] | None = None,
) -> None:
    header = json.dumps(meta, ensure_ascii=False).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as fh:
        fh.write(_MAGIC + struct.pack("<II", _VERSION, len(header)) + header)
        if pieces is not None:
            fh.write(ids.astype("<i4").tobytes())
            fh.write(scores.astype("<f8").tobytes())
            fh.write("\n".join(pieces).encode("utf-8"))


def _build(
    tokenizer_json: Path, real: Any, max_tokens: int
) -> tuple[dict[str, Any], Any, Any, list[str]] | None:
    """Tables from `tokenizer.json`, or None (with the reason logged) when they cannot match."""
    import numpy as np

    spec = json.loads(tokenizer_json.read_text(encoding="utf-8"))
    model = spec.get("model") or {}
    post = spec.get("post_processor") or {}
    pre = spec.get("pre_tokenizer") or {}
    pres = pre.get("pretokenizers", [pre]) if pre.get("type") == "Sequence" else [pre]
    meta_ok = (
        model.get("type") == "Unigram"
        and not model.get("byte_fallback")
        and pres
        and pres[0].get("type") == "Metaspace"
        and pres[0].get("replacement") == _METASPACE
        and pres[0].get("prepend_scheme") == "always"
        and all(p.get("type") in ("Metaspace", "Split") for p in pres)
        and post.get("type") == "TemplateProcessing"
        and len(post.get("single", [])) == 3
    )
    if not meta_ok:
        log.info("%s: not a Unigram pipeline the quick tokenizer knows", tokenizer_json)
        return None
    vocab = model["vocab"]
    pieces = [p for p, _ in vocab]
    if any("\n" in p for p in pieces):
        log.info(
            "%s: a piece holds a line break; the quick tokenizer cannot store it", tokenizer_json
        )
        return None
    single = post["single"]
    specials = post.get("special_tokens", {})
    try:
        bos = int(specials[single[0]["SpecialToken"]["id"]]["ids"][0])
        eos = int(specials[single[2]["SpecialToken"]["id"]]["ids"][0])
    except (KeyError, IndexError, TypeError):
        log.info("%s: no <s> ... </s> template the quick tokenizer knows", tokenizer_json)
        return None
    covered = [chr(cp) for a, b in _COVERED_RANGES for cp in range(a, b + 1)]
    normaliser = real.normalizer
    norm = {}
    for ch in covered:
        out = normaliser.normalize_str(ch) if normaliser is not None else ch
        if out != ch:
            norm[ch] = out
    order = sorted(range(len(pieces)), key=pieces.__getitem__)
    sorted_pieces = [pieces[i] for i in order]
    meta: dict[str, Any] = {
        "supported": True,
        "count": len(pieces),
        "bos": bos,
        "eos": eos,
        "unk": int(model.get("unk_id") or 0),
        "longest": max(len(p) for p in pieces),
        "specials": [t["content"] for t in spec.get("added_tokens", [])],
        "norm": norm,
    }
    ids = np.asarray(order, dtype=np.int64)
    scores = np.asarray([float(s) for _, s in vocab], dtype=np.float64)
    lite = LiteUnigram(sorted_pieces, ids.tolist(), scores.tolist(), meta)
    usable = [ch for ch in covered if ch not in meta["specials"]]
    for text in _probe_texts(usable):
        mine = lite.encode(text, max_tokens)
        if mine is None:
            continue
        theirs = real.encode(text).ids
        if mine != theirs:
            log.warning(
                "quick tokenizer differs from %s on %r (%s vs %s): not used",
                tokenizer_json,
                text[:60],
                mine[:12],
                theirs[:12],
            )
            return None
    return meta, ids, scores, sorted_pieces


def load_or_build(
    tokenizer_json: Path, cache_dir: Path, real: Any = None, max_tokens: int = 512
) -> LiteUnigram | None:
    """The quick tokenizer for `tokenizer_json`, from its cache or built (and checked) now.

    Args:
        tokenizer_json: The model's `tokenizer.json`.
        cache_dir: Where cached tables live (one file per `tokenizer.json` content).
        real: A zero-argument callable returning the real `tokenizers.Tokenizer` (truncating
            at `max_tokens`), used only to build the cache; None: do not build.
        max_tokens: Truncation length of the real tokenizer (checked on the probes).

    Returns:
        The tokenizer, or None when it is not available for this file (use the real one).
    """
    path = _cache_path(tokenizer_json, cache_dir)
    if path.is_file():
        try:
            return _read(path)
        except (OSError, ValueError, UnicodeDecodeError) as exc:
            log.warning("tokenizer cache %s unreadable (%s); rebuilding it", path, exc)
    if real is None:
        return None
    built = _build(tokenizer_json, real(), max_tokens)
    meta, ids, scores, pieces = built or ({"supported": False}, None, None, None)
    try:
        _write(path, meta, ids, scores, pieces)  # the verdict is kept either way
    except OSError as exc:  # a read-only cache folder costs only speed
        log.warning("cannot write tokenizer cache %s: %s", path, exc)
    if built is None:
        return None
    meta, ids, scores, pieces = built
    return LiteUnigram(pieces, ids.tolist(), scores.tolist(), meta)
