"""Schemas whose names or shapes Python cannot take as they are: working code, or exit 2.

Every name that reaches Python passes one table (codegen/generate/names.py); every case here
either generates a package that imports and round-trips, or is refused with a
GenerationError naming the schema. The table tests print their counts for the README.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codegen.generate import GenerationError
from codegen.generate.names import FORBIDDEN, allowed, python_name
from codegen.generate.pysource import Fragments
from tests.unit import bad_input
from tests.unit.generate.hostile import generated


def _record(name: str, fields: list[dict[str, Any]], namespace: str | None = None) -> str:
    doc: dict[str, Any] = {"type": "record", "name": name, "fields": fields}
    if namespace is not None:
        doc["namespace"] = namespace
    return json.dumps(doc)


def _nested(kind: str, depth: int) -> Any:
    t: Any = "int"
    for _ in range(depth):
        if kind == "array":
            t = {"type": "array", "items": t}
        elif kind == "map":
            t = {"type": "map", "values": t}
        else:
            t = ["null", {"type": "array", "items": t}]
    return t


def _sample(kind: str, depth: int) -> Any:
    value: Any = 7
    for _ in range(depth):
        value = [value] if kind != "map" else {"k": value}
    return value


DUNDER_FIELDS = ["__dict__", "__init__", "__class__", "__slots__", "__hash__", "__eq__"]
OTHER_FIELDS = ["self", "cls", "_h_enc", "__x", "__init", "_value_", "mro"]
ENUM_SYMBOLS = ["_value_", "_name_", "_missing_", "_ignore_", "_order_", "__init__", "_x_"]
ENUM_SYMBOLS += ["name", "value", "mro", "__dict__", "__x", "_generate_next_value_"]

#: (case id, {file: text}, plain value for the first record or None, refusal pattern or None)
AVRO_CASES: list[tuple[str, dict[str, str], tuple[str, dict[str, Any]] | None, str | None]] = [
    (
        "dunder and parameter field names",
        {
            "r.avsc": _record(
                "R", [{"name": n, "type": "int"} for n in DUNDER_FIELDS + OTHER_FIELDS], "h"
            )
        },
        ("h.R", {n: i for i, n in enumerate(DUNDER_FIELDS + OTHER_FIELDS)}),
        None,
    ),
    (
        "enum symbols Enum reserves",
        {
            "r.avsc": _record(
                "R",
                [{"name": "e", "type": {"type": "enum", "name": "E", "symbols": ENUM_SYMBOLS}}],
                "h",
            )
        },
        ("h.R", {"e": "_missing_"}),
        None,
    ),
    (
        "namespace equal to a record's full name",
        {
            "q.avsc": _record("q", [{"name": "a", "type": "int"}], "p"),
            "r.avsc": _record("R", [{"name": "a", "type": "int"}], "p.q"),
        },
        None,
        r"p\.q",
    ),
    (
        "namespace _default beside types without one",
        {
            "a.avsc": _record("A", [{"name": "a", "type": "int"}]),
            "b.avsc": _record("B", [{"name": "b", "type": "int"}], "_default"),
        },
        ("_default.B", {"b": 1}),
        None,
    ),
    (
        "namespace x.__init__",
        {"r.avsc": _record("R", [{"name": "a", "type": "int"}], "x.__init__")},
        ("x.__init__.R", {"a": 1}),
        None,
    ),
    (
        "modules whose import aliases collide",
        {
            "a.avsc": _record("A", [{"name": "a", "type": "int"}], "a.b_c"),
            "b.avsc": _record("B", [{"name": "b", "type": "int"}], "a_b.c"),
        },
        None,
        "_h_m_a_b_c",
    ),
    (
        "record named like a builtin the annotations use",
        {"r.avsc": _record("str", [{"name": "int", "type": "int"}], "h")},
        ("h.str", {"int": 3}),
        None,
    ),
    (
        "double default 1e400",
        {
            "r.avsc": '{"type":"record","name":"R","namespace":"h","fields":'
            '[{"name":"x","type":"double","default":1e400}]}'
        },
        ("h.R", {}),
        None,
    ),
    *[
        (
            f"{kind} nested {depth} deep",
            {"r.avsc": _record("R", [{"name": "f", "type": _nested(kind, depth)}], "h")},
            ("h.R", {"f": _sample(kind, depth)}) if depth <= 8 else None,
            None if depth <= 8 else "nested 11 deep",
        )
        for kind in ("array", "map", "nullable array")
        for depth in (8, 11)
    ],
]

PROTO_CASES: list[tuple[str, str, str | None]] = [
    (
        "fields self and __slots__, enum value __init__",
        'syntax = "proto3";\npackage h.v1;\n'
        "enum Kind { KIND_UNSPECIFIED = 0; __init__ = 1; _value_ = 2; }\n"
        "message M { string self = 1; int32 __slots__ = 2; Kind kind = 3; int32 cls = 4; }\n",
        None,
    ),
    (
        "two messages that flatten to one class name",
        'syntax = "proto3";\npackage h.v1;\n'
        "message Order { message Item { int32 a = 1; } Item item = 1; }\n"
        "message OrderItem { string b = 1; }\n",
        "OrderItem",
    ),
]

KIND = "names and shapes (codegen)"


def _roundtrip(package: Any, full_name: str, plain: dict[str, Any]) -> None:
    cls = package.TYPES[full_name]
    assert full_name == cls.FULL_NAME
    event = cls.from_dict(plain)
    assert cls.decode(event.encode()) == event
    assert cls.from_dict(event.to_dict()) == event


@pytest.mark.parametrize(
    ("files", "sample", "refusal"),
    [pytest.param(f, s, r, id=i) for i, f, s, r in AVRO_CASES],
)
def test_hostile_avro_schemas_generate_working_code_or_are_refused(
    tmp_path: Path,
    files: dict[str, str],
    sample: tuple[str, dict[str, Any]] | None,
    refusal: str | None,
) -> None:
    bad_input.tried(KIND)
    if refusal is not None:
        with pytest.raises(GenerationError, match=refusal) as info, generated(tmp_path, files):
            pass
        assert ".avsc" in str(info.value)
    else:
        assert sample is not None
        with generated(tmp_path, files) as package:
            _roundtrip(package, *sample)
    bad_input.handled(KIND)


def test_a_1e400_default_is_infinity(tmp_path: Path) -> None:
    text = '{"type":"record","name":"R","namespace":"h","fields":[%s]}'
    files = {"r.avsc": text % '{"name":"x","type":"double","default":1e400}'}
    with generated(tmp_path, files) as package:
        assert package.TYPES["h.R"]().x == math.inf


def test_reserved_enum_symbols_keep_their_wire_values(tmp_path: Path) -> None:
    files = {"e.avsc": json.dumps({"type": "enum", "name": "E", "symbols": ENUM_SYMBOLS})}
    with generated(tmp_path, files) as package:
        enum_cls = package._default.E
        assert [member.value for member in enum_cls] == ENUM_SYMBOLS


@pytest.mark.parametrize(("text", "refusal"), [pytest.param(t, r, id=i) for i, t, r in PROTO_CASES])
def test_hostile_protobuf_schemas_generate_working_code_or_are_refused(
    tmp_path: Path, text: str, refusal: str | None
) -> None:
    bad_input.tried(KIND)
    files = {"h/v1/m.proto": text}
    if refusal is not None:
        with pytest.raises(GenerationError, match=refusal) as info, generated(tmp_path, files):
            pass
        assert "m.proto" in str(info.value)
    else:
        with generated(tmp_path, files) as package:
            cls = package.TYPES["h.v1.M"]
            kind = package.h.v1.m.Kind(1)
            event = cls(self_="me", __slots___=3, kind=kind, cls_=4)
            assert cls.decode(event.encode()) == event
            assert event.to_dict()["self"] == "me"
            assert cls.from_dict(event.to_dict()) == event
    bad_input.handled(KIND)


def test_nested_nullable_arrays_generate_in_linear_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Converting each level's branch twice made depth 20 take 9.9 s and depth 22 31 s; count
    # the generator's steps instead of timing it.
    calls = [0]
    original = Fragments.from_plain

    def counted(self: Fragments, *args: Any) -> str:
        calls[0] += 1
        return original(self, *args)

    monkeypatch.setattr(Fragments, "from_plain", counted)
    steps = []
    for depth in (4, 8):
        calls[0] = 0
        files = {"r.avsc": _record("R", [{"name": "f", "type": _nested("null", depth)}], "h")}
        with generated(tmp_path / str(depth), files):
            pass
        steps.append(calls[0])
    # Twice the depth, twice the steps (doubling per level would give 16x).
    assert steps[1] <= 2 * steps[0] + 2, steps


ROLES = list(FORBIDDEN)
DANGEROUS = [*DUNDER_FIELDS, *OTHER_FIELDS, *ENUM_SYMBOLS, "class", "None", "str", "_default"]
names = st.one_of(st.sampled_from(DANGEROUS), st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_]{0,8}\Z"))


@settings(max_examples=400, deadline=None)
@given(role=st.sampled_from(ROLES), wires=st.lists(names, min_size=1, max_size=12))
def test_every_python_name_passes_the_table_and_is_unique(role: Any, wires: list[str]) -> None:
    taken: set[str] = set()
    out = [python_name(wire, taken, role) for wire in wires]
    assert len(set(out)) == len(out)
    for wire, name in zip(wires, out, strict=True):
        assert allowed(name, role)
        assert name.isidentifier()
        assert re.fullmatch(re.escape(wire) + "_*", name)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    fields=st.lists(names, min_size=1, max_size=6, unique=True),
    symbols=st.lists(names, min_size=1, max_size=6, unique=True),
)
def test_generated_avro_with_any_valid_names_imports_and_round_trips(
    tmp_path_factory: pytest.TempPathFactory, fields: list[str], symbols: list[str]
) -> None:
    bad_input.tried(KIND)
    enum = {"type": "enum", "name": "Sym", "symbols": symbols}
    schema = _record(
        "Rec",
        [{"name": "e", "type": enum}] + [{"name": f, "type": "long"} for f in fields if f != "e"],
        "prop",
    )
    plain: dict[str, Any] = {f: i for i, f in enumerate(fields) if f != "e"}
    plain["e"] = symbols[-1]
    with generated(tmp_path_factory.mktemp("prop"), {"r.avsc": schema}) as package:
        _roundtrip(package, "prop.Rec", plain)
    bad_input.handled(KIND)
