"""Build the Avro part of the :class:`~codegen.generate.model.PackageModel` from the catalog.

Every named type the catalog knows (nested ones too) becomes a record, enum or fixed in the
model; type expressions are resolved to model types with the namespace rules of the Avro
specification. Every name (namespace, record, field, symbol) is checked against the Avro name
rule here, so the templates never see text that could inject code.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import fastavro.schema

from codegen.catalog import AvroNamedType, Catalog, file_text, reference_name, reference_subject
from codegen.catalog.avro import PRIMITIVES, split_full_name
from codegen.catalog.registry_form import direct_dependencies
from codegen.generate.model import (
    MAX_CONTAINER_NESTING,
    NO_DEFAULT,
    ArrayType,
    AvroType,
    EnumDef,
    EnumRef,
    FieldDef,
    FixedType,
    GenerationError,
    Logical,
    MapType,
    ModuleDef,
    Primitive,
    RecordDef,
    RecordRef,
    UnionType,
    check_full_name,
    check_name,
    container_nesting,
)
from codegen.generate.names import DEFAULT_MODULE, module_part, python_name
from publisher.event import Binding

#: Logical type -> the underlying Avro types it may annotate (others are ignored, per spec).
LOGICAL_BASES: dict[str, frozenset[str]] = {
    "decimal": frozenset({"bytes", "fixed"}),
    "date": frozenset({"int"}),
    "time-millis": frozenset({"int"}),
    "time-micros": frozenset({"long"}),
    "timestamp-millis": frozenset({"long"}),
    "timestamp-micros": frozenset({"long"}),
    "local-timestamp-millis": frozenset({"long"}),
    "local-timestamp-micros": frozenset({"long"}),
    "uuid": frozenset({"string"}),
}


def parsing_canonical_form(schema: Any) -> str:
    """The Avro Parsing Canonical Form of a self-contained schema (fastavro's implementation)."""
    return str(fastavro.schema.to_parsing_canonical_form(schema))


def source_of(path: Path, root: Path) -> str:
    """A file's path for the generated stamp: its schema folder's name, then the path inside.

    Independent of the working directory, so output is the same from any folder or machine.
    It lands in a ``# source:`` comment, so characters that would end the comment line (a
    newline in a file name) or that do not print are escaped as in a Python string.
    """
    try:
        text = f"{root.name}/{path.relative_to(root).as_posix()}"
    except ValueError:
        text = path.name
    return "".join(
        ch if ch.isprintable() else ch.encode("unicode_escape", "backslashreplace").decode()
        for ch in text
    )


def namespace_of(full_name: str) -> str:
    """The namespace part of a full name ("" when there is none)."""
    return full_name.rsplit(".", 1)[0] if "." in full_name else ""


def short_name(full_name: str) -> str:
    """The last component of a full name."""
    return full_name.rsplit(".", 1)[-1]


def module_paths(namespaces: set[str]) -> dict[str, str]:
    """Namespace -> dotted module path; components Python forbids get a trailing underscore."""
    result: dict[str, str] = {}
    for space in sorted(namespaces):
        if not space:
            result[space] = DEFAULT_MODULE
            continue
        parts = [module_part(p) for p in space.split(".")]
        result[space] = ".".join(parts)
    return result


class _Builder:
    """Resolve one catalog's Avro types into model records and enums."""

    def __init__(self, catalog: Catalog, bindings: Mapping[str, tuple[Binding, ...]]) -> None:
        self.catalog = catalog
        self.types = catalog.avro_types
        self.bindings = bindings

    def where(self, named: AvroNamedType) -> str:
        return f"{named.path} ({named.full_name})"

    def resolve_name(self, name: str, namespace: str, where: str) -> AvroNamedType:
        candidates = [name] if "." in name or not namespace else [f"{namespace}.{name}", name]
        for candidate in candidates:
            found = self.types.get(candidate)
            if found is not None:
                return found
        raise GenerationError(f"{where}: type {name!r} is not defined in the catalog")

    def ref_of(self, named: AvroNamedType) -> AvroType:
        if named.kind == "record":
            return RecordRef(named.full_name)
        if named.kind == "enum":
            return EnumRef(named.full_name)
        return self.fixed_type(named.schema, named.full_name)

    def fixed_type(self, node: Mapping[str, Any], full_name: str) -> AvroType:
        size = int(node["size"])
        if node.get("logicalType") == "decimal":
            return self.decimal(node, "fixed", size)
        return FixedType(full_name, size)

    def decimal(self, node: Mapping[str, Any], base: str, size: int = 0) -> AvroType:
        precision = node.get("precision")
        scale = node.get("scale", 0)
        if not isinstance(precision, int) or not isinstance(scale, int) or precision < 1:
            return FixedType("", size) if base == "fixed" else Primitive(base)
        if not 0 <= scale <= precision:
            return FixedType("", size) if base == "fixed" else Primitive(base)
        return Logical("decimal", base, precision, scale, size)

    def type_of(self, node: Any, namespace: str, where: str) -> AvroType:
        if isinstance(node, str):
            if node in PRIMITIVES:
                return Primitive(node)
            check_full_name(node, "type name", where)
            return self.ref_of(self.resolve_name(node, namespace, where))
        if isinstance(node, list):
            return UnionType(tuple(self.type_of(b, namespace, where) for b in node))
        if not isinstance(node, Mapping):
            raise GenerationError(f"{where}: {node!r} is not an Avro type")
        kind = node.get("type")
        if kind in ("record", "error", "enum", "fixed"):
            full, _ = split_full_name(node["name"], node.get("namespace"), namespace)
            return self.ref_of(self.types[full])
        if kind == "array":
            return ArrayType(self.type_of(node["items"], namespace, where))
        if kind == "map":
            return MapType(self.type_of(node["values"], namespace, where))
        logical = node.get("logicalType")
        if isinstance(kind, str) and kind in PRIMITIVES:
            if isinstance(logical, str) and kind in LOGICAL_BASES.get(logical, ()):
                if logical == "decimal":
                    return self.decimal(node, kind)
                return Logical(logical, kind)
            return Primitive(kind)
        return self.type_of(kind, namespace, where)

    def record(self, named: AvroNamedType) -> RecordDef:
        where = self.where(named)
        node = named.schema
        namespace = namespace_of(named.full_name)
        py_name = python_name(
            check_name(short_name(named.full_name), "record name", where), set(), "class"
        )
        taken: set[str] = set()
        fields: list[FieldDef] = []
        for raw in node["fields"]:
            wire = check_name(raw["name"], "field name", where)
            fwhere = f"{where} field {wire!r}"
            ftype = self.type_of(raw["type"], namespace, fwhere)
            nesting = container_nesting(ftype)
            if nesting > MAX_CONTAINER_NESTING:
                raise GenerationError(
                    f"{fwhere}: arrays and maps are nested {nesting} deep, more than the "
                    f"{MAX_CONTAINER_NESTING} herald generates code for; wrap the inner levels "
                    "in a record"
                )
            doc = raw.get("doc")
            fields.append(
                FieldDef(
                    wire_name=wire,
                    py_name=python_name(wire, taken),
                    type=ftype,
                    doc=doc if isinstance(doc, str) else None,
                    default=raw.get("default", NO_DEFAULT),
                )
            )
        doc = node.get("doc")
        schema_file = self.catalog.avro_file(named.path)
        if named.full_name == schema_file.primary.full_name:
            # What `herald register` registers for this subject: the file, with references.
            schema_text = file_text(schema_file)
            refs = tuple(
                (reference_name(dep), reference_subject(dep))
                for dep in direct_dependencies(self.catalog, schema_file)
            )
        else:
            # Not a file's primary type, so never registered on its own: a distinct,
            # self-contained identity (Parsing Canonical Form with every named type inlined).
            schema_text = parsing_canonical_form(self.standalone(named.full_name))
            refs = ()
        # What a consumer resolves writer schemas against: everything inline, defaults kept.
        reader_schema = (
            schema_text
            if named.full_name == schema_file.primary.full_name and not refs
            else json.dumps(
                self.standalone(named.full_name), separators=(",", ":"), ensure_ascii=False
            )
        )
        return RecordDef(
            full_name=named.full_name,
            namespace=namespace,
            py_name=py_name,
            fields=tuple(fields),
            doc=doc if isinstance(doc, str) else None,
            schema_text=schema_text,
            reader_schema=reader_schema,
            references=refs,
            bindings=self.bindings.get(named.full_name, ()),
            source=source_of(schema_file.path, schema_file.root),
        )

    def standalone(self, full_name: str) -> Any:
        """The JSON of a named type with every named type it uses defined inline once."""
        seen: set[str] = set()

        def inline(node: Any, namespace: str) -> Any:
            if isinstance(node, str):
                if node in PRIMITIVES:
                    return node
                found = self.resolve_name(node, namespace, full_name)
                return define(found.full_name, found.schema)
            if isinstance(node, list):
                return [inline(b, namespace) for b in node]
            kind = node.get("type")
            if kind in ("record", "error", "enum", "fixed"):
                full, _ = split_full_name(node["name"], node.get("namespace"), namespace)
                return define(full, node)
            if kind == "array":
                return {**node, "items": inline(node["items"], namespace)}
            if kind == "map":
                return {**node, "values": inline(node["values"], namespace)}
            if isinstance(kind, list | dict):
                return {**node, "type": inline(kind, namespace)}
            return node

        def define(full: str, node: Mapping[str, Any]) -> Any:
            if full in seen:
                return full
            seen.add(full)
            out = {k: v for k, v in node.items() if k != "namespace"}
            out["name"] = full
            if node.get("type") in ("record", "error"):
                space = namespace_of(full)
                out["fields"] = [{**f, "type": inline(f["type"], space)} for f in node["fields"]]
            return out

        return define(full_name, self.types[full_name].schema)

    def enum(self, named: AvroNamedType) -> EnumDef:
        where = self.where(named)
        node = named.schema
        schema_file = self.catalog.avro_file(named.path)
        py_name = python_name(
            check_name(short_name(named.full_name), "enum name", where), set(), "class"
        )
        taken: set[str] = set()
        symbols = tuple(
            (sym, python_name(check_name(sym, "enum symbol", where), taken, "member"))
            for sym in node["symbols"]
        )
        doc = node.get("doc")
        default = node.get("default")
        return EnumDef(
            full_name=named.full_name,
            namespace=namespace_of(named.full_name),
            py_name=py_name,
            symbols=symbols,
            doc=doc if isinstance(doc, str) else None,
            default=default if isinstance(default, str) else None,
            source=source_of(schema_file.path, schema_file.root),
        )


def build_avro_modules(
    catalog: Catalog, bindings: Mapping[str, tuple[Binding, ...]]
) -> tuple[tuple[ModuleDef, ...], dict[str, RecordDef], dict[str, EnumDef], dict[str, str]]:
    """Model every Avro record and enum of the catalog, grouped into one module per namespace."""
    builder = _Builder(catalog, bindings)
    records: dict[str, RecordDef] = {}
    enums: dict[str, EnumDef] = {}
    for full_name in sorted(catalog.avro_types):
        named = catalog.avro_types[full_name]
        check_full_name(namespace_of(full_name), "namespace", builder.where(named))
        check_name(short_name(full_name), f"{named.kind} name", builder.where(named))
        if named.kind == "record":
            records[full_name] = builder.record(named)
        elif named.kind == "enum":
            enums[full_name] = builder.enum(named)
    spaces = {r.namespace for r in records.values()} | {e.namespace for e in enums.values()}
    paths = module_paths(spaces)
    modules = []
    for space in sorted(spaces):
        recs = tuple(r for r in records.values() if r.namespace == space)
        ens = tuple(e for e in enums.values() if e.namespace == space)
        sources = tuple(sorted({r.source for r in recs} | {e.source for e in ens}))
        modules.append(ModuleDef(space, paths[space], recs, ens, sources))
    module_of = {name: paths[namespace_of(name)] for name in (*records, *enums)}
    _check_class_names(modules)
    return tuple(modules), records, enums, module_of


def _check_class_names(modules: list[ModuleDef]) -> None:
    for module in modules:
        seen: dict[str, str] = {}
        items: list[RecordDef | EnumDef] = [*module.records, *module.enums]
        for item in items:
            if item.py_name in seen:
                raise GenerationError(
                    f"{item.source}: {item.full_name} and {seen[item.py_name]} both become "
                    f"class {item.py_name} in module {module.module}; rename one"
                )
            seen[item.py_name] = item.full_name
