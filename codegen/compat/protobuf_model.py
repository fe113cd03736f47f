"""Protobuf schema text -> descriptors with source positions, and a type table per schema.

A schema text and its imports (by import path) are compiled by protoc into
``FileDescriptorProto``s with source info. :class:`ProtoSchema` indexes every message and
enum by full name (the schema's own file and its imports alike), remembers which are map
entries, and turns a descriptor's source path into a ``file:line:col`` in the text the user
wrote.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Literal

from google.protobuf.descriptor_pb2 import (
    DescriptorProto,
    EnumDescriptorProto,
    FileDescriptorProto,
)

from codegen.compat.protoc import compile_sources
from codegen.findings import Location

# Field numbers inside descriptor.proto, for SourceCodeInfo paths.
FILE_MESSAGE = 4
FILE_ENUM = 5
MESSAGE_FIELD = 2
MESSAGE_NESTED = 3
MESSAGE_ENUM = 4
MESSAGE_ONEOF = 8
ENUM_VALUE = 2


@dataclass(eq=False, slots=True)
class ProtoFile:
    """One compiled file: its descriptor, where messages should point, and its positions."""

    descriptor: FileDescriptorProto
    path: str
    digest: str
    spans: dict[tuple[int, ...], tuple[int, int]] = field(default_factory=dict)

    def locate(self, source_path: tuple[int, ...]) -> Location:
        """``file:line:col`` of a descriptor element (its nearest ancestor if unknown)."""
        current = source_path
        while current:
            found = self.spans.get(current)
            if found is not None:
                return Location(self.path, found[0] + 1, found[1] + 1)
            current = current[:-1]
        return Location(self.path, 1, 1)


@dataclass(eq=False, slots=True)
class TypeInfo:
    """A message or enum found in the schema or one of its imports."""

    kind: Literal["message", "enum"]
    full_name: str
    package: str
    file: ProtoFile
    source_path: tuple[int, ...]
    message: DescriptorProto | None = None
    enum: EnumDescriptorProto | None = None
    #: True for the schema's own file; imports are compared only when their text changed.
    local: bool = True

    @property
    def is_map(self) -> bool:
        """Map fields are synthesised ``...Entry`` messages; they are not schema types."""
        return self.message is not None and self.message.options.map_entry

    def locate(self, *more: int) -> Location:
        """Where this type, or an element below it, was written."""
        return self.file.locate((*self.source_path, *more))


@dataclass(eq=False, slots=True)
class ProtoSchema:
    """A compiled Protobuf schema: its own file and every type it can see, by full name."""

    main: ProtoFile
    types: dict[str, TypeInfo]

    @property
    def package(self) -> str:
        """The schema file's package ("" when it has none)."""
        return self.main.descriptor.package

    @property
    def full_name(self) -> str:
        """The first message's full name (what the record name strategy registers)."""
        desc = self.main.descriptor
        if desc.message_type:
            name = desc.message_type[0].name
            return f"{desc.package}.{name}" if desc.package else name
        return self.main.path

    def type(self, type_name: str) -> TypeInfo | None:
        """Look up a descriptor ``type_name`` (protoc makes them fully qualified: ``.pkg.T``)."""
        return self.types.get(type_name.lstrip("."))


def _walk_types(proto: ProtoFile, local: bool) -> Iterator[TypeInfo]:
    desc = proto.descriptor
    prefix = f"{desc.package}." if desc.package else ""

    def messages(
        items: list[DescriptorProto], scope: str, path: tuple[int, ...], tag: int
    ) -> Iterator[TypeInfo]:
        for i, msg in enumerate(items):
            full = f"{scope}{msg.name}"
            here = (*path, tag, i)
            yield TypeInfo("message", full, desc.package, proto, here, message=msg, local=local)
            yield from messages(list(msg.nested_type), f"{full}.", here, MESSAGE_NESTED)
            yield from enums(list(msg.enum_type), f"{full}.", here, MESSAGE_ENUM)

    def enums(
        items: list[EnumDescriptorProto], scope: str, path: tuple[int, ...], tag: int
    ) -> Iterator[TypeInfo]:
        for i, enum in enumerate(items):
            full = f"{scope}{enum.name}"
            yield TypeInfo(
                "enum", full, desc.package, proto, (*path, tag, i), enum=enum, local=local
            )

    yield from messages(list(desc.message_type), prefix, (), FILE_MESSAGE)
    yield from enums(list(desc.enum_type), prefix, (), FILE_ENUM)


def _proto_file(descriptor: FileDescriptorProto, path: str, text: str) -> ProtoFile:
    spans = {
        tuple(loc.path): (loc.span[0], loc.span[1])
        for loc in descriptor.source_code_info.location
        if len(loc.span) >= 3
    }
    digest = hashlib.sha256(text.encode()).hexdigest()
    return ProtoFile(descriptor, path, digest, spans)


def parse_protobuf(path: str, text: str, references: Mapping[str, str]) -> ProtoSchema:
    """Compile a schema and its imports (import path -> text) into a :class:`ProtoSchema`."""
    main_name, files = compile_sources(path, text, references)
    by_name = {f.name: f for f in files}
    main = _proto_file(by_name[main_name], path, text)
    types: dict[str, TypeInfo] = {}
    for name, desc in by_name.items():
        if name == main_name:
            continue
        dep = _proto_file(desc, name, references.get(name, name))
        for info in _walk_types(dep, local=False):
            types[info.full_name] = info
    for info in _walk_types(main, local=True):
        types[info.full_name] = info
    return ProtoSchema(main, types)
