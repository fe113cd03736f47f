"""``herald lint``: run every enabled rule over every catalog file and collect findings.

Flow: catalog files -> each rule of the file's format (minus those disabled in config) ->
violations (minus those ignored inline, :mod:`codegen.lint.ignores`) -> findings located at
file:line:col through the catalog's source maps.
"""

from __future__ import annotations

from collections.abc import Collection

from codegen.catalog import AvroFile, Catalog, ProtoFile
from codegen.findings import Finding
from codegen.lint.avro import AVRO_RULES
from codegen.lint.contracts import contract_findings
from codegen.lint.ignores import avro_ignores, ignored, proto_ignores
from codegen.lint.model import LintRule, Violation
from codegen.lint.protobuf import PROTO_RULES
from codegen.lint.rules import RULES

__all__ = ["RULES", "LintRule", "Violation", "lint_catalog", "lint_file"]


def _finding(rule_id: str, schema_file: AvroFile | ProtoFile, v: Violation) -> Finding:
    if isinstance(schema_file, AvroFile):
        assert isinstance(v.where, str)
        location = schema_file.locate(v.where)
        schema_path = v.schema_path or v.where
    else:
        assert isinstance(v.where, tuple)
        location = schema_file.locate(v.where)
        schema_path = v.schema_path
    return Finding(
        rule=rule_id,
        message=v.message,
        location=location,
        schema_path=schema_path,
        hint=v.hint,
        subject=v.subject,
    )


def lint_file(schema_file: AvroFile | ProtoFile, disabled: Collection[str] = ()) -> list[Finding]:
    """Findings of every enabled rule for one file."""
    findings: list[Finding] = []
    if isinstance(schema_file, AvroFile):
        avro_skip = avro_ignores(schema_file)
        for rule_id, avro_rule in AVRO_RULES.items():
            if rule_id not in disabled:
                findings.extend(
                    _finding(rule_id, schema_file, v)
                    for v in avro_rule.check(schema_file)
                    if not ignored(rule_id, v.where, avro_skip)
                )
    else:
        proto_skip = proto_ignores(schema_file)
        for rule_id, proto_rule in PROTO_RULES.items():
            if rule_id not in disabled:
                findings.extend(
                    _finding(rule_id, schema_file, v)
                    for v in proto_rule.check(schema_file)
                    if not ignored(rule_id, v.where, proto_skip)
                )
    findings.extend(contract_findings(schema_file, disabled))
    return sorted(findings, key=Finding.sort_key)


def lint_catalog(catalog: Catalog, disabled: Collection[str] = ()) -> list[Finding]:
    """Findings of every enabled rule over every file of the catalog, sorted by location."""
    findings: list[Finding] = []
    for schema_file in catalog.files:
        findings.extend(lint_file(schema_file, disabled))
    return sorted(findings, key=Finding.sort_key)
