"""``herald status``: local schemas against registered ones, per subject.

Each project subject is ``up to date`` (the latest version equals the local schema),
``contract changed`` (the schema is the latest version, but its metadata or ruleSet differs
from the sidecar contract), ``changed locally`` (registered, but the local schema is not its
latest version),
``not registered`` (no such subject), or ``only in registry``: a registry subject that
looks like the project's (a bound topic's ``<topic>-`` prefix, a catalog namespace or
package, or an import folder) but that no binding or schema produces any more.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

from codegen.catalog import Catalog, RegistryForm
from codegen.config import HeraldConfig
from codegen.registry.client import RegisteredVersion, Registry
from codegen.registry.contracts import drift, load_contract
from codegen.registry.plan import SubjectPlan

State = Literal[
    "up to date", "contract changed", "changed locally", "not registered", "only in registry"
]


@dataclass(frozen=True, slots=True)
class SubjectState:
    """One subject's local-versus-registry state."""

    subject: str
    state: State
    latest: int | None = None
    #: The registered version equal to the local schema, when not the latest.
    matching: int | None = None
    #: For "contract changed": which of metadata / ruleSet differ from the sidecar.
    drift: tuple[str, ...] = ()

    def line(self) -> str:
        """One human line: ``orders-value: changed locally (latest version 3)``."""
        extra = ""
        if self.latest is not None:
            extra = f" (latest version {self.latest}"
            if self.matching is not None and self.matching != self.latest:
                extra += f"; local equals version {self.matching}"
            if self.drift:
                extra += f"; {' and '.join(self.drift)} differ from the sidecar"
            extra += ")"
        return f"{self.subject}: {self.state}{extra}"


def project_prefixes(config: HeraldConfig, catalog: Catalog) -> tuple[str, ...]:
    """Subject prefixes that mark a registry subject as belonging to this project."""
    prefixes = {f"{b.topic}-" for b in config.bindings}
    for avro_file in catalog.avro_files:
        for named in avro_file.types:
            if "." in named.full_name:
                prefixes.add(named.full_name.rsplit(".", 1)[0] + ".")
    for proto in catalog.proto_files:
        if proto.package:
            prefixes.add(proto.package + ".")
        folder = proto.import_path.rsplit("/", 1)[0] if "/" in proto.import_path else ""
        if folder:
            prefixes.add(folder + "/")
    return tuple(sorted(prefixes))


class StatusReader:
    """Compares each planned subject with the registry, concurrently."""

    def __init__(self, registry: Registry, catalog: Catalog, *, concurrency: int) -> None:
        self.registry = registry
        self.catalog = catalog
        self.concurrency = concurrency
        self.versions: dict[str, int] = {}

    def _state(self, plan: SubjectPlan) -> SubjectState:
        registered = self.registry.versions(plan.subject)
        if registered is None:
            return SubjectState(plan.subject, "not registered")
        latest = registered[-1]
        if any(d not in self.versions for d in plan.depends_on):
            return SubjectState(plan.subject, "changed locally", latest)
        form = plan.form(self.catalog, self.versions)
        found = self.registry.lookup(plan.subject, form, load_contract(plan.file))
        if found is None:
            found = self._same_text(plan.subject, form, latest)
        if found is not None:
            self.versions[plan.subject] = found.version
        if found is not None and found.version == latest:
            differs = self._drift(plan, latest)
            if differs:
                return SubjectState(plan.subject, "contract changed", latest, drift=differs)
            return SubjectState(plan.subject, "up to date", latest)
        return SubjectState(
            plan.subject, "changed locally", latest, found.version if found else None
        )

    def _same_text(self, subject: str, form: RegistryForm, latest: int) -> RegisteredVersion | None:
        """The latest version when it has the local text and references, whatever its contract.

        A registry may match lookups on the contract too; the schema is still up to date.
        """
        version = self.registry.get_version(subject, latest)
        refs = tuple((r.name, r.subject, r.version) for r in form.references)
        if version.text == form.text and version.references == refs:
            return version
        return None

    def _drift(self, plan: SubjectPlan, latest: int) -> tuple[str, ...]:
        """Metadata / ruleSet of the latest version that differ from the sidecar contract."""
        _, metadata, rule_set = self.registry.contract_of(plan.subject, latest)
        return tuple(drift(load_contract(plan.file), metadata, rule_set))

    def run(
        self,
        waves: Sequence[Sequence[SubjectPlan]],
        prefixes: Sequence[str],
        on_state: Callable[[SubjectState], None],
    ) -> list[SubjectState]:
        """States of every planned subject, then of related subjects only in the registry."""
        states: list[SubjectState] = []
        planned = {p.subject for wave in waves for p in wave}
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            for wave in waves:
                for state in pool.map(self._state, wave):
                    states.append(state)
                    on_state(state)
        for subject in sorted(self.registry.subjects()):
            if subject not in planned and subject.startswith(tuple(prefixes)):
                state = SubjectState(subject, "only in registry")
                states.append(state)
                on_state(state)
        return states
