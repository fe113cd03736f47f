"""Findings: what lint and compatibility rules report, with a location a person can jump to."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Severity(StrEnum):
    """How a finding affects the exit code: errors fail the run, warnings do not."""

    ERROR = "error"
    WARNING = "warning"
    #: A break approved by an ``[[allow]]`` entry: shown with its reason, does not fail.
    ALLOWED = "allowed"


@dataclass(frozen=True, slots=True)
class Location:
    """A place in a schema file; line and column are 1-based, 0 when unknown."""

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.path}:{self.line}:{self.col or 1}"
        return self.path


@dataclass(frozen=True, slots=True)
class Finding:
    """One rule violation: rule id, where, which part of the schema, and how to fix it."""

    rule: str
    message: str
    location: Location
    #: JSON pointer for Avro (``/fields/2/type``), ``#/Message/field_number`` for Protobuf.
    schema_path: str = ""
    hint: str = ""
    severity: Severity = Severity.ERROR
    #: The subject or full name the finding is about, for grouping in reports.
    subject: str = ""
    #: Why an ``allowed`` finding is let through: its ``[[allow]]`` entry's reason.
    reason: str = ""

    def sort_key(self) -> tuple[str, int, int, str, str]:
        """Order findings by file, position, then rule, so output is deterministic."""
        loc = self.location
        return (loc.path, loc.line, loc.col, self.rule, self.message)
