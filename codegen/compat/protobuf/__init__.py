"""Protobuf compatibility: Confluent Schema Registry's diff, plus Buf-style strict rules.

The rules are grouped by what they look at, as Buf groups its breaking rules: files
(:mod:`.files`), messages (:mod:`.messages`), fields (:mod:`.fields`), oneofs (:mod:`.oneofs`)
and enums (:mod:`.enums`). :mod:`.walk` is Confluent's diff, which gives the registry's verdict
(:func:`check`); :mod:`.strict` adds the Buf-style rules of ``--strict`` (:func:`check_strict`).
"""

from codegen.compat.protobuf.context import WIRE_GROUPS
from codegen.compat.protobuf.strict import check_strict
from codegen.compat.protobuf.walk import check

__all__ = ["WIRE_GROUPS", "check", "check_strict"]
