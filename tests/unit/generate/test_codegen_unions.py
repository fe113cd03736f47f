"""Union branches chosen by the plain value's Python type, over every union shape that can clash.

Each shape is a field of one record, plain and nullable. A plain value drawn for any branch
must survive from_dict -> encode -> decode -> to_dict unchanged: a map must never be read as
the list of its keys, a non-symbol string never as an enum, a 3-byte value never as a fixed.
"""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from codegen.catalog import load_catalog
from codegen.generate import generate_files, write_package
from publisher.errors import EventValidationError
from tests.unit.generate.avro_values import AvroValues

PACKAGE = "herald_union_shapes"
PART = {
    "type": "record",
    "name": "Part",
    "fields": [{"name": "sku", "type": "string"}, {"name": "qty", "type": "long"}],
}
SHAPES: dict[str, list[Any]] = {
    "array_map": [{"type": "array", "items": "string"}, {"type": "map", "values": "string"}],
    "record_map": [PART, {"type": "map", "values": "string"}],
    "enum_string": [{"type": "enum", "name": "Color", "symbols": ["RED", "GREEN"]}, "string"],
    "bytes_string": ["bytes", "string"],
    "numbers": ["int", "long", "double"],
    "fixed_bytes": [{"type": "fixed", "name": "Tag", "size": 3}, "bytes"],
}


def _schema() -> dict[str, Any]:
    """One record with each shape, then each shape again with a leading null branch."""
    fields: list[dict[str, Any]] = []
    for name, branches in SHAPES.items():
        fields.append({"name": name, "type": branches})
    for name, branches in SHAPES.items():
        again = [b["name"] if isinstance(b, dict) and "name" in b else b for b in branches]
        fields.append({"name": f"maybe_{name}", "type": ["null", *again], "default": None})
    return {"type": "record", "name": "Shapes", "namespace": "shop", "fields": fields}


SCHEMA = _schema()
VALUES = AvroValues(
    {
        "shop.Shapes": SCHEMA,
        "shop.Part": {**PART, "namespace": "shop"},
        "shop.Color": SHAPES["enum_string"][0],
        "shop.Tag": SHAPES["fixed_bytes"][0],
    }
)
#: Start below zero so arrays and maps inside the unions are drawn non-empty.
PLAIN = VALUES.of(SCHEMA, "shop", depth=-2)


@pytest.fixture(scope="module")
def shapes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[type[Any]]:
    """The generated Shapes class."""
    root = tmp_path_factory.mktemp("unions")
    (root / "schemas").mkdir()
    (root / "schemas" / "shapes.avsc").write_text(json.dumps(SCHEMA))
    write_package(generate_files(load_catalog([root / "schemas"]), PACKAGE), root / PACKAGE)
    sys.path.insert(0, str(root))
    try:
        module: ModuleType = importlib.import_module(PACKAGE)
        yield module.TYPES["shop.Shapes"]
    finally:
        sys.path.remove(str(root))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plain=PLAIN)
def test_plain_values_survive_every_union_shape(shapes: type[Any], plain: dict[str, Any]) -> None:
    event = shapes.from_dict(plain)
    decoded = shapes.decode(event.encode())
    assert decoded == event
    assert decoded.to_dict() == plain


def test_a_map_is_not_read_as_the_list_of_its_keys(shapes: type[Any]) -> None:
    plain = _plain(array_map={"a": "x", "b": "y"})
    event = shapes.from_dict(plain)
    assert event.array_map == {"a": "x", "b": "y"}
    assert event.to_dict()["array_map"] == {"a": "x", "b": "y"}


def test_a_mapping_that_names_every_field_is_the_record(shapes: type[Any]) -> None:
    event = shapes.from_dict(_plain(record_map={"sku": "A1", "qty": 2}))
    assert type(event.record_map).__name__ == "Part"
    as_map = shapes.from_dict(_plain(record_map={"sku": "A1"}))
    assert as_map.record_map == {"sku": "A1"}


def test_a_value_no_branch_takes_names_the_field(shapes: type[Any]) -> None:
    with pytest.raises(EventValidationError, match=r"Shapes\.array_map"):
        shapes.from_dict(_plain(array_map=12))


def _plain(**overrides: Any) -> dict[str, Any]:
    """A valid plain Shapes value with some fields replaced."""
    base: dict[str, Any] = {
        "array_map": ["a"],
        "record_map": {"k": "v"},
        "enum_string": "RED",
        "bytes_string": b"x",
        "numbers": 1,
        "fixed_bytes": b"abc",
    }
    return {**base, **overrides}


def test_the_union_module_passes_ruff(shapes: type[Any]) -> None:
    folder = Path(sys.modules[shapes.__module__].__file__ or "").parent
    done = subprocess.run(
        [str(Path(sys.executable).parent / "ruff"), "check", "--isolated", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout
