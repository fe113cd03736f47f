"""Approved breaks: ``[[allow]]`` entries of the config, and how they turn findings into notes.

A team that means to break a contract says so in review, in the config, with a reason::

    [[allow]]
    rule = "READER_FIELD_MISSING_DEFAULT_VALUE"
    schema = "com.acme.orders.OrderPlaced"      # a full name or a subject
    path = "/fields/9"                          # optional: the finding's schema path
    reason = "no consumer reads loyalty_tier yet"
    expires = 2027-01-31                        # optional: stops applying the day after

``herald diff`` and ``herald check`` pass their findings through :class:`Approvals`: a
matching error becomes an ``allowed`` finding carrying the reason (so the run exits 0), an
expired entry lets nothing through and says so, and an entry that matched nothing is reported
as stale (a warning), since a forgotten allowance would let the next break through unseen.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from codegen.errors import ConfigError
from codegen.findings import Finding, Location, Severity

RULE_EXPIRED = "ALLOW_EXPIRED"
RULE_STALE = "ALLOW_STALE"
#: Rules of ``herald check`` itself that an entry may name, beside the offline engine's.
REGISTRY_RULES = ("REGISTRY_INCOMPATIBLE",)
_KEYS = ("rule", "schema", "path", "reason", "expires")
#: The reason given to a summary finding allowed because every break beside it was.
SUMMARY_REASON = "every break it explains is allowed"


@dataclass(frozen=True, slots=True)
class Allowance:
    """One approved break: which rule, on which schema (and path), why, and until when."""

    rule: str
    schema: str
    reason: str
    path: str | None = None
    expires: dt.date | None = None
    #: Where it was written, e.g. ``herald.toml: allow[0]``, and the line of its header.
    origin: str = ""
    location: Location = field(default_factory=lambda: Location(""))

    def expired(self, today: dt.date) -> bool:
        """Whether its date has passed (it still applies on the day itself)."""
        return self.expires is not None and today > self.expires

    def matches(self, finding: Finding, names: Collection[str]) -> bool:
        """Whether this entry is about this finding: same rule, schema and (if given) path."""
        if finding.rule != self.rule or self.schema not in names:
            return False
        return self.path is None or finding.schema_path == self.path

    def describe(self) -> str:
        """How messages name the entry: origin, rule and schema."""
        at = f" at {self.path}" if self.path else ""
        return f"{self.origin} ({self.rule} on {self.schema}{at})"


def _header_lines(text: str, table: str) -> list[int]:
    """1-based lines of every ``[[table]]`` header, in order (tomllib keeps no positions)."""
    pattern = re.compile(rf"^\s*\[\[\s*{re.escape(table)}\s*\]\]")
    return [n for n, line in enumerate(text.splitlines(), 1) if pattern.match(line)]


def _date(value: object, fail: Any) -> dt.date | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise fail("expires", f"expected a date such as 2027-01-31, found {value!r}")


def parse_allowances(
    raw: object, *, where: str, prefix: str, text: str, known_rules: Collection[str]
) -> tuple[Allowance, ...]:
    """Validate the ``[[allow]]`` array of a config file (``text`` is the file, for lines)."""
    if raw is None:
        return ()
    key = f"{prefix}allow"
    if not isinstance(raw, list):
        raise ConfigError(f"{where}: {key}: expected an array of tables ([[allow]])")
    lines = _header_lines(text, key)
    found = []
    for index, entry in enumerate(raw):
        origin = f"{key}[{index}]"

        def fail(name: str, message: str, origin: str = origin) -> ConfigError:
            return ConfigError(f"{where}: {origin}.{name}: {message}")

        if not isinstance(entry, dict):
            raise ConfigError(f"{where}: {origin}: expected a table ([[allow]])")
        for name in entry:
            if name not in _KEYS:
                raise fail(name, f"unknown key; known keys here: {', '.join(_KEYS)}")
        values: dict[str, str] = {}
        for name in ("rule", "schema", "reason", "path"):
            value = entry.get(name)
            if value is None and name != "path":
                raise fail(name, "missing; every [[allow]] needs a rule, a schema and a reason")
            if value is not None and (not isinstance(value, str) or not value.strip()):
                raise fail(name, f"expected a non-empty string, found {value!r}")
            if value is not None:
                values[name] = value.strip()
        if values["rule"] not in known_rules:
            raise fail(
                "rule",
                f"{values['rule']!r} is not a compatibility rule; see `herald diff --list-rules` "
                "(lint findings are ignored inline or with [lint] disable)",
            )
        line = lines[index] if index < len(lines) else 0
        found.append(
            Allowance(
                rule=values["rule"],
                schema=values["schema"],
                reason=values["reason"],
                path=values.get("path"),
                expires=_date(entry.get("expires"), fail),
                origin=f"{where}: {origin}",
                location=Location(where, line, 1 if line else 0),
            )
        )
    return tuple(found)


def _names(finding: Finding, aliases: Mapping[str, Collection[str]]) -> set[str]:
    """Every name an entry's ``schema`` may use for a finding: subject, full names, message."""
    names = {finding.subject, *aliases.get(finding.subject, ())}
    # A Protobuf finding is keyed by its file; ``#/Message/...`` names the message inside it.
    if finding.schema_path.startswith("#/"):
        message = finding.schema_path[2:].split("/")[0]
        for name in list(names):
            package = name.rpartition(".")[0]
            names.add(f"{package}.{message}" if package else message)
    return names


class Approvals:
    """Applies a config's allowances to findings, run by run, then names unused entries.

    ``aliases`` maps a finding's subject to other names of its schema (``herald check``'s
    subjects to their full names), so an entry may name either.
    """

    def __init__(
        self,
        allowances: Sequence[Allowance],
        *,
        today: dt.date | None = None,
        aliases: Mapping[str, Collection[str]] | None = None,
    ) -> None:
        self.allowances = allowances
        self.today = today or dt.datetime.now(dt.UTC).date()
        self.aliases = aliases or {}
        self.allowed = 0
        self._used: set[int] = set()
        self._expired_hits: set[int] = set()

    def _entry_for(self, finding: Finding) -> Allowance | None:
        names = _names(finding, self.aliases)
        for index, entry in enumerate(self.allowances):
            if entry.matches(finding, names):
                if entry.expired(self.today):
                    self._expired_hits.add(index)
                    continue
                self._used.add(index)
                return entry
        return None

    def apply(self, findings: Iterable[Finding], summary_rule: str | None = None) -> list[Finding]:
        """Each error an active entry matches becomes ``allowed``, carrying the entry's reason.

        A ``summary_rule`` finding (``herald check``'s "not compatible with version N") is
        allowed too once every other error beside it was.
        """
        result: list[Finding] = []
        for finding in findings:
            entry = None
            if finding.severity is Severity.ERROR:
                entry = self._entry_for(finding)
            if entry is None:
                result.append(finding)
            else:
                self.allowed += 1
                result.append(replace(finding, severity=Severity.ALLOWED, reason=entry.reason))
        if summary_rule is None:
            return result
        others = [f for f in result if f.rule != summary_rule]
        if any(f.severity is Severity.ERROR for f in others) or not any(
            f.severity is Severity.ALLOWED for f in others
        ):
            return result
        return [
            replace(f, severity=Severity.ALLOWED, reason=SUMMARY_REASON)
            if f.rule == summary_rule and f.severity is Severity.ERROR
            else f
            for f in result
        ]

    def leftovers(self) -> list[Finding]:
        """A warning for every entry that let nothing through: expired, or stale."""
        notes = []
        for index, entry in enumerate(self.allowances):
            if index in self._used:
                continue
            if entry.expires is not None and entry.expired(self.today):
                hit = index in self._expired_hits
                effect = "no longer lets this break through" if hit else "it matched nothing"
                notes.append(
                    Finding(
                        RULE_EXPIRED,
                        f"{entry.describe()} expired on {entry.expires.isoformat()}: {effect}",
                        entry.location,
                        hint="fix the schema, or renew the entry with a later expires date"
                        if hit
                        else "remove it",
                        severity=Severity.WARNING,
                        subject=entry.schema,
                    )
                )
            else:
                notes.append(
                    Finding(
                        RULE_STALE,
                        f"{entry.describe()} is stale: it matches no finding of this run",
                        entry.location,
                        hint="remove it once the change it approved has been registered",
                        severity=Severity.WARNING,
                        subject=entry.schema,
                    )
                )
        return notes
