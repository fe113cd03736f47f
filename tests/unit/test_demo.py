"""``herald demo`` on embedded defaults: the whole main job with no broker or registry."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from codegen.cli import main

REPO = Path(__file__).resolve().parents[2]


def test_demo_runs_end_to_end_on_in_process_stand_ins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.delenv("SCHEMA_REGISTRY_URL", raising=False)
    result = CliRunner().invoke(
        main, ["demo", "--config", str(REPO / "herald.toml"), "--events", "40"]
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert "librdkafka's mock cluster (embedded)" in out
    assert "mock:// registry (embedded)" in out
    assert "READER_FIELD_MISSING_DEFAULT_VALUE" in out
    assert "orders-value: registered version 1" in out
    assert "44 delivered" in out
    assert "44 of 44 read back; equal to what was published: True" in out
