"""Levels, schema sources and :func:`compare`: which versions to check, in which directions.

A level names the previous versions it looks at (the latest, or all for ``*_TRANSITIVE``)
and the directions: BACKWARD (the new schema reads old data), FORWARD (old schemas read new
data) or both. Sources are parsed once per call (and cached by content), then each
(previous, direction) pair goes to the format's checker; findings are deduplicated, newest
previous version first.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from codegen.compat import avro, protobuf
from codegen.compat.avro_model import AvroSchema, parse_avro
from codegen.compat.protobuf_model import ProtoSchema, parse_protobuf
from codegen.compat.rules import rule
from codegen.errors import ConfigError
from codegen.findings import Finding, Location

SchemaFormat = Literal["AVRO", "PROTOBUF"]


@dataclass(frozen=True, slots=True)
class Level:
    """What a compatibility level checks: all previous versions or the latest, which ways."""

    transitive: bool
    backward: bool
    forward: bool


#: Confluent's compatibility levels (BACKWARD is the default).
LEVELS: dict[str, Level] = {
    "BACKWARD": Level(transitive=False, backward=True, forward=False),
    "BACKWARD_TRANSITIVE": Level(transitive=True, backward=True, forward=False),
    "FORWARD": Level(transitive=False, backward=False, forward=True),
    "FORWARD_TRANSITIVE": Level(transitive=True, backward=False, forward=True),
    "FULL": Level(transitive=False, backward=True, forward=True),
    "FULL_TRANSITIVE": Level(transitive=True, backward=True, forward=True),
    "NONE": Level(transitive=False, backward=False, forward=False),
}


@dataclass(frozen=True, slots=True)
class SchemaSource:
    """A schema's text as a registry holds it, plus the texts of what it references."""

    format: SchemaFormat
    text: str
    path: str = "<registry>"
    #: Reference name -> schema text: Avro named types defined elsewhere, Protobuf imports
    #: by import path.
    references: Mapping[str, str] = field(default_factory=dict, hash=False)
    full_name: str | None = None


Parsed = AvroSchema | ProtoSchema


@functools.lru_cache(maxsize=512)
def _parse_cached(
    fmt: str, text: str, path: str, references: tuple[tuple[str, str], ...]
) -> Parsed:
    if fmt == "AVRO":
        return parse_avro(path, text, references)
    return parse_protobuf(path, text, dict(references))


def parse(source: SchemaSource) -> Parsed:
    """Parse a source (raises :class:`~codegen.errors.SchemaParseError` with file:line:col)."""
    if source.format not in ("AVRO", "PROTOBUF"):
        raise ConfigError(
            f"{source.path}: schema type {source.format!r} is not supported; use AVRO or PROTOBUF"
        )
    refs = tuple(source.references.items())
    return _parse_cached(source.format, source.text, source.path, refs)


def format_of(schema: Parsed) -> SchemaFormat:
    """AVRO or PROTOBUF, for a parsed schema."""
    return "AVRO" if isinstance(schema, AvroSchema) else "PROTOBUF"


def path_of(schema: Parsed) -> str:
    """The path findings about this schema point at."""
    return schema.origin.path if isinstance(schema, AvroSchema) else schema.main.path


def level_spec(level: str) -> Level:
    """The :class:`Level` for a level name (case-insensitive), or a ConfigError naming them."""
    spec = LEVELS.get(level.upper())
    if spec is None:
        raise ConfigError(f"unknown compatibility level {level!r}; use one of {', '.join(LEVELS)}")
    return spec


@rule(
    "SCHEMA_TYPE_CHANGED",
    "AVRO",
    "CATALOG",
    "A subject keeps its schema type (Avro stays Avro, Protobuf stays Protobuf).",
)
def schema_type_changed(old: Parsed, new: Parsed, add: list[Finding]) -> None:
    """Registries refuse a version whose schema type differs from the subject's."""
    if format_of(old) == format_of(new):
        return
    add.append(
        Finding(
            rule="SCHEMA_TYPE_CHANGED",
            message=f"The schema type changed from {format_of(old)} to {format_of(new)}.",
            location=Location(path_of(new), 1, 1),
            schema_path="/",
            hint="register the new format under a new subject",
            subject=new.full_name,
        )
    )


@rule(
    "SCHEMA_REMOVED",
    "AVRO",
    "CATALOG",
    "A schema that existed in the previous revision must still exist.",
)
def schema_removed(full_name: str, fmt: SchemaFormat, where: Location, add: list[Finding]) -> None:
    """Called by folder comparisons for a full name the new revision no longer defines."""
    kind = "Message" if fmt == "PROTOBUF" else "Schema"
    add.append(
        Finding(
            rule="MESSAGE_REMOVED" if fmt == "PROTOBUF" else "SCHEMA_REMOVED",
            message=f'Previously present {kind.lower()} "{full_name}" was deleted.',
            location=where,
            schema_path="#/" + full_name if fmt == "PROTOBUF" else "/",
            hint=f'restore "{full_name}"; deprecate it instead of deleting it',
            subject=full_name,
        )
    )


def _pair(old: Parsed, new: Parsed, level: Level, strict: bool) -> list[Finding]:
    found: list[Finding] = []
    schema_type_changed(old, new, found)
    if found:
        return found
    if isinstance(old, AvroSchema) and isinstance(new, AvroSchema):
        if level.backward:
            found += avro.check(new, old, reader_is_new=True)
        if level.forward:
            found += avro.check(old, new, reader_is_new=False)
    elif isinstance(old, ProtoSchema) and isinstance(new, ProtoSchema):
        if level.backward:
            found += protobuf.check(old, new, backward=True)
        if level.forward:
            found += protobuf.check(old, new, backward=False)
        if strict:
            found += protobuf.check_strict(old, new)
    return found


def compare_parsed(
    previous: Sequence[Parsed], current: Parsed, level: str = "BACKWARD", *, strict: bool = False
) -> list[Finding]:
    """:func:`compare` for schemas already parsed (e.g. a whole catalog compiled at once)."""
    spec = level_spec(level)
    if not previous or not (spec.backward or spec.forward):
        return []
    targets = list(previous) if spec.transitive else [previous[-1]]
    found: list[Finding] = []
    seen: set[tuple[str, Location, str]] = set()
    for age, old in enumerate(reversed(targets)):
        for finding in _pair(old, current, spec, strict):
            key = (finding.rule, finding.location, finding.schema_path)
            if key in seen:
                continue
            seen.add(key)
            found.append(
                _note_version(finding, len(targets) - age, len(targets)) if age else finding
            )
    return found


def compare(
    previous: Sequence[SchemaSource],
    current: SchemaSource,
    level: str = "BACKWARD",
    *,
    strict: bool = False,
) -> list[Finding]:
    """Why ``current`` may not follow ``previous`` (oldest..newest) at ``level``; [] means ok."""
    spec = level_spec(level)
    new = parse(current)
    if not previous or not (spec.backward or spec.forward):
        return []
    targets = list(previous) if spec.transitive else [previous[-1]]
    findings = compare_parsed([parse(p) for p in targets], new, level, strict=strict)
    if current.full_name:
        findings = [replace(f, subject=current.full_name) for f in findings]
    return findings


def _note_version(finding: Finding, version: int, count: int) -> Finding:
    note = f" (against previous version {version} of {count})"
    return replace(finding, message=finding.message.rstrip(".") + note + ".")
