"""Odd registry URLs, redirects and non-API answers: exit 2, a clear message, no secret shown.

Every command that talks to a registry and ``Publisher.from_env`` get a table of odd URLs
(credentials holding ``@ / # ? :`` and spaces, no scheme, bad ports); the registries are real
HTTP servers on 127.0.0.1 (a redirecting one, one answering HTML, one answering a JSON list),
or a closed port. URL parsing itself is a property test over generated passwords.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from codegen.cli import main
from codegen.config import RegistryConfig
from codegen.errors import RegistryError
from codegen.registry.client import Registry
from publisher.errors import PublisherConfigError, RegistryUnavailableError
from publisher.producer import Publisher
from publisher.urls import URLError, parse_url, redact
from tests.unit import bad_input
from tests.unit.http_stub import Stub
from tests.unit.publisher.events import avro_event

KIND_URL = "registry URLs (every command, Publisher.from_env)"
KIND_ANSWER = "registry answers (redirects, HTML, JSON list)"
PASSWORD = "s3cr@t/pa ss#?x:y"
SECRET_PIECES = ("s3cr", "pa ss", "t/pa", "alice")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


PORT = _closed_port()
#: (url, what the message must say). Each is refused with exit 2, and no secret piece shows.
ODD_URLS: list[tuple[str, str]] = [
    (f"http://alice:{PASSWORD}@127.0.0.1:{PORT}", "cannot reach"),
    (f"http://alice:s3cr@t@127.0.0.1:{PORT}/apis/ccompat/v7", "cannot reach"),
    (f"http://alice:pa ss@127.0.0.1:{PORT}", "cannot reach"),
    (f"http://alice:t/pa@127.0.0.1:{PORT}", "cannot reach"),
    (f"http://alice:s3cr#x@127.0.0.1:{PORT}", "cannot reach"),
    (f"http://alice:s3cr?x@127.0.0.1:{PORT}", "cannot reach"),
    (f"http://alice:s3cr%40t@127.0.0.1:{PORT}", "cannot reach"),
    (f"alice:{PASSWORD}@127.0.0.1:{PORT}", "must start with"),
    (f"127.0.0.1:{PORT}", "must start with"),
    (f"ftp://alice:{PASSWORD}@127.0.0.1:{PORT}", "must start with"),
    (f"http://alice:{PASSWORD}@127.0.0.1:80a81", "port"),
    (f"http://alice:{PASSWORD}@127.0.0.1:0", "port"),
    (f"http://alice:{PASSWORD}@127.0.0.1:99999", "port"),
    (f"http://alice:{PASSWORD}@127.0.0.1:８０８１", "port"),
    (f"http://alice:{PASSWORD}@:8081", "host"),
    (f"http://alice:{PASSWORD}@exa mple.com", "host"),
    (f"http://alice:{PASSWORD}@127.0.0.1:{PORT}/a b", "spaces"),
    (f"HTTP://alice:{PASSWORD}@127.0.0.1:{PORT}", "cannot reach"),
]
SCHEMAS = ["--schemas", "schemas"]
COMMANDS = [
    ["check", *SCHEMAS],
    ["register", *SCHEMAS],
    ["status", *SCHEMAS],
    ["pull", "--out", "p"],
]


@pytest.fixture
def schemas(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "schemas").mkdir()
    record = {"type": "record", "name": "Ping", "namespace": "acme", "fields": []}
    (tmp_path / "schemas/ping.avsc").write_text(json.dumps(record), "utf-8")
    monkeypatch.chdir(tmp_path)
    for name in ("SCHEMA_REGISTRY_URL", "HERALD_REGISTRY_USER", "HERALD_REGISTRY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def _herald(*args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), env=env)
    return result.exit_code, result.output


def _no_secret(text: str) -> None:
    for piece in SECRET_PIECES:
        assert piece not in text, f"{piece!r} leaked: {text}"


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_odd_urls_exit_2_on_every_command_without_showing_credentials(
    schemas: Path, command: list[str]
) -> None:
    for url, says in ODD_URLS:
        bad_input.tried(KIND_URL)
        code, out = _herald(*command, "--registry", url)
        assert code == 2, (url, out)
        assert "Traceback" not in out, out
        assert says in out, (url, out)
        _no_secret(out)
        bad_input.handled(KIND_URL)


def test_odd_urls_from_the_environment_are_handled_like_the_flag(schemas: Path) -> None:
    for url, says in ODD_URLS[:3] + ODD_URLS[7:8]:
        bad_input.tried(KIND_URL)
        code, out = _herald("check", "--schemas", "schemas", env={"SCHEMA_REGISTRY_URL": url})
        assert code == 2, out
        assert says in out
        _no_secret(out)
        bad_input.handled(KIND_URL)


def test_odd_urls_in_publisher_from_env_fail_cleanly_without_credentials() -> None:
    cls = avro_event("odd-urls")
    for url, says in ODD_URLS:
        bad_input.tried(KIND_URL)
        env = {"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9", "SCHEMA_REGISTRY_URL": url}
        if says != "cannot reach":
            with pytest.raises(PublisherConfigError) as refused:
                Publisher.from_env(env, config={"log_level": 0}, registry_timeout=1)
            assert says in str(refused.value)
            _no_secret(str(refused.value))
            bad_input.handled(KIND_URL)
            continue
        pub = Publisher.from_env(env, config={"log_level": 0}, registry_timeout=1)
        try:
            with pytest.raises(RegistryUnavailableError) as caught:
                pub.preload(cls)
        finally:
            pub.close(0)
        assert "cannot reach" in str(caught.value)
        _no_secret(str(caught.value))
        bad_input.handled(KIND_URL)


@settings(max_examples=300, deadline=None)
@given(
    user=st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=12),
    password=st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=24),
    port=st.integers(1, 65535),
    path=st.sampled_from(["", "/", "/apis/ccompat/v7", "/x?y=1#z"]),
)
def test_parsed_urls_split_off_any_credentials_and_never_show_them(
    user: str, password: str, port: int, path: str
) -> None:
    raw = f"https://{user}:{password}@sr.example.com:{port}{path}"
    try:
        parsed = parse_url(raw)
    except URLError as exc:
        message = str(exc)
    else:
        assert parsed.host == "sr.example.com"
        assert parsed.port == port
        assert parsed.username is not None
        assert "@" not in parsed.url.removeprefix("https://").split("/")[0]
        message = parsed.display + parsed.url
    if len(password) >= 4:
        assert password not in message
    assert password not in redact(raw) or len(password) < 4


JSON = {"Content-Type": "application/json"}


def _registry(url: str, **env: str) -> Registry:
    return Registry(RegistryConfig(url=url, timeout_s=3), environ=env)


@pytest.mark.parametrize(
    "env",
    [
        {"HERALD_REGISTRY_TOKEN": "tok-s3cr"},
        {"HERALD_REGISTRY_USER": "alice", "HERALD_REGISTRY_PASSWORD": "s3cr"},
    ],
    ids=["bearer", "basic"],
)
def test_a_redirect_to_another_host_is_refused_and_no_credentials_go_there(
    stubs: Callable[..., Stub], env: dict[str, str], schemas: Path
) -> None:
    bad_input.tried(KIND_ANSWER)
    elsewhere = stubs(lambda path: (200, JSON, b"{}"))
    other = elsewhere.url.replace("127.0.0.1", "localhost")
    origin = stubs(lambda path: (302, {"Location": other + path}, b""))
    with _registry(origin.url, **env) as registry, pytest.raises(RegistryError) as caught:
        registry.ping()
    text = str(caught.value)
    assert origin.url in text
    assert other in text
    assert "s3cr" not in text
    assert elsewhere.seen == []
    code, out = _herald("check", "--schemas", "schemas", "--registry", origin.url, env=env)
    assert code == 2
    assert "redirected" in out
    assert elsewhere.seen == []
    bad_input.handled(KIND_ANSWER)


def test_a_redirect_on_the_same_origin_is_followed_with_the_credentials(
    stubs: Callable[..., Stub],
) -> None:
    bad_input.tried(KIND_ANSWER)
    server = stubs(
        lambda path: (
            (200, JSON, b"{}")
            if path.startswith("/moved")
            else (301, {"Location": "/moved" + path}, b"")
        )
    )
    with _registry(server.url, HERALD_REGISTRY_TOKEN="tok") as registry:
        registry.ping()
    assert server.seen[-1] == ("/moved/config", "Bearer tok")
    bad_input.handled(KIND_ANSWER)


ANSWERS: list[tuple[str, Callable[[str], tuple[int, dict[str, str], bytes]]]] = [
    ("HTML page", lambda path: (200, {"Content-Type": "text/html"}, b"<html>login</html>")),
    ("JSON list", lambda path: (200, JSON, b"[1, 2]")),
    ("JSON string", lambda path: (200, JSON, b'"ok"')),
    ("truncated JSON", lambda path: (200, JSON, b'{"compatibilityLevel": ')),
    ("HTML error page", lambda path: (500, {"Content-Type": "text/html"}, b"<h1>oops</h1>")),
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
def test_a_registry_answering_something_else_exits_2_with_a_clear_message(
    stubs: Callable[..., Stub], schemas: Path, command: list[str]
) -> None:
    for name, answer in ANSWERS:
        bad_input.tried(KIND_ANSWER)
        server = stubs(answer)
        code, out = _herald(*command, "--registry", server.url)
        assert code == 2, (name, out)
        assert "Traceback" not in out, (name, out)
        assert server.url in out, (name, out)
        bad_input.handled(KIND_ANSWER)
