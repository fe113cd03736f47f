"""Protobuf schema text -> descriptors with source positions, and a type table per schema.

A schema text and its imports (by import path) are compiled by the catalog's protoc wrapper
into ``FileDescriptorProto``s with source info (or come ready-compiled from a catalog).
:class:`ProtoSchema` indexes every message and enum by full name (the schema's own file and
its imports alike), remembers which are map entries, and turns a descriptor's source path
into a ``file:line:col`` in the text the user wrote.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal

from google.protobuf.descriptor_pb2 import (
    DescriptorProto,
    EnumDescriptorProto,
    FileDescriptorProto,
)

from codegen.catalog.protobuf import run_protoc
from codegen.errors import SchemaParseError
from codegen.findings import Location

# Field numbers inside descriptor.proto, for SourceCodeInfo paths.
FILE_MESSAGE = 4
FILE_ENUM = 5
MESSAGE_FIELD = 2
MESSAGE_NESTED = 3
MESSAGE_ENUM = 4
MESSAGE_ONEOF = 8
#: File name for a schema whose path does not end in .proto or clashes with an import.
_MAIN_FALLBACK = "__schema__.proto"


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


def schema_from_descriptors(
    main: FileDescriptorProto,
    path: str,
    text: str,
    imports: Iterable[tuple[FileDescriptorProto, str, str]],
) -> ProtoSchema:
    """Index a compiled file and its imports (descriptor, shown path, text) as one schema."""
    main_file = _proto_file(main, path, text)
    types: dict[str, TypeInfo] = {}
    for descriptor, dep_path, dep_text in imports:
        if descriptor.name == main.name:
            continue
        for info in _walk_types(_proto_file(descriptor, dep_path, dep_text), local=False):
            types[info.full_name] = info
    for info in _walk_types(main_file, local=True):
        types[info.full_name] = info
    return ProtoSchema(main_file, types)


def _main_name(path: str, references: Mapping[str, str]) -> str:
    name = PurePosixPath(path.replace("\\", "/")).name
    if not name.endswith(".proto") or name in references:
        return _MAIN_FALLBACK
    return name


def parse_protobuf(path: str, text: str, references: Mapping[str, str]) -> ProtoSchema:
    """Compile a schema and its imports (import path -> text) into a :class:`ProtoSchema`.

    Registry schemas are texts, not files: they are written to a temporary folder (imports
    at their import paths) and compiled by the catalog's protoc wrapper; an error in the
    schema itself is reported against ``path``.
    """
    main_name = _main_name(path, references)
    with tempfile.TemporaryDirectory(prefix="herald-compat-") as tmp:
        root = Path(tmp)
        for import_path, ref_text in references.items():
            target = (root / import_path).resolve()
            if root.resolve() not in target.parents:
                raise SchemaParseError(import_path, 0, 0, "import path leaves the schema folder")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(ref_text, encoding="utf-8")
        (root / main_name).write_text(text, encoding="utf-8")
        try:
            compiled = run_protoc([main_name], [root])
        except SchemaParseError as exc:
            shown = path if PurePosixPath(exc.path).name == main_name else exc.path
            raise SchemaParseError(shown, exc.line, exc.col, exc.message) from None
    by_name = {f.name: f for f in compiled.file}
    imports = [(f, f.name, references.get(f.name, "")) for f in compiled.file]
    return schema_from_descriptors(by_name[main_name], path, text, imports)
