"""Read back what a test published: every record of a topic, decoded into its event class.

:class:`PublishedReader` flushes the publisher it watches, notes each partition's end offset,
and reads every partition from its first offset up to that end, so a read returns exactly
what was acknowledged before it, without waiting for a timeout to say "nothing more".
Values go through :class:`~publisher.consumer.TypedDeserializer`: the wire header's schema id
picks the generated class, as in a service's own consumer.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

from confluent_kafka import Consumer, KafkaError, TopicPartition

from publisher.consumer import TypedDeserializer, TypedMessage, _header_pairs
from publisher.errors import PublisherError
from publisher.event import Event
from publisher.registry import SchemaResolver


class PublishedReader:
    """Typed read-back of topics for assertions in tests; see the module docstring."""

    def __init__(
        self,
        bootstrap_servers: str,
        classes: Iterable[type[Event]],
        resolver: SchemaResolver,
        *,
        flush: Callable[[], Any] | None = None,
        timeout: float = 10.0,
    ) -> None:
        self._bootstrap = bootstrap_servers
        self.deserializer = TypedDeserializer(classes, resolver)
        self._flush = flush
        self.timeout = timeout

    def read(self, topic: str) -> list[TypedMessage]:
        """Every record of ``topic`` acknowledged so far, by partition then offset."""
        if self._flush is not None:
            self._flush()
        consumer = Consumer(
            {
                "bootstrap.servers": self._bootstrap,
                "group.id": f"herald-reader-{uuid.uuid4().hex}",
                "enable.auto.commit": False,
                "enable.partition.eof": True,
            }
        )
        try:
            return self._read(consumer, topic)
        finally:
            consumer.close()

    def _read(self, consumer: Any, topic: str) -> list[TypedMessage]:
        info = consumer.list_topics(topic, timeout=self.timeout).topics.get(topic)
        if info is None or info.error is not None:
            return []
        pending: dict[int, int] = {}
        starts = []
        for partition in sorted(info.partitions):
            low, high = consumer.get_watermark_offsets(
                TopicPartition(topic, partition), timeout=self.timeout
            )
            if high > low:
                pending[partition] = high
                starts.append(TopicPartition(topic, partition, low))
        if not starts:
            return []
        consumer.assign(starts)
        found: list[TypedMessage] = []
        while pending:
            msg = consumer.poll(self.timeout)
            if msg is None:
                raise PublisherError(
                    f"reading {topic!r} back stalled with partitions {sorted(pending)} unread "
                    f"after {self.timeout:g}s; is the cluster still up?"
                )
            err = msg.error()
            if err is not None:
                if err.code() == KafkaError._PARTITION_EOF:
                    continue
                raise PublisherError(f"reading {topic!r} back failed: {err}")
            found.append(
                TypedMessage(
                    event=self.deserializer(msg.value()),
                    topic=topic,
                    partition=msg.partition(),
                    offset=msg.offset(),
                    key=msg.key(),
                    headers=_header_pairs(msg.headers()),
                    timestamp=msg.timestamp()[1],
                )
            )
            if msg.offset() + 1 >= pending.get(msg.partition(), 0):
                pending.pop(msg.partition(), None)
        found.sort(key=lambda m: (m.partition, m.offset))
        return found

    def events(self, topic: str) -> list[Event | None]:
        """Only the decoded events of :meth:`read`, in the same order."""
        return [m.event for m in self.read(topic)]
