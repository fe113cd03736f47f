"""``herald demo`` on a catalog that is not herald's own, and the sample events it publishes."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from codegen.cli import main
from codegen.samples import sample_event

REPO = Path(__file__).resolve().parents[2]
GOLDEN = REPO / "tests" / "golden"
CONFIG = """schemas = ["schemas"]

[[bindings]]
topic = "shop-orders"
value = "com.example.shop.Order"
key = "string"

[[bindings]]
topic = "shipments"
value = "shipping.v1.ShipmentDispatched"
key = "bytes"

[[bindings]]
topic = "heartbeats"
value = "Heartbeat"
"""


def test_demo_publishes_samples_of_every_bound_type(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(GOLDEN / "schemas", tmp_path / "schemas")
    (tmp_path / "herald.toml").write_text(CONFIG)
    monkeypatch.delenv("KAFKA_BOOTSTRAP_SERVERS", raising=False)
    monkeypatch.delenv("SCHEMA_REGISTRY_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["demo", "--events", "7"])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "[5/6] publish 7 sample events of each of 3 bound type(s)" in out
    assert "21 of 21 read back; equal to what was published: True" in out
    assert 'Field "loyalty_tier" on record "com.example.shop.Order"' in out


def test_samples_of_every_golden_type_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.syspath_prepend(str(GOLDEN / "expected"))
    for loaded in [m for m in sys.modules if m == "events" or m.startswith("events.")]:
        monkeypatch.delitem(sys.modules, loaded)
    import events

    assert len(events.TYPES) == 11
    for cls in events.TYPES.values():
        samples = [sample_event(cls, n) for n in (0, 1, 1001)]
        assert samples[0] != samples[1]
        for sample in samples:
            assert type(sample) is cls
            assert cls.decode(sample.encode()) == sample
            assert cls.from_dict(sample.to_dict()) == sample
