"""Protobuf rules that look at enums (strict only: Confluent accepts every enum value change)."""

from __future__ import annotations

from collections.abc import Callable

from codegen.compat.protobuf.context import Evolution, local_name
from codegen.compat.protobuf_model import ProtoSchema
from codegen.compat.rules import rule

#: descriptor.proto: EnumDescriptorProto.value
ENUM_VALUE = 2


@rule(
    "ENUM_VALUE_NO_DELETE",
    "PROTOBUF",
    "STRICT",
    "Enum values are never deleted.",
)
def enum_value_no_delete(evo: Evolution, add: Callable[..., None]) -> None:
    """Buf: a deleted value breaks generated code that names it and readers that get it."""
    old, new = evo.old.enum, evo.new.enum
    assert old is not None
    assert new is not None
    numbers = {v.number for v in new.value}
    for value in old.value:
        if value.number in numbers:
            continue
        add(
            "ENUM_VALUE_NO_DELETE",
            f'Previously present enum value "{value.number}" ("{value.name}") on enum '
            f'"{evo.name}" was deleted.',
            f'restore "{value.name}"; mark it deprecated instead',
            evo.new.locate(),
            f"#/{evo.name}/{value.number}",
        )


@rule(
    "ENUM_VALUE_SAME_NAME",
    "PROTOBUF",
    "STRICT",
    "An enum value keeps its name, which generated code and JSON use.",
)
def enum_value_same_name(evo: Evolution, add: Callable[..., None]) -> None:
    """Buf WIRE_JSON: JSON carries enum values by name, so a rename breaks JSON readers."""
    old, new = evo.old.enum, evo.new.enum
    assert old is not None
    assert new is not None
    before: dict[int, list[str]] = {}
    for value in old.value:
        before.setdefault(value.number, []).append(value.name)
    seen: set[int] = set()
    for i, value in enumerate(new.value):
        if value.number in seen or value.number not in before:
            continue
        seen.add(value.number)
        now = {v.name for v in new.value if v.number == value.number}
        missing = [name for name in before[value.number] if name not in now]
        if not missing:
            continue
        add(
            "ENUM_VALUE_SAME_NAME",
            f'Enum value "{value.number}" on enum "{evo.name}" changed name from "{missing[0]}" '
            f'to "{value.name}".',
            f'keep the name "{missing[0]}" (`option allow_alias = true;` lets both names stay)',
            evo.new.locate(ENUM_VALUE, i, 1),
            f"#/{evo.name}/{value.number}",
        )


@rule(
    "ENUM_NO_DELETE",
    "PROTOBUF",
    "STRICT",
    "An enum of the previous schema is never deleted: generated code names it.",
)
def enum_no_delete(old: ProtoSchema, new: ProtoSchema, add: Callable[..., None]) -> None:
    """Buf FILE: Confluent accepts ENUM_REMOVED (values travel as numbers), generated code not."""
    for full_name, info in sorted(old.types.items()):
        if info.kind != "enum" or not info.local:
            continue
        now = new.types.get(full_name)
        if now is not None and now.kind == "enum":
            continue
        name = local_name(info)
        add(
            "ENUM_NO_DELETE",
            f'Previously present enum "{name}" was deleted.',
            f'restore enum "{name}"; deprecate it instead of deleting it',
            new.main.locate((2,)),
            f"#/{name}",
        )
