"""Protobuf bindings: same contract as Avro classes, bytes equal to SerializeToString."""

from __future__ import annotations

import datetime as dt
from types import ModuleType

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from publisher.errors import EventDecodeError, EventValidationError
from tests.unit.generate.proto_values import message_values, to_pb

MESSAGES = [
    "shipping.v1.Address",
    "shipping.v1.ShipmentDispatched",
    "shipping.v1.ShipmentDispatched.Parcel",
]


def pb2_class(pkg: ModuleType, full_name: str) -> type:
    """The protoc class behind a binding, found by walking its _pb2 module."""
    module = pkg.TYPES[full_name].__module__
    pb2 = __import__(module + "_pb2", fromlist=["_"])
    obj = pb2
    for part in full_name.removeprefix("shipping.v1.").split("."):
        obj = getattr(obj, part)
    return obj  # type: ignore[return-value]


@pytest.mark.parametrize("full_name", MESSAGES)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_round_trip_matches_serialize_to_string(
    golden_package: ModuleType, full_name: str, data: st.DataObject
) -> None:
    cls = golden_package.TYPES[full_name]
    pb_cls = pb2_class(golden_package, full_name)
    plain = data.draw(message_values(pb_cls.DESCRIPTOR))
    obj = cls.from_dict(plain)
    body = obj.encode()
    assert body == to_pb(pb_cls(), plain).SerializeToString(deterministic=True)
    assert cls.decode(body) == obj
    assert obj.to_dict() == plain


def test_contract_class_variables(golden_package: ModuleType) -> None:
    cls = golden_package.TYPES["shipping.v1.ShipmentDispatched"]
    parcel = golden_package.TYPES["shipping.v1.ShipmentDispatched.Parcel"]
    assert cls.SCHEMA_FORMAT == "PROTOBUF"
    assert cls.MESSAGE_INDEXES == (0,)
    assert parcel.MESSAGE_INDEXES == (0, 0)
    assert cls.REFERENCES == (("shipping/v1/address.proto", "shipping/v1/address.proto"),)
    assert cls.SCHEMA.startswith('syntax = "proto3";')
    assert len(cls.FINGERPRINT) == 64
    assert cls.BINDINGS == ()
    assert cls(from_=True).from_ is True
    assert cls(from_=True).to_proto().SerializeToString() == b"`\x01"


def test_oneof_allows_one_member_only(golden_package: ModuleType) -> None:
    cls = golden_package.TYPES["shipping.v1.ShipmentDispatched"]
    with pytest.raises(EventValidationError, match=r"ShipmentDispatched\.tracking: .*at most one"):
        cls(tracking_url="https://t", tracking_number=5)


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("priority", -1, "uint32"),
        ("dispatched_at", dt.datetime(2026, 1, 1), "naive datetime"),
        ("carrier", "CARRIER_POST", "shipping.v1.Carrier"),
        ("labels", "x", None),
        ("attributes", {"a": 1}, "map<string, string>"),
        ("parcels", [{"id": "p"}], "repeated shipping.v1.ShipmentDispatched.Parcel"),
    ],
)
def test_invalid_values_name_class_and_field(
    golden_package: ModuleType, field: str, value: object, words: str | None
) -> None:
    ship = golden_package.TYPES["shipping.v1.ShipmentDispatched"]
    target = (
        ship if field != "labels" else golden_package.TYPES["shipping.v1.ShipmentDispatched.Parcel"]
    )
    with pytest.raises(EventValidationError) as info:
        target(**{field: value})
    assert info.value.field == field
    if words:
        assert words in str(info.value)


def test_an_unknown_keyword_names_class_and_keyword(golden_package: ModuleType) -> None:
    cls = golden_package.TYPES["shipping.v1.ShipmentDispatched"]
    with pytest.raises(EventValidationError) as info:
        cls(shipment_id="s-1", shipmentid="s-1")
    assert (info.value.cls_name, info.value.field) == ("ShipmentDispatched", "shipmentid")
    assert "takes: shipment_id, carrier," in str(info.value)


def test_enums_convert_from_names_and_numbers(golden_package: ModuleType) -> None:
    cls = golden_package.TYPES["shipping.v1.ShipmentDispatched"]
    by_name = cls.from_dict({"carrier": "CARRIER_POST"})
    by_number = cls.from_dict({"carrier": 1})
    assert by_name == by_number
    assert by_name.to_dict()["carrier"] == "CARRIER_POST"
    with pytest.raises(EventValidationError, match=r"ShipmentDispatched\.carrier"):
        cls.from_dict({"carrier": "CARRIER_PIGEON"})


def test_garbage_bytes_raise_a_decode_error(golden_package: ModuleType) -> None:
    cls = golden_package.TYPES["shipping.v1.ShipmentDispatched"]
    with pytest.raises(EventDecodeError, match="cannot decode ShipmentDispatched"):
        cls.decode(b"\xff\xff\xff")


def test_float_fields_keep_single_precision(golden_package: ModuleType) -> None:
    cls = golden_package.TYPES["shipping.v1.ShipmentDispatched"]
    event = cls(temperature=0.1)
    assert event.temperature != 0.1
    assert cls.decode(event.encode()) == event
    with pytest.raises(EventValidationError, match=r"ShipmentDispatched\.temperature"):
        cls(temperature=1e300)


def test_an_enum_number_the_schema_lacks_is_a_decode_error(golden_package: ModuleType) -> None:
    cls = golden_package.TYPES["shipping.v1.ShipmentDispatched"]
    body = pb2_class(golden_package, "shipping.v1.ShipmentDispatched")(
        carrier=99
    ).SerializeToString()
    with pytest.raises(EventDecodeError, match="99 is not a valid Carrier"):
        cls.decode(body)


def test_events_are_read_only_views_that_hand_out_copies(golden_package: ModuleType) -> None:
    cls = golden_package.TYPES["shipping.v1.ShipmentDispatched"]
    parcel_cls = golden_package.TYPES["shipping.v1.ShipmentDispatched.Parcel"]
    event = cls(shipment_id="s-1", parcels=[parcel_cls(id="p", labels=["fragile"])])
    with pytest.raises(AttributeError):
        event.shipment_id = "changed"
    event.parcels.append(parcel_cls(id="ignored"))
    event.parcels[0].labels.append("ignored")
    event.attributes["k"] = "ignored"
    assert event.parcels == [parcel_cls(id="p", labels=["fragile"])]
    assert event.attributes == {}
    assert repr(parcel_cls(id="p")) == (
        "ShipmentDispatchedParcel(id='p', weight_kg=0.0, "
        "packing=<ShipmentDispatchedParcelPacking.PACKING_UNSPECIFIED: 0>, labels=[])"
    )


def test_to_proto_and_from_proto_copy_protocs_message(golden_package: ModuleType) -> None:
    cls = golden_package.TYPES["shipping.v1.ShipmentDispatched"]
    pb_cls = pb2_class(golden_package, "shipping.v1.ShipmentDispatched")
    event = cls(shipment_id="s-1", tracking_number=42, attributes={"b": "2", "a": "1"})
    message = event.to_proto()
    assert isinstance(message, pb_cls)
    assert message.SerializeToString(deterministic=True) == event.encode()
    message.shipment_id = "changed"  # a copy: the event does not change
    assert event.shipment_id == "s-1"
    back = cls.from_proto(message)
    assert back.shipment_id == "changed"
    assert back.tracking_number == 42
    message.shipment_id = "again"
    assert back.shipment_id == "changed"
    with pytest.raises(EventValidationError, match=r"ShipmentDispatched\.from_proto"):
        cls.from_proto(pb2_class(golden_package, "shipping.v1.Address")())
    with pytest.raises(EventValidationError, match="99 is not a valid Carrier"):
        cls.from_proto(pb_cls(carrier=99))


def test_events_compare_hash_and_pickle_by_value(golden_package: ModuleType) -> None:
    import pickle

    address = golden_package.TYPES["shipping.v1.Address"]
    a, b = address(street="Main St 1", city="Oslo"), address(street="Main St 1", city="Oslo")
    assert a == b
    assert hash(a) == hash(b)
    assert a != address(street="Main St 2", city="Oslo")
    assert pickle.loads(pickle.dumps(a)) == a
    assert len({a, b}) == 1
