"""Choosing partitions: Java-compatible murmur2 by default, custom callables when asked.

Default: no partitioner is applied in Python at all. The presets set librdkafka's
``partitioner=murmur2_random``, which places keyed messages exactly where the Java client's
default partitioner does (``murmur2(key) & 0x7fffffff % partitions``) and spreads unkeyed ones.

Custom: a partitioner is any callable ``(key, all_partitions, available_partitions) -> int``,
called before produce with the key *bytes* and partition ids from :class:`PartitionCache`
(metadata cached per topic and refreshed in the background, so a topic growing partitions is
seen without a metadata request on the publish path). :func:`java_murmur2` wraps
``confluent_kafka.murmur2`` for use inside custom partitioners; :class:`PriorityLanes` is the
documented example.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from confluent_kafka import murmur2

from publisher.errors import PublisherError

Partitioner = Callable[[bytes | None, Sequence[int], Sequence[int]], int]


def java_murmur2(key: bytes, partition_count: int) -> int:
    """Partition the Java client's default partitioner gives ``key`` among ``partition_count``."""
    return int(murmur2(key, partition_count))


def murmur2_partitioner(
    key: bytes | None, all_partitions: Sequence[int], available_partitions: Sequence[int]
) -> int:
    """Java-compatible: hash keyed messages over all partitions, spread unkeyed ones."""
    if key is None:
        pool = available_partitions or all_partitions
        return pool[random.randrange(len(pool))]
    return all_partitions[java_murmur2(key, len(all_partitions))]


class PriorityLanes:
    """Reserve the last ``lanes`` partitions for urgent keys so a backlog never delays them.

    Consumers of the priority partitions can be scaled separately (or assigned manually),
    giving urgent events their own lane through the same topic. Within each lane keys still
    hash with Java's murmur2, so per-key ordering holds as long as a key stays in one lane.

    >>> lanes = PriorityLanes(1, lambda key: key is not None and key.startswith(b"vip:"))
    >>> lanes(b"vip:42", [0, 1, 2, 3], [0, 1, 2, 3])
    3
    """

    def __init__(self, lanes: int, is_urgent: Callable[[bytes | None], bool]) -> None:
        if lanes < 1:
            raise PublisherError(f"PriorityLanes needs at least 1 priority partition, got {lanes}")
        self.lanes = lanes
        self.is_urgent = is_urgent

    def __call__(
        self,
        key: bytes | None,
        all_partitions: Sequence[int],
        available_partitions: Sequence[int],
    ) -> int:
        """Pick the lane from the key, then the partition within the lane by murmur2."""
        if len(all_partitions) <= self.lanes:
            raise PublisherError(
                f"PriorityLanes({self.lanes}) needs more than {self.lanes} partitions, the topic "
                f"has {len(all_partitions)}; add partitions or use fewer lanes"
            )
        split = len(all_partitions) - self.lanes
        lane = all_partitions[split:] if self.is_urgent(key) else all_partitions[:split]
        return murmur2_partitioner(key, lane, [p for p in available_partitions if p in lane])


class PartitionCache:
    """Partition ids per topic from cluster metadata, cached and refreshed when it may change."""

    def __init__(
        self,
        client: Any,
        *,
        refresh_after: float = 30.0,
        timeout: float = 5.0,
        declared: Mapping[str, int] | None = None,
    ) -> None:
        self._client = client
        #: Partition counts declared in ``[[topics]]``: a topic with fewer is refused.
        self._declared = dict(declared or {})
        self._refresh_after = refresh_after
        self._timeout = timeout
        self._lock = threading.Lock()
        self._topics: dict[str, tuple[float, tuple[int, ...], tuple[int, ...]]] = {}

    def partitions(self, topic: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """(all partitions, partitions with a leader); fetched on first use, then cached."""
        cached = self._topics.get(topic)
        if cached is not None:
            return cached[1], cached[2]
        return self.refresh(topic)

    def refresh(self, topic: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Fetch the topic's metadata now and replace the cached entry."""
        metadata = self._client.list_topics(topic, timeout=self._timeout)
        info = metadata.topics.get(topic)
        if info is None or info.error is not None or not info.partitions:
            reason = info.error if info is not None else "no metadata"
            raise PublisherError(
                f"cannot partition for topic {topic!r}: {reason}; create the topic (or enable "
                "auto.create.topics.enable on the broker) before publishing to it"
            )
        all_ids = tuple(sorted(info.partitions))
        wanted = self._declared.get(topic, 0)
        if len(all_ids) < wanted:
            raise PublisherError(
                f"topic {topic!r} has {len(all_ids)} partition(s) on the cluster, but its "
                f"[[topics]] declaration says {wanted}; run `herald topics apply` before "
                "publishing, so keys land where the declared partitioning puts them"
            )
        available = tuple(p for p in all_ids if info.partitions[p].leader >= 0)
        with self._lock:
            self._topics[topic] = (time.monotonic(), all_ids, available)
        return all_ids, available

    def refresh_stale(self) -> None:
        """Refresh entries older than ``refresh_after``; called from the publisher's poll thread."""
        now = time.monotonic()
        for topic, (fetched, _, _) in list(self._topics.items()):
            if now - fetched >= self._refresh_after:
                try:
                    self.refresh(topic)
                except Exception:
                    with self._lock:
                        old = self._topics.get(topic)
                        if old is not None:
                            self._topics[topic] = (now, old[1], old[2])
