"""What a lint rule is: a stable id, a purpose, a category, and one function over one file.

Rule functions yield :class:`Violation` values that say where (an Avro JSON pointer or a
Protobuf SourceCodeInfo path) and what; the runner turns them into findings carrying the
rule's id and the file:line:col the catalog's source maps give.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Final, Generic, Literal, TypeVar

from codegen.catalog import AvroFile, ProtoFile, SchemaFormat

F = TypeVar("F", AvroFile, ProtoFile)

#: Naming conventions shared by the Avro and Protobuf rules.
PASCAL_CASE: Final = re.compile(r"^[A-Z][A-Za-z0-9]*$")
SNAKE_CASE: Final = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
UPPER_SNAKE_CASE: Final = re.compile(r"^[A-Z][A-Z0-9]*(_[A-Z0-9]+)*$")


def to_snake(name: str) -> str:
    """``OrderPlaced`` -> ``order_placed``; used in hints and file-name checks."""
    return re.sub(r"(?<=[a-z0-9])([A-Z])|(?<=[A-Z])([A-Z])(?=[a-z])", r"_\1\2", name).lower()


def to_upper_snake(name: str) -> str:
    """``PaymentMethod`` -> ``PAYMENT_METHOD``; the Protobuf enum value prefix."""
    return to_snake(name).upper()


@dataclass(frozen=True, slots=True)
class Violation:
    """One place a rule is broken: where (pointer or source path), what, and how to fix it."""

    where: str | tuple[int, ...]
    message: str
    hint: str = ""
    #: The full name the violation is about.
    subject: str = ""
    #: For Protobuf: ``#/Message/field_number``; Avro uses the pointer itself.
    schema_path: str = ""


@dataclass(frozen=True, slots=True)
class LintRule(Generic[F]):
    """A lint rule as data: id, one-line purpose, category, format and its check."""

    id: str
    purpose: str
    category: str
    #: AVRO or PROTOBUF; BOTH for rules on the sidecar contracts of either.
    format: SchemaFormat | Literal["BOTH"]
    check: Callable[[F], Iterator[Violation]]
