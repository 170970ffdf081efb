"""The index tab «الفهرس»: what the index holds, and uploads of new articles into it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from index.errors import ReadError
from ui.errors import UploadRejected
from ui.messages import friendly_error
from ui.protocols import Library
from ui.render import error_html, esc
from ui.uploads import ALLOWED_SUFFIXES, stage_uploads

log = logging.getLogger(__name__)

MAX_DOCS_LISTED = 500
_PROGRESS = gr.Progress()  # Gradio gives each call its own tracker in place of this default


def _size(n: float) -> str:
    return f"{n / 1e6:.1f} ميغابايت" if n >= 1e5 else f"{n / 1e3:.0f} كيلوبايت"


def index_info_html(info: Mapping[str, Any] | None, error: str = "") -> str:
    """The index tab's overview: documents, chunks, model and the list of articles.

    Args:
        info: `Akhbar.info()`, or None when the index cannot be read.
        error: Why the index cannot be read (shown when `info` is None).

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
    rows = []
    for i, (doc_id, title) in enumerate(sorted(titles.items())):
        if i >= MAX_DOCS_LISTED:
            rows.append(
                f'<tr><td colspan="2" class="akhbar-muted">'
                f"و{len(titles) - MAX_DOCS_LISTED} مقالاً آخر…</td></tr>"
            )
            break
        rows.append(
            f'<tr><td class="akhbar-docid" dir="ltr">{esc(doc_id)}</td>'
            f'<td dir="auto">{esc(title or "—")}</td></tr>'
        )
    table = (
        '<table class="akhbar-docs"><thead><tr><th>المعرّف</th><th>العنوان</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
        if rows
        else '<p class="akhbar-muted">الفهرس فارغ.</p>'
    )
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

    def index_info(self) -> str:
        """The index tab's overview."""
        try:
            return index_info_html(self.akhbar.info())
        except Exception as exc:
            log.warning("index info failed: %s", exc)
            return index_info_html(None, friendly_error(exc))

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

    def load_on(self, page: gr.Blocks) -> None:
        """Fill the overview each time `page` loads in a browser."""
        page.load(self.handlers.index_info, None, self.info, api_visibility="private")
