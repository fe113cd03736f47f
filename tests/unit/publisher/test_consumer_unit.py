"""The typed deserializer maps schema ids to classes, including ids it was not told about."""

from __future__ import annotations

import uuid

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

from publisher.consumer import TypedDeserializer
from publisher.errors import UnknownSchemaId
from publisher.registry import SchemaResolver
from publisher.wire import header
from tests.unit.publisher.events import avro_event, proto_event


def test_decodes_each_class_by_its_schema_id() -> None:
    client = SchemaRegistryClient.new_client({"url": f"mock://{uuid.uuid4().hex}"})
    Order = avro_event("orders")
    Payment = proto_event("payments")
    order_id = client.register_schema("orders-value", Schema(Order.SCHEMA, "AVRO"))
    payment_id = client.register_schema("payments-value", Schema(Payment.SCHEMA, "PROTOBUF"))
    deserialize = TypedDeserializer([Order, Payment], SchemaResolver(client=client))
    order = Order(order_id="1", amount=5, note="x")
    payment = Payment(payment_id="p", amount_cents=7)
    assert deserialize(header("AVRO", order_id) + order.encode()) == order
    framed = header("PROTOBUF", payment_id, (1,)) + payment.encode()
    assert deserialize(framed) == payment
    assert deserialize(None) is None


def test_unknown_id_is_matched_by_schema_text_or_named() -> None:
    client = SchemaRegistryClient.new_client({"url": f"mock://{uuid.uuid4().hex}"})
    Order = avro_event("orders")
    client.register_schema("orders-value", Schema(Order.SCHEMA, "AVRO"))
    elsewhere = client.register_schema("other-subject", Schema(Order.SCHEMA, "AVRO"))
    Other = avro_event(name="Other")
    other_id = client.register_schema("x-value", Schema(Other.SCHEMA, "AVRO"))
    deserialize = TypedDeserializer([Order], SchemaResolver(client=client))
    order = Order(order_id="1", amount=5, note="")
    assert deserialize(header("AVRO", elsewhere) + order.encode()) == order
    with pytest.raises(UnknownSchemaId, match=f"schema id {other_id}"):
        deserialize(header("AVRO", other_id) + b"\x00")


def test_protobuf_messages_of_one_file_share_an_id_and_split_by_message_index() -> None:
    client = SchemaRegistryClient.new_client({"url": f"mock://{uuid.uuid4().hex}"})
    Payment = proto_event("payments")
    schema_id = client.register_schema("payments-value", Schema(Payment.SCHEMA, "PROTOBUF"))
    header_cls = type(
        "Header",
        (Payment,),
        {"__slots__": (), "MESSAGE_INDEXES": (0,), "MESSAGE": Payment.PB2.Header},
    )
    deserialize = TypedDeserializer([Payment, header_cls], SchemaResolver(client=client))
    payment = Payment(payment_id="p", amount_cents=1)
    assert deserialize(header("PROTOBUF", schema_id, (1,)) + payment.encode()) == payment
    head = header_cls(source="checkout")
    assert deserialize(header("PROTOBUF", schema_id, (0,)) + head.encode()) == head
    with pytest.raises(UnknownSchemaId, match=r"message indexes \[2\]"):
        deserialize(header("PROTOBUF", schema_id, (2,)) + b"")
