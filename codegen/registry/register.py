"""``herald register``: put every subject's schema in the registry, references first.

Flow, wave by wave (a wave depends only on earlier waves), concurrently within a wave: set the
subject's configured level if it differs -> look the schema up (found: "up to date") ->
register it -> look it up again for its version, which later waves use in their references.
A refusal stops the run cleanly: nothing from later waves is attempted, subjects of the same
wave not yet started are skipped, and the outcome lists what was registered and what was not.
A registry that stops answering stops the run the same way: every worker gives up before its
next call, so the run ends within about one call's timeout of the first failure, and a
subject whose register call was in flight is reported as "outcome unknown".
A refusal of a break that ``[[allow]]`` approves (the ``approve`` callback says why) is not
final: the subject is registered at level NONE, and its level is put back at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Final, Literal

from codegen.catalog import Catalog, RegistryForm
from codegen.errors import RegistryError
from codegen.findings import Finding, Location, Severity
from codegen.registry.client import Registry, RegistryCallError
from codegen.registry.contracts import Contract, drift, load_contract
from codegen.registry.plan import SubjectPlan

Action = Literal[
    "registered", "up to date", "refused", "not attempted", "would register", "outcome unknown"
]
RULE_REFUSED: Final = "REGISTRY_REFUSED"
RULE_CONTRACT_DROPPED: Final = "REGISTRY_DROPPED_CONTRACT"


@dataclass
class Outcome:
    """What happened to one subject."""

    subject: str
    action: Action
    version: int | None = None
    schema_id: int | None = None
    level_set: str | None = None
    detail: str = ""

    def line(self) -> str:
        """One human line: ``orders-value: registered version 2 (id 7)``."""
        parts = [f"{self.subject}: {self.action}"]
        if self.version is not None:
            parts.append(f"version {self.version}")
        if self.schema_id is not None:
            parts.append(f"(id {self.schema_id})")
        if self.level_set:
            parts.append(f"[compatibility set to {self.level_set}]")
        if self.detail:
            parts.append(f"- {self.detail}")
        return " ".join(parts)


@dataclass
class RegisterResult:
    """Every subject's outcome and the findings for refusals."""

    outcomes: list[Outcome] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        """True when a schema was refused."""
        return any(o.action == "refused" for o in self.outcomes)

    def count(self, action: Action) -> int:
        """How many subjects ended with ``action``."""
        return sum(1 for o in self.outcomes if o.action == action)


class _StoppedError(Exception):
    """Raised inside a worker after a refusal, so the wave stops starting new subjects."""


class Registrar:
    """Registers subjects against one registry, sharing reference versions across waves."""

    def __init__(
        self,
        registry: Registry,
        catalog: Catalog,
        *,
        concurrency: int,
        dry_run: bool = False,
        approve: Callable[[SubjectPlan], str | None] | None = None,
    ) -> None:
        self.registry = registry
        self.catalog = catalog
        self.concurrency = concurrency
        self.dry_run = dry_run
        #: The reason an approved break of this subject may be registered, or None.
        self.approve = approve
        self.versions: dict[str, int] = {}
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        #: Subjects whose register call was sent: if it fails, the registry may have it.
        self._sent: set[str] = set()

    def run(
        self, waves: Sequence[Sequence[SubjectPlan]], on_outcome: Callable[[Outcome], None]
    ) -> RegisterResult:
        """Register every wave in order, stopping cleanly at the first refusal."""
        result = RegisterResult()

        def record(outcome: Outcome) -> None:
            with self._lock:
                result.outcomes.append(outcome)
                on_outcome(outcome)

        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            for wave in waves:
                if self._stopped.is_set():
                    for plan in wave:
                        record(Outcome(plan.subject, "not attempted", detail="stopped earlier"))
                    continue
                futures: dict[Future[Outcome], SubjectPlan] = {
                    pool.submit(self._one, plan, result): plan for plan in wave
                }
                wait(futures, return_when=FIRST_EXCEPTION)
                errors: list[BaseException] = []
                for future, plan in futures.items():
                    if future.cancelled():
                        record(Outcome(plan.subject, "not attempted", detail="stopped earlier"))
                        continue
                    exc = future.exception()
                    if isinstance(exc, _StoppedError):
                        record(Outcome(plan.subject, "not attempted", detail="stopped earlier"))
                    elif exc is not None:
                        errors.append(exc)
                    else:
                        record(future.result())
                if errors:
                    unknown = [
                        plan.subject
                        for future, plan in futures.items()
                        if not future.cancelled()
                        and isinstance(future.exception(), RegistryError)
                        and plan.subject in self._sent
                    ]
                    for subject in unknown:
                        record(Outcome(subject, "outcome unknown", detail=_UNKNOWN))
                    raise _with_progress(errors[0], result)
        return result

    def _one(self, plan: SubjectPlan, result: RegisterResult) -> Outcome:
        self._go_on()
        try:
            return self._register(plan, result)
        except RegistryCallError as exc:
            self._stopped.set()
            if not exc.refused:
                raise
            with self._lock:
                result.findings.append(
                    Finding(
                        RULE_REFUSED,
                        f"{plan.subject}: the registry refused the schema: {exc.registry_message}",
                        self._location(plan),
                        hint="run `herald check` to see why, or change the level on purpose",
                        subject=plan.subject,
                    )
                )
            return Outcome(plan.subject, "refused", detail=exc.registry_message)

    def _location(self, plan: SubjectPlan) -> Location:
        schema = self.catalog.schemas.get(plan.full_name)
        return schema.location if schema else Location(plan.file.display_path, 1, 1)

    def _go_on(self) -> None:
        """Stop a worker before its next call once any subject was refused or failed."""
        if self._stopped.is_set():
            raise _StoppedError

    def _register(self, plan: SubjectPlan, result: RegisterResult) -> Outcome:
        try:
            return self._steps(plan, result)
        except RegistryError:
            self._stopped.set()
            raise

    def _steps(self, plan: SubjectPlan, result: RegisterResult) -> Outcome:
        level_set = None
        existing = self.registry.versions(plan.subject)
        if plan.level:
            self._go_on()
            current = self.registry.effective_level(plan.subject) if existing else None
            if current != plan.level:
                if not self.dry_run:
                    self._go_on()
                    self.registry.set_level(plan.subject, plan.level)
                level_set = plan.level
        missing = [d for d in plan.depends_on if d not in self.versions]
        if missing:  # only in a dry run: a reference would be registered first
            return Outcome(
                plan.subject, "would register", level_set=level_set, detail="after its references"
            )
        form = plan.form(self.catalog, self.versions)
        contract = load_contract(plan.file)
        self._go_on()
        found = self.registry.lookup(plan.subject, form, contract) if existing else None
        stale: list[str] = []
        if found is not None and contract is not None:
            _, metadata, rule_set = self.registry.contract_of(plan.subject, found.version)
            stale = drift(contract, metadata, rule_set)
        if found is not None and not stale:
            self._remember(plan.subject, found.version)
            return Outcome(plan.subject, "up to date", found.version, found.schema_id, level_set)
        if self.dry_run:
            next_version = (max(existing) + 1) if existing else 1
            return Outcome(plan.subject, "would register", next_version, level_set=level_set)
        # A schema already registered with another contract is registered again with this one.
        self._go_on()
        with self._lock:
            self._sent.add(plan.subject)
        detail = ""
        try:
            schema_id = self.registry.register(plan.subject, form, contract)
        except RegistryCallError as exc:
            reason = self.approve(plan) if exc.refused and self.approve else None
            if reason is None:
                raise
            schema_id = self._register_approved(plan, form, contract)
            detail = f"allowed: {reason}"
        with self._lock:
            self._sent.discard(plan.subject)
        try:
            registered = self.registry.lookup(plan.subject, form, contract)
        except RegistryError:
            registered = None  # registered for sure; only its version is unknown
        version = registered.version if registered else None
        if contract is not None:
            version, metadata, rule_set = self.registry.contract_of(plan.subject)
            self._check_kept(plan, contract, version, drift(contract, metadata, rule_set), result)
        if version is not None:
            self._remember(plan.subject, version)
        if found is not None and version == found.version:
            return Outcome(plan.subject, "up to date", version, schema_id, level_set)
        return Outcome(plan.subject, "registered", version, schema_id, level_set, detail)

    def _register_approved(
        self, plan: SubjectPlan, form: RegistryForm, contract: Contract | None
    ) -> int:
        """Register an approved break at level NONE, then restore the subject's level."""
        level = plan.level or self.registry.effective_level(plan.subject)
        self.registry.set_level(plan.subject, "NONE")
        try:
            return self.registry.register(plan.subject, form, contract)
        except RegistryCallError as exc:
            # Apicurio applies its global level to a subject whose own level is NONE.
            raise RegistryCallError(
                exc.status,
                exc.code,
                f"{exc.registry_message} (refused even at level NONE, set for this break that "
                f"[[allow]] approves; the level is back at {level})",
                plan.subject,
            ) from None
        finally:
            self.registry.set_level(plan.subject, level)

    def _check_kept(
        self,
        plan: SubjectPlan,
        contract: Contract,
        version: int,
        lost: list[str],
        result: RegisterResult,
    ) -> None:
        """Warn when the registry did not keep the sidecar's metadata or ruleSet."""
        if not lost:
            return
        with self._lock:
            result.findings.append(
                Finding(
                    RULE_CONTRACT_DROPPED,
                    f"{plan.subject}: version {version} was read back without the "
                    f"{' and '.join(lost)} of {contract.path}; this registry does not keep data "
                    "contracts, so clients of it will not run these rules",
                    Location(contract.path, 1, 1),
                    hint="use a registry that stores metadata and ruleSet (Confluent Schema "
                    "Registry), or drop the sidecar",
                    severity=Severity.WARNING,
                    subject=plan.subject,
                )
            )

    def _remember(self, subject: str, version: int) -> None:
        with self._lock:
            self.versions[subject] = version


_UNKNOWN = "in flight when the registry stopped answering; run `herald status` to see"


def _with_progress(exc: BaseException, result: RegisterResult) -> BaseException:
    """Say what was registered, and what may have been, when a registry error stops the run."""
    if not isinstance(exc, RegistryError):
        return exc
    done = [o.subject for o in result.outcomes if o.action == "registered"]
    unknown = [o.subject for o in result.outcomes if o.action == "outcome unknown"]
    already = (
        f"; registered before the error: {', '.join(done)}" if done else "; nothing registered"
    )
    if unknown:
        already += f"; outcome unknown (in flight): {', '.join(unknown)}; run `herald status`"
    return RegistryError(f"{exc}{already}")
