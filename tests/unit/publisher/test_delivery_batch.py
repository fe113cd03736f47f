"""DeliveryBatch: one future per publish_many call, settled exactly once, failures traced."""

from __future__ import annotations

import asyncio
import threading
from types import SimpleNamespace
from typing import Any

import pytest
from confluent_kafka import KafkaError

from publisher.errors import BatchDeliveryError, DeliveryError, PublisherError
from publisher.futures import BatchReport, DeliveryBatch, Tally


def sent(value: bytes, key: bytes | None = None, topic: str = "orders") -> Any:
    return SimpleNamespace(topic=lambda: topic, value=lambda: value, key=lambda: key)


def queue(batch: DeliveryBatch, values: list[bytes], keys: list[bytes | None]) -> None:
    """What publish_many records per queued message."""
    batch.keys.extend(keys)
    batch.values.extend(values)


def test_resolves_after_the_last_delivery_and_the_seal_in_either_order() -> None:
    tally = Tally()
    early = DeliveryBatch(tally)
    queue(early, [b"a", b"b"], [None, None])
    early.on_delivery(None, sent(b"a"))
    early.on_delivery(None, sent(b"b"))
    assert not early.done()
    early.seal(2)
    assert early.result(0) == BatchReport(2, ())

    late = DeliveryBatch(tally)
    queue(late, [b"a", b"b"], [None, None])
    late.seal(2)
    late.on_delivery(None, sent(b"a"))
    assert not late.done()
    late.on_delivery(None, sent(b"b"))
    assert late.result(0) == BatchReport(2, ())
    assert tally.delivered == 4


def test_an_empty_batch_is_settled_by_its_seal() -> None:
    batch = DeliveryBatch(Tally())
    batch.seal(0)
    assert batch.result(0) == BatchReport(0, ())


class Text:
    """A stand-in event class: its bytes are a one-byte header and the text."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Text) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    @classmethod
    def decode(cls, data: bytes) -> Text:
        return cls(data.decode())


def test_refused_deliveries_are_traced_to_their_events_even_with_duplicates() -> None:
    values = [b"#first", b"#dup", b"#dup", b"#other"]
    keys: list[bytes | None] = [b"k0", b"k", b"k", None]
    tally = Tally()
    batch = DeliveryBatch(tally)
    batch.classes.append((0, Text, 1))
    queue(batch, values, keys)
    timed_out = KafkaError(KafkaError._MSG_TIMED_OUT)
    batch.on_delivery(None, sent(b"#first", b"k0"))
    batch.on_delivery(timed_out, sent(b"#dup", b"k"))
    batch.on_delivery(timed_out, sent(b"#dup", b"k"))
    batch.on_delivery(timed_out, sent(b"#other", None, topic="other"))
    batch.seal(4)
    with pytest.raises(BatchDeliveryError, match=r"3 of 4 events .* event #1") as info:
        batch.result(0)
    report = info.value.report
    assert report.delivered == 1
    assert [(f.position, f.event) for f in report.failures] == [
        (1, Text("dup")),
        (2, Text("dup")),
        (3, Text("other")),
    ]
    assert all(isinstance(f.error, DeliveryError) for f in report.failures)
    assert report.failures[2].error.topic == "other"
    assert batch.report(0) == report
    assert (tally.delivered, tally.failed) == (1, 3)
    assert batch.values == []
    assert batch.keys == []
    assert batch.classes == []


class Number(Text):
    """A second stand-in class, with a two-byte header."""


def test_a_refused_event_is_rebuilt_with_the_class_queued_at_its_position() -> None:
    batch = DeliveryBatch(Tally())
    batch.classes += [(0, Text, 1), (2, Number, 2)]
    queue(batch, [b"#a", b"#b", b"##1", b"##2"], [None] * 4)
    refused = KafkaError(KafkaError._MSG_TIMED_OUT)
    for value in (b"#a", b"##1"):
        batch.on_delivery(None, sent(value))
    for value in (b"##2", b"#b"):
        batch.on_delivery(refused, sent(value))
    batch.seal(4)
    failures = batch.report(0).failures
    assert [(f.position, type(f.event), f.event) for f in failures] == [
        (1, Text, Text("b")),
        (3, Number, Number("2")),
    ]


def test_events_kept_by_the_batch_are_reported_as_they_are() -> None:
    """A contract's rules may transform the bytes: those batches keep the caller's events."""
    events = [object(), object()]
    batch = DeliveryBatch(Tally())
    batch.kept.update(enumerate(events))
    queue(batch, [b"x", b"y"], [None, None])
    batch.on_delivery(None, sent(b"x"))
    batch.on_delivery(KafkaError(KafkaError._MSG_TIMED_OUT), sent(b"y"))
    batch.seal(2)
    assert [(f.position, f.event) for f in batch.report(0).failures] == [(1, events[1])]
    assert batch.kept == {}


def test_events_never_queued_carry_the_error_that_stopped_the_loop() -> None:
    events = ["sent", "refused", "after"]
    batch = DeliveryBatch(Tally())
    queue(batch, [b"sent"], [None])
    stop = PublisherError("queue full")
    batch.seal(1, stop, events[1:])
    assert not batch.done()
    batch.on_delivery(None, sent(b"sent"))
    report = batch.report(0)
    assert report.delivered == 1
    assert [(f.position, f.event, type(f.error), str(f.error)) for f in report.failures] == [
        (1, "refused", PublisherError, "queue full"),
        (2, "after", PublisherError, "queue full"),
    ]


def test_concurrent_deliveries_settle_the_batch_exactly_once() -> None:
    count = 20_000
    batch = DeliveryBatch(Tally())
    queue(batch, [b"x"] * count, [None] * count)
    settled: list[object] = []
    batch.add_done_callback(settled.append)
    start = threading.Barrier(4)

    def deliver(share: range) -> None:
        start.wait()
        for _ in share:
            batch.on_delivery(None, sent(b"x"))

    threads = [threading.Thread(target=deliver, args=(range(i, count, 3),)) for i in range(3)]
    for thread in threads:
        thread.start()
    start.wait()
    batch.seal(count)
    for thread in threads:
        thread.join(10)
    assert batch.result(5) == BatchReport(count, ())
    assert settled == [batch]


def test_asyncio_can_await_a_batch() -> None:
    batch = DeliveryBatch(Tally())
    queue(batch, [b"a"], [None])
    batch.seal(1)

    async def main() -> BatchReport:
        loop = asyncio.get_running_loop()
        loop.call_soon(batch.on_delivery, None, sent(b"a"))
        return await asyncio.wrap_future(batch)

    assert asyncio.run(main()) == BatchReport(1, ())


class Unreadable(Text):
    """A class whose decode() fails."""

    @classmethod
    def decode(cls, data: bytes) -> Text:
        raise ValueError(data)


def test_an_event_that_cannot_be_rebuilt_is_reported_by_position_alone() -> None:
    batch = DeliveryBatch(Tally())
    batch.classes.append((0, Unreadable, 1))
    queue(batch, [b"#a"], [None])
    batch.on_delivery(KafkaError(KafkaError._MSG_TIMED_OUT), sent(b"#a"))
    batch.seal(1)
    assert [(f.position, f.event) for f in batch.report(0).failures] == [(0, None)]
