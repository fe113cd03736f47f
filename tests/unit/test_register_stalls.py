"""``herald register`` against a registry that stops answering mid-run: a bounded, honest end.

The registry is a real HTTP server on 127.0.0.1 that answers the first registrations and then
accepts requests without ever replying. The run must end within a few call timeouts (it took
61 s with a 3 s timeout when every worker ran its whole chain of calls), exit 2, list what was
registered, and name the subjects whose register call was in flight as "outcome unknown".
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from codegen.cli import main
from tests.unit import bad_input
from tests.unit.http_stub import Stub

JSON = {"Content-Type": "application/json"}
SUBJECTS = 12
ANSWERED = 3


def test_register_gives_up_soon_after_the_registry_stops_answering(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, stubs: Callable[..., Stub]
) -> None:
    bad_input.tried("registry stops answering (register)")
    release = threading.Event()
    registered: list[str] = []
    lock = threading.Lock()

    def answer(asked: str) -> tuple[int, dict[str, str], bytes]:
        method, path = asked.split(" ", 1)
        if path.startswith("/config"):
            return 200, JSON, b'{"compatibilityLevel": "BACKWARD"}'
        subject = path.split("/")[2] if path.startswith("/subjects/") else ""
        if method == "POST" and re.match(r"/subjects/[^/]+/versions", path):
            with lock:
                if len(registered) >= ANSWERED:
                    release.wait(60)  # accepted, never answered
                    return 503, JSON, b"{}"
                registered.append(subject)
                number = len(registered)
            return 200, JSON, json.dumps({"id": number}).encode()
        if method == "POST" and subject in registered:
            body = {"subject": subject, "id": 1, "version": 1, "schema": "{}"}
            return 200, JSON, json.dumps(body).encode()
        return 404, JSON, b'{"error_code": 40401, "message": "Subject not found"}'

    server = stubs(answer, methods=True)
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    for n in range(SUBJECTS):
        record = {"type": "record", "name": f"R{n}", "namespace": "stall", "fields": []}
        (schemas / f"r{n}.avsc").write_text(json.dumps(record), "utf-8")
    (tmp_path / "herald.toml").write_text(
        f'schemas = ["schemas"]\n[registry]\nurl = "{server.url}"\ntimeout = 1\nconcurrency = 4\n'
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SCHEMA_REGISTRY_URL", raising=False)
    started = time.monotonic()
    try:
        result = CliRunner().invoke(main, ["register"])
    finally:
        release.set()
    elapsed = time.monotonic() - started
    out = result.output
    assert result.exit_code == 2, out
    assert "Traceback" not in out
    assert elapsed < 20, f"register took {elapsed:.1f}s to give up with a 1 s timeout"
    assert "registered before the error" in out
    for subject in registered:
        assert subject in out
    assert "outcome unknown" in out
    unknown = re.search(r"outcome unknown \(in flight\): ([^;]+)", out)
    assert unknown is not None, out
    assert not set(unknown.group(1).split(", ")) & set(registered)
    bad_input.handled("registry stops answering (register)")
