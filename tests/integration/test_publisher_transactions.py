"""Transactions on the real broker: commit/abort visibility, fencing, consume-transform-produce."""

from __future__ import annotations

import uuid

import pytest
from confluent_kafka import Consumer, TopicPartition
from prometheus_client import CollectorRegistry

from publisher.consumer import TypedConsumer
from publisher.errors import ProducerFenced
from publisher.metrics import PublisherMetrics
from publisher.producer import Publisher
from tests.integration.conftest import Stack
from tests.unit.publisher.events import AvroTestEvent, avro_event
from tests.unit.publisher.kafka_io import create_topic, high_watermarks, read_back, register

pytestmark = pytest.mark.integration


class BoomError(Exception):
    """Raised inside a transaction block to make it abort."""


def publish_then_fail(pub: Publisher, order_cls: type[AvroTestEvent]) -> None:
    """Publish three events in a transaction, flush them to the log, then raise."""
    with pub.transaction():
        for i in range(3):
            pub.publish(order_cls(order_id=f"aborted-{i}", amount=i, note=""))
        pub.flush(10)  # the aborted records really reach the log
        raise BoomError


def test_committed_is_visible_to_read_committed_and_aborted_is_not(stack: Stack) -> None:
    topic = create_topic(stack.bootstrap_servers, "tx-vis", partitions=1)
    Order = avro_event(topic)
    register(stack.registry_url, f"{topic}-value", Order)
    registry = CollectorRegistry()
    with Publisher(
        stack.bootstrap_servers,
        stack.registry_url,
        transactional_id=f"tx-{uuid.uuid4().hex}",
        metrics=PublisherMetrics(registry),
    ) as pub:
        with pub.transaction():
            for i in range(3):
                pub.publish(Order(order_id=f"committed-{i}", amount=i, note=""))
        with pytest.raises(BoomError):
            publish_then_fail(pub, Order)
        with pub.transaction():  # an abort leaves the publisher usable
            pub.publish(Order(order_id="after-abort", amount=9, note=""))
        labels = {"client": pub.client_id}
    assert registry.get_sample_value("herald_transactions_committed_total", labels) == 2
    assert registry.get_sample_value("herald_transactions_aborted_total", labels) == 1
    committed = read_back(stack.bootstrap_servers, topic, 4, timeout=20, settle=1.0)
    ids = [Order.decode(m.value()[5:]).values["order_id"] for m in committed]
    assert ids == ["committed-0", "committed-1", "committed-2", "after-abort"]
    uncommitted = read_back(
        stack.bootstrap_servers, topic, 7, timeout=20, isolation="read_uncommitted"
    )
    assert len(uncommitted) == 7  # the aborted records exist, hidden from read_committed


def publish_in_transaction(pub: Publisher, event: AvroTestEvent) -> None:
    """Publish one event in its own transaction."""
    with pub.transaction():
        pub.publish(event)


def test_zombie_transactional_producer_is_fenced(stack: Stack) -> None:
    topic = create_topic(stack.bootstrap_servers, "tx-fence", partitions=1)
    Order = avro_event(topic)
    register(stack.registry_url, f"{topic}-value", Order)
    txid = f"tx-fence-{uuid.uuid4().hex}"
    zombie = Publisher(stack.bootstrap_servers, stack.registry_url, transactional_id=txid)
    with zombie.transaction():
        zombie.publish(Order(order_id="zombie-ok", amount=1, note=""))
    successor = Publisher(stack.bootstrap_servers, stack.registry_url, transactional_id=txid)
    with pytest.raises(ProducerFenced, match="another instance now owns"):
        publish_in_transaction(zombie, Order(order_id="zombie-late", amount=2, note=""))
    with pytest.raises(ProducerFenced):
        zombie.publish(Order(order_id="zombie-later", amount=3, note=""))
    zombie.close(5)
    with successor.transaction():
        successor.publish(Order(order_id="successor", amount=4, note=""))
    successor.close()
    records = read_back(stack.bootstrap_servers, topic, 2, timeout=20, settle=1.0)
    ids = [Order.decode(m.value()[5:]).values["order_id"] for m in records]
    assert ids == ["zombie-ok", "successor"]


def test_consume_transform_produce_commits_offsets_with_the_output(stack: Stack) -> None:
    source = create_topic(stack.bootstrap_servers, "tx-in", partitions=1)
    sink = create_topic(stack.bootstrap_servers, "tx-out", partitions=1)
    Order = avro_event(source)
    Doubled = avro_event(sink, name="Doubled")
    register(stack.registry_url, f"{source}-value", Order)
    register(stack.registry_url, f"{sink}-value", Doubled)
    with Publisher(stack.bootstrap_servers, stack.registry_url) as plain:
        for i in range(5):
            plain.publish(Order(order_id=str(i), amount=i, note=""))
    group = f"ctp-{uuid.uuid4().hex}"
    with (
        TypedConsumer(
            stack.bootstrap_servers,
            group,
            [Order],
            registry_url=stack.registry_url,
            topics=[source],
        ) as consumer,
        Publisher(
            stack.bootstrap_servers,
            stack.registry_url,
            transactional_id=f"ctp-{uuid.uuid4().hex}",
        ) as pub,
    ):
        inputs = consumer.take(5, timeout=30)
        assert len(inputs) == 5
        with pub.transaction():
            for message in inputs:
                order = message.event
                assert isinstance(order, Order)
                pub.publish(
                    Doubled(
                        order_id=order.values["order_id"],
                        amount=order.values["amount"] * 2,
                        note="",
                    )
                )
            pub.send_offsets(consumer)
    out = read_back(stack.bootstrap_servers, sink, 5, timeout=20)
    assert sorted(Doubled.decode(m.value()[5:]).values["amount"] for m in out) == [0, 2, 4, 6, 8]
    check = Consumer({"bootstrap.servers": stack.bootstrap_servers, "group.id": group})
    try:
        committed = check.committed([TopicPartition(source, 0)], timeout=10)
    finally:
        check.close()
    assert committed[0].offset == 5
    assert high_watermarks(stack.bootstrap_servers, source, 1) == [5]
