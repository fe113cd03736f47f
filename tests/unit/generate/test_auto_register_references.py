"""``auto_register=True`` registers what a schema references before the schema itself.

On confluent-kafka's in-process ``mock://`` registry (one client instance, so one store): the
golden package's Avro ``Order`` references ``com.example.common.Money`` and its Protobuf
``ShipmentDispatched`` imports ``shipping/v1/address.proto``; neither reference is registered
beforehand.
"""

from __future__ import annotations

import uuid
from types import ModuleType

import pytest

from publisher.errors import SchemaNotRegisteredError
from publisher.registry import SchemaResolver


@pytest.mark.parametrize(
    ("full_name", "reference"),
    [
        ("com.example.shop.Order", "com.example.common.Money"),
        ("shipping.v1.ShipmentDispatched", "shipping/v1/address.proto"),
    ],
)
def test_auto_register_registers_the_references_first(
    golden_package: ModuleType, full_name: str, reference: str
) -> None:
    cls = golden_package.TYPES[full_name]
    resolver = SchemaResolver(f"mock://{uuid.uuid4().hex}", auto_register=True)
    try:
        schema_id = resolver.resolve(cls, f"{full_name}-value")
        kept = resolver.client.get_latest_version(reference)
        assert kept.schema.schema_str.strip()
        registered = resolver.client.get_latest_version(f"{full_name}-value")
        assert registered.schema_id == schema_id
        assert reference in [r.subject for r in registered.schema.references]
    finally:
        resolver.close()


def test_without_auto_register_a_missing_reference_says_what_to_do(
    golden_package: ModuleType,
) -> None:
    cls = golden_package.TYPES["com.example.shop.Order"]
    resolver = SchemaResolver(f"mock://{uuid.uuid4().hex}")
    try:
        with pytest.raises(SchemaNotRegisteredError, match="auto_register=True"):
            resolver.resolve(cls, "orders-value")
    finally:
        resolver.close()
    eager = SchemaResolver(f"mock://{uuid.uuid4().hex}", auto_register=True)
    try:
        eager.resolve(cls, "orders-value")
    finally:
        eager.close()
