"""Serve the chat page until interrupted: queue, limits, login, and a warning when exposed."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from ui.app import build_app
from ui.auth import is_loopback, parse_auth
from ui.config import ServerSettings
from ui.protocols import Backend

log = logging.getLogger(__name__)

CONCURRENCY = 2  # two CPU cores: one question can embed while another is answered


def serve(
    akhbar: Backend,
    host: str,
    port: int,
    auth: str = "",
    max_upload_mb: float | None = None,
    max_upload_files: int | None = None,
    ready: Callable[[str], None] | None = None,
    stopping: Callable[[], None] | None = None,
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
        stopping: Called once when the server begins to stop (Ctrl-C), before it closes.

    Raises:
        AuthSettingError: `auth` is malformed.
        OSError: The address cannot be listened on.
    """
    credentials = parse_auth(auth)
    if credentials is None and not is_loopback(host):
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
    try:
        if ready is not None:  # inside: a stop signal may come as soon as it says it listens
            ready(url)
        while demo.is_running:
            time.sleep(0.2)
    except KeyboardInterrupt:
        log.info("stopping")
    finally:
        if stopping is not None:
            stopping()
        demo.close()
