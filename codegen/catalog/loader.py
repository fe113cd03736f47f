"""Build the :class:`Catalog` from schema folders: find files, load each format, merge.

Files are found by walking each root for ``*.avsc`` and ``*.proto`` in sorted order, so the
same tree always gives the same catalog. Avro and Protobuf are loaded by their own modules;
this one merges their schemas under one full-name index and rejects a full name defined twice
(also across formats).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from codegen.catalog.avro import parse_avro_file, resolve_avro
from codegen.catalog.model import Catalog, CatalogSchema
from codegen.catalog.protobuf import load_proto_files
from codegen.errors import ConfigError, SchemaParseError

#: Folders never searched for schemas (tool caches, virtualenvs, VCS metadata).
SKIPPED_DIRS = frozenset({".git", ".venv", "venv", "node_modules", "__pycache__", ".tox"})


def find_files(root: Path, suffix: str) -> list[Path]:
    """Every file with ``suffix`` under ``root``, sorted by posix path, skipping tool folders."""
    found = [
        p
        for p in root.rglob(f"*{suffix}")
        if p.is_file() and not SKIPPED_DIRS.intersection(p.relative_to(root).parts)
    ]
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def _check_roots(roots: Sequence[str | Path]) -> tuple[Path, ...]:
    result: list[Path] = []
    for raw in roots:
        root = Path(raw)
        if not root.is_dir():
            raise ConfigError(
                f"schema folder {str(raw)!r} does not exist or is not a folder; "
                "fix the path in the config or in --schemas"
            )
        resolved = root.resolve()
        if resolved not in result:
            result.append(resolved)
    return tuple(result)


def load_catalog(roots: Sequence[str | Path]) -> Catalog:
    """Load every .avsc and .proto under the roots into one catalog, or raise at file:line:col."""
    checked = _check_roots(roots)
    parsed = [parse_avro_file(p, root) for root in checked for p in find_files(root, ".avsc")]
    avro_files, avro_types = resolve_avro(parsed)
    proto_files, descriptor_set = load_proto_files(
        [(p, root) for root in checked for p in find_files(root, ".proto")]
    )
    schemas: dict[str, CatalogSchema] = {}

    def add(schema: CatalogSchema) -> None:
        first = schemas.get(schema.full_name)
        if first is not None:
            loc = schema.location
            raise SchemaParseError(
                loc.path,
                loc.line,
                loc.col,
                f"duplicate full name {schema.full_name!r}: already defined at {first.location}",
            )
        schemas[schema.full_name] = schema

    for avro_file in avro_files:
        for named in avro_file.types:
            if named.top_level:
                add(CatalogSchema(named.full_name, "AVRO", avro_file, named))
    for proto_file in proto_files:
        for msg in proto_file.messages:
            if not msg.map_entry:
                add(CatalogSchema(msg.full_name, "PROTOBUF", proto_file, msg))
    return Catalog(
        roots=checked,
        schemas=schemas,
        avro_files=tuple(avro_files),
        proto_files=tuple(proto_files),
        avro_types=avro_types,
        proto_descriptor_set=descriptor_set,
    )
