"""The typed intermediate model between the schema catalog and the templates.

Flow: ``codegen.catalog`` (parsed files) -> :mod:`codegen.generate.avro` and
:mod:`codegen.generate.protobuf` (build this model, validating every name) ->
:mod:`codegen.generate.pysource` (Python fragments per type) -> :mod:`codegen.generate.render`
(jinja2 templates, formatting, files on disk). Nothing after this module looks at raw schema
JSON or descriptors, and every name here has already passed the Avro name rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from codegen.errors import HeraldError
from publisher.event import Binding
from publisher.topics import Topic


class GenerationError(HeraldError):
    """A schema cannot be turned into safe, importable Python; names the schema and the fix."""


#: The Avro name rule (specification 1.11, "Names"), applied to every name before rendering.
AVRO_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def check_name(name: object, what: str, where: str) -> str:
    """Return ``name`` when it satisfies the Avro name rule, else raise naming the place."""
    if not isinstance(name, str) or not AVRO_NAME.match(name):
        raise GenerationError(
            f"{where}: {what} {name!r} is not a valid name (Avro names match "
            "[A-Za-z_][A-Za-z0-9_]*); rename it in the schema"
        )
    return name


def check_full_name(full_name: object, what: str, where: str) -> str:
    """Validate a dotted full name (or namespace) component by component."""
    if not isinstance(full_name, str):
        raise GenerationError(f"{where}: {what} {full_name!r} is not a string")
    if full_name:
        for part in full_name.split("."):
            if not AVRO_NAME.match(part):
                raise GenerationError(
                    f"{where}: {what} {full_name!r} has the invalid component {part!r} "
                    "(Avro names match [A-Za-z_][A-Za-z0-9_]*); rename it in the schema"
                )
    return full_name


# ---------------------------------------------------------------------------- Avro types


@dataclass(frozen=True, slots=True)
class Primitive:
    """An Avro primitive: null, boolean, int, long, float, double, bytes or string."""

    name: str


@dataclass(frozen=True, slots=True)
class Logical:
    """A logical type over a primitive or fixed (``size`` > 0 for fixed-based decimals)."""

    name: str
    base: str
    precision: int = 0
    scale: int = 0
    size: int = 0


@dataclass(frozen=True, slots=True)
class FixedType:
    """An Avro fixed: bytes of exactly ``size``."""

    full_name: str
    size: int


@dataclass(frozen=True, slots=True)
class EnumRef:
    """A use of an enum defined somewhere in the package."""

    full_name: str


@dataclass(frozen=True, slots=True)
class RecordRef:
    """A use of a record defined somewhere in the package (possibly itself: recursion)."""

    full_name: str


@dataclass(frozen=True, slots=True)
class ArrayType:
    """Avro array -> ``list[T]``."""

    items: AvroType


@dataclass(frozen=True, slots=True)
class MapType:
    """Avro map -> ``dict[str, T]``."""

    values: AvroType


@dataclass(frozen=True, slots=True)
class UnionType:
    """Avro union, branches in schema order (the order fixes the wire index)."""

    branches: tuple[AvroType, ...]


AvroType = Primitive | Logical | FixedType | EnumRef | RecordRef | ArrayType | MapType | UnionType


#: Arrays and maps nested inside one field at most. Each level is a loop in the generated
#: encoder and two in its decoder, and CPython refuses a function nested 20 blocks deep
#: ("too many statically nested blocks"); 8 leaves room for the blocks around them.
MAX_CONTAINER_NESTING = 8


def container_nesting(t: AvroType) -> int:
    """How many arrays and maps are nested in ``t`` on its deepest path (records reset it)."""
    depth = 0
    level: list[AvroType] = [t]
    while level:
        flat: list[AvroType] = []
        for node in level:
            flat.extend(node.branches if isinstance(node, UnionType) else (node,))
        level = [
            n.items if isinstance(n, ArrayType) else n.values
            for n in flat
            if isinstance(n, ArrayType | MapType)
        ]
        depth += bool(level)
    return depth


#: Marker for "this field has no default": absent is not the same as a ``null`` default.
NO_DEFAULT: Any = object()


@dataclass(frozen=True, slots=True)
class FieldDef:
    """One record field: wire name, Python name, type, doc and JSON default (or NO_DEFAULT)."""

    wire_name: str
    py_name: str
    type: AvroType
    doc: str | None = None
    default: Any = NO_DEFAULT

    @property
    def has_default(self) -> bool:
        """True when the schema gives a default value."""
        return self.default is not NO_DEFAULT


@dataclass(frozen=True, slots=True)
class RecordDef:
    """An Avro record -> one dataclass subclassing ``publisher.event.Event``."""

    full_name: str
    namespace: str
    py_name: str
    fields: tuple[FieldDef, ...]
    doc: str | None
    #: The schema text as registered for the record's subject.
    schema_text: str
    #: The record's schema with every named type inline and defaults kept (what it reads with).
    reader_schema: str
    #: (reference name, subject) pairs, dependencies first.
    references: tuple[tuple[str, str], ...]
    bindings: tuple[Binding, ...]
    source: str


@dataclass(frozen=True, slots=True)
class EnumDef:
    """An Avro enum -> ``enum.Enum`` with str values; symbols as (wire, Python) pairs."""

    full_name: str
    namespace: str
    py_name: str
    symbols: tuple[tuple[str, str], ...]
    doc: str | None
    default: str | None
    source: str


# ---------------------------------------------------------------------------- Protobuf


@dataclass(frozen=True, slots=True)
class ProtoValue:
    """The value type of a protobuf field: a scalar name, or enum/message with its full name.

    ``kind`` is a scalar type (``int32``, ``string`` ...), ``enum``, ``message``, or one of the
    well-known types with a native Python form (``timestamp``, ``duration``).
    """

    kind: str
    ref: str = ""


@dataclass(frozen=True, slots=True)
class ProtoFieldDef:
    """One protobuf field as the binding exposes it."""

    wire_name: str
    py_name: str
    number: int
    value: ProtoValue
    repeated: bool = False
    #: For map fields: the key type (``value`` is then the map's value type).
    map_key: ProtoValue | None = None
    #: True when the field tracks presence (proto3 ``optional``, messages, oneof members).
    optional: bool = False
    oneof: str | None = None
    doc: str | None = None


@dataclass(frozen=True, slots=True)
class ProtoMessageDef:
    """A protobuf message -> a typed view over its _pb2 class with the contract API."""

    full_name: str
    py_name: str
    #: Dotted path of the _pb2 class inside its module, e.g. ``Order.Item``.
    pb2_path: str
    fields: tuple[ProtoFieldDef, ...]
    #: Oneof name -> the Python names of its member fields.
    oneofs: tuple[tuple[str, tuple[str, ...]], ...]
    schema_text: str
    message_indexes: tuple[int, ...]
    references: tuple[tuple[str, str], ...]
    bindings: tuple[Binding, ...]
    doc: str | None


@dataclass(frozen=True, slots=True)
class ProtoEnumDef:
    """A protobuf enum -> ``enum.IntEnum`` mirroring its numbers."""

    full_name: str
    py_name: str
    #: (wire name, Python member name, number), in declaration order.
    values: tuple[tuple[str, str, int], ...]
    doc: str | None = None


@dataclass(frozen=True, slots=True)
class ProtoModuleDef:
    """Bindings for one .proto file, next to protoc's ``_pb2`` module."""

    import_path: str
    module: str
    pb2_module: str
    messages: tuple[ProtoMessageDef, ...]
    enums: tuple[ProtoEnumDef, ...]
    source: str


# ---------------------------------------------------------------------------- package


@dataclass(frozen=True, slots=True)
class ModuleDef:
    """One Python module: every Avro type of one namespace."""

    namespace: str
    #: Dotted module path inside the package, e.g. ``com.acme.orders``.
    module: str
    records: tuple[RecordDef, ...]
    enums: tuple[EnumDef, ...]
    sources: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PackageModel:
    """Everything one ``herald codegen`` run writes: Avro modules and Protobuf bindings."""

    name: str
    modules: tuple[ModuleDef, ...] = ()
    proto_modules: tuple[ProtoModuleDef, ...] = ()
    #: Every record and enum by full name, so fragments can resolve references.
    records: dict[str, RecordDef] = field(default_factory=dict)
    enums: dict[str, EnumDef] = field(default_factory=dict)
    #: Full name -> dotted module path of its defining module.
    module_of: dict[str, str] = field(default_factory=dict)
    #: Protobuf message or enum full name -> (binding module, Python class name).
    proto_names: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: (subject, schema type, text, references) of every referenced file, dependencies first.
    referenced: tuple[tuple[str, str, str, tuple[tuple[str, str], ...]], ...] = ()
    #: Topics declared in the config's ``[[topics]]``, in config order.
    topics: tuple[Topic, ...] = ()
