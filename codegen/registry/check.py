"""``herald check``: ask the registry whether each local schema may be registered.

Flow per subject, wave by wave (references before the subjects that use them), concurrently
within a wave: versions -> none means "new" (passes); else the level (configured, else the
registry's effective level) -> NONE passes; else test against the latest version, or every
version for *_TRANSITIVE levels, one call per version so a break names its version. When the
registry gives no reasons (Apicurio never does), the offline engine (``codegen.compat``)
explains the break. When the configured level differs from the registry's, the registry would
answer at the wrong level, so the offline engine decides at the configured one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Final, Literal

from codegen.catalog import Catalog, RegistryForm, SchemaFormat, reference_texts
from codegen.compat import SchemaSource, compare
from codegen.errors import RegistryError
from codegen.findings import Finding, Location, Severity
from codegen.registry.client import (
    HTTP_UNPROCESSABLE,
    RegisteredVersion,
    Registry,
    RegistryCallError,
)
from codegen.registry.plan import SubjectPlan

#: "allowed": incompatible, but every break is approved by an ``[[allow]]`` entry.
Status = Literal["compatible", "incompatible", "new", "allowed"]
#: Registry schema types the offline engine reads.
_COMPARABLE: Final[dict[str, SchemaFormat]] = {"AVRO": "AVRO", "PROTOBUF": "PROTOBUF"}
RULE_INCOMPATIBLE: Final = "REGISTRY_INCOMPATIBLE"
RULE_LEVEL_DIFFERS: Final = "REGISTRY_LEVEL_DIFFERS"
RULE_REGISTRY_CANNOT_TEST: Final = "REGISTRY_CANNOT_TEST"
#: Statuses with which a registry says it could not test a schema (not "incompatible").
CANNOT_TEST: Final = frozenset({HTTP_UNPROCESSABLE, 500})


@dataclass
class Verdict:
    """The outcome for one subject, with the findings that explain it."""

    subject: str
    status: Status
    level: str = ""
    #: Versions the schema was tested against.
    versions: tuple[int, ...] = ()
    #: Versions it is not compatible with.
    broken: tuple[int, ...] = ()
    findings: list[Finding] = field(default_factory=list)
    #: The registry version whose schema equals the local one, if any.
    matching_version: int | None = None

    def line(self) -> str:
        """One human line: ``orders-value: compatible (BACKWARD, version 3)``."""
        if self.status == "new":
            return f"{self.subject}: new"
        tested = ", ".join(str(v) for v in self.versions) or "none"
        label = "version" if len(self.versions) == 1 else "versions"
        detail = f"{self.level}, against {label} {tested}"
        if self.broken:
            detail += f"; breaks with {', '.join(str(v) for v in self.broken)}"
        return f"{self.subject}: {self.status} ({detail})"


class Checker:
    """Checks subjects against one registry, sharing reference versions across waves."""

    def __init__(self, registry: Registry, catalog: Catalog, *, concurrency: int) -> None:
        self.registry = registry
        self.catalog = catalog
        self.concurrency = concurrency
        #: Subject -> the registered version references should point at.
        self.versions: dict[str, int] = {}
        self._global: str | None = None

    def run(
        self, waves: Sequence[Sequence[SubjectPlan]], on_verdict: Callable[[Verdict], None]
    ) -> list[Verdict]:
        """Check every wave in order; report each verdict as soon as it is known."""
        verdicts: list[Verdict] = []
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            for wave in waves:
                for verdict in pool.map(self.check, wave):
                    verdicts.append(verdict)
                    on_verdict(verdict)
                    if verdict.matching_version is not None:
                        self.versions[verdict.subject] = verdict.matching_version
                    elif verdict.versions:
                        self.versions[verdict.subject] = max(verdict.versions)
        return verdicts

    def _location(self, plan: SubjectPlan) -> Location:
        schema = self.catalog.schemas.get(plan.full_name)
        if schema is not None:
            return schema.location
        return Location(plan.file.display_path, 1, 1)

    def check(self, plan: SubjectPlan) -> Verdict:
        """The verdict for one subject."""
        registered = self.registry.versions(plan.subject)
        if registered is None:
            return Verdict(plan.subject, "new", plan.level or "")
        missing = [r for r in plan.depends_on if r not in self.versions]
        if missing:
            return self._offline_only(plan, registered)
        form = plan.form(self.catalog, self.versions)
        match = self.registry.lookup(plan.subject, form)
        registry_level = self.registry.effective_level(plan.subject)
        level = plan.level or registry_level
        verdict = Verdict(plan.subject, "compatible", level)
        verdict.matching_version = match.version if match else None
        if plan.level and plan.level != registry_level:
            verdict.findings.append(
                Finding(
                    RULE_LEVEL_DIFFERS,
                    f"{plan.subject}: the registry's level is {registry_level}, the config says "
                    f"{plan.level}; checked at {plan.level} (herald register sets it)",
                    self._location(plan),
                    severity=Severity.WARNING,
                    subject=plan.subject,
                )
            )
        if level == "NONE":
            return verdict
        targets = registered if level.endswith("_TRANSITIVE") else registered[-1:]
        verdict.versions = tuple(targets)
        if plan.level and plan.level != registry_level:
            self._decide_offline(plan, form, level, targets, verdict)
        else:
            self._decide_by_registry(plan, form, level, targets, verdict)
        return verdict

    def _decide_by_registry(
        self,
        plan: SubjectPlan,
        form: RegistryForm,
        level: str,
        targets: Sequence[int],
        verdict: Verdict,
    ) -> None:
        broken = []
        for version in targets:
            try:
                answer = self.registry.test(plan.subject, form, version)
            except RegistryCallError as exc:
                if not form.references or exc.status not in CANNOT_TEST:
                    raise
                self._registry_cannot_test(
                    plan, form=form, level=level, targets=targets, verdict=verdict, exc=exc
                )
                return
            if answer.compatible:
                continue
            broken.append(version)
            reasons = "; ".join(answer.messages) or "the registry gave no reason"
            verdict.findings.append(
                Finding(
                    RULE_INCOMPATIBLE,
                    f"{plan.subject}: not compatible with registered version {version} "
                    f"at {level}: {reasons}",
                    self._location(plan),
                    hint="see the reasons below, or run `herald diff` against that version",
                    subject=plan.subject,
                )
            )
            if not answer.messages:
                verdict.findings.extend(self._explain(plan, form, level, [version]))
        if broken:
            verdict.status = "incompatible"
            verdict.broken = tuple(broken)

    def _registry_cannot_test(
        self,
        plan: SubjectPlan,
        *,
        form: RegistryForm,
        level: str,
        targets: Sequence[int],
        verdict: Verdict,
        exc: RegistryCallError,
    ) -> None:
        """Apicurio's compatibility endpoint does not resolve references: decide offline."""
        verdict.findings.append(
            Finding(
                RULE_REGISTRY_CANNOT_TEST,
                f"{plan.subject}: the registry cannot test a schema with references "
                f"({exc.registry_message}); decided by the offline engine",
                self._location(plan),
                severity=Severity.WARNING,
                subject=plan.subject,
            )
        )
        self._decide_offline(plan, form, level, targets, verdict)

    def _decide_offline(
        self,
        plan: SubjectPlan,
        form: RegistryForm,
        level: str,
        targets: Sequence[int],
        verdict: Verdict,
    ) -> None:
        broken = []
        for version in targets:
            reasons = self._explain(plan, form, level, [version])
            if reasons:
                broken.append(version)
                verdict.findings.append(
                    Finding(
                        RULE_INCOMPATIBLE,
                        f"{plan.subject}: not compatible with registered version {version} "
                        f"at {level} (offline engine)",
                        self._location(plan),
                        subject=plan.subject,
                    )
                )
                verdict.findings.extend(reasons)
        if broken:
            verdict.status = "incompatible"
            verdict.broken = tuple(broken)

    def _offline_only(self, plan: SubjectPlan, registered: Sequence[int]) -> Verdict:
        """A reference is not registered yet, so the registry cannot parse the schema."""
        level = plan.level or self.registry.effective_level(plan.subject)
        verdict = Verdict(plan.subject, "compatible", level)
        targets = registered if level.endswith("_TRANSITIVE") else registered[-1:]
        verdict.versions = tuple(targets)
        form = plan.form(self.catalog, {})
        if level == "NONE":
            return verdict
        self._decide_offline(plan, form, level, targets, verdict)
        return verdict

    def _source(self, version: RegisteredVersion) -> SchemaSource:
        refs: dict[str, str] = {}
        pending = list(version.references)
        seen: set[tuple[str, int]] = set()
        while pending:
            name, subject, number = pending.pop()
            if (subject, number) in seen:
                continue
            seen.add((subject, number))
            ref = self.registry.get_version(subject, number)
            refs[name] = ref.text
            pending.extend(ref.references)
        fmt = _COMPARABLE.get(version.schema_type)
        if fmt is None:
            raise RegistryError(
                f"{version.subject} version {version.version} is a {version.schema_type} schema; "
                "herald compares Avro and Protobuf only"
            )
        return SchemaSource(
            format=fmt,
            text=version.text,
            path=f"<registry {version.subject} v{version.version}>",
            references=refs,
        )

    def _explain(
        self, plan: SubjectPlan, form: RegistryForm, level: str, versions: Sequence[int]
    ) -> list[Finding]:
        """The offline engine's reasons for a break with the given versions."""
        previous = [self._source(self.registry.get_version(plan.subject, v)) for v in versions]
        schema = self.catalog.schemas.get(plan.full_name)
        current = SchemaSource(
            format=form.schema_type,
            text=plan.file.text,
            path=plan.file.display_path,
            references=reference_texts(self.catalog, plan.file),
            full_name=schema.full_name if schema is not None else None,
        )
        findings = compare(previous, current, level.removesuffix("_TRANSITIVE"))
        return [dataclasses.replace(f, subject=plan.subject) for f in findings]
