"""The typed catalog model: every schema file under the schema folders, parsed, with positions.

The loaders (``avro.py``, ``protobuf.py``) fill these classes; lint, compatibility, registry
operations and code generation read only them. A :class:`CatalogSchema` is one thing a topic
can be bound to: a top-level Avro named type or a Protobuf message (nested ones included).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from google.protobuf.descriptor_pb2 import (
    DescriptorProto,
    FileDescriptorProto,
    FileDescriptorSet,
)

from codegen.catalog.json_source import SourceMap
from codegen.errors import HeraldError
from codegen.findings import Location

SchemaFormat = Literal["AVRO", "PROTOBUF"]
AvroKind = Literal["record", "enum", "fixed"]


@dataclass(frozen=True, slots=True)
class AvroNamedType:
    """A record, enum or fixed defined in an Avro file, with where its JSON sits in the file."""

    full_name: str
    kind: AvroKind
    #: The JSON object defining the type, exactly as parsed.
    schema: Mapping[str, Any]
    #: JSON pointer of that object within the file ("" for the file's root).
    pointer: str
    #: Display path of the defining file.
    path: str
    #: True when the type is the file's root or a member of a root union.
    top_level: bool


@dataclass(frozen=True, slots=True)
class AvroReference:
    """A use, in one file, of a named type defined in another file."""

    full_name: str
    #: JSON pointer of the string naming the type in the using file.
    pointer: str
    #: Display path of the file that defines the type.
    defined_in: str


@dataclass(frozen=True, slots=True)
class AvroFile:
    """One .avsc file: its text, parsed JSON, source map, the types it defines and uses."""

    path: Path
    display_path: str
    root: Path
    text: str
    json: Any
    source_map: SourceMap
    #: Every named type the file defines, in document order.
    types: tuple[AvroNamedType, ...]
    #: Named types from other files this file uses, first use first (not deduplicated by file).
    uses: tuple[AvroReference, ...] = ()
    #: Display paths of the files this file depends on directly, dependencies first.
    depends_on: tuple[str, ...] = ()

    @property
    def format(self) -> SchemaFormat:
        """Always ``"AVRO"``; lets code handle Avro and Protobuf files alike."""
        return "AVRO"

    @property
    def primary(self) -> AvroNamedType:
        """The type that names the file in the registry: its first top-level named type."""
        return next(t for t in self.types if t.top_level)

    @property
    def references(self) -> tuple[str, ...]:
        """Full names of types used from other files, deduplicated, in first-use order."""
        seen: dict[str, None] = {}
        for use in self.uses:
            seen.setdefault(use.full_name, None)
        return tuple(seen)

    def locate(self, pointer: str) -> Location:
        """Return the file:line:col of the JSON value at ``pointer`` (or its nearest ancestor)."""
        line, col = self.source_map.position(pointer)
        return Location(self.display_path, line, col)


@dataclass(frozen=True, slots=True)
class ProtoMessage:
    """A Protobuf message (top-level or nested) with its Confluent message index path."""

    full_name: str
    name: str
    #: Message indexes for the Confluent wire format, e.g. ``(0,)`` or ``(1, 0)``.
    indexes: tuple[int, ...]
    descriptor: DescriptorProto
    #: SourceCodeInfo path of the message (``[4, i]``, ``[4, i, 3, j]`` ...).
    source_path: tuple[int, ...]
    path: str
    #: True for the synthetic ``FooEntry`` message protoc makes for a map field.
    map_entry: bool = False


@dataclass(frozen=True, slots=True)
class ProtoFile:
    """One .proto file: its import path, package, text and descriptor with source info."""

    path: Path
    display_path: str
    root: Path
    #: Path relative to its schema folder, as other files import it.
    import_path: str
    package: str
    text: str
    descriptor: FileDescriptorProto
    messages: tuple[ProtoMessage, ...]
    #: Import paths of other catalog files this file imports (registry references).
    imports: tuple[str, ...]
    #: Imports resolved from protoc's bundled well-known types (``google/protobuf/...``).
    well_known_imports: tuple[str, ...]
    #: SourceCodeInfo path -> (line, col), 1-based.
    spans: Mapping[tuple[int, ...], tuple[int, int]] = field(default_factory=dict)

    @property
    def format(self) -> SchemaFormat:
        """Always ``"PROTOBUF"``; lets code handle Avro and Protobuf files alike."""
        return "PROTOBUF"

    def locate(self, source_path: tuple[int, ...] | list[int] = ()) -> Location:
        """Return file:line:col for a SourceCodeInfo path, or its nearest recorded ancestor."""
        current = tuple(source_path)
        while current:
            span = self.spans.get(current)
            if span is not None:
                return Location(self.display_path, *span)
            current = current[:-1]
        return Location(self.display_path, 1, 1)

    def message(self, full_name: str) -> ProtoMessage:
        """Return the message with ``full_name`` defined in this file."""
        for msg in self.messages:
            if msg.full_name == full_name:
                return msg
        raise HeraldError(f"{self.display_path}: no message {full_name!r} in this file")

    def locate_message(self, full_name: str) -> Location:
        """Where a message's name is declared."""
        return self.locate(self.message(full_name).source_path)

    def locate_field(self, full_name: str, number: int) -> Location:
        """Where the field with ``number`` in message ``full_name`` is declared."""
        msg = self.message(full_name)
        for index, fld in enumerate(msg.descriptor.field):
            if fld.number == number:
                return self.locate((*msg.source_path, 2, index))
        return self.locate(msg.source_path)


SchemaFile = AvroFile | ProtoFile


@dataclass(frozen=True, slots=True)
class CatalogSchema:
    """One bindable schema: a top-level Avro named type or a Protobuf message."""

    full_name: str
    format: SchemaFormat
    file: SchemaFile
    #: The Avro named type (for AVRO) or the Protobuf message (for PROTOBUF).
    definition: AvroNamedType | ProtoMessage

    @property
    def path(self) -> str:
        """Display path of the defining file."""
        return self.file.display_path

    @property
    def location(self) -> Location:
        """Where the type or message is defined."""
        if isinstance(self.definition, AvroNamedType):
            assert isinstance(self.file, AvroFile)
            return self.file.locate(self.definition.pointer)
        assert isinstance(self.file, ProtoFile)
        return self.file.locate(self.definition.source_path)

    @property
    def message_indexes(self) -> tuple[int, ...]:
        """Confluent message indexes for Protobuf; ``()`` for Avro."""
        if isinstance(self.definition, ProtoMessage):
            return self.definition.indexes
        return ()


@dataclass(frozen=True)
class Catalog:
    """Every schema under the schema folders, keyed by full name, with files in load order."""

    roots: tuple[Path, ...]
    schemas: Mapping[str, CatalogSchema]
    avro_files: tuple[AvroFile, ...]
    proto_files: tuple[ProtoFile, ...]
    #: Every Avro named type (nested ones too) -> its definition, for resolving references.
    avro_types: Mapping[str, AvroNamedType] = field(default_factory=dict)
    #: protoc's output for all catalog .proto files, imports (well-known types) included.
    proto_descriptor_set: FileDescriptorSet = field(default_factory=FileDescriptorSet)

    def get(self, full_name: str) -> CatalogSchema:
        """Return the schema with ``full_name``; the error lists close names to help a typo."""
        try:
            return self.schemas[full_name]
        except KeyError:
            raise HeraldError(_missing_message(full_name, list(self.schemas))) from None

    def __iter__(self) -> Iterator[CatalogSchema]:
        return iter(self.schemas.values())

    def __len__(self) -> int:
        return len(self.schemas)

    @property
    def files(self) -> tuple[SchemaFile, ...]:
        """All files, Avro first, each group in load order."""
        return (*self.avro_files, *self.proto_files)

    def file_of(self, full_name: str) -> SchemaFile:
        """The file that defines ``full_name``."""
        return self.get(full_name).file

    def avro_file(self, display_path: str) -> AvroFile:
        """The Avro file with this display path."""
        for f in self.avro_files:
            if f.display_path == display_path:
                return f
        raise HeraldError(f"no Avro file {display_path!r} in the catalog")

    def proto_file(self, import_path: str) -> ProtoFile:
        """The catalog .proto file with this import path."""
        for f in self.proto_files:
            if f.import_path == import_path:
                return f
        raise HeraldError(f"no .proto file imported as {import_path!r} in the catalog")


def _missing_message(full_name: str, known: list[str]) -> str:
    import difflib

    close = difflib.get_close_matches(full_name, known, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    where = f" ({len(known)} schemas loaded)" if known else " (the catalog is empty)"
    return f"no schema named {full_name!r} in the catalog{where}{hint}"
