"""Approved breaks (``[[allow]]``) in ``herald diff`` and inline lint ignores in both formats."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from codegen.allow import Allowance, Approvals
from codegen.cli import main
from codegen.config import load_config
from codegen.errors import ConfigError
from codegen.findings import Finding, Location, Severity
from codegen.report import render

ORDER_V1 = {
    "type": "record",
    "name": "Order",
    "namespace": "shop",
    "doc": "An order.",
    "fields": [{"name": "id", "type": "string", "doc": "Its id."}],
}
ORDER_V2 = {**ORDER_V1, "fields": [*ORDER_V1["fields"], {"name": "coupon", "type": "string"}]}
ALLOW = """
[[allow]]
rule = "READER_FIELD_MISSING_DEFAULT_VALUE"
schema = "{schema}"
{extra}
reason = "no reader of shop.Order is live yet"
"""


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.email=t@t", "-c", "user.name=t", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repo whose committed Order gains a field without a default in the working tree."""
    order = tmp_path / "schemas" / "shop" / "Order.avsc"
    order.parent.mkdir(parents=True)
    order.write_text(json.dumps(ORDER_V1, indent=2))
    (tmp_path / "herald.toml").write_text('schemas = ["schemas"]\n')
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-qm", "v1")
    order.write_text(json.dumps(ORDER_V2, indent=2))
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _allow(repo: Path, schema: str = "shop.Order", extra: str = "") -> None:
    with (repo / "herald.toml").open("a") as handle:
        handle.write(ALLOW.format(schema=schema, extra=extra))


def _diff(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["diff", "--against", "HEAD", *args])
    return result.exit_code, result.stdout, result.stderr


def test_an_unapproved_break_fails(repo: Path) -> None:
    code, out, _ = _diff()
    assert code == 1
    assert "error READER_FIELD_MISSING_DEFAULT_VALUE [/fields/1]" in out


def test_a_matching_entry_reports_the_break_as_allowed_with_its_reason(repo: Path) -> None:
    _allow(repo, extra='path = "/fields/1"\nexpires = 2999-12-31')
    code, out, err = _diff()
    assert code == 0, out
    assert "allowed READER_FIELD_MISSING_DEFAULT_VALUE [/fields/1]" in out
    assert "    allowed: no reader of shop.Order is live yet" in out
    assert "compatible (1 allowed by [[allow]])" in err


def test_an_expired_entry_lets_nothing_through_and_says_so(repo: Path) -> None:
    _allow(repo, extra="expires = 2000-01-31")
    code, out, _ = _diff()
    assert code == 1
    assert "error READER_FIELD_MISSING_DEFAULT_VALUE" in out
    assert "herald.toml:3:1: warning ALLOW_EXPIRED" in out
    assert "expired on 2000-01-31: no longer lets this break through" in out


@pytest.mark.parametrize(
    ("schema", "extra"), [("shop.Other", ""), ("shop.Order", 'path = "/fields/0"')]
)
def test_an_entry_that_matches_nothing_is_a_stale_warning(
    repo: Path, schema: str, extra: str
) -> None:
    _allow(repo, schema=schema, extra=extra)
    code, out, _ = _diff("--format", "github")
    assert code == 1
    assert "::warning file=herald.toml,line=3,col=1,title=ALLOW_STALE::" in out
    assert "is stale: it matches no finding of this run" in out


def test_markdown_is_a_summary_table_of_the_findings(repo: Path) -> None:
    _allow(repo)
    code, out, _ = _diff("--format", "markdown")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "### herald diff: 1 allowed"
    assert lines[2] == "| | Rule | Where | Schema path | Message |"
    assert lines[4].startswith(
        "| allowed | `READER_FIELD_MISSING_DEFAULT_VALUE` | `schemas/shop/Order.avsc:"
    )
    assert lines[4].endswith("<br>*allowed: no reader of shop.Order is live yet* |")


def test_gitlab_code_quality_report() -> None:
    finding = Finding("RULE_X", "a|b", Location("s/a.avsc", 3, 2), "/fields/0")
    rows = json.loads(render([finding], "gitlab"))
    assert rows == [
        {
            "description": "a|b",
            "check_name": "RULE_X",
            "fingerprint": rows[0]["fingerprint"],
            "severity": "major",
            "location": {"path": "s/a.avsc", "lines": {"begin": 3}},
        }
    ]
    assert len(rows[0]["fingerprint"]) == 64


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ('rule = "READER_FIELD_MISSING_DEFAULT_VALUE"\nschema = "a"', "allow[0].reason: missing"),
        ('rule = "NOPE"\nschema = "a"\nreason = "r"', "allow[0].rule: 'NOPE' is not a compat"),
        ('rule = "AVRO_FIELD_DOC"\nschema = "a"\nreason = "r"', "ignored inline"),
        (
            'rule = "SCHEMA_REMOVED"\nschema = "a"\nreason = "r"\nexpires = "soon"',
            "allow[0].expires: expected a date",
        ),
        ('rule = "SCHEMA_REMOVED"\nschema = "a"\nreason = " "', "allow[0].reason: expected a non"),
        ('rule = "SCHEMA_REMOVED"\nschema = "a"\nreason = "r"\nwhy = 1', "allow[0].why: unknown"),
    ],
)
def test_invalid_entries_are_config_errors(tmp_path: Path, entry: str, message: str) -> None:
    config = tmp_path / "herald.toml"
    config.write_text(f"[[allow]]\n{entry}\n")
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(str(config))


def test_a_check_summary_is_allowed_once_every_break_it_explains_is() -> None:
    where = Location("s.avsc", 1, 1)
    summary = Finding("REGISTRY_INCOMPATIBLE", "orders-value: not compatible", where)
    reason = Finding("SCHEMA_REMOVED", "gone", where, "/x", subject="orders-value")
    entry = Allowance("SCHEMA_REMOVED", "com.acme.Order", "retired", origin="herald.toml")
    approvals = Approvals(
        [entry], today=dt.date(2026, 1, 1), aliases={"orders-value": {"com.acme.Order"}}
    )
    result = approvals.apply([summary, reason], summary_rule="REGISTRY_INCOMPATIBLE")
    assert [f.severity for f in result] == [Severity.ALLOWED, Severity.ALLOWED]
    assert result[1].reason == "retired"
    assert approvals.leftovers() == []


def test_inline_ignores_in_avro_and_protobuf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    thing = {
        "type": "record",
        "name": "Thing",
        "namespace": "demo",
        "doc": "A thing.",
        "fields": [
            {"name": "a", "type": "string", "herald.lint.ignore": ["AVRO_FIELD_DOC"]},
            {"name": "b", "type": "string"},
        ],
    }
    (tmp_path / "demo").mkdir()
    (tmp_path / "demo" / "Thing.avsc").write_text(json.dumps(thing, indent=2))
    (tmp_path / "demo" / "v1").mkdir()
    (tmp_path / "demo" / "v1" / "thing.proto").write_text(
        'syntax = "proto3";\npackage demo.v1;\n\n'
        "// herald:lint:ignore PROTO_MESSAGE_DOC\nmessage Thing {\n"
        "  // herald:lint:ignore PROTO_FIELD_DOC\n  string a = 1;\n  string b = 2;\n}\n"
    )
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["lint", "--schemas", ".", "--format", "json"])
    assert result.stderr == "", result.stderr
    found = {(f["rule"], f["schema_path"]) for f in json.loads(result.stdout)["findings"]}
    assert found == {("AVRO_FIELD_DOC", "/fields/1"), ("PROTO_FIELD_DOC", "#/demo.v1.Thing/2")}
    assert result.exit_code == 1
