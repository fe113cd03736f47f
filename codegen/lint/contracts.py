"""Lint rules on the data contracts beside schemas (``<schema>.contract.json``).

A contract's rules run in clients (confluent-kafka's executors), so a broken expression fails
only at publish time; linting parses each CEL expression first, when the ``contracts`` extra
(cel-python) is installed, and says nothing without it. Findings point into the sidecar file.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from typing import Any

from codegen.catalog import AvroFile, ProtoFile
from codegen.findings import Finding, Location
from codegen.lint.model import LintRule, Violation
from codegen.registry.contracts import Contract, load_contract

ContractCheck = Callable[[Contract], Iterator[tuple[Location, Violation]]]
CONTRACT_RULES: dict[str, LintRule[Any]] = {}
_CHECKS: dict[str, ContractCheck] = {}
#: Rule types whose ``expr`` is CEL.
CEL_TYPES = frozenset({"CEL", "CEL_FIELD"})


def rule(rule_id: str, purpose: str) -> Callable[[ContractCheck], ContractCheck]:
    """Register a contract rule under a stable id (listed with the schema rules)."""

    def register(check: ContractCheck) -> ContractCheck:
        CONTRACT_RULES[rule_id] = LintRule(rule_id, purpose, "contract", "BOTH", _no_schema_check)
        _CHECKS[rule_id] = check
        return check

    return register


def _no_schema_check(_schema_file: Any) -> Iterator[Violation]:
    """Contract rules read the sidecar, not the schema file."""
    return iter(())


def _cel() -> Any:
    try:
        import celpy
    except ImportError:
        return None
    return celpy


@rule("CONTRACT_CEL_PARSES", "Every CEL expression of a data contract parses.")
def cel_parses(contract: Contract) -> Iterator[tuple[Location, Violation]]:
    """A CEL rule that does not parse fails every publish that runs it."""
    celpy = _cel()
    if celpy is None:
        return
    env = celpy.Environment()
    for where, body in contract.rules():
        expr = body.get("expr")
        if body.get("type") not in CEL_TYPES or not isinstance(expr, str):
            continue
        if body.get("type") == "CEL_FIELD" and ";" in expr:
            expr = expr.split(";", 1)[1]
        try:
            env.compile(expr)
        except celpy.CELParseError as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            line, col = contract.locate(json_string(body.get("expr", "")))
            yield (
                Location(contract.path, line, col),
                Violation(
                    where,
                    f"Rule {body.get('name')!r}: CEL expression {expr!r} does not parse ({first}).",
                    "fix the expression; it runs in every client that delegates this contract",
                ),
            )


def json_string(value: object) -> str:
    """How a string appears in the JSON file (to find its line)."""
    import json

    return json.dumps(value)


def contract_findings(
    schema_file: AvroFile | ProtoFile, disabled: Collection[str] = ()
) -> list[Finding]:
    """Findings of the contract rules for a schema file's sidecar (none without one)."""
    contract = load_contract(schema_file)
    if contract is None:
        return []
    found: list[Finding] = []
    for rule_id, check in _CHECKS.items():
        if rule_id in disabled:
            continue
        for location, v in check(contract):
            found.append(
                Finding(rule_id, v.message, location, str(v.where), v.hint, subject=v.subject)
            )
    return found
