"""Round trips on random valid records: from_dict -> encode equals fastavro; decode is equal.

Values come from our own strategies (tests/unit/generate/avro_values.py): aware datetimes in
many offsets, Decimals at the schema's scale, UUIDs, dates, nested and recursive records.
"""

from __future__ import annotations

import io
import json
from types import ModuleType
from typing import Any

import fastavro
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codegen.catalog import Catalog, dependency_closure, load_catalog
from tests.golden.regenerate import SCHEMAS
from tests.unit.generate.avro_values import AvroValues

_CATALOG = load_catalog([SCHEMAS])
RECORDS = sorted(n for n, t in _CATALOG.avro_types.items() if t.kind == "record")


def fastavro_named(catalog: Catalog) -> dict[str, Any]:
    """Every named type of the catalog, parsed by fastavro with dependencies first."""
    named: dict[str, Any] = {}
    done: set[str] = set()
    for avro_file in catalog.avro_files:
        for dep in (*dependency_closure(catalog, avro_file), avro_file):
            if dep.display_path not in done:
                done.add(dep.display_path)
                fastavro.parse_schema(json.loads(dep.text), named_schemas=named)
    return named


NAMED = fastavro_named(_CATALOG)
VALUES = AvroValues({n: t.schema for n, t in _CATALOG.avro_types.items()})


def fastavro_bytes(full_name: str, record: dict[str, Any]) -> bytes:
    """fastavro's schemaless encoding of ``record`` as the named type ``full_name``."""
    wrapper = {"type": "record", "name": "HeraldWrap", "fields": [{"name": "v", "type": full_name}]}
    parsed = fastavro.parse_schema(wrapper, named_schemas=dict(NAMED))
    out = io.BytesIO()
    fastavro.schemaless_writer(out, parsed, {"v": record})
    return out.getvalue()


def test_every_record_has_a_class(golden_package: ModuleType) -> None:
    avro_types = {n for n, c in golden_package.TYPES.items() if c.SCHEMA_FORMAT == "AVRO"}
    assert sorted(avro_types) == RECORDS


@pytest.mark.parametrize("full_name", RECORDS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_round_trip_matches_fastavro(
    golden_package: ModuleType, full_name: str, data: st.DataObject
) -> None:
    cls = golden_package.TYPES[full_name]
    record = data.draw(VALUES.for_name(full_name))
    obj = cls.from_dict(record)
    body = obj.encode()
    assert body == fastavro_bytes(full_name, record)
    assert cls.decode(body) == obj
    assert obj.to_dict() == record
    assert cls.from_dict(obj.to_dict()) == obj
