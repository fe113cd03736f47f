"""The form a catalog schema takes in a Schema Registry: schema type, text and references.

Avro: the defining file's JSON (compact, key order kept) with one reference per other file it
uses, named by that file's primary full name and registered under that full name (the record
name strategy). Protobuf: the .proto text with one reference per catalog import, named and
registered by its import path (Confluent's default reference naming). Well-known imports
(``google/protobuf/...``) are not references: registries know them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from codegen.catalog.model import AvroFile, Catalog, ProtoFile, SchemaFile, SchemaFormat


@dataclass(frozen=True, slots=True)
class RegistryReference:
    """A Confluent schema reference; ``version`` is None until the referenced subject is known."""

    name: str
    subject: str
    version: int | None = None


@dataclass(frozen=True, slots=True)
class RegistryForm:
    """What to send to the registry for one schema file."""

    schema_type: SchemaFormat
    text: str
    references: tuple[RegistryReference, ...]
    #: The file the text comes from.
    file: SchemaFile


def file_text(schema_file: SchemaFile) -> str:
    """The schema text registered for a file: compact Avro JSON, or the .proto text as is."""
    if isinstance(schema_file, AvroFile):
        return json.dumps(schema_file.json, separators=(",", ":"), ensure_ascii=False)
    return schema_file.text


def reference_name(schema_file: SchemaFile) -> str:
    """How other schemas name this file in their references."""
    if isinstance(schema_file, AvroFile):
        return schema_file.primary.full_name
    return schema_file.import_path


def reference_subject(schema_file: SchemaFile) -> str:
    """The subject a referenced file is registered under (its reference name)."""
    return reference_name(schema_file)


def direct_dependencies(catalog: Catalog, schema_file: SchemaFile) -> tuple[SchemaFile, ...]:
    """Catalog files this file references directly, dependencies first."""
    if isinstance(schema_file, AvroFile):
        return tuple(catalog.avro_file(p) for p in schema_file.depends_on)
    assert isinstance(schema_file, ProtoFile)
    return tuple(catalog.proto_file(ip) for ip in schema_file.imports)


def dependency_closure(catalog: Catalog, schema_file: SchemaFile) -> tuple[SchemaFile, ...]:
    """Every file this one needs, transitively, in an order where dependencies come first."""
    order: list[SchemaFile] = []
    seen: set[str] = set()

    def visit(current: SchemaFile) -> None:
        for dep in direct_dependencies(catalog, current):
            if dep.display_path not in seen:
                seen.add(dep.display_path)
                visit(dep)
                order.append(dep)

    visit(schema_file)
    return tuple(order)


def registry_form(
    catalog: Catalog, schema_file: SchemaFile, versions: Mapping[str, int] | None = None
) -> RegistryForm:
    """The registry form of a file; reference versions come from ``versions`` (subject -> v)."""
    known = versions or {}
    refs = tuple(
        RegistryReference(
            reference_name(dep), reference_subject(dep), known.get(reference_subject(dep))
        )
        for dep in direct_dependencies(catalog, schema_file)
    )
    return RegistryForm(schema_file.format, file_text(schema_file), refs, schema_file)


def registry_form_for(
    catalog: Catalog, full_name: str, versions: Mapping[str, int] | None = None
) -> RegistryForm:
    """The registry form of the file defining ``full_name``."""
    return registry_form(catalog, catalog.get(full_name).file, versions)


def referenced_forms(catalog: Catalog) -> tuple[RegistryForm, ...]:
    """Every file some other file references, dependencies first (what a registry must hold)."""
    order: dict[str, SchemaFile] = {}
    for schema_file in catalog.files:
        for dep in dependency_closure(catalog, schema_file):
            order.setdefault(dep.display_path, dep)
    return tuple(registry_form(catalog, dep) for dep in order.values())


def reference_texts(catalog: Catalog, schema_file: SchemaFile) -> dict[str, str]:
    """Reference name -> schema text for every file this one needs (transitively)."""
    return {reference_name(dep): file_text(dep) for dep in dependency_closure(catalog, schema_file)}
