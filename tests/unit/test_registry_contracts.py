"""Contracts as code: a sidecar's metadata and ruleSet are registered, read back and compared.

Registry: herald's embedded ``mock://`` registry (confluent-kafka's in-process client), which
keeps metadata and rule sets; the stack's Apicurio drops them (see the integration test).
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from codegen.config import load_project
from codegen.errors import SchemaParseError
from codegen.registry import connect, plan_subjects
from codegen.registry.contracts import drift, load_contract
from codegen.registry.register import Outcome, Registrar
from codegen.registry.status import StatusReader, SubjectState

SCHEMA = {
    "type": "record",
    "name": "Charge",
    "namespace": "acme.billing",
    "doc": "A charge.",
    "fields": [{"name": "amount", "type": "int", "doc": "Minor units."}],
}
CONTRACT = {
    "metadata": {"properties": {"owner": "billing"}, "tags": {"amount": ["PII"]}},
    "ruleSet": {
        "domainRules": [
            {
                "name": "positive",
                "kind": "CONDITION",
                "mode": "WRITE",
                "type": "CEL",
                "expr": "message.amount > 0",
            }
        ]
    },
}


def _project(tmp_path: Path, contract: object | None = CONTRACT) -> Path:
    folder = tmp_path / "schemas" / "acme" / "billing"
    folder.mkdir(parents=True)
    (folder / "charge.avsc").write_text(json.dumps(SCHEMA, indent=2))
    if contract is not None:
        (folder / "charge.contract.json").write_text(json.dumps(contract, indent=2))
    config = tmp_path / "herald.toml"
    config.write_text('schemas = ["schemas"]\n\n[registry]\nnormalize = true\n')
    return config


def _register(config_path: Path, url: str) -> tuple[list[Outcome], list[str], list[SubjectState]]:
    config, catalog = load_project(str(config_path), registry_url=url)
    outcomes: list[Outcome] = []
    with connect(config) as registry:
        registrar = Registrar(registry, catalog, concurrency=1)
        result = registrar.run(plan_subjects(config, catalog), outcomes.append)
        states = StatusReader(registry, catalog, concurrency=1).run(
            plan_subjects(config, catalog), (), lambda _s: None
        )
        latest = registry.get_version("acme.billing.Charge")
    assert latest.rule_set is not None
    assert latest.rule_set["domainRules"][0]["name"] == "positive"
    assert latest.metadata is not None
    assert latest.metadata["properties"] == {"owner": "billing"}
    return outcomes, [f.rule for f in result.findings], states


def test_the_sidecar_is_registered_kept_and_up_to_date(tmp_path: Path) -> None:
    config = _project(tmp_path)
    outcomes, findings, states = _register(config, f"mock://{uuid.uuid4().hex}")
    assert [o.action for o in outcomes] == ["registered"]
    assert findings == []
    assert [(s.subject, s.state) for s in states] == [("acme.billing.Charge", "up to date")]
    loaded = load_project(str(config))[0]
    assert loaded.registry.normalize is True


def test_status_reports_a_changed_sidecar_as_contract_drift(tmp_path: Path) -> None:
    config_path = _project(tmp_path)
    url = f"mock://{uuid.uuid4().hex}"
    config, catalog = load_project(str(config_path), registry_url=url)
    with connect(config) as registry:
        Registrar(registry, catalog, concurrency=1).run(plan_subjects(config, catalog), print)
        sidecar = tmp_path / "schemas" / "acme" / "billing" / "charge.contract.json"
        changed = json.loads(sidecar.read_text())
        changed["ruleSet"]["domainRules"][0]["expr"] = "message.amount >= 0"
        sidecar.write_text(json.dumps(changed))
        (state,) = StatusReader(registry, catalog, concurrency=1).run(
            plan_subjects(config, catalog), (), lambda _s: None
        )
    assert state.state == "contract changed"
    assert state.drift == ("ruleSet",)
    assert "ruleSet differ from the sidecar" in state.line()


def test_a_malformed_sidecar_is_a_parse_error_with_its_location(tmp_path: Path) -> None:
    bad = {"ruleSet": {"domainRules": [{"name": "x", "kind": "CONDITION", "mode": "SOMETIMES"}]}}
    config_path = _project(tmp_path, bad)
    _config, catalog = load_project(str(config_path))
    (schema,) = catalog.files
    with pytest.raises(SchemaParseError) as failed:
        load_contract(schema)
    assert failed.value.path.endswith("charge.contract.json")
    assert "mode must be one of" in str(failed.value)


def test_drift_ignores_confluents_own_properties_and_empty_parts() -> None:
    assert drift(None, {"properties": {"confluent:version": "1"}}, {}) == []
    assert drift(None, {"properties": {"owner": "x"}}, None) == ["metadata"]
