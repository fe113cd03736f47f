"""The registry client's auth, redaction and failure modes, against a tiny local HTTP fake."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from codegen.cli import main
from codegen.config import RegistryConfig
from codegen.errors import ConfigError, RegistryError
from codegen.registry import connect
from codegen.registry.client import Credentials, Registry, credentials_from_env


class FakeRegistry(ThreadingHTTPServer):
    """Answers like a registry with no subjects; remembers every Authorization header."""

    def __init__(self, status: int = 200) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.status = status
        self.auth_headers: list[str | None] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeRegistry

    def do_GET(self) -> None:
        """Answer a GET."""
        self._answer()

    def do_POST(self) -> None:
        """Answer a POST."""
        self._answer()

    def _answer(self) -> None:
        self.server.auth_headers.append(self.headers.get("Authorization"))
        status = self.server.status
        if status == 200:
            body = [] if self.path.startswith("/subjects") else {"compatibilityLevel": "BACKWARD"}
        else:
            body = {"error_code": status, "message": "Unauthorized"}
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, format: str, *args: object) -> None:
        """Keep test output quiet."""


@pytest.fixture
def fake() -> Iterator[FakeRegistry]:
    server = FakeRegistry()
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _config(url: str, **changes: object) -> RegistryConfig:
    return RegistryConfig(url=url, timeout_s=2, **changes)  # type: ignore[arg-type]


def test_basic_auth_from_env_reaches_plain_http_and_the_confluent_client(
    fake: FakeRegistry,
) -> None:
    env = {"HERALD_REGISTRY_USER": "ci", "HERALD_REGISTRY_PASSWORD": "p@ss:word"}
    with Registry(_config(fake.url), environ=env) as registry:
        registry.ping()
        assert registry.subjects() == []
    expected = "Basic " + base64.b64encode(b"ci:p@ss:word").decode()
    assert fake.auth_headers == [expected, expected]


def test_bearer_token_from_env(fake: FakeRegistry) -> None:
    env = {"HERALD_REGISTRY_TOKEN": "tok-123"}
    with Registry(_config(fake.url), environ=env) as registry:
        registry.ping()
        registry.subjects()
    assert fake.auth_headers == ["Bearer tok-123", "Bearer tok-123"]


def test_env_variable_names_come_from_config(fake: FakeRegistry) -> None:
    config = _config(fake.url, token_env="MY_SR_TOKEN")
    with Registry(config, environ={"MY_SR_TOKEN": "other"}) as registry:
        registry.ping()
    assert fake.auth_headers == ["Bearer other"]


def test_credentials_in_the_url_are_used_and_never_shown(fake: FakeRegistry) -> None:
    url = fake.url.replace("http://", "http://bob:s3cret@")
    with Registry(_config(url), environ={}) as registry:
        registry.ping()
        assert registry.display_url == fake.url.replace("http://", "http://***@")
        assert "s3cret" not in repr(registry.credentials)
    assert fake.auth_headers == ["Basic " + base64.b64encode(b"bob:s3cret").decode()]


def test_refused_credentials_exit_2_without_the_secret(
    fake: FakeRegistry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.status = 401
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HERALD_REGISTRY_USER", "ci")
    monkeypatch.setenv("HERALD_REGISTRY_PASSWORD", "hunter2")
    (tmp_path / "thing.avsc").write_text('{"type": "enum", "name": "E", "symbols": ["A"]}')
    for command in ("check", "register", "status", "pull"):
        args = [command, "--registry", fake.url]
        if command != "pull":
            args += ["--schemas", str(tmp_path)]
        result = CliRunner().invoke(main, args)
        assert result.exit_code == 2, (command, result.output)
        assert "refused the credentials (HTTP 401)" in result.stderr
        assert "HERALD_REGISTRY_USER/HERALD_REGISTRY_PASSWORD" in result.stderr
        assert "hunter2" not in result.output
        assert "Traceback" not in result.output


def test_token_and_user_together_are_a_contradiction() -> None:
    env = {"HERALD_REGISTRY_TOKEN": "t", "HERALD_REGISTRY_USER": "u"}
    with pytest.raises(ConfigError, match="not both"):
        credentials_from_env(RegistryConfig(), env)


def test_password_without_user_is_an_error() -> None:
    with pytest.raises(ConfigError, match="without HERALD_REGISTRY_USER"):
        credentials_from_env(RegistryConfig(), {"HERALD_REGISTRY_PASSWORD": "x"})


def test_credentials_repr_hides_secrets() -> None:
    assert "pw" not in repr(Credentials("user", "pw"))
    assert "s3cr3t-t0ken" not in repr(Credentials(token="s3cr3t-t0ken"))


def test_missing_ca_file_and_missing_url_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ca_file"):
        Registry(_config("https://sr.example", ca_file=tmp_path / "nope.pem"), environ={})
    with pytest.raises(ConfigError, match="no Schema Registry URL"):
        Registry(RegistryConfig(url=None), environ={})
    with pytest.raises(ConfigError, match="must start with http"):
        Registry(_config("sr.example:8081"), environ={})


def test_connect_closes_the_client_when_the_probe_fails(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    from codegen.config import HeraldConfig

    config = HeraldConfig(
        path=None, schemas=(tmp_path,), registry=_config(f"http://127.0.0.1:{port}")
    )
    with pytest.raises(
        RegistryError, match=r"cannot reach the Schema Registry at http://127\.0\.0\.1"
    ):
        connect(config, environ={})
