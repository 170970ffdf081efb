"""The Arabic, right-to-left chat page (Gradio): streamed answers with clickable citations.

Besides the page, the app offers one API endpoint for programs, `/ask` (see `build_app`).
"""

from __future__ import annotations

import inspect
import ipaddress
import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import gradio as gr

from index.errors import IndexStoreError, ReadError
from qa.errors import BadHistory, EmptyQuestion, QuestionError, QuestionTooLong
from ui import render
from ui.assets import CSS, FONT_STACK, HEAD, MONO_STACK
from ui.config import ServerSettings
from ui.errors import AuthSettingError
from ui.protocols import Backend
from ui.uploads import ALLOWED_SUFFIXES, UploadRejected, stage_uploads

if TYPE_CHECKING:
    from qa.chain import Answer

log = logging.getLogger(__name__)

API_NAME = "ask"
MAX_HISTORY_TURNS = 6
CONCURRENCY = 2  # two CPU cores: one question can embed while another is answered
_CITE = re.compile(r"\s*\[\d{1,3}\]")

Outputs = tuple[Any, Any, Any, Any, Any]
_PROGRESS = gr.Progress()  # Gradio gives each call its own tracker in place of this default

# Gradio's own interface words, in Arabic whatever the browser's language.
GRADIO_STRINGS_AR = {
    "upload_text.drop_file": "أسقط الملفات هنا",
    "upload_text.click_to_upload": "انقر لاختيار الملفات",
    "common.or": "أو",
    "common.clear": "مسح",
    "common.remove": "إزالة",
    "common.download": "تنزيل",
    "common.error": "خطأ",
    "common.loading": "جارٍ التحميل",
    "chatbot.clear": "مسح المحادثة",
    "chatbot.copy_message": "نسخ الرسالة",
    "chatbot.copied_message": "نُسخت الرسالة",
    "file.uploading": "جارٍ الرفع…",
}


def make_theme() -> gr.themes.Base:
    """The page theme: teal on white, system Arabic fonts only (nothing fetched from the web)."""
    return gr.themes.Soft(
        primary_hue="teal",
        secondary_hue="amber",
        neutral_hue="slate",
        radius_size="md",
        font=list(FONT_STACK),
        font_mono=list(MONO_STACK),
    ).set(
        body_background_fill="#f3f5f8",
        body_background_fill_dark="#0b1220",
        block_shadow="0 1px 2px rgba(16, 24, 40, .06)",
        button_primary_background_fill="#0b5563",
        button_primary_background_fill_hover="#0d6677",
        button_primary_text_color="#ffffff",
    )


class AkhbarPage(gr.Blocks):
    """`gr.Blocks` whose `launch` defaults to the page's theme, style sheet and script.

    Gradio 6 takes `theme`, `css` and `head` in `launch()` rather than in the constructor;
    this keeps `build_app(akhbar).launch(...)` complete on its own.
    """

    def launch(self, *args: Any, **kwargs: Any) -> Any:
        """Launch with the page's look (explicit keyword arguments win); see `gr.Blocks.launch`."""
        kwargs.setdefault("theme", make_theme())
        kwargs.setdefault("css", CSS)
        kwargs.setdefault("head", HEAD)
        kwargs.setdefault("footer_links", ["api"])
        kwargs.setdefault("i18n", gr.I18n(en=GRADIO_STRINGS_AR, ar=GRADIO_STRINGS_AR))
        kwargs.setdefault("quiet", True)
        return super().launch(*args, **kwargs)


def friendly_error(exc: BaseException) -> str:
    """An Arabic explanation of why a question got no answer (never a stack trace).

    Args:
        exc: What went wrong.

    Returns:
        A message for the chat.
    """
    if isinstance(exc, QuestionTooLong):
        return f"السؤال طويل جداً ({exc.length} حرفاً، والحد {exc.limit}). اختصره وأعد المحاولة."
    if isinstance(exc, EmptyQuestion):
        return "السؤال فارغ أو بلا كلمات: اكتب سؤالاً عن الأخبار المفهرسة."
    if isinstance(exc, BadHistory):
        return "تعذّر فهم سياق المحادثة. ابدأ «محادثة جديدة» وأعد طرح السؤال."
    if isinstance(exc, QuestionError):
        return "تعذّر قبول هذا السؤال. أعد صياغته وحاول مرة أخرى."
    if isinstance(exc, IndexStoreError):
        return (
            "الفهرس غير متاح الآن (لم يُبنَ بعد، أو يجري تحديثه، أو بُني بنموذج آخر). "
            "أعد المحاولة بعد قليل، أو أعد بناءه بالأمر: akhbar index build"
        )
    return "حدث خطأ غير متوقع أثناء البحث عن الإجابة. حاول مرة أخرى بعد قليل."


def plain_answer(answer: Answer) -> str:
    """The answer text without its [n] markers, as kept in the conversation history."""
    return _CITE.sub("", answer.answer).strip()


def _is_loopback(host: str) -> bool:
    if host in ("localhost", ""):
        return host == "localhost"
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_auth(auth: str) -> tuple[str, str] | None:
    """Turn `user:password` into Gradio's auth pair.

    Args:
        auth: `user:password`, or empty for no login.

    Returns:
        The pair, or None.

    Raises:
        AuthSettingError: Not of the form `user:password` with both parts non-empty.
    """
    if not auth:
        return None
    user, sep, password = auth.partition(":")
    if not sep or not user or not password:
        raise AuthSettingError("the server auth setting must look like `user:password`")
    return user, password


class _Handlers:
    """The page's event functions, bound to one application."""

    def __init__(self, akhbar: Backend, max_upload_mb: float, max_upload_files: int) -> None:
        self.akhbar = akhbar
        self.max_upload_mb = max_upload_mb
        self.max_upload_files = max_upload_files

    def _articles(self, answer: Answer) -> dict[str, str | None]:
        try:
            docs = self.akhbar.articles()
        except Exception:  # the sources still show; only the whole-article view is left out
            log.warning("could not load the articles for the sources panel", exc_info=True)
            return {}
        out: dict[str, str | None] = {}
        for c in answer.citations:
            doc = docs.get(c.doc_id)
            out[c.doc_id] = doc.get("text") if isinstance(doc, dict) else None
        return out

    def respond(
        self,
        question: str,
        messages: list[dict[str, Any]] | None,
        pairs: list[list[str]] | None,
        sections: list[str] | None,
    ) -> Iterator[Outputs]:
        """Answer one question in the chat, streaming the answer as it grows.

        Args:
            question: As typed.
            messages: The chat so far (Gradio messages).
            pairs: Plain [question, answer] history.
            sections: Sources-panel sections of earlier turns.

        Yields:
            (chat, sources panel, question box, history, sections) updates.
        """
        messages = list(messages or [])
        pairs = [list(p) for p in (pairs or [])]
        sections = list(sections or [])
        question = (question or "").strip()
        if not question:
            yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        turn = len([m for m in messages if m.get("role") == "user"]) + 1
        messages.append({"role": "user", "content": render.question_html(question)})
        messages.append({"role": "assistant", "content": render.pending_html()})
        yield list(messages), gr.skip(), "", gr.skip(), gr.skip()
        final: Answer | None = None
        shown = 0.0
        try:
            for final in self.akhbar.stream(question, pairs[-MAX_HISTORY_TURNS:]):
                now = time.perf_counter()
                if now - shown < 0.04:  # at most ~25 updates a second
                    continue
                shown = now
                messages[-1] = {
                    "role": "assistant",
                    "content": render.answer_html(final, turn, streaming=True),
                }
                yield list(messages), gr.skip(), gr.skip(), gr.skip(), gr.skip()
        except Exception as exc:
            if not isinstance(exc, QuestionError):
                log.exception("answering failed")
            messages[-1] = {"role": "assistant", "content": render.error_html(friendly_error(exc))}
            yield list(messages), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        if final is None:
            messages[-1] = {
                "role": "assistant",
                "content": render.error_html(friendly_error(RuntimeError())),
            }
            yield list(messages), gr.skip(), gr.skip(), gr.skip(), gr.skip()
            return
        messages[-1] = {"role": "assistant", "content": render.answer_html(final, turn)}
        pairs.append([question, plain_answer(final)])
        sections.append(render.sources_section(final, turn, self._articles(final)))
        sections = sections[-render.MAX_TURNS_KEPT :]
        yield list(messages), render.sources_panel(sections), gr.skip(), pairs, sections

    def clear(self) -> Outputs:
        """Start a new conversation."""
        return [], render.sources_panel([]), "", [], []

    def index_info(self) -> str:
        """The index tab's overview."""
        try:
            return render.index_info_html(self.akhbar.info())
        except Exception as exc:
            log.warning("index info failed: %s", exc)
            return render.index_info_html(None, friendly_error(exc))

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
                render.upload_summary_html(None, error="اختر ملفاً أو أكثر أولاً."),
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
            return render.upload_summary_html(None, error=str(exc)), gr.skip(), None
        try:
            if not staged.files:
                html = render.upload_summary_html(
                    None, staged.rejected, error="لا يوجد ملف صالح للفهرسة؛ لم يتغيّر الفهرس."
                )
                return html, gr.skip(), None
            report(0.2, desc=f"جارٍ قراءة {len(staged.files)} ملف وحساب المتجهات…")
            summary = self.akhbar.add(staged.files)
            report(1.0, desc="اكتملت الفهرسة")
        except ReadError as exc:  # no article could be read
            log.info("upload not indexed: %s", exc)
            html = render.upload_summary_html(
                None,
                staged.rejected,
                error=f"لم يُقرأ أي مقال من الملفات المرفوعة؛ لم يتغيّر الفهرس. ({exc})",
            )
            return html, gr.skip(), None
        except Exception as exc:
            log.exception("upload failed")
            return (
                render.upload_summary_html(None, staged.rejected, error=friendly_error(exc)),
                gr.skip(),
                None,
            )
        finally:
            staged.cleanup()
        html = render.upload_summary_html(
            summary.to_json(), staged.rejected, shown_names=staged.names
        )
        return html, self.index_info(), None

    def api_ask(self, question: str, history: str = "[]") -> dict[str, Any]:
        """Answer a question from the indexed articles, citing the passages (the `/ask` endpoint).

        Args:
            question: The question, in Arabic or English.
            history: Earlier turns as a JSON list of [question, answer] pairs, e.g.
                '[["من هو وزير الدفاع الإيطالي الذي التقى السيسي؟", "جويدو كروسيتو"]]';
                "" or "[]" for none.

        Returns:
            The answer JSON: question, answer, found, citations (n, doc_id, chunk_id, title,
            section, text, start, end, answer_start, answer_end), mode, standalone_question,
            seconds, id.
        """
        try:
            turns = json.loads(history) if history and history.strip() else []
        except json.JSONDecodeError:
            raise gr.Error("history must be a JSON list of [question, answer] pairs") from None
        try:
            return self.akhbar.ask(question, turns).to_json()
        except QuestionError as exc:
            raise gr.Error(str(exc)) from None
        except Exception:
            log.exception("api ask failed")
            raise gr.Error("the question could not be answered (see the server log)") from None


def _examples(akhbar: Backend) -> list[str]:
    try:
        return render.example_questions(akhbar.info().get("titles") or {})
    except Exception as exc:  # no index yet: the page still loads and says so when asked
        log.warning("no example questions: %s", exc)
        return []


WELCOME = (
    "<div class='akhbar-welcome'><strong>مرحباً!</strong><br>"
    "اسأل عن أي خبر في المقالات المفهرسة، أو ابدأ بأحد الأمثلة.</div>"
)


class _ChatTab:
    """The chat tab's components."""

    def __init__(self, examples: list[str]) -> None:
        with gr.Row(equal_height=False, elem_id="akhbar-main"):
            with gr.Column(scale=3, min_width=340, elem_id="akhbar-chat-col"):
                self.chatbot = gr.Chatbot(
                    elem_id="akhbar-chat",
                    show_label=False,
                    rtl=True,
                    # Bubbles are HTML built here with everything escaped; Gradio's sanitiser
                    # stays on as a second line, and no Markdown or LaTeX is interpreted.
                    render_markdown=False,
                    sanitize_html=True,
                    allow_tags=False,
                    latex_delimiters=[],
                    buttons=["copy"],
                    feedback_options=None,
                    layout="bubble",
                    group_consecutive_messages=False,
                    height="62vh",
                    min_height=360,
                    placeholder=WELCOME,
                    examples=[{"text": q, "display_text": q} for q in examples] or None,
                )
                with gr.Row(elem_id="akhbar-ask-row"):
                    self.question = gr.Textbox(
                        placeholder="اكتب سؤالك عن الأخبار…",
                        show_label=False,
                        lines=1,
                        max_lines=4,
                        rtl=True,
                        autofocus=True,
                        scale=5,
                        container=False,
                        elem_id="akhbar-question",
                    )
                    self.send = gr.Button(
                        "إرسال", variant="primary", scale=1, min_width=96, elem_id="akhbar-send"
                    )
                with gr.Row(elem_id="akhbar-actions"):
                    gr.HTML(
                        '<p class="akhbar-hint">الإجابات مقتبسة من المقالات حرفياً؛ '
                        "اضغط على رقم المصدر لرؤية المقطع.</p>",
                        elem_id="akhbar-hint",
                    )
                    self.clear = gr.Button(
                        "محادثة جديدة", variant="secondary", size="sm", elem_id="akhbar-clear"
                    )
            with gr.Column(scale=2, min_width=300, elem_id="akhbar-sources-col"):
                self.sources = gr.HTML(render.sources_panel([]), elem_id="akhbar-sources")


class _IndexTab:
    """The index tab's components."""

    def __init__(self, max_files: int, max_mb: float) -> None:
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=320):
                gr.HTML('<h2 class="akhbar-panel-title">محتوى الفهرس</h2>')
                self.info = gr.HTML(elem_id="akhbar-index-info")
            with gr.Column(scale=2, min_width=300, elem_id="akhbar-upload-col"):
                gr.HTML(render.upload_intro_html(ALLOWED_SUFFIXES, max_files, max_mb))
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


def build_app(
    akhbar: Backend,
    *,
    max_upload_mb: float | None = None,
    max_upload_files: int | None = None,
) -> AkhbarPage:
    """Build the chat page for an application.

    The page has a chat (streamed answers with [n] citations that open their passage in the
    sources panel) and an index tab (overview and upload). Programs can call the `/ask`
    endpoint with gradio_client::

        from gradio_client import Client
        client = Client("http://127.0.0.1:7860/")
        answer = client.predict("من هو وزير الدفاع الإيطالي الذي التقى السيسي؟", "[]",
                                api_name="/ask")
        answer["answer"], answer["citations"][0]["doc_id"]

    The second argument is the history as JSON: `[[question, answer], ...]`. A refused
    question raises `gradio_client`'s `AppError` with the reason.

    Args:
        akhbar: The application (its index is read on first use).
        max_upload_mb: Largest uploaded file (default: `settings.server.max_upload_mb`).
        max_upload_files: Most files per upload (default: `settings.server.max_upload_files`).

    Returns:
        The page; `launch()` applies its theme, style sheet and script.
    """
    server = ServerSettings()
    handlers = _Handlers(
        akhbar,
        max_upload_mb if max_upload_mb is not None else server.max_upload_mb,
        max_upload_files if max_upload_files is not None else server.max_upload_files,
    )
    examples = _examples(akhbar)
    with AkhbarPage(title=render.TITLE, analytics_enabled=False, fill_width=True) as demo:
        pairs = gr.State([])
        sections = gr.State([])
        gr.HTML(render.header_html(), elem_id="akhbar-header")
        with gr.Tabs(elem_id="akhbar-tabs"):
            with gr.Tab("المحادثة", id="chat", elem_id="akhbar-tab-chat"):
                chat = _ChatTab(examples)
            with gr.Tab("الفهرس", id="index", elem_id="akhbar-tab-index"):
                index = _IndexTab(handlers.max_upload_files, handlers.max_upload_mb)

        state = [chat.chatbot, chat.sources, chat.question, pairs, sections]
        chat_io: dict[str, Any] = {
            "fn": handlers.respond,
            "inputs": [chat.question, chat.chatbot, pairs, sections],
            "outputs": state,
            "api_visibility": "private",
            "concurrency_id": "answer",
        }
        chat.question.submit(**chat_io)
        chat.send.click(**chat_io)
        chat.chatbot.example_select(
            _pick_example, None, chat.question, api_visibility="private", queue=False
        ).then(**chat_io)
        for reset in (chat.clear.click, chat.chatbot.clear):
            reset(handlers.clear, None, state, api_visibility="private", queue=False)

        def upload(
            files: list[str] | None, progress: gr.Progress = _PROGRESS
        ) -> tuple[str, str, Any]:
            return handlers.upload(files, progress)

        index.add.click(
            upload,
            [index.files],
            [index.summary, index.info, index.files],
            api_visibility="private",
            concurrency_limit=1,
            concurrency_id="index-write",
        )
        demo.load(handlers.index_info, None, index.info, api_visibility="private")
        gr.api(
            _typed(handlers.api_ask),
            api_name=API_NAME,
            api_description=inspect.getdoc(handlers.api_ask),
        )
    return demo


def _pick_example(evt: gr.SelectData) -> str:
    value = evt.value
    if isinstance(value, dict):
        return str(value.get("text") or "")
    return str(value or "")


def _typed(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap `fn` in a function whose signature holds real types, as `gr.api` reads them.

    This module postpones annotations, which would otherwise leave them as strings.
    """

    def wrapper(question: str, history: str = "[]") -> dict[str, Any]:
        return fn(question, history)  # type: ignore[no-any-return]

    wrapper.__doc__ = fn.__doc__
    wrapper.__name__ = API_NAME
    wrapper.__signature__ = inspect.signature(wrapper, eval_str=True)  # type: ignore[attr-defined]
    return wrapper


def serve(
    akhbar: Backend,
    host: str,
    port: int,
    auth: str = "",
    max_upload_mb: float | None = None,
    max_upload_files: int | None = None,
    ready: Callable[[str], None] | None = None,
) -> None:
    """Serve the chat page until interrupted.

    Args:
        akhbar: The application (warm it up first for a fast first answer).
        host: Address to listen on.
        port: Port to listen on.
        auth: `user:password` to require a login; empty for none.
        max_upload_mb: Largest uploaded file (default from settings).
        max_upload_files: Most files per upload (default from settings).
        ready: Called with the page's address once the server listens.

    Raises:
        AuthSettingError: `auth` is malformed.
        OSError: The address cannot be listened on.
    """
    credentials = parse_auth(auth)
    if credentials is None and not _is_loopback(host):
        log.warning(
            "serving on %s without a login: anyone who can reach it can ask and upload articles; "
            "set AKHBAR_SERVER__AUTH=user:password",
            host,
        )
    max_mb = max_upload_mb if max_upload_mb is not None else ServerSettings().max_upload_mb
    demo = build_app(akhbar, max_upload_mb=max_mb, max_upload_files=max_upload_files)
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=64)
    demo.launch(
        server_name=host,
        server_port=port,
        auth=credentials,
        show_error=False,
        max_file_size=int(max_mb * 1024 * 1024),
        prevent_thread_lock=True,
    )
    url = f"http://{host}:{port}"
    log.info("serving on %s", url)
    if ready is not None:
        ready(url)
    try:
        while demo.is_running:
            time.sleep(0.2)
    except KeyboardInterrupt:
        log.info("stopping")
    finally:
        demo.close()
