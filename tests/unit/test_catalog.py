"""Loading the catalog: the example schemas, references, positions and every parse error."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from codegen.catalog import (
    AvroFile,
    ProtoFile,
    SchemaParseError,
    load_catalog,
    reference_texts,
    registry_form_for,
)
from codegen.errors import ConfigError, HeraldError

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "schemas"
FIXTURES = REPO / "tests" / "fixtures" / "catalog"


@pytest.fixture(autouse=True)
def _at_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """Display paths are relative to the cwd; run from the repo root like the CLI would."""
    monkeypatch.chdir(REPO)


def test_example_schemas_load_with_references() -> None:
    catalog = load_catalog([SCHEMAS])
    assert sorted(catalog.schemas) == [
        "acme.payments.v1.Money",
        "acme.payments.v1.PaymentAuthorized",
        "acme.payments.v1.PaymentRefunded",
        "com.acme.orders.Currency",
        "com.acme.orders.LineItem",
        "com.acme.orders.OrderPlaced",
    ]
    order = catalog.get("com.acme.orders.OrderPlaced")
    assert order.format == "AVRO"
    assert isinstance(order.file, AvroFile)
    assert order.path == "schemas/com/acme/orders/order_placed.avsc"
    assert order.file.references == ("com.acme.orders.Currency", "com.acme.orders.LineItem")
    assert order.file.depends_on == (
        "schemas/com/acme/orders/currency.avsc",
        "schemas/com/acme/orders/line_item.avsc",
    )
    assert catalog.roots == (SCHEMAS,)


def test_avro_locate_points_at_the_json_value() -> None:
    order = load_catalog([SCHEMAS]).get("com.acme.orders.OrderPlaced").file
    assert isinstance(order, AvroFile)
    text_lines = order.text.splitlines()
    loc = order.locate("/fields/5/type")
    assert text_lines[loc.line - 1][loc.col - 1 :].startswith('"Currency"')
    assert order.locate("/fields/5/nope") == order.locate("/fields/5")


def test_protobuf_messages_imports_and_locations() -> None:
    catalog = load_catalog([SCHEMAS])
    paid = catalog.get("acme.payments.v1.PaymentAuthorized")
    assert paid.format == "PROTOBUF"
    assert isinstance(paid.file, ProtoFile)
    assert paid.file.import_path == "acme/payments/v1/payments.proto"
    assert paid.file.package == "acme.payments.v1"
    assert paid.file.imports == ("acme/payments/v1/money.proto",)
    assert paid.file.well_known_imports == ("google/protobuf/timestamp.proto",)
    assert paid.message_indexes == (0,)
    assert catalog.get("acme.payments.v1.PaymentRefunded").message_indexes == (1,)
    loc = paid.file.locate_field("acme.payments.v1.PaymentAuthorized", 5)
    line = paid.file.text.splitlines()[loc.line - 1]
    assert line[loc.col - 1 :].startswith("google.protobuf.Timestamp authorized_at = 5;")
    names = {f.name for f in catalog.proto_descriptor_set.file}
    assert "google/protobuf/timestamp.proto" in names


def test_nested_messages_get_index_paths_and_map_entries_are_not_schemas() -> None:
    catalog = load_catalog([FIXTURES / "nested"])
    assert catalog.get("demo.v1.First").message_indexes == (0,)
    assert catalog.get("demo.v1.Outer").message_indexes == (1,)
    # Outer's nested types: 0 = the CountsEntry map entry, 1 = Inner, 2 = Second.
    assert catalog.get("demo.v1.Outer.Inner").message_indexes == (1, 1)
    assert catalog.get("demo.v1.Outer.Second").message_indexes == (1, 2)
    assert "demo.v1.Outer.CountsEntry" not in catalog.schemas
    second = catalog.get("demo.v1.Outer.Second")
    assert second.location.line == 13


def test_top_level_union_file_defines_each_member() -> None:
    catalog = load_catalog([FIXTURES / "union_file"])
    assert sorted(catalog.schemas) == ["multi.Kind", "multi.Thing"]
    thing = catalog.get("multi.Thing")
    assert thing.location.line == 3
    assert thing.file.references == ()  # type: ignore[union-attr]


def _error(root: Path) -> SchemaParseError:
    with pytest.raises(SchemaParseError) as info:
        load_catalog([root])
    return info.value


def test_malformed_json_is_an_error_at_line_and_col() -> None:
    err = _error(FIXTURES / "malformed_json")
    assert (err.path, err.line, err.col) == (
        "tests/fixtures/catalog/malformed_json/broken.avsc",
        6,
        5,
    )
    assert "malformed JSON" in err.message


def test_duplicate_full_name_names_both_places() -> None:
    err = _error(FIXTURES / "duplicate")
    assert (err.path, err.line, err.col) == ("tests/fixtures/catalog/duplicate/b/same.avsc", 1, 1)
    assert "duplicate full name 'dup.Same'" in err.message
    assert "tests/fixtures/catalog/duplicate/a/same.avsc:1:1" in err.message


def test_unresolved_reference_points_at_the_name() -> None:
    err = _error(FIXTURES / "unresolved")
    assert (err.path, err.line, err.col) == ("tests/fixtures/catalog/unresolved/order.avsc", 6, 32)
    assert "unresolved reference 'Statuss'" in err.message
    assert "'shop.Statuss'" in err.message


def test_cycle_across_files_is_an_error() -> None:
    err = _error(FIXTURES / "cycle")
    assert err.path == "tests/fixtures/catalog/cycle/right.avsc"
    assert (err.line, err.col) == (6, 39)
    assert "cycle across files" in err.message
    assert "left.avsc -> tests/fixtures/catalog/cycle/right.avsc -> " in err.message


def test_recursion_inside_one_file_is_allowed(tmp_path: Path) -> None:
    (tmp_path / "node.avsc").write_text(
        '{"type": "record", "name": "Node", "namespace": "t", "fields": ['
        '{"name": "next", "type": ["null", "Node"], "default": null}]}'
    )
    assert list(load_catalog([tmp_path]).schemas) == ["t.Node"]


def test_proto_syntax_error_is_at_protoc_position() -> None:
    err = _error(FIXTURES / "proto_syntax")
    assert (err.path, err.line, err.col) == (
        "tests/fixtures/catalog/proto_syntax/demo/v1/broken.proto",
        6,
        3,
    )
    assert 'Expected ";"' in err.message


def test_proto_missing_import_is_an_error(capfd: pytest.CaptureFixture[str]) -> None:
    err = _error(FIXTURES / "proto_missing_import")
    assert err.path.endswith("demo/v1/uses.proto") or err.path.endswith("absent.proto")
    assert "absent.proto" in str(err)
    out, errout = capfd.readouterr()
    # protoc's own output is captured, never printed
    assert out == ""
    assert errout == ""


def test_proto_cycle_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "one.proto").write_text('syntax = "proto3";\nimport "c/two.proto";\n')
    (tmp_path / "c" / "two.proto").write_text('syntax = "proto3";\nimport "c/one.proto";\n')
    with pytest.raises(SchemaParseError) as info:
        load_catalog([tmp_path])
    assert "recursively imports itself" in info.value.message
    assert info.value.line == 2


def test_avro_and_proto_full_name_clash(tmp_path: Path) -> None:
    (tmp_path / "x.avsc").write_text(
        '{"type":"record","name":"Thing","namespace":"p.v1","fields":[]}'
    )
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "t.proto").write_text('syntax = "proto3";\npackage p.v1;\nmessage Thing {}\n')
    with pytest.raises(SchemaParseError, match=r"duplicate full name 'p\.v1\.Thing'"):
        load_catalog([tmp_path])


@pytest.mark.parametrize(
    ("text", "fragment", "line", "col"),
    [
        ('{"type": "record", "fields": []}', 'needs a "name"', 1, 1),
        ('{"type": "record", "name": "R"}', 'needs a "fields" array', 1, 1),
        ('{"type": "enum", "name": "E", "symbols": [1]}', '"symbols" array of strings', 1, 1),
        ('{"type": "fixed", "name": "F"}', 'integer "size"', 1, 1),
        ('{"type": "record", "name": "R", "fields": [{"name": "a"}]}', 'needs a "type"', 1, 44),
        ('{"type": "array"}', 'needs "items"', 1, 1),
        ('{"type": "record", "name": "R", "fields": [{"name": "a", "type": 3}]}', "found 3", 1, 66),
        ('"string"', "no top-level record", 1, 1),
    ],
)
def test_malformed_avro_shapes(
    tmp_path: Path, text: str, fragment: str, line: int, col: int
) -> None:
    (tmp_path / "bad.avsc").write_text(text)
    with pytest.raises(SchemaParseError) as info:
        load_catalog([tmp_path])
    assert fragment in info.value.message
    assert (info.value.line, info.value.col) == (line, col)


def test_missing_schema_folder_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_catalog([tmp_path / "nope"])


def test_get_names_the_missing_schema_and_suggests() -> None:
    catalog = load_catalog([SCHEMAS])
    with pytest.raises(HeraldError, match=r"'com\.acme\.orders\.OrderPlace'.*OrderPlaced"):
        catalog.get("com.acme.orders.OrderPlace")


def test_loading_is_deterministic(tmp_path: Path) -> None:
    copy = tmp_path / "schemas"
    shutil.copytree(SCHEMAS, copy)
    first = load_catalog([copy])
    second = load_catalog([copy])
    assert list(first.schemas) == list(second.schemas)
    assert [f.display_path for f in first.files] == [f.display_path for f in second.files]


def test_registry_form_avro_references_and_texts() -> None:
    catalog = load_catalog([SCHEMAS])
    form = registry_form_for(
        catalog, "com.acme.orders.OrderPlaced", {"com.acme.orders.LineItem": 3}
    )
    assert form.schema_type == "AVRO"
    assert [(r.name, r.subject, r.version) for r in form.references] == [
        ("com.acme.orders.Currency", "com.acme.orders.Currency", None),
        ("com.acme.orders.LineItem", "com.acme.orders.LineItem", 3),
    ]
    assert "\n" not in form.text
    assert '"name":"OrderPlaced"' in form.text
    texts = reference_texts(catalog, form.file)
    assert list(texts) == ["com.acme.orders.Currency", "com.acme.orders.LineItem"]


def test_registry_form_protobuf_references_by_import_path() -> None:
    catalog = load_catalog([SCHEMAS])
    form = registry_form_for(catalog, "acme.payments.v1.PaymentRefunded")
    assert form.schema_type == "PROTOBUF"
    assert form.text == (SCHEMAS / "acme/payments/v1/payments.proto").read_text()
    assert [(r.name, r.subject) for r in form.references] == [
        ("acme/payments/v1/money.proto", "acme/payments/v1/money.proto")
    ]
