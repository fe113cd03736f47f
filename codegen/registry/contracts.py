"""Data contracts as code: metadata and a ruleSet in a sidecar file beside each schema.

``schemas/orders/order.avsc`` may have ``schemas/orders/order.contract.json`` next to it, in
Confluent's REST form: ``{"metadata": {"properties": ..., "tags": ...}, "ruleSet":
{"domainRules": [...], "migrationRules": [...], "encodingRules": [...]}}``. ``herald
register`` sends it with the schema, reads the version back and warns when the registry did
not keep it (Apicurio drops both); ``herald status`` reports a registered contract that
differs from the sidecar; ``herald lint`` checks that CEL expressions parse.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from codegen.catalog import SchemaFile
from codegen.errors import SchemaParseError

SIDECAR_SUFFIX = ".contract.json"
_TOP_KEYS = frozenset({"metadata", "ruleSet"})
_METADATA_KEYS = frozenset({"properties", "tags", "sensitive"})
_RULE_SET_KEYS = frozenset({"domainRules", "migrationRules", "encodingRules"})
_RULE_KEYS = frozenset(
    {"name", "doc", "kind", "mode", "type", "tags", "params", "expr", "onSuccess", "onFailure"}
    | {"disabled"}
)
RULE_KINDS = frozenset({"CONDITION", "TRANSFORM"})
RULE_MODES = frozenset({"UPGRADE", "DOWNGRADE", "UPDOWN", "READ", "WRITE", "WRITEREAD"})


@dataclass(frozen=True, slots=True)
class Contract:
    """A schema's sidecar contract: where it is written, its metadata and ruleSet (REST form)."""

    path: str
    text: str
    metadata: dict[str, Any] | None
    rule_set: dict[str, Any] | None

    def rules(self) -> list[tuple[str, dict[str, Any]]]:
        """(JSON path, rule) for every rule, in file order."""
        found: list[tuple[str, dict[str, Any]]] = []
        for group in ("migrationRules", "domainRules", "encodingRules"):
            for i, rule in enumerate((self.rule_set or {}).get(group) or []):
                found.append((f"/ruleSet/{group}/{i}", rule))
        return found

    def locate(self, needle: str) -> tuple[int, int]:
        """Line and column of the first occurrence of ``needle`` (1, 1 when absent)."""
        at = self.text.find(needle)
        if at < 0:
            return 1, 1
        line = self.text.count("\n", 0, at) + 1
        return line, at - (self.text.rfind("\n", 0, at) + 1) + 1


def sidecar_of(schema_file: SchemaFile) -> tuple[Path, str]:
    """(path on disk, path shown) of the contract file that belongs to a schema file."""
    path = schema_file.path
    shown = schema_file.display_path.rsplit(".", 1)[0] + SIDECAR_SUFFIX
    return path.with_name(path.stem + SIDECAR_SUFFIX), shown


def load_contract(schema_file: SchemaFile) -> Contract | None:
    """The schema's contract, or None without a sidecar; malformed ones raise with a location."""
    path, shown = sidecar_of(schema_file)
    if not path.is_file():
        return None
    text = path.read_text(encoding="utf-8")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SchemaParseError(shown, exc.lineno, exc.colno, exc.msg) from None
    contract = Contract(shown, text, None, None)

    def fail(needle: str, message: str) -> SchemaParseError:
        line, col = contract.locate(needle)
        return SchemaParseError(shown, line, col, message)

    if not isinstance(doc, dict):
        raise SchemaParseError(shown, 1, 1, "a contract is a JSON object with metadata, ruleSet")
    _only(doc, _TOP_KEYS, "the contract", fail)
    metadata, rule_set = doc.get("metadata"), doc.get("ruleSet")
    if metadata is not None:
        _only(_object(metadata, "metadata", fail), _METADATA_KEYS, "metadata", fail)
    if rule_set is not None:
        _only(_object(rule_set, "ruleSet", fail), _RULE_SET_KEYS, "ruleSet", fail)
    contract = Contract(shown, text, metadata, rule_set)
    for where, rule in contract.rules():
        _check_rule(where, rule, fail)
    return contract


def _object(value: Any, name: str, fail: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise fail(f'"{name}"', f"{name} must be a JSON object")
    return value


def _only(doc: dict[str, Any], allowed: frozenset[str], what: str, fail: Any) -> None:
    unknown = sorted(set(doc) - allowed)
    if unknown:
        raise fail(
            f'"{unknown[0]}"',
            f"unknown key {unknown[0]!r} in {what}; allowed: {', '.join(sorted(allowed))}",
        )


def _check_rule(where: str, rule: Any, fail: Any) -> None:
    if not isinstance(rule, dict):
        raise fail("Rules", f"{where} must be a JSON object")
    _only(rule, _RULE_KEYS, f"rule {where}", fail)
    name = rule.get("name")
    if not isinstance(name, str) or not name:
        raise fail('"name"', f"rule {where} needs a name")
    for key, allowed in (("kind", RULE_KINDS), ("mode", RULE_MODES)):
        value = rule.get(key)
        if value not in allowed:
            raise fail(
                f'"{name}"',
                f"rule {name!r}: {key} must be one of {', '.join(sorted(allowed))}, "
                f"found {value!r}",
            )
    if not isinstance(rule.get("type"), str):
        raise fail(f'"{name}"', f"rule {name!r} needs a type (CEL, CEL_FIELD, ENCRYPT, JSONATA)")


def _canonical(kind: str, value: dict[str, Any] | None) -> dict[str, Any]:
    """A metadata or ruleSet in the form the registry client returns (defaults filled in)."""
    from confluent_kafka.schema_registry import Metadata, RuleSet

    if not value:
        return {}
    model: Any = Metadata if kind == "metadata" else RuleSet
    result: dict[str, Any] = model.from_dict(value).to_dict()
    properties = result.get("properties")
    if isinstance(properties, dict):
        # Confluent adds confluent:* properties (e.g. confluent:version) on its own.
        result["properties"] = {
            k: v for k, v in properties.items() if not k.startswith("confluent:")
        }
    return {k: v for k, v in result.items() if v not in (None, [], {})}


def drift(
    contract: Contract | None, metadata: dict[str, Any] | None, rule_set: dict[str, Any] | None
) -> list[str]:
    """Which of metadata / ruleSet differ between the sidecar and a registered version."""
    local_metadata = contract.metadata if contract else None
    local_rules = contract.rule_set if contract else None
    differs = []
    if _canonical("metadata", local_metadata) != _canonical("metadata", metadata):
        differs.append("metadata")
    if _canonical("ruleSet", local_rules) != _canonical("ruleSet", rule_set):
        differs.append("ruleSet")
    return differs
