"""What the Avro specification requires of a schema, checked once when the catalog loads.

Every command (lint, diff, check, register, status, codegen) loads schemas through the
catalog, so a schema the specification forbids (a name outside the name rule, a negative fixed
size, repeated enum symbols, a default that does not fit its field) is refused the same way
everywhere: a parse error at ``file:line:col``, exit 2. A registry refuses them too (Avro's
``Schema.Parser`` validates names and defaults).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

#: The Avro name rule (specification 1.11, "Names").
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")

_INT = (-(2**31), 2**31 - 1)
_LONG = (-(2**63), 2**63 - 1)
#: Strings Avro's Java parser accepts as float and double defaults.
_FLOAT_WORDS = frozenset({"NaN", "Infinity", "-Infinity"})


def bad_name(name: str) -> str | None:
    """The first component of a dotted name that breaks the name rule, or None."""
    if not name:
        return None
    return next((part for part in name.split(".") if not NAME.match(part)), None)


def _integer(low: int, high: int) -> Callable[[Any], bool]:
    return lambda v: type(v) is int and low <= v <= high


#: Primitive -> does a JSON default fit it (the specification's "default values" table).
PRIMITIVE_DEFAULTS: dict[str, Callable[[Any], bool]] = {
    "null": lambda v: v is None,
    "boolean": lambda v: type(v) is bool,
    "int": _integer(*_INT),
    "long": _integer(*_LONG),
    "float": lambda v: type(v) in (int, float) or v in _FLOAT_WORDS,
    "double": lambda v: type(v) in (int, float) or v in _FLOAT_WORDS,
    "bytes": lambda v: type(v) is str,
    "string": lambda v: type(v) is str,
}


def default_problem(schema: Any, value: Any) -> str | None:
    """Why ``value`` is not a valid default for ``schema``, or None when it is (or when the
    type is a name defined elsewhere, which the registry checks with the reference)."""
    if isinstance(schema, list):
        if not schema:
            return None
        return default_problem(schema[0], value)  # a union's default is its first branch's
    if isinstance(schema, str):
        fits = PRIMITIVE_DEFAULTS.get(schema)
        if fits is None or fits(value):
            return None
        return f"{value!r} is not a valid {schema}"
    if not isinstance(schema, Mapping):
        return None
    kind = schema.get("type")
    if kind in PRIMITIVE_DEFAULTS:
        return default_problem(kind, value)
    if kind == "array":
        if not isinstance(value, list):
            return f"{value!r} is not an array"
        return next((p for v in value if (p := default_problem(schema.get("items"), v))), None)
    if kind == "map":
        if not isinstance(value, dict):
            return f"{value!r} is not a map (a JSON object)"
        values = schema.get("values")
        return next((p for v in value.values() if (p := default_problem(values, v))), None)
    if kind == "enum":
        symbols = schema.get("symbols") or []
        return None if value in symbols else f"{value!r} is not one of the symbols"
    if kind == "fixed":
        return None if type(value) is str else f"{value!r} is not a string of bytes"
    if kind in ("record", "error"):
        return None if isinstance(value, dict) else f"{value!r} is not a record (a JSON object)"
    return default_problem(kind, value) if isinstance(kind, list | Mapping) else None
