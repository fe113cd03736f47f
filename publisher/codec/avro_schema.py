"""Avro schemas as a small type graph, to resolve a writer's schema against a reader's at run time.

The consumer meets writer schemas it has never seen (fetched by id from the registry, with
their references) and reads them into the layout of a generated class. This module parses
schema JSON into :class:`AvroNode` graphs that share one table of named types, so recursion
and references are plain object links; :func:`encode_default` turns a field's JSON default
into the Avro bytes a writer would have written for it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from publisher.codec.binary import pack_double, pack_float, write_long
from publisher.errors import EventDecodeError

PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
_COMPLEX = {"record": "record", "error": "record", "enum": "enum", "fixed": "fixed"}


class SchemaTextError(EventDecodeError):
    """A schema fetched from the registry, or carried by a class, is not valid Avro JSON."""


@dataclass(eq=False, slots=True)
class AvroField:
    """A record field: its name, aliases, type and (when it has one) its JSON default."""

    name: str
    aliases: tuple[str, ...]
    type: AvroNode
    has_default: bool
    default: Any = None


@dataclass(eq=False, slots=True)
class AvroNode:
    """One type: a primitive, record, enum, fixed, array, map or union (named types shared)."""

    kind: str
    name: str = ""
    full_name: str = ""
    aliases: frozenset[str] = frozenset()
    fields: list[AvroField] = field(default_factory=list)
    symbols: tuple[str, ...] = ()
    default_symbol: str | None = None
    size: int = 0
    items: AvroNode | None = None
    branches: list[AvroNode] = field(default_factory=list)

    def describe(self) -> str:
        """A short name for messages: ``long``, ``shop.Order``, ``array<string>``."""
        if self.full_name:
            return self.full_name
        if self.items is not None:
            return f"{self.kind}<{self.items.describe()}>"
        if self.kind == "union":
            return "[" + ", ".join(b.describe() for b in self.branches) + "]"
        return self.kind


class _Parser:
    """Parses documents into one shared name table; by-name uses are linked once all are read."""

    def __init__(self) -> None:
        self.names: dict[str, AvroNode] = {}
        self.pending: list[tuple[AvroNode, tuple[str, ...]]] = []

    def parse(self, data: Any, namespace: str) -> AvroNode:
        if isinstance(data, str):
            return self.by_name(data, namespace)
        if isinstance(data, list):
            return AvroNode("union", branches=[self.parse(b, namespace) for b in data])
        if not isinstance(data, dict) or "type" not in data:
            raise SchemaTextError(f"expected an Avro type, found {data!r}")
        kind = data["type"]
        if not isinstance(kind, str):
            return self.parse(kind, namespace)
        if kind in PRIMITIVES:
            return AvroNode(kind)
        if kind == "array":
            return AvroNode("array", items=self.parse(data["items"], namespace))
        if kind == "map":
            return AvroNode("map", items=self.parse(data["values"], namespace))
        if kind in _COMPLEX:
            return self.named(_COMPLEX[kind], data, namespace)
        return self.by_name(kind, namespace)

    def by_name(self, name: str, namespace: str) -> AvroNode:
        if name in PRIMITIVES:
            return AvroNode(name)
        targets = (name,) if "." in name or not namespace else (f"{namespace}.{name}", name)
        for target in targets:
            if target in self.names:
                return self.names[target]
        stand_in = AvroNode("ref", name=name)
        self.pending.append((stand_in, targets))
        return stand_in

    def named(self, kind: str, data: dict[str, Any], namespace: str) -> AvroNode:
        raw = str(data["name"])
        if "." in raw:
            space, _, name = raw.rpartition(".")
        else:
            explicit = data.get("namespace")
            space, name = (explicit if isinstance(explicit, str) else namespace), raw
        full = f"{space}.{name}" if space else name
        aliases = frozenset(
            a if "." in a or not space else f"{space}.{a}" for a in data.get("aliases") or ()
        )
        node = AvroNode(kind, name=name, full_name=full, aliases=aliases)
        self.names[full] = node
        if kind == "record":
            for item in data["fields"]:
                node.fields.append(
                    AvroField(
                        name=str(item["name"]),
                        aliases=tuple(item.get("aliases") or ()),
                        type=self.parse(item["type"], space),
                        has_default="default" in item,
                        default=item.get("default"),
                    )
                )
        elif kind == "enum":
            node.symbols = tuple(data["symbols"])
            default = data.get("default")
            node.default_symbol = default if isinstance(default, str) else None
        else:
            node.size = int(data["size"])
        return node

    def link(self) -> None:
        """Point every by-name use made before its definition at the named type."""
        for stand_in, targets in self.pending:
            found = next((self.names[t] for t in targets if t in self.names), None)
            if found is None:
                raise SchemaTextError(
                    f"unknown type {targets[0]!r}: the schema names it without defining it, "
                    "and no reference defines it"
                )
            _become(stand_in, found)


def _become(stand_in: AvroNode, target: AvroNode) -> None:
    """Turn a forward reference into the named type it stands for.

    The stand-in shares the target's fields and symbols; walks key named types by full name,
    so the two count as one type.
    """
    for slot in AvroNode.__slots__:
        setattr(stand_in, slot, getattr(target, slot))


def parse_schema(text: str, references: Iterable[str] = ()) -> AvroNode:
    """The root type of a schema text; reference texts (dependencies first) define named types."""
    parser = _Parser()
    try:
        for ref_text in references:
            parser.parse(json.loads(ref_text), "")
        root = parser.parse(json.loads(text), "")
        parser.link()
    except SchemaTextError:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise SchemaTextError(f"not a valid Avro schema: {exc}") from None
    return root


def encode_default(node: AvroNode, value: Any) -> bytes:
    """The Avro binary of a JSON default for ``node`` (a union's default is its first branch's)."""
    out = bytearray()
    _DEFAULT_WRITERS[node.kind](out, node, value)
    return bytes(out)


def _write(out: bytearray, node: AvroNode, value: Any) -> None:
    _DEFAULT_WRITERS[node.kind](out, node, value)


def _null(out: bytearray, node: AvroNode, value: Any) -> None:
    if value is not None:
        raise TypeError(f"default {value!r} is not null")


def _boolean(out: bytearray, node: AvroNode, value: Any) -> None:
    if not isinstance(value, bool):
        raise TypeError(f"default {value!r} is not a boolean")
    out.append(1 if value else 0)


def _integer(out: bytearray, node: AvroNode, value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"default {value!r} is not an integer")
    write_long(out, value)


def _number(out: bytearray, node: AvroNode, value: Any) -> None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise TypeError(f"default {value!r} is not a number")
    out += (pack_float if node.kind == "float" else pack_double)(float(value))


def _text(out: bytearray, node: AvroNode, value: Any) -> None:
    if not isinstance(value, str):
        raise TypeError(f"default {value!r} is not a string")
    # Avro writes bytes and fixed defaults as strings of code points 0-255 (ISO-8859-1).
    raw = value.encode() if node.kind == "string" else value.encode("latin-1")
    if node.kind == "fixed":
        if len(raw) != node.size:
            raise ValueError(f"default {value!r} is not {node.size} bytes long")
        out += raw
        return
    write_long(out, len(raw))
    out += raw


def _enum(out: bytearray, node: AvroNode, value: Any) -> None:
    write_long(out, node.symbols.index(value))


def _array(out: bytearray, node: AvroNode, value: Any) -> None:
    assert node.items is not None
    if value:
        write_long(out, len(value))
        for item in value:
            _write(out, node.items, item)
    out.append(0)


def _map(out: bytearray, node: AvroNode, value: Any) -> None:
    assert node.items is not None
    if value:
        write_long(out, len(value))
        for key, item in value.items():
            _text(out, AvroNode("string"), key)
            _write(out, node.items, item)
    out.append(0)


def _record(out: bytearray, node: AvroNode, value: Any) -> None:
    for f in node.fields:
        if f.name in value:
            _write(out, f.type, value[f.name])
        elif f.has_default:
            _write(out, f.type, f.default)
        else:
            raise KeyError(f"default of record {node.full_name} has no field {f.name!r}")


def _union(out: bytearray, node: AvroNode, value: Any) -> None:
    out.append(0)
    _write(out, node.branches[0], value)


_DEFAULT_WRITERS = {
    "null": _null,
    "boolean": _boolean,
    "int": _integer,
    "long": _integer,
    "float": _number,
    "double": _number,
    "bytes": _text,
    "string": _text,
    "fixed": _text,
    "enum": _enum,
    "array": _array,
    "map": _map,
    "record": _record,
    "union": _union,
}
