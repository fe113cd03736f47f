"""Buf-style strict rules: what ``herald diff --strict`` adds, previous schema to current.

They protect generated code and the JSON mapping rather than the binary wire, so they always
run old -> new, whatever the level. Messages and enums are matched by full name in the schema's
own file; the rules live beside the Confluent ones they extend (files, fields, enums).
"""

from __future__ import annotations

from collections.abc import Iterator

from codegen.compat.protobuf.context import Evolution
from codegen.compat.protobuf.enums import enum_no_delete, enum_value_no_delete, enum_value_same_name
from codegen.compat.protobuf.fields import (
    field_no_delete_unless_name_reserved,
    field_no_delete_unless_number_reserved,
    field_same_cardinality,
    field_same_json_name,
    field_same_name,
    field_same_oneof,
    field_same_type,
)
from codegen.compat.protobuf.files import package_changed
from codegen.compat.protobuf.oneofs import oneof_no_delete
from codegen.compat.protobuf_model import ProtoSchema
from codegen.findings import Finding, Location


def _matched(old: ProtoSchema, new: ProtoSchema) -> Iterator[Evolution]:
    for full_name, new_info in sorted(new.types.items()):
        old_info = old.types.get(full_name)
        if (
            old_info is None
            or not new_info.local
            or not old_info.local
            or new_info.is_map
            or old_info.kind != new_info.kind
        ):
            continue
        yield Evolution(old_info, new_info)


def check_strict(old: ProtoSchema, new: ProtoSchema) -> list[Finding]:
    """Buf-style rules from the previous schema to the current one."""
    found: list[Finding] = []
    subject = new.full_name

    def add(rule_id: str, message: str, hint: str, location: Location, path: str) -> None:
        found.append(Finding(rule_id, message, location, path, hint, subject=subject))

    package_changed(old, new, add)
    enum_no_delete(old, new, add)
    for evo in _matched(old, new):
        if evo.new.kind == "message":
            field_no_delete_unless_number_reserved(evo, add)
            field_no_delete_unless_name_reserved(evo, add)
            field_same_name(evo, add)
            field_same_json_name(evo, add)
            field_same_type(evo, old, new, add)
            field_same_cardinality(evo, old, new, add)
            field_same_oneof(evo, add)
            oneof_no_delete(evo, add)
        else:
            enum_value_no_delete(evo, add)
            enum_value_same_name(evo, add)
    return found
