"""Spans across a real broker and registry: the producer span's context reaches the consumer."""

from __future__ import annotations

import uuid

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from publisher.consumer import TypedConsumer
from publisher.producer import Publisher
from tests.integration.conftest import Stack
from tests.unit.publisher.events import avro_event
from tests.unit.publisher.kafka_io import create_topic, register

pytestmark = pytest.mark.integration


def test_publish_and_consume_spans_form_one_trace(stack: Stack) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    topic = create_topic(stack.bootstrap_servers, "traced", partitions=2)
    cls = avro_event(topic)
    schema_id = register(stack.registry_url, cls.BINDINGS[0].subject, cls)
    with Publisher(stack.bootstrap_servers, stack.registry_url, tracing=provider) as pub:
        report = pub.publish(cls(order_id="o-1", amount=3, note=""), key="k-1").result(30)
    with TypedConsumer(
        stack.bootstrap_servers,
        f"traced-{uuid.uuid4().hex[:8]}",
        [cls],
        registry_url=stack.registry_url,
        topics=[topic],
        tracing=provider,
    ) as consumer:
        [message] = consumer.take(1, timeout=30)
    producer, received = exporter.get_finished_spans()
    attributes = dict(producer.attributes or {})
    assert attributes["herald.schema.id"] == schema_id
    assert attributes["messaging.kafka.offset"] == report.offset == message.offset
    assert received.parent is not None
    assert received.parent.span_id == producer.get_span_context().span_id
    assert received.context.trace_id == producer.context.trace_id
    assert producer.end_time is not None
    assert received.start_time is not None
    assert producer.end_time <= received.start_time
