"""Subject planning, register's clean stop and check's verdicts, over an in-memory fake registry."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import pytest

from codegen.catalog import RegistryForm, load_catalog
from codegen.config import HeraldConfig, load_config
from codegen.registry import flatten, plan_subjects
from codegen.registry.check import Checker, Verdict
from codegen.registry.client import (
    CompatibilityAnswer,
    RegisteredVersion,
    Registry,
    RegistryCallError,
)
from codegen.registry.register import Outcome, Registrar

REPO = Path(__file__).resolve().parents[2]


class MemoryRegistry:
    """Just enough of :class:`Registry` for the operations, with scripted refusals."""

    def __init__(self, refuse: set[str] | None = None, level: str = "BACKWARD") -> None:
        self.store: dict[str, list[RegistryForm]] = {}
        self.levels: dict[str, str] = {}
        self.level = level
        self.refuse = refuse or set()
        self.calls: list[tuple[str, str]] = []

    def versions(self, subject: str) -> list[int] | None:
        forms = self.store.get(subject)
        return list(range(1, len(forms) + 1)) if forms else None

    def effective_level(self, subject: str) -> str:
        return self.levels.get(subject, self.level)

    def set_level(self, subject: str, level: str) -> None:
        self.calls.append(("set_level", subject))
        self.levels[subject] = level

    def lookup(
        self, subject: str, form: RegistryForm, contract: object = None
    ) -> RegisteredVersion | None:
        for index, known in enumerate(self.store.get(subject, []), start=1):
            if (known.text, known.references) == (form.text, form.references):
                return RegisteredVersion(subject, index, 100 + index, form.schema_type, form.text)
        return None

    def register(self, subject: str, form: RegistryForm, contract: object = None) -> int:
        self.calls.append(("register", subject))
        if subject in self.refuse:
            raise RegistryCallError(409, 409, "Incompatible artifact", f"register {subject}")
        for ref in form.references:
            assert ref.version is not None, f"{subject} registered before {ref.subject}"
            assert ref.subject in self.store, f"{subject} registered before {ref.subject}"
        self.store.setdefault(subject, []).append(form)
        return 100 + len(self.store[subject])

    def test(self, subject: str, form: RegistryForm, version: int | str) -> CompatibilityAnswer:
        self.calls.append(("test", subject))
        return CompatibilityAnswer(subject not in self.refuse, ("field x changed type",))


@pytest.fixture(autouse=True)
def _at_repo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.delenv("SCHEMA_REGISTRY_URL", raising=False)


def _example() -> tuple[HeraldConfig, Any]:
    config = load_config(str(REPO / "herald.toml"), environ={})
    return config, load_catalog(config.schemas)


def test_plan_puts_references_in_earlier_waves() -> None:
    config, catalog = _example()
    waves = plan_subjects(config, catalog)
    assert [[p.subject for p in wave] for wave in waves] == [
        [
            "acme/payments/v1/money.proto",
            "com.acme.orders.Currency",
            "com.acme.orders.LineItem",
        ],
        [
            "orders-value",
            "payments-acme.payments.v1.PaymentAuthorized",
            "payments-acme.payments.v1.PaymentRefunded",
        ],
    ]
    orders = flatten(waves)[3]
    assert orders.depends_on == ("com.acme.orders.Currency", "com.acme.orders.LineItem")
    assert orders.origin == "herald.toml: bindings[0].value"
    assert orders.level == "BACKWARD"


def test_plan_without_bindings_uses_record_names() -> None:
    catalog = load_catalog([REPO / "schemas"])
    config = HeraldConfig(path=None, schemas=(REPO / "schemas",))
    subjects = [p.subject for p in flatten(plan_subjects(config, catalog))]
    assert subjects == [
        "acme.payments.v1.Money",
        "acme/payments/v1/money.proto",
        "com.acme.orders.Currency",
        "com.acme.orders.LineItem",
        "acme.payments.v1.PaymentAuthorized",
        "acme.payments.v1.PaymentRefunded",
        "com.acme.orders.OrderPlaced",
    ]
    assert all(p.level is None for p in flatten(plan_subjects(config, catalog)))


def _register(memory: MemoryRegistry, *, dry_run: bool = False) -> list[Outcome]:
    config, catalog = _example()
    outcomes: list[Outcome] = []
    registrar = Registrar(cast(Registry, memory), catalog, concurrency=4, dry_run=dry_run)
    registrar.run(plan_subjects(config, catalog), outcomes.append)
    return outcomes


def test_register_is_idempotent_and_sets_levels_first() -> None:
    memory = MemoryRegistry()
    first = {o.subject: o for o in _register(memory)}
    assert {o.action for o in first.values()} == {"registered"}
    assert first["orders-value"].level_set == "BACKWARD"
    for subject in first:
        assert memory.calls.index(("set_level", subject)) < memory.calls.index(
            ("register", subject)
        )
    second = _register(memory)
    assert {o.action for o in second} == {"up to date"}
    assert all(o.level_set is None for o in second)


def test_refusal_stops_later_waves_and_says_so() -> None:
    memory = MemoryRegistry(refuse={"com.acme.orders.LineItem"})
    config, catalog = _example()
    outcomes: list[Outcome] = []
    registrar = Registrar(cast(Registry, memory), catalog, concurrency=1)
    result = registrar.run(plan_subjects(config, catalog), outcomes.append)
    actions = {o.subject: o.action for o in outcomes}
    assert actions["com.acme.orders.LineItem"] == "refused"
    assert actions["acme/payments/v1/money.proto"] == "registered"
    assert actions["com.acme.orders.Currency"] == "registered"
    for later in ("orders-value", "payments-acme.payments.v1.PaymentAuthorized"):
        assert actions[later] == "not attempted"
        assert ("register", later) not in memory.calls
    (finding,) = result.findings
    assert finding.rule == "REGISTRY_REFUSED"
    assert finding.subject == "com.acme.orders.LineItem"
    assert "Incompatible artifact" in finding.message
    assert str(finding.location) == "schemas/com/acme/orders/line_item.avsc:1:1"


def test_dry_run_changes_nothing() -> None:
    memory = MemoryRegistry()
    outcomes = _register(memory, dry_run=True)
    assert memory.store == {}
    assert [c for c in memory.calls if c[0] != "test"] == []
    assert {o.action for o in outcomes} == {"would register"}


def test_check_verdicts_new_compatible_incompatible() -> None:
    memory = MemoryRegistry()
    _register(memory)
    memory.refuse = {"orders-value"}
    memory.store.pop("payments-acme.payments.v1.PaymentRefunded")
    config, catalog = _example()
    verdicts: list[Verdict] = []
    Checker(cast(Registry, memory), catalog, concurrency=2).run(
        plan_subjects(config, catalog), verdicts.append
    )
    by_subject = {v.subject: v for v in verdicts}
    assert by_subject["payments-acme.payments.v1.PaymentRefunded"].line() == (
        "payments-acme.payments.v1.PaymentRefunded: new"
    )
    assert by_subject["com.acme.orders.Currency"].line() == (
        "com.acme.orders.Currency: compatible (BACKWARD, against version 1)"
    )
    orders = by_subject["orders-value"]
    assert orders.status == "incompatible"
    assert orders.broken == (1,)
    (finding,) = orders.findings
    assert finding.rule == "REGISTRY_INCOMPATIBLE"
    assert "not compatible with registered version 1 at BACKWARD: field x changed type" in (
        finding.message
    )


def test_check_transitive_tests_every_version_and_none_tests_nothing() -> None:
    memory = MemoryRegistry()
    _register(memory)
    config, catalog = _example()
    memory.store["com.acme.orders.Currency"] *= 3
    memory.levels["com.acme.orders.Currency"] = "FULL_TRANSITIVE"
    memory.levels["com.acme.orders.LineItem"] = "NONE"
    config = HeraldConfig(path=None, schemas=config.schemas)
    verdicts: list[Verdict] = []
    Checker(cast(Registry, memory), catalog, concurrency=2).run(
        plan_subjects(config, catalog), verdicts.append
    )
    by_subject = {v.subject: v for v in verdicts}
    assert by_subject["com.acme.orders.Currency"].versions == (1, 2, 3)
    assert by_subject["com.acme.orders.LineItem"].versions == ()
    assert ("test", "com.acme.orders.LineItem") not in memory.calls


class NoneAllowsRegistry(MemoryRegistry):
    """Refuses ``refuse`` subjects unless their own level is NONE, as Confluent's registry does."""

    def register(self, subject: str, form: RegistryForm, contract: object = None) -> int:
        if self.levels.get(subject) == "NONE":
            self.calls.append(("register", subject))
            self.store.setdefault(subject, []).append(form)
            return 100 + len(self.store[subject])
        return super().register(subject, form, contract)


@pytest.mark.parametrize("reason", ["price is a string now", None])
def test_an_approved_break_registers_at_none_and_restores_the_level(reason: str | None) -> None:
    memory = NoneAllowsRegistry(refuse={"orders-value"})
    config, catalog = _example()
    registrar = Registrar(cast(Registry, memory), catalog, concurrency=1)
    registrar.approve = lambda plan: reason if plan.subject == "orders-value" else None
    outcomes: list[Outcome] = []
    registrar.run(plan_subjects(config, catalog), outcomes.append)
    order = next(o for o in outcomes if o.subject == "orders-value")
    if reason is None:
        assert order.action == "refused"
        assert "orders-value" not in memory.store
        return
    assert order.action == "registered"
    assert order.line().endswith(f"- allowed: {reason}")
    assert memory.levels["orders-value"] == "BACKWARD"
    assert memory.calls.count(("set_level", "orders-value")) >= 2
