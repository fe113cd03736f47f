"""Protobuf rules that look at oneofs: members leaving for good, members gathered from elsewhere.

Confluent's current membership rule: each oneof of the new schema may only gather fields that
were already mutually exclusive. Its members' *origin groups* are counted (the previous oneof a
field was in, or the field itself when it was top-level; brand-new fields are ignored). More
than one origin group makes previously independent fields exclusive, so data an old writer
produced may set two of them. ONEOF_ADDED, ONEOF_REMOVED and ONEOF_FIELD_ADDED are compatible
and are not reported.
"""

from __future__ import annotations

from collections.abc import Callable

from google.protobuf.descriptor_pb2 import FieldDescriptorProto

from codegen.compat.protobuf.context import Evolution, Spot
from codegen.compat.rules import rule


@rule(
    "ONEOF_FIELD_REMOVED",
    "PROTOBUF",
    "WIRE",
    "A field cannot leave a oneof for good: readers would lose the value set in it.",
)
def oneof_field_removed(
    spot: Spot, oneof: str, fdesc: FieldDescriptorProto, add: Callable[..., None]
) -> None:
    """Called for a oneof member of the original whose number the update no longer has."""
    add(
        "ONEOF_FIELD_REMOVED",
        f'Field "{fdesc.number}" ("{fdesc.name}") was {spot.diff.gone()} from oneof "{oneof}" on '
        f'message "{spot.where}".',
        f'keep "{fdesc.name}" in oneof "{oneof}" (deprecate it instead)',
        original=spot.original,
        update=spot.update,
        token=str(fdesc.number),
    )


@rule(
    "MULTIPLE_FIELDS_MOVED_TO_ONEOF",
    "PROTOBUF",
    "WIRE",
    "At most one existing field may move into a oneof: old data may set several of them.",
)
def multiple_fields_moved_to_oneof(
    spot: Spot, oneof: str, groups: list[str], top_level: list[int], add: Callable[..., None]
) -> None:
    """Several top-level fields (each its own origin group) became exclusive in one oneof."""
    if len(groups) <= 1 or len(top_level) <= 1:
        return
    listed = ", ".join(f'"{n}"' for n in top_level)
    add(
        "MULTIPLE_FIELDS_MOVED_TO_ONEOF",
        f'Fields {listed} on message "{spot.where}" were moved into one oneof "{oneof}".',
        "move at most one existing field into a oneof; add the others as new fields",
        original=spot.original,
        update=spot.update,
    )


@rule(
    "FIELD_MOVED_TO_EXISTING_ONEOF",
    "PROTOBUF",
    "WIRE",
    "A oneof may only gather fields that were already exclusive (one field, or one oneof).",
)
def field_moved_to_existing_oneof(
    spot: Spot, oneof: str, groups: list[str], top_level: list[int], add: Callable[..., None]
) -> None:
    """A field joined members of another oneof, or two oneofs merged: old data may set both."""
    if len(groups) <= 1 or len(top_level) > 1:
        return
    listed = " and ".join(groups)
    add(
        "FIELD_MOVED_TO_EXISTING_ONEOF",
        f'Oneof "{oneof}" on message "{spot.where}" gathers fields that were independent before '
        f"({listed}).",
        "leave fields where they were, or add new fields inside the oneof",
        original=spot.original,
        update=spot.update,
    )


@rule(
    "ONEOF_NO_DELETE",
    "PROTOBUF",
    "STRICT",
    "A oneof is never deleted or renamed: generated code names it.",
)
def oneof_no_delete(evo: Evolution, add: Callable[..., None]) -> None:
    """Buf FILE: Confluent accepts ONEOF_REMOVED, but the generated accessors disappear."""
    old, new = evo.old.message, evo.new.message
    assert old is not None
    assert new is not None
    kept = {d.name for d in new.oneof_decl}
    for decl in old.oneof_decl:
        if decl.name in kept or decl.name.startswith("_"):
            continue
        add(
            "ONEOF_NO_DELETE",
            f'Previously present oneof "{decl.name}" on message "{evo.name}" was deleted.',
            f'keep oneof "{decl.name}"',
            evo.new.locate(),
            f"#/{evo.name}/{decl.name}",
        )
