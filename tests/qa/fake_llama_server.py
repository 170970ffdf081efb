"""A stand-in for `python -m llama_cpp.server` (same flags), for fast supervisor tests.

Serves `/v1/models` and streaming `/v1/chat/completions` on loopback, one request at a time like
the real server. The reply echoes the last user message word by word; a message holding `CRASH`
makes the process die of SIGSEGV after the first word, `ABORT` of SIGABRT, `HANG` makes it stop
answering (without dying), `BUSY` computes for 4 s before the second word. `FAKE_LLAMA_START_S` delays start-up (the model "loads").
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

LOCK = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return None

    def _authorised(self) -> bool:
        key = os.environ.get("API_KEY")
        if key and self.headers.get("Authorization") != f"Bearer {key}":
            self.send_response(401)
            self.end_headers()
            return False
        return True

    def do_GET(self) -> None:
        if not self._authorised():
            return
        body = json.dumps({"object": "list", "data": [{"id": ARGS.model_alias}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> None:
        data = {
            "id": "fake",
            "object": "chat.completion.chunk",
            "created": int(time.time()),
            "model": ARGS.model_alias,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
        self.wfile.write(f"data: {json.dumps(data)}\n\n".encode())
        self.wfile.flush()

    def do_POST(self) -> None:
        if not self._authorised():
            return
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        text = str(body["messages"][-1]["content"])
        with LOCK:  # one request at a time, like llama_cpp.server's model lock
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            self._chunk({"role": "assistant", "content": ""})
            for i, word in enumerate(text.split()):
                self._chunk({"content": ("" if i == 0 else " ") + word})
                time.sleep(0.05)
                if "CRASH" in text:
                    os.kill(os.getpid(), signal.SIGSEGV)
                if "ABORT" in text:
                    os.abort()
                if "HANG" in text:
                    time.sleep(3600)
                if "BUSY" in text and i == 0:  # a long prompt: silent, but working
                    until = time.monotonic() + 4
                    while time.monotonic() < until:
                        pass
            self._chunk({}, finish="stop")
            self.wfile.write(b"data: [DONE]\n\n")


def main() -> None:
    global ARGS
    parser = argparse.ArgumentParser()
    for flag in (
        "--model",
        "--model_alias",
        "--host",
        "--n_ctx",
        "--n_threads",
        "--n_threads_batch",
    ):
        parser.add_argument(flag)
    parser.add_argument("--port", type=int)
    parser.add_argument("--interrupt_requests")
    parser.add_argument("--verbose")
    ARGS = parser.parse_args()
    time.sleep(float(os.environ.get("FAKE_LLAMA_START_S", "0")))
    ThreadingHTTPServer((ARGS.host, ARGS.port), Handler).serve_forever()


ARGS: argparse.Namespace

if __name__ == "__main__":
    main()
