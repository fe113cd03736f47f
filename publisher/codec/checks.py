"""Validation for generated event classes: clear errors that name the class and the field.

Generated constructors test each field with an inline expression and call :func:`invalid`
only when it fails, so valid construction costs no function calls here. A required keyword left
out arrives as :data:`MISSING`, which no field check accepts, so the same failing branch reports
it; unknown keywords land in the constructor's ``**`` catch-all and :func:`unknown_arguments`
names them.
"""

from __future__ import annotations

import datetime as dt
import enum
import struct
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from google.protobuf.message import DecodeError

from publisher.errors import EventDecodeError

# Re-exported: generated from_dict lets this error through its one-pass path unchanged.
from publisher.errors import EventValidationError as EventValidationError  # noqa: PLC0414

E = TypeVar("E", bound=enum.IntEnum)

#: Python errors that mean "this value is not what the field needs" while converting.
CONVERSION_ERRORS = (
    TypeError,
    ValueError,
    KeyError,
    AttributeError,
    IndexError,
    OverflowError,
    struct.error,
)
#: Python errors that mean "these bytes are not a valid body" while decoding.
DECODE_ERRORS = (IndexError, ValueError, KeyError, OverflowError, struct.error)
#: Errors protobuf parsing raises for bytes that are not a valid message.
PROTO_DECODE_ERRORS = (DecodeError, *DECODE_ERRORS)


class _Missing:
    """The type of :data:`MISSING`: a value no schema type accepts."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


#: Default of a required constructor argument (and of a defaulted one built per instance), so a
#: missing keyword fails the field's own check instead of Python's bare TypeError.
MISSING: Any = _Missing()


def slot_setters(cls: type, names: tuple[str, ...]) -> tuple[Callable[[Any, Any], None], ...]:
    """The slots' own setters, in field order: a frozen dataclass's ``__setattr__`` refuses
    assignment, and ``object.__setattr__`` per field cost 0.05 µs more than these."""
    return tuple(vars(cls)[name].__set__ for name in names)


def unknown_arguments(
    cls_name: str, given: Mapping[str, Any], known: tuple[str, ...]
) -> EventValidationError:
    """The error for keywords a constructor does not take, listing the ones it does."""
    names = ", ".join(sorted(given))
    takes = f"takes: {', '.join(known)}" if known else "takes no arguments"
    return EventValidationError(cls_name, names, f"unknown keyword argument(s); {cls_name} {takes}")


def describe(value: object) -> str:
    """Short ``type value`` text for an error message, cut so huge values stay readable."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def invalid(cls_name: str, field: str, expected: str, value: object) -> EventValidationError:
    """The error for a field value that does not fit the schema type ``expected``."""
    if value is MISSING:
        return missing(cls_name, field)
    if isinstance(value, dt.datetime) and value.tzinfo is None and "aware" in expected:
        problem = f"expected {expected}, got a naive datetime {value.isoformat()}; add a tzinfo"
    else:
        problem = f"expected {expected}, got {describe(value)}"
    return EventValidationError(cls_name, field, problem)


def missing(cls_name: str, field: str) -> EventValidationError:
    """The error for a required field absent from a mapping or the constructor's keywords."""
    return EventValidationError(cls_name, field, "required field is missing")


def check_mapping(cls_name: str, mapping: object, known: frozenset[str]) -> Mapping[str, Any]:
    """Ensure ``from_dict`` got a mapping with only known wire names; return it typed."""
    if not isinstance(mapping, Mapping):
        raise EventValidationError(cls_name, "*", f"expected a mapping, got {describe(mapping)}")
    unknown = [key for key in mapping if key not in known]
    if unknown:
        names = ", ".join(sorted(map(str, unknown)))
        raise EventValidationError(
            cls_name, names, f"unknown field(s); the schema has: {', '.join(sorted(known))}"
        )
    return mapping


class converting:  # noqa: N801 - used as a function: ``with converting(cls, field):``
    """Turn a conversion failure inside ``from_dict`` into an error naming class and field.

    A plain class, not ``contextlib.contextmanager``: ``from_dict`` enters one per field, and a
    generator-based context manager cost about 1 µs each (measured: 16.6 µs against 6.5 µs to
    build the protoc message from the same record).
    """

    __slots__ = ("cls_name", "field")

    def __init__(self, cls_name: str, field: str) -> None:
        self.cls_name = cls_name
        self.field = field

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, exc: BaseException | None, trace: object) -> None:
        if exc is None or isinstance(exc, EventValidationError):
            return
        if isinstance(exc, CONVERSION_ERRORS):
            message = f"cannot convert: {exc}"
            raise EventValidationError(self.cls_name, self.field, message) from exc


def by_type(
    value: object,
    branches: tuple[tuple[Callable[[Any], bool], Callable[[Any], Any] | None], ...],
) -> Any:
    """Convert a union value with the first branch whose type test accepts it.

    Branches come in encode's order; a conversion that fails (a mapping that is not the record)
    passes to the next accepting branch, and a value no branch takes is returned for
    ``__post_init__`` to reject with the field's name.
    """
    for accepts, convert in branches:
        if accepts(value):
            if convert is None:
                return value
            try:
                return convert(value)
            except (EventValidationError, *CONVERSION_ERRORS):
                continue
    return value


def unencodable(cls_name: str, exc: Exception) -> EventValidationError:
    """The error for an instance whose fields were changed in place to values that don't fit."""
    return EventValidationError(cls_name, "*", f"cannot encode: {exc}")


def proto_enum(value: object, enum_cls: type[E], by_name: Mapping[str, E]) -> E:
    """A protobuf enum member from its wire name or its number."""
    if isinstance(value, enum_cls):
        return value
    if isinstance(value, str):
        try:
            return by_name[value]
        except KeyError:
            known = ", ".join(by_name)
            raise ValueError(f"{value!r} is not a value of {enum_cls.__name__} ({known})") from None
    if type(value) is int:
        return enum_cls(value)
    raise TypeError(f"expected a {enum_cls.__name__} name or number, got {describe(value)}")


def decode_error(cls_name: str, exc: Exception) -> EventDecodeError:
    """The error for bytes that are not a valid body of ``cls_name``."""
    return EventDecodeError(f"cannot decode {cls_name}: {exc}")


def trailing(cls_name: str, pos: int, size: int) -> EventDecodeError:
    """The error for bytes left over after a complete record."""
    if pos > size:
        return EventDecodeError(
            f"cannot decode {cls_name}: the body ends at byte {size}, inside a value that runs "
            f"to byte {pos}"
        )
    return EventDecodeError(
        f"cannot decode {cls_name}: {size - pos} trailing byte(s) after the record at byte {pos}"
    )
