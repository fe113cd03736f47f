"""Protobuf: protoc's ``_pb2`` modules plus typed bindings with the same contract as Avro.

:func:`protoc_outputs` runs protoc (grpcio-tools) for ``_pb2.py`` and ``.pyi`` and rewrites
protoc's absolute imports of catalog files into relative ones, so the generated package is
importable wherever it sits. :func:`build_proto_modules` models every message (nested ones
too; map entries are dicts) and enum from the catalog's descriptors, and
:func:`render_proto_modules` renders one binding module per .proto file: per message, a typed
read-only view over its ``_pb2`` message (the constructor checks values and builds the message,
properties read it, protobuf's runtime encodes and decodes it).
"""

from __future__ import annotations

import keyword
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jinja2
from google.protobuf.descriptor_pb2 import DescriptorProto, FieldDescriptorProto

from codegen.catalog import Catalog, ProtoFile, file_text
from codegen.catalog.protobuf import SCALAR_TYPE_NAMES, well_known_dir
from codegen.generate.avro import source_of
from codegen.generate.model import (
    GenerationError,
    PackageModel,
    ProtoEnumDef,
    ProtoFieldDef,
    ProtoMessageDef,
    ProtoModuleDef,
    ProtoValue,
)
from codegen.generate.names import broken_rules, python_name
from codegen.generate.pysource import ModuleContext, docstring, negate, py_literal
from publisher.event import Binding

_F = FieldDescriptorProto
_I32 = "type({v}) is int and -2147483648 <= {v} <= 2147483647"
_U32 = "type({v}) is int and 0 <= {v} <= 4294967295"
_I64 = "type({v}) is int and -9223372036854775808 <= {v} <= 9223372036854775807"
_U64 = "type({v}) is int and 0 <= {v} <= 18446744073709551615"
_FLOAT = "type({v}) in (float, int)"
#: Scalar or native kind -> (annotation, check over ``{v}``, zero value, runtime import).
KINDS: dict[str, tuple[str, str, str, str]] = {
    "double": ("float", _FLOAT, "0.0", ""),
    "float": ("float", _FLOAT + " and _h_bin.fits_float({v})", "0.0", "bin"),
    "int32": ("int", _I32, "0", ""),
    "sint32": ("int", _I32, "0", ""),
    "sfixed32": ("int", _I32, "0", ""),
    "uint32": ("int", _U32, "0", ""),
    "fixed32": ("int", _U32, "0", ""),
    "int64": ("int", _I64, "0", ""),
    "sint64": ("int", _I64, "0", ""),
    "sfixed64": ("int", _I64, "0", ""),
    "uint64": ("int", _U64, "0", ""),
    "fixed64": ("int", _U64, "0", ""),
    "bool": ("bool", "type({v}) is bool", "False", ""),
    "string": ("str", "type({v}) is str", '""', ""),
    "bytes": ("bytes", "type({v}) is bytes", 'b""', ""),
    "timestamp": (
        "_h_dt.datetime",
        "isinstance({v}, _h_dt.datetime) and {v}.utcoffset() is not None",
        "",
        "dt",
    ),
    "duration": ("_h_dt.timedelta", "isinstance({v}, _h_dt.timedelta)", "", "dt"),
}
#: Well-known message types with a native Python form.
WELL_KNOWN: dict[str, str] = {
    "google.protobuf.Timestamp": "timestamp",
    "google.protobuf.Duration": "duration",
}
#: Native kinds in error messages.
_NATIVE_WORDS: dict[str, str] = {
    "timestamp": "timezone-aware datetime.datetime [google.protobuf.Timestamp]",
    "duration": "datetime.timedelta [google.protobuf.Duration]",
}
#: How a native kind is read back from its _pb2 message (protobuf's ToDatetime/ToTimedelta).
WELL_KNOWN_READERS: dict[str, str] = {
    "timestamp": "_h_pw.timestamp_datetime({m})",
    "duration": "_h_pw.duration_timedelta({m})",
}
#: DescriptorProto field numbers in SourceCodeInfo paths.
_MESSAGE_FIELD = 2
_MESSAGE_NESTED = 3
_MESSAGE_ENUM = 4
_FILE_ENUM = 5
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def pb_attr(wire_name: str, m: str) -> str:
    """The expression reading field ``wire_name`` of protobuf message ``m``."""
    if keyword.iskeyword(wire_name) or not _IDENT.match(wire_name):
        return f"getattr({m}, {py_literal(wire_name)})"
    return f"{m}.{wire_name}"


def closures(package: PackageModel) -> tuple[frozenset[str], frozenset[str]]:
    """Messages that contain (directly or through message fields) a map, and an enum."""
    messages = {m.full_name: m for module in package.proto_modules for m in module.messages}

    def grow(seed: set[str]) -> frozenset[str]:
        found = set(seed)
        changed = True
        while changed:
            changed = False
            for name, msg in messages.items():
                if name not in found and any(
                    f.value.kind == "message" and f.value.ref in found for f in msg.fields
                ):
                    found.add(name)
                    changed = True
        return frozenset(found)

    maps = {n for n, m in messages.items() if any(f.map_key is not None for f in m.fields)}
    enums = {n for n, m in messages.items() if any(f.value.kind == "enum" for f in m.fields)}
    return grow(maps), grow(enums)


def module_for(import_path: str) -> tuple[str, str]:
    """(binding module, _pb2 module) dotted paths for a .proto import path."""
    stem = import_path.removesuffix(".proto")
    parts = stem.split("/")
    for part in parts:
        if not _IDENT.match(part):
            raise GenerationError(
                f"{import_path}: path component {part!r} is not a Python identifier, so the "
                "generated module cannot be imported; rename the folder or file"
            )
        broken = broken_rules(part, "module")
        if broken:
            raise GenerationError(
                f"{import_path}: path component {part!r} cannot be a Python module name "
                f"({', '.join(broken)}); rename the folder or file"
            )
    return ".".join(parts), ".".join(parts) + "_pb2"


class _ProtoBuilder:
    """Model the messages and enums of one catalog's .proto files."""

    def __init__(self, catalog: Catalog, bindings: Mapping[str, tuple[Binding, ...]]) -> None:
        self.catalog = catalog
        self.bindings = bindings
        self.names: dict[str, tuple[str, str]] = {}
        self.map_entries: dict[str, DescriptorProto] = {}

    def comments(self, proto: ProtoFile) -> dict[tuple[int, ...], str]:
        return {
            tuple(loc.path): loc.leading_comments.strip()
            for loc in proto.descriptor.source_code_info.location
            if loc.leading_comments.strip()
        }

    def index_names(self, proto: ProtoFile, module: str) -> None:
        prefix = f"{proto.package}." if proto.package else ""

        def visit_enums(enums: Any, scope: str, py_scope: str) -> None:
            for enum in enums:
                self.names[f"{scope}{enum.name}"] = (
                    module,
                    python_name(py_scope + enum.name, set(), "class"),
                )

        visit_enums(proto.descriptor.enum_type, prefix, "")
        for msg in proto.messages:
            py = msg.full_name.removeprefix(prefix).replace(".", "")
            if msg.map_entry:
                self.map_entries[msg.full_name] = msg.descriptor
                continue
            self.names[msg.full_name] = (module, python_name(py, set(), "class"))
            visit_enums(msg.descriptor.enum_type, f"{msg.full_name}.", py)

    def value(self, fld: FieldDescriptorProto, where: str) -> ProtoValue:
        if fld.type in SCALAR_TYPE_NAMES:
            return ProtoValue(SCALAR_TYPE_NAMES[fld.type])
        ref = fld.type_name.lstrip(".")
        if fld.type == _F.TYPE_ENUM:
            return ProtoValue("enum", ref)
        if fld.type != _F.TYPE_MESSAGE:
            raise GenerationError(f"{where}: field type {fld.type} (groups) is not supported")
        if ref in WELL_KNOWN:
            return ProtoValue(WELL_KNOWN[ref])
        if ref.startswith("google.protobuf."):
            supported = ", ".join(WELL_KNOWN)
            raise GenerationError(
                f"{where}: well-known type {ref} has no typed binding yet (supported: "
                f"{supported}); use a message of your own"
            )
        return ProtoValue("message", ref)

    def message(
        self,
        proto: ProtoFile,
        *,
        full_name: str,
        descriptor: DescriptorProto,
        path: tuple[int, ...],
        indexes: tuple[int, ...],
        docs: Mapping[tuple[int, ...], str],
    ) -> ProtoMessageDef:
        where = f"{proto.display_path} ({full_name})"
        taken: set[str] = set()
        fields: list[ProtoFieldDef] = []
        oneof_members: dict[str, list[str]] = {}
        for index, fld in enumerate(descriptor.field):
            py = python_name(fld.name, taken, "proto field")
            repeated = fld.label == _F.LABEL_REPEATED
            entry = self.map_entries.get(fld.type_name.lstrip("."))
            in_oneof = fld.HasField("oneof_index") and not fld.proto3_optional
            oneof = descriptor.oneof_decl[fld.oneof_index].name if in_oneof else None
            if oneof is not None:
                oneof_members.setdefault(oneof, []).append(py)
            if entry is not None and repeated:
                key, val = entry.field[0], entry.field[1]
                fdef = ProtoFieldDef(
                    fld.name,
                    py,
                    fld.number,
                    self.value(val, where),
                    map_key=self.value(key, where),
                    doc=docs.get((*path, _MESSAGE_FIELD, index)),
                )
            else:
                value = self.value(fld, where)
                optional = not repeated and (
                    fld.proto3_optional
                    or in_oneof
                    or value.kind in ("message", *WELL_KNOWN_READERS)
                )
                fdef = ProtoFieldDef(
                    fld.name,
                    py,
                    fld.number,
                    value,
                    repeated=repeated,
                    optional=optional,
                    oneof=oneof,
                    doc=docs.get((*path, _MESSAGE_FIELD, index)),
                )
            fields.append(fdef)
        prefix = f"{proto.package}." if proto.package else ""
        return ProtoMessageDef(
            full_name=full_name,
            py_name=self.names[full_name][1],
            pb2_path=full_name.removeprefix(prefix),
            fields=tuple(fields),
            oneofs=tuple((name, tuple(members)) for name, members in oneof_members.items()),
            schema_text=file_text(proto),
            message_indexes=indexes,
            references=tuple((ip, ip) for ip in proto.imports),
            bindings=self.bindings.get(full_name, ()),
            doc=docs.get(path),
        )

    def module(self, proto: ProtoFile) -> ProtoModuleDef:
        module, pb2 = module_for(proto.import_path)
        docs = self.comments(proto)
        messages = tuple(
            self.message(
                proto,
                full_name=m.full_name,
                descriptor=m.descriptor,
                path=m.source_path,
                indexes=m.indexes,
                docs=docs,
            )
            for m in proto.messages
            if not m.map_entry
        )
        enums: list[ProtoEnumDef] = []
        prefix = f"{proto.package}." if proto.package else ""
        for index, enum in enumerate(proto.descriptor.enum_type):
            enums.append(self.enum(f"{prefix}{enum.name}", enum, docs.get((_FILE_ENUM, index))))
        for m in proto.messages:
            for index, enum in enumerate(m.descriptor.enum_type):
                doc = docs.get((*m.source_path, _MESSAGE_ENUM, index))
                enums.append(self.enum(f"{m.full_name}.{enum.name}", enum, doc))
        return ProtoModuleDef(
            import_path=proto.import_path,
            module=module,
            pb2_module=pb2,
            messages=messages,
            enums=tuple(enums),
            source=source_of(proto.path, proto.root),
        )

    def enum(self, full_name: str, enum: Any, doc: str | None) -> ProtoEnumDef:
        taken: set[str] = set()
        values = tuple((v.name, python_name(v.name, taken, "member"), v.number) for v in enum.value)
        return ProtoEnumDef(full_name, self.names[full_name][1], values, doc)


def build_proto_modules(
    catalog: Catalog, bindings: Mapping[str, tuple[Binding, ...]]
) -> tuple[tuple[ProtoModuleDef, ...], dict[str, tuple[str, str]]]:
    """Model every catalog .proto file; also return full name -> (module, class name)."""
    builder = _ProtoBuilder(catalog, bindings)
    for proto in catalog.proto_files:
        builder.index_names(proto, module_for(proto.import_path)[0])
    modules = tuple(
        builder.module(p) for p in sorted(catalog.proto_files, key=lambda p: p.import_path)
    )
    return modules, builder.names


# ------------------------------------------------------------------------------- rendering


class _ProtoFragments:
    """Python fragments for protobuf fields inside one binding module."""

    def __init__(self, ctx: ModuleContext) -> None:
        self.ctx = ctx

    def ref(self, full_name: str) -> str:
        """The expression naming a binding class or enum, importing its module if foreign."""
        module, name = self.ctx.package.proto_names[full_name]
        if module == self.ctx.module:
            return name
        alias = "_h_m_" + module.replace(".", "_")
        self.ctx.foreign[module] = alias
        return f"{alias}.{name}"

    def table(self, full_name: str, table: str) -> str:
        ref = self.ref(full_name)
        alias, _, name = ref.rpartition(".")
        return f"{alias}.{table}{name}" if alias else f"{table}{name}"

    def value_annotation(self, value: ProtoValue) -> str:
        if value.kind in ("enum", "message"):
            return self.ref(value.ref)
        annotation, _, _, need = KINDS[value.kind]
        if need:
            self.ctx.need(need)
        return annotation

    def annotation(self, f: ProtoFieldDef) -> str:
        inner = self.value_annotation(f.value)
        if f.map_key is not None:
            return f"dict[{self.value_annotation(f.map_key)}, {inner}]"
        if f.repeated:
            return f"list[{inner}]"
        return f"{inner} | None" if f.optional else inner

    def value_check(self, value: ProtoValue, v: str) -> str:
        if value.kind in ("enum", "message"):
            return f"isinstance({v}, {self.ref(value.ref)})"
        _, check, _, need = KINDS[value.kind]
        if need:
            self.ctx.need(need)
        return check.format(v=v)

    def check(self, f: ProtoFieldDef, v: str) -> str:
        inner = self.value_check(f.value, "_h_x")
        if f.map_key is not None:
            key = self.value_check(f.map_key, "_h_k")
            return f"type({v}) is dict and all({key} and {inner} for _h_k, _h_x in {v}.items())"
        if f.repeated:
            return f"type({v}) is list and all({inner} for _h_x in {v})"
        single = self.value_check(f.value, v)
        return f"{v} is None or ({single})" if f.optional else single

    def check_lines(self, f: ProtoFieldDef, v: str, fail: str) -> list[str]:
        """Statements running ``fail`` unless ``v`` fits ``f`` (None stands for an empty list).

        Lists and maps are checked with plain loops: ``all()`` over a generator cost three
        times as much on a two-entry map.
        """
        if f.map_key is None and not f.repeated:
            return [f"if {negate(self.check(f, v))}:", f"    {fail}"]
        # Loop variables of their own per field: the arguments are typed, so are they.
        x, k = v.replace("_h_a", "_h_x"), v.replace("_h_a", "_h_k")
        inner = negate(self.value_check(f.value, x))
        if f.map_key is not None:
            key = negate(self.value_check(f.map_key, k))
            kind, loop = "dict", [f"for {k}, {x} in {v}.items():", f"    if {key} or {inner}:"]
        else:
            kind, loop = "list", [f"for {x} in {v}:", f"    if {inner}:"]
        return [
            f"if {v} is not None:",
            f"    if type({v}) is not {kind}:",
            f"        {fail}",
            *(f"    {line}" for line in loop),
            f"            {fail}",
        ]

    def describe(self, f: ProtoFieldDef) -> str:
        def word(value: ProtoValue) -> str:
            return value.ref or _NATIVE_WORDS.get(value.kind, value.kind)

        if f.map_key is not None:
            return f"map<{word(f.map_key)}, {word(f.value)}>"
        if f.repeated:
            return f"repeated {word(f.value)}"
        return f"optional {word(f.value)}" if f.optional else word(f.value)

    def default(self, f: ProtoFieldDef) -> str:
        """The keyword default of the constructor (None stands for an empty list or map)."""
        if f.map_key is not None or f.repeated or f.optional:
            return " = None"
        if f.value.kind == "enum":
            return f" = {self.ref(f.value.ref)}.{self.zero_member(f.value.ref)}"
        return f" = {KINDS[f.value.kind][2]}"

    def zero_member(self, full_name: str) -> str:
        """The Python name of an enum's default member (number 0, else its first)."""
        for module in self.ctx.package.proto_modules:
            for enum in module.enums:
                if enum.full_name == full_name:
                    zero = [py for _, py, number in enum.values if number == 0]
                    return zero[0] if zero else enum.values[0][1]
        raise GenerationError(f"enum {full_name} is not in the catalog")

    def param_annotation(self, f: ProtoFieldDef) -> str:
        """The constructor's annotation: lists and maps may be left out (None)."""
        annotation = self.annotation(f)
        return f"{annotation} | None" if f.map_key is not None or f.repeated else annotation

    def set_lines(self, f: ProtoFieldDef, v: str) -> list[str]:
        """Statements storing the checked value ``v`` into the protobuf message ``_h_m``."""
        a = pb_attr(f.wire_name, "_h_m")
        kind = f.value.kind
        native = kind in WELL_KNOWN_READERS
        if native:
            self.ctx.need("pw")
        parts = f"_h_t.seconds, _h_t.nanos = _h_pw.{kind}_parts(_h_y)"
        body: list[str]
        if f.map_key is not None:
            if kind == "message":
                body = [f"for _h_k, _h_y in {v}.items():", f"    {a}[_h_k].CopyFrom(_h_y._h_msg)"]
            elif native:
                body = [f"for _h_k, _h_y in {v}.items():", f"    _h_t = {a}[_h_k]", f"    {parts}"]
            else:
                # A loop of item stores: the map's update() is the Python MutableMapping mixin,
                # twice as slow on a two-entry map.
                k, y = v.replace("_h_a", "_h_k"), v.replace("_h_a", "_h_y")  # typed per field
                body = [f"_h_mm = {a}", f"for {k}, {y} in {v}.items():", f"    _h_mm[{k}] = {y}"]
            return [f"if {v}:", *(f"    {line}" for line in body)]
        if f.repeated:
            if kind == "message":
                body = [f"{a}.extend([_h_y._h_msg for _h_y in {v}])"]
            elif native:
                body = [f"for _h_y in {v}:", f"    _h_t = {a}.add()", f"    {parts}"]
            else:
                body = [f"{a}.extend({v})"]
            return [f"if {v}:", *(f"    {line}" for line in body)]
        if kind == "message":
            body = [f"{a}.CopyFrom({v}._h_msg)"]
        elif native:
            body = [f"_h_t = {a}", parts.replace("_h_y", v)]
        elif a.startswith("getattr("):
            body = [f"setattr(_h_m, {py_literal(f.wire_name)}, {v})"]
        else:
            body = [f"{a} = {v}"]
        if f.optional:
            return [f"if {v} is not None:", *(f"    {line}" for line in body)]
        return body

    def read_value(self, value: ProtoValue, m: str) -> str:
        """The native value of one protobuf value ``m`` (a message is wrapped, not copied)."""
        if value.kind == "message":
            return f"{self.ref(value.ref)}._h_wrap({m})"
        if value.kind == "enum":
            return f"{self.ref(value.ref)}({m})"
        if value.kind in WELL_KNOWN_READERS:
            self.ctx.need("pw")
            return WELL_KNOWN_READERS[value.kind].format(m=m)
        return m

    def getter(self, f: ProtoFieldDef) -> list[str]:
        """The body of the field's read-only property over the message ``self._h_msg``."""
        conv = self.read_value(f.value, "_h_x")
        if f.map_key is not None or f.repeated:
            a = pb_attr(f.wire_name, "self._h_msg")
            if f.map_key is not None:
                items = f"{{_h_k: {conv} for _h_k, _h_x in {a}.items()}}"
                return [f"return {'dict(' + a + ')' if conv == '_h_x' else items}"]
            return [
                f"return {'list(' + a + ')' if conv == '_h_x' else f'[{conv} for _h_x in {a}]'}"
            ]
        inner = self.value_annotation(f.value)
        if not f.optional:
            single = self.read_value(f.value, pb_attr(f.wire_name, "self._h_msg"))
            return [f"_h_v: {inner} = {single}", "return _h_v"]
        single = self.read_value(f.value, pb_attr(f.wire_name, "_h_m"))
        return [
            "_h_m = self._h_msg",
            f"if not _h_m.HasField({py_literal(f.wire_name)}):",
            "    return None",
            f"_h_v: {inner} = {single}",
            "return _h_v",
        ]

    def verify_lines(self, f: ProtoFieldDef, with_enums: frozenset[str]) -> list[str]:
        """Statements rejecting enum numbers the schema lacks in field ``f`` of ``msg``."""
        kind, ref = f.value.kind, f.value.ref
        if kind == "enum":
            check = f"{self.ref(ref)}(_h_x)"
        elif kind == "message" and ref in with_enums:
            check = f"{self.ref(ref)}._h_verify(_h_x)"
        else:
            return []
        a = pb_attr(f.wire_name, "msg")
        if f.map_key is not None:
            return [f"for _h_x in {a}.values():", f"    {check}"]
        if f.repeated:
            return [f"for _h_x in {a}:", f"    {check}"]
        if kind == "message":
            return [
                f"if msg.HasField({py_literal(f.wire_name)}):",
                f"    {check.replace('_h_x', a)}",
            ]
        return [check.replace("_h_x", a)]

    def plain_value(self, value: ProtoValue, v: str) -> str:
        if value.kind == "message":
            return f"{v}.to_dict()"
        if value.kind == "enum":
            return f"{self.table(value.ref, '_h_enum_names_')}[{v}]"
        return v

    def to_plain(self, f: ProtoFieldDef) -> str:
        """The expression giving the field as plain values for ``to_dict``."""
        return self._convert_field(f, f"self.{f.py_name}", self.plain_value)

    def _convert_field(
        self, f: ProtoFieldDef, v: str, convert: Callable[[ProtoValue, str], str]
    ) -> str:
        """Apply ``convert`` to a field's value(s): per map value, per list item, or once."""
        conv = convert(f.value, "_h_x")
        if f.map_key is not None:
            return (
                f"dict({v})"
                if conv == "_h_x"
                else f"{{_h_k: {conv} for _h_k, _h_x in {v}.items()}}"
            )
        if f.repeated:
            return f"list({v})" if conv == "_h_x" else f"[{conv} for _h_x in {v}]"
        single = convert(f.value, v)
        if f.optional and single != v:
            return f"(None if {v} is None else {single})"
        return single

    def from_plain_value(self, value: ProtoValue, v: str) -> str:
        if value.kind == "message":
            ref = self.ref(value.ref)
            return f"({v} if isinstance({v}, {ref}) else {ref}.from_dict({v}))"
        if value.kind == "enum":
            self.ctx.need("chk")
            ref = self.ref(value.ref)
            return f"_h_chk.proto_enum({v}, {ref}, {self.table(value.ref, '_h_enum_values_')})"
        return v

    def from_plain(self, f: ProtoFieldDef, v: str) -> str:
        """The expression building the field from the plain value ``v`` in ``from_dict``."""
        return self._convert_field(f, v, self.from_plain_value)


def _message_view(
    msg: ProtoMessageDef,
    frag: _ProtoFragments,
    bindings: str,
    closed: tuple[frozenset[str], frozenset[str]],
) -> dict[str, Any]:
    with_maps, with_enums = closed
    fields = []
    for index, f in enumerate(msg.fields):
        arg = f"_h_a{index}"
        describe = frag.describe(f)
        fail = (
            f"raise _h_chk.invalid({py_literal(msg.py_name)}, {py_literal(f.wire_name)}, "
            f"{py_literal(describe)}, {arg})"
        )
        default = frag.default(f)
        key = py_literal(f.wire_name)
        plain = frag.from_plain(f, f"mapping[{key}]")
        if plain == f"mapping[{key}]":
            from_dict_fast = f"mapping.get({key}, {default.removeprefix(' = ')})"
        else:
            from_dict_fast = f"({plain} if {key} in mapping else {default.removeprefix(' = ')})"
        fields.append(
            {
                "py_name": f.py_name,
                "wire_name": f.wire_name,
                "arg": arg,
                "annotation": frag.annotation(f),
                "param_annotation": frag.param_annotation(f),
                "default": default,
                "runtime_default": default.removeprefix(" = "),
                "from_dict_fast": from_dict_fast,
                "doc": docstring(f.doc) if f.doc else "",
                "checks": frag.check_lines(f, arg, fail),
                "describe": describe,
                "set": frag.set_lines(f, arg),
                "getter": frag.getter(f),
                "to_plain": frag.to_plain(f),
                "from_plain": frag.from_plain(f, f"m[{py_literal(f.wire_name)}]"),
            }
        )
    args = {f.py_name: f"_h_a{i}" for i, f in enumerate(msg.fields)}
    verify = [line for f in msg.fields for line in frag.verify_lines(f, with_enums)]
    return {
        "py_name": msg.py_name,
        "full_name": msg.full_name,
        "pb2_path": msg.pb2_path,
        "doc": docstring(msg.doc or f"Protobuf message {msg.full_name}."),
        "schema_text": msg.schema_text,
        "fingerprint": _fingerprint(msg.schema_text),
        "bindings": bindings,
        "indexes": msg.message_indexes,
        "references": msg.references,
        "fields": fields,
        "oneofs": [(name, [args[m] for m in members]) for name, members in msg.oneofs],
        "wire_names": [f.wire_name for f in msg.fields],
        "arg_names": [f.py_name for f in msg.fields],
        "deterministic": msg.full_name in with_maps,
        "verify": verify,
    }


def _fingerprint(text: str) -> str:
    from codegen.generate.render import fingerprint

    return fingerprint(text)


def render_proto_modules(
    env: jinja2.Environment, package: PackageModel, packages: Any
) -> dict[str, str]:
    """One binding module per .proto file: ``{path inside the package: text}``."""
    from codegen.generate.render import bindings_literal

    files: dict[str, str] = {}
    closed = closures(package)
    for module in package.proto_modules:
        ctx = ModuleContext(package, module.module, packages)
        for key in ("Any", "Self", "Mapping", "chk", "Event", "typing"):
            ctx.need(key)
        frag = _ProtoFragments(ctx)
        enums = [
            {
                "py_name": e.py_name,
                "doc": docstring(e.doc or f"Protobuf enum {e.full_name}."),
                "members": e.values,
            }
            for e in module.enums
        ]
        if enums:
            ctx.need("enum")
        messages = [
            _message_view(m, frag, bindings_literal(m.bindings, ctx), closed)
            for m in module.messages
        ]
        pb2_name = module.pb2_module.rsplit(".", 1)[-1]
        files[packages.path(module.module)] = env.get_template("protobuf_module.py.j2").render(
            source=module.source,
            module_doc=docstring(f"Typed bindings for the messages of {module.import_path}."),
            imports=ctx.import_lines((f"from . import {pb2_name} as _h_pb",)),
            enums=enums,
            messages=messages,
        )
    return files


# ------------------------------------------------------------------------------- protoc

#: Lines put above protoc's output: its code is protoc's style, not ours, and its stubs use
#: bare ``Mapping`` and untyped ``**kwargs`` for fields named like Python keywords (fine at
#: runtime, rejected by mypy --strict's type-arg and no-untyped-def checks).
_PROTOC_HEADERS: dict[str, str] = {
    ".py": "# ruff: noqa\n",
    ".pyi": '# ruff: noqa\n# mypy: disable-error-code="type-arg, no-untyped-def"\n',
}
_PROTOC_FROM = re.compile(r"^from ([\w.]+) import (\w+_pb2) as (\w+)$", re.MULTILINE)
_PROTOC_IMPORT = re.compile(r"^import (\w+_pb2) as (\w+)$", re.MULTILINE)


def _relative_imports(text: str, module: str, local: set[str]) -> str:
    """Rewrite protoc's absolute imports of catalog files as imports relative to ``module``."""
    dots = "." * len(module.split("."))

    def from_import(match: re.Match[str]) -> str:
        parent, name, alias = match.groups()
        if f"{parent}.{name}" not in local:
            return match.group(0)
        return f"from {dots}{parent} import {name} as {alias}"

    def plain_import(match: re.Match[str]) -> str:
        name, alias = match.groups()
        if name not in local:
            return match.group(0)
        return f"from {dots} import {name} as {alias}"

    return _PROTOC_IMPORT.sub(plain_import, _PROTOC_FROM.sub(from_import, text))


def protoc_outputs(catalog: Catalog) -> dict[str, str]:
    """protoc's ``_pb2.py`` and ``_pb2.pyi`` for every catalog .proto, imports made relative."""
    protos = sorted(catalog.proto_files, key=lambda p: p.import_path)
    if not protos:
        return {}
    local = {module_for(p.import_path)[1] for p in protos}
    roots = sorted({str(p.root) for p in protos})
    with tempfile.TemporaryDirectory(prefix="herald-protoc-") as tmp:
        args = [
            *(f"-I{root}" for root in roots),
            f"-I{well_known_dir()}",
            f"--python_out={tmp}",
            f"--pyi_out={tmp}",
            *(p.import_path for p in protos),
        ]
        done = subprocess.run(
            [sys.executable, "-m", "grpc_tools.protoc", *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
        )
        if done.returncode != 0:
            raise GenerationError(f"protoc failed: {(done.stderr or done.stdout).strip()[:2000]}")
        files: dict[str, str] = {}
        for proto in protos:
            _, pb2 = module_for(proto.import_path)
            stem = proto.import_path.removesuffix(".proto") + "_pb2"
            source = source_of(proto.path, proto.root)
            for suffix, header in _PROTOC_HEADERS.items():
                text = (Path(tmp) / (stem + suffix)).read_text(encoding="utf-8")
                text = _relative_imports(text, pb2, local)
                stamp = f"# @generated by herald — do not edit\n# source: {source}\n{header}"
                files[stem + suffix] = stamp + text
        return files
