"""asyncio publishing: ``await pub.publish(event)`` returns once Kafka acknowledged the event.

Built on :class:`~publisher.producer.Publisher` (its poll thread resolves delivery futures) with
each ``concurrent.futures`` future bridged to the running loop by ``asyncio.wrap_future``.
``confluent_kafka.aio.AIOProducer`` was considered and not used: in confluent-kafka 2.16 its
``produce`` rejects headers, and it buffers messages in Python dicts before handing them to
librdkafka, which the size guard, partitioners and cached wire headers here would have to
duplicate. A full local queue never blocks the loop: the publish is retried after
``asyncio.sleep`` until ``backpressure_timeout`` runs out, then BufferFull is raised.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping
from typing import Any

from publisher.errors import BufferFull
from publisher.event import Event
from publisher.futures import BatchReport, DeliveryReport
from publisher.producer import Headers, Publisher


class AsyncPublisher:
    """Async facade over a Publisher; build it like Publisher, or wrap one with ``wrap()``."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.backpressure_timeout = float(kwargs.pop("backpressure_timeout", 5.0))
        self.publisher = Publisher(*args, **kwargs)

    @classmethod
    def wrap(cls, publisher: Publisher, *, backpressure_timeout: float = 5.0) -> AsyncPublisher:
        """Use an existing Publisher; its blocking backpressure wait is replaced by async sleeps."""
        self = cls.__new__(cls)
        self.publisher = publisher
        self.backpressure_timeout = backpressure_timeout
        return self

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **kwargs: Any) -> AsyncPublisher:
        """Build from the same environment variables as ``Publisher.from_env``."""
        publisher = Publisher.from_env(env, **kwargs)
        return cls.wrap(publisher, backpressure_timeout=publisher.backpressure_timeout)

    async def publish(
        self,
        event: Event,
        *,
        key: Any = None,
        headers: Headers | None = None,
        topic: str | None = None,
        partition: int | None = None,
        timestamp: int | None = None,
    ) -> DeliveryReport:
        """Publish one event and wait for its delivery report without blocking the loop."""
        deadline = time.monotonic() + self.backpressure_timeout
        delay = 0.005
        while True:
            try:
                future = self.publisher.publish(
                    event,
                    key=key,
                    headers=headers,
                    topic=topic,
                    partition=partition,
                    timestamp=timestamp,
                    wait=0.0,
                )
                break
            except BufferFull:
                if time.monotonic() >= deadline:
                    raise
                await asyncio.sleep(delay)
                delay = min(delay * 2, 0.1)
        return await asyncio.wrap_future(future)

    async def publish_many(
        self,
        events: Iterable[Event],
        *,
        keys: Iterable[Any] | None = None,
        topic: str | None = None,
    ) -> BatchReport:
        """Publish many events and wait until each has a verdict.

        Raises ``BatchDeliveryError`` (with ``.report``) when any event was not delivered.
        """
        batch = self.publisher.publish_many(events, keys=keys, topic=topic)
        return await asyncio.wrap_future(batch)

    async def flush(self, timeout: float = 30.0) -> int:
        """Flush in a worker thread so the loop keeps running."""
        return await asyncio.to_thread(self.publisher.flush, timeout)

    async def close(self, timeout: float = 30.0) -> None:
        """Flush and close in a worker thread."""
        await asyncio.to_thread(self.publisher.close, timeout)

    async def __aenter__(self) -> AsyncPublisher:
        """Use with ``async with``."""
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        """Close on exit."""
        await self.close()
