"""The offline compatibility engine: Confluent Schema Registry semantics, with reasons.

``compare(previous, current, level)`` answers what a registry would answer for registering
``current`` after ``previous`` (oldest..newest) at a compatibility level, and explains each
break as a :class:`~codegen.findings.Finding` (Confluent's error type as rule id, a location
in the new schema, a sentence and a fix hint). Avro goes through reader/writer resolution
(:mod:`codegen.compat.avro`), Protobuf through Confluent's diff (:mod:`codegen.compat.protobuf`).
An empty list means compatible. ``herald diff`` and ``herald check`` both call it.
"""

from codegen.compat.engine import LEVELS, SchemaSource, compare
from codegen.compat.rules import RULES, Rule

__all__ = ["LEVELS", "RULES", "Rule", "SchemaSource", "compare"]
