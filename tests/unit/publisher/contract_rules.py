"""The data-contract test material shared by the unit and integration tests.

Rules as confluent-kafka's ``Rule`` takes them (a CEL condition, an ENCRYPT transform on fields
tagged PII with the local KMS driver), the local KMS secret, a Protobuf contract whose ``card``
field is tagged PII in the registered version's metadata, and the publishers a unit test opens
on librdkafka's mock cluster (the ``publishers`` fixture of this folder's conftest).
"""

from __future__ import annotations

import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

from confluent_kafka.schema_registry import (
    Metadata,
    MetadataTags,
    Rule,
    RuleKind,
    RuleMode,
    RuleParams,
    RuleSet,
    Schema,
)

from publisher.event import Event
from publisher.producer import Publisher
from tests.unit.publisher.generated import generated_module
from tests.unit.publisher.serialized_registry import SerializedFormatRegistry

#: The local KMS driver's configuration (``rule_conf``).
SECRET = {"secret": "herald-test-secret"}
#: A Protobuf file with a top-level event and a nested message; ``{suffix}`` makes it unique.
CARD_PROTO = """syntax = "proto3";

// Contract test events.
package com.acme.contracts.{suffix};

// A card was charged.
message CardCaptured {{
  // Charge id.
  string id = 1;
  // Card number.
  string card = 2;
  // Minor units.
  int32 amount = 3;
  // A line of the charge.
  message Line {{
    // Stock keeping unit.
    string sku = 1;
  }}
}}
"""


def card_module(root: Path) -> ModuleType:
    """CARD_PROTO generated under ``root``, its file and package unique in protobuf's pool."""
    suffix = f"p{uuid.uuid4().hex[:8]}"
    text = CARD_PROTO.format(suffix=suffix)
    return generated_module(root, {f"card_{suffix}.proto": text}, f"card_{suffix}")


def cel(name: str, expr: str) -> Rule:
    """A CEL condition that runs on write and fails the record when false."""
    return Rule(
        name, None, RuleKind.CONDITION, RuleMode.WRITE, "CEL", None, None, expr, None, "ERROR",
        False,
    )  # fmt: skip


def encrypt(name: str, kek: str) -> Rule:
    """An ENCRYPT transform on PII-tagged fields (write and read), keys from the local KMS."""
    params = RuleParams(
        {"encrypt.kek.name": kek, "encrypt.kms.type": "local-kms", "encrypt.kms.key.id": kek}
    )
    return Rule(
        name, None, RuleKind.TRANSFORM, RuleMode.WRITEREAD, "ENCRYPT", ["PII"], params, None,
        None, "ERROR,NONE", False,
    )  # fmt: skip


CEL_POSITIVE = cel("amount-positive", "message.amount > 0")
ENCRYPT_PII = encrypt("encrypt-pii", "herald-kek")


def protobuf_registry(cls: type[Event], *rules: Rule) -> Any:
    """v1 the class's schema alone, v2 the same schema with ``card`` tagged PII and the rules."""
    client = SerializedFormatRegistry(cls)
    client.register_schema(cls.FULL_NAME, Schema(cls.SCHEMA, "PROTOBUF"))
    tags = MetadataTags({f"{cls.FULL_NAME}.card": ["PII"]})
    client.register_schema(
        cls.FULL_NAME,
        Schema(
            cls.SCHEMA,
            "PROTOBUF",
            metadata=Metadata(tags, None, None),
            rule_set=RuleSet(None, list(rules)),
        ),
    )
    return client


class Publishers:
    """The publishers one test opens on librdkafka's mock cluster, closed when it ends."""

    def __init__(self) -> None:
        self.made: list[Publisher] = []

    def open(self, client: Any, rules: str) -> Publisher:
        """A publisher over ``client`` with the ``rules`` policy and the local KMS secret."""
        publisher = Publisher(
            registry_client=client,
            config={"test.mock.num.brokers": 1},
            check_topic_limits=False,
            rules=rules,
            rule_conf=SECRET,
        )
        self.made.append(publisher)
        return publisher
