"""Which subjects a project produces, with their schema file, level and dependencies.

Bindings give subjects by their strategy (value, and key when the key has a schema). With no
bindings, every schema is its own subject under the record name strategy: each top-level Avro
type, and each top-level Protobuf message. Every file those subjects reference is a subject
too, named as its reference (Avro: its primary full name; Protobuf: its import path), so the
registry can resolve references. :func:`plan_subjects` returns them grouped in waves: each
wave depends only on earlier ones, so a wave can be registered concurrently.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from codegen.catalog import (
    AvroFile,
    Catalog,
    CatalogSchema,
    RegistryForm,
    SchemaFile,
    reference_subject,
    registry_form,
)
from codegen.catalog.registry_form import direct_dependencies
from codegen.config import HeraldConfig
from publisher.subjects import subject_for


@dataclass(frozen=True, slots=True)
class SubjectPlan:
    """One subject herald manages: what goes in it, at what level, after which subjects."""

    subject: str
    full_name: str
    file: SchemaFile
    #: The configured level (binding, else project default), or None to leave the registry's.
    level: str | None
    #: Why the subject exists, e.g. ``herald.toml: bindings[0].value`` or ``reference``.
    origin: str
    #: Subjects of the files this one references directly.
    depends_on: tuple[str, ...] = ()

    def form(self, catalog: Catalog, versions: dict[str, int]) -> RegistryForm:
        """The schema to send, with reference versions taken from ``versions``."""
        return registry_form(catalog, self.file, versions)


def _bound(
    config: HeraldConfig, catalog: Catalog
) -> Iterator[tuple[str, CatalogSchema, str | None, str]]:
    if config.bindings:
        for binding in config.bindings:
            yield (
                binding.value_subject,
                catalog.get(binding.value),
                binding.compatibility or config.compatibility,
                f"{binding.origin}.value",
            )
            if binding.key_schema is not None and binding.key_subject is not None:
                yield (
                    binding.key_subject,
                    catalog.get(binding.key_schema),
                    binding.key_compatibility or config.compatibility,
                    f"{binding.origin}.key",
                )
        return
    for schema in catalog:
        top_level = schema.format == "AVRO" or len(schema.message_indexes) == 1
        if top_level:
            yield (
                subject_for("record", "", schema.full_name),
                schema,
                config.compatibility,
                "record name",
            )


def plan_subjects(config: HeraldConfig, catalog: Catalog) -> list[list[SubjectPlan]]:
    """Every subject of the project in dependency waves, each wave sorted by subject."""
    plans: dict[str, SubjectPlan] = {}

    def add_file_subject(schema_file: SchemaFile) -> str:
        subject = reference_subject(schema_file)
        if subject not in plans:
            deps = tuple(add_file_subject(dep) for dep in direct_dependencies(catalog, schema_file))
            full_name = (
                schema_file.primary.full_name
                if isinstance(schema_file, AvroFile)
                else schema_file.import_path
            )
            plans[subject] = SubjectPlan(
                subject, full_name, schema_file, config.compatibility, "reference", deps
            )
        return subject

    for subject, schema, level, origin in _bound(config, catalog):
        deps = tuple(add_file_subject(dep) for dep in direct_dependencies(catalog, schema.file))
        plans[subject] = SubjectPlan(subject, schema.full_name, schema.file, level, origin, deps)
    return _waves(plans)


def _waves(plans: dict[str, SubjectPlan]) -> list[list[SubjectPlan]]:
    depth: dict[str, int] = {}

    def level_of(subject: str) -> int:
        if subject not in depth:
            deps = plans[subject].depends_on
            depth[subject] = 1 + max((level_of(d) for d in deps), default=-1)
        return depth[subject]

    waves: dict[int, list[SubjectPlan]] = {}
    for subject in sorted(plans):
        waves.setdefault(level_of(subject), []).append(plans[subject])
    return [waves[i] for i in sorted(waves)]


def flatten(waves: list[list[SubjectPlan]]) -> list[SubjectPlan]:
    """All subjects in an order where references come before the subjects using them."""
    return [plan for wave in waves for plan in wave]
