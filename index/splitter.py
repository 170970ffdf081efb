"""Split articles into sentence-aware chunks sized in the embedding model's tokens, with exact offsets."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Sequence

from index.clean import Block, find_title, heading_text, structure
from index.config import SplitterSettings
from index.passage import Passage
from index.reader import Article

TokenCounter = Callable[[Sequence[str]], list[int]]

# A sentence ends at . ! ? ؟ … (not inside numbers like 3.5) followed by space, or at a line end.
_SENTENCE_END = re.compile(r"(?<!\d[.])(?:[.!?؟…]+[\"'»”)]*)(?=\s)|(?<=\S)\n")
# Clause boundaries inside a long sentence: Arabic and Latin comma and semicolon.
_CLAUSE_END = re.compile(r"[،؛;](?=\s)|,(?=\s)")


def _spans_split(
    text: str, start: int, end: int, pattern: re.Pattern[str]
) -> list[tuple[int, int]]:
    """Cut text[start:end] after each match of `pattern`; trims white space; keeps offsets."""
    spans: list[tuple[int, int]] = []
    pos = start
    for match in pattern.finditer(text, start, end):
        spans.append((pos, match.end()))
        pos = match.end()
    spans.append((pos, end))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if s < e:
            out.append((s, e))
    return out


def sentences(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence spans of text[start:end] (full stops, question and exclamation marks, line breaks).

    Args:
        text: The text.
        start: Where to begin.
        end: Where to stop (default: the end).

    Returns:
        `(start, end)` spans with surrounding white space trimmed.
    """
    return _spans_split(text, start, len(text) if end is None else end, _SENTENCE_END)


def clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Clause spans of one sentence (split at ، ؛ ; and commas followed by a space).

    Args:
        text: The text.
        start: Sentence start.
        end: Sentence end.

    Returns:
        `(start, end)` spans.
    """
    return _spans_split(text, start, end, _CLAUSE_END)


#: What the splitter makes: the passage record (`article.text[start:end] == text`).
Chunk = Passage


def chunk_id_for(doc_id: str, start: int, end: int, text: str) -> str:
    """A chunk identifier that stays the same while the article's text does.

    Args:
        doc_id: The article.
        start: Chunk start offset.
        end: Chunk end offset.
        text: Chunk text.

    Returns:
        16 hex digits.
    """
    key = f"{doc_id}\0{start}\0{end}\0{text}".encode()
    return hashlib.sha1(key, usedforsecurity=False).hexdigest()[:16]


def _segments(blocks: list[Block]) -> list[tuple[Block | None, list[Block]]]:
    """Runs of consecutive paragraphs under one heading, broken by headings and junk."""
    out: list[tuple[Block | None, list[Block]]] = []
    section_block: Block | None = None
    current: list[Block] = []
    for block in blocks:
        if block.kind == "paragraph":
            current.append(block)
            continue
        if current:
            out.append((section_block, current))
            current = []
        if block.kind == "heading":
            section_block = block
    if current:
        out.append((section_block, current))
    return out


class Splitter:
    """Sentence-aware chunker; token counts come from the embedding model's own tokenizer."""

    def __init__(self, count_tokens: TokenCounter, config: SplitterSettings | None = None) -> None:
        """Create a splitter.

        Args:
            count_tokens: Returns the number of model tokens of each text (batch).
            config: Chunk size and overlap.
        """
        self.count_tokens = count_tokens
        self.config = config or SplitterSettings()

    def _units(self, text: str, paragraphs: list[Block]) -> list[tuple[int, int]]:
        """Sentences of the paragraphs; over-long ones cut at clauses, then at words."""
        sents = [s for p in paragraphs for s in sentences(text, p.start, p.end)]
        budget = self.config.chunk_tokens
        counts = self.count_tokens([text[s:e] for s, e in sents])
        units: list[tuple[int, int]] = []
        for (s, e), n in zip(sents, counts, strict=True):
            if n <= budget:
                units.append((s, e))
                continue
            parts = clauses(text, s, e)
            part_counts = self.count_tokens([text[a:b] for a, b in parts])
            for (a, b), m in zip(parts, part_counts, strict=True):
                if m <= budget:
                    units.append((a, b))
                else:
                    units.extend(self._word_pieces(text, a, b, m))
        return units

    def _word_pieces(self, text: str, start: int, end: int, tokens: int) -> list[tuple[int, int]]:
        """Cut an over-long clause into word-aligned pieces under the budget."""
        words = [(m.start(), m.end()) for m in re.finditer(r"\S+", text[start:end])]
        per_piece = max(1, int(len(words) * self.config.chunk_tokens / tokens * 0.9))
        pieces = []
        for i in range(0, len(words), per_piece):
            group = words[i : i + per_piece]
            pieces.append((start + group[0][0], start + group[-1][1]))
        return pieces

    def _pack(self, text: str, units: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """Greedily pack units into chunks under the budget, repeating the last sentence(s)."""
        if not units:
            return []
        counts = self.count_tokens([text[s:e] for s, e in units])
        budget = self.config.chunk_tokens
        overlap = self.config.overlap_sentences
        chunks: list[tuple[int, int]] = []
        i = 0
        while i < len(units):
            j, total = i, 0
            while j < len(units) and (j == i or total + counts[j] <= budget):
                total += counts[j]
                j += 1
            chunks.append((units[i][0], units[j - 1][1]))
            if j >= len(units):
                break
            # Step back by `overlap` units, but always make progress.
            i = max(j - overlap, i + 1)
        return chunks

    def split(self, article: Article) -> tuple[list[Chunk], str]:
        """Split an article.

        Args:
            article: The article.

        Returns:
            Its chunks in text order, and its title (from metadata or found in the text).
        """
        text = article.text
        blocks = structure(text)
        title = article.title.strip() or find_title(text, blocks)
        chunks: list[Chunk] = []
        for heading, paragraphs in _segments(blocks):
            section = heading_text(text, heading) if heading else ""
            for s, e in self._pack(text, self._units(text, paragraphs)):
                piece = text[s:e]
                chunks.append(
                    Chunk(
                        doc_id=article.doc_id,
                        chunk_id=chunk_id_for(article.doc_id, s, e, piece),
                        title=title,
                        section=section,
                        text=piece,
                        start=s,
                        end=e,
                    )
                )
        return chunks, title
