"""Properties of the engine over generated schemas (hypothesis).

Self-compatibility at every level, the two classic Avro evolutions (add a field with a
default: BACKWARD ok; remove a field without one: FORWARD broken), and robustness: random
mutations of valid schemas give a verdict or a HeraldError, never a crash.
"""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codegen.compat import LEVELS, SchemaSource, compare
from codegen.errors import HeraldError

NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
PRIMITIVES = ["null", "boolean", "int", "long", "float", "double", "bytes", "string"]
#: Field type -> a valid default for it.
DEFAULTS: dict[str, Any] = {
    "boolean": False,
    "int": 0,
    "long": 0,
    "float": 0.0,
    "double": 0.0,
    "bytes": "",
    "string": "",
}
FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def avro_types(draw: st.DrawFn, depth: int = 0) -> Any:
    """A field type: primitive, array, map, nullable union, enum or nested record."""
    counter = draw(st.integers(0, 10**6))
    choices = ["primitive", "nullable", "array", "map", "enum"]
    if depth < 2:
        choices.append("record")
    kind = draw(st.sampled_from(choices))
    if kind == "primitive":
        return draw(st.sampled_from(PRIMITIVES[1:]))
    if kind == "nullable":
        return ["null", draw(st.sampled_from(PRIMITIVES[1:]))]
    if kind == "array":
        return {"type": "array", "items": draw(avro_types(depth + 1))}
    if kind == "map":
        return {"type": "map", "values": draw(avro_types(depth + 1))}
    if kind == "enum":
        symbols = draw(
            st.lists(
                st.from_regex(r"[A-Z]{1,5}", fullmatch=True), min_size=1, max_size=4, unique=True
            )
        )
        return {"type": "enum", "name": f"E{depth}x{counter}", "symbols": symbols}
    return draw(records(depth + 1, name=f"R{depth}x{counter}"))


@st.composite
def records(draw: st.DrawFn, depth: int = 0, name: str = "Order") -> dict[str, Any]:
    """A record with 1..5 uniquely named fields, some with defaults."""
    names = draw(st.lists(NAMES, min_size=1, max_size=5, unique=True))
    fields = []
    for field_name in names:
        ftype = draw(avro_types(depth))
        field: dict[str, Any] = {"name": field_name, "type": ftype}
        if isinstance(ftype, str) and ftype in DEFAULTS and draw(st.booleans()):
            field["default"] = DEFAULTS[ftype]
        fields.append(field)
    record = {"type": "record", "name": name, "namespace": "gen", "fields": fields}
    return _unique_names(record) if depth == 0 else record


def _unique_names(doc: Any, counter: list[int] | None = None) -> Any:
    """Give every generated named type its own name (Avro forbids redefinitions)."""
    counter = counter if counter is not None else [0]
    if isinstance(doc, list):
        return [_unique_names(item, counter) for item in doc]
    if not isinstance(doc, dict):
        return doc
    renamed = dict(doc)
    if doc.get("type") in ("record", "enum") and doc.get("name") != "Order":
        counter[0] += 1
        renamed["name"] = f"T{counter[0]}"
    for key in ("fields", "items", "values"):
        if key in doc:
            renamed[key] = _unique_names(doc[key], counter)
    if "type" in doc and isinstance(doc["type"], (dict, list)):
        renamed["type"] = _unique_names(doc["type"], counter)
    return renamed


def _source(doc: Any, path: str = "gen.avsc") -> SchemaSource:
    return SchemaSource("AVRO", json.dumps(doc, indent=2), path)


@FAST
@given(records())
def test_every_avro_schema_is_compatible_with_itself_at_every_level(doc: dict[str, Any]) -> None:
    source = _source(doc)
    for level in LEVELS:
        assert compare([source, source], source, level) == []


@FAST
@given(records(), NAMES, st.sampled_from(sorted(DEFAULTS)), st.booleans())
def test_adding_a_field_with_a_default_is_backward_compatible(
    doc: dict[str, Any], name: str, ftype: str, nullable: bool
) -> None:
    if any(f["name"] == name for f in doc["fields"]):
        name = f"{name}_new"
    field: dict[str, Any] = (
        {"name": name, "type": ["null", ftype], "default": None}
        if nullable
        else {"name": name, "type": ftype, "default": DEFAULTS[ftype]}
    )
    evolved = {**doc, "fields": [*doc["fields"], field]}
    assert compare([_source(doc)], _source(evolved), "BACKWARD") == []


@FAST
@given(records(), st.data())
def test_removing_a_field_without_default_is_not_forward_compatible(
    doc: dict[str, Any], data: st.DataObject
) -> None:
    doc["fields"].append({"name": "must_have", "type": "string"})
    index = data.draw(st.integers(0, len(doc["fields"]) - 1))
    if "default" in doc["fields"][index]:
        index = len(doc["fields"]) - 1
    removed = doc["fields"][index]["name"]
    evolved = {**doc, "fields": [f for i, f in enumerate(doc["fields"]) if i != index]}
    findings = compare([_source(doc)], _source(evolved), "FORWARD")
    assert any(
        f.rule == "READER_FIELD_MISSING_DEFAULT_VALUE" and f'"{removed}"' in f.message
        for f in findings
    )


def _mutate_text(text: str, data: st.DataObject) -> str:
    """Delete, insert or replace a few characters."""
    for _ in range(data.draw(st.integers(1, 3))):
        pos = data.draw(st.integers(0, max(len(text) - 1, 0)))
        op = data.draw(st.sampled_from(["delete", "insert", "replace"]))
        char = data.draw(st.sampled_from(list('{}[]":,0a" \n;=')))
        if op == "delete":
            text = text[:pos] + text[pos + 1 :]
        elif op == "insert":
            text = text[:pos] + char + text[pos:]
        else:
            text = text[:pos] + char + text[pos + 1 :]
    return text


def _mutate_json(value: Any, data: st.DataObject) -> Any:
    """Replace one node of the JSON tree with some other JSON value."""
    if isinstance(value, dict) and value and data.draw(st.booleans()):
        key = data.draw(st.sampled_from(sorted(value)))
        return {**value, key: _mutate_json(value[key], data)}
    if isinstance(value, list) and value and data.draw(st.booleans()):
        i = data.draw(st.integers(0, len(value) - 1))
        return [*value[:i], _mutate_json(value[i], data), *value[i + 1 :]]
    return data.draw(
        st.one_of(
            st.none(),
            st.integers(-3, 40),
            st.sampled_from(["int", "record", "Order", "gen.R0x1", "enum", "array", "map"]),
            st.just([]),
            st.just({}),
            st.just({"type": "fixed"}),
            st.just(["null", "null"]),
        )
    )


def _verdict_or_clear_error(previous: SchemaSource, current: SchemaSource) -> None:
    for level in ("BACKWARD", "FULL_TRANSITIVE"):
        outcome: object
        try:
            outcome = compare([previous], current, level)
        except HeraldError as exc:
            outcome = str(exc)
        # A verdict (a list of findings), or an error that names a place and a reason.
        assert isinstance(outcome, list) or ": " in outcome


@FAST
@given(records(), st.data())
def test_mutated_avro_gives_a_verdict_or_a_clear_error(
    doc: dict[str, Any], data: st.DataObject
) -> None:
    original = _source(doc)
    if data.draw(st.booleans()):
        mutated = SchemaSource("AVRO", _mutate_text(original.text, data), "m.avsc")
    else:
        mutated = SchemaSource("AVRO", json.dumps(_mutate_json(doc, data)), "m.avsc")
    _verdict_or_clear_error(original, mutated)
    _verdict_or_clear_error(mutated, original)


PROTO_SCALARS = [
    "int32",
    "int64",
    "uint32",
    "sint32",
    "bool",
    "string",
    "bytes",
    "double",
    "fixed32",
]


@st.composite
def protos(draw: st.DrawFn) -> str:
    """A proto3 file with a message of scalar, repeated, map and oneof fields."""
    names = draw(st.lists(NAMES, min_size=1, max_size=5, unique=True))
    lines = []
    oneof: list[str] = []
    for number, name in enumerate(names, start=1):
        kind = draw(st.sampled_from(["plain", "repeated", "map", "oneof"]))
        scalar = draw(st.sampled_from(PROTO_SCALARS))
        if kind == "plain":
            lines.append(f"  {scalar} {name} = {number};")
        elif kind == "repeated":
            lines.append(f"  repeated {scalar} {name} = {number};")
        elif kind == "map":
            lines.append(f"  map<string, {scalar}> {name} = {number};")
        else:
            oneof.append(f"    {scalar} {name} = {number};")
    if oneof:
        lines.append("  oneof choice {\n" + "\n".join(oneof) + "\n  }")
    body = "\n".join(lines)
    return f'syntax = "proto3";\npackage gen.v1;\n\nmessage Event {{\n{body}\n}}\n'


@SLOW
@given(protos())
def test_every_protobuf_schema_is_compatible_with_itself(text: str) -> None:
    source = SchemaSource("PROTOBUF", text, "gen.proto")
    for level in LEVELS:
        assert compare([source], source, level, strict=True) == []


@SLOW
@given(protos(), st.data())
def test_mutated_protobuf_gives_a_verdict_or_a_clear_error(text: str, data: st.DataObject) -> None:
    original = SchemaSource("PROTOBUF", text, "gen.proto")
    mutated = SchemaSource("PROTOBUF", _mutate_text(text, data), "m.proto")
    _verdict_or_clear_error(original, mutated)
