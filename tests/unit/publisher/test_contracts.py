"""The data-contract policy: which rules count, and what refuse / ignore / delegate do.

Registry: confluent-kafka's in-process ``mock://`` client, which stores rule sets (the stack's
Apicurio drops them).
"""

from __future__ import annotations

import logging
import uuid

import pytest
from confluent_kafka.schema_registry import (
    Rule,
    RuleKind,
    RuleMode,
    RuleSet,
    Schema,
    SchemaRegistryClient,
)

from publisher.consumer import TypedDeserializer
from publisher.contracts import ContractRule, applying, check_policy, decide, rules_of
from publisher.errors import DataContractError, PublisherConfigError
from publisher.registry import SchemaResolver
from tests.unit.publisher.events import avro_event


def rule(name: str, mode: RuleMode, rule_type: str = "CEL", *, disabled: bool = False) -> Rule:
    return Rule(
        name, None, RuleKind.CONDITION, mode, rule_type, None, None, "true", None, None, disabled
    )


def _client(subject: str, text: str, rule_set: RuleSet | None) -> object:
    client = SchemaRegistryClient.new_client({"url": f"mock://{uuid.uuid4().hex}"})
    client.register_schema(subject, Schema(text, "AVRO"))
    client.register_schema(subject, Schema(text, "AVRO", rule_set=rule_set))
    return client


def test_rules_are_read_from_the_latest_version_and_filtered_by_direction() -> None:
    Order = avro_event("orders")
    rule_set = RuleSet(
        [rule("upgrade", RuleMode.UPGRADE, "JSONATA")],
        [
            rule("check", RuleMode.WRITE),
            rule("both", RuleMode.WRITEREAD),
            rule("read", RuleMode.READ),
            rule("off", RuleMode.WRITE, disabled=True),
        ],
    )
    resolver = SchemaResolver(client=_client("orders-value", Order.SCHEMA, rule_set))
    rules = resolver.contract("orders-value")
    assert [r.name for r in rules] == ["upgrade", "check", "both", "read"]
    assert [r.name for r in applying(rules, "write")] == ["check", "both"]
    assert [r.name for r in applying(rules, "read")] == ["upgrade", "both", "read"]
    assert resolver.contract("orders-value") is rules


def test_a_version_without_rules_has_no_contract() -> None:
    Order = avro_event("orders")
    resolver = SchemaResolver(client=_client("orders-value", Order.SCHEMA, None))
    assert resolver.contract("orders-value") == ()
    assert rules_of(object()) == ()


def test_refuse_names_the_subject_the_rules_and_the_two_choices() -> None:
    rules = (ContractRule("pii", "ENCRYPT", "WRITEREAD", "domain"),)
    with pytest.raises(DataContractError) as refused:
        decide("orders-value", rules, "refuse", "publisher")
    text = str(refused.value)
    assert "'orders-value'" in text
    assert "pii (ENCRYPT, WRITEREAD)" in text
    assert "rules='delegate'" in text
    assert "rules='ignore'" in text


def test_ignore_warns_and_an_empty_contract_needs_no_policy(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rules = (ContractRule("check", "CEL", "WRITE", "domain"),)
    with caplog.at_level(logging.WARNING, logger="herald.contracts"):
        assert decide("orders-value", rules, "ignore", "publisher") is False
    assert "check (CEL, WRITE)" in caplog.text
    assert decide("orders-value", (), "refuse", "publisher") is False


def test_delegating_an_unknown_rule_type_is_refused() -> None:
    rules = (ContractRule("odd", "MYSTERY", "WRITE", "domain"),)
    with pytest.raises(DataContractError, match="no executor for"):
        decide("orders-value", rules, "delegate", "publisher")


def test_an_unknown_policy_is_a_config_error() -> None:
    assert check_policy("delegate") == "delegate"
    with pytest.raises(PublisherConfigError, match="rules='sometimes'"):
        check_policy("sometimes")


def test_typed_deserializer_refuses_read_rules_but_not_write_only_ones() -> None:
    Order = avro_event("orders")
    write_only = _client("orders-value", Order.SCHEMA, RuleSet(None, [rule("w", RuleMode.WRITE)]))
    TypedDeserializer([Order], SchemaResolver(client=write_only))
    reading = _client("orders-value", Order.SCHEMA, RuleSet(None, [rule("r", RuleMode.READ)]))
    with pytest.raises(DataContractError, match="typed consumer"):
        TypedDeserializer([Order], SchemaResolver(client=reading))
