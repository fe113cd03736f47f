"""Publisher behaviour on librdkafka's in-process mock cluster and the mock:// registry.

The integration tests repeat the important cases against the real broker and registry.
"""

from __future__ import annotations

import subprocess
import sys
import uuid
import weakref
from collections.abc import Iterator
from typing import Any

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

from publisher.errors import (
    BatchDeliveryError,
    BufferFull,
    DeliveryError,
    MessageTooLarge,
    PublisherClosed,
    PublisherConfigError,
    PublisherError,
    SchemaNotRegisteredError,
)
from publisher.futures import BatchReport
from publisher.producer import Publisher
from publisher.wire import header
from tests.unit.publisher.events import AvroTestEvent, avro_event

MOCK = {"test.mock.num.brokers": 1}


def registry() -> Any:
    return SchemaRegistryClient.new_client({"url": f"mock://{uuid.uuid4().hex}"})


@pytest.fixture
def order_cls() -> type[AvroTestEvent]:
    return avro_event(f"orders-{uuid.uuid4().hex[:6]}")


@pytest.fixture
def pub(order_cls: type[AvroTestEvent]) -> Iterator[Publisher]:
    client = registry()
    client.register_schema(order_cls.BINDINGS[0].subject, Schema(order_cls.SCHEMA, "AVRO"))
    publisher = Publisher(
        registry_client=client,
        config={**MOCK, "message.max.bytes": 2000},
        check_topic_limits=False,
    )
    yield publisher
    publisher.close(5)


def test_publish_resolves_with_a_delivery_report(
    pub: Publisher, order_cls: type[AvroTestEvent]
) -> None:
    report = pub.publish(order_cls(order_id="1", amount=2, note="n"), key="k").result(10)
    assert report.topic == order_cls.BINDINGS[0].topic
    assert report.offset >= 0
    assert report.timestamp > 0
    assert pub.tally.delivered == 1


def test_publish_many_resolves_one_report_for_the_whole_batch(
    pub: Publisher, order_cls: type[AvroTestEvent]
) -> None:
    events = [order_cls(order_id=str(i), amount=i, note="") for i in range(50)]
    batch = pub.publish_many(events, keys=[b"same"] * 50)
    assert batch.result(10) == BatchReport(delivered=50, failures=())
    assert pub.tally.delivered == 50


def test_publish_many_refuses_a_key_count_that_does_not_match(
    pub: Publisher, order_cls: type[AvroTestEvent]
) -> None:
    events = [order_cls(order_id=str(i), amount=i, note="") for i in range(3)]
    with pytest.raises(PublisherError, match="2 keys for 3 events") as info:
        pub.publish_many(events, keys=[b"a", b"b"])
    report = info.value.batch.report(0)
    assert report.delivered == 0
    assert [failed.position for failed in report.failures] == [0, 1, 2]


def test_oversized_event_raises_with_both_sizes_and_nothing_is_sent(
    pub: Publisher, order_cls: type[AvroTestEvent]
) -> None:
    with pytest.raises(MessageTooLarge) as info:
        pub.publish(order_cls(order_id="x", amount=1, note="y" * 5000))
    assert info.value.limit == 2000
    assert info.value.size > 5000
    assert "message.max.bytes" in str(info.value)
    assert len(pub) == 0
    assert pub.flush(5) == 0
    assert pub.tally.delivered == pub.tally.failed == 0


def test_unbound_event_needs_a_topic(pub: Publisher) -> None:
    unbound = avro_event()
    with pytest.raises(PublisherError, match="pass topic="):
        pub.publish(unbound(order_id="1", amount=1, note=""))


def test_unbound_event_uses_the_record_name_subject(pub: Publisher) -> None:
    unbound = avro_event()
    pub.resolver.client.register_schema(unbound.FULL_NAME, Schema(unbound.SCHEMA, "AVRO"))
    topic = f"loose-{uuid.uuid4().hex[:6]}"
    report = pub.publish(unbound(order_id="1", amount=1, note=""), topic=topic).result(10)
    assert report.topic == topic


def test_missing_schema_fails_fast_in_preload_naming_subject_and_remedy(pub: Publisher) -> None:
    missing = avro_event("nowhere")
    with pytest.raises(SchemaNotRegisteredError, match=r"nowhere-value.*herald register"):
        pub.preload(missing)


def test_auto_register_registers_for_local_development(order_cls: type[AvroTestEvent]) -> None:
    client = registry()
    with Publisher(
        registry_client=client, config=MOCK, auto_register=True, check_topic_limits=False
    ) as pub:
        pub.publish(order_cls(order_id="1", amount=1, note="")).result(10)
    latest = client.get_latest_version(order_cls.BINDINGS[0].subject)
    assert latest.schema.schema_str == order_cls.SCHEMA


def test_closed_publisher_refuses_to_publish(
    pub: Publisher, order_cls: type[AvroTestEvent]
) -> None:
    pub.close(5)
    with pytest.raises(PublisherClosed, match="closed"):
        pub.publish(order_cls(order_id="1", amount=1, note=""))


def test_contradictions_fail_at_construction() -> None:
    with pytest.raises(PublisherConfigError, match="acks=all"):
        Publisher(registry_client=registry(), config={**MOCK, "acks": 1})


def test_unknown_librdkafka_key_fails_at_construction() -> None:
    with pytest.raises(PublisherConfigError, match=r"librdkafka rejected.*no\.such\.key"):
        Publisher(registry_client=registry(), config={**MOCK, "no.such.key": 1})


def test_callbacks_are_managed_by_the_publisher() -> None:
    with pytest.raises(PublisherConfigError, match="stats_cb"):
        Publisher(registry_client=registry(), config={**MOCK, "stats_cb": print})


def test_full_queue_raises_buffer_full_with_every_future_failed_or_delivered(
    order_cls: type[AvroTestEvent],
) -> None:
    client = registry()
    client.register_schema(order_cls.BINDINGS[0].subject, Schema(order_cls.SCHEMA, "AVRO"))
    # Nothing can be delivered: the only broker is unreachable, so the queue stays full.
    pub = Publisher(
        "127.0.0.1:1",
        registry_client=client,
        config={"queue.buffering.max.messages": 5, "message.timeout.ms": 2000},
        backpressure_timeout=0.2,
        check_topic_limits=False,
    )
    events = [order_cls(order_id=str(i), amount=i, note="") for i in range(20)]
    with pytest.raises(BufferFull, match=r"queue\.buffering\.max\.messages") as info:
        pub.publish_many(events)
    batch = info.value.batch
    pub.close(5)
    report = batch.report(5)
    assert report.delivered == 0
    assert [failed.position for failed in report.failures] == list(range(20))
    assert [failed.event for failed in report.failures] == events
    refused = [f for f in report.failures if isinstance(f.error, DeliveryError)]
    assert [f.position for f in refused] == list(range(5))
    assert all(
        type(f.error) is BufferFull and str(f.error) == str(info.value) for f in report.failures[5:]
    )


def test_a_batch_in_flight_keeps_no_event_alive_and_still_names_the_failed_ones(
    order_cls: type[AvroTestEvent],
) -> None:
    client = registry()
    client.register_schema(order_cls.BINDINGS[0].subject, Schema(order_cls.SCHEMA, "AVRO"))
    referable = type("Referable", (order_cls,), {"__slots__": ("__weakref__",)})
    # The only broker is unreachable: every delivery fails once the message timeout is over.
    pub = Publisher(
        "127.0.0.1:1",
        registry_client=client,
        config={"message.timeout.ms": 1000},
        check_topic_limits=False,
    )
    events = [referable(order_id=str(i), amount=i, note="n") for i in range(3)]
    watched = [weakref.ref(event) for event in events]
    batch = pub.publish_many(events, keys=[b"a", b"b", b"a"])
    del events
    assert not batch.done()
    assert [ref() for ref in watched] == [None, None, None]
    report = batch.report(10)
    pub.close(1)
    assert report.delivered == 0
    assert [f.position for f in report.failures] == [0, 1, 2]
    # Rebuilt from the refused bytes with the class that was published: equal events.
    assert [f.event for f in report.failures] == [
        referable(order_id=str(i), amount=i, note="n") for i in range(3)
    ]
    assert all(isinstance(f.error, DeliveryError) for f in report.failures)


def test_single_publish_on_a_full_queue_raises_after_the_wait(
    order_cls: type[AvroTestEvent],
) -> None:
    client = registry()
    client.register_schema(order_cls.BINDINGS[0].subject, Schema(order_cls.SCHEMA, "AVRO"))
    pub = Publisher(
        "127.0.0.1:1",
        registry_client=client,
        config={"queue.buffering.max.messages": 1, "message.timeout.ms": 2000},
        backpressure_timeout=0.1,
        check_topic_limits=False,
    )
    first = pub.publish(order_cls(order_id="1", amount=1, note=""))
    with pytest.raises(BufferFull) as info:
        pub.publish(order_cls(order_id="2", amount=2, note=""))
    assert isinstance(info.value.futures[0].exception(0), BufferFull)
    pub.close(5)
    assert first.exception(5) is not None


def test_transaction_needs_a_transactional_id(pub: Publisher) -> None:
    with pytest.raises(PublisherConfigError, match="transactional_id"), pub.transaction():
        pass


def test_typed_key_event_is_framed_under_the_key_subject(order_cls: type[AvroTestEvent]) -> None:
    client = registry()
    topic = order_cls.BINDINGS[0].topic
    client.register_schema(f"{topic}-value", Schema(order_cls.SCHEMA, "AVRO"))
    key_cls = avro_event(name="OrderKey")
    key_id = client.register_schema(f"{topic}-key", Schema(key_cls.SCHEMA, "AVRO"))
    key = key_cls(order_id="k", amount=0, note="")
    with Publisher(registry_client=client, config=MOCK, check_topic_limits=False) as pub:
        assert pub._key_bytes(key, topic) == header("AVRO", key_id) + key.encode()
        assert pub.publish(order_cls(order_id="1", amount=1, note=""), key=key).result(10)


def test_runtime_never_imports_build_time_packages() -> None:
    code = (
        "import sys, publisher, publisher.producer, publisher.aio, publisher.consumer, "
        "publisher.metrics, publisher.partitioners, publisher.transactions;"
        "bad = [m for m in ('codegen', 'click', 'jinja2') if m in sys.modules];"
        "print(','.join(bad))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == ""


def test_non_events_are_refused_with_a_pointer_to_codegen(pub: Publisher) -> None:
    with pytest.raises(PublisherError, match="herald codegen"):
        pub.publish({"order_id": "1"})  # type: ignore[arg-type]


def test_oversized_event_in_a_batch_fails_it_and_the_rest_and_keeps_earlier_ones(
    pub: Publisher, order_cls: type[AvroTestEvent]
) -> None:
    events = [
        order_cls(order_id="ok", amount=1, note=""),
        order_cls(order_id="big", amount=2, note="y" * 5000),
        order_cls(order_id="after", amount=3, note=""),
    ]
    with pytest.raises(MessageTooLarge) as info:
        pub.publish_many(events)
    report = info.value.batch.report(10)
    assert report.delivered == 1
    # Each failure carries a twin of the raised error (same class and message, no traceback).
    assert [(f.position, f.event, type(f.error), str(f.error)) for f in report.failures] == [
        (1, events[1], MessageTooLarge, str(info.value)),
        (2, events[2], MessageTooLarge, str(info.value)),
    ]
    with pytest.raises(BatchDeliveryError, match="2 of 3 events"):
        info.value.batch.result(0)


def test_a_generator_is_drawn_one_event_at_a_time_and_each_is_freed_once_queued(
    pub: Publisher, order_cls: type[AvroTestEvent]
) -> None:
    referable = type("Referable", (order_cls,), {"__slots__": ("__weakref__",)})
    alive_before: list[bool] = []
    previous: list[weakref.ref[Any]] = []

    def build() -> Iterator[Any]:
        for i in range(50):
            alive_before.append(any(ref() is not None for ref in previous[:-1]))
            event = referable(order_id=str(i), amount=i, note="")
            previous.append(weakref.ref(event))
            yield event
            del event

    batch = pub.publish_many(build(), keys=(str(i).encode() for i in range(50)))
    assert batch.result(10) == BatchReport(50, ())
    # When each event was built, every event but the last one drawn was already gone (the loop
    # still names that one until it draws the next).
    assert alive_before == [False] * 50


def test_a_stream_stopped_early_reports_the_event_drawn_and_stays_where_it_stopped(
    pub: Publisher, order_cls: type[AvroTestEvent]
) -> None:
    notes = ["", "", "y" * 5000, "", ""]
    stream = (order_cls(order_id=str(i), amount=i, note=note) for i, note in enumerate(notes))
    with pytest.raises(MessageTooLarge) as info:
        pub.publish_many(stream)
    report = info.value.batch.report(10)
    assert report.delivered == 2
    assert [(f.position, f.event.values["order_id"]) for f in report.failures] == [(2, "2")]
    assert next(stream).values["order_id"] == "3"


@pytest.mark.parametrize(
    ("keys", "message", "outcome"),
    [
        ([b"a", b"b"], "more than 2 events for 2 keys", (2, [2])),
        ([b"a", b"b", b"c", b"d"], "only 3 of 4 events for 4 keys", (3, [])),
    ],
)
def test_a_stream_whose_key_count_differs_is_refused_once_found(
    pub: Publisher,
    order_cls: type[AvroTestEvent],
    keys: list[bytes],
    message: str,
    outcome: tuple[int, list[int]],
) -> None:
    stream = (order_cls(order_id=str(i), amount=i, note="") for i in range(3))
    with pytest.raises(PublisherError, match=message) as info:
        pub.publish_many(stream, keys=keys)
    report = info.value.batch.report(10)
    assert (report.delivered, [f.position for f in report.failures]) == outcome


def test_a_tuple_and_a_set_are_read_whole(pub: Publisher, order_cls: type[AvroTestEvent]) -> None:
    events = tuple(order_cls(order_id=str(i), amount=i, note="") for i in range(3))
    assert pub.publish_many(events).result(10) == BatchReport(3, ())
    with pytest.raises(PublisherError, match="1 keys for 3 events"):
        pub.publish_many(set(events), keys=[b"a"])
