"""What a name that reaches generated Python may not be: one table, used by every generator.

Schemas name fields, enum symbols, classes and modules; each of those names lands in Python
source, where some names are keywords, some mean something to Python itself (dunders, the
``_sunder_`` names :mod:`enum` reserves, private-name mangling), some are used by the generated
code (the event contract, ``self``, the builtins its annotations use, the ``_h_`` prefix).
:data:`FORBIDDEN` lists, per role, the rules a name must pass; :func:`python_name` appends
underscores until the name passes them all (the wire name is kept), and :func:`module_part`
does the same for module path components. Rules are data: an id, what it protects, a test.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, Literal

#: Where a name lands: a dataclass/view field, an Enum member, a class, or a module component.
Role = Literal["field", "proto field", "member", "class", "module"]

#: Names a generated event class already uses for its contract.
CONTRACT_NAMES: Final = frozenset(
    {
        "encode",
        "decode",
        "to_dict",
        "from_dict",
        "SCHEMA_FORMAT",
        "FULL_NAME",
        "SCHEMA",
        "READER_SCHEMA",
        "FINGERPRINT",
        "BINDINGS",
        "MESSAGE_INDEXES",
        "REFERENCES",
    }
)
#: The Protobuf views' extra methods.
PROTO_METHODS: Final = frozenset({"to_proto", "from_proto"})
#: Names annotations and class bodies rely on; a field or class named like one would shadow it.
SHADOWED_NAMES: Final = frozenset(
    {"bool", "int", "float", "bytes", "str", "list", "dict", "None", "object", "ClassVar", "Any"}
)
#: Parameter names of the generated methods (``def __init__(self, *, ...)``, classmethods).
PARAMETER_NAMES: Final = frozenset({"self", "cls"})
#: Enum API a member would hide.
ENUM_API: Final = frozenset({"name", "value", "mro"})
#: Prefix of every name the generated code defines for itself (runtime aliases, helpers).
PRIVATE_PREFIX: Final = "_h_"
#: The module types without an Avro namespace go to.
DEFAULT_MODULE: Final = "_default"


def is_dunder(name: str) -> bool:
    """``__x__`` as Python (and :mod:`enum`) reads it: special to the interpreter."""
    return len(name) > 4 and name[:2] == name[-2:] == "__" and name[2] != "_" and name[-3] != "_"


def is_sunder(name: str) -> bool:
    """``_x_``: names :mod:`enum` reserves for itself (``_value_``, ``_missing_``, ...)."""
    return len(name) > 2 and name[0] == name[-1] == "_" and name[1] != "_" and name[-2] != "_"


def is_mangled(name: str) -> bool:
    """``__x`` inside a class body becomes ``_Class__x``, so the attribute would not be found."""
    return name.startswith("__") and not name.endswith("__")


@dataclass(frozen=True, slots=True)
class NameRule:
    """One thing a Python name may not be, and why."""

    rule: str
    purpose: str
    test: Callable[[str], bool]


_KEYWORD = NameRule("KEYWORD", "a Python keyword is not an identifier", keyword.iskeyword)
_DUNDER = NameRule("DUNDER", "special to Python (__init__, __dict__, ...)", is_dunder)
_MANGLED = NameRule("MANGLED", "private-name mangling would rename it", is_mangled)
_SUNDER = NameRule("SUNDER", "reserved by enum (_value_, _missing_, ...)", is_sunder)
#: The generated code's own names start with ``_h_`` and never end with ``_`` (the prefixes
#: such as ``_h_sym_`` are always followed by a name), so a trailing underscore frees one.
_PRIVATE = NameRule(
    "PRIVATE_PREFIX",
    "the generated code's own names",
    lambda n: n.startswith(PRIVATE_PREFIX) and not n.endswith("_"),
)
_CONTRACT = NameRule("CONTRACT", "the event contract", CONTRACT_NAMES.__contains__)
_PROTO = NameRule("PROTO_METHOD", "the Protobuf view's methods", PROTO_METHODS.__contains__)
_SHADOW = NameRule(
    "SHADOWS_ANNOTATION", "builtins the annotations use", SHADOWED_NAMES.__contains__
)
_PARAM = NameRule("PARAMETER", "parameters of the generated methods", PARAMETER_NAMES.__contains__)
_ENUM = NameRule("ENUM_API", "Enum's own attributes", ENUM_API.__contains__)
_BUILTIN_MODULE = NameRule(
    "DEFAULT_MODULE", "the module for types without a namespace", DEFAULT_MODULE.__eq__
)

#: Role -> every rule a name in that role must pass.
FORBIDDEN: Final[dict[str, tuple[NameRule, ...]]] = {
    "field": (_KEYWORD, _DUNDER, _MANGLED, _PRIVATE, _CONTRACT, _SHADOW, _PARAM),
    "proto field": (_KEYWORD, _DUNDER, _MANGLED, _PRIVATE, _CONTRACT, _PROTO, _SHADOW, _PARAM),
    "member": (_KEYWORD, _DUNDER, _MANGLED, _SUNDER, _PRIVATE, _ENUM),
    "class": (_KEYWORD, _DUNDER, _MANGLED, _PRIVATE, _SHADOW),
    "module": (_KEYWORD, _DUNDER, _MANGLED, _PRIVATE, _BUILTIN_MODULE),
}


def broken_rules(name: str, role: Role) -> list[str]:
    """The ids of the rules ``name`` breaks in ``role`` (empty when it may be used as is)."""
    return [r.rule for r in FORBIDDEN[role] if r.test(name)]


def allowed(name: str, role: Role) -> bool:
    """True when ``name`` may reach Python unchanged in ``role``."""
    return not any(r.test(name) for r in FORBIDDEN[role])


def python_name(wire: str, taken: set[str], role: Role = "field") -> str:
    """The Python name for a wire name: trailing underscores until no rule and no sibling objects.

    Appending ``_`` always converges: it ends a dunder or sunder (``__dict___``, ``_value__``),
    and turns a mangled ``__x`` into ``__x___`` after passing through the dunder ``__x__``.
    """
    name = wire
    for _ in range(len(taken) + 8):
        if allowed(name, role) and name not in taken:
            taken.add(name)
            return name
        name += "_"
    raise AssertionError(f"no Python name found for {wire!r} as a {role}")


def module_part(part: str) -> str:
    """A module path component for a namespace or folder component."""
    return python_name(part, set(), "module")
