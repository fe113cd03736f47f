"""End-to-end smoke test of the real stack: topic, registry, wire format, round trip."""

from __future__ import annotations

import json
import time

import pytest
from confluent_kafka import Consumer, KafkaError, Producer
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.serialization import MessageField, SerializationContext

from tests.integration.conftest import Stack

pytestmark = pytest.mark.integration

ORDER_V1 = {
    "type": "record",
    "name": "SmokeOrder",
    "namespace": "dev.herald.smoke",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "amount", "type": "double"},
    ],
}
#: Adds a field without a default: a BACKWARD-incompatible change.
ORDER_V2_BREAKING = {
    **ORDER_V1,
    "fields": [*ORDER_V1["fields"], {"name": "currency", "type": "string"}],
}


def test_avro_round_trip_and_incompatible_version_refused(stack: Stack) -> None:
    topic = stack.unique("smoke")
    subject = f"{topic}-value"
    admin = AdminClient({"bootstrap.servers": stack.bootstrap_servers})
    futures = admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    futures[topic].result(timeout=30)

    with SchemaRegistryClient({"url": stack.registry_url}) as registry:
        _round_trip(stack, registry, topic, subject)


def _round_trip(stack: Stack, registry: SchemaRegistryClient, topic: str, subject: str) -> None:
    schema_id = registry.register_schema(subject, Schema(json.dumps(ORDER_V1), "AVRO"))
    assert schema_id > 0

    serializer = AvroSerializer(
        registry, json.dumps(ORDER_V1), conf={"auto.register.schemas": False}
    )
    ctx = SerializationContext(topic, MessageField.VALUE)
    value = serializer({"id": "o-1", "amount": 12.5}, ctx)
    assert value is not None
    assert value[0] == 0
    assert int.from_bytes(value[1:5], "big") == schema_id

    producer = Producer({"bootstrap.servers": stack.bootstrap_servers, "enable.idempotence": True})
    producer.produce(topic, value=value, key=b"o-1")
    assert producer.flush(30) == 0

    consumer = Consumer(
        {
            "bootstrap.servers": stack.bootstrap_servers,
            "group.id": stack.unique("smoke-group"),
            "auto.offset.reset": "earliest",
        }
    )
    consumer.subscribe([topic])
    deserializer = AvroDeserializer(registry)
    decoded = None
    deadline = time.monotonic() + 30
    try:
        while decoded is None and time.monotonic() < deadline:
            msg = consumer.poll(1.0)
            if msg is None:
                continue
            err = msg.error()
            if err is not None and err.code() != KafkaError._PARTITION_EOF:
                raise AssertionError(f"consume failed: {err}")
            if err is None:
                decoded = deserializer(msg.value(), ctx)
    finally:
        consumer.close()
    assert decoded == {"id": "o-1", "amount": 12.5}

    with pytest.raises(SchemaRegistryError) as refused:
        registry.register_schema(subject, Schema(json.dumps(ORDER_V2_BREAKING), "AVRO"))
    assert refused.value.http_status_code == 409
    assert list(registry.get_versions(subject)) == [1]
