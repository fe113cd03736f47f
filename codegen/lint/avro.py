"""Lint rules for Avro files: naming, docs, nullable unions, enum defaults, namespace layout.

Each rule is one function over an :class:`AvroFile` registered in :data:`AVRO_RULES` with its
id, purpose and category; it yields violations located by JSON pointer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from codegen.catalog import AvroFile, AvroNamedType
from codegen.catalog.json_source import join_pointer
from codegen.lint.model import (
    PASCAL_CASE,
    SNAKE_CASE,
    UPPER_SNAKE_CASE,
    LintRule,
    Violation,
    to_snake,
)

AvroCheck = Callable[[AvroFile], Iterator[Violation]]
AVRO_RULES: dict[str, LintRule[AvroFile]] = {}


def rule(rule_id: str, purpose: str, category: str) -> Callable[[AvroCheck], AvroCheck]:
    """Register a rule function in :data:`AVRO_RULES` under a stable id."""

    def register(check: AvroCheck) -> AvroCheck:
        AVRO_RULES[rule_id] = LintRule(rule_id, purpose, category, "AVRO", check)
        return check

    return register


def _fields(avro_file: AvroFile) -> Iterator[tuple[AvroNamedType, int, dict[str, Any], str]]:
    """Every field of every record in the file, with its JSON pointer."""
    for named in avro_file.types:
        if named.kind != "record":
            continue
        for index, fld in enumerate(named.schema["fields"]):
            yield named, index, fld, join_pointer(named.pointer, "fields", index)


def _short(full_name: str) -> str:
    return full_name.rsplit(".", 1)[-1]


@rule("AVRO_TYPE_NAME_PASCAL_CASE", "Record, enum and fixed names are PascalCase.", "naming")
def type_name_pascal_case(avro_file: AvroFile) -> Iterator[Violation]:
    """Type names become Python class names; PascalCase keeps them idiomatic."""
    for named in avro_file.types:
        name = _short(named.full_name)
        if not PASCAL_CASE.match(name):
            fixed = "".join(p[:1].upper() + p[1:] for p in to_snake(name).split("_"))
            yield Violation(
                join_pointer(named.pointer, "name"),
                f'{named.kind} name "{name}" is not PascalCase',
                f'rename it to "{fixed}" (add the old name to "aliases" to keep compatibility)',
                named.full_name,
            )


@rule("AVRO_FIELD_NAME_SNAKE_CASE", "Field names are lower_snake_case.", "naming")
def field_name_snake_case(avro_file: AvroFile) -> Iterator[Violation]:
    """One convention across services keeps generated attributes and JSON keys predictable."""
    for named, _, fld, pointer in _fields(avro_file):
        if not SNAKE_CASE.match(fld["name"]):
            yield Violation(
                join_pointer(pointer, "name"),
                f'field "{fld["name"]}" of {named.full_name} is not lower_snake_case',
                f'rename it to "{to_snake(fld["name"])}" and keep the old name in "aliases"',
                named.full_name,
            )


@rule("AVRO_ENUM_SYMBOL_UPPER_SNAKE_CASE", "Enum symbols are UPPER_SNAKE_CASE.", "naming")
def enum_symbol_upper_snake(avro_file: AvroFile) -> Iterator[Violation]:
    """Symbols read as constants in every language; UPPER_SNAKE_CASE says so."""
    for named in avro_file.types:
        if named.kind != "enum":
            continue
        for index, symbol in enumerate(named.schema["symbols"]):
            if not UPPER_SNAKE_CASE.match(symbol):
                yield Violation(
                    join_pointer(named.pointer, "symbols", index),
                    f'symbol "{symbol}" of enum {named.full_name} is not UPPER_SNAKE_CASE',
                    f'use "{to_snake(symbol).upper()}"',
                    named.full_name,
                )


def _has_doc(node: dict[str, Any]) -> bool:
    doc = node.get("doc")
    return isinstance(doc, str) and bool(doc.strip())


@rule("AVRO_TYPE_DOC", "Every record, enum and fixed has a doc.", "docs")
def type_doc(avro_file: AvroFile) -> Iterator[Violation]:
    """A contract is read by other teams; the doc says what the event means."""
    for named in avro_file.types:
        if not _has_doc(dict(named.schema)):
            yield Violation(
                named.pointer,
                f"{named.kind} {named.full_name} has no doc",
                'add "doc": "<what this type means and who emits it>"',
                named.full_name,
            )


@rule("AVRO_FIELD_DOC", "Every record field has a doc.", "docs")
def field_doc(avro_file: AvroFile) -> Iterator[Violation]:
    """Field meaning, units and formats belong in the contract, not in a wiki."""
    for named, _, fld, pointer in _fields(avro_file):
        if not _has_doc(fld):
            yield Violation(
                pointer,
                f'field "{fld["name"]}" of {named.full_name} has no doc',
                'add "doc": "<meaning, unit or format>"',
                named.full_name,
            )


def _nullable(fld: dict[str, Any]) -> list[Any] | None:
    kind = fld["type"]
    return kind if isinstance(kind, list) and "null" in kind else None


@rule("AVRO_NULLABLE_NULL_FIRST", 'Nullable unions put "null" first.', "evolution")
def nullable_null_first(avro_file: AvroFile) -> Iterator[Violation]:
    """A union's default must match its first branch, so null-first allows a null default."""
    for named, _, fld, pointer in _fields(avro_file):
        union = _nullable(fld)
        if union is not None and union[0] != "null":
            rest = [b for b in union if b != "null"]
            yield Violation(
                join_pointer(pointer, "type"),
                f'nullable field "{fld["name"]}" of {named.full_name} does not put "null" first',
                f'write the type as {["null", *rest]!r} with "default": null'.replace("'", '"'),
                named.full_name,
            )


@rule("AVRO_NULLABLE_DEFAULT_NULL", "Nullable fields default to null.", "evolution")
def nullable_default_null(avro_file: AvroFile) -> Iterator[Violation]:
    """Without a default, adding or removing the field breaks readers of older data."""
    for named, _, fld, pointer in _fields(avro_file):
        if _nullable(fld) is None:
            continue
        if "default" not in fld:
            yield Violation(
                pointer,
                f'nullable field "{fld["name"]}" of {named.full_name} has no default',
                'add "default": null',
                named.full_name,
            )
        elif fld["default"] is not None:
            yield Violation(
                join_pointer(pointer, "default"),
                f'nullable field "{fld["name"]}" of {named.full_name} defaults to '
                f"{fld['default']!r}, not null",
                'use "default": null (with "null" as the first branch)',
                named.full_name,
            )


@rule("AVRO_ENUM_DEFAULT", "Enums declare a default symbol.", "evolution")
def enum_default(avro_file: AvroFile) -> Iterator[Violation]:
    """A reader falls back to the default for unknown symbols, so symbols can be added."""
    for named in avro_file.types:
        if named.kind != "enum":
            continue
        symbols = named.schema["symbols"]
        default = named.schema.get("default")
        if default is None:
            yield Violation(
                named.pointer,
                f"enum {named.full_name} has no default symbol",
                'add "default": "UNKNOWN" (and "UNKNOWN" to the symbols)',
                named.full_name,
            )
        elif default not in symbols:
            yield Violation(
                join_pointer(named.pointer, "default"),
                f'default "{default}" of enum {named.full_name} is not one of its symbols',
                f"use one of {', '.join(symbols)}",
                named.full_name,
            )


@rule("AVRO_NAMESPACE_MATCHES_FOLDER", "A file's namespace matches its folder.", "layout")
def namespace_matches_folder(avro_file: AvroFile) -> Iterator[Violation]:
    """Finding a type's file from its name, and the reverse, needs no search."""
    folder = avro_file.path.parent.relative_to(avro_file.root).parts
    expected = ".".join(folder)
    for named in avro_file.types:
        if not named.top_level:
            continue
        namespace = named.full_name.rsplit(".", 1)[0] if "." in named.full_name else ""
        if namespace != expected:
            shown = f'"{namespace}"' if namespace else "no namespace"
            where = "/".join(folder) or "the schema folder's root"
            pointer = named.pointer
            if "namespace" in named.schema:
                pointer = join_pointer(pointer, "namespace")
            yield Violation(
                pointer,
                f"{named.full_name} has {shown} but its file is in {where}",
                f'set "namespace": "{expected}" or move the file to '
                f"{namespace.replace('.', '/') or 'the root'}/",
                named.full_name,
            )


@rule(
    "AVRO_FILE_NAME_MATCHES_TYPE", "A file is named after its type (order_placed.avsc).", "layout"
)
def file_name_matches_type(avro_file: AvroFile) -> Iterator[Violation]:
    """One type per file, named after it, so the tree is an index of the contracts."""
    primary = avro_file.primary
    name = _short(primary.full_name)
    stem = avro_file.path.stem
    if stem not in (to_snake(name), name):
        yield Violation(
            join_pointer(primary.pointer, "name"),
            f'file {avro_file.path.name} defines {primary.full_name}, not "{stem}"',
            f"rename the file to {to_snake(name)}.avsc",
            primary.full_name,
        )
