"""``herald demo`` against the real broker and registry: pointing it there is config only."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from codegen.cli import main
from tests.integration.conftest import Stack

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]


def test_demo_uses_the_services_named_in_the_environment(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", stack.bootstrap_servers)
    monkeypatch.setenv("SCHEMA_REGISTRY_URL", stack.registry_url)
    args = ["demo", "--config", str(REPO / "herald.toml"), "--events", "30"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    out = result.output
    assert f"Kafka at {stack.bootstrap_servers}" in out
    assert f"Schema Registry at {stack.registry_url}" in out
    assert "embedded" not in out
    assert "orders-value: " in out
    assert "33 of 33 read back; equal to what was published: True" in out
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0, again.output
    assert "orders-value: up to date" in again.output
