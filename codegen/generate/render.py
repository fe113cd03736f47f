"""Render the package model to files: a strict jinja2 environment, ruff formatting, writing.

:func:`render_package` turns a :class:`~codegen.generate.model.PackageModel` into
``{relative path: text}``; :func:`format_files` formats that mapping with ``ruff format``
(isolated from any project config, so output is the same everywhere); :func:`write_package`
puts it on disk and :func:`compare_package` says what differs from what is there, for
``herald codegen --check``.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2

from codegen.generate.model import (
    EnumDef,
    FieldDef,
    GenerationError,
    ModuleDef,
    PackageModel,
    RecordDef,
)
from codegen.generate.pysource import (
    Fragments,
    ModuleContext,
    docstring,
    py_literal,
    sort_imports,
)
from publisher.event import Binding

TEMPLATES = Path(__file__).parent / "templates"
#: Formatting settings, fixed so that output does not depend on the user's ruff config.
LINE_LENGTH = 100


def environment() -> jinja2.Environment:
    """The strict jinja2 environment: undefined names fail, blocks do not leave blank lines."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # output is Python, not HTML: every value is escaped by py_literal
    )
    env.filters["lit"] = py_literal
    env.filters["lit_tuple"] = lambda v: py_literal(tuple(v))
    return env


def fingerprint(text: str) -> str:
    """Hex SHA-256 of a schema text: stable across machines and runs."""
    return hashlib.sha256(text.encode()).hexdigest()


def bindings_literal(bindings: tuple[Binding, ...], ctx: ModuleContext) -> str:
    """The ``BINDINGS`` tuple as Python source."""
    if not bindings:
        return "()"
    ctx.need("Binding")
    items = "".join(
        f"_h_Binding(topic={py_literal(b.topic)}, subject={py_literal(b.subject)}, "
        f"strategy={py_literal(b.strategy)}), "
        for b in bindings
    )
    return f"({items})"


class _Packages:
    """Which dotted module paths are packages (folders with ``__init__.py``)."""

    def __init__(self, modules: list[str]) -> None:
        self.prefixes = {
            ".".join(m.split(".")[:i]) for m in modules for i in range(1, len(m.split(".")))
        }

    def __call__(self, module: str) -> bool:
        return module in self.prefixes

    def path(self, module: str) -> str:
        """File of a module inside the package: ``a/b.py``, or ``a/b/__init__.py`` for packages."""
        base = module.replace(".", "/")
        return f"{base}/__init__.py" if self(module) else f"{base}.py"


def _field_default(frag: Fragments, rec: RecordDef, f: FieldDef) -> str:
    """A field's default, or the error naming the schema file and record when Python has none."""
    try:
        return frag.default(f)
    except GenerationError as exc:
        raise GenerationError(f"{rec.source} ({rec.full_name}): {exc}") from None


def _record_view(rec: RecordDef, frag: Fragments) -> dict[str, Any]:
    ctx = frag.ctx
    for key in ("dc", "Any", "Self", "Mapping", "chk", "Event", "typing"):
        ctx.need(key)
    fields = []
    has_encode = False
    for index, f in enumerate(rec.fields):
        encode = frag.encode(f.type, f"self.{f.py_name}")
        has_encode = has_encode or bool(encode)
        fields.append(
            {
                "py_name": f.py_name,
                "wire_name": f.wire_name,
                "arg": f"_h_a{index}",
                "annotation": frag.annotation(f.type),
                "param_annotation": frag.annotation(f.type, param=True),
                "default": _field_default(frag, rec, f) if f.has_default else "",
                "has_default": f.has_default,
                "doc": docstring(f.doc) if f.doc else "",
                "describe": frag.describe(f.type),
                "encode": encode,
                "decode": frag.decode(f.type, f"_h_f{index}"),
                "to_plain": frag.to_plain(f.type, f"self.{f.py_name}"),
                "from_plain": frag.from_plain(f.type, f"m[{py_literal(f.wire_name)}]"),
                **_construction(rec, f, f"_h_a{index}", frag),
            }
        )
    return {
        "py_name": rec.py_name,
        "full_name": rec.full_name,
        "doc": docstring(rec.doc or f"Avro record {rec.full_name}."),
        "schema_text": rec.schema_text,
        "reader_schema": None if rec.reader_schema == rec.schema_text else rec.reader_schema,
        "fingerprint": fingerprint(rec.schema_text),
        "bindings": bindings_literal(rec.bindings, ctx),
        "references": rec.references,
        "fields": fields,
        "has_encode": has_encode,
        "wire_names": [f.wire_name for f in rec.fields],
        "arg_names": [f.py_name for f in rec.fields],
        "slot_names": sorted((f.py_name for f in rec.fields), key=natural_order),
    }


def natural_order(name: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key of ruff's ``__slots__`` rule (RUF023): digit runs compare as numbers."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part) for part in re.split(r"(\d+)", name) if part
    )


def _construction(rec: RecordDef, f: FieldDef, arg: str, frag: Fragments) -> dict[str, Any]:
    """How the constructor and ``from_dict`` take one field: defaults, checks, conversion."""
    fail = (
        f"raise _h_chk.invalid({py_literal(rec.py_name)}, {py_literal(f.wire_name)}, "
        f"{py_literal(frag.describe(f.type))}, {arg})"
    )
    init: list[str] = []
    key = py_literal(f.wire_name)
    plain = frag.from_plain(f.type, f"mapping[{key}]")
    if not f.has_default:
        runtime_default, stub_default = "_h_chk.MISSING", ""
        from_dict_fast = plain
    else:
        expr, per_instance = frag.default_parts(f)
        if per_instance:
            # Built per instance: the signature holds MISSING and the body builds the value.
            runtime_default = stub_default = "_h_chk.MISSING"
            init += [f"if {arg} is _h_chk.MISSING:", f"    {arg} = {expr}"]
        else:
            runtime_default = expr
        stub_default = f" = {runtime_default}"
        if plain == f"mapping[{key}]":
            from_dict_fast = f"mapping.get({key}, {runtime_default})"
        else:
            from_dict_fast = f"({plain} if {key} in mapping else {runtime_default})"
    init += frag.check_lines(f.type, arg, fail)
    init += frag.normalize(f, arg)
    return {
        "runtime_default": runtime_default,
        "stub_default": stub_default,
        "init": init,
        "from_dict_fast": from_dict_fast,
    }


def _enum_view(enum: EnumDef, ctx: ModuleContext) -> dict[str, Any]:
    ctx.need("enum")
    table = {wire: _zigzag(index) for index, (wire, _) in enumerate(enum.symbols)}
    return {
        "py_name": enum.py_name,
        "doc": docstring(enum.doc or f"Avro enum {enum.full_name}."),
        "symbols": enum.symbols,
        "index_table": py_literal(table),
    }


def _zigzag(n: int) -> bytes:
    n = (n << 1) ^ (n >> 63)
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def render_avro_module(
    env: jinja2.Environment, package: PackageModel, module: ModuleDef, packages: _Packages
) -> str:
    """One namespace's module: enums, then records, with their codecs."""
    ctx = ModuleContext(package, module.module, packages)
    frag = Fragments(ctx)
    enums = [_enum_view(e, ctx) for e in module.enums]
    records = [_record_view(r, frag) for r in module.records]
    local = {r.py_name for r in module.records} | {e.py_name for e in module.enums}
    shadowed = _unshadow(records, local)
    space = module.namespace or "(no namespace)"
    return env.get_template("avro_module.py.j2").render(
        sources=module.sources,
        module_doc=docstring(f"Avro types of namespace {space}."),
        imports=ctx.import_lines(),
        enums=enums,
        records=records,
        shadowed=shadowed,
    )


def _unshadow(records: list[dict[str, Any]], local: set[str]) -> list[str]:
    """Point constructor annotations past fields named like a class of the module.

    The typed ``__init__`` sits in the class body, where a field ``Address`` hides the class
    ``Address``; its annotations then name the alias ``_h_T_Address`` the module defines.
    """
    shadowed: set[str] = set()
    for rec in records:
        names = {f["py_name"] for f in rec["fields"]} & local
        for f in rec["fields"]:
            for name in names:
                pattern = rf"(?<![\w.]){re.escape(name)}\b"
                if re.search(pattern, f["param_annotation"]):
                    f["param_annotation"] = re.sub(pattern, f"_h_T_{name}", f["param_annotation"])
                    shadowed.add(name)
    return sorted(shadowed)


def render_package(package: PackageModel) -> dict[str, str]:
    """Every file of the package as ``{path relative to the package folder: text}``."""
    env = environment()
    modules = [m.module for m in package.modules] + [p.module for p in package.proto_modules]
    packages = _Packages(modules)
    files: dict[str, str] = {}
    for module in package.modules:
        files[packages.path(module.module)] = render_avro_module(env, package, module, packages)
    if package.proto_modules:
        from codegen.generate.protobuf import render_proto_modules

        files.update(render_proto_modules(env, package, packages))
    for prefix in sorted(packages.prefixes):
        path = f"{prefix.replace('.', '/')}/__init__.py"
        if path not in files:
            files[path] = env.get_template("namespace_init.py.j2").render(
                sources=["(folder)"], namespace=prefix
            )
    files["__init__.py"] = _render_root(env, package)
    files["py.typed"] = ""
    return dict(sorted(files.items()))


def _render_root(env: jinja2.Environment, package: PackageModel) -> str:
    aliases: dict[str, str] = {}
    types: list[tuple[str, str]] = []
    sources: set[str] = set()
    for module in package.modules:
        alias = "_h_m_" + module.module.replace(".", "_")
        aliases[module.module] = alias
        sources.update(module.sources)
        types.extend((r.full_name, f"{alias}.{r.py_name}") for r in module.records)
    for proto in package.proto_modules:
        alias = "_h_m_" + proto.module.replace(".", "_")
        aliases[proto.module] = alias
        sources.add(proto.source)
        types.extend((m.full_name, f"{alias}.{m.py_name}") for m in proto.messages)
    relative = []
    for dotted, alias in aliases.items():
        parent, _, last = dotted.rpartition(".")
        relative.append(f"from .{parent} import {last} as {alias}")
    lines = sort_imports(
        [
            "from publisher.event import Event as _h_Event",
            "from publisher.topics import Topic as _h_Topic",
        ],
        relative,
    )
    # The root lists the schema folders, not every file: each module names its own files.
    folders = sorted({source.split("/", 1)[0] + "/" for source in sources})
    return env.get_template("package_init.py.j2").render(
        sources=folders or ["(none)"],
        imports=lines,
        types=sorted(types),
        referenced=package.referenced,
        topics=package.topics,
    )


def ruff_binary() -> str:
    """The ruff executable used to format output (the ``ruff`` package or one on PATH)."""
    try:
        from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]

        return str(find_ruff_bin())
    except ImportError:
        found = shutil.which("ruff")
        if found is None:
            raise GenerationError(
                "herald codegen formats its output with ruff, which is not installed; "
                "run `pip install 'herald-kafka[cli]'`"
            ) from None
        return found


def format_files(files: Mapping[str, str]) -> dict[str, str]:
    """Format every ``.py`` file with ``ruff format`` in one run, isolated from user config."""
    with tempfile.TemporaryDirectory(prefix="herald-codegen-") as tmp:
        root = Path(tmp)
        for rel, text in files.items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        common = [
            "--isolated",
            "--no-cache",
            "--line-length",
            str(LINE_LENGTH),
            "--target-version",
            "py311",
        ]
        for step in (["format", "--quiet"],):
            cmd = [ruff_binary(), *step, *common, str(root)]
            done = subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False)
            if done.returncode != 0:
                raise GenerationError(
                    "ruff could not format the generated code (a bug in herald; please report "
                    f"it with the schema): {(done.stdout + done.stderr).strip()[:2000]}"
                )
        return {rel: (root / rel).read_text(encoding="utf-8") for rel in files}


__all__ = [
    "environment",
    "format_files",
    "render_package",
]
