"""Lint rules for .proto files: versioned packages, layout, naming and comments.

Each rule is one function over a :class:`ProtoFile` registered in :data:`PROTO_RULES`; it
yields violations located by SourceCodeInfo path, with ``#/Message/field_number`` schema paths.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final

from google.protobuf.descriptor_pb2 import DescriptorProto, EnumDescriptorProto

from codegen.catalog import ProtoFile
from codegen.lint.ignores import without_directives
from codegen.lint.model import (
    PASCAL_CASE,
    SNAKE_CASE,
    UPPER_SNAKE_CASE,
    LintRule,
    Violation,
    to_snake,
    to_upper_snake,
)

ProtoCheck = Callable[[ProtoFile], Iterator[Violation]]
PROTO_RULES: dict[str, LintRule[ProtoFile]] = {}

#: FileDescriptorProto / DescriptorProto / EnumDescriptorProto field numbers in source paths.
FILE_PACKAGE: Final = 2
FILE_ENUM_TYPE: Final = 5
MESSAGE_FIELD: Final = 2
MESSAGE_ENUM_TYPE: Final = 4
ENUM_VALUE: Final = 2
#: ``foo.v1``, ``foo.v2beta1``, ``foo.v1alpha``: the last package component is a version.
VERSIONED_PACKAGE: Final = re.compile(r"^([a-z_][a-z0-9_]*\.)+v[1-9][0-9]*((alpha|beta)[0-9]*)?$")


def rule(rule_id: str, purpose: str, category: str) -> Callable[[ProtoCheck], ProtoCheck]:
    """Register a rule function in :data:`PROTO_RULES` under a stable id."""

    def register(check: ProtoCheck) -> ProtoCheck:
        PROTO_RULES[rule_id] = LintRule(rule_id, purpose, category, "PROTOBUF", check)
        return check

    return register


@dataclass(frozen=True, slots=True)
class _Enum:
    full_name: str
    descriptor: EnumDescriptorProto
    source_path: tuple[int, ...]


def _messages(proto: ProtoFile) -> Iterator[tuple[str, DescriptorProto, tuple[int, ...]]]:
    for msg in proto.messages:
        if not msg.map_entry:
            yield msg.full_name, msg.descriptor, msg.source_path


def _enums(proto: ProtoFile) -> Iterator[_Enum]:
    prefix = f"{proto.package}." if proto.package else ""
    for index, enum in enumerate(proto.descriptor.enum_type):
        yield _Enum(prefix + enum.name, enum, (FILE_ENUM_TYPE, index))
    for msg in proto.messages:
        for index, enum in enumerate(msg.descriptor.enum_type):
            yield _Enum(
                f"{msg.full_name}.{enum.name}", enum, (*msg.source_path, MESSAGE_ENUM_TYPE, index)
            )


def _comments(proto: ProtoFile) -> dict[tuple[int, ...], str]:
    found: dict[tuple[int, ...], str] = {}
    for loc in proto.descriptor.source_code_info.location:
        text = without_directives(loc.leading_comments) or without_directives(loc.trailing_comments)
        if text:
            found.setdefault(tuple(loc.path), text)
    return found


@rule("PROTO_PACKAGE_VERSIONED", "Packages end in a version (acme.payments.v1).", "layout")
def package_versioned(proto: ProtoFile) -> Iterator[Violation]:
    """A versioned package lets a breaking v2 live next to v1 while consumers move."""
    if not VERSIONED_PACKAGE.match(proto.package):
        shown = f'"{proto.package}"' if proto.package else "no package"
        yield Violation(
            (FILE_PACKAGE,),
            f"{proto.import_path} has {shown}, not a versioned package",
            f"use a package like {proto.package or 'acme.domain'}.v1 (and the folder to match)",
            proto.package,
            "#/package",
        )


@rule("PROTO_PACKAGE_MATCHES_FOLDER", "A file's package matches its folder.", "layout")
def package_matches_folder(proto: ProtoFile) -> Iterator[Violation]:
    """Import paths and package names then agree, as protoc's own tooling expects."""
    folder = "/".join(proto.import_path.split("/")[:-1])
    if proto.package.replace(".", "/") != folder:
        yield Violation(
            (FILE_PACKAGE,),
            f'package "{proto.package}" does not match the folder "{folder or "."}"',
            f"move the file to {proto.package.replace('.', '/')}/ or change the package",
            proto.package,
            "#/package",
        )


@rule("PROTO_MESSAGE_NAME_PASCAL_CASE", "Message and enum names are PascalCase.", "naming")
def message_name_pascal_case(proto: ProtoFile) -> Iterator[Violation]:
    """The Protobuf style guide's convention, which generated classes follow."""
    named: list[tuple[str, tuple[int, ...]]] = [(name, path) for name, _, path in _messages(proto)]
    named.extend((e.full_name, e.source_path) for e in _enums(proto))
    for full_name, path in named:
        short = full_name.rsplit(".", 1)[-1]
        if not PASCAL_CASE.match(short):
            yield Violation(
                path,
                f'"{short}" is not PascalCase',
                "rename it in PascalCase (messages are matched by name in the registry)",
                full_name,
                f"#/{full_name}",
            )


@rule("PROTO_FIELD_NAME_SNAKE_CASE", "Field names are lower_snake_case.", "naming")
def field_name_snake_case(proto: ProtoFile) -> Iterator[Violation]:
    """The style guide's field convention; JSON names are derived from it."""
    for full_name, msg, path in _messages(proto):
        for index, fld in enumerate(msg.field):
            if not SNAKE_CASE.match(fld.name):
                yield Violation(
                    (*path, MESSAGE_FIELD, index),
                    f'field "{fld.name}" of {full_name} is not lower_snake_case',
                    f'rename it to "{to_snake(fld.name)}" (the number keeps the wire format)',
                    full_name,
                    f"#/{full_name}/{fld.number}",
                )


@rule("PROTO_ENUM_VALUE_UPPER_SNAKE_CASE", "Enum values are UPPER_SNAKE_CASE.", "naming")
def enum_value_upper_snake(proto: ProtoFile) -> Iterator[Violation]:
    """Enum values are constants in every generated language."""
    for enum in _enums(proto):
        for index, value in enumerate(enum.descriptor.value):
            if not UPPER_SNAKE_CASE.match(value.name):
                yield Violation(
                    (*enum.source_path, ENUM_VALUE, index),
                    f'value "{value.name}" of enum {enum.full_name} is not UPPER_SNAKE_CASE',
                    f'use "{to_snake(value.name).upper()}"',
                    enum.full_name,
                    f"#/{enum.full_name}/{value.number}",
                )


@rule("PROTO_ENUM_VALUE_PREFIX", "Enum values start with the enum's name (COLOR_RED).", "naming")
def enum_value_prefix(proto: ProtoFile) -> Iterator[Violation]:
    """Enum values share their package's scope in C++; the prefix avoids clashes."""
    for enum in _enums(proto):
        prefix = to_upper_snake(enum.descriptor.name) + "_"
        for index, value in enumerate(enum.descriptor.value):
            if not value.name.startswith(prefix):
                yield Violation(
                    (*enum.source_path, ENUM_VALUE, index),
                    f'value "{value.name}" of enum {enum.full_name} does not start with {prefix}',
                    f'rename it to "{prefix}{value.name}"',
                    enum.full_name,
                    f"#/{enum.full_name}/{value.number}",
                )


@rule(
    "PROTO_ENUM_ZERO_VALUE_UNSPECIFIED", "An enum's zero value is <ENUM>_UNSPECIFIED.", "evolution"
)
def enum_zero_unspecified(proto: ProtoFile) -> Iterator[Violation]:
    """Zero is what a reader sees when the field is unset; it must not mean something real."""
    for enum in _enums(proto):
        expected = to_upper_snake(enum.descriptor.name) + "_UNSPECIFIED"
        for index, value in enumerate(enum.descriptor.value):
            if value.number == 0 and value.name != expected:
                yield Violation(
                    (*enum.source_path, ENUM_VALUE, index),
                    f'the zero value of enum {enum.full_name} is "{value.name}", not {expected}',
                    f"add {expected} = 0 and renumber the meaningful value",
                    enum.full_name,
                    f"#/{enum.full_name}/0",
                )


@rule("PROTO_MESSAGE_DOC", "Every message and enum has a leading comment.", "docs")
def message_doc(proto: ProtoFile) -> Iterator[Violation]:
    """A contract is read by other teams; the comment says what the message means."""
    comments = _comments(proto)
    named: list[tuple[str, tuple[int, ...]]] = [(name, path) for name, _, path in _messages(proto)]
    named.extend((e.full_name, e.source_path) for e in _enums(proto))
    for full_name, path in named:
        if path not in comments:
            yield Violation(
                path,
                f"{full_name} has no comment",
                "add a // comment above it saying what it means and who emits it",
                full_name,
                f"#/{full_name}",
            )


@rule("PROTO_FIELD_DOC", "Every field has a leading comment.", "docs")
def field_doc(proto: ProtoFile) -> Iterator[Violation]:
    """Field meaning, units and formats belong in the contract."""
    comments = _comments(proto)
    for full_name, msg, path in _messages(proto):
        for index, fld in enumerate(msg.field):
            if (*path, MESSAGE_FIELD, index) not in comments:
                yield Violation(
                    (*path, MESSAGE_FIELD, index),
                    f'field "{fld.name}" of {full_name} has no comment',
                    "add a // comment above it (meaning, unit or format)",
                    full_name,
                    f"#/{full_name}/{fld.number}",
                )
