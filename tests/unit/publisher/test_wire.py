"""The hand-framed wire format is byte-identical to confluent-kafka's own serializers."""

from __future__ import annotations

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

from publisher.errors import EventDecodeError
from publisher.wire import header, parse_header
from tests.unit.publisher.events import avro_event, proto_event


def test_avro_frame_equals_avro_serializer_output() -> None:
    Order = avro_event("orders")
    client = SchemaRegistryClient.new_client({"url": "mock://wire-avro"})
    schema_id = client.register_schema("orders-value", Schema(Order.SCHEMA, "AVRO"))
    serializer = AvroSerializer(client, Order.SCHEMA, conf={"auto.register.schemas": False})
    event = Order(order_id="o-1", amount=1250, note="é")
    expected = serializer(event.to_dict(), SerializationContext("orders", MessageField.VALUE))
    assert header("AVRO", schema_id) + event.encode() == expected


def test_protobuf_frame_equals_protobuf_serializer_output() -> None:
    Payment = proto_event("payments")
    client = SchemaRegistryClient.new_client({"url": "mock://wire-proto"})
    serializer = ProtobufSerializer(Payment.MESSAGE, client, conf={"use.deprecated.format": False})
    event = Payment(payment_id="p-1", amount_cents=99)
    expected = serializer(event.message, SerializationContext("payments", MessageField.VALUE))
    schema_id = int.from_bytes(expected[1:5], "big")
    framed = header("PROTOBUF", schema_id, Payment.MESSAGE_INDEXES) + event.encode()
    assert framed == expected
    assert parse_header(framed, "PROTOBUF") == (schema_id, (1,), event.encode())


@pytest.mark.parametrize("indexes", [(), (0,), (1,), (3, 0, 2), (70,)])
def test_protobuf_indexes_round_trip(indexes: tuple[int, ...]) -> None:
    framed = header("PROTOBUF", 123456, indexes) + b"body"
    assert parse_header(framed, "PROTOBUF") == (123456, indexes or (0,), b"body")


def test_first_message_index_is_the_single_zero_byte() -> None:
    assert header("PROTOBUF", 1, (0,)) == b"\x00\x00\x00\x00\x01\x00"


def test_avro_header_is_magic_and_big_endian_id() -> None:
    assert header("AVRO", 0x01020304) == b"\x00\x01\x02\x03\x04"
    assert parse_header(b"\x00\x01\x02\x03\x04xyz", "AVRO") == (0x01020304, (), b"xyz")


@pytest.mark.parametrize("data", [b"", b"\x01\x00\x00\x00\x01", b"\x00\x00\x00"])
def test_non_confluent_bytes_are_rejected_clearly(data: bytes) -> None:
    with pytest.raises(EventDecodeError, match="Confluent wire format"):
        parse_header(data, "AVRO")


def test_truncated_protobuf_indexes_are_rejected() -> None:
    with pytest.raises(EventDecodeError, match="truncated"):
        parse_header(b"\x00\x00\x00\x00\x01\x04\x82", "PROTOBUF")
