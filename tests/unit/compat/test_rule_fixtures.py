"""Before/after fixtures per rule: the exact (file, line, column, rule id) herald reports.

``tests/fixtures/compat/previous/<RULE>/`` holds the schema before a change and
``current/<RULE>/`` after it; ``expected.json`` gives the level, whether the strict profile
is on, and every finding expected, as [path, line, column, rule].
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from codegen.compat import RULES, SchemaSource, compare

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "compat"
EXPECTED: dict[str, dict[str, Any]] = json.loads((FIXTURES / "expected.json").read_text())
FORMATS = {".avsc": "AVRO", ".proto": "PROTOBUF"}
#: Rules about the set of schemas rather than a pair (tested through the CLI and engine).
WITHOUT_FIXTURE = {"SCHEMA_TYPE_CHANGED", "SCHEMA_REMOVED"}


def _source(kind: str, rule: str) -> SchemaSource:
    (path,) = sorted((FIXTURES / kind / rule).iterdir())
    return SchemaSource(FORMATS[path.suffix], path.read_text(), f"{kind}/{rule}/{path.name}")


def test_every_rule_has_a_fixture() -> None:
    assert set(RULES) - WITHOUT_FIXTURE == set(EXPECTED)


@pytest.mark.parametrize("rule_id", sorted(EXPECTED))
def test_rule_fixture_reports_exactly_the_expected_findings(rule_id: str) -> None:
    spec = EXPECTED[rule_id]
    findings = compare(
        [_source("previous", rule_id)],
        _source("current", rule_id),
        spec["level"],
        strict=spec["strict"],
    )
    got = [[f.location.path, f.location.line, f.location.col, f.rule] for f in findings]
    assert got == spec["findings"]
    assert rule_id in {f.rule for f in findings}
    for finding in findings:
        assert finding.message.endswith(".")
        assert finding.hint
        assert finding.schema_path.startswith(("/", "#/"))


@pytest.mark.parametrize("rule_id", sorted(EXPECTED))
def test_rule_fixture_is_clean_without_the_change(rule_id: str) -> None:
    current = _source("current", rule_id)
    spec = EXPECTED[rule_id]
    assert compare([current], current, spec["level"], strict=spec["strict"]) == []
