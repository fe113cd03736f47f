"""Names and text from schemas: validated, escaped, never pasted into code."""

from __future__ import annotations

import ast
import importlib
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from codegen.catalog import load_catalog
from codegen.errors import SchemaParseError
from codegen.generate import GenerationError, generate_files, write_package
from codegen.generate.names import python_name
from codegen.generate.pysource import docstring

INJECTIONS = [
    ("record name", {"name": "Evil():\n    import os\nclass X", "fields": []}),
    (
        "field name",
        {"name": "Ok", "fields": [{"name": "x: int = 0\n    import os", "type": "int"}]},
    ),
    (
        "enum symbol",
        {
            "name": "Ok",
            "fields": [
                {
                    "name": "e",
                    "type": {"type": "enum", "name": "E", "symbols": ["A = __import__('os')"]},
                }
            ],
        },
    ),
    ("namespace", {"name": "Ok", "namespace": "a;import os", "fields": []}),
    ("field name", {"name": "Ok", "fields": [{"name": "naïve", "type": "int"}]}),
]


def _catalog(tmp_path: Path, schema: dict[str, Any]) -> Any:
    (tmp_path / "evil.avsc").write_text(json.dumps({"type": "record", **schema}), "utf-8")
    return load_catalog([tmp_path])


@pytest.mark.parametrize(("what", "schema"), INJECTIONS)
def test_injection_in_a_name_is_rejected(tmp_path: Path, what: str, schema: dict[str, Any]) -> None:
    # The catalog refuses names outside the Avro name rule for every command, before codegen.
    with pytest.raises((GenerationError, SchemaParseError)) as info:
        generate_files(_catalog(tmp_path, schema), "events")
    message = str(info.value)
    assert what in message
    assert "is not a valid name" in message or "invalid component" in message
    assert "evil.avsc" in message


def test_doc_text_cannot_escape_its_docstring(tmp_path: Path) -> None:
    doc = 'end """ + __import__("os").system("x") + """ \\ and \u2028 \x00 done"'
    schema = {"name": "Doc", "doc": doc, "fields": [{"name": "f", "type": "int", "doc": doc}]}
    files = generate_files(_catalog(tmp_path, schema), "events")
    tree = ast.parse(files["_default.py"])
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Doc")
    assert ast.get_docstring(cls, clean=False) == doc.replace("\t", "    ")
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    assert not any(isinstance(c.func, ast.Name) and c.func.id == "__import__" for c in calls)


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ("class", "class_"),
        ("from", "from_"),
        ("encode", "encode_"),
        ("to_dict", "to_dict_"),
        ("FULL_NAME", "FULL_NAME_"),
        ("str", "str_"),
        ("_h_enc", "_h_enc_"),
        ("__secret", "__secret___"),
        ("amount", "amount"),
    ],
)
def test_python_names_escape_keywords_and_contract_names(wire: str, expected: str) -> None:
    assert python_name(wire, set()) == expected


def test_escaped_names_clash_with_nothing() -> None:
    taken: set[str] = set()
    assert [python_name(w, taken) for w in ("class_", "class")] == ["class_", "class__"]


def test_escaped_fields_keep_their_wire_names(golden_package: ModuleType) -> None:
    order_cls = golden_package.TYPES["com.example.shop.Order"]
    fields = order_cls.__dataclass_fields__
    assert {"class_", "from_", "encode_", "to_dict_"} <= set(fields)
    status = golden_package.com.example.shop.Status
    assert status.class_.value == "class"
    assert status.None_.value == "None"


def test_docstring_literal_round_trips() -> None:
    text = 'a """ b \\ c\nd'
    assert ast.literal_eval(docstring(text)).strip() == text


def test_namespaces_that_refer_to_each_other_import(tmp_path: Path) -> None:
    schemas = tmp_path / "schemas"
    (schemas / "a").mkdir(parents=True)
    (schemas / "b").mkdir()
    kind = {"type": "enum", "name": "Kind", "namespace": "a", "symbols": ["X", "Y"]}
    box = {
        "type": "record",
        "name": "Box",
        "namespace": "b",
        "fields": [{"name": "kind", "type": "a.Kind", "default": "Y"}],
    }
    crate = {
        "type": "record",
        "name": "Crate",
        "namespace": "a",
        "fields": [
            {"name": "box", "type": "b.Box"},
            {"name": "kind", "type": "Kind", "default": "X"},
        ],
    }
    for path, schema in (("a/kind.avsc", kind), ("b/box.avsc", box), ("a/crate.avsc", crate)):
        (schemas / path).write_text(json.dumps(schema), "utf-8")
    from codegen.generate import write_package

    write_package(
        generate_files(load_catalog([schemas]), "cyclic_events"), tmp_path / "cyclic_events"
    )
    import importlib
    import sys

    sys.path.insert(0, str(tmp_path))
    try:
        for first in ("cyclic_events.b", "cyclic_events.a"):
            for name in [m for m in sys.modules if m.startswith("cyclic_events")]:
                del sys.modules[name]
            importlib.import_module(first)
            pkg = importlib.import_module("cyclic_events")
            crate = pkg.TYPES["a.Crate"](box=pkg.TYPES["b.Box"]())
            assert crate.box.kind.value == "Y"
            assert pkg.TYPES["a.Crate"].decode(crate.encode()) == crate
    finally:
        sys.path.remove(str(tmp_path))


def test_protobuf_fields_named_like_binding_methods_are_renamed(tmp_path: Path) -> None:
    schemas = tmp_path / "schemas" / "names" / "v1"
    schemas.mkdir(parents=True)
    (schemas / "clash.proto").write_text(
        'syntax = "proto3";\npackage names.v1;\n'
        "message Clash {\n  string to_proto = 1;\n  int32 from_proto = 2;\n}\n"
    )
    package = "herald_names_clash"
    write_package(generate_files(load_catalog([tmp_path / "schemas"]), package), tmp_path / package)
    sys.path.insert(0, str(tmp_path))
    try:
        cls = importlib.import_module(package).TYPES["names.v1.Clash"]
        event = cls(to_proto_="x", from_proto_=3)
        assert (event.to_proto_, event.from_proto_) == ("x", 3)
        assert cls.from_proto(event.to_proto()) == event
        assert event.to_dict() == {"to_proto": "x", "from_proto": 3}
    finally:
        sys.path.remove(str(tmp_path))
