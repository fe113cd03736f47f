"""Avro schema text -> a small resolved type graph that remembers where each type was written.

Schema JSON is parsed with :func:`json.loads` (fast); positions come from the catalog's
position-tracking parser only when a finding or an error needs a ``file:line:col``. Named
types may be defined in the text itself or in its references (named types defined
elsewhere); a use by name becomes a ``ref`` node that the resolver follows, which is how
recursive records are represented without infinite graphs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from codegen.catalog.avro import PRIMITIVES
from codegen.catalog.json_source import (
    JsonSyntaxError,
    SourceMap,
    check_depth,
    check_text,
    join_pointer,
    parse_json,
)
from codegen.errors import SchemaParseError
from codegen.findings import Location

#: JSON "type" value -> the kind this model uses ("error" is a record that is thrown).
COMPLEX_KINDS: dict[str, str] = {
    "record": "record",
    "error": "record",
    "enum": "enum",
    "fixed": "fixed",
    "array": "array",
    "map": "map",
}
NAMED_KINDS = frozenset({"record", "enum", "fixed"})
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


@dataclass(eq=False, slots=True)
class SchemaText:
    """One schema document: its path for messages, its text, and positions parsed on demand."""

    path: str
    text: str
    _positions: SourceMap | None = None

    def locate(self, pointer: str) -> Location:
        """Return where the value at ``pointer`` starts (its nearest ancestor if absent)."""
        if self._positions is None:
            try:
                _, self._positions = parse_json(self.text)
            except JsonSyntaxError:
                return Location(self.path, 1, 1)
        line, col = self._positions.position(pointer)
        return Location(self.path, line, col)


@dataclass(eq=False, slots=True)
class AvroField:
    """A record field with its position in the record (Avro's ``pos``)."""

    name: str
    index: int
    type: AvroType
    has_default: bool
    aliases: tuple[str, ...]
    origin: SchemaText
    pointer: str


@dataclass(eq=False, slots=True)
class AvroType:
    """A node of the type graph; ``kind`` is a primitive name, a complex kind, union or ref."""

    kind: str
    origin: SchemaText
    pointer: str
    name: str = ""
    full_name: str = ""
    aliases: frozenset[str] = frozenset()
    fields: list[AvroField] = field(default_factory=list)
    symbols: tuple[str, ...] = ()
    default_symbol: str | None = None
    size: int = 0
    items: AvroType | None = None
    branches: list[AvroType] = field(default_factory=list)
    #: For ``ref`` nodes: the candidate full names, and the table to look them up in.
    targets: tuple[str, ...] = ()
    names: dict[str, AvroType] | None = None

    def deref(self) -> AvroType:
        """Follow a by-name use to the named type it stands for."""
        if self.kind != "ref" or self.names is None:
            return self
        for target in self.targets:
            found = self.names.get(target)
            if found is not None:
                return found
        raise KeyError(self.targets[0])

    def field_named(self, name: str) -> AvroField | None:
        """Return the field called ``name`` (records only)."""
        for f in self.fields:
            if f.name == name:
                return f
        return None


def describe(node: AvroType) -> str:
    """A short type name for messages: ``int``, ``shop.Order``, ``array<string>``."""
    node = node.deref()
    if node.full_name:
        return node.full_name
    if node.kind == "array" and node.items is not None:
        return f"array<{describe(node.items)}>"
    if node.kind == "map" and node.items is not None:
        return f"map<{describe(node.items)}>"
    if node.kind == "union":
        return "[" + ", ".join(describe(b) for b in node.branches) + "]"
    return node.kind


@dataclass(eq=False, slots=True)
class AvroSchema:
    """A parsed schema: its root type and every named type it can see, by full name."""

    root: AvroType
    names: dict[str, AvroType]
    origin: SchemaText

    @property
    def full_name(self) -> str:
        """The root's full name, or its kind for an unnamed root (e.g. a union)."""
        return self.root.deref().full_name or describe(self.root)


def _line_col(location: Location) -> tuple[int, int]:
    return location.line, location.col


class _Parser:
    """Builds the type graph for one schema and its references, sharing one name table."""

    def __init__(self) -> None:
        self.names: dict[str, AvroType] = {}
        self.refs: list[AvroType] = []

    def error(self, origin: SchemaText, pointer: str, message: str) -> SchemaParseError:
        loc = origin.locate(pointer)
        return SchemaParseError(origin.path, loc.line, loc.col, message)

    def load(self, origin: SchemaText) -> AvroType:
        try:
            check_depth(origin.text)
            data = json.loads(origin.text)
            check_text(data, lambda pointer: _line_col(origin.locate(pointer)))
        except JsonSyntaxError as syntax:
            raise SchemaParseError(origin.path, syntax.line, syntax.col, syntax.message) from None
        except ValueError as exc:
            try:
                parse_json(origin.text)
            except JsonSyntaxError as syntax:
                raise SchemaParseError(
                    origin.path, syntax.line, syntax.col, f"malformed JSON: {syntax.message}"
                ) from None
            raise SchemaParseError(origin.path, 1, 1, f"malformed JSON: {exc}") from None
        return self.parse(data, origin, "", "")

    def parse(self, data: Any, origin: SchemaText, pointer: str, namespace: str) -> AvroType:
        if isinstance(data, str):
            return self.by_name(data, origin, pointer, namespace)
        if isinstance(data, list):
            return self.union(data, origin, pointer, namespace)
        if isinstance(data, dict):
            return self.complex(data, origin, pointer, namespace)
        raise self.error(
            origin, pointer, f"expected a type name, a union list or an object, found {data!r}"
        )

    def by_name(self, name: str, origin: SchemaText, pointer: str, namespace: str) -> AvroType:
        if name in PRIMITIVES:
            return AvroType(name, origin, pointer)
        targets = (name,) if "." in name or not namespace else (f"{namespace}.{name}", name)
        node = AvroType("ref", origin, pointer, targets=targets, names=self.names)
        self.refs.append(node)
        return node

    def union(self, data: list[Any], origin: SchemaText, pointer: str, ns: str) -> AvroType:
        branches = [self.parse(b, origin, join_pointer(pointer, i), ns) for i, b in enumerate(data)]
        for i, branch in enumerate(branches):
            if branch.kind == "union":
                raise self.error(
                    origin, join_pointer(pointer, i), "a union cannot directly contain a union"
                )
        return AvroType("union", origin, pointer, branches=branches)

    def complex(self, data: dict[str, Any], origin: SchemaText, pointer: str, ns: str) -> AvroType:
        kind = data.get("type")
        if kind is None:
            raise self.error(origin, pointer, 'schema object has no "type"')
        if not isinstance(kind, str):
            return self.parse(kind, origin, join_pointer(pointer, "type"), ns)
        if kind in PRIMITIVES:
            return AvroType(kind, origin, pointer)
        if kind not in COMPLEX_KINDS:
            return self.by_name(kind, origin, join_pointer(pointer, "type"), ns)
        model_kind = COMPLEX_KINDS[kind]
        if model_kind == "array":
            items = self.required(data, "items", origin, pointer)
            item = self.parse(items, origin, join_pointer(pointer, "items"), ns)
            return AvroType("array", origin, pointer, items=item)
        if model_kind == "map":
            values = self.required(data, "values", origin, pointer)
            value = self.parse(values, origin, join_pointer(pointer, "values"), ns)
            return AvroType("map", origin, pointer, items=value)
        return self.named(model_kind, data, origin, pointer, ns)

    def required(self, data: dict[str, Any], key: str, origin: SchemaText, pointer: str) -> Any:
        if key not in data:
            raise self.error(origin, pointer, f'{data.get("type")} schema has no "{key}"')
        return data[key]

    def named(
        self, kind: str, data: dict[str, Any], origin: SchemaText, pointer: str, ns: str
    ) -> AvroType:
        raw_name = self.required(data, "name", origin, pointer)
        if not isinstance(raw_name, str):
            raise self.error(origin, join_pointer(pointer, "name"), "a name must be a string")
        explicit_ns = data.get("namespace")
        if "." in raw_name:
            space, _, name = raw_name.rpartition(".")
        else:
            space = explicit_ns if isinstance(explicit_ns, str) else ns
            name = raw_name
        for part in [*space.split("."), name] if space else [name]:
            if not _NAME.match(part):
                raise self.error(
                    origin, join_pointer(pointer, "name"), f"invalid Avro name {raw_name!r}"
                )
        full = f"{space}.{name}" if space else name
        if full in self.names:
            raise self.error(
                origin, join_pointer(pointer, "name"), f"type {full!r} is defined more than once"
            )
        aliases = frozenset(
            a if "." in a or not space else f"{space}.{a}" for a in self.strings(data, "aliases")
        )
        node = AvroType(kind, origin, pointer, name=name, full_name=full, aliases=aliases)
        self.names[full] = node
        if kind == "record":
            node.fields = self.fields(data, origin, pointer, space)
        elif kind == "enum":
            symbols = self.required(data, "symbols", origin, pointer)
            if not isinstance(symbols, list) or not all(isinstance(s, str) for s in symbols):
                raise self.error(
                    origin, join_pointer(pointer, "symbols"), "symbols must be a list of strings"
                )
            node.symbols = tuple(symbols)
            default = data.get("default")
            if default is not None and default not in node.symbols:
                raise self.error(
                    origin,
                    join_pointer(pointer, "default"),
                    f"enum default {default!r} is not one of the symbols of {full}",
                )
            node.default_symbol = default
        else:
            size = self.required(data, "size", origin, pointer)
            if not isinstance(size, int) or isinstance(size, bool) or size < 0:
                raise self.error(
                    origin, join_pointer(pointer, "size"), "fixed size must be a whole number"
                )
            node.size = size
        return node

    def strings(self, data: dict[str, Any], key: str) -> Iterable[str]:
        value = data.get(key, [])
        return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []

    def fields(
        self, data: dict[str, Any], origin: SchemaText, pointer: str, ns: str
    ) -> list[AvroField]:
        raw = self.required(data, "fields", origin, pointer)
        if not isinstance(raw, list):
            raise self.error(origin, join_pointer(pointer, "fields"), "fields must be a list")
        result: list[AvroField] = []
        seen: set[str] = set()
        for i, item in enumerate(raw):
            where = join_pointer(pointer, "fields", i)
            if not isinstance(item, dict) or not isinstance(item.get("name"), str):
                raise self.error(origin, where, 'a field must be an object with a "name"')
            name = item["name"]
            if not _NAME.match(name) or name in seen:
                raise self.error(origin, where, f"invalid or repeated field name {name!r}")
            seen.add(name)
            if "type" not in item:
                raise self.error(origin, where, f'field {name!r} has no "type"')
            ftype = self.parse(item["type"], origin, join_pointer(where, "type"), ns)
            aliases = tuple(self.strings(item, "aliases"))
            result.append(AvroField(name, i, ftype, "default" in item, aliases, origin, where))
        return result

    def check_refs(self) -> None:
        for ref in self.refs:
            if not any(t in self.names for t in ref.targets):
                raise self.error(
                    ref.origin,
                    ref.pointer,
                    f"unknown type {ref.targets[0]!r}: define it, or pass the schema that "
                    "defines it as a reference",
                )


def parse_avro(path: str, text: str, references: Iterable[tuple[str, str]] = ()) -> AvroSchema:
    """Parse a schema and its references (name, text) into a resolved :class:`AvroSchema`."""
    parser = _Parser()
    for ref_name, ref_text in references:
        parser.load(SchemaText(ref_name, ref_text))
    origin = SchemaText(path, text)
    root = parser.load(origin)
    parser.check_refs()
    return AvroSchema(root, parser.names, origin)
