"""Compatibility rules as data: a stable id, a one-line purpose, a category, one function each.

Each format module (:mod:`codegen.compat.avro`, :mod:`codegen.compat.protobuf`) declares its
rules with :func:`rule`; the decorator records them in :data:`RULES`, so the README, the tests
and ``herald diff`` all read one table. A rule function looks at one (previous, current) pair
and reports through a single ``add(...)`` call; it never raises for an incompatibility.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

Format = Literal["AVRO", "PROTOBUF"]

#: What a rule protects, so reports can group and readers can filter.
CATEGORIES: dict[str, str] = {
    "RESOLUTION": "Avro reader/writer schema resolution (Confluent / Apache Avro).",
    "WIRE": "Protobuf wire compatibility as Confluent Schema Registry checks it.",
    "STRICT": "Buf-style source compatibility, reported only with --strict.",
    "CATALOG": "A schema that existed before is gone.",
}


@dataclass(frozen=True, slots=True)
class Rule:
    """One compatibility rule: stable id (Confluent's error type), purpose and category."""

    id: str
    format: Format
    category: str
    purpose: str


#: Every rule by id; filled by :func:`rule` when the format modules are imported.
RULES: dict[str, Rule] = {}

F = TypeVar("F", bound=Callable[..., None])


def rule(rule_id: str, fmt: Format, category: str, purpose: str) -> Callable[[F], F]:
    """Declare a rule function under a stable id; ids are never renamed, only retired."""
    if category not in CATEGORIES:
        raise ValueError(f"unknown rule category {category!r} for {rule_id}")

    def register(func: F) -> F:
        if rule_id in RULES:
            raise ValueError(f"rule {rule_id} is declared twice")
        RULES[rule_id] = Rule(rule_id, fmt, category, purpose)
        func.rule_id = rule_id  # type: ignore[attr-defined]
        return func

    return register
