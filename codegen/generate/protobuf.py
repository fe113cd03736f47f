"""Protobuf: protoc's ``_pb2`` modules plus typed bindings with the same contract as Avro.

:func:`protoc_outputs` runs protoc (grpcio-tools) for ``_pb2.py`` and ``.pyi`` and rewrites
protoc's absolute imports of catalog files into relative ones, so the generated package is
importable wherever it sits. :func:`build_proto_modules` models every message (nested ones
too; map entries are dicts) and enum from the catalog's descriptors, and
:func:`render_proto_modules` renders one binding module per .proto file: a frozen dataclass
per message that converts to and from its ``_pb2`` message for ``encode``/``decode``.
"""

from __future__ import annotations

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
    python_name,
)
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
#: How a native kind is read back from its _pb2 message.
WELL_KNOWN_READERS: dict[str, str] = {
    "timestamp": "{m}.ToDatetime(tzinfo=_h_dt.UTC)",
    "duration": "{m}.ToTimedelta()",
}
#: Value kind -> protobuf wire type (0 varint, 1 64-bit, 2 length-delimited, 5 32-bit).
WIRE_TYPES: dict[str, int] = {
    "double": 1,
    "float": 5,
    "int32": 0,
    "int64": 0,
    "uint32": 0,
    "uint64": 0,
    "sint32": 0,
    "sint64": 0,
    "fixed32": 5,
    "fixed64": 1,
    "sfixed32": 5,
    "sfixed64": 1,
    "bool": 0,
    "enum": 0,
    "string": 2,
    "bytes": 2,
    "message": 2,
    "timestamp": 2,
    "duration": 2,
}
_VARINT = (
    "if 0 <= {v} < 128:",
    "    out.append({v})",
    "else:",
    "    _h_pw.write_varint(out, {v})",
)
#: Closes a length-delimited value opened with a one-byte placeholder at ``{i} - 1``.
_CLOSE = (
    "_h_n = len(out) - {i}",
    "if _h_n < 128:",
    "    out[{i} - 1] = _h_n",
    "else:",
    "    out[{i} - 1 : {i}] = _h_pw.varint_bytes(_h_n)",
)
#: Value kind -> statements appending the value ``{v}`` (a plain name) to ``out``, untagged.
#: Nested messages write straight into ``out`` after a placeholder length byte that ``_CLOSE``
#: fills in (widened in place in the rare case of 128 bytes or more): no buffer per message.
VALUE_WRITERS: dict[str, tuple[str, ...]] = {
    "int32": _VARINT,
    "int64": _VARINT,
    "uint32": _VARINT,
    "uint64": _VARINT,
    "enum": _VARINT,
    "sint32": ("_h_pw.write_sint(out, {v})",),
    "sint64": ("_h_pw.write_sint(out, {v})",),
    "bool": ("out.append({v})",),
    "double": ("out += _h_pw.pack_double({v})",),
    "float": ("out += _h_pw.pack_float({v})",),
    "fixed32": ("out += _h_pw.pack_fixed32({v})",),
    "fixed64": ("out += _h_pw.pack_fixed64({v})",),
    "sfixed32": ("out += _h_pw.pack_sfixed32({v})",),
    "sfixed64": ("out += _h_pw.pack_sfixed64({v})",),
    "string": (
        "_h_b = {v}.encode()",
        "_h_n = len(_h_b)",
        "if _h_n < 128:",
        "    out.append(_h_n)",
        "else:",
        "    _h_pw.write_varint(out, _h_n)",
        "out += _h_b",
    ),
    "bytes": ("_h_pw.write_len(out, len({v}))", "out += {v}"),
    "message": ("out.append(0)", "{i} = len(out)", "{v}._h_enc(out)", *_CLOSE),
    "timestamp": ("out += _h_pw.timestamp_value({v})",),
    "duration": ("out += _h_pw.duration_value({v})",),
}


def tag_bytes(number: int, wire_type: int) -> bytes:
    """The varint of a field's key (number and wire type), precomputed for generated code."""
    n = (number << 3) | wire_type
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


#: DescriptorProto field numbers in SourceCodeInfo paths.
_MESSAGE_FIELD = 2
_MESSAGE_NESTED = 3
_MESSAGE_ENUM = 4
_FILE_ENUM = 5
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


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
                    python_name(py_scope + enum.name, set()),
                )

        visit_enums(proto.descriptor.enum_type, prefix, "")
        for msg in proto.messages:
            py = msg.full_name.removeprefix(prefix).replace(".", "")
            if msg.map_entry:
                self.map_entries[msg.full_name] = msg.descriptor
                continue
            self.names[msg.full_name] = (module, python_name(py, set()))
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
            py = python_name(fld.name, taken)
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
        values = tuple(
            (v.name, python_name(v.name, taken, frozenset({"name", "value", "mro"})), v.number)
            for v in enum.value
        )
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

    def normalize(self, f: ProtoFieldDef) -> list[str]:
        """Single-precision ``float`` fields keep what the wire keeps, set at construction."""
        if f.value.kind != "float" or f.repeated or f.map_key is not None:
            return []
        v = f"self.{f.py_name}"
        rounded = f"_h_bin.round_float({v})"
        guard = f"{v} is not None and {rounded} != {v}" if f.optional else f"{rounded} != {v}"
        return [f"if {guard}:", f"    object.__setattr__(self, {py_literal(f.py_name)}, {rounded})"]

    def check(self, f: ProtoFieldDef, v: str) -> str:
        inner = self.value_check(f.value, "_h_x")
        if f.map_key is not None:
            key = self.value_check(f.map_key, "_h_k")
            return f"type({v}) is dict and all({key} and {inner} for _h_k, _h_x in {v}.items())"
        if f.repeated:
            return f"type({v}) is list and all({inner} for _h_x in {v})"
        single = self.value_check(f.value, v)
        return f"{v} is None or ({single})" if f.optional else single

    def describe(self, f: ProtoFieldDef) -> str:
        def word(value: ProtoValue) -> str:
            return value.ref or _NATIVE_WORDS.get(value.kind, value.kind)

        if f.map_key is not None:
            return f"map<{word(f.map_key)}, {word(f.value)}>"
        if f.repeated:
            return f"repeated {word(f.value)}"
        return f"optional {word(f.value)}" if f.optional else word(f.value)

    def default(self, f: ProtoFieldDef) -> str:
        if f.map_key is not None or f.repeated:
            self.ctx.need("dc")
            return f" = _h_dc.field(default_factory={'dict' if f.map_key else 'list'})"
        if f.optional:
            return " = None"
        if f.value.kind == "enum":
            self.ctx.need("dc")
            return f" = _h_dc.field(default_factory=lambda: {self.ref(f.value.ref)}(0))"
        return f" = {KINDS[f.value.kind][2]}"

    def write_value(self, value: ProtoValue, v: str, i: str) -> list[str]:
        """Statements appending the untagged value ``v`` to ``out`` (``i``: a free int name)."""
        lines = [line.format(v=v, i=i) for line in VALUE_WRITERS[value.kind]]
        if any("_h_pw." in line for line in lines):
            self.ctx.need("pw")
        return lines

    def tagged(self, tag: bytes, value: ProtoValue, v: str, i: str) -> list[str]:
        """The tag, then the value; a placeholder length byte joins the tag's constant."""
        lines = self.write_value(value, v, i)
        if lines[0] == "out.append(0)":
            return [f"out += {tag + bytes(1)!r}", *lines[1:]]
        return [f"out += {tag!r}", *lines]

    def encode(self, f: ProtoFieldDef) -> list[str]:
        """Statements appending the field, tagged, to ``out``; proto3 presence rules apply."""
        n = f.number
        v, x, i = f"_h_v{n}", f"_h_x{n}", f"_h_i{n}"
        first = [f"{v} = self.{f.py_name}"]
        if f.map_key is not None:
            self.ctx.need("pw")
            k = f"_h_k{n}"
            key_tag = tag_bytes(1, WIRE_TYPES[f.map_key.kind])
            value_tag = tag_bytes(2, WIRE_TYPES[f.value.kind])
            body = [
                f"{x} = {v}[{k}]",
                f"out += {tag_bytes(n, 2) + bytes(1)!r}",
                f"{i} = len(out)",
                *self.tagged(key_tag, f.map_key, k, f"_h_j{n}"),
                *self.tagged(value_tag, f.value, x, f"_h_j{n}"),
                *(line.format(i=i) for line in _CLOSE),
            ]
            order = (
                "key=_h_pw.string_key_order"
                if f.map_key.kind == "string"
                else "key=_h_pw.int_key_order, reverse=True"
            )
            loop = f"for {k} in sorted({v}, {order}):"
            return [*first, loop, *(f"    {line}" for line in body)]
        wire = WIRE_TYPES[f.value.kind]
        if f.repeated and wire != 2:  # packed: one length-delimited run of values
            self.ctx.need("pw")
            body = [
                f"out += {tag_bytes(n, 2) + bytes(1)!r}",
                f"{i} = len(out)",
                f"for {x} in {v}:",
                *(f"    {line}" for line in self.write_value(f.value, x, f"_h_j{n}")),
                *(line.format(i=i) for line in _CLOSE),
            ]
            return [*first, f"if {v}:", *(f"    {line}" for line in body)]
        tag = tag_bytes(n, wire)
        if f.repeated:
            body = self.tagged(tag, f.value, x, i)
            return [*first, f"for {x} in {v}:", *(f"    {line}" for line in body)]
        if f.optional:
            condition = f"{v} is not None"
        elif f.value.kind in ("float", "double"):
            self.ctx.need("pw")
            condition = f"{v} or _h_pw.negative_zero({v})"
        else:
            condition = v
        body = self.tagged(tag, f.value, v, i)
        return [*first, f"if {condition}:", *(f"    {line}" for line in body)]

    def from_pb_value(self, value: ProtoValue, m: str) -> str:
        if value.kind == "message":
            return f"{self.ref(value.ref)}._h_from_pb({m})"
        if value.kind == "enum":
            return f"{self.ref(value.ref)}({m})"
        if value.kind in WELL_KNOWN_READERS:
            return WELL_KNOWN_READERS[value.kind].format(m=m)
        return m

    def from_pb(self, f: ProtoFieldDef) -> str:
        """The expression reading the field back from the _pb2 message ``msg``."""
        m = (
            f"msg.{f.wire_name}"
            if _IDENT.match(f.wire_name) and f.wire_name == f.py_name
            else (f"getattr(msg, {py_literal(f.wire_name)})")
        )
        conv = self.from_pb_value(f.value, "_h_x")
        if f.map_key is not None:
            return (
                f"dict({m})"
                if conv == "_h_x"
                else f"{{_h_k: {conv} for _h_k, _h_x in {m}.items()}}"
            )
        if f.repeated:
            return f"list({m})" if conv == "_h_x" else f"[{conv} for _h_x in {m}]"
        single = self.from_pb_value(f.value, m)
        if f.optional:
            return f"({single} if msg.HasField({py_literal(f.wire_name)}) else None)"
        return single

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


def _message_view(msg: ProtoMessageDef, frag: _ProtoFragments, bindings: str) -> dict[str, Any]:
    fields = [
        {
            "py_name": f.py_name,
            "wire_name": f.wire_name,
            "annotation": frag.annotation(f),
            "default": frag.default(f),
            "doc": docstring(f.doc) if f.doc else "",
            "check": negate(frag.check(f, f"self.{f.py_name}")),
            "normalize": frag.normalize(f),
            "describe": frag.describe(f),
            "from_pb": frag.from_pb(f),
            "to_plain": frag.to_plain(f),
            "from_plain": frag.from_plain(f, f"m[{py_literal(f.wire_name)}]"),
        }
        for f in msg.fields
    ]
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
        "encode": [
            line for f in sorted(msg.fields, key=lambda f: f.number) for line in frag.encode(f)
        ],
        "oneofs": msg.oneofs,
        "wire_names": [f.wire_name for f in msg.fields],
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
    for module in package.proto_modules:
        ctx = ModuleContext(package, module.module, packages)
        for key in ("dc", "Any", "Self", "Mapping", "chk", "Event"):
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
            _message_view(m, frag, bindings_literal(m.bindings, ctx)) for m in module.messages
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
