"""Protobuf rules that look at messages as a whole: a message of the previous schema is gone."""

from __future__ import annotations

from collections.abc import Callable

from codegen.compat.protobuf.context import Diff, local_name
from codegen.compat.protobuf_model import TypeInfo
from codegen.compat.rules import rule


@rule("MESSAGE_REMOVED", "PROTOBUF", "WIRE", "A message in the previous schema must still exist.")
def message_removed(diff: Diff, info: TypeInfo, add: Callable[..., None]) -> None:
    """Called for a message of the original that the update lacks (map entries excepted)."""
    if info.is_map:
        return
    name = local_name(info)
    if diff.original_is_new:
        message = (
            f'Message "{name}" exists only in the new schema; a FORWARD check treats a message '
            "the old schema lacks as removed."
        )
        hint = "add new messages in a schema of their own, or check at BACKWARD"
    else:
        message = f'Previously present message "{name}" was deleted.'
        hint = f'restore message "{name}"; mark it deprecated instead of deleting it'
    add("MESSAGE_REMOVED", message, hint, original=info.locate(), update=None)
