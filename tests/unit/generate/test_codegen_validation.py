"""Invalid values raise EventValidationError naming the class and the field; bad bytes too."""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import types
import uuid
from types import ModuleType
from typing import Any

import pytest

from publisher.errors import EventDecodeError, EventValidationError

UTC = dt.UTC


def money(pkg: ModuleType, amount: str = "12.50") -> Any:
    common = pkg.com.example.common
    return common.Money(amount=decimal.Decimal(amount), currency=common.Currency.USD)


def order_dict(pkg: ModuleType) -> dict[str, Any]:
    return {
        "id": uuid.UUID(int=7),
        "total": {"amount": decimal.Decimal("3.10"), "currency": "EUR"},
        "class": "gold",
        "payment": {"last4": "4242", "hash": b"0123456789abcdef"},
        "checksum": b"\x01" * 16,
    }


def timing_kwargs() -> dict[str, Any]:
    return {
        "price": decimal.Decimal("1.250"),
        "fixed_price": decimal.Decimal("-3.5"),
        "at_millis": dt.time(1, 2, 3),
        "at_micros": dt.time(1, 2, 3, 4),
        "ts_micros": dt.datetime(2026, 1, 1, tzinfo=UTC),
        "local_millis": dt.datetime(2026, 1, 1),
        "local_micros": dt.datetime(2026, 1, 1),
    }


def test_defaults_fill_in_and_mutable_defaults_are_not_shared(golden_package: ModuleType) -> None:
    order_cls = golden_package.TYPES["com.example.shop.Order"]
    a, b = (
        order_cls.from_dict(order_dict(golden_package)),
        order_cls.from_dict(order_dict(golden_package)),
    )
    assert a.status.value == "NEW"
    assert a.tags == {"source": "web"}
    assert a.tags is not b.tags
    assert a.lines == []
    assert a.lines is not b.lines
    assert a.priority == -1
    assert a.to_dict_ == 0.5
    timing = golden_package.TYPES["com.example.shop.Timing"](**timing_kwargs())
    assert timing.day == dt.date(2022, 1, 8)
    assert timing.ts_millis == dt.datetime(1970, 1, 1, tzinfo=UTC)
    assert timing.trace == uuid.UUID(int=1)


def test_instances_are_frozen(golden_package: ModuleType) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        money(golden_package).amount = decimal.Decimal(1)


@pytest.mark.parametrize(
    "build",
    [
        pytest.param(money, id="keywords"),
        pytest.param(
            lambda pkg: pkg.TYPES["com.example.shop.Order"].from_dict(order_dict(pkg)),
            id="from_dict",
        ),
        pytest.param(lambda pkg: type(money(pkg)).decode(money(pkg).encode()), id="decode"),
    ],
)
def test_every_way_of_building_gives_a_frozen_instance_of_the_class(
    golden_package: ModuleType, build: Any
) -> None:
    """The slots are filled on a twin without the frozen __setattr__, then the class is set."""
    event = build(golden_package)
    cls = type(event)
    assert cls.__name__ in ("Money", "Order")
    name = dataclasses.fields(event)[0].name
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(event, name, getattr(event, name))
    with pytest.raises(dataclasses.FrozenInstanceError):
        delattr(event, name)
    # A name that is no field: 3.11's frozen slots dataclass answers TypeError (its __setattr__
    # calls super() with the class from before slots were added), later versions AttributeError.
    with pytest.raises((AttributeError, TypeError)):
        event.not_a_field = 1
    assert not hasattr(event, "__dict__")


def test_copies_pickles_and_replace_are_equal_events_of_the_class(
    golden_package: ModuleType,
) -> None:
    import copy
    import pickle

    order = golden_package.TYPES["com.example.shop.Order"].from_dict(order_dict(golden_package))
    for twin in (copy.copy(order), copy.deepcopy(order), pickle.loads(pickle.dumps(order))):
        assert type(twin) is type(order)
        assert twin == order
    changed = dataclasses.replace(order, priority=3)
    assert type(changed) is type(order)
    assert (changed.priority, changed.id) == (3, order.id)
    with pytest.raises(EventValidationError, match="priority"):
        dataclasses.replace(order, priority="high")


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("price", 1.25, "expected decimal.Decimal"),
        ("price", decimal.Decimal("1.2345"), "decimal(9,3)"),
        ("price", decimal.Decimal("1234567.0"), "decimal(9,3)"),
        ("ts_micros", dt.datetime(2026, 1, 1), "naive datetime"),
        ("local_millis", dt.datetime(2026, 1, 1, tzinfo=UTC), "naive datetime.datetime"),
        ("at_millis", "01:02:03", "datetime.time"),
        ("trace", "not-a-uuid", "uuid.UUID"),
    ],
)
def test_invalid_logical_values_name_class_and_field(
    golden_package: ModuleType, field: str, value: object, words: str
) -> None:
    timing_cls = golden_package.TYPES["com.example.shop.Timing"]
    with pytest.raises(EventValidationError) as info:
        timing_cls(**{**timing_kwargs(), field: value})
    assert info.value.cls_name == "Timing"
    assert info.value.field == field
    assert words in str(info.value)
    assert str(info.value).startswith(f"Timing.{field}: ")


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"priority": 2**63}, "priority", "expected long"),
        ({"priority": True}, "priority", "expected long"),
        ({"class": None}, "class", "expected string"),
        ({"checksum": b"short"}, "checksum", "bytes of length 16"),
        ({"status": "LOST"}, "status", "not a valid Status"),
        (
            {
                "lines": [
                    {"sku": "a", "quantity": 2**31, "unit_price": {"amount": decimal.Decimal(1)}}
                ]
            },
            "quantity",
            "expected int",
        ),
        ({"tags": {"a": 1}}, "tags", "map<string"),
        ({"ref": 1.5}, "ref", "expected null"),
        ({"bogus": 1}, "bogus", "unknown field"),
    ],
)
def test_invalid_values_from_dict_name_class_and_field(
    golden_package: ModuleType, change: dict[str, Any], field: str, words: str
) -> None:
    order_cls = golden_package.TYPES["com.example.shop.Order"]
    with pytest.raises(EventValidationError) as info:
        order_cls.from_dict({**order_dict(golden_package), **change})
    assert info.value.field == field
    assert words in str(info.value)


def test_missing_required_field(golden_package: ModuleType) -> None:
    data = order_dict(golden_package)
    del data["checksum"]
    with pytest.raises(EventValidationError, match=r"^Order\.checksum: required field is missing"):
        golden_package.TYPES["com.example.shop.Order"].from_dict(data)


def test_constructor_names_a_missing_or_unknown_keyword(golden_package: ModuleType) -> None:
    money_cls = golden_package.TYPES["com.example.common.Money"]
    currency = golden_package.com.example.common.Currency.USD
    with pytest.raises(EventValidationError, match=r"^Money\.amount: required field is missing"):
        money_cls(currency=currency)
    with pytest.raises(EventValidationError) as info:
        money_cls(amount=decimal.Decimal(1), currency=currency, colour="red", amont=1)
    assert info.value.cls_name == "Money"
    assert info.value.field == "amont, colour"
    assert "takes: amount, currency" in str(info.value)


def test_from_dict_of_any_mapping_matches_from_dict_of_a_dict(golden_package: ModuleType) -> None:
    order_cls = golden_package.TYPES["com.example.shop.Order"]
    data = order_dict(golden_package)
    assert order_cls.from_dict(types.MappingProxyType(data)) == order_cls.from_dict(data)
    del data["checksum"]
    with pytest.raises(EventValidationError, match=r"^Order\.checksum: required field is missing"):
        order_cls.from_dict(types.MappingProxyType(data))


def test_in_place_mutation_of_a_list_is_caught_at_encode(golden_package: ModuleType) -> None:
    cat_cls = golden_package.TYPES["com.example.shop.Category"]
    cat = cat_cls(name="root")
    cat.children.append("not a category")
    with pytest.raises(EventValidationError, match=r"Category\.children"):
        cat.encode()


def test_bad_bytes_raise_decode_errors(golden_package: ModuleType) -> None:
    money_cls = golden_package.TYPES["com.example.common.Money"]
    body = money(golden_package).encode()
    with pytest.raises(EventDecodeError, match="cannot decode Money"):
        money_cls.decode(body[:-2])
    with pytest.raises(EventDecodeError, match="trailing byte"):
        money_cls.decode(body + b"\x00")
    with pytest.raises(EventDecodeError, match="cannot decode Money"):
        money_cls.decode(body[:-1] + b"\x7e")  # enum index 63: out of range


def test_every_truncated_body_raises_a_decode_error(golden_package: ModuleType) -> None:
    cat_cls = golden_package.TYPES["com.example.shop.Category"]
    tree = cat_cls(name="root", children=[cat_cls(name="leaf")], parent=cat_cls(name="up"))
    body = tree.encode()
    for end in range(len(body)):
        with pytest.raises(EventDecodeError, match="cannot decode Category"):
            cat_cls.decode(body[:end])
    assert cat_cls.decode(body) == tree


def test_millisecond_fields_are_truncated_so_round_trips_hold(golden_package: ModuleType) -> None:
    timing_cls = golden_package.TYPES["com.example.shop.Timing"]
    now = dt.datetime(2026, 11, 27, 14, 30, 5, 123456, tzinfo=UTC)
    timing = timing_cls(**{**timing_kwargs(), "ts_millis": now, "at_millis": dt.time(1, 2, 3, 999)})
    assert timing.ts_millis == now.replace(microsecond=123000)
    assert timing.at_millis == dt.time(1, 2, 3)
    assert timing_cls.decode(timing.encode()) == timing
    tokyo = dt.timezone(dt.timedelta(hours=9))
    naive = dt.datetime(2026, 1, 1, 0, 0, 0, 999)
    later = timing_cls(
        **{**timing_kwargs(), "ts_millis": now.astimezone(tokyo), "local_millis": naive}
    )
    assert later.ts_millis.tzinfo is tokyo
    assert later.ts_millis == now.replace(microsecond=123000)
    assert later.local_millis == dt.datetime(2026, 1, 1)


def test_float_fields_keep_single_precision_and_reject_overflow(golden_package: ModuleType) -> None:
    order_cls = golden_package.TYPES["com.example.shop.Order"]
    order = order_cls.from_dict({**order_dict(golden_package), "to_dict": 0.1})
    assert order.to_dict_ != 0.1
    assert abs(order.to_dict_ - 0.1) < 1e-8
    assert order_cls.decode(order.encode()) == order
    with pytest.raises(EventValidationError, match=r"^Order\.to_dict: expected float"):
        order_cls.from_dict({**order_dict(golden_package), "to_dict": 1e300})
