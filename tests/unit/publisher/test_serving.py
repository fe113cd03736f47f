"""Who serves delivery reports: the publishing thread while it publishes, the poll thread after."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

from publisher.producer import SERVE_EVERY, SERVE_WINDOW, Publisher
from tests.unit.publisher.events import AvroTestEvent, avro_event

MOCK = {"test.mock.num.brokers": 1}


@pytest.fixture
def order_cls() -> type[AvroTestEvent]:
    return avro_event(f"orders-{uuid.uuid4().hex[:6]}")


@pytest.fixture
def pub(order_cls: type[AvroTestEvent]) -> Iterator[Publisher]:
    client = SchemaRegistryClient.new_client({"url": f"mock://{uuid.uuid4().hex}"})
    client.register_schema(order_cls.BINDINGS[0].subject, Schema(order_cls.SCHEMA, "AVRO"))
    publisher = Publisher(registry_client=client, config=MOCK, check_topic_limits=False)
    yield publisher
    publisher.close(5)


def test_a_publishing_thread_serves_reports_without_the_poll_thread(
    pub: Publisher, order_cls: type[AvroTestEvent]
) -> None:
    pub._stop.set()
    pub._poller.join(5)
    assert not pub._poller.is_alive()
    event = order_cls(order_id="1", amount=1, note="")
    first = pub.publish(event)
    for _ in range(200):
        for _ in range(SERVE_EVERY):
            pub.publish(event)
        if first.done():
            break
        time.sleep(0.01)
    assert first.result(0).offset >= 0


def test_publish_many_serves_reports_while_it_queues(
    pub: Publisher, order_cls: type[AvroTestEvent]
) -> None:
    pub._stop.set()
    pub._poller.join(5)
    event = order_cls(order_id="1", amount=1, note="")
    batch = pub.publish_many([event] * 10)
    for _ in range(200):
        pub.publish_many([event] * SERVE_EVERY)
        if batch.done():
            break
        time.sleep(0.01)
    assert batch.result(0).delivered == 10


def test_the_poll_thread_takes_over_after_a_burst(
    pub: Publisher, order_cls: type[AvroTestEvent]
) -> None:
    event = order_cls(order_id="1", amount=1, note="")
    batch = pub.publish_many([event] * (SERVE_EVERY + 3))
    assert batch.result(10 + SERVE_WINDOW).delivered == SERVE_EVERY + 3
    assert pub.tally.delivered == SERVE_EVERY + 3
