"""The publisher against the real broker and registry: delivery, ordering, partitioning,
idempotence, size guard, backpressure, metrics, registry outage, typed and Confluent reads."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import time
from typing import Any

import pytest
from confluent_kafka import DeserializingConsumer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer
from confluent_kafka.schema_registry.protobuf import ProtobufDeserializer
from prometheus_client import CollectorRegistry

from publisher.aio import AsyncPublisher
from publisher.consumer import TypedConsumer
from publisher.errors import BufferFull, MessageTooLarge, RegistryUnavailableError
from publisher.metrics import PublisherMetrics
from publisher.partitioners import PriorityLanes
from publisher.producer import Publisher
from tests.integration.conftest import Stack
from tests.unit.publisher.events import avro_event, proto_event
from tests.unit.publisher.kafka_io import (
    create_topic,
    forwarded,
    high_watermarks,
    read_back,
    register,
)

pytestmark = pytest.mark.integration


def java_murmur2(data: bytes) -> int:
    """Kafka's Utils.murmur2, ported line by line (an oracle independent of librdkafka)."""
    m, r = 0x5BD1E995, 24
    h = (0x9747B28C ^ len(data)) & 0xFFFFFFFF
    for i in range(len(data) // 4):
        k = int.from_bytes(data[i * 4 : i * 4 + 4], "little")
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> r
        k = (k * m) & 0xFFFFFFFF
        h = ((h * m) & 0xFFFFFFFF) ^ k
    tail = len(data) & ~3
    extra = len(data) % 4
    if extra >= 3:
        h ^= data[tail + 2] << 16
    if extra >= 2:
        h ^= data[tail + 1] << 8
    if extra >= 1:
        h ^= data[tail]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h


def test_oracle_matches_kafka_test_vectors() -> None:
    assert java_murmur2(b"21") == -973932308 & 0xFFFFFFFF
    assert java_murmur2(b"abc") == 479470107


def test_delivery_and_per_key_ordering(stack: Stack) -> None:
    topic = create_topic(stack.bootstrap_servers, "pub-order", partitions=4)
    Order = avro_event(topic)
    register(stack.registry_url, f"{topic}-value", Order)
    keys = [f"customer-{i}" for i in range(5)]
    with Publisher(stack.bootstrap_servers, stack.registry_url) as pub:
        futures = [
            (
                keys[i % 5],
                i,
                pub.publish(Order(order_id=str(i), amount=i, note=""), key=keys[i % 5]),
            )
            for i in range(200)
        ]
        reports = [(key, seq, f.result(30)) for key, seq, f in futures]
    partition_of: dict[str, int] = {}
    for key, _, report in reports:
        assert partition_of.setdefault(key, report.partition) == report.partition
    records = read_back(stack.bootstrap_servers, topic, 200)
    assert len(records) == 200
    by_key: dict[str, list[int]] = {}
    for msg in records:
        event = Order.decode(msg.value()[5:])
        by_key.setdefault(msg.key().decode(), []).append(event.values["amount"])
    for key, seqs in by_key.items():
        assert seqs == sorted(seqs), key
        assert len(seqs) == 40


def test_key_lands_on_the_partition_javas_murmur2_gives(stack: Stack) -> None:
    partitions = 6
    topic = create_topic(stack.bootstrap_servers, "pub-murmur", partitions=partitions)
    Order = avro_event(topic)
    register(stack.registry_url, f"{topic}-value", Order)
    keys = [f"user_{i}".encode() for i in range(120)]
    with Publisher(stack.bootstrap_servers, stack.registry_url) as pub:
        futures = [pub.publish(Order(order_id="o", amount=1, note=""), key=k) for k in keys]
        got = [f.result(30).partition for f in futures]
    expected = [(java_murmur2(k) & 0x7FFFFFFF) % partitions for k in keys]
    assert got == expected
    assert len(set(got)) == partitions


def test_priority_lane_partitioner_uses_live_partition_metadata(stack: Stack) -> None:
    topic = create_topic(stack.bootstrap_servers, "pub-lanes", partitions=4)
    Order = avro_event(topic)
    register(stack.registry_url, f"{topic}-value", Order)
    lanes = PriorityLanes(1, lambda key: key is not None and key.startswith(b"vip:"))
    with Publisher(stack.bootstrap_servers, stack.registry_url, partitioners={topic: lanes}) as pub:
        urgent = [
            pub.publish(Order(order_id="u", amount=1, note=""), key=f"vip:{i}") for i in range(20)
        ]
        normal = [
            pub.publish(Order(order_id="n", amount=1, note=""), key=f"std:{i}") for i in range(20)
        ]
        assert {f.result(30).partition for f in urgent} == {3}
        assert {f.result(30).partition for f in normal} <= {0, 1, 2}


def drop_my_broker_connections(bootstrap: str) -> int:
    """Abort this process's TCP connections to the broker (``ss -K``), as a network fault would.

    Only sockets owned by this pid are touched, so other clients of the shared broker are not.
    """
    port = bootstrap.rsplit(":", 1)[1]
    listing = subprocess.run(
        ["ss", "-tnpH", "dport", f"= :{port}"], capture_output=True, text=True, check=True
    ).stdout
    dropped = 0
    for line in listing.splitlines():
        if f"pid={os.getpid()}," not in line:
            continue
        local, peer = line.split()[3:5]
        subprocess.run(["ss", "-K", "src", local, "dst", peer], capture_output=True, check=False)
        dropped += 1
    return dropped


def test_idempotent_producer_resends_after_connection_loss_without_duplicates(
    stack: Stack,
) -> None:
    topic = create_topic(stack.bootstrap_servers, "pub-idem", partitions=2)
    Order = avro_event(topic)
    register(stack.registry_url, f"{topic}-value", Order)
    stats: list[dict[str, object]] = []
    log_lines: list[str] = []

    class Capture(PublisherMetrics):
        def observe(self, stats_json: str, publisher: object = None) -> None:
            stats.append(json.loads(stats_json))
            super().observe(stats_json, publisher)

    class Lines(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            log_lines.append(record.getMessage())

    librdkafka_log = logging.getLogger(f"librdkafka.{topic}")
    librdkafka_log.addHandler(Lines())
    librdkafka_log.setLevel(logging.DEBUG)
    librdkafka_log.propagate = False

    def resent() -> bool:
        # After a lost connection, librdkafka's idempotent producer drains the partitions and
        # sends their messages again, in order, with the sequence numbers re-established.
        lost = [i for i, line in enumerate(log_lines) if "Receive failed" in line]
        return bool(lost) and any(
            "beginning partition drain" in line for line in log_lines[lost[0] :]
        )

    chunk, chunks = 2000, 12
    drops = 0
    batches = []
    with Publisher(
        stack.bootstrap_servers,
        stack.registry_url,
        metrics=Capture(CollectorRegistry()),
        stats_interval_ms=100,
        config={"retry.backoff.ms": 10, "debug": "eos,msg", "logger": librdkafka_log},
    ) as pub:
        for start in range(0, chunk * chunks, chunk):
            events = [
                Order(order_id=str(i), amount=i, note="x" * 200)
                for i in range(start, start + chunk)
            ]
            batches.append(
                pub.publish_many(events, keys=[str(i % 17) for i in range(start, start + chunk)])
            )
            if not resent():  # cut the connection while this chunk is in flight
                drops += drop_my_broker_connections(stack.bootstrap_servers)
        assert pub.flush(60) == 0
        assert [batch.result(0).delivered for batch in batches] == [chunk] * chunks
        deadline = time.monotonic() + 5
        while not stats and time.monotonic() < deadline:
            time.sleep(0.05)
    count = chunk * chunks
    assert drops > 0
    assert resent(), "librdkafka never had to resend: no request was in flight at a cut"
    eos = stats[-1]["eos"]
    assert isinstance(eos, dict)
    assert eos["idemp_state"] == "Assigned"
    assert int(eos["producer_id"]) >= 0
    assert sum(high_watermarks(stack.bootstrap_servers, topic, 2)) == count
    records = read_back(stack.bootstrap_servers, topic, count)
    amounts = sorted(Order.decode(m.value()[5:]).values["amount"] for m in records)
    assert amounts == list(range(count))


def test_size_guard_uses_the_topics_max_message_bytes_and_sends_nothing(stack: Stack) -> None:
    topic = create_topic(
        stack.bootstrap_servers, "pub-size", partitions=1, config={"max.message.bytes": "2048"}
    )
    Order = avro_event(topic)
    register(stack.registry_url, f"{topic}-value", Order)
    with Publisher(stack.bootstrap_servers, stack.registry_url) as pub:
        with pytest.raises(MessageTooLarge) as info:
            pub.publish(Order(order_id="big", amount=1, note="y" * 4000))
        assert info.value.limit == 2048
        assert info.value.size > 4000
        assert "max.message.bytes" in info.value.setting
        assert topic in str(info.value)
        pub.publish(Order(order_id="small", amount=1, note="ok")).result(30)
    assert high_watermarks(stack.bootstrap_servers, topic, 1) == [1]


def test_full_queue_raises_buffer_full_and_every_future_resolves(stack: Stack) -> None:
    topic = create_topic(stack.bootstrap_servers, "pub-buffer", partitions=1)
    Order = avro_event(topic)
    register(stack.registry_url, f"{topic}-value", Order)
    pub = Publisher(
        stack.bootstrap_servers,
        stack.registry_url,
        # Messages linger 3 s in a 10-message queue, so the queue is full for the whole wait.
        config={"queue.buffering.max.messages": 10, "linger.ms": 3000},
        backpressure_timeout=0.3,
    )
    pub.preload(Order)
    events = [Order(order_id=str(i), amount=i, note="") for i in range(40)]
    with pytest.raises(BufferFull) as info:
        pub.publish_many(events)
    batch = info.value.batch
    pub.close(30)
    report = batch.report(0)
    assert report.delivered == 10
    assert [failed.position for failed in report.failures] == list(range(10, 40))
    assert all(
        type(failed.error) is BufferFull and str(failed.error) == str(info.value)
        for failed in report.failures
    )
    assert high_watermarks(stack.bootstrap_servers, topic, 1) == [10]


def test_prometheus_metrics_are_populated_after_traffic(stack: Stack) -> None:
    topic = create_topic(stack.bootstrap_servers, "pub-metrics", partitions=2)
    Order = avro_event(topic)
    register(stack.registry_url, f"{topic}-value", Order)
    registry = CollectorRegistry()
    with Publisher(
        stack.bootstrap_servers,
        stack.registry_url,
        preset="throughput",
        metrics=PublisherMetrics(registry),
        stats_interval_ms=100,
    ) as pub:
        events = [Order(order_id=str(i), amount=i, note="compressible " * 10) for i in range(500)]
        pub.publish_many(events, keys=[str(i) for i in range(500)])
        assert pub.flush(30) == 0
        client = pub.client_id
        labels = {"client": client}

        def value(name: str, **extra: str) -> float | None:
            return registry.get_sample_value(name, {**labels, **extra})

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and (
            value("herald_messages_delivered_total") != 500
            or not value("herald_topic_batch_size_bytes", topic=topic, stat="avg")
        ):
            time.sleep(0.05)
    assert value("herald_messages_delivered_total") == 500
    assert value("herald_messages_failed_total") in (None, 0.0)
    assert value("herald_queue_messages") is not None
    assert (value("herald_topic_batch_size_bytes", topic=topic, stat="avg") or 0) > 0
    assert (value("herald_topic_batch_messages", topic=topic) or 0) > 0
    assert (value("herald_topic_compression_ratio", topic=topic) or 0) > 1.0
    latency = [
        s.value
        for metric in registry.collect()
        if metric.name == "herald_broker_request_latency_seconds"
        for s in metric.samples
        if s.labels["client"] == client and s.labels["stat"] == "avg"
    ]
    assert latency
    assert max(latency) > 0


def test_publishing_survives_a_registry_outage_after_preload(stack: Stack) -> None:
    topic = create_topic(stack.bootstrap_servers, "pub-outage", partitions=1)
    Order = avro_event(topic)
    Late = avro_event(topic, strategy="topic_record", name="Late")
    register(stack.registry_url, f"{topic}-value", Order)
    with forwarded(stack.registry_url) as (proxied_url, forwarder):
        pub = Publisher(stack.bootstrap_servers, proxied_url)
        pub.preload(Order)
        forwarder.cut()
        with pytest.raises(RegistryUnavailableError, match=r"cannot reach.*preload"):
            pub.publish(Late(order_id="x", amount=1, note=""))
        futures = [pub.publish(Order(order_id=str(i), amount=i, note="")) for i in range(20)]
        assert [f.result(30).offset for f in futures] == list(range(20))
        pub.close()


def test_typed_round_trip_avro_and_protobuf(stack: Stack) -> None:
    topic = create_topic(stack.bootstrap_servers, "pub-typed", partitions=2)
    Order = avro_event(topic, strategy="topic_record")
    Payment = proto_event()
    register(stack.registry_url, f"{topic}-{Order.FULL_NAME}", Order)
    register(stack.registry_url, Payment.FULL_NAME, Payment)
    order = Order(order_id="o-1", amount=990, note="ünïcode")
    payment = Payment(payment_id="p-1", amount_cents=990)
    with Publisher(stack.bootstrap_servers, stack.registry_url) as pub:
        pub.publish(order, key="k1", headers={"source": b"test"}).result(30)
        pub.publish(payment, topic=topic, key="k1").result(30)
    with TypedConsumer(
        stack.bootstrap_servers,
        f"typed-{topic}",
        [Order, Payment],
        registry_url=stack.registry_url,
        topics=[topic],
    ) as consumer:
        messages = consumer.take(2, timeout=30)
    assert [m.event for m in messages] == [order, payment]
    assert messages[0].headers == [("source", b"test")]


def test_confluent_deserializing_consumers_read_what_the_publisher_wrote(stack: Stack) -> None:
    avro_topic = create_topic(stack.bootstrap_servers, "pub-cfl-avro", partitions=1)
    proto_topic = create_topic(stack.bootstrap_servers, "pub-cfl-proto", partitions=1)
    Order = avro_event(avro_topic)
    Payment = proto_event(proto_topic)
    register(stack.registry_url, f"{avro_topic}-value", Order)
    register(stack.registry_url, f"{proto_topic}-value", Payment)
    with Publisher(stack.bootstrap_servers, stack.registry_url) as pub:
        pub.publish(Order(order_id="o", amount=7, note="n")).result(30)
        pub.publish(Payment(payment_id="p", amount_cents=8)).result(30)
    with SchemaRegistryClient({"url": stack.registry_url}) as client:
        _read_with_confluent(stack, client, avro_topic, proto_topic, Payment)


def _read_with_confluent(
    stack: Stack, client: SchemaRegistryClient, avro_topic: str, proto_topic: str, payment_cls: Any
) -> None:
    cases = [
        (avro_topic, AvroDeserializer(client), {"order_id": "o", "amount": 7, "note": "n"}),
        (
            proto_topic,
            ProtobufDeserializer(payment_cls.MESSAGE, {"use.deprecated.format": False}),
            payment_cls.MESSAGE(payment_id="p", amount_cents=8),
        ),
    ]
    for topic, deserializer, expected in cases:
        consumer = DeserializingConsumer(
            {
                "bootstrap.servers": stack.bootstrap_servers,
                "group.id": f"cfl-{topic}",
                "auto.offset.reset": "earliest",
                "value.deserializer": deserializer,
            }
        )
        consumer.subscribe([topic])
        try:
            deadline = time.monotonic() + 30
            msg = None
            while msg is None and time.monotonic() < deadline:
                msg = consumer.poll(0.5)
        finally:
            consumer.close()
        assert msg is not None
        assert msg.value() == expected


def test_async_publisher_resolves_on_delivery(stack: Stack) -> None:
    topic = create_topic(stack.bootstrap_servers, "pub-async", partitions=1)
    Order = avro_event(topic)
    register(stack.registry_url, f"{topic}-value", Order)

    async def main() -> list[int]:
        async with AsyncPublisher(stack.bootstrap_servers, stack.registry_url) as pub:
            first = await pub.publish(Order(order_id="a", amount=1, note=""), headers={"h": b"1"})
            rest = await pub.publish_many([Order(order_id="b", amount=2, note="")] * 3)
            return [first.offset, rest.delivered]

    assert asyncio.run(main()) == [0, 3]
    assert high_watermarks(stack.bootstrap_servers, topic, 1) == [4]


def test_from_env_builds_a_working_publisher(stack: Stack) -> None:
    topic = create_topic(stack.bootstrap_servers, "pub-env", partitions=1)
    Order = avro_event(topic)
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": stack.bootstrap_servers,
        "SCHEMA_REGISTRY_URL": stack.registry_url,
        "HERALD_PRESET": "low_latency",
        "HERALD_AUTO_REGISTER": "true",
        "HERALD_KAFKA_CLIENT_ID": "env-test",
    }
    with Publisher.from_env(env) as pub:
        assert pub.config["linger.ms"] == 0
        assert pub.config["client.id"] == "env-test"
        assert pub.publish(Order(order_id="e", amount=1, note="")).result(30).offset == 0
