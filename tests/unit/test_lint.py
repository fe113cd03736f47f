"""Each lint rule: the before fixture gives exactly the expected findings, the after none."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from codegen.catalog import load_catalog
from codegen.cli import main
from codegen.config import load_config
from codegen.lint import RULES, lint_catalog

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "lint"

#: Rule id -> (path under before/, line, col) of every finding the before fixture must give.
EXPECTED: dict[str, list[tuple[str, int, int]]] = {
    "AVRO_ENUM_DEFAULT": [("lint/demo/color.avsc", 1, 1)],
    "AVRO_ENUM_SYMBOL_UPPER_SNAKE_CASE": [("lint/demo/color.avsc", 6, 22)],
    "AVRO_FIELD_DOC": [("lint/demo/thing.avsc", 7, 5)],
    "AVRO_FIELD_NAME_SNAKE_CASE": [("lint/demo/thing.avsc", 7, 14)],
    "AVRO_FILE_NAME_MATCHES_TYPE": [("lint/demo/stuff.avsc", 3, 11)],
    "AVRO_NAMESPACE_MATCHES_FOLDER": [("lint/demo/thing.avsc", 4, 16)],
    "AVRO_NULLABLE_DEFAULT_NULL": [("lint/demo/thing.avsc", 8, 5)],
    "AVRO_NULLABLE_NULL_FIRST": [("lint/demo/thing.avsc", 8, 30)],
    "AVRO_TYPE_DOC": [("lint/demo/thing.avsc", 1, 1)],
    "AVRO_TYPE_NAME_PASCAL_CASE": [("lint/demo/thing_record.avsc", 3, 11)],
    "CONTRACT_CEL_PARSES": [("lint/demo/thing.contract.json", 10, 17)],
    "PROTO_ENUM_VALUE_PREFIX": [("lint/demo/v1/thing.proto", 17, 3)],
    "PROTO_ENUM_VALUE_UPPER_SNAKE_CASE": [("lint/demo/v1/thing.proto", 17, 3)],
    "PROTO_ENUM_ZERO_VALUE_UNSPECIFIED": [("lint/demo/v1/thing.proto", 15, 3)],
    "PROTO_FIELD_DOC": [("lint/demo/v1/thing.proto", 9, 3)],
    "PROTO_FIELD_NAME_SNAKE_CASE": [("lint/demo/v1/thing.proto", 9, 3)],
    "PROTO_MESSAGE_DOC": [("lint/demo/v1/thing.proto", 7, 1)],
    "PROTO_MESSAGE_NAME_PASCAL_CASE": [("lint/demo/v1/thing.proto", 7, 1)],
    "PROTO_PACKAGE_MATCHES_FOLDER": [("lint/demo/v1/thing.proto", 4, 1)],
    "PROTO_PACKAGE_VERSIONED": [("lint/demo/thing.proto", 4, 1)],
}


@pytest.fixture(autouse=True)
def _in_fixtures(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(FIXTURES)


def test_every_rule_has_fixtures_and_expectations() -> None:
    assert sorted(EXPECTED) == sorted(RULES)
    assert sorted(p.name for p in FIXTURES.iterdir() if p.is_dir()) == sorted(RULES)


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_before_fixture_gives_the_rule_at_its_location(rule_id: str) -> None:
    findings = lint_catalog(load_catalog([FIXTURES / rule_id / "before"]))
    got = [
        (f.location.path.removeprefix(f"{rule_id}/before/"), f.location.line, f.location.col)
        for f in findings
        if f.rule == rule_id
    ]
    assert got == EXPECTED[rule_id]
    assert all(f.message and f.hint for f in findings)


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_after_fixture_is_clean(rule_id: str) -> None:
    assert lint_catalog(load_catalog([FIXTURES / rule_id / "after"])) == []


@pytest.mark.parametrize("rule_id", sorted(RULES))
def test_disabling_a_rule_removes_its_findings(rule_id: str) -> None:
    catalog = load_catalog([FIXTURES / rule_id / "before"])
    assert all(f.rule != rule_id for f in lint_catalog(catalog, {rule_id}))


def test_example_schemas_are_lint_clean(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    assert lint_catalog(load_catalog([REPO / "schemas"])) == []


def test_schema_paths_are_json_pointers_and_protobuf_paths() -> None:
    avro = lint_catalog(load_catalog([FIXTURES / "AVRO_FIELD_DOC" / "before"]))
    assert [f.schema_path for f in avro] == ["/fields/0"]
    proto = lint_catalog(load_catalog([FIXTURES / "PROTO_FIELD_DOC" / "before"]))
    assert [f.schema_path for f in proto] == ["#/lint.demo.v1.Thing/1"]
    assert proto[0].subject == "lint.demo.v1.Thing"


def _project(tmp_path: Path, rule_id: str, disable: list[str]) -> Path:
    (tmp_path / "herald.toml").write_text(
        f'schemas = ["{(FIXTURES / rule_id / "before").as_posix()}"]\n'
        f"[lint]\ndisable = {json.dumps(disable)}\n"
    )
    return tmp_path / "herald.toml"


def test_config_switches_rules_off(tmp_path: Path) -> None:
    path = _project(tmp_path, "AVRO_NULLABLE_NULL_FIRST", ["AVRO_NULLABLE_NULL_FIRST"])
    config = load_config(str(path))
    assert config.lint.disable == {"AVRO_NULLABLE_NULL_FIRST"}
    findings = lint_catalog(load_catalog(config.schemas), config.lint.disable)
    assert [f.rule for f in findings] == ["AVRO_NULLABLE_DEFAULT_NULL"]


def test_cli_lint_exit_codes_and_config_disable(tmp_path: Path) -> None:
    runner = CliRunner()
    path = _project(tmp_path, "AVRO_TYPE_DOC", [])
    failing = runner.invoke(main, ["lint", "--config", str(path)])
    assert failing.exit_code == 1
    assert "AVRO_TYPE_DOC" in failing.output
    path = _project(tmp_path, "AVRO_TYPE_DOC", ["AVRO_TYPE_DOC"])
    passing = runner.invoke(main, ["lint", "--config", str(path)])
    assert passing.exit_code == 0, passing.output


def test_cli_lint_without_config_and_json_format(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    schemas = FIXTURES / "PROTO_ENUM_VALUE_PREFIX" / "before"
    result = CliRunner().invoke(main, ["lint", "--schemas", str(schemas), "--format", "json"])
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert [(r["rule"], r["line"], r["column"]) for r in doc["findings"]] == [
        ("PROTO_ENUM_VALUE_PREFIX", 17, 3)
    ]
    disabled = CliRunner().invoke(
        main, ["lint", "--schemas", str(schemas), "--disable", "PROTO_ENUM_VALUE_PREFIX"]
    )
    assert disabled.exit_code == 0


def test_cli_lint_unknown_rule_and_parse_error_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    unknown = CliRunner().invoke(main, ["lint", "--schemas", str(tmp_path), "--disable", "NOPE"])
    assert unknown.exit_code == 2
    assert "unknown lint rule 'NOPE'" in unknown.output
    (tmp_path / "bad.avsc").write_text('{"type": "record",\n  "name": }')
    broken = CliRunner().invoke(main, ["lint", "--schemas", str(tmp_path)])
    assert broken.exit_code == 2
    assert "bad.avsc:2:11: malformed JSON" in broken.output
    assert "Traceback" not in broken.output


def test_list_rules_names_every_rule() -> None:
    result = CliRunner().invoke(main, ["lint", "--list-rules"])
    assert result.exit_code == 0
    for rule_id, rule in RULES.items():
        assert rule_id in result.output
        assert rule.purpose in result.output
