"""Java-compatible murmur2, the priority-lane example and the partition metadata cache."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from publisher.errors import PublisherError
from publisher.partitioners import (
    PartitionCache,
    PriorityLanes,
    java_murmur2,
    murmur2_partitioner,
)

# Kafka's UtilsTest.testMurmur2: key → Utils.murmur2(key) (signed 32-bit).
JAVA_MURMUR2 = {
    b"21": -973932308,
    b"foobar": -790332482,
    b"a-little-bit-long-string": -985981536,
    b"a-little-bit-longer-string": -1486304829,
    b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
    b"abc": 479470107,
}


@pytest.mark.parametrize("key", list(JAVA_MURMUR2))
@pytest.mark.parametrize("partitions", [1, 3, 6, 12, 100, 1000])
def test_partition_matches_javas_default_partitioner(key: bytes, partitions: int) -> None:
    # Java: Utils.toPositive(Utils.murmur2(key)) % numPartitions
    expected = (JAVA_MURMUR2[key] & 0x7FFFFFFF) % partitions
    assert java_murmur2(key, partitions) == expected
    assert murmur2_partitioner(key, list(range(partitions)), []) == expected


def test_unkeyed_messages_go_to_available_partitions() -> None:
    for _ in range(50):
        assert murmur2_partitioner(None, [0, 1, 2, 3], [2]) == 2


def test_priority_lanes_separate_urgent_keys() -> None:
    lanes = PriorityLanes(2, lambda key: key is not None and key.startswith(b"vip:"))
    parts = list(range(8))
    for i in range(200):
        assert lanes(f"vip:{i}".encode(), parts, parts) in {6, 7}
        assert lanes(f"std:{i}".encode(), parts, parts) in set(range(6))
    assert lanes(b"vip:1", parts, parts) == lanes(b"vip:1", parts, parts)


def test_priority_lanes_need_more_partitions_than_lanes() -> None:
    with pytest.raises(PublisherError, match="more than 2 partitions"):
        PriorityLanes(2, lambda key: True)(b"k", [0, 1], [0, 1])


@dataclass
class FakePartition:
    leader: int


@dataclass
class FakeTopic:
    partitions: dict[int, FakePartition]
    error: Any = None


@dataclass
class FakeMetadata:
    topics: dict[str, FakeTopic]


@dataclass
class FakeClient:
    partitions: int
    calls: list[str] = field(default_factory=list)

    def list_topics(self, topic: str, timeout: float) -> FakeMetadata:
        self.calls.append(topic)
        parts = {i: FakePartition(leader=-1 if i == 0 else 1) for i in range(self.partitions)}
        return FakeMetadata({topic: FakeTopic(parts)})


def test_cache_fetches_once_and_refreshes_stale_entries() -> None:
    client = FakeClient(3)
    cache = PartitionCache(client, refresh_after=0.0)
    assert cache.partitions("t") == ((0, 1, 2), (1, 2))
    assert cache.partitions("t") == ((0, 1, 2), (1, 2))
    assert client.calls == ["t"]
    client.partitions = 5
    cache.refresh_stale()
    assert cache.partitions("t") == ((0, 1, 2, 3, 4), (1, 2, 3, 4))


def test_cache_names_a_missing_topic() -> None:
    class Missing:
        def list_topics(self, topic: str, timeout: float) -> FakeMetadata:
            return FakeMetadata({})

    with pytest.raises(PublisherError, match="create the topic"):
        PartitionCache(Missing()).partitions("nope")
