"""Print findings as text, JSON, GitHub Actions annotations or JUnit XML.

Every command that reports findings (lint, diff, check, register) goes through
:func:`render`, so the four formats stay consistent across commands.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Literal
from xml.etree import ElementTree as ET

from codegen.findings import Finding, Severity

ReportFormat = Literal["text", "json", "github", "junit"]
FORMATS: tuple[ReportFormat, ...] = ("text", "json", "github", "junit")


def _text(findings: Sequence[Finding], suite: str) -> str:
    lines = []
    for f in findings:
        where = f"{f.location}"
        path = f" [{f.schema_path}]" if f.schema_path else ""
        lines.append(f"{where}: {f.severity.value} {f.rule}{path}: {f.message}")
        if f.hint:
            lines.append(f"    hint: {f.hint}")
    return "\n".join(lines)


def _json(findings: Sequence[Finding], suite: str) -> str:
    rows = [
        {
            "rule": f.rule,
            "severity": f.severity.value,
            "path": f.location.path,
            "line": f.location.line,
            "column": f.location.col,
            "schema_path": f.schema_path,
            "subject": f.subject,
            "message": f.message,
            "hint": f.hint,
        }
        for f in findings
    ]
    return json.dumps({"suite": suite, "findings": rows}, indent=2, sort_keys=True)


def _escape_github(text: str, *, prop: bool = False) -> str:
    """Escape per the workflow-command rules so a message cannot end the annotation early."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if prop:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def _github(findings: Sequence[Finding], suite: str) -> str:
    lines = []
    for f in findings:
        level = "error" if f.severity is Severity.ERROR else "warning"
        props = [f"file={_escape_github(f.location.path, prop=True)}"]
        if f.location.line:
            props.append(f"line={f.location.line}")
            props.append(f"col={f.location.col or 1}")
        props.append(f"title={_escape_github(f.rule, prop=True)}")
        body = f.message + (f" ({f.hint})" if f.hint else "")
        lines.append(f"::{level} {','.join(props)}::{_escape_github(body)}")
    return "\n".join(lines)


def _junit(findings: Sequence[Finding], suite: str) -> str:
    errors = [f for f in findings if f.severity is Severity.ERROR]
    root = ET.Element(
        "testsuite",
        {"name": suite, "tests": str(max(len(findings), 1)), "failures": str(len(errors))},
    )
    if not findings:
        ET.SubElement(root, "testcase", {"classname": suite, "name": "all"})
    for f in findings:
        case = ET.SubElement(
            root,
            "testcase",
            {"classname": f.subject or f.location.path, "name": f"{f.rule} {f.location}"},
        )
        tag = "failure" if f.severity is Severity.ERROR else "system-out"
        node = ET.SubElement(case, tag, {"message": f.message, "type": f.rule})
        node.text = f"{f.location} {f.schema_path}\n{f.message}\n{f.hint}".strip()
    return ET.tostring(root, encoding="unicode", xml_declaration=True)


_RENDERERS: dict[str, Callable[[Sequence[Finding], str], str]] = {
    "text": _text,
    "json": _json,
    "github": _github,
    "junit": _junit,
}


def render(findings: Iterable[Finding], fmt: ReportFormat, *, suite: str = "herald") -> str:
    """Render findings sorted by location in the requested format."""
    ordered = sorted(findings, key=Finding.sort_key)
    return _RENDERERS[fmt](ordered, suite)
