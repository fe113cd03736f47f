"""The typed deserializer reads each writer schema id with the class of its name, resolving Avro."""

from __future__ import annotations

import json
import uuid

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

from publisher.consumer import TypedDeserializer
from publisher.errors import PublisherConfigError, SchemaResolutionError, UnknownSchemaId
from publisher.record_errors import RecordErrorPolicy
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
        {
            "__slots__": (),
            "FULL_NAME": Payment.FULL_NAME.rsplit(".", 1)[0] + ".Header",
            "MESSAGE_INDEXES": (0,),
            "MESSAGE": Payment.PB2.Header,
        },
    )
    deserialize = TypedDeserializer([Payment, header_cls], SchemaResolver(client=client))
    payment = Payment(payment_id="p", amount_cents=1)
    assert deserialize(header("PROTOBUF", schema_id, (1,)) + payment.encode()) == payment
    head = header_cls(source="checkout")
    assert deserialize(header("PROTOBUF", schema_id, (0,)) + head.encode()) == head
    with pytest.raises(UnknownSchemaId, match=r"message indexes \[2\]"):
        deserialize(header("PROTOBUF", schema_id, (2,)) + b"")


def test_a_newer_class_reads_older_records_without_its_schema_registered() -> None:
    client = SchemaRegistryClient.new_client({"url": f"mock://{uuid.uuid4().hex}"})
    V1 = avro_event("orders")
    V2 = avro_event("orders", extra_field=True, namespace=V1.FULL_NAME.rsplit(".", 1)[0])
    old_id = client.register_schema("orders-value", Schema(V1.SCHEMA, "AVRO"))
    deserialize = TypedDeserializer([V2], SchemaResolver(client=client))
    event = deserialize(header("AVRO", old_id) + V1(order_id="1", amount=5, note="n").encode())
    assert event == V2(order_id="1", amount=5, note="n", channel="web")
    assert deserialize.ids == {(old_id, ()): V2}
    assert len(client.get_subjects()) == 1


def test_an_incompatible_writer_names_its_id_the_class_and_the_rule() -> None:
    client = SchemaRegistryClient.new_client({"url": f"mock://{uuid.uuid4().hex}"})
    V2 = avro_event("orders", extra_field=True)
    namespace = V2.FULL_NAME.rsplit(".", 1)[0]
    fields = [{"name": "order_id", "type": "string"}, {"name": "amount", "type": "string"}]
    record = {"type": "record", "name": "OrderPlaced", "namespace": namespace, "fields": fields}
    writer = json.dumps(record)
    writer_id = client.register_schema("orders-value", Schema(writer, "AVRO"))
    deserialize = TypedDeserializer([V2], SchemaResolver(client=client))
    with pytest.raises(SchemaResolutionError) as caught:
        deserialize(header("AVRO", writer_id) + b"\x021\x021")
    assert caught.value.rule == "TYPE_MISMATCH"
    assert f"writer schema id {writer_id}" in str(caught.value)
    assert V2.FULL_NAME in str(caught.value)
    assert 'field "amount"' in str(caught.value)


def test_two_classes_of_one_name_are_refused() -> None:
    client = SchemaRegistryClient.new_client({"url": f"mock://{uuid.uuid4().hex}"})
    V1 = avro_event()
    V2 = avro_event(extra_field=True, namespace=V1.FULL_NAME.rsplit(".", 1)[0])
    with pytest.raises(PublisherConfigError, match="two classes read"):
        TypedDeserializer([V1, V2], SchemaResolver(client=client))


class _Message:
    def topic(self) -> str:
        return "orders"

    def partition(self) -> int:
        return 0

    def offset(self) -> int:
        return 7


def test_error_policies_raise_skip_or_hand_the_raw_message_over() -> None:
    error = UnknownSchemaId("schema id 9 (x) is none of the classes")
    with pytest.raises(UnknownSchemaId):
        RecordErrorPolicy("raise").handle(_Message(), error)
    skip = RecordErrorPolicy("skip")
    skip.handle(_Message(), error)
    assert skip.skipped == 1
    seen: list[tuple[object, object]] = []
    hand = RecordErrorPolicy(lambda message, exc: seen.append((message, exc)))
    message = _Message()
    hand.handle(message, error)
    assert seen == [(message, error)]
    assert hand.handed_over == 1
    with pytest.raises(PublisherConfigError, match="on_error='drop'"):
        RecordErrorPolicy("drop")  # type: ignore[arg-type]
