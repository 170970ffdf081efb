"""Find an article's structure: title, section headings, body paragraphs, and page leftovers to drop.

Nothing here edits the text: every block is a `(start, end)` span of the article's own text,
so that what is shown later is exactly what was read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from index.arabic import normalize

BlockKind = Literal["title", "heading", "paragraph", "junk"]

_TERMINAL = ".!?؟…:;؛\"'»”)"
_MD_HEADING = re.compile(r"^#{1,6}\s+")
MAX_HEADING_WORDS = 14
MAX_HEADING_CHARS = 120

# Leftovers of web pages found across Arabic news sites: comment forms, share/follow
# prompts, navigation, related-links labels and footers. Matched on normalised lines.
_JUNK_LINE = re.compile(
    "|".join(
        [
            r"^(اترك|اضف|أضف|اكتب) (تعليقا|تعليق|ردا|رد)",
            r"تعليقك",
            r"بريدك الالكتروني",
            r"الحقول (الالزاميه|المطلوبه)",
            r"^زر الذهاب الي الاعلي$",
            r"^(العوده|الذهاب|انتقل) (الي|ل)(ل)?(اعلي|الاعلي)",
            r"^(اقرا|شاهد|طالع) (ايضا|المزيد)",
            r"^(المزيد|للمزيد|اقرا المزيد|عرض المزيد|المزيد من الاخبار|اخبار ذات صله|مواضيع ذات صله)$",
            r"^(شارك|مشاركه|شارك الخبر|طباعه|ارسال|نسخ الرابط)( .{0,30})?$",
            r"^تابع(ونا|نا)? (علي|عبر)",
            r"^(جميع الحقوق محفوظه|حقوق النشر|كل الحقوق محفوظه)",
            r"^(اشترك|سجل) (في|ب)? ?(النشره|القائمه البريديه)",
            r"^(اعلان|advertisement|sponsored)$",
            r"^(الرئيسيه|home)( [|>/»].*)?$",
            r"^(التعليقات|comments?)( \(?\d+\)?)?$",
            r"^(tags|الكلمات المفتاحيه|الوسوم)\s*:",
            r"^(leave a (comment|reply)|your email address will not be published|share this|read more)",
            r"\bcookies?\b",
        ]
    )
)


@dataclass(frozen=True)
class Block:
    """A span of the article text with its role."""

    kind: BlockKind
    start: int
    end: int


def _lines(text: str) -> list[tuple[int, int]]:
    """Spans of the non-blank lines of `text`, white space trimmed."""
    spans = []
    pos = 0
    for raw in text.splitlines(keepends=True):
        line = raw.rstrip("\r\n")
        stripped = line.strip()
        if stripped:
            start = pos + (len(line) - len(line.lstrip()))
            spans.append((start, start + len(stripped)))
        pos += len(raw)
    return spans


def is_junk(line: str) -> bool:
    """Whether a whole line is a web-page leftover rather than article text.

    Args:
        line: One line of text as read.

    Returns:
        True for comment forms, share prompts, navigation and similar lines.
    """
    norm = normalize(line).strip(" .:!-–—|*•·")
    return len(norm.split()) <= 25 and bool(_JUNK_LINE.search(norm))


def looks_like_heading(line: str) -> bool:
    """Whether a line reads as a headline: short, no sentence punctuation at its end, no commas.

    Args:
        line: One line of text as read.

    Returns:
        True for headline-like lines.
    """
    if _MD_HEADING.match(line):
        return True
    stripped = line.strip().rstrip("*_ ")
    if not stripped or len(stripped) > MAX_HEADING_CHARS:
        return False
    if len(stripped.split()) > MAX_HEADING_WORDS:
        return False
    if stripped[-1] in _TERMINAL and not stripped.endswith(("»", "”", '"', ")")):
        return False
    return "،" not in stripped and ", " not in stripped


def heading_text(text: str, block: Block) -> str:
    """The display text of a heading block (markdown `#` marks removed).

    Args:
        text: The article text.
        block: A title or heading block of it.

    Returns:
        The heading as shown.
    """
    return _MD_HEADING.sub("", text[block.start : block.end]).strip(" *_")


def structure(text: str) -> list[Block]:
    """Label each non-blank line of an article as title, heading, paragraph or junk.

    Rules, applied in order: lines that match known page leftovers are junk; a headline-like
    line followed by a paragraph heads that section; headline-like lines with no paragraph
    after them (trailing menus, comment prompts, a kicker above the title) are junk, except
    that the last headline-like line with at least three words before the first paragraph is
    the title.

    Args:
        text: The article text.

    Returns:
        Blocks in text order.
    """
    spans = _lines(text)
    kinds: list[BlockKind] = []
    for start, end in spans:
        line = text[start:end]
        if is_junk(line):
            kinds.append("junk")
        elif looks_like_heading(line):
            kinds.append("heading")
        else:
            kinds.append("paragraph")

    # A heading must have a paragraph right after it (ignoring junk); otherwise it is junk.
    next_is_paragraph = False
    for i in range(len(kinds) - 1, -1, -1):
        kind = kinds[i]
        if kind == "paragraph":
            next_is_paragraph = True
        elif kind == "heading":
            if not next_is_paragraph:
                kinds[i] = "junk"
            next_is_paragraph = False

    # The title: leading headline-like lines before the first paragraph.
    first_para = next((i for i, k in enumerate(kinds) if k == "paragraph"), len(kinds))
    leading = [i for i in range(first_para) if looks_like_heading(text[spans[i][0] : spans[i][1]])]
    leading = [i for i in leading if not is_junk(text[spans[i][0] : spans[i][1]])]
    titled = [i for i in leading if len(text[spans[i][0] : spans[i][1]].split()) >= 3]
    if titled:
        kinds[titled[-1]] = "title"
    return [Block(kind, s, e) for kind, (s, e) in zip(kinds, spans, strict=True)]


def find_title(text: str, blocks: list[Block], max_chars: int = 90) -> str:
    """A sensible title for an article that has none in its metadata.

    The headline at its top if there is one, else its first section heading, else the
    opening words of its first paragraph.

    Args:
        text: The article text.
        blocks: Its structure.
        max_chars: Longest title made from body text.

    Returns:
        The title (may be empty for an empty article).
    """
    for kind in ("title", "heading"):
        for block in blocks:
            if block.kind == kind:
                return heading_text(text, block)
    for block in blocks:
        if block.kind == "paragraph":
            body = text[block.start : block.end]
            first = re.split(r"[.!?؟،,؛]", body, maxsplit=1)[0].strip()
            if len(first) <= max_chars:
                return first
            cut = first[:max_chars].rsplit(" ", 1)[0]
            return cut + "…"
    return ""
