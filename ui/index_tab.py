"""The index tab «الفهرس»: what the index holds, and uploads of new articles into it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from index.arabic import normalize
from index.errors import ReadError
from ui.errors import UploadRejected
from ui.messages import friendly_error
from ui.protocols import Library
from ui.render import error_html, esc
from ui.uploads import ALLOWED_SUFFIXES, stage_uploads

log = logging.getLogger(__name__)

PER_PAGE = 50
"""Articles listed on one page of the index tab (the list is paged and searchable)."""
# Gradio gives each call its own tracker in place of this default; it follows the indexer's
# tqdm bar (articles read, of how many), so a large upload shows its progress.
_PROGRESS = gr.Progress(track_tqdm=True)


class ArticleList:
    """The indexed articles as (id, title), sorted by id, searchable; cached per generation."""

    def __init__(self) -> None:
        """Start empty."""
        self._key: Any = None
        self._rows: list[tuple[str, str, str]] = []

    def rows(self, info: Mapping[str, Any]) -> list[tuple[str, str, str]]:
        """`(doc id, title, normalised "id title")` of the index `info` describes.

        Args:
            info: `Akhbar.info()`.

        Returns:
            The rows, sorted by id.
        """
        titles: Mapping[str, str] = info.get("titles") or {}
        key = (info.get("generation"), len(titles)) if info.get("generation") else None
        if key is None or key != self._key:
            self._rows = [
                (doc_id, title, normalize(f"{doc_id} {title}"))
                for doc_id, title in sorted(titles.items())
            ]
            self._key = key
        return self._rows


def article_page(
    rows: Sequence[tuple[str, str, str]], query: str = "", page: int = 1, per_page: int = PER_PAGE
) -> tuple[list[tuple[str, str]], int, int, int]:
    """One page of the articles whose id or title contains `query` (spelling-folded).

    Args:
        rows: `ArticleList.rows`.
        query: Words to look for in the id or title (all must occur); empty for all.
        page: 1-based page number (clamped to the pages there are).
        per_page: Articles a page.

    Returns:
        `(rows of the page as (id, title), matching articles, page shown, pages)`.
    """
    words = normalize(query).split()
    matches = [(d, t) for d, t, key in rows if all(w in key for w in words)] if words else None
    total = len(matches) if matches is not None else len(rows)
    pages = max(1, -(-total // per_page))
    page = min(max(1, int(page)), pages)
    lo = (page - 1) * per_page
    if matches is not None:
        shown = matches[lo : lo + per_page]
    else:
        shown = [(d, t) for d, t, _ in rows[lo : lo + per_page]]
    return shown, total, page, pages


def _size(n: float) -> str:
    return f"{n / 1e6:.1f} ميغابايت" if n >= 1e5 else f"{n / 1e3:.0f} كيلوبايت"


def index_info_html(
    info: Mapping[str, Any] | None,
    error: str = "",
    query: str = "",
    page: int = 1,
    articles: ArticleList | None = None,
) -> str:
    """The index tab's overview: documents, chunks, model and one page of the articles.

    Args:
        info: `Akhbar.info()`, or None when the index cannot be read.
        error: Why the index cannot be read (shown when `info` is None).
        query: Show only articles whose id or title contains these words.
        page: Which page of the (matching) articles to show.
        articles: A cache of the sorted list (kept across calls by the page).

    Returns:
        The overview's HTML.
    """
    if info is None:
        return f'<div class="akhbar-index-info">{error_html(f"الفهرس غير متاح: {error}")}</div>'
    titles: Mapping[str, str] = info.get("titles") or {}
    stats = [
        ("المقالات", str(info.get("documents", len(titles)))),
        ("المقاطع", str(info.get("chunks", 0))),
        ("الحجم", _size(float(info.get("size_bytes") or 0))),
        ("النموذج", str(info.get("model") or "—")),
    ]
    cards = "".join(
        f'<div class="akhbar-stat{" akhbar-stat-model" if k == "النموذج" else ""}">'
        f'<span class="akhbar-stat-label">{esc(k)}</span>'
        f'<span class="akhbar-stat-value" dir="auto">{esc(v)}</span></div>'
        for k, v in stats
    )
    listed = (articles or ArticleList()).rows(info)
    shown, total, page, pages = article_page(listed, query, page)
    rows = [
        f'<tr><td class="akhbar-docid" dir="ltr">{esc(doc_id)}</td>'
        f'<td dir="auto">{esc(title or "—")}</td></tr>'
        for doc_id, title in shown
    ]
    if rows:
        first = (page - 1) * PER_PAGE + 1
        where = f" تطابق «{esc(query.strip())}»" if query.strip() else ""
        caption = (
            f'<p class="akhbar-muted akhbar-docs-page" dir="rtl">المقالات{where}: '
            f"{first}–{first + len(rows) - 1} من {total} (الصفحة {page} من {pages})</p>"
        )
        table = (
            caption + '<table class="akhbar-docs"><thead><tr><th>المعرّف</th><th>العنوان</th>'
            f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        )
    elif query.strip() and listed:
        table = f'<p class="akhbar-muted">لا مقال يطابق «{esc(query.strip())}».</p>'
    else:
        table = '<p class="akhbar-muted">الفهرس فارغ.</p>'
    return f'<div class="akhbar-index-info"><div class="akhbar-stats">{cards}</div>{table}</div>'


def _names(items: Iterable[str]) -> str:
    return "".join(f'<li dir="auto">{esc(x)}</li>' for x in items)


def upload_summary_html(
    summary: Mapping[str, Any] | None,
    rejected: Sequence[tuple[str, str]] = (),
    error: str = "",
    shown_names: Mapping[str, str] | None = None,
) -> str:
    """What an upload did: added, replaced, unchanged, skipped (with reasons) and rejected files.

    Args:
        summary: `Summary.to_json()` of the index update, or None when nothing was indexed.
        rejected: `(file name, reason)` of files refused before indexing.
        error: Why the upload as a whole was refused or failed.
        shown_names: Maps staging paths (as they appear in skip reports) to the names shown.

    Returns:
        The summary's HTML (class `akhbar-upload-summary`).
    """
    parts: list[str] = []
    if error:
        parts.append(error_html(error))
    if summary is not None:
        groups = [
            ("added", "أُضيفت", summary.get("added") or []),
            ("replaced", "استُبدلت (تغيّر محتواها)", summary.get("replaced") or []),
            ("unchanged", "لم تتغيّر", summary.get("unchanged") or []),
        ]
        head = (
            '<p class="akhbar-upload-head">في الفهرس الآن: '
            f"المقالات {int(summary.get('documents', 0))}، "
            f"والمقاطع {int(summary.get('chunks', 0))}.</p>"
        )
        parts.append(head)
        for key, label, names in groups:
            if names:
                parts.append(
                    f'<div class="akhbar-group akhbar-{key}"><h4>{esc(label)} ({len(names)})</h4>'
                    f"<ul>{_names(names)}</ul></div>"
                )
        skipped = summary.get("skipped") or []
        if skipped:
            items = []
            for s in skipped:
                where = str(s.get("where", "")) if isinstance(s, Mapping) else str(s)
                for path, name in (shown_names or {}).items():
                    if where.startswith(path):
                        where = name + where[len(path) :]
                        break
                reason = s.get("reason", "") if isinstance(s, Mapping) else ""
                items.append(
                    f'<li><span dir="auto">{esc(where)}</span>: '
                    f'<span dir="auto">{esc(reason)}</span></li>'
                )
            parts.append(
                f'<div class="akhbar-group akhbar-skipped"><h4>تُخطّيت ({len(skipped)})</h4>'
                f"<ul>{''.join(items)}</ul></div>"
            )
    if rejected:
        refused = "".join(
            f'<li><span dir="auto">{esc(name)}</span>: {esc(reason)}</li>'
            for name, reason in rejected
        )
        parts.append(
            '<div class="akhbar-group akhbar-rejected">'
            f"<h4>رُفضت ({len(rejected)})</h4><ul>{refused}</ul></div>"
        )
    return f'<div class="akhbar-upload-summary">{"".join(parts)}</div>'


def upload_intro_html(suffixes: Sequence[str], max_files: int, max_mb: float) -> str:
    """The heading and rules above the upload box.

    Args:
        suffixes: Accepted file suffixes.
        max_files: Most files per upload.
        max_mb: Largest file in megabytes.

    Returns:
        The HTML.
    """
    kinds = " ".join(f'<code dir="ltr">{esc(x)}</code>' for x in suffixes)
    return (
        '<h2 class="akhbar-panel-title">إضافة مقالات</h2>'
        f'<p class="akhbar-muted akhbar-upload-rules">الأنواع المقبولة: {kinds}<br>'
        f"حتى {int(max_files)} ملفاً في المرة الواحدة، و{max_mb:g} ميغابايت للملف. "
        "المقال الذي يحمل اسم ملف موجود يحلّ محلّه إن تغيّر محتواه.</p>"
    )


class IndexHandlers:
    """The index tab's event functions, bound to one application."""

    def __init__(self, akhbar: Library, max_upload_mb: float, max_upload_files: int) -> None:
        """Bind to an application.

        Args:
            akhbar: The application.
            max_upload_mb: Largest uploaded file.
            max_upload_files: Most files per upload.
        """
        self.akhbar = akhbar
        self.max_upload_mb = max_upload_mb
        self.max_upload_files = max_upload_files
        self.articles = ArticleList()

    def index_info(self, query: str = "", page: int = 1) -> str:
        """The index tab's overview, with one page of the articles matching `query`.

        Args:
            query: Words to look for in article ids and titles.
            page: Page of the list.

        Returns:
            The overview's HTML.
        """
        try:
            return index_info_html(
                self.akhbar.info(), query=query, page=page, articles=self.articles
            )
        except Exception as exc:
            log.warning("index info failed: %s", exc)
            return index_info_html(None, friendly_error(exc))

    def browse(self, query: str | None, page: float | None, step: int = 0) -> tuple[str, int]:
        """The overview after searching or paging.

        Args:
            query: The search box.
            page: The page shown now (or wanted, with `step` 0).
            step: -1 previous page, +1 next page, 0 `page` itself.

        Returns:
            (overview HTML, page number now shown).
        """
        query = query or ""
        wanted = max(1, int(page or 1) + step)
        try:
            info = self.akhbar.info()
            _, _, shown, _ = article_page(self.articles.rows(info), query, wanted)
            return index_info_html(info, query=query, page=shown, articles=self.articles), shown
        except Exception as exc:
            log.warning("index info failed: %s", exc)
            return index_info_html(None, friendly_error(exc)), 1

    def upload(
        self, files: list[str] | None, progress: gr.Progress | None = None
    ) -> tuple[str, str, Any]:
        """Add uploaded articles to the index.

        Args:
            files: Server paths of the uploaded files.
            progress: Gradio's progress tracker.

        Returns:
            (summary HTML, index overview HTML, file-box update).
        """
        report: Callable[..., Any] = progress if progress is not None else (lambda *a, **k: None)
        if not files:
            return (
                upload_summary_html(None, error="اختر ملفاً أو أكثر أولاً."),
                gr.skip(),
                gr.skip(),
            )
        report(0.05, desc="التحقق من الملفات…")
        try:
            staged = stage_uploads(
                [Path(f) for f in files],
                max_mb=self.max_upload_mb,
                max_files=self.max_upload_files,
            )
        except UploadRejected as exc:
            return upload_summary_html(None, error=str(exc)), gr.skip(), None
        try:
            if not staged.files:
                html = upload_summary_html(
                    None, staged.rejected, error="لا يوجد ملف صالح للفهرسة؛ لم يتغيّر الفهرس."
                )
                return html, gr.skip(), None
            report(0.2, desc=f"جارٍ قراءة {len(staged.files)} ملف وحساب المتجهات…")
            summary = self.akhbar.add(staged.files)
            report(1.0, desc="اكتملت الفهرسة")
        except ReadError as exc:  # no article could be read
            log.info("upload not indexed: %s", exc)
            html = upload_summary_html(
                None,
                staged.rejected,
                error=f"لم يُقرأ أي مقال من الملفات المرفوعة؛ لم يتغيّر الفهرس. ({exc})",
            )
            return html, gr.skip(), None
        except Exception as exc:
            log.exception("upload failed")
            return (
                upload_summary_html(None, staged.rejected, error=friendly_error(exc)),
                gr.skip(),
                None,
            )
        finally:
            staged.cleanup()
        html = upload_summary_html(summary.to_json(), staged.rejected, shown_names=staged.names)
        return html, self.index_info(), None


class IndexTab:
    """The index tab's components and events (build inside a `gr.Blocks` context)."""

    def __init__(self, handlers: IndexHandlers) -> None:
        """Lay out the overview and the upload box and connect their events.

        Args:
            handlers: The tab's event functions (their upload limits are shown).
        """
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=320):
                gr.HTML('<h2 class="akhbar-panel-title">محتوى الفهرس</h2>')
                with gr.Row(elem_id="akhbar-index-browse"):
                    self.search = gr.Textbox(
                        placeholder="ابحث بالعنوان أو المعرّف…",
                        show_label=False,
                        container=False,
                        scale=4,
                        elem_id="akhbar-index-search",
                        rtl=True,
                    )
                    self.prev = gr.Button("السابق", size="sm", scale=1, elem_id="akhbar-index-prev")
                    self.next = gr.Button("التالي", size="sm", scale=1, elem_id="akhbar-index-next")
                self.page = gr.State(1)
                self.info = gr.HTML(elem_id="akhbar-index-info")
            with gr.Column(scale=2, min_width=300, elem_id="akhbar-upload-col"):
                gr.HTML(
                    upload_intro_html(
                        ALLOWED_SUFFIXES, handlers.max_upload_files, handlers.max_upload_mb
                    )
                )
                self.files = gr.File(
                    label="ملفات المقالات",
                    show_label=False,
                    file_count="multiple",
                    file_types=list(ALLOWED_SUFFIXES),
                    type="filepath",
                    elem_id="akhbar-upload",
                )
                self.add = gr.Button("أضف إلى الفهرس", variant="primary", elem_id="akhbar-add")
                self.summary = gr.HTML(elem_id="akhbar-upload-summary")

        def upload(
            files: list[str] | None, progress: gr.Progress = _PROGRESS
        ) -> tuple[str, str, Any]:
            return handlers.upload(files, progress)

        self.add.click(
            upload,
            [self.files],
            [self.summary, self.info, self.files],
            api_visibility="private",
            concurrency_limit=1,
            concurrency_id="index-write",
        )
        self.handlers = handlers

        def first_page(query: str | None, page: float | None) -> tuple[str, int]:
            return handlers.browse(query, 1)

        def previous_page(query: str | None, page: float | None) -> tuple[str, int]:
            return handlers.browse(query, page, -1)

        def next_page(query: str | None, page: float | None) -> tuple[str, int]:
            return handlers.browse(query, page, +1)

        for event, fn in (
            (self.search.submit, first_page),
            (self.search.change, first_page),
            (self.prev.click, previous_page),
            (self.next.click, next_page),
        ):
            event(
                fn,
                [self.search, self.page],
                [self.info, self.page],
                api_visibility="private",
                show_progress="hidden",
                trigger_mode="always_last",
            )

    def load_on(self, page: gr.Blocks) -> None:
        """Fill the overview each time `page` loads in a browser."""
        page.load(self.handlers.index_info, None, self.info, api_visibility="private")
