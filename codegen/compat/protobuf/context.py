"""What the Protobuf rules look at: field types and labels as Confluent sees them, the diff state.

:class:`Diff` is Confluent's diff ``Context``: the two schemas, which one is new, the path walked
so far and the findings. :class:`Spot` is where one rule looks (words for the place and the
element on each side). :class:`Evolution` is a message or enum in the previous and the current
schema, for the strict (Buf-style) rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from google.protobuf.descriptor_pb2 import DescriptorProto, FieldDescriptorProto

from codegen.catalog.protobuf import SCALAR_TYPE_NAMES
from codegen.compat.protobuf_model import ProtoSchema, TypeInfo
from codegen.findings import Finding, Location

FDP = FieldDescriptorProto
#: Scalar -> wire-compatible group (Confluent's ScalarKind; enums count as GENERAL_NUMBER).
WIRE_GROUPS: dict[str, str] = {
    "int32": "GENERAL_NUMBER",
    "int64": "GENERAL_NUMBER",
    "uint32": "GENERAL_NUMBER",
    "uint64": "GENERAL_NUMBER",
    "bool": "GENERAL_NUMBER",
    "enum": "GENERAL_NUMBER",
    "sint32": "SIGNED_NUMBER",
    "sint64": "SIGNED_NUMBER",
    "string": "STRING_OR_BYTES",
    "bytes": "STRING_OR_BYTES",
    "fixed32": "FIXED32",
    "sfixed32": "FIXED32",
    "fixed64": "FIXED64",
    "sfixed64": "FIXED64",
    "float": "FLOAT",
    "double": "DOUBLE",
}
#: Group -> the scalars in it, for hints.
GROUP_MEMBERS: dict[str, tuple[str, ...]] = {}
for _scalar, _group in WIRE_GROUPS.items():
    GROUP_MEMBERS.setdefault(_group, ())
    GROUP_MEMBERS[_group] += (_scalar,)
#: Descriptor label -> the label written in the text (Confluent compares the written ones).
LABEL_WORDS: dict[int, str] = {
    FDP.LABEL_OPTIONAL: "optional",
    FDP.LABEL_REQUIRED: "required",
    FDP.LABEL_REPEATED: "repeated",
}

Kind = Literal["scalar", "map", "message"]


@dataclass(frozen=True, slots=True)
class FieldType:
    """A field's type as Confluent compares it: kind, scalar name or named type, map parts."""

    kind: Kind
    name: str
    info: TypeInfo | None = None
    key: FieldDescriptorProto | None = None
    value: FieldDescriptorProto | None = None
    #: The label written in the text (None when the field has none: proto3 implicit, oneof
    #: members, map fields, map keys and values).
    label: str | None = None

    @property
    def group(self) -> str:
        """The wire group of a scalar (enums are numbers on the wire)."""
        return WIRE_GROUPS["enum" if self.info is not None else self.name]


def written_label(fdesc: FieldDescriptorProto, syntax: str) -> str | None:
    """The label a field was written with, as a .proto parser sees it (protoc fills in more)."""
    if fdesc.HasField("oneof_index") and not fdesc.proto3_optional:
        return None
    if fdesc.label == FDP.LABEL_OPTIONAL:
        explicit = fdesc.proto3_optional if syntax == "proto3" else syntax == "proto2"
        return "optional" if explicit else None
    return LABEL_WORDS[fdesc.label]


def field_type(fdesc: FieldDescriptorProto, schema: ProtoSchema, label: str | None) -> FieldType:
    """Classify a field's type on one side (scalar incl. enum, map, or message)."""
    if fdesc.type in SCALAR_TYPE_NAMES:
        return FieldType("scalar", SCALAR_TYPE_NAMES[fdesc.type], label=label)
    info = schema.type(fdesc.type_name)
    name = fdesc.type_name.lstrip(".")
    if info is None:
        return FieldType("message", name)
    if info.kind == "enum":
        return FieldType("scalar", name, info, label=label)
    if info.is_map and info.message is not None:
        key, value = info.message.field[0], info.message.field[1]
        return FieldType("map", name, info, key, value)
    return FieldType("message", name, info)


def describe_type(ftype: FieldType) -> str:
    """How a type reads in a message: ``int32``, ``shop.Money``, ``map<string, int32>``."""
    if ftype.kind == "map" and ftype.key is not None and ftype.value is not None:
        return f"map<{_short_type(ftype.key)}, {_short_type(ftype.value)}>"
    return ftype.name


def _short_type(fdesc: FieldDescriptorProto) -> str:
    return SCALAR_TYPE_NAMES.get(fdesc.type) or fdesc.type_name.lstrip(".")


def local_name(info: TypeInfo) -> str:
    """A type's name inside its package (how Confluent matches types across packages)."""
    prefix = f"{info.package}." if info.package else ""
    return info.full_name.removeprefix(prefix)


def syntax_of(info: TypeInfo) -> str:
    """proto2, proto3 or editions, for the file a type is declared in."""
    return info.file.descriptor.syntax or "proto2"


def oneof_name(msg: DescriptorProto, fdesc: FieldDescriptorProto) -> str | None:
    """The real oneof a field belongs to (proto3 ``optional`` makes a synthetic one: ignored)."""
    if not fdesc.HasField("oneof_index") or fdesc.proto3_optional:
        return None
    return msg.oneof_decl[fdesc.oneof_index].name


@dataclass(slots=True)
class Diff:
    """Confluent's diff Context: the path walked so far and the incompatible changes found."""

    original: ProtoSchema
    update: ProtoSchema
    #: BACKWARD compares old -> new; FORWARD compares new -> old (original is the new schema).
    original_is_new: bool
    subject: str
    path: list[str] = field(default_factory=list)
    in_progress: set[int] = field(default_factory=set)
    found: list[Finding] = field(default_factory=list)
    #: The messages being compared (original, update), innermost last, for fallback locations.
    scope: list[tuple[TypeInfo, TypeInfo]] = field(default_factory=list)

    def sub(self, name: str) -> Diff:
        """A fresh context for a type compared through a field (Confluent's subcontext)."""
        return Diff(
            self.original,
            self.update,
            self.original_is_new,
            self.subject,
            name.split("."),
            set(self.in_progress),
        )

    def add(
        self,
        rule_id: str,
        message: str,
        hint: str,
        *,
        original: Location | None,
        update: Location | None,
        token: str | None = None,
    ) -> None:
        """Record a finding at the new schema's element (else its enclosing message)."""
        new = original if self.original_is_new else update
        location = new or self.new_scope_location()
        parts = [*self.path, token] if token else self.path
        self.found.append(
            Finding(
                rule=rule_id,
                message=message,
                location=location,
                schema_path="#/" + "/".join(parts),
                hint=hint,
                subject=self.subject,
            )
        )

    def old_new(self, orig: FieldType, upd: FieldType) -> tuple[FieldType, FieldType]:
        """Order a pair of types as (previous schema's, new schema's) for messages."""
        return (upd, orig) if self.original_is_new else (orig, upd)

    def new_scope_location(self) -> Location:
        """The innermost enclosing message on the new schema's side, else the new file."""
        if self.scope:
            orig, upd = self.scope[-1]
            return (orig if self.original_is_new else upd).locate()
        new_schema = self.original if self.original_is_new else self.update
        return new_schema.main.locate((2,))

    def gone(self) -> str:
        """How something in the original but not the update reads, from the new schema's view."""
        return "added" if self.original_is_new else "removed"

    def came(self) -> str:
        """How something in the update but not the original reads, from the new schema's view."""
        return "removed" if self.original_is_new else "added"


@dataclass(frozen=True, slots=True)
class Spot:
    """Where a rule looks: the diff, words for the place, and the element on each side."""

    diff: Diff
    #: 'Field "3" on message "Order"' for fields, the message's name for oneofs.
    where: str
    original: Location | None
    update: Location | None


@dataclass(frozen=True, slots=True)
class Evolution:
    """A message or enum in the previous and the current schema, for the strict rules."""

    old: TypeInfo
    new: TypeInfo

    @property
    def name(self) -> str:
        """The type's name inside its package."""
        return local_name(self.new)
