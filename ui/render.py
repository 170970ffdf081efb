"""HTML for the chat page, built with every piece of article text, title and question escaped."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from qa.answer import Answer, Citation

log = logging.getLogger(__name__)

TITLE = "أخبار — اسأل عن الأخبار"
SUBTITLE = (
    "اسأل عن الأخبار المفهرسة، وتحقّق من كل إجابة بمصدرها: كل رقم [n] يفتح المقطع الذي جاءت منه."
)
EMPTY_SOURCES_HINT = (
    "ستظهر هنا مصادر الإجابة: عنوان المقال، والمقطع المقتبس مع تظليل الإجابة، والمقال كاملاً."
)
PENDING = "جارٍ البحث في المصادر…"
NOT_FOUND_TITLE = "لم أجد الإجابة في المصادر"
MAX_TURNS_KEPT = 12

_CITE_MARK = re.compile(r"\[(\d{1,3})\]")


def esc(text: object) -> str:
    """Escape any value for use in HTML text or a quoted attribute.

    Args:
        text: Untrusted text (or anything printable).

    Returns:
        The text with `& < > " '` escaped.
    """
    return html.escape("" if text is None else str(text), quote=True)


def source_anchor(turn: int, n: int) -> str:
    """The element id of source `n` of conversation turn `turn` in the sources panel.

    Args:
        turn: Turn number (1 for the first question of a conversation).
        n: Citation number.

    Returns:
        The id, e.g. `akhbar-src-1-2`.
    """
    return f"akhbar-src-{int(turn)}-{int(n)}"


def _mark_answer(span_html: str) -> str:
    return f'<mark class="akhbar-answer">{span_html}</mark>'


def passage_html(citation: Citation) -> str:
    """The cited passage with the answer span highlighted.

    Args:
        citation: The citation.

    Returns:
        A <blockquote class="akhbar-passage"> element.
    """
    body = citation.marked(_mark_answer, esc)
    return f'<blockquote class="akhbar-passage" dir="auto">{body}</blockquote>'


def article_html(citation: Citation, article_text: str | None) -> str:
    """The whole article with the cited passage (and its answer span) highlighted.

    Args:
        citation: The citation; `start`/`end` locate its passage in the article.
        article_text: The article as stored in the index, or None when unavailable.

    Returns:
        A collapsible <details class="akhbar-article"> element, or "" when the article is not
        available or no longer holds the passage (it was replaced since the answer).
    """
    start, end = citation.start, citation.end
    if article_text is None or article_text[start:end] != citation.text:
        return ""
    inner = citation.marked(_mark_answer, esc)
    body = (
        f"{esc(article_text[:start])}"
        f'<span class="akhbar-in-article">{inner}</span>'
        f"{esc(article_text[end:])}"
    )
    return (
        '<details class="akhbar-article">'
        '<summary><span class="akhbar-article-label">اعرض المقال كاملاً</span></summary>'
        f'<div class="akhbar-article-text" dir="auto">{body}</div>'
        "</details>"
    )


def _title(citation: Citation) -> str:
    return citation.title.strip() or citation.doc_id


def sources_section(
    answer: Answer, turn: int, articles: Mapping[str, str | None] | None = None
) -> str:
    """The sources of one answer, as shown in the sources panel.

    Args:
        answer: The (final) answer.
        turn: Its turn number in the conversation (see `source_anchor`).
        articles: Full article text by doc id, for the "whole article" view.

    Returns:
        A <section class="akhbar-turn"> element (empty of sources when nothing was found).
    """
    articles = articles or {}
    items = []
    for c in answer.citations:
        section = (
            f'<span class="akhbar-section" dir="auto">{esc(c.section)}</span>' if c.section else ""
        )
        items.append(
            f'<article class="akhbar-source" id="{source_anchor(turn, c.n)}" data-n="{int(c.n)}"'
            f' data-turn="{int(turn)}" data-doc="{esc(c.doc_id)}">'
            '<details class="akhbar-source-details">'
            f'<summary><span class="akhbar-num">{int(c.n)}</span>'
            '<span class="akhbar-source-head">'
            f'<span class="akhbar-title" dir="auto">{esc(_title(c))}</span>'
            f"{section}</span></summary>"
            f'<div class="akhbar-source-body">{passage_html(c)}'
            f'<div class="akhbar-docid" dir="ltr">{esc(c.doc_id)}</div>'
            f"{article_html(c, articles.get(c.doc_id))}</div>"
            "</details></article>"
        )
    if not items:
        items.append(
            '<p class="akhbar-muted">لا مصادر لهذا السؤال: لم تُذكر إجابته في المقالات.</p>'
        )
    return (
        f'<section class="akhbar-turn" data-turn="{int(turn)}">'
        f'<p class="akhbar-turn-q" dir="auto"><span class="akhbar-q-label">السؤال:</span> '
        f"{esc(answer.question)}</p>{''.join(items)}</section>"
    )


def sources_panel(sections: Sequence[str]) -> str:
    """The sources panel: the newest turn's sources shown, earlier turns kept hidden.

    Earlier sections stay in the page so that citations in earlier answers still open their
    own sources (the page script un-hides a section when one of its citations is clicked).

    Args:
        sections: `sources_section` HTML of each turn, oldest first.

    Returns:
        The panel's inner HTML.
    """
    head = '<h2 class="akhbar-panel-title">المصادر</h2>'
    if not sections:
        return f'{head}<p class="akhbar-muted akhbar-empty-sources">{esc(EMPTY_SOURCES_HINT)}</p>'
    kept = list(sections)[-MAX_TURNS_KEPT:]
    parts = [
        s if i == len(kept) - 1 else s.replace("<section ", "<section hidden ", 1)
        for i, s in enumerate(kept)
    ]
    return head + "".join(parts)


def answer_html(answer: Answer, turn: int, *, streaming: bool = False) -> str:
    """One assistant chat bubble: the answer with clickable [n] citations, or a not-found note.

    Args:
        answer: The answer so far.
        turn: Its turn number (citation links point to `source_anchor(turn, n)`).
        streaming: The answer is still growing (adds a typing cursor, no source list yet).

    Returns:
        The bubble's HTML.
    """
    if not answer.found:
        return (
            '<div class="akhbar-msg akhbar-notfound" role="note">'
            '<span class="akhbar-icon" aria-hidden="true">؟</span>'
            f'<div><p class="akhbar-notfound-title">{esc(NOT_FOUND_TITLE)}</p>'
            f'<p class="akhbar-text" dir="auto">{esc(answer.answer)}</p></div></div>'
        )
    numbers = {int(c.n) for c in answer.citations}

    def link(match: re.Match[str]) -> str:
        n = int(match.group(1))
        if n not in numbers:
            return match.group(0)
        return (
            f'<a class="akhbar-cite" href="#{source_anchor(turn, n)}" role="button"'
            f' title="افتح المصدر {n}">[{n}]</a>'
        )

    text = _CITE_MARK.sub(link, esc(answer.answer))
    cursor = '<span class="akhbar-cursor" aria-hidden="true"></span>' if streaming else ""
    chips = ""
    if answer.citations and not streaming:
        chips = "".join(
            f'<li><a class="akhbar-chip akhbar-cite" href="#{source_anchor(turn, c.n)}"'
            f' role="button"><span class="akhbar-num">{int(c.n)}</span>'
            f'<span dir="auto">{esc(_title(c))}</span></a></li>'
            for c in answer.citations
        )
        chips = f'<ul class="akhbar-chips" aria-label="المصادر">{chips}</ul>'
    # The name, number, date or place asked for comes first; the clause it was cited from after.
    short = (
        f'<p class="akhbar-short" dir="auto">{esc(answer.short_answer)}</p>'
        if answer.short_answer
        else ""
    )
    return (
        '<div class="akhbar-msg akhbar-found">'
        f'{short}<p class="akhbar-text" dir="auto">{text}{cursor}</p>{chips}</div>'
    )


def pending_html() -> str:
    """The assistant bubble shown while the question is being looked up."""
    return (
        '<div class="akhbar-msg akhbar-pending">'
        f'<span class="akhbar-dots" aria-hidden="true"></span>{esc(PENDING)}</div>'
    )


def question_html(question: str) -> str:
    """One user chat bubble (the question, escaped).

    Args:
        question: As typed.

    Returns:
        The bubble's HTML.
    """
    return f'<p class="akhbar-text akhbar-user" dir="auto">{esc(question)}</p>'


def error_html(message: str) -> str:
    """An assistant bubble for a question that could not be answered.

    Args:
        message: A friendly (Arabic) explanation; escaped here.

    Returns:
        The bubble's HTML.
    """
    return (
        '<div class="akhbar-msg akhbar-error" role="alert">'
        '<span class="akhbar-icon" aria-hidden="true">!</span>'
        f'<p class="akhbar-text" dir="auto">{esc(message)}</p></div>'
    )


def header_html() -> str:
    """The page heading."""
    return (
        '<header class="akhbar-header">'
        '<div class="akhbar-logo" aria-hidden="true">خ</div>'
        f'<div><h1 class="akhbar-h1">{esc(TITLE)}</h1>'
        f'<p class="akhbar-sub">{esc(SUBTITLE)}</p></div></header>'
    )


def example_questions(titles: Mapping[str, str], limit: int = 4, max_chars: int = 70) -> list[str]:
    """Generic starter questions built from the indexed articles' titles.

    Args:
        titles: Title by doc id (`Akhbar.info()["titles"]`).
        limit: At most this many.
        max_chars: Longer titles are cut at a word boundary.

    Returns:
        Questions such as «ما أبرز ما جاء في: <title>؟».
    """
    out: list[str] = []
    for _, title in sorted(titles.items()):
        title = " ".join((title or "").split()).strip(" .:؟?!")
        if not title:
            continue
        if len(title) > max_chars:
            title = title[:max_chars].rsplit(" ", 1)[0] + "…"
        question = f"ما أبرز ما جاء في: {title}؟"
        if question not in out:
            out.append(question)
        if len(out) >= limit:
            break
    return out
