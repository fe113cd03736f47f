"""Random valid Avro values as a person passes them: aware datetimes, Decimals, UUIDs, dates.

fastavro.utils.generate_many yields raw ints and strings for logical types and recurses
without bound, so the round-trip tests use these hypothesis strategies instead. Recursion is
bounded by ``depth``: past it, unions take their null branch and arrays and maps are empty.
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Mapping
from typing import Any

from hypothesis import strategies as st

MAX_DEPTH = 2
_UTC_OFFSETS = st.integers(-14 * 60, 14 * 60).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))
_NAIVE = st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2200, 1, 1))

PRIMITIVES: dict[str, st.SearchStrategy[Any]] = {
    "null": st.none(),
    "boolean": st.booleans(),
    "int": st.integers(-(2**31), 2**31 - 1),
    "long": st.integers(-(2**63), 2**63 - 1),
    "float": st.floats(width=32, allow_nan=False, allow_infinity=False),
    "double": st.floats(allow_nan=False, allow_infinity=False),
    "bytes": st.binary(max_size=20),
    "string": st.text(max_size=20),
}


def _millis(value: dt.datetime | dt.time) -> Any:
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def _aware(naive: dt.datetime, tz: dt.tzinfo) -> dt.datetime:
    return naive.replace(tzinfo=tz)


LOGICAL: dict[str, st.SearchStrategy[Any]] = {
    "date": st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)),
    "time-millis": st.times().map(_millis),
    "time-micros": st.times(),
    "timestamp-millis": st.builds(_aware, _NAIVE, _UTC_OFFSETS).map(_millis),
    "timestamp-micros": st.builds(_aware, _NAIVE, _UTC_OFFSETS),
    "local-timestamp-millis": _NAIVE.map(_millis),
    "local-timestamp-micros": _NAIVE,
    "uuid": st.uuids(),
}


def _decimal(precision: int, scale: int) -> st.SearchStrategy[decimal.Decimal]:
    bound = 10**precision - 1
    return st.integers(-bound, bound).map(lambda u: decimal.Decimal(u).scaleb(-scale))


class AvroValues:
    """Strategies for the types of a set of parsed Avro schemas (named types by full name)."""

    def __init__(self, named: Mapping[str, Mapping[str, Any]]) -> None:
        self.named = named

    def for_name(self, full_name: str, depth: int = 0) -> st.SearchStrategy[Any]:
        """Values of the named type ``full_name``."""
        return self.of(self.named[full_name], _space(full_name), depth)

    def resolve(self, name: str, namespace: str) -> tuple[Mapping[str, Any], str]:
        full = name if "." in name or not namespace else f"{namespace}.{name}"
        if full not in self.named:
            full = name
        return self.named[full], _space(full)

    def of(self, schema: Any, namespace: str, depth: int) -> st.SearchStrategy[Any]:
        """Values of any schema expression."""
        if isinstance(schema, str):
            if schema in PRIMITIVES:
                return PRIMITIVES[schema]
            node, space = self.resolve(schema, namespace)
            return self.of(node, space, depth)
        if isinstance(schema, list):
            branches = schema
            if depth >= MAX_DEPTH and "null" in branches:
                return st.none()
            return st.one_of([self.of(b, namespace, depth + 1) for b in branches])
        kind = schema["type"]
        logical = schema.get("logicalType")
        if logical == "decimal":
            return _decimal(schema["precision"], schema.get("scale", 0))
        if logical in LOGICAL:
            return LOGICAL[logical]
        if kind in ("record", "error"):
            space = (
                schema.get("namespace", namespace)
                if "." not in schema["name"]
                else _space(schema["name"])
            )
            return st.fixed_dictionaries(
                {f["name"]: self.of(f["type"], space, depth + 1) for f in schema["fields"]}
            )
        if kind == "enum":
            return st.sampled_from(schema["symbols"])
        if kind == "fixed":
            return st.binary(min_size=schema["size"], max_size=schema["size"])
        if kind == "array":
            if depth >= MAX_DEPTH:
                return st.just([])
            return st.lists(self.of(schema["items"], namespace, depth + 1), max_size=3)
        if kind == "map":
            if depth >= MAX_DEPTH:
                return st.just({})
            values = self.of(schema["values"], namespace, depth + 1)
            return st.dictionaries(st.text(max_size=5), values, max_size=3)
        return self.of(kind, namespace, depth)


def _space(full_name: str) -> str:
    return full_name.rsplit(".", 1)[0] if "." in full_name else ""
