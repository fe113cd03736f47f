"""A failed future keeps its error, not the frames it was raised through.

``publish`` raises BufferFull to the caller and fails the event's future with it; a raised
exception holds its traceback and every frame's locals, so futures kept by a service held
those frames alive (200,000 failed futures: 477 MB against 91 MB). The future's error is a
twin without them.
"""

from __future__ import annotations

import gc
import weakref

import pytest

from publisher.errors import BufferFull, MessageTooLarge, PublisherError
from publisher.futures import DeliveryBatch, DeliveryFuture, Tally, detached
from tests.unit import bad_input

KIND = "failed futures (publisher)"


class _Bulky:
    """Stands for what a publishing frame holds: a batch of events, buffers."""


def _raise_from_a_frame_holding(bulky: _Bulky, error: PublisherError) -> None:
    held = [bulky]
    assert held
    raise error


def test_a_failed_future_keeps_no_frames_of_the_raise() -> None:
    bad_input.tried(KIND)
    future = DeliveryFuture.counted_by(Tally())()
    bulky = _Bulky()
    alive = weakref.ref(bulky)
    error = BufferFull("queue full")
    future.fail(error)
    error.futures = [future]
    with pytest.raises(BufferFull) as raised:
        _raise_from_a_frame_holding(bulky, error)
    assert raised.value.__traceback__ is not None
    del bulky, error, raised
    gc.collect()
    kept = future.exception()
    assert isinstance(kept, BufferFull)
    assert str(kept) == "queue full"
    assert kept.__traceback__ is None
    assert alive() is None, "the future kept the raising frame's locals alive"
    bad_input.handled(KIND)


def test_the_twin_keeps_class_message_and_attributes_but_no_back_references() -> None:
    bad_input.tried(KIND)
    error = MessageTooLarge("orders", 10, 5, "message.max.bytes")
    error.futures = ["x"]
    try:
        raise error
    except MessageTooLarge:
        twin = detached(error)
    assert type(twin) is MessageTooLarge
    assert str(twin) == str(error)
    assert (twin.topic, twin.size, twin.limit, twin.setting) == (
        "orders",
        10,
        5,
        "message.max.bytes",
    )
    assert twin.futures == []
    assert twin.__traceback__ is None
    assert twin.__context__ is None
    bad_input.handled(KIND)


def test_a_sealed_batch_reports_unsent_events_with_a_detached_error() -> None:
    bad_input.tried(KIND)
    batch = DeliveryBatch(Tally())
    try:
        raise BufferFull("queue full")
    except BufferFull as exc:
        batch.seal(0, exc, [object(), object()])
    report = batch.report(1)
    assert len(report.failures) == 2
    assert all(f.error.__traceback__ is None for f in report.failures)
    bad_input.handled(KIND)
