"""Load .avsc files: parse with positions, collect named types, resolve names across files.

Loading happens in two passes. :func:`parse_avro_file` reads one file into its defined named
types and the names it uses (with the namespace in force at each use). :func:`resolve_avro`
then sees every file at once: it rejects duplicate full names, resolves each use to a local
type or a type from another file (an :class:`AvroReference`, which becomes a registry
reference), rejects unresolved names and cycles across files, and orders each file's
dependencies so they can be registered first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, cast

from codegen.catalog.avro_rules import NAME, bad_name, default_problem
from codegen.catalog.json_source import (
    JsonSyntaxError,
    SourceMap,
    check_text,
    join_pointer,
    parse_json,
)
from codegen.catalog.model import AvroFile, AvroKind, AvroNamedType, AvroReference
from codegen.catalog.text import read_schema_text
from codegen.errors import SchemaParseError

#: Avro primitive type names: never references.
PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
#: ``type`` values that define a named type, and the kind each defines.
NAMED_KINDS: dict[str, AvroKind] = {
    "record": "record",
    "error": "record",
    "enum": "enum",
    "fixed": "fixed",
}
#: Container types and the key holding their element schema.
CONTAINERS: dict[str, str] = {"array": "items", "map": "values"}


@dataclass(frozen=True, slots=True)
class _NameUse:
    """A string naming a type, with the candidate full names in lookup order."""

    name: str
    candidates: tuple[str, ...]
    pointer: str


@dataclass(frozen=True, slots=True)
class ParsedAvro:
    """First-pass result for one file: the file (without uses) and the names it mentions."""

    file: AvroFile
    uses: tuple[_NameUse, ...]


def split_full_name(name: str, namespace: str | None, enclosing: str) -> tuple[str, str]:
    """Return (full name, namespace) per the Avro spec's namespace inheritance rules."""
    if "." in name:
        return name, name.rsplit(".", 1)[0]
    space = enclosing if namespace is None else namespace
    return (f"{space}.{name}" if space else name), space


class _Walker:
    """Walk one file's JSON, recording named types and name uses; raise on malformed shapes."""

    def __init__(self, display_path: str, source_map: SourceMap) -> None:
        self.display_path = display_path
        self.source_map = source_map
        self.types: list[AvroNamedType] = []
        self.uses: list[_NameUse] = []

    def fail(self, pointer: str, message: str) -> SchemaParseError:
        line, col = self.source_map.position(pointer)
        return SchemaParseError(self.display_path, line, col, message)

    def walk(self, node: Any, pointer: str, namespace: str, top_level: bool) -> None:
        if isinstance(node, str):
            self.walk_name(node, pointer, namespace)
        elif isinstance(node, list):
            if not node:
                raise self.fail(pointer, "a union needs at least one branch")
            for index, branch in enumerate(node):
                if isinstance(branch, list):
                    raise self.fail(join_pointer(pointer, index), "a union cannot contain a union")
                self.walk(branch, join_pointer(pointer, index), namespace, top_level)
        elif isinstance(node, dict):
            self.walk_object(cast(dict[str, Any], node), pointer, namespace, top_level)
        else:
            raise self.fail(pointer, f"expected a type name, a union or an object, found {node!r}")

    def walk_name(self, name: str, pointer: str, namespace: str) -> None:
        if name in PRIMITIVES:
            return
        if name in NAMED_KINDS or name in CONTAINERS:
            raise self.fail(pointer, f'{name!r} must be written as an object {{"type": ...}}')
        if "." in name or not namespace:
            candidates: tuple[str, ...] = (name,)
        else:
            candidates = (f"{namespace}.{name}", name)
        self.uses.append(_NameUse(name, candidates, pointer))

    def walk_object(self, node: dict[str, Any], pointer: str, namespace: str, top: bool) -> None:
        if "type" not in node:
            raise self.fail(pointer, 'a schema object needs a "type"')
        kind = node["type"]
        type_pointer = join_pointer(pointer, "type")
        if isinstance(kind, str) and kind in NAMED_KINDS:
            self.walk_named(node, pointer, namespace, top, NAMED_KINDS[kind])
        elif isinstance(kind, str) and kind in CONTAINERS:
            key = CONTAINERS[kind]
            if key not in node:
                raise self.fail(pointer, f'an {kind} needs "{key}"')
            self.walk(node[key], join_pointer(pointer, key), namespace, top_level=False)
        elif isinstance(kind, str | list | dict):
            self.walk(kind, type_pointer, namespace, top_level=False)
        else:
            raise self.fail(type_pointer, '"type" must be a string, a union or an object')

    def walk_named(
        self, node: dict[str, Any], pointer: str, enclosing: str, top: bool, kind: AvroKind
    ) -> None:
        name = node.get("name")
        if not isinstance(name, str) or not name:
            raise self.fail(pointer, f'a {kind} needs a "name" string')
        namespace = node.get("namespace")
        if namespace is not None and not isinstance(namespace, str):
            raise self.fail(join_pointer(pointer, "namespace"), '"namespace" must be a string')
        for where, text in (("name", name), ("namespace", namespace or "")):
            part = bad_name(text)
            if part is not None:
                raise self.fail(
                    join_pointer(pointer, where),
                    f"{kind} {where} {text!r} has the invalid component {part!r}; Avro names "
                    "match [A-Za-z_][A-Za-z0-9_]*",
                )
        full_name, space = split_full_name(name, namespace, enclosing)
        self.types.append(
            AvroNamedType(full_name, kind, node, pointer, self.display_path, top_level=top)
        )
        if kind == "record":
            fields = node.get("fields")
            if not isinstance(fields, list):
                raise self.fail(pointer, f'record {full_name} needs a "fields" array')
            for index, fld in enumerate(fields):
                fpointer = join_pointer(pointer, "fields", index)
                if not isinstance(fld, dict) or not isinstance(fld.get("name"), str):
                    raise self.fail(fpointer, 'each field needs a "name" string')
                if "type" not in fld:
                    raise self.fail(fpointer, f'field {fld["name"]!r} needs a "type"')
                if not NAME.match(fld["name"]):
                    raise self.fail(
                        join_pointer(fpointer, "name"),
                        f"field name {fld['name']!r} of record {full_name} is not a valid name "
                        "(Avro names match [A-Za-z_][A-Za-z0-9_]*); rename it in the schema",
                    )
                self.walk(fld["type"], join_pointer(fpointer, "type"), space, top_level=False)
                if "default" in fld:
                    problem = default_problem(fld["type"], fld["default"])
                    if problem is not None:
                        raise self.fail(
                            join_pointer(fpointer, "default"),
                            f"default of field {fld['name']!r} on record {full_name}: {problem}",
                        )
        elif kind == "enum":
            self.check_enum(node, pointer, full_name)
        else:
            size = node.get("size")
            if type(size) is not int or size < 0:
                raise self.fail(
                    join_pointer(pointer, "size"),
                    f'fixed {full_name} needs an integer "size" of 0 or more bytes, got {size!r}',
                )

    def check_enum(self, node: dict[str, Any], pointer: str, full_name: str) -> None:
        symbols = node.get("symbols")
        if not isinstance(symbols, list) or not all(isinstance(s, str) for s in symbols):
            raise self.fail(pointer, f'enum {full_name} needs a "symbols" array of strings')
        seen: set[str] = set()
        for index, symbol in enumerate(symbols):
            if not NAME.match(symbol) or symbol in seen:
                why = "appears twice" if symbol in seen else "is not a valid name"
                raise self.fail(
                    join_pointer(pointer, "symbols", index),
                    f"enum symbol {symbol!r} of enum {full_name} {why} (Avro names match "
                    "[A-Za-z_][A-Za-z0-9_]*, each symbol once); rename it in the schema",
                )
            seen.add(symbol)
        default = node.get("default")
        if default is not None and default not in seen:
            raise self.fail(
                join_pointer(pointer, "default"),
                f"default {default!r} of enum {full_name} is not one of its symbols",
            )


def display_path_for(path: Path, root: Path) -> str:
    """Show a path relative to the cwd when it is under it, else relative to its root (posix)."""
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return path.resolve().relative_to(root.resolve()).as_posix()


def parse_avro_file(path: Path, root: Path) -> ParsedAvro:
    """First pass over one .avsc: JSON with positions, defined named types, names it uses."""
    display = display_path_for(path, root)
    text = read_schema_text(path, display)
    try:
        value, source_map = parse_json(text)
        check_text(value, source_map.position)
    except JsonSyntaxError as exc:
        raise SchemaParseError(
            display, exc.line, exc.col, f"malformed JSON: {exc.message}"
        ) from None
    walker = _Walker(display, source_map)
    walker.walk(value, "", "", top_level=True)
    if not any(t.top_level for t in walker.types):
        raise walker.fail("", "the file defines no top-level record, enum or fixed")
    avro_file = AvroFile(
        path=path,
        display_path=display,
        root=root,
        text=text,
        json=value,
        source_map=source_map,
        types=tuple(walker.types),
    )
    return ParsedAvro(avro_file, tuple(walker.uses))


def _index_types(parsed: Sequence[ParsedAvro]) -> dict[str, AvroNamedType]:
    """Map every full name to its definition; a second definition is an error at its place."""
    index: dict[str, AvroNamedType] = {}
    for item in parsed:
        for named in item.file.types:
            first = index.get(named.full_name)
            if first is not None:
                line, col = item.file.source_map.position(named.pointer)
                first_loc = _locate_type(parsed, first)
                raise SchemaParseError(
                    item.file.display_path,
                    line,
                    col,
                    f"duplicate full name {named.full_name!r}: already defined at {first_loc}; "
                    "rename one or change its namespace",
                )
            index[named.full_name] = named
    return index


def _locate_type(parsed: Sequence[ParsedAvro], named: AvroNamedType) -> str:
    for item in parsed:
        if item.file.display_path == named.path:
            return str(item.file.locate(named.pointer))
    return named.path


def _resolve_uses(
    item: ParsedAvro, index: Mapping[str, AvroNamedType]
) -> tuple[AvroReference, ...]:
    """Resolve each name use to a local type or a reference; unresolved names are errors."""
    local = {t.full_name for t in item.file.types}
    refs: list[AvroReference] = []
    for use in item.uses:
        found = next((c for c in use.candidates if c in local), None)
        if found is not None:
            continue
        found = next((c for c in use.candidates if c in index), None)
        if found is None:
            line, col = item.file.source_map.position(use.pointer)
            tried = " or ".join(repr(c) for c in use.candidates)
            raise SchemaParseError(
                item.file.display_path,
                line,
                col,
                f"unresolved reference {use.name!r}: no named type {tried} in the schema "
                "folders; define it in a .avsc file or fix the name",
            )
        refs.append(AvroReference(found, use.pointer, index[found].path))
    return tuple(refs)


def _file_order(
    files: Mapping[str, AvroFile],
) -> list[str]:
    """Topological order of files (dependencies first); a cycle is an error at the use."""
    order: list[str] = []
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    stack: list[str] = []

    def visit(path: str) -> None:
        state[path] = 1
        stack.append(path)
        avro_file = files[path]
        for use in avro_file.uses:
            dep = use.defined_in
            if state.get(dep) == 1:
                cycle = [*stack[stack.index(dep) :], dep]
                line, col = avro_file.source_map.position(use.pointer)
                raise SchemaParseError(
                    path,
                    line,
                    col,
                    f"cycle across files: {' -> '.join(cycle)}; registry references cannot "
                    "be circular, so move the mutually recursive types into one file",
                )
            if dep not in state:
                visit(dep)
        stack.pop()
        state[path] = 2
        order.append(path)

    for path in sorted(files):
        if path not in state:
            visit(path)
    return order


def resolve_avro(parsed: Sequence[ParsedAvro]) -> tuple[list[AvroFile], dict[str, AvroNamedType]]:
    """Second pass over all files: resolve references, reject duplicates and cycles."""
    index = _index_types(parsed)
    with_uses = {
        item.file.display_path: replace(item.file, uses=_resolve_uses(item, index))
        for item in parsed
    }
    order = _file_order(with_uses)
    rank = {path: i for i, path in enumerate(order)}
    result: list[AvroFile] = []
    for item in parsed:
        avro_file = with_uses[item.file.display_path]
        deps = sorted({u.defined_in for u in avro_file.uses}, key=rank.__getitem__)
        result.append(replace(avro_file, depends_on=tuple(deps)))
    return result, index
