"""The schema catalog: every .avsc and .proto under the schema folders, in one typed model.

``load_catalog(roots)`` is the entry point; lint, compatibility checks, registry commands and
code generation all start from the :class:`Catalog` it returns.
"""

from __future__ import annotations

from codegen.catalog.json_source import SourceMap, parse_json
from codegen.catalog.loader import load_catalog
from codegen.catalog.model import (
    AvroFile,
    AvroNamedType,
    AvroReference,
    Catalog,
    CatalogSchema,
    ProtoFile,
    ProtoMessage,
    SchemaFile,
    SchemaFormat,
)
from codegen.catalog.registry_form import (
    RegistryForm,
    RegistryReference,
    dependency_closure,
    file_text,
    reference_name,
    reference_subject,
    reference_texts,
    registry_form,
    registry_form_for,
)
from codegen.errors import SchemaParseError

__all__ = [
    "AvroFile",
    "AvroNamedType",
    "AvroReference",
    "Catalog",
    "CatalogSchema",
    "ProtoFile",
    "ProtoMessage",
    "RegistryForm",
    "RegistryReference",
    "SchemaFile",
    "SchemaFormat",
    "SchemaParseError",
    "SourceMap",
    "dependency_closure",
    "file_text",
    "load_catalog",
    "parse_json",
    "reference_name",
    "reference_subject",
    "reference_texts",
    "registry_form",
    "registry_form_for",
]
