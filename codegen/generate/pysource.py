"""Python source fragments for model types: annotations, checks, codecs, conversions.

Templates lay out modules and classes; the per-type code inside them (a straight-line Avro
encoder per record, its decoder, the validation expression of each field, the conversions of
``to_dict``/``from_dict``) is composed here from small tables keyed by Avro type, because it
nests (``list[dict[str, Item | None]]``) in ways a template cannot express readably. Every
literal that comes from a schema goes through :func:`py_literal` or :func:`docstring`, never
string pasting.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from codegen.generate.model import (
    ArrayType,
    AvroType,
    EnumRef,
    FieldDef,
    FixedType,
    GenerationError,
    Logical,
    MapType,
    PackageModel,
    Primitive,
    RecordRef,
    UnionType,
)

#: Runtime imports a generated module may need: key -> import statement.
IMPORTS: dict[str, str] = {
    "dc": "import dataclasses as _h_dc",
    "dt": "import datetime as _h_dt",
    "decimal": "import decimal as _h_decimal",
    "enum": "import enum as _h_enum",
    "uuid": "import uuid as _h_uuid",
    "Any": "from typing import Any as _h_Any",
    "Self": "from typing import Self as _h_Self",
    "Mapping": "from collections.abc import Mapping as _h_Mapping",
    "bin": "from publisher.codec import binary as _h_bin",
    "pw": "from publisher.codec import protowire as _h_pw",
    "log": "from publisher.codec import logical as _h_log",
    "chk": "from publisher.codec import checks as _h_chk",
    "typing": "import typing as _h_typing",
    "Binding": "from publisher.event import Binding as _h_Binding",
    "Event": "from publisher.event import Event as _h_Event",
}

#: Avro primitive -> Python annotation.
PRIMITIVE_ANNOTATIONS: dict[str, str] = {
    "null": "None",
    "boolean": "bool",
    "int": "int",
    "long": "int",
    "float": "float",
    "double": "float",
    "bytes": "bytes",
    "string": "str",
}
#: Logical type -> (Python annotation, runtime import it needs).
LOGICAL_ANNOTATIONS: dict[str, tuple[str, str]] = {
    "decimal": ("_h_decimal.Decimal", "decimal"),
    "date": ("_h_dt.date", "dt"),
    "time-millis": ("_h_dt.time", "dt"),
    "time-micros": ("_h_dt.time", "dt"),
    "timestamp-millis": ("_h_dt.datetime", "dt"),
    "timestamp-micros": ("_h_dt.datetime", "dt"),
    "local-timestamp-millis": ("_h_dt.datetime", "dt"),
    "local-timestamp-micros": ("_h_dt.datetime", "dt"),
    "uuid": ("_h_uuid.UUID", "uuid"),
}
#: Primitive -> validation expression over ``{v}``.
PRIMITIVE_CHECKS: dict[str, str] = {
    "null": "{v} is None",
    "boolean": "type({v}) is bool",
    "int": "type({v}) is int and -2147483648 <= {v} <= 2147483647",
    "long": "type({v}) is int and -9223372036854775808 <= {v} <= 9223372036854775807",
    "float": "type({v}) in (float, int) and _h_bin.fits_float({v})",
    "double": "type({v}) in (float, int)",
    "bytes": "type({v}) is bytes",
    "string": "type({v}) is str",
}
#: Logical type -> validation expression over ``{v}`` (decimal adds precision and scale).
LOGICAL_CHECKS: dict[str, str] = {
    "decimal": "isinstance({v}, _h_decimal.Decimal) and _h_log.decimal_fits({v}, {p}, {s})",
    "date": "type({v}) is _h_dt.date",
    "time-millis": "type({v}) is _h_dt.time",
    "time-micros": "type({v}) is _h_dt.time",
    "timestamp-millis": "isinstance({v}, _h_dt.datetime) and {v}.utcoffset() is not None",
    "timestamp-micros": "isinstance({v}, _h_dt.datetime) and {v}.utcoffset() is not None",
    "local-timestamp-millis": "isinstance({v}, _h_dt.datetime) and {v}.tzinfo is None",
    "local-timestamp-micros": "isinstance({v}, _h_dt.datetime) and {v}.tzinfo is None",
    "uuid": "isinstance({v}, _h_uuid.UUID)",
}
#: A long that takes one byte when small (0 to 63), else a call; ``{v}`` is evaluated once.
_SMALL_LONG = (
    "_h_l = {v}\n"
    "if 0 <= _h_l < 64:\n"
    "    out.append(_h_l << 1)\n"
    "else:\n"
    "    _h_bin.write_long(out, _h_l)"
)
#: Primitive -> encoder statement appending ``{v}`` to ``out``.
PRIMITIVE_WRITERS: dict[str, str] = {
    "null": "",
    "boolean": "out.append(1 if {v} else 0)",
    # Small non-negative values (counts, quantities, enum-like codes) are one byte: no call.
    "int": _SMALL_LONG,
    "long": _SMALL_LONG,
    "float": "out += _h_bin.pack_float({v})",
    "double": "out += _h_bin.pack_double({v})",
    "bytes": "_h_bin.write_bytes(out, {v})",
    # Inlined: a call per string costs more than the encoding of a short one.
    "string": "_h_b = {v}.encode()\n"
    "_h_l = len(_h_b)\n"
    "if _h_l < 64:\n"
    "    out.append(_h_l << 1)\n"
    "else:\n"
    "    _h_bin.write_long(out, _h_l)\n"
    "out += _h_b",
}
#: Logical type -> encoder statement (decimal over bytes; fixed decimals are handled apart).
LOGICAL_WRITERS: dict[str, str] = {
    "decimal": "_h_bin.write_bytes(out, _h_log.decimal_bytes({v}, {s}))",
    "date": "_h_bin.write_long(out, {v}.toordinal() - 719163)",
    "time-millis": "_h_bin.write_long(out, _h_log.time_millis({v}))",
    "time-micros": "_h_bin.write_long(out, _h_log.time_micros({v}))",
    "timestamp-millis": "_h_bin.write_long(out, _h_log.timestamp_millis({v}))",
    "timestamp-micros": "_h_bin.write_long(out, _h_log.timestamp_micros({v}))",
    "local-timestamp-millis": "_h_bin.write_long(out, _h_log.local_timestamp_millis({v}))",
    "local-timestamp-micros": "_h_bin.write_long(out, _h_log.local_timestamp_micros({v}))",
    "uuid": "_h_bin.write_string(out, str({v}))",
}
#: Primitive -> decoder statements reading ``{v}`` at ``pos``.
PRIMITIVE_READERS: dict[str, tuple[str, ...]] = {
    "null": ("{v} = None",),
    "boolean": ("{v} = data[pos] != 0", "pos += 1"),
    # Values and lengths below 64 fit one byte: read them inline, call the reader otherwise.
    "int": (
        "{v} = data[pos]",
        "if {v} < 128:",
        "    {v} = ({v} >> 1) ^ -({v} & 1)",
        "    pos += 1",
        "else:",
        "    {v}, pos = _h_bin.read_long(data, pos)",
    ),
    "long": (
        "{v} = data[pos]",
        "if {v} < 128:",
        "    {v} = ({v} >> 1) ^ -({v} & 1)",
        "    pos += 1",
        "else:",
        "    {v}, pos = _h_bin.read_long(data, pos)",
    ),
    "float": ("{v} = _h_bin.unpack_float(data, pos)[0]", "pos += 4"),
    "double": ("{v} = _h_bin.unpack_double(data, pos)[0]", "pos += 8"),
    "bytes": ("{v}, pos = _h_bin.read_bytes(data, pos)",),
    "string": (
        "_h_len = data[pos]",
        "if _h_len < 128 and not _h_len & 1:",
        "    _h_len = pos + 1 + (_h_len >> 1)",
        "    {v} = data[pos + 1 : _h_len].decode()",
        "    pos = _h_len",
        "else:",
        "    {v}, pos = _h_bin.read_string(data, pos)",
    ),
}
#: A non-negative count or index (union branch, enum symbol, block count) read at ``pos``.
SMALL_INDEX = (
    "{v} = data[pos]",
    "if {v} < 128 and not {v} & 1:",
    "    {v} >>= 1",
    "    pos += 1",
    "else:",
    "    {v}, pos = _h_bin.{reader}(data, pos)",
)
#: Logical type -> runtime function turning the decoded base value into the Python value.
LOGICAL_READERS: dict[str, str] = {
    "decimal": "_h_log.to_decimal({raw}, {p}, {s})",
    "date": "_h_log.to_date({raw})",
    "time-millis": "_h_log.to_time_millis({raw})",
    "time-micros": "_h_log.to_time_micros({raw})",
    "timestamp-millis": "_h_log.to_timestamp_millis({raw})",
    "timestamp-micros": "_h_log.to_timestamp_micros({raw})",
    "local-timestamp-millis": "_h_log.to_local_timestamp_millis({raw})",
    "local-timestamp-micros": "_h_log.to_local_timestamp_micros({raw})",
    "uuid": "_h_uuid.UUID({raw})",
}
#: Logical type -> words used in error messages.
LOGICAL_WORDS: dict[str, str] = {
    "decimal": "decimal.Decimal",
    "date": "datetime.date",
    "time-millis": "datetime.time",
    "time-micros": "datetime.time",
    "timestamp-millis": "timezone-aware datetime.datetime",
    "timestamp-micros": "timezone-aware datetime.datetime",
    "local-timestamp-millis": "naive datetime.datetime",
    "local-timestamp-micros": "naive datetime.datetime",
    "uuid": "uuid.UUID",
}


def py_literal(value: object) -> str:
    """A Python literal for a JSON-like value; ``repr`` escapes every string safely."""
    if value is None or isinstance(value, bool | int | float | str | bytes):
        if isinstance(value, float) and not math.isfinite(value):  # nan and inf have no literal
            return f'float("{value}")'
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(py_literal(v) for v in value) + "]"
    if isinstance(value, tuple):
        inner = ", ".join(py_literal(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, dict):
        items = ", ".join(f"{py_literal(k)}: {py_literal(v)}" for k, v in value.items())
        return "{" + items + "}"
    raise GenerationError(f"cannot write {type(value).__name__} {value!r} as a Python literal")


#: Single-comparison checks and their negations, so ``if not (...)`` never reads ``not (a is b)``.
_NEGATIONS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^(type\([\w.]+\)) is ([\w.]+)$"), r"\1 is not \2"),
    (re.compile(r"^(type\([\w.]+\)) in (\([\w., ]+\))$"), r"\1 not in \2"),
    (re.compile(r"^([\w.]+) is None$"), r"\1 is not None"),
    (re.compile(r"^isinstance\((.+)\)$"), r"not isinstance(\1)"),
)


def negate(expr: str) -> str:
    """The negation of a check expression, written the way linters expect."""
    if " and " not in expr and " or " not in expr:
        for pattern, replacement in _NEGATIONS:
            if pattern.match(expr):
                return pattern.sub(replacement, expr)
    return f"not ({expr})"


def docstring(text: str) -> str:
    """A triple-quoted docstring literal whose content cannot end the string or add code."""
    out = []
    for ch in text.strip():
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\n")
        elif ch == "\t":
            out.append("    ")
        elif not ch.isprintable():
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
    body = "".join(out) or " "
    return '"""' + body + ("\n" if "\n" in body else "") + '"""'


@dataclass
class ModuleContext:
    """What one generated module needs: its imports and the aliases of other modules."""

    package: PackageModel
    module: str
    is_package: Callable[[str], bool]
    uses: set[str] = field(default_factory=set)
    foreign: dict[str, str] = field(default_factory=dict)

    def need(self, key: str) -> None:
        """Record a runtime import the module uses."""
        self.uses.add(key)

    def ref(self, full_name: str) -> str:
        """The expression naming a record or enum class from this module."""
        pkg = self.package
        target = pkg.records.get(full_name) or pkg.enums.get(full_name)
        if target is None:
            raise GenerationError(f"type {full_name} is used but not defined in the catalog")
        module = pkg.module_of[full_name]
        if module == self.module:
            return target.py_name
        alias = "_h_m_" + module.replace(".", "_")
        self.foreign[module] = alias
        return f"{alias}.{target.py_name}"

    def import_lines(self, extra_relative: tuple[str, ...] = ()) -> list[str]:
        """Import statements in isort order (stdlib, runtime, relative; "" between sections).

        Ordered here rather than by a formatter pass, which would cost a second ruff run.
        """
        depth = len(self.module.split(".")) + (1 if self.is_package(self.module) else 0)
        relative = list(extra_relative)
        for module, alias in self.foreign.items():
            parent, _, last = module.rpartition(".")
            relative.append(f"from {'.' * depth}{parent} import {last} as {alias}")
        return sort_imports([IMPORTS[k] for k in IMPORTS if k in self.uses], relative)


def _import_key(line: str) -> tuple[int, int, str, int, str]:
    """isort's order: ``import x`` before ``from x``, by module, then names by type and name."""
    if line.startswith("import "):
        return (0, 0, line.split()[1], 0, "")
    _, module, _, name, *_ = line.split()
    dots = len(module) - len(module.lstrip("."))
    kind = 0 if name.isupper() and len(name) > 1 else 1 if name[:1].isupper() else 2
    return (1, -dots, module.lstrip("."), kind, name)


def sort_imports(absolute: list[str], relative: list[str]) -> list[str]:
    """Group and sort import lines as ruff's isort rule expects them."""
    stdlib = sorted((x for x in absolute if " publisher." not in x), key=_import_key)
    runtime = sorted((x for x in absolute if " publisher." in x), key=_import_key)
    sections = [sorted(group, key=_import_key) for group in (stdlib, runtime, relative) if group]
    lines: list[str] = []
    for section in sections:
        if lines:
            lines.append("")
        lines.extend(section)
    return lines


class Fragments:
    """Compose the Python code of one module's types."""

    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx
        self.counter = 0

    def fresh(self, prefix: str) -> str:
        """A local variable name not used before in this module (mypy types each once)."""
        self.counter += 1
        return f"_h_{prefix}{self.counter}"

    # -- annotations and descriptions ----------------------------------------------------
    def annotation(self, t: AvroType, param: bool = False) -> str:
        """The Python type annotation of an Avro type.

        As a parameter's (``param``), ``int | float`` is ``float``: the typing rules let a float
        parameter take an int, and linters ask for the short form there.
        """
        if isinstance(t, Primitive):
            return PRIMITIVE_ANNOTATIONS[t.name]
        if isinstance(t, Logical):
            text, key = LOGICAL_ANNOTATIONS[t.name]
            self.ctx.need(key)
            return text
        if isinstance(t, FixedType):
            return "bytes"
        if isinstance(t, RecordRef | EnumRef):
            return self.ctx.ref(t.full_name)
        if isinstance(t, ArrayType):
            return f"list[{self.annotation(t.items, param)}]"
        if isinstance(t, MapType):
            return f"dict[str, {self.annotation(t.values, param)}]"
        parts = [self.annotation(b, param) for b in t.branches if b != Primitive("null")]
        if param and "float" in parts:
            parts = [p for p in parts if p != "int"]
        if Primitive("null") in t.branches:
            parts.append("None")
        return " | ".join(dict.fromkeys(parts))

    def describe(self, t: AvroType) -> str:
        """The type in words for error messages, e.g. ``array<string>``."""
        if isinstance(t, Primitive):
            return f"{t.name} ({PRIMITIVE_ANNOTATIONS[t.name]})"
        if isinstance(t, Logical):
            extra = f"({t.precision},{t.scale})" if t.name == "decimal" else ""
            return f"{LOGICAL_WORDS[t.name]} [{t.name}{extra}]"
        if isinstance(t, FixedType):
            return f"bytes of length {t.size}"
        if isinstance(t, RecordRef | EnumRef):
            return t.full_name
        if isinstance(t, ArrayType):
            return f"array<{self.describe(t.items)}>"
        if isinstance(t, MapType):
            return f"map<{self.describe(t.values)}>"
        return " | ".join(self.describe(b) for b in t.branches)

    # -- validation ------------------------------------------------------------------------
    def check(self, t: AvroType, v: str, depth: int = 0) -> str:
        """A boolean expression that is True when ``v`` fits ``t``."""
        if isinstance(t, Primitive):
            if t.name == "float":
                self.ctx.need("bin")
            return PRIMITIVE_CHECKS[t.name].format(v=v)
        if isinstance(t, Logical):
            self.ctx.need(LOGICAL_ANNOTATIONS[t.name][1])
            if t.name == "decimal":
                self.ctx.need("log")
            return LOGICAL_CHECKS[t.name].format(v=v, p=t.precision, s=t.scale)
        if isinstance(t, FixedType):
            return f"type({v}) is bytes and len({v}) == {t.size}"
        if isinstance(t, RecordRef | EnumRef):
            return f"isinstance({v}, {self.ctx.ref(t.full_name)})"
        x = f"_h_x{depth}"
        if isinstance(t, ArrayType):
            inner = self.check(t.items, x, depth + 1)
            return f"type({v}) is list and all({inner} for {x} in {v})"
        if isinstance(t, MapType):
            k = f"_h_k{depth}"
            inner = self.check(t.values, x, depth + 1)
            pairs = f"for {k}, {x} in {v}.items()"
            return f"type({v}) is dict and all(type({k}) is str and {inner} {pairs})"
        named = [
            self.ctx.ref(b.full_name) for b in t.branches if isinstance(b, RecordRef | EnumRef)
        ]
        tests = [
            f"({self.check(b, v, depth)})"
            for b in t.branches
            if not isinstance(b, RecordRef | EnumRef)
        ]
        if len(named) == 1:
            tests.append(f"isinstance({v}, {named[0]})")
        elif named:
            tests.append(f"isinstance({v}, ({', '.join(named)}))")
        return " or ".join(tests)

    def check_lines(self, t: AvroType, v: str, fail: str, depth: int = 0) -> list[str]:
        """Statements running ``fail`` unless ``v`` fits ``t``.

        Arrays and maps are checked with plain loops: ``all()`` over a generator cost three
        times as much on a two-item list.
        """
        if isinstance(t, ArrayType):
            x = f"_h_x{depth}"
            inner = self.check_lines(t.items, x, fail, depth + 1)
            return [
                f"if type({v}) is not list:",
                f"    {fail}",
                f"for {x} in {v}:",
                *("    " + line for line in inner),
            ]
        if isinstance(t, MapType):
            k, x = f"_h_k{depth}", f"_h_x{depth}"
            inner = self.check_lines(t.values, x, fail, depth + 1)
            return [
                f"if type({v}) is not dict:",
                f"    {fail}",
                f"for {k}, {x} in {v}.items():",
                f"    if type({k}) is not str:",
                f"        {fail}",
                *("    " + line for line in inner),
            ]
        if _is_optional(t) and isinstance(_non_null(t), ArrayType | MapType):
            inner = self.check_lines(_non_null(t), v, fail, depth)
            return [f"if {v} is not None:", *("    " + line for line in inner)]
        return [f"if {negate(self.check(t, v, depth))}:", f"    {fail}"]

    # -- normalisation -----------------------------------------------------------------------
    def normalize(self, f: FieldDef, v: str) -> list[str]:
        """Statements reducing the constructor's local ``v`` to what the wire keeps.

        Avro millis types drop sub-millisecond digits and ``float`` keeps single precision
        (as with fastavro); doing it at construction keeps ``decode(obj.encode()) == obj`` true
        for ``datetime.now()`` and ``0.1``. Applies to direct and optional fields. Datetimes
        subtract a prebuilt timedelta (0.1 µs) instead of ``replace(microsecond=...)`` (1.5 µs).
        """
        t = f.type
        if _is_optional(t):
            t = _non_null(t)
        optional = t != f.type
        if t == Primitive("float"):
            self.ctx.need("bin")
            rounded = f"_h_bin.round_float({v})"
            guard = f"{v} is not None and {rounded} != {v}" if optional else f"{rounded} != {v}"
            return [f"if {guard}:", f"    {v} = {rounded}"]
        if not isinstance(t, Logical) or t.name not in _MILLIS_TYPES:
            return []
        guard = f"{v}.microsecond % 1000"
        if optional:
            guard = f"{v} is not None and {guard}"
        if t.name == "time-millis":  # a time has no arithmetic
            whole = f"{v}.replace(microsecond={v}.microsecond // 1000 * 1000)"
            return [f"if {guard}:", f"    {v} = {whole}"]
        self.ctx.need("log")
        return [f"if {guard}:", f"    {v} = {v} - _h_log.SUB_MILLI[{v}.microsecond % 1000]"]

    # -- encoding ----------------------------------------------------------------------------
    def encode(self, t: AvroType, v: str, depth: int = 0) -> list[str]:
        """Statements appending the Avro binary of ``v`` to ``out``."""
        if isinstance(t, Primitive):
            line = PRIMITIVE_WRITERS[t.name]
            if "_h_bin" in line:
                self.ctx.need("bin")
            return line.format(v=v).splitlines()
        if isinstance(t, Logical):
            self.ctx.need("bin")
            if t.name == "decimal" and t.base == "fixed":
                self.ctx.need("log")
                return [f"out += _h_log.decimal_fixed({v}, {t.scale}, {t.size})"]
            line = LOGICAL_WRITERS[t.name]
            if "_h_log" in line:
                self.ctx.need("log")
            return [line.format(v=v, s=t.scale)]
        if isinstance(t, FixedType):
            return [f"out += {v}"]
        if isinstance(t, RecordRef):
            return [f"{v}._h_enc(out)"]
        if isinstance(t, EnumRef):
            return [f"out += {self.enum_table(t.full_name)}[{v}._value_]"]
        x = self.fresh("x")
        if isinstance(t, ArrayType):
            self.ctx.need("bin")
            body = self.encode(t.items, x, depth + 1) or ["pass"]
            return [
                f"if {v}:",
                *("    " + line for line in _SMALL_LONG.format(v=f"len({v})").splitlines()),
                f"    for {x} in {v}:",
                *("        " + line for line in body),
                "out.append(0)",
            ]
        if isinstance(t, MapType):
            self.ctx.need("bin")
            k = self.fresh("k")
            body = self.encode(t.values, x, depth + 1)
            return [
                f"if {v}:",
                *("    " + line for line in _SMALL_LONG.format(v=f"len({v})").splitlines()),
                f"    for {k}, {x} in {v}.items():",
                *("        " + line for line in self.encode(Primitive("string"), k, depth + 1)),
                *("        " + line for line in body),
                "out.append(0)",
            ]
        return self.encode_union(t, v, depth)

    def encode_union(self, t: UnionType, v: str, depth: int) -> list[str]:
        """Branch on the value's Python type (most specific first); write index and value."""
        lines: list[str] = []
        order = sorted(range(len(t.branches)), key=lambda i: _union_rank(t.branches[i]))
        optional = len(t.branches) == 2 and Primitive("null") in t.branches
        for n, index in enumerate(order):
            branch = t.branches[index]
            test = f"{v} is None" if branch == Primitive("null") else self.check(branch, v, depth)
            if optional and n == 1:
                lines.append("else:")
            else:
                lines.append(f"{'if' if n == 0 else 'elif'} {test}:")
            if index < 64:
                lines.append(f"    out.append({index * 2})")
            else:
                self.ctx.need("bin")
                lines.append(f"    _h_bin.write_long(out, {index})")
            lines.extend("    " + line for line in self.encode(branch, v, depth + 1))
        if not optional:
            lines.append("else:")
            lines.append("    raise TypeError('the value fits no branch of the union')")
        return lines

    def enum_table(self, full_name: str, table: str = "_h_idx_") -> str:
        """A module-level table of an enum: ``_h_idx_X`` (symbol -> index bytes) or
        ``_h_sym_X`` (index -> member)."""
        ref = self.ctx.ref(full_name)
        if "." in ref:
            alias, name = ref.rsplit(".", 1)
            return f"{alias}.{table}{name}"
        return f"{table}{ref}"

    # -- decoding ----------------------------------------------------------------------------
    def decode(self, t: AvroType, v: str, depth: int = 0) -> list[str]:
        """Statements reading one value of ``t`` at ``pos`` into the variable ``v``."""
        if isinstance(t, Primitive):
            if t.name != "null":
                self.ctx.need("bin")
            return [line.format(v=v) for line in PRIMITIVE_READERS[t.name]]
        if isinstance(t, Logical):
            self.ctx.need("bin")
            self.ctx.need("log" if t.name != "uuid" else "uuid")
            raw = self.fresh("r")
            if t.name == "decimal" and t.base == "fixed":
                read = [f"{raw}, pos = _h_bin.read_fixed(data, pos, {t.size})"]
            else:
                read = [line.format(v=raw) for line in PRIMITIVE_READERS[t.base]]
            conv = LOGICAL_READERS[t.name].format(raw=raw, p=t.precision, s=t.scale)
            return [*read, f"{v} = {conv}"]
        if isinstance(t, FixedType):
            self.ctx.need("bin")
            return [f"{v}, pos = _h_bin.read_fixed(data, pos, {t.size})"]
        if isinstance(t, RecordRef):
            return [f"{v}, pos = {self.ctx.ref(t.full_name)}._h_read(data, pos)"]
        if isinstance(t, EnumRef):
            self.ctx.need("bin")
            table = self.enum_table(t.full_name, "_h_sym_")
            i = self.fresh("i")
            return [*_small_index(i, "read_index"), f"{v} = {table}[{i}]"]
        x = self.fresh("x")
        n = self.fresh("n")
        if isinstance(t, ArrayType):
            self.ctx.need("bin")
            acc = self.fresh("a")
            return [
                f"{acc}: {self.annotation(t)} = []",
                "while True:",
                *("    " + line for line in _small_index(n, "read_block_count")),
                f"    if not {n}:",
                "        break",
                f"    for _ in range({n}):",
                *("        " + line for line in self.decode(t.items, x, depth + 1)),
                f"        {acc}.append({x})",
                f"{v} = {acc}",
            ]
        if isinstance(t, MapType):
            self.ctx.need("bin")
            k = self.fresh("k")
            acc = self.fresh("a")
            return [
                f"{acc}: {self.annotation(t)} = {{}}",
                "while True:",
                *("    " + line for line in _small_index(n, "read_block_count")),
                f"    if not {n}:",
                "        break",
                f"    for _ in range({n}):",
                f"        {k}, pos = _h_bin.read_string(data, pos)",
                *("        " + line for line in self.decode(t.values, x, depth + 1)),
                f"        {acc}[{k}] = {x}",
                f"{v} = {acc}",
            ]
        self.ctx.need("bin")
        u = self.fresh("u")
        lines = [f"{v}: {self.annotation(t)}", *_small_index(u, "read_index")]
        # Branches read the same way (int and long) share one test, as ruff's SIM114 asks.
        bodies: dict[tuple[str, ...], list[int]] = {}
        for index, branch in enumerate(t.branches):
            bodies.setdefault(tuple(self.decode(branch, v, depth + 1)), []).append(index)
        for count, (body, indexes) in enumerate(bodies.items()):
            test = " or ".join(f"{u} == {i}" for i in indexes)
            lines.append(f"{'if' if count == 0 else 'elif'} {test}:")
            lines.extend("    " + line for line in body)
        lines.append("else:")
        lines.append(f"    raise ValueError(f'union index {{{u}}} is out of range')")
        return lines

    # -- plain values --------------------------------------------------------------------------
    def to_plain(self, t: AvroType, v: str, depth: int = 0) -> str:
        """An expression giving ``v`` as plain values (records as dicts, enums as symbols)."""
        if isinstance(t, RecordRef):
            return f"{v}.to_dict()"
        if isinstance(t, EnumRef):
            return f"{v}.value"
        x = f"_h_x{depth}"
        if isinstance(t, ArrayType):
            inner = self.to_plain(t.items, x, depth + 1)
            return f"list({v})" if inner == x else f"[{inner} for {x} in {v}]"
        if isinstance(t, MapType):
            k = f"_h_k{depth}"
            inner = self.to_plain(t.values, x, depth + 1)
            return f"dict({v})" if inner == x else f"{{{k}: {inner} for {k}, {x} in {v}.items()}}"
        if isinstance(t, UnionType):
            parts = [(b, self.to_plain(b, v, depth)) for b in t.branches if b != Primitive("null")]
            if all(expr == v for _, expr in parts):
                return v
            expr = v
            for branch, conv in reversed(parts):
                if conv != v:
                    expr = f"({conv} if {self.check(branch, v, depth)} else {expr})"
            return expr
        return v

    def from_plain(self, t: AvroType, v: str, depth: int = 0) -> str:
        """An expression building the typed value of ``t`` from the plain value ``v``."""
        if isinstance(t, RecordRef):
            ref = self.ctx.ref(t.full_name)
            return f"({v} if isinstance({v}, {ref}) else {ref}.from_dict({v}))"
        if isinstance(t, EnumRef):
            return f"{self.ctx.ref(t.full_name)}({v})"
        x = f"_h_x{depth}"
        if isinstance(t, ArrayType):
            inner = self.from_plain(t.items, x, depth + 1)
            return f"list({v})" if inner == x else f"[{inner} for {x} in {v}]"
        if isinstance(t, MapType):
            k = f"_h_k{depth}"
            inner = self.from_plain(t.values, x, depth + 1)
            return f"dict({v})" if inner == x else f"{{{k}: {inner} for {k}, {x} in {v}.items()}}"
        if isinstance(t, UnionType):
            return self.from_plain_union(t, v, depth)
        return v

    def from_plain_union(self, t: UnionType, v: str, depth: int) -> str:
        """Pick the branch by the plain value's Python type, in encode's order, then convert.

        Trying each conversion in turn would let ``list()`` turn a map into its keys; a type
        test first keeps a dict out of an array branch and a non-symbol string out of an enum.
        """
        x = f"_h_x{depth}"
        branches = [b for b in t.branches if b != Primitive("null")]
        if len(branches) == 1:
            # One conversion only: converting the branch twice doubled the work per level.
            conv = self.from_plain(branches[0], v, depth)
            return v if conv == v else f"(None if {v} is None else {conv})"
        convs = [self.from_plain(b, x, depth + 1) for b in branches]
        if all(c == x for c in convs):
            return v
        self.ctx.need("chk")
        has_map = any(isinstance(b, MapType) for b in branches)
        order = sorted(range(len(branches)), key=lambda i: _union_rank(branches[i]))
        choices = []
        for i in order:
            accepts = self.accepts_plain(branches[i], x, depth + 1, has_map)
            convert = "None" if convs[i] == x else f"lambda {x}: {convs[i]}"
            choices.append(f"(lambda {x}: {accepts}, {convert})")
        return f"(None if {v} is None else _h_chk.by_type({v}, ({', '.join(choices)},)))"

    def accepts_plain(self, t: AvroType, x: str, depth: int, has_map: bool) -> str:
        """A type test for a plain (``to_dict``-shaped) value of a union branch."""
        if isinstance(t, RecordRef):
            ref = self.ctx.ref(t.full_name)
            if has_map:
                # Beside a map, a mapping is this record only when it names every field.
                wire = self.enum_table(t.full_name, "_h_wire_")
                return (
                    f"isinstance({x}, {ref}) or "
                    f"(isinstance({x}, _h_Mapping) and {x}.keys() >= {wire})"
                )
            return f"isinstance({x}, ({ref}, _h_Mapping))"
        if isinstance(t, EnumRef):
            ref = self.ctx.ref(t.full_name)
            table = self.enum_table(t.full_name)
            return f"isinstance({x}, {ref}) or (type({x}) is str and {x} in {table})"
        if isinstance(t, ArrayType):
            return f"isinstance({x}, (list, tuple))"
        if isinstance(t, MapType):
            return f"isinstance({x}, _h_Mapping)"
        return self.check(t, x, depth)

    # -- defaults --------------------------------------------------------------------------
    def default(self, f: FieldDef) -> str:
        """The dataclass default of a field: ``= value`` or ``= field(default_factory=...)``."""
        expr, per_instance = self.default_parts(f)
        if per_instance:
            self.ctx.need("dc")
            factory = {"[]": "list", "{}": "dict"}.get(expr, f"lambda: {expr}")
            return f" = _h_dc.field(default_factory={factory})"
        return f" = {expr}"

    def default_parts(self, f: FieldDef) -> tuple[str, bool]:
        """A field default's expression, and whether it is built per instance.

        Calls, mutable values and other modules' names (which may still be importing when
        namespaces refer to each other) are evaluated per instance, not at import time.
        """
        t = f.type
        if isinstance(t, UnionType):
            t = t.branches[0]  # Avro: a union's default belongs to its first branch
        expr = self.default_value(t, f.default, f)
        per_instance = (
            isinstance(t, ArrayType | MapType | RecordRef) or "(" in expr or "_h_m_" in expr
        )
        return expr, per_instance

    def default_value(self, t: AvroType, value: Any, f: FieldDef) -> str:
        """The Python expression of a JSON default; a mismatch names the field and type."""
        try:
            return self._default_value(t, value)
        except (TypeError, ValueError, KeyError, OverflowError, decimal.InvalidOperation) as exc:
            raise GenerationError(
                f"field {f.wire_name!r}: default {value!r} does not fit {self.describe(t)}: {exc}"
            ) from None

    def _default_value(self, t: AvroType, value: Any) -> str:
        if isinstance(t, Primitive):
            return py_literal(_PRIMITIVE_DEFAULTS[t.name](value))
        if isinstance(t, FixedType):
            raw = _json_bytes(value)
            if len(raw) != t.size:
                raise ValueError(f"needs {t.size} bytes")
            return py_literal(raw)
        if isinstance(t, EnumRef):
            enum = self.ctx.package.enums[t.full_name]
            members = dict(enum.symbols)
            return f"{self.ctx.ref(t.full_name)}.{members[value]}"
        if isinstance(t, RecordRef):
            return f"{self.ctx.ref(t.full_name)}.from_dict({py_literal(value)})"
        if isinstance(t, ArrayType):
            return "[" + ", ".join(self._default_value(t.items, x) for x in value) + "]"
        if isinstance(t, MapType):
            items = (
                f"{py_literal(str(k))}: {self._default_value(t.values, x)}"
                for k, x in value.items()
            )
            return "{" + ", ".join(items) + "}"
        if isinstance(t, Logical):
            return self._logical_default(t, value)
        return self._default_value(t.branches[0], value)

    def _logical_default(self, t: Logical, value: Any) -> str:
        self.ctx.need(LOGICAL_ANNOTATIONS[t.name][1])
        if t.name == "decimal":
            unscaled = int.from_bytes(_json_bytes(value), "big", signed=True)
            number = decimal.Decimal(unscaled).scaleb(-t.scale)
            return f"_h_decimal.Decimal({str(number)!r})"
        if t.name == "uuid":
            return f"_h_uuid.UUID({str(uuid.UUID(value))!r})"
        if t.name == "date":
            day = dt.date(1970, 1, 1) + dt.timedelta(days=int(value))
            return f"_h_dt.date({day.year}, {day.month}, {day.day})"
        if t.name.startswith("time-"):
            micros = int(value) * (1000 if t.name == "time-millis" else 1)
            if not 0 <= micros < _MICROS_PER_DAY:
                raise ValueError("a time of day is from 0 to 24 hours after midnight")
            s, us = divmod(micros, 1_000_000)
            return f"_h_dt.time({s // 3600}, {s // 60 % 60}, {s % 60}, {us})"
        micros = int(value) * (1000 if t.name.endswith("millis") else 1)
        stamp = dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=micros)
        tz = "" if t.name.startswith("local-") else ", tzinfo=_h_dt.UTC"
        return (
            f"_h_dt.datetime({stamp.year}, {stamp.month}, {stamp.day}, {stamp.hour}, "
            f"{stamp.minute}, {stamp.second}, {stamp.microsecond}{tz})"
        )


_MICROS_PER_DAY = 86_400_000_000


def _require(value: Any, *types: type) -> Any:
    if not isinstance(value, types) or (bool not in types and isinstance(value, bool)):
        raise TypeError(f"expected {' or '.join(t.__name__ for t in types)}")
    return value


def _require_int(value: Any) -> int:
    return int(_require(value, int))


def _require_none(value: Any) -> None:
    if value is not None:
        raise TypeError("expected null")


def _json_bytes(value: Any) -> bytes:
    """Avro writes bytes defaults as strings of code points 0-255 (ISO-8859-1)."""
    return str(_require(value, str)).encode("latin-1")


def _small_index(v: str, reader: str) -> list[str]:
    """Statements reading a count or index into ``v``: one byte inline, else ``reader``."""
    return [line.format(v=v, reader=reader) for line in SMALL_INDEX]


def _union_rank(branch: AvroType) -> int:
    """Test more specific Python types first: None, bool, int, then others, floats last."""
    return _UNION_RANKS.get(branch.name, 3) if isinstance(branch, Primitive) else 3


_UNION_RANKS: dict[str, int] = {
    "null": 0,
    "boolean": 1,
    "int": 2,
    "long": 2,
    "float": 4,
    "double": 4,
}


#: Logical types whose wire form keeps milliseconds only.
_MILLIS_TYPES = frozenset({"time-millis", "timestamp-millis", "local-timestamp-millis"})


def _is_optional(t: AvroType) -> TypeGuard[UnionType]:
    """True for ``["null", T]`` (either order)."""
    return isinstance(t, UnionType) and len(t.branches) == 2 and Primitive("null") in t.branches


def _non_null(t: UnionType) -> AvroType:
    """The one non-null branch of an optional union."""
    return next(b for b in t.branches if b != Primitive("null"))


#: Primitive -> coercion of a JSON default to the Python value.
_PRIMITIVE_DEFAULTS: dict[str, Callable[[Any], object]] = {
    "null": _require_none,
    "boolean": lambda v: _require(v, bool),
    "int": _require_int,
    "long": _require_int,
    "float": lambda v: float(_require(v, int, float)),
    "double": lambda v: float(_require(v, int, float)),
    "bytes": _json_bytes,
    "string": lambda v: _require(v, str),
}
