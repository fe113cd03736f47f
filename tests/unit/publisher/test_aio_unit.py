"""AsyncPublisher: await publish resolves on delivery, and never blocks the loop on a full queue."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

from publisher.aio import AsyncPublisher
from publisher.errors import BufferFull
from tests.unit.publisher.events import avro_event


def test_await_publish_returns_the_delivery_report() -> None:
    Order = avro_event(f"orders-{uuid.uuid4().hex[:6]}")
    client = SchemaRegistryClient.new_client({"url": f"mock://{uuid.uuid4().hex}"})
    client.register_schema(Order.BINDINGS[0].subject, Schema(Order.SCHEMA, "AVRO"))

    async def main() -> tuple[int, int]:
        async with AsyncPublisher(
            registry_client=client, config={"test.mock.num.brokers": 1}, check_topic_limits=False
        ) as pub:
            report = await pub.publish(
                Order(order_id="1", amount=1, note=""), key="k", headers={"h": b"v"}
            )
            batch = await pub.publish_many([Order(order_id="2", amount=2, note="")] * 3)
            return report.offset, batch.delivered

    offset, count = asyncio.run(main())
    assert offset >= 0
    assert count == 3


def test_full_queue_raises_buffer_full_while_the_loop_keeps_running() -> None:
    Order = avro_event(f"orders-{uuid.uuid4().hex[:6]}")
    client = SchemaRegistryClient.new_client({"url": f"mock://{uuid.uuid4().hex}"})
    client.register_schema(Order.BINDINGS[0].subject, Schema(Order.SCHEMA, "AVRO"))

    async def main() -> int:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                ticks += 1
                await asyncio.sleep(0.01)

        task = asyncio.create_task(ticker())
        pub = AsyncPublisher(
            "127.0.0.1:1",
            registry_client=client,
            config={"queue.buffering.max.messages": 1, "message.timeout.ms": 1000},
            backpressure_timeout=0.3,
            check_topic_limits=False,
        )
        first = asyncio.ensure_future(pub.publish(Order(order_id="1", amount=1, note="")))
        await asyncio.sleep(0.05)
        with pytest.raises(BufferFull):
            await pub.publish(Order(order_id="2", amount=2, note=""))
        await pub.close(3)
        with pytest.raises(Exception, match="Local"):
            await first
        task.cancel()
        return ticks

    assert asyncio.run(main()) >= 10
