"""The in-process ``mock://`` registry: the demo's stand-in runs the real register flow."""

from __future__ import annotations

from pathlib import Path

from codegen.config import load_project
from codegen.registry import connect, plan_subjects
from codegen.registry.register import Outcome, Registrar

REPO = Path(__file__).resolve().parents[2]


def test_register_on_the_embedded_registry_is_idempotent() -> None:
    config, catalog = load_project(str(REPO / "herald.toml"), registry_url="mock://unit-test")
    first: list[Outcome] = []
    second: list[Outcome] = []
    with connect(config) as registry:
        assert registry.embedded
        registrar = Registrar(registry, catalog, concurrency=2, dry_run=False)
        assert not registrar.run(plan_subjects(config, catalog), first.append).findings
        assert not registrar.run(plan_subjects(config, catalog), second.append).findings
        assert "orders-value" in registry.client.get_subjects()
    assert {o.subject for o in first} == {o.subject for o in second}
    assert all(o.line().split(": ")[1].startswith("registered") for o in first)
    assert all(o.line().split(": ")[1].startswith("up to date") for o in second)
