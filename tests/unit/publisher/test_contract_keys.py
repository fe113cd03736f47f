"""Data contracts on key subjects: a typed key's ``<topic>-key`` rules are never skipped silently.

Registry: confluent-kafka's in-process ``mock://`` client, which stores rule sets (the stack's
Apicurio drops them); cluster: librdkafka's mock cluster. The integration tests repeat the
encrypted key on the real broker.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import pytest
from confluent_kafka.schema_registry import (
    Metadata,
    MetadataTags,
    Rule,
    RuleSet,
    Schema,
    SchemaRegistryClient,
)
from confluent_kafka.serialization import SerializationError

from publisher.contracts import deserializer_for
from publisher.errors import DataContractError
from publisher.wire import header
from tests.unit.publisher.contract_rules import SECRET, Publishers, cel, encrypt
from tests.unit.publisher.events import AvroTestEvent, avro_event

CEL_KEY = cel("key-has-id", "message.order_id != ''")
ENCRYPT_KEY = encrypt("encrypt-key", "herald-key-kek")


class Keyed:
    """A value class bound to a topic and a key class, with the key subject's rules registered."""

    def __init__(self, *rules: Rule) -> None:
        self.topic = f"orders-{uuid.uuid4().hex[:6]}"
        self.value = avro_event(self.topic)
        self.key = avro_event(name="OrderKey")
        self.client: Any = SchemaRegistryClient.new_client({"url": f"mock://{uuid.uuid4().hex}"})
        self.client.register_schema(f"{self.topic}-value", Schema(self.value.SCHEMA, "AVRO"))
        subject = f"{self.topic}-key"
        self.key_id = self.client.register_schema(subject, Schema(self.key.SCHEMA, "AVRO"))
        tags = MetadataTags({f"{self.key.FULL_NAME}.note": ["PII"]})
        self.client.register_schema(
            subject,
            Schema(
                self.key.SCHEMA,
                "AVRO",
                metadata=Metadata(tags, None, None),
                rule_set=RuleSet(None, list(rules)),
            ),
        )

    def order(self) -> AvroTestEvent:
        return self.value(order_id="o1", amount=3, note="")


def test_a_key_subject_with_rules_is_refused_by_default(publishers: Publishers) -> None:
    keyed = Keyed(CEL_KEY)
    pub = publishers.open(keyed.client, "refuse")
    key = keyed.key(order_id="k1", amount=0, note="")
    with pytest.raises(DataContractError) as refused:
        pub.publish(keyed.order(), key=key)
    text = str(refused.value)
    assert f"'{keyed.topic}-key'" in text
    assert "key-has-id (CEL, WRITE)" in text
    with pytest.raises(DataContractError, match="key-has-id"):
        pub.publish_many([keyed.order()], keys=[key])
    assert pub.publish(keyed.order(), key=b"plain bytes are no subject").result(10)


def test_a_delegated_key_subject_runs_its_cel_condition(publishers: Publishers) -> None:
    keyed = Keyed(CEL_KEY)
    pub = publishers.open(keyed.client, "delegate")
    report = pub.publish(keyed.order(), key=keyed.key(order_id="k1", amount=0, note=""))
    assert report.result(10).offset >= 0
    with pytest.raises(SerializationError):
        pub.publish(keyed.order(), key=keyed.key(order_id="", amount=0, note=""))
    batch = pub.publish_many([keyed.order()], keys=[keyed.key(order_id="k2", amount=0, note="")])
    assert batch.result(10).delivered == 1


def test_a_delegated_key_subject_encrypts_the_key(publishers: Publishers) -> None:
    keyed = Keyed(ENCRYPT_KEY)
    pub = publishers.open(keyed.client, "delegate")
    key = keyed.key(order_id="k1", amount=4, note="card 4111-1111")
    framed = pub._key_bytes(key, keyed.topic)
    assert framed is not None
    assert b"4111" not in framed
    assert b"k1" in framed
    assert pub.publish(keyed.order(), key=key).result(10)
    subject = f"{keyed.topic}-key"
    rules = pub.resolver.contract(subject)
    read = deserializer_for(keyed.key, keyed.client, SECRET, subject, rules, field="key")
    assert read(framed, keyed.topic) == key


def test_an_ignored_key_subject_frames_the_key_in_clear_with_a_warning(
    publishers: Publishers, caplog: pytest.LogCaptureFixture
) -> None:
    keyed = Keyed(ENCRYPT_KEY)
    pub = publishers.open(keyed.client, "ignore")
    key = keyed.key(order_id="k1", amount=4, note="card 4111-1111")
    with caplog.at_level(logging.WARNING, logger="herald.contracts"):
        framed = pub._key_bytes(key, keyed.topic)
        assert pub.publish(keyed.order(), key=key).result(10)
    assert framed == header("AVRO", keyed.key_id) + key.encode()
    (record,) = [r for r in caplog.records if r.name == "herald.contracts"]
    assert f"'{keyed.topic}-key'" in record.getMessage()
    assert "encrypt-key (ENCRYPT, WRITEREAD)" in record.getMessage()
