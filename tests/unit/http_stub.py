"""A local HTTP server on 127.0.0.1 with scripted answers, standing in for odd registries."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


class Stub(ThreadingHTTPServer):
    """Answers each request with ``answer(path)`` (or ``answer("METHOD path")`` when
    ``methods``) -> (status, headers, body); records each path and Authorization header."""

    def __init__(
        self, answer: Callable[[str], tuple[int, dict[str, str], bytes]], methods: bool = False
    ) -> None:
        super().__init__(("127.0.0.1", 0), _StubHandler)
        self.answer = answer
        self.methods = methods
        self.seen: list[tuple[str, str | None]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _StubHandler(BaseHTTPRequestHandler):
    server: Stub

    def _reply(self) -> None:
        self.server.seen.append((self.path, self.headers.get("Authorization")))
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        asked = f"{self.command} {self.path}" if self.server.methods else self.path
        status, headers, body = self.server.answer(asked)
        self.send_response(status)
        for key, value in {"Content-Length": str(len(body)), **headers}.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = _reply  # noqa: N815 - http.server's naming

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""


@pytest.fixture
def stubs() -> Iterator[Callable[..., Stub]]:
    """Start stub servers (``stubs(answer)``); all are shut down after the test."""
    started: list[Stub] = []

    def start(
        answer: Callable[[str], tuple[int, dict[str, str], bytes]], methods: bool = False
    ) -> Stub:
        server = Stub(answer, methods)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.shutdown()
        server.server_close()
