"""Protobuf rules that look at one field: presence, kind, scalar group, label, named type.

The Confluent rules are called by the diff walk (:mod:`codegen.compat.protobuf.walk`) with a
:class:`Spot` and the field's type on each side; the strict (Buf-style) rules by
:mod:`codegen.compat.protobuf.strict` with an :class:`Evolution` of the enclosing message.
"""

from __future__ import annotations

from collections.abc import Callable

from google.protobuf.descriptor_pb2 import DescriptorProto, FieldDescriptorProto

from codegen.compat.protobuf.context import (
    FDP,
    GROUP_MEMBERS,
    Evolution,
    FieldType,
    Spot,
    describe_type,
    field_type,
    oneof_name,
    syntax_of,
)
from codegen.compat.protobuf_model import MESSAGE_FIELD, ProtoSchema
from codegen.compat.rules import rule
from codegen.findings import Finding

#: Wire groups whose label changes Confluent refuses (numbers; strings and bytes may change).
NUMERIC_GROUPS = frozenset(
    {"GENERAL_NUMBER", "SIGNED_NUMBER", "FIXED32", "FIXED64", "FLOAT", "DOUBLE"}
)

# -- Confluent rules -------------------------------------------------------------------------


@rule(
    "REQUIRED_FIELD_ADDED",
    "PROTOBUF",
    "WIRE",
    "A proto2 required field cannot be added: data without it fails to parse.",
)
def required_field_added(spot: Spot, fdesc: FieldDescriptorProto, add: Callable[..., None]) -> None:
    """Called for an update-only field; only ``required`` ones break."""
    if fdesc.label != FDP.LABEL_REQUIRED:
        return
    add(
        "REQUIRED_FIELD_ADDED",
        f'Required field "{fdesc.number}" ("{fdesc.name}") on message "{spot.where}" was '
        f"{spot.diff.came()}; messages written without it fail to parse.",
        f'make "{fdesc.name}" optional',
        original=None,
        update=spot.update,
    )


@rule(
    "REQUIRED_FIELD_REMOVED",
    "PROTOBUF",
    "WIRE",
    "A proto2 required field cannot be removed: readers that require it reject new data.",
)
def required_field_removed(
    spot: Spot, fdesc: FieldDescriptorProto, add: Callable[..., None]
) -> None:
    """Called for an original-only field; only ``required`` ones break."""
    if fdesc.label != FDP.LABEL_REQUIRED:
        return
    add(
        "REQUIRED_FIELD_REMOVED",
        f'Required field "{fdesc.number}" ("{fdesc.name}") on message "{spot.where}" was '
        f"{spot.diff.gone()}; readers that require it reject messages without it.",
        f'keep "{fdesc.name}"',
        original=spot.original,
        update=None,
    )


@rule(
    "FIELD_KIND_CHANGED",
    "PROTOBUF",
    "WIRE",
    "A field must stay a scalar/enum, a message, or a map.",
)
def field_kind_changed(
    spot: Spot, old: FieldType, new: FieldType, add: Callable[..., None]
) -> None:
    """Scalars, messages and maps are different things on the wire."""
    if old.kind == new.kind:
        return
    old, new = spot.diff.old_new(old, new)
    add(
        "FIELD_KIND_CHANGED",
        f'{spot.where} changed from {old.kind} "{describe_type(old)}" to {new.kind} '
        f'"{describe_type(new)}".',
        "keep the field's kind; add a new field with a new number and reserve this one",
        original=spot.original,
        update=spot.update,
    )


@rule(
    "FIELD_SCALAR_KIND_CHANGED",
    "PROTOBUF",
    "WIRE",
    "A scalar field may change type only within its wire-compatible group.",
)
def field_scalar_kind_changed(
    spot: Spot, old: FieldType, new: FieldType, add: Callable[..., None]
) -> None:
    """int32/int64/uint32/uint64/bool/enum share a group; sint*, fixed* and so on do not."""
    if old.group == new.group:
        return
    old, new = spot.diff.old_new(old, new)
    members = ", ".join(GROUP_MEMBERS[old.group])
    add(
        "FIELD_SCALAR_KIND_CHANGED",
        f'{spot.where} changed type from "{describe_type(old)}" to "{describe_type(new)}".',
        f'"{describe_type(old)}" is wire-compatible only with: {members}; keep the type, or '
        "add a new field with a new number and reserve this one",
        original=spot.original,
        update=spot.update,
    )


@rule(
    "FIELD_NUMERIC_LABEL_CHANGED",
    "PROTOBUF",
    "WIRE",
    "A numeric field keeps its written label (optional, required or repeated).",
)
def field_numeric_label_changed(
    spot: Spot, old: FieldType, new: FieldType, add: Callable[..., None]
) -> None:
    """Repeated numbers are packed; a singular reader misreads them (strings/bytes may change)."""
    if old.label is None or new.label is None or old.label == new.label:
        return
    if old.group not in NUMERIC_GROUPS:
        return
    old, new = spot.diff.old_new(old, new)
    add(
        "FIELD_NUMERIC_LABEL_CHANGED",
        f'{spot.where} changed label from "{old.label}" to "{new.label}".',
        f'keep it "{old.label}"; add a new field with a new number for the new label',
        original=spot.original,
        update=spot.update,
    )


@rule(
    "FIELD_NAMED_TYPE_CHANGED",
    "PROTOBUF",
    "WIRE",
    "A message-typed field must keep its message (by name) and that message must stay compatible.",
)
def field_named_type_changed(
    spot: Spot, old: FieldType, new: FieldType, inner: list[Finding], add: Callable[..., None]
) -> None:
    """Report a renamed message type (``inner`` is None), or breaks inside a same-named one."""
    old, new = spot.diff.old_new(old, new)
    if inner:
        message = (
            f'{spot.where} has type "{describe_type(new)}", which changed incompatibly '
            f"({inner[0].message.rstrip('.')})."
        )
        hint = "see the findings for the message type itself"
    else:
        message = (
            f'{spot.where} changed type from "{describe_type(old)}" to "{describe_type(new)}".'
        )
        hint = f'keep type "{describe_type(old)}"; add a new field for the new type'
    add("FIELD_NAMED_TYPE_CHANGED", message, hint, original=spot.original, update=spot.update)


# -- strict (Buf-style) rules ----------------------------------------------------------------


def _reserved(msg: DescriptorProto, number: int) -> bool:
    return any(r.start <= number < r.end for r in msg.reserved_range)


def _cardinality(fdesc: FieldDescriptorProto, schema: ProtoSchema, file_syntax: str) -> str:
    if fdesc.label == FDP.LABEL_REPEATED:
        target = schema.type(fdesc.type_name) if fdesc.type_name else None
        return "map" if target is not None and target.is_map else "repeated"
    if fdesc.label == FDP.LABEL_REQUIRED:
        return "required"
    implicit = (
        file_syntax == "proto3"
        and not fdesc.proto3_optional
        and not fdesc.HasField("oneof_index")
        and fdesc.type not in (FDP.TYPE_MESSAGE, FDP.TYPE_GROUP)
    )
    return "implicit" if implicit else "optional"


def _pairs(evo: Evolution) -> list[tuple[int, FieldDescriptorProto, FieldDescriptorProto]]:
    """(index in the new message, previous field, current field) for each kept number."""
    old, new = evo.old.message, evo.new.message
    assert old is not None
    assert new is not None
    before = {f.number: f for f in old.field}
    return [(i, before[f.number], f) for i, f in enumerate(new.field) if f.number in before]


@rule(
    "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED",
    "PROTOBUF",
    "STRICT",
    "A deleted field's number must be reserved so it is never reused with another meaning.",
)
def field_no_delete_unless_number_reserved(evo: Evolution, add: Callable[..., None]) -> None:
    """Buf: removing a field is fine on the wire, reusing its number is not."""
    old, new = evo.old.message, evo.new.message
    assert old is not None
    assert new is not None
    numbers = {f.number for f in new.field}
    for fdesc in old.field:
        if fdesc.number in numbers or _reserved(new, fdesc.number):
            continue
        add(
            "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED",
            f'Previously present field "{fdesc.number}" with name "{fdesc.name}" on message '
            f'"{evo.name}" was deleted without reserving the number "{fdesc.number}".',
            f'add `reserved {fdesc.number};` and `reserved "{fdesc.name}";` to "{evo.name}"',
            evo.new.locate(),
            f"#/{evo.name}/{fdesc.number}",
        )


@rule(
    "FIELD_NO_DELETE_UNLESS_NAME_RESERVED",
    "PROTOBUF",
    "STRICT",
    "A deleted field's name must be reserved so JSON and text formats never reuse it.",
)
def field_no_delete_unless_name_reserved(evo: Evolution, add: Callable[..., None]) -> None:
    """Buf WIRE_JSON: JSON carries field names, so a reused name would read old data wrongly."""
    old, new = evo.old.message, evo.new.message
    assert old is not None
    assert new is not None
    numbers = {f.number for f in new.field}
    for fdesc in old.field:
        if fdesc.number in numbers or fdesc.name in new.reserved_name:
            continue
        add(
            "FIELD_NO_DELETE_UNLESS_NAME_RESERVED",
            f'Previously present field "{fdesc.number}" with name "{fdesc.name}" on message '
            f'"{evo.name}" was deleted without reserving the name "{fdesc.name}".',
            f'add `reserved "{fdesc.name}";` to "{evo.name}"',
            evo.new.locate(),
            f"#/{evo.name}/{fdesc.number}",
        )


@rule(
    "FIELD_SAME_NAME",
    "PROTOBUF",
    "STRICT",
    "A field keeps its name, which generated code and JSON use.",
)
def field_same_name(evo: Evolution, add: Callable[..., None]) -> None:
    """Buf: a rename breaks generated code and the JSON mapping even though the wire is fine."""
    for i, was, now in _pairs(evo):
        if was.name == now.name:
            continue
        add(
            "FIELD_SAME_NAME",
            f'Field "{now.number}" on message "{evo.name}" changed name from "{was.name}" to '
            f'"{now.name}".',
            f'keep the name "{was.name}"',
            evo.new.locate(MESSAGE_FIELD, i, 1),
            f"#/{evo.name}/{now.number}",
        )


@rule(
    "FIELD_SAME_JSON_NAME",
    "PROTOBUF",
    "STRICT",
    "A field keeps its JSON name, which the JSON mapping reads and writes.",
)
def field_same_json_name(evo: Evolution, add: Callable[..., None]) -> None:
    """Buf WIRE_JSON: JSON data written with the old name no longer parses."""
    for i, was, now in _pairs(evo):
        if was.json_name == now.json_name:
            continue
        add(
            "FIELD_SAME_JSON_NAME",
            f'Field "{now.number}" with name "{now.name}" on message "{evo.name}" changed '
            f'JSON name from "{was.json_name}" to "{now.json_name}".',
            f'keep the JSON name "{was.json_name}" (set `json_name = "{was.json_name}"`)',
            evo.new.locate(MESSAGE_FIELD, i),
            f"#/{evo.name}/{now.number}",
        )


@rule(
    "FIELD_SAME_CARDINALITY",
    "PROTOBUF",
    "STRICT",
    "A field keeps its cardinality (implicit, optional, required, repeated, map).",
)
def field_same_cardinality(
    evo: Evolution, old_schema: ProtoSchema, new_schema: ProtoSchema, add: Callable[..., None]
) -> None:
    """Buf: presence and repetition shape generated code and how values are merged."""
    old_syntax, new_syntax = syntax_of(evo.old), syntax_of(evo.new)
    for i, prev, fdesc in _pairs(evo):
        was = _cardinality(prev, old_schema, old_syntax)
        now = _cardinality(fdesc, new_schema, new_syntax)
        if was == now:
            continue
        add(
            "FIELD_SAME_CARDINALITY",
            f'Field "{fdesc.number}" with name "{fdesc.name}" on message "{evo.name}" changed '
            f'cardinality from "{was}" to "{now}".',
            f'keep it "{was}"; add a new field for the new cardinality',
            evo.new.locate(MESSAGE_FIELD, i),
            f"#/{evo.name}/{fdesc.number}",
        )


def _type_words(fdesc: FieldDescriptorProto, schema: ProtoSchema) -> str:
    """A field's type by full name (maps as ``map<key, value>``), as generated code sees it."""
    return describe_type(field_type(fdesc, schema, None))


@rule(
    "FIELD_SAME_TYPE",
    "PROTOBUF",
    "STRICT",
    "A field keeps its type, which generated code and JSON use (even wire-compatible changes).",
)
def field_same_type(
    evo: Evolution, old_schema: ProtoSchema, new_schema: ProtoSchema, add: Callable[..., None]
) -> None:
    """Buf FILE: int32 -> int64 is fine on the wire but changes generated code and JSON."""
    for i, prev, fdesc in _pairs(evo):
        was, now = _type_words(prev, old_schema), _type_words(fdesc, new_schema)
        if was == now:
            continue
        add(
            "FIELD_SAME_TYPE",
            f'Field "{fdesc.number}" with name "{fdesc.name}" on message "{evo.name}" changed '
            f'type from "{was}" to "{now}".',
            f'keep type "{was}"; add a new field with a new number for the new type',
            evo.new.locate(MESSAGE_FIELD, i),
            f"#/{evo.name}/{fdesc.number}",
        )


def _oneof_words(name: str) -> str:
    return f'oneof "{name}"' if name else "no oneof"


@rule(
    "FIELD_SAME_ONEOF",
    "PROTOBUF",
    "STRICT",
    "A field stays in its oneof (or outside any), which generated code is built around.",
)
def field_same_oneof(evo: Evolution, add: Callable[..., None]) -> None:
    """Buf FILE/WIRE_JSON: moving a field into, out of or between oneofs changes its API."""
    old, new = evo.old.message, evo.new.message
    assert old is not None
    assert new is not None
    for i, prev, fdesc in _pairs(evo):
        was, now = oneof_name(old, prev) or "", oneof_name(new, fdesc) or ""
        if was == now:
            continue
        add(
            "FIELD_SAME_ONEOF",
            f'Field "{fdesc.number}" with name "{fdesc.name}" on message "{evo.name}" moved from '
            f"{_oneof_words(was)} to {_oneof_words(now)}.",
            "keep the field where it was; add a new field in the new place",
            evo.new.locate(MESSAGE_FIELD, i),
            f"#/{evo.name}/{fdesc.number}",
        )
