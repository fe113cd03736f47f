"""Generated protobuf bindings against upb's deterministic bytes: map orders, lengths, edges.

The golden schemas have string-keyed maps only and short values; this catalog adds every
integer map key kind, bool keys, packed repeated values with negatives, and values long
enough that lengths need more than one varint byte.
"""

from __future__ import annotations

import datetime as dt
import importlib
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codegen.catalog import load_catalog
from codegen.generate import generate_files, write_package
from publisher.codec import protowire
from tests.unit.generate.proto_values import message_values, to_pb

PACKAGE = "herald_protowire_events"
PROTO = """syntax = "proto3";
package wire.v1;

import "google/protobuf/duration.proto";
import "google/protobuf/timestamp.proto";

message Inner {
  string text = 1;
  repeated sint64 values = 2;
}

message Maps {
  map<int32, string> by_int32 = 1;
  map<int64, Inner> by_int64 = 2;
  map<uint32, int32> by_uint32 = 3;
  map<uint64, double> by_uint64 = 4;
  map<sint32, bool> by_sint32 = 5;
  map<sint64, bytes> by_sint64 = 6;
  map<fixed32, float> by_fixed32 = 7;
  map<fixed64, sfixed32> by_fixed64 = 8;
  map<sfixed32, sfixed64> by_sfixed32 = 9;
  map<sfixed64, fixed64> by_sfixed64 = 10;
  map<bool, google.protobuf.Timestamp> by_bool = 11;
  map<string, google.protobuf.Duration> by_string = 12;
  repeated int32 ints = 13;
  repeated double doubles = 14;
  repeated bool flags = 15;
  Inner inner = 16;
  double ratio = 17;
  int64 count = 18;
  string note = 19;
}
"""


@pytest.fixture(scope="module")
def wire_package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The catalog above, generated and imported."""
    root = tmp_path_factory.mktemp("protowire")
    schemas = root / "schemas" / "wire" / "v1"
    schemas.mkdir(parents=True)
    (schemas / "maps.proto").write_text(PROTO)
    out = root / "out"
    write_package(generate_files(load_catalog([root / "schemas"]), PACKAGE), out / PACKAGE)
    sys.path.insert(0, str(out))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(out))


def _pb2(pkg: ModuleType, name: str) -> Any:
    return getattr(importlib.import_module(f"{PACKAGE}.wire.v1.maps_pb2"), name)


def _check(pkg: ModuleType, name: str, plain: dict[str, Any]) -> None:
    cls = pkg.TYPES[f"wire.v1.{name}"]
    obj = cls.from_dict(plain)
    body = obj.encode()
    assert body == to_pb(_pb2(pkg, name)(), plain).SerializeToString(deterministic=True)
    assert cls.decode(body) == obj


@pytest.mark.parametrize("name", ["Maps", "Inner"])
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_random_messages_match_upb(wire_package: ModuleType, name: str, data: Any) -> None:
    _check(wire_package, name, data.draw(message_values(_pb2(wire_package, name).DESCRIPTOR)))


def test_key_prefixes_long_values_and_edges_match_upb(wire_package: ModuleType) -> None:
    long_text = "é" * 200
    utc = dt.UTC
    _check(
        wire_package,
        "Maps",
        {
            "by_int32": {-1: "a", 0: "", 2**31 - 1: "b", -(2**31): "c", 5: long_text},
            "by_int64": {2**40: {"text": long_text, "values": [-1, 2**62]}, -7: {}},
            "by_bool": {
                True: dt.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=utc),
                False: dt.datetime(1970, 1, 1, tzinfo=utc),
            },
            "by_string": {
                "": dt.timedelta(microseconds=-1),
                "a": dt.timedelta(days=-3, seconds=5),
                "ab": dt.timedelta(0),
                "b" * 130: dt.timedelta(days=9000, microseconds=7),
            },
            "ints": [-1, 0, 300, -(2**31)] * 40,
            "doubles": [-0.0, 1.5],
            "flags": [True, False],
            "inner": {"text": "x" * 300, "values": list(range(-70, 70))},
            "ratio": -0.0,
            "count": -5,
            "note": long_text,
        },
    )


def test_timestamps_of_every_era_match_from_datetime_and_back() -> None:
    from google.protobuf.timestamp_pb2 import Timestamp

    zone = dt.timezone(dt.timedelta(hours=-5, seconds=30))
    for moment in (
        dt.datetime(1, 1, 1, tzinfo=dt.UTC),
        dt.datetime(1977, 12, 31, 23, 59, 59, tzinfo=dt.UTC),
        dt.datetime(2026, 5, 1, 12, 0, 0, 250, tzinfo=zone),
        dt.datetime(3100, 1, 1, tzinfo=dt.UTC),
        dt.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=dt.UTC),
    ):
        expected = Timestamp()
        expected.FromDatetime(moment)
        assert protowire.timestamp_parts(moment) == (expected.seconds, expected.nanos)
        assert protowire.timestamp_datetime(expected) == expected.ToDatetime(tzinfo=dt.UTC)


def test_durations_match_from_timedelta_and_back() -> None:
    from google.protobuf.duration_pb2 import Duration

    for span in (
        dt.timedelta(0),
        dt.timedelta(microseconds=-1),
        dt.timedelta(days=-3, microseconds=250),
        dt.timedelta(seconds=1, microseconds=999999),
        dt.timedelta(days=9999),
    ):
        expected = Duration()
        expected.FromTimedelta(span)
        assert protowire.duration_parts(span) == (expected.seconds, expected.nanos)
        assert protowire.duration_timedelta(expected) == expected.ToTimedelta()
    odd = Duration(seconds=-1, nanos=-1500)
    assert protowire.duration_timedelta(odd) == odd.ToTimedelta()
