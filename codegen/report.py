"""Print findings as text, JSON, GitHub Actions annotations, JUnit XML, markdown or GitLab.

Every command that reports findings (lint, diff, check, register) goes through
:func:`render`, so the formats stay consistent across commands. ``markdown`` is a table for a
CI job's summary page (``$GITHUB_STEP_SUMMARY``), ``gitlab`` a GitLab code quality report.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from typing import Literal
from xml.etree import ElementTree as ET

from codegen.findings import Finding, Severity

ReportFormat = Literal["text", "json", "github", "junit", "markdown", "gitlab"]
FORMATS: tuple[ReportFormat, ...] = ("text", "json", "github", "junit", "markdown", "gitlab")
#: GitHub's workflow command per severity: an approved break is a notice, not a warning.
_GITHUB_LEVELS: dict[Severity, str] = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.ALLOWED: "notice",
}
#: GitLab code quality severities (info, minor, major, critical, blocker).
_GITLAB_SEVERITIES: dict[Severity, str] = {
    Severity.ERROR: "major",
    Severity.WARNING: "minor",
    Severity.ALLOWED: "info",
}


def _text(findings: Sequence[Finding], suite: str) -> str:
    lines = []
    for f in findings:
        where = f"{f.location}"
        path = f" [{f.schema_path}]" if f.schema_path else ""
        lines.append(f"{where}: {f.severity.value} {f.rule}{path}: {f.message}")
        if f.reason:
            lines.append(f"    allowed: {f.reason}")
        elif f.hint:
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
            "reason": f.reason,
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
        level = _GITHUB_LEVELS[f.severity]
        props = [f"file={_escape_github(f.location.path, prop=True)}"]
        if f.location.line:
            props.append(f"line={f.location.line}")
            props.append(f"col={f.location.col or 1}")
        props.append(f"title={_escape_github(f.rule, prop=True)}")
        body = f.message + (
            f" (allowed: {f.reason})" if f.reason else f" ({f.hint})" if f.hint else ""
        )
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


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown(findings: Sequence[Finding], suite: str) -> str:
    counts = {s: sum(1 for f in findings if f.severity is s) for s in Severity}
    if not findings:
        return f"### {suite}: no findings\n"
    summary = ", ".join(f"{n} {s.value}" for s, n in counts.items() if n)
    lines = [
        f"### {suite}: {summary}",
        "",
        "| | Rule | Where | Schema path | Message |",
        "|---|---|---|---|---|",
    ]
    for f in findings:
        note = f"allowed: {f.reason}" if f.reason else f.hint
        message = _cell(f.message) + (f"<br>*{_cell(note)}*" if note else "")
        where = f"`{_cell(str(f.location))}`"
        path = f"`{_cell(f.schema_path)}`" if f.schema_path else ""
        lines.append(f"| {f.severity.value} | `{f.rule}` | {where} | {path} | {message} |")
    return "\n".join(lines) + "\n"


def _gitlab(findings: Sequence[Finding], suite: str) -> str:
    rows = []
    for f in findings:
        identity = "\0".join((f.rule, f.location.path, f.schema_path, f.subject, f.message))
        rows.append(
            {
                "description": f.message + (f" (allowed: {f.reason})" if f.reason else ""),
                "check_name": f.rule,
                "fingerprint": hashlib.sha256(identity.encode()).hexdigest(),
                "severity": _GITLAB_SEVERITIES[f.severity],
                "location": {"path": f.location.path, "lines": {"begin": f.location.line or 1}},
            }
        )
    return json.dumps(rows, indent=2)


_RENDERERS: dict[str, Callable[[Sequence[Finding], str], str]] = {
    "text": _text,
    "json": _json,
    "github": _github,
    "junit": _junit,
    "markdown": _markdown,
    "gitlab": _gitlab,
}


def render(findings: Iterable[Finding], fmt: ReportFormat, *, suite: str = "herald") -> str:
    """Render findings sorted by location in the requested format."""
    ordered = sorted(findings, key=Finding.sort_key)
    return _RENDERERS[fmt](ordered, suite)
