"""The class variables the publisher relies on: schema text as registered, references, bindings."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path
from types import ModuleType

import fastavro.schema
import pytest
from click.testing import CliRunner

from codegen.catalog import Catalog, registry_form_for
from codegen.cli import main
from publisher.event import Event
from tests.golden.regenerate import SCHEMAS


@pytest.mark.parametrize(
    "full_name",
    ["com.example.shop.Order", "com.example.common.Money", "shipping.v1.ShipmentDispatched"],
)
def test_schema_and_references_are_what_register_registers(
    golden_package: ModuleType, golden_catalog: Catalog, full_name: str
) -> None:
    cls = golden_package.TYPES[full_name]
    form = registry_form_for(golden_catalog, full_name)
    assert form.text == cls.SCHEMA
    assert tuple((r.name, r.subject) for r in form.references) == cls.REFERENCES
    assert hashlib.sha256(cls.SCHEMA.encode()).hexdigest() == cls.FINGERPRINT
    assert full_name == cls.FULL_NAME
    assert issubclass(cls, Event)


def test_nested_records_carry_their_own_canonical_schema(golden_package: ModuleType) -> None:
    line = golden_package.TYPES["com.example.shop.Line"]
    order = golden_package.TYPES["com.example.shop.Order"]
    assert line.SCHEMA != order.SCHEMA
    assert line.REFERENCES == ()
    parsed = json.loads(line.SCHEMA)
    assert parsed["name"] == "com.example.shop.Line"
    # Self-contained: Money from the other file is defined inline, so it parses on its own.
    assert fastavro.schema.to_parsing_canonical_form(parsed) == line.SCHEMA


def test_bindings_come_from_the_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    shutil.copytree(SCHEMAS, tmp_path / "schemas")
    (tmp_path / "herald.toml").write_text(
        'schemas = ["schemas"]\n[codegen]\nout = "gen/events"\n'
        '[[bindings]]\ntopic = "orders"\nvalue = "com.example.shop.Order"\n'
        '[[bindings]]\ntopic = "ships"\nvalue = "shipping.v1.ShipmentDispatched"\n'
        'strategy = "topic_record"\n',
        "utf-8",
    )
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["codegen"])
    assert result.exit_code == 0, result.output
    shop = (tmp_path / "gen/events/com/example/shop.py").read_text("utf-8")
    assert (
        'BINDINGS = (_h_Binding(topic="orders", subject="orders-value", strategy="topic"),)' in shop
    )
    ship = (tmp_path / "gen/events/shipping/v1/shipment.py").read_text("utf-8")
    assert 'subject="ships-shipping.v1.ShipmentDispatched"' in ship
    assert shop.count("BINDINGS = ()") == 5  # Card, Category, Line, Timing, Transfer
