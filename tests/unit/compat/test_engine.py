"""The compatibility engine's public API: levels, directions, references, errors, the corpus."""

from __future__ import annotations

import json

import pytest

from codegen.compat import LEVELS, RULES, SchemaSource, compare
from codegen.errors import ConfigError, SchemaParseError
from tests.fixtures.compat.corpus import CASES, OFFLINE_ONLY_CASES, Case, fld, rec


def avro(doc: object, path: str = "order.avsc", **refs: str) -> SchemaSource:
    text = doc if isinstance(doc, str) else json.dumps(doc, indent=2)
    return SchemaSource("AVRO", text, path, refs)


def proto(text: str, path: str = "order.proto", refs: dict[str, str] | None = None) -> SchemaSource:
    return SchemaSource("PROTOBUF", text, path, refs or {})


@pytest.mark.parametrize("case", CASES + OFFLINE_ONLY_CASES, ids=lambda c: c.id)
def test_corpus_verdicts_offline(case: Case) -> None:
    fmt = "AVRO" if case.format == "AVRO" else "PROTOBUF"
    old_refs, new_refs = dict(case.old_refs), dict(case.new_refs)
    previous = [SchemaSource(fmt, t, f"v{i}", old_refs) for i, t in enumerate(case.previous)]
    findings = compare(previous, SchemaSource(fmt, case.new, "new", new_refs), case.level)
    assert (not findings) == case.compatible
    assert set(case.rules) <= {f.rule for f in findings}
    assert all(f.location.path in ("new", *new_refs) for f in findings)


def test_levels_are_confluents_and_backward_is_the_default() -> None:
    assert list(LEVELS) == [
        "BACKWARD",
        "BACKWARD_TRANSITIVE",
        "FORWARD",
        "FORWARD_TRANSITIVE",
        "FULL",
        "FULL_TRANSITIVE",
        "NONE",
    ]
    old = avro(rec("Order", fld("id", "string")))
    new = avro(rec("Order", fld("id", "string"), fld("x", "int")))
    assert [f.rule for f in compare([old], new)] == ["READER_FIELD_MISSING_DEFAULT_VALUE"]


def test_unknown_level_is_a_config_error() -> None:
    source = avro(rec("Order", fld("id", "string")))
    with pytest.raises(ConfigError, match="unknown compatibility level 'SIDEWAYS'"):
        compare([source], source, "SIDEWAYS")


def test_every_rule_is_declared_with_purpose_and_category() -> None:
    for rule_id, rule in RULES.items():
        assert rule_id == rule.id
        assert rule_id.isupper()
        assert rule.purpose.endswith(".")
        assert rule.format in ("AVRO", "PROTOBUF")


def test_non_transitive_levels_use_only_the_latest_version() -> None:
    v1 = avro(rec("Order", fld("id", "string")))
    v2 = avro(rec("Order", fld("id", "string"), fld("c", "string", default="")))
    v3 = avro(rec("Order", fld("id", "string"), fld("c", "string")))
    assert compare([v1, v2], v3, "BACKWARD") == []
    (finding,) = compare([v1, v2], v3, "BACKWARD_TRANSITIVE")
    assert finding.rule == "READER_FIELD_MISSING_DEFAULT_VALUE"
    assert "(against previous version 1 of 2)" in finding.message


def test_forward_breaks_point_at_the_new_schema() -> None:
    old = avro(rec("Order", fld("id", "string"), fld("qty", "int")), "old.avsc")
    new = avro(rec("Order", fld("id", "string")), "new.avsc")
    (finding,) = compare([old], new, "FORWARD")
    assert finding.rule == "READER_FIELD_MISSING_DEFAULT_VALUE"
    assert finding.location.path == "new.avsc"
    assert (finding.location.line, finding.location.col) == (1, 1)
    assert "was removed" in finding.message


def test_avro_named_types_resolve_through_references() -> None:
    address_v1 = json.dumps(rec("Address", fld("city", "string")))
    address_v2 = json.dumps(rec("Address", fld("city", "string"), fld("zip", "string")))
    order = rec("Order", fld("id", "string"), fld("ship_to", "shop.Address"))
    old = avro(order, **{"shop.Address": address_v1})
    new = avro(order, **{"shop.Address": address_v2})
    (finding,) = compare([old], new)
    assert finding.rule == "READER_FIELD_MISSING_DEFAULT_VALUE"
    assert finding.schema_path == "/fields/1/type/fields/1"
    assert finding.location.path == "shop.Address"


def test_avro_alias_matches_a_renamed_field_and_type() -> None:
    old = avro(rec("Order", fld("qty", "int")))
    new = avro(rec("Purchase", fld("quantity", "long", aliases=["qty"]), aliases=["shop.Order"]))
    assert compare([old], new, "BACKWARD") == []


def test_avro_recursive_types_terminate() -> None:
    node = rec("Node", fld("v", "int"), fld("next", ["null", "Node"], default=None))
    assert compare([avro(node)], avro(node), "FULL_TRANSITIVE") == []


def test_schema_type_change_is_a_finding() -> None:
    old = avro(rec("Order", fld("id", "string")))
    new = proto('syntax = "proto3";\nmessage Order { string id = 1; }\n')
    assert [f.rule for f in compare([old], new)] == ["SCHEMA_TYPE_CHANGED"]


def test_protobuf_import_changes_are_followed() -> None:
    money_v1 = 'syntax = "proto3";\npackage common;\nmessage Money {\n  int64 units = 1;\n}\n'
    money_v2 = money_v1.replace("int64 units", "string units")
    order = (
        'syntax = "proto3";\npackage shop;\nimport "common/money.proto";\n'
        "message Order {\n  common.Money total = 1;\n}\n"
    )
    old = proto(order, refs={"common/money.proto": money_v1})
    new = proto(order, refs={"common/money.proto": money_v2})
    assert compare([old], proto(order, refs={"common/money.proto": money_v1})) == []
    rules = sorted(f.rule for f in compare([old], new))
    assert rules == ["FIELD_NAMED_TYPE_CHANGED", "FIELD_SCALAR_KIND_CHANGED"]


def test_protobuf_well_known_types_compile() -> None:
    text = (
        'syntax = "proto3";\nimport "google/protobuf/timestamp.proto";\n'
        "message Order {\n  google.protobuf.Timestamp at = 1;\n}\n"
    )
    assert compare([proto(text)], proto(text), "FULL") == []


def test_malformed_avro_json_is_a_parse_error_with_position() -> None:
    with pytest.raises(SchemaParseError) as caught:
        compare([], avro('{\n  "type": "record",\n  "name": \n}'))
    assert (caught.value.path, caught.value.line, caught.value.col) == ("order.avsc", 4, 1)


def test_unknown_avro_type_names_the_use() -> None:
    with pytest.raises(SchemaParseError, match=r"unknown type 'shop\.Missing'") as caught:
        compare([], avro(rec("Order", fld("x", "Missing"))))
    assert (caught.value.line, caught.value.col) == (8, 15)


def test_protobuf_syntax_error_names_the_schema_path() -> None:
    with pytest.raises(SchemaParseError) as caught:
        compare([], proto('syntax = "proto3";\nmessage Order {\n  string id = ;\n}\n', "pay.proto"))
    assert caught.value.path == "pay.proto"
    assert caught.value.line == 3


def test_strict_rules_only_with_strict() -> None:
    old = proto('syntax = "proto3";\nmessage Order {\n  string id = 1;\n  string tag = 2;\n}\n')
    new = proto('syntax = "proto3";\nmessage Order {\n  string id = 1;\n}\n')
    assert compare([old], new) == []
    rules = [f.rule for f in compare([old], new, strict=True)]
    assert rules == [
        "FIELD_NO_DELETE_UNLESS_NUMBER_RESERVED",
        "FIELD_NO_DELETE_UNLESS_NAME_RESERVED",
    ]
    body = '  reserved 2;\n  reserved "tag";\n  string id = 1;'
    reserved = proto(f'syntax = "proto3";\nmessage Order {{\n{body}\n}}\n')
    assert compare([old], reserved, strict=True) == []


def test_findings_carry_the_given_full_name_as_subject() -> None:
    old = SchemaSource("AVRO", json.dumps(rec("Order", fld("id", "string"))), "o.avsc")
    new = SchemaSource(
        "AVRO", json.dumps(rec("Order", fld("id", "int"))), "n.avsc", full_name="orders-value"
    )
    (finding,) = compare([old], new)
    assert finding.subject == "orders-value"
    (unnamed,) = compare([old], SchemaSource("AVRO", new.text, "n.avsc"))
    assert unnamed.subject == "shop.Order"


def test_map_changes_are_reported_once_on_the_map_field() -> None:
    old = proto('syntax = "proto3";\nmessage Order {\n  map<string, int32> tags = 1;\n}\n')
    new = proto('syntax = "proto3";\nmessage Order {\n  map<string, string> tags = 1;\n}\n')
    (finding,) = compare([old], new)
    assert (finding.rule, finding.schema_path) == ("FIELD_SCALAR_KIND_CHANGED", "#/Order/1")
    assert "(map value)" in finding.message
