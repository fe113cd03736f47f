"""Where every generated name lands in the package, checked before anything is rendered.

Names pass :mod:`codegen.generate.names` one at a time; this module checks them together: two
schemas must not end up as the same module or the same class, and a class must not sit where a
submodule does (namespace ``p.q`` beside record ``p.q``: importing the module ``p.q`` would
replace the class ``p.q``), and two modules must not share the alias the generated imports give
them (``a.b_c`` and ``a_b.c`` are both ``_h_m_a_b_c``). Each clash is a
:class:`GenerationError` naming both schemas.
"""

from __future__ import annotations

from codegen.generate.model import (
    EnumDef,
    GenerationError,
    PackageModel,
    ProtoEnumDef,
    ProtoMessageDef,
    RecordDef,
)


def check_layout(package: PackageModel) -> None:
    """Refuse a model in which two schemas would share a module, a class or a dotted path."""
    owners: dict[str, str] = {}

    def claim(path: str, owner: str, what: str) -> None:
        other = owners.get(path)
        if other is not None and other != owner:
            raise GenerationError(
                f"{owner} and {other} both become {what} {path!r} in the generated package; "
                "rename one of them in its schema"
            )
        owners[path] = owner

    for module in package.modules:
        label = f"namespace {module.namespace or '(none)'!r} ({', '.join(module.sources)})"
        claim(module.module, label, "module")
    for proto in package.proto_modules:
        label = f"{proto.source}"
        claim(proto.module, label, "module")
        claim(proto.pb2_module, label, "module")
    aliases: dict[str, str] = {}
    for path, owner in list(owners.items()):
        alias = "_h_m_" + path.replace(".", "_")
        if alias in aliases and aliases[alias] != owner:
            raise GenerationError(
                f"{owner} and {aliases[alias]} become modules ({path!r} and another) that the "
                f"generated imports both call {alias}; rename a namespace, folder or file"
            )
        aliases[alias] = owner
    for module in package.modules:
        items: list[RecordDef | EnumDef] = [*module.records, *module.enums]
        for item in items:
            claim(f"{module.module}.{item.py_name}", f"{item.full_name} ({item.source})", "class")
    for proto in package.proto_modules:
        nameds: list[ProtoMessageDef | ProtoEnumDef] = [*proto.messages, *proto.enums]
        for named in nameds:
            claim(f"{proto.module}.{named.py_name}", f"{named.full_name} ({proto.source})", "class")
