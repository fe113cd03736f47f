"""Generated classes against the real Schema Registry: `herald register` registers exactly the
schema each class carries, and confluent-kafka's own deserializers read the classes' bytes."""

from __future__ import annotations

import datetime as dt
import decimal
import importlib
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer
from confluent_kafka.serialization import MessageField, SerializationContext

from publisher.registry import SchemaResolver
from publisher.wire import frame, header
from tests.golden.regenerate import SCHEMAS
from tests.integration.conftest import Stack

pytestmark = pytest.mark.integration

HERALD = str(Path(sys.executable).with_name("herald"))
BOUND = {
    "com.example.shop.Order": "topic",
    "com.example.shop.Category": "topic_record",
    "shipping.v1.ShipmentDispatched": "topic_record",
}


@pytest.fixture(scope="module")
def registered(stack: Stack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The golden schemas generated and registered with unique topics; the package imported."""
    tmp = tmp_path_factory.mktemp("codegen-registry")
    package = f"events_{uuid.uuid4().hex[:8]}"
    bindings = "".join(
        f'[[bindings]]\ntopic = "{stack.unique("codegen")}"\nvalue = "{name}"\n'
        f'strategy = "{strategy}"\n'
        for name, strategy in BOUND.items()
    )
    config = tmp / "herald.toml"
    config.write_text(
        f'schemas = ["{SCHEMAS}"]\n[codegen]\nout = "{tmp / package}"\n{bindings}', "utf-8"
    )
    for command in (
        [HERALD, "codegen", "--config", str(config)],
        [HERALD, "register", "--config", str(config), "--registry", stack.registry_url],
    ):
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
    sys.path.insert(0, str(tmp))
    try:
        yield importlib.import_module(package)
    finally:
        sys.path.remove(str(tmp))


@pytest.fixture(scope="module")
def resolver(stack: Stack) -> Iterator[SchemaResolver]:
    res = SchemaResolver(stack.registry_url)
    yield res
    res.close()


@pytest.mark.parametrize("full_name", sorted(BOUND))
def test_the_registry_knows_the_schema_each_class_carries(
    registered: ModuleType, resolver: SchemaResolver, full_name: str
) -> None:
    cls = registered.TYPES[full_name]
    (binding,) = cls.BINDINGS
    assert binding.strategy == BOUND[full_name]
    schema_id = resolver.resolve(cls, binding.subject)
    schema_type, text = resolver.schema_text(schema_id)
    assert schema_type.upper() == cls.SCHEMA_FORMAT
    if cls.SCHEMA_FORMAT == "AVRO":
        assert json.loads(text) == json.loads(cls.SCHEMA)
    else:
        assert "message ShipmentDispatched" in text


def test_confluent_avro_deserializer_reads_generated_bytes(
    registered: ModuleType, resolver: SchemaResolver, stack: Stack
) -> None:
    shop = registered.com.example.shop
    common = registered.com.example.common
    order = shop.Order(
        id=uuid.uuid4(),
        total=common.Money(amount=decimal.Decimal("42.10"), currency=common.Currency.GBP),
        class_="gold",
        payment=shop.Transfer(iban="DE00 1234"),
        checksum=bytes(range(16)),
        lines=[shop.Line(sku="A-1", unit_price=common.Money(amount=decimal.Decimal("1.05")))],
        ref=7,
        tags={"channel": "web"},
    )
    subject = order.BINDINGS[0].subject
    schema_id = resolver.resolve(type(order), subject)
    message = frame(header("AVRO", schema_id), order.encode())
    deserializer = AvroDeserializer(resolver.client)
    ctx = SerializationContext(order.BINDINGS[0].topic, MessageField.VALUE)
    assert deserializer(message, ctx) == order.to_dict()


def test_confluent_protobuf_deserializer_reads_generated_bytes(
    registered: ModuleType, resolver: SchemaResolver
) -> None:
    shipment_mod = registered.shipping.v1.shipment
    cls = shipment_mod.ShipmentDispatched
    event = cls(
        shipment_id="s-1",
        carrier=shipment_mod.Carrier.CARRIER_COURIER,
        parcels=[shipment_mod.ShipmentDispatchedParcel(id="p", weight_kg=1.5)],
        dispatched_at=dt.datetime(2026, 11, 27, 14, 0, tzinfo=dt.UTC),
        tracking_number=99,
        from_=True,
    )
    binding = cls.BINDINGS[0]
    schema_id = resolver.resolve(cls, binding.subject)
    message = frame(header("PROTOBUF", schema_id, cls.MESSAGE_INDEXES), event.encode())
    pb2 = importlib.import_module(cls.__module__ + "_pb2")
    deserializer = ProtobufDeserializer(pb2.ShipmentDispatched, {"use.deprecated.format": False})
    decoded = deserializer(message, SerializationContext(binding.topic, MessageField.VALUE))
    assert decoded.SerializeToString(deterministic=True) == event.encode()
    assert cls.decode(decoded.SerializeToString()) == event
