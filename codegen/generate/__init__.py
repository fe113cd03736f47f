"""Code generation: the catalog -> a typed intermediate model -> jinja2 templates -> a package.

:func:`build_model` turns a :class:`~codegen.catalog.Catalog` into a
:class:`~codegen.generate.model.PackageModel`; :func:`generate_files` renders and formats it
into ``{relative path: text}``, deterministic byte for byte.
"""

from __future__ import annotations

import keyword
from collections.abc import Iterable, Mapping

from codegen.catalog import Catalog
from codegen.catalog.registry_form import reference_subject, referenced_forms
from codegen.generate.avro import build_avro_modules
from codegen.generate.layout import check_layout
from codegen.generate.model import GenerationError, PackageModel, ProtoModuleDef
from codegen.generate.output import OutputRefusedError, compare_package, write_package
from codegen.generate.render import format_files, render_package
from publisher.event import Binding
from publisher.topics import Topic

__all__ = [
    "GenerationError",
    "OutputRefusedError",
    "build_model",
    "compare_package",
    "generate_files",
    "write_package",
]


def build_model(
    catalog: Catalog,
    package_name: str,
    bindings: Mapping[str, tuple[Binding, ...]] | None = None,
    topics: Iterable[Topic] = (),
) -> PackageModel:
    """The package model of every Avro type and Protobuf message in the catalog."""
    if not package_name.isidentifier() or keyword.iskeyword(package_name):
        raise GenerationError(
            f"output folder name {package_name!r} is not a valid Python package name; "
            "choose an --out folder whose last component is an identifier, e.g. events"
        )
    binds = dict(bindings or {})
    modules, records, enums, module_of = build_avro_modules(catalog, binds)
    proto_modules: tuple[ProtoModuleDef, ...] = ()
    proto_names: dict[str, tuple[str, str]] = {}
    if catalog.proto_files:
        from codegen.generate.protobuf import build_proto_modules

        proto_modules, proto_names = build_proto_modules(catalog, binds)
    package = PackageModel(
        name=package_name,
        modules=modules,
        proto_modules=proto_modules,
        records=records,
        enums=enums,
        module_of=module_of,
        proto_names=proto_names,
        referenced=tuple(
            (
                reference_subject(form.file),
                form.schema_type,
                form.text,
                tuple((r.name, r.subject) for r in form.references),
            )
            for form in referenced_forms(catalog)
        ),
        topics=tuple(topics),
    )
    check_layout(package)
    return package


def generate_files(
    catalog: Catalog,
    package_name: str,
    bindings: Mapping[str, tuple[Binding, ...]] | None = None,
    topics: Iterable[Topic] = (),
) -> dict[str, str]:
    """Every file of the generated package, formatted: ``{relative path: text}``."""
    files = render_package(build_model(catalog, package_name, bindings, topics))
    if catalog.proto_files:
        from codegen.generate.protobuf import protoc_outputs

        files.update(protoc_outputs(catalog))
    return format_files(files)
