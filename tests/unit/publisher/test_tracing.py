"""OpenTelemetry spans on librdkafka's mock cluster, read through the SDK's in-memory exporter."""

from __future__ import annotations

import sys
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from confluent_kafka import OFFSET_BEGINNING, TopicPartition
from confluent_kafka.schema_registry import Schema
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF
from opentelemetry.trace import SpanKind, StatusCode

from publisher.consumer import TypedConsumer
from publisher.errors import MessageTooLarge, PublisherConfigError, PublisherError
from publisher.producer import Publisher
from publisher.testing import MockKafka
from tests.unit.publisher.events import AvroTestEvent, avro_event
from tests.unit.publisher.test_producer_unit import registry


@pytest.fixture
def cluster() -> Iterator[MockKafka]:
    with MockKafka() as kafka:
        kafka.create_topic("traced", partitions=3)
        yield kafka


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def provider(exporter: InMemorySpanExporter) -> TracerProvider:
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    return tracer_provider


@pytest.fixture
def order_cls() -> type[AvroTestEvent]:
    return avro_event("traced")


def _publisher(cluster: MockKafka, cls: type[AvroTestEvent], tracing: Any) -> Publisher:
    client = registry()
    client.register_schema(cls.BINDINGS[0].subject, Schema(cls.SCHEMA, "AVRO"))
    return Publisher(
        cluster.bootstrap_servers,
        registry_client=client,
        check_topic_limits=False,
        config={"message.max.bytes": 2000},
        tracing=tracing,
    )


def _read(cluster: MockKafka, pub: Publisher, cls: type[AvroTestEvent], provider: Any) -> Any:
    with TypedConsumer(
        cluster.bootstrap_servers,
        f"g-{uuid.uuid4().hex[:6]}",
        [cls],
        resolver=pub.resolver,
        tracing=provider,
    ) as consumer:
        consumer.consumer.assign([TopicPartition("traced", p, OFFSET_BEGINNING) for p in range(3)])
        [message] = consumer.take(1, timeout=20)
    return message


def test_a_producer_span_ends_on_acknowledgement_with_the_conventions_attributes(
    cluster: MockKafka,
    order_cls: type[AvroTestEvent],
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
) -> None:
    with _publisher(cluster, order_cls, provider) as pub:
        future = pub.publish(order_cls(order_id="1", amount=2, note="n"), key="k")
        report = future.result(10)
        schema_id = pub.resolver.cached(order_cls, "traced-value")
    [span] = exporter.get_finished_spans()
    assert span.name == "send traced"
    assert span.kind is SpanKind.PRODUCER
    assert span.status.status_code is StatusCode.UNSET
    assert dict(span.attributes or {}) == {
        "messaging.system": "kafka",
        "messaging.destination.name": "traced",
        "messaging.operation.type": "send",
        "messaging.operation.name": "send",
        "messaging.destination.partition.id": str(report.partition),
        "messaging.kafka.offset": report.offset,
        "herald.schema.subject": "traced-value",
        "herald.schema.id": schema_id,
    }


def test_trace_context_rides_in_the_headers_and_the_consumer_span_continues_it(
    cluster: MockKafka,
    order_cls: type[AvroTestEvent],
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
) -> None:
    with _publisher(cluster, order_cls, provider) as pub:
        pub.publish(order_cls(order_id="1", amount=2, note="n"), headers={"app": "x"}).result(10)
        message = _read(cluster, pub, order_cls, provider)
    producer, consumer = exporter.get_finished_spans()
    context = producer.get_span_context()
    flags = int(context.trace_flags)
    traceparent = f"00-{context.trace_id:032x}-{context.span_id:016x}-{flags:02x}"
    assert message.headers == [("app", b"x"), ("traceparent", traceparent.encode())]
    assert consumer.name == "receive traced"
    assert consumer.kind is SpanKind.CONSUMER
    assert consumer.parent is not None
    assert (consumer.parent.trace_id, consumer.parent.span_id) == (
        context.trace_id,
        context.span_id,
    )
    attributes = dict(consumer.attributes or {})
    assert attributes["messaging.operation.type"] == "receive"
    assert attributes["messaging.kafka.offset"] == message.offset
    assert attributes["messaging.destination.partition.id"] == str(message.partition)


def test_a_span_that_is_not_recording_adds_no_headers(
    cluster: MockKafka, order_cls: type[AvroTestEvent], exporter: InMemorySpanExporter
) -> None:
    unsampled = TracerProvider(sampler=ALWAYS_OFF)
    unsampled.add_span_processor(SimpleSpanProcessor(exporter))
    with _publisher(cluster, order_cls, unsampled) as pub:
        pub.publish(order_cls(order_id="1", amount=2, note="n"), headers=[("app", b"x")]).result(10)
        message = _read(cluster, pub, order_cls, False)
    assert message.headers == [("app", b"x")]
    assert exporter.get_finished_spans() == ()


def test_failures_end_the_span_with_an_error_status(
    cluster: MockKafka,
    order_cls: type[AvroTestEvent],
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
) -> None:
    with _publisher(cluster, order_cls, provider) as pub:
        # Delivered first, so the topic's partitions are known before partition 42 is asked for.
        pub.publish(order_cls(order_id="0", amount=1, note="")).result(30)
        with pytest.raises(MessageTooLarge):
            pub.publish(order_cls(order_id="1", amount=1, note="y" * 5000))
        with pytest.raises(PublisherError, match="Unknown partition"):
            pub.publish(order_cls(order_id="2", amount=1, note=""), partition=42)
    delivered, too_large, unknown_partition = exporter.get_finished_spans()
    assert delivered.status.status_code is StatusCode.UNSET
    assert too_large.status.status_code is StatusCode.ERROR
    assert (too_large.attributes or {})["error.type"] == "MessageTooLarge"
    assert unknown_partition.status.status_code is StatusCode.ERROR
    assert (unknown_partition.attributes or {})["error.type"] == "_UNKNOWN_PARTITION"
    assert [e.name for e in unknown_partition.events] == ["exception"]


def test_publish_many_gets_one_span_for_the_batch(
    cluster: MockKafka,
    order_cls: type[AvroTestEvent],
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
) -> None:
    events = [order_cls(order_id=str(i), amount=i, note="") for i in range(20)]
    with _publisher(cluster, order_cls, provider) as pub:
        assert pub.publish_many(events).result(10).delivered == 20
    [span] = exporter.get_finished_spans()
    assert span.name == "send traced"
    assert (span.attributes or {})["messaging.batch.message_count"] == 20
    assert span.status.status_code is StatusCode.UNSET


def test_a_streamed_batch_is_counted_when_it_settles(
    cluster: MockKafka,
    order_cls: type[AvroTestEvent],
    provider: TracerProvider,
    exporter: InMemorySpanExporter,
) -> None:
    events = (order_cls(order_id=str(i), amount=i, note="") for i in range(20))
    with _publisher(cluster, order_cls, provider) as pub:
        assert pub.publish_many(events).result(10).delivered == 20
        assert next(events, None) is None
    [span] = exporter.get_finished_spans()
    assert span.name == "send traced"
    assert (span.attributes or {})["messaging.batch.message_count"] == 20


def test_without_a_provider_or_with_tracing_off_publish_is_the_plain_method(
    cluster: MockKafka, order_cls: type[AvroTestEvent]
) -> None:
    for setting in (None, False):
        with _publisher(cluster, order_cls, setting) as pub:
            assert pub.publish.__func__ is Publisher.publish  # type: ignore[attr-defined]
            assert pub.publish_many.__func__ is Publisher.publish_many  # type: ignore[attr-defined]


def test_with_opentelemetry_absent_tracing_is_off_unless_asked_for(
    cluster: MockKafka, order_cls: type[AvroTestEvent], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry", None)  # import opentelemetry fails
    with _publisher(cluster, order_cls, None) as pub:
        assert pub.publish.__func__ is Publisher.publish  # type: ignore[attr-defined]
    with pytest.raises(PublisherConfigError, match=r"herald-kafka\[otel\]"):
        _publisher(cluster, order_cls, True)
