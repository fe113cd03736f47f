"""Failover on the 3-node cluster, after Kafka's replication_test and transactions_test.

Every topic here has three replicas and ``min.insync.replicas=2``; the publisher uses the
``safe`` preset (acks=all, idempotence). Nodes are SIGKILLed or SIGTERMed by the PIDs dev/stack
wrote, while events are in flight, and what a ``read_committed`` consumer sees afterwards is
compared with what was published: every event once, none twice, each key in order. Every loop is
bounded in count and time; all traffic stays on 127.0.0.1. Each test leaves all three nodes
running and in sync for the next.
"""

from __future__ import annotations

import itertools
import threading
import time
import uuid
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import pytest
from confluent_kafka import KafkaError, Message, TopicPartition

from publisher.consumer import TypedConsumer
from publisher.errors import DeliveryError, TransactionError
from publisher.futures import DeliveryBatch
from publisher.producer import Publisher
from tests.integration.conftest import FIGURES
from tests.unit.publisher.events import AvroTestEvent, avro_event
from tests.unit.publisher.kafka_io import create_topic, read_back, register

#: Each test bounds its own loops (up to 600 s on a loaded machine); pytest-timeout's 300 s
#: default would cut a slow failover short and leave a node down for the next test.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

KEYS = 13
#: How long a node may take to come back and catch up on a loaded 2-core machine.
RECOVERY_S = 180.0


def _auth(cluster: Any) -> dict[str, str]:
    return {"basic.auth.user.info": f"herald:{cluster.registry_password}"}


def _healthy(cluster: Any, *topics: str) -> None:
    """Bring back any node that is down and wait until ``topics`` are fully in sync."""
    for i in cluster.node_ids:
        if cluster.node(i).pid() is None:
            cluster.restart_broker(i)
    cluster.wait_kafka(RECOVERY_S)
    deadline = time.monotonic() + RECOVERY_S
    for topic in topics:
        while not cluster.in_sync(topic):
            assert time.monotonic() < deadline, f"{topic} did not get back to 3 in-sync replicas"
            time.sleep(0.5)


def _event_class(cluster: Any, topic: str) -> type[AvroTestEvent]:
    cls = avro_event(topic)
    register(cluster.registry_url, f"{topic}-value", cls, _auth(cluster))
    return cls


def _publisher(cluster: Any, **kwargs: Any) -> Publisher:
    return Publisher(
        cluster.bootstrap_servers,
        cluster.registry_url,
        registry_config=_auth(cluster),
        preset="safe",
        **kwargs,
    )


def _chunk(cls: type[AvroTestEvent], start: int, size: int) -> tuple[list[Any], list[str]]:
    """Events numbered start..start+size, keyed by number mod KEYS."""
    numbers = range(start, start + size)
    return [cls(order_id=str(i), amount=i, note="x" * 32) for i in numbers], [
        str(i % KEYS) for i in numbers
    ]


def _audit(cls: type[AvroTestEvent], records: Iterable[Message], sent: int) -> dict[str, int]:
    """Lost, duplicated and out-of-order counts of records numbered 0..sent-1."""
    per_key: dict[bytes, list[int]] = defaultdict(list)
    numbers = []
    for message in records:
        number = cls.decode(message.value()[5:]).values["amount"]
        numbers.append(number)
        per_key[message.key()].append(number)
    distinct = set(numbers)
    out_of_order = sum(1 for seq in per_key.values() for a, b in itertools.pairwise(seq) if b < a)
    return {
        "events": sent,
        "read": len(numbers),
        "lost": len(set(range(sent)) - distinct),
        "duplicated": len(numbers) - len(distinct),
        "out_of_order": out_of_order,
        "foreign": len(distinct - set(range(sent))),
    }


def _figure(name: str, audit: dict[str, int], extra: str = "") -> None:
    line = (
        f"{name}: {audit['events']:,} events, read {audit['read']:,}, lost {audit['lost']}, "
        f"duplicated {audit['duplicated']}, out of order {audit['out_of_order']}{extra}"
    )
    FIGURES.append(line)
    print(line)


def _delivered(batches: list[DeliveryBatch]) -> int:
    reports = [batch.report(0) for batch in batches]
    assert [r.failures for r in reports if r.failures] == []
    return sum(r.delivered for r in reports)


EVENTS = 100_000
CHUNK = 1_000
KILL_AT, RESTART_AT = 33_000, 50_000


def test_partition_leader_sigkilled_mid_stream_loses_and_duplicates_nothing(cluster: Any) -> None:
    topic = create_topic(cluster.bootstrap_servers, "ha-kill", partitions=3, replication=3)
    Order = _event_class(cluster, topic)
    pub = _publisher(
        cluster,
        # Queued events must outlive the failover: librdkafka resends them, idempotently.
        config={"message.timeout.ms": 180_000, "retry.backoff.ms": 100},
        backpressure_timeout=120,
    )
    pub.preload(Order)
    batches = []
    victim = restarted = 0
    began = time.monotonic()
    for start in range(0, EVENTS, CHUNK):
        events, keys = _chunk(Order, start, CHUNK)
        batches.append(pub.publish_many(events, keys=keys))
        if start == KILL_AT:
            victim = cluster.leader_of(topic, 0)
            cluster.kill_broker(victim)  # with chunks just queued, so requests are in flight
        elif start == RESTART_AT:
            cluster.restart_broker(victim, RECOVERY_S)
            restarted = victim
    assert victim in cluster.node_ids
    assert restarted == victim
    assert pub.flush(180) == 0
    took = time.monotonic() - began
    assert all(batch.done() for batch in batches)  # every future resolved
    assert _delivered(batches) == EVENTS
    assert (pub.tally.delivered, pub.tally.failed) == (EVENTS, 0)
    pub.close(10)

    records = read_back(cluster.bootstrap_servers, topic, EVENTS, timeout=180, settle=2.0)
    audit = _audit(Order, records, EVENTS)
    _figure("leader SIGKILL", audit, f"; node {victim} killed and restarted; {took:.0f}s")
    assert audit == {**audit, "read": EVENTS, "lost": 0, "duplicated": 0, "out_of_order": 0}
    assert audit["foreign"] == 0
    assert cluster.leader_of(topic, 0) in cluster.node_ids
    _healthy(cluster, topic)


def test_rolling_restart_under_load_loses_and_duplicates_nothing(cluster: Any) -> None:
    topic = create_topic(cluster.bootstrap_servers, "ha-roll", partitions=3, replication=3)
    Order = _event_class(cluster, topic)
    pub = _publisher(cluster, config={"message.timeout.ms": 180_000}, backpressure_timeout=120)
    pub.preload(Order)
    batches: list[DeliveryBatch] = []
    done = threading.Event()
    sent = [0]

    def publish() -> None:
        deadline = time.monotonic() + 600
        while not done.is_set() and sent[0] < 300_000 and time.monotonic() < deadline:
            events, keys = _chunk(Order, sent[0], 100)
            batches.append(pub.publish_many(events, keys=keys))
            sent[0] += 100
            time.sleep(0.05)  # about 2,000 events/s, so the whole restart is under load

    publisher = threading.Thread(target=publish, name="rolling-publisher")
    publisher.start()
    restarts = []
    try:
        time.sleep(2)
        for i in cluster.node_ids:
            began = time.monotonic()
            cluster.stop_broker(i)  # SIGTERM: controlled shutdown, leaders move away first
            cluster.restart_broker(i, RECOVERY_S)
            _healthy(cluster, topic)  # the ISR is whole again before the next node goes
            restarts.append(time.monotonic() - began)
        time.sleep(2)
        assert publisher.is_alive(), "publishing stopped before the last node was back"
    finally:
        done.set()
        publisher.join(60)
    assert not publisher.is_alive()
    assert pub.flush(180) == 0
    total = sent[0]
    assert _delivered(batches) == total
    pub.close(10)
    records = read_back(cluster.bootstrap_servers, topic, total, timeout=180, settle=2.0)
    audit = _audit(Order, records, total)
    each = ", ".join(f"{s:.0f}s" for s in restarts)
    _figure("rolling restart", audit, f"; nodes 1, 2, 3 restarted in {each}")
    assert audit == {**audit, "read": total, "lost": 0, "duplicated": 0, "out_of_order": 0}
    assert audit["foreign"] == 0
    assert total >= 1_000


#: Codes a write may fail with while only one of three replicas is up.
_BELOW_MIN_ISR = {
    KafkaError.NOT_ENOUGH_REPLICAS,
    KafkaError.NOT_ENOUGH_REPLICAS_AFTER_APPEND,
    KafkaError._MSG_TIMED_OUT,
    KafkaError.REQUEST_TIMED_OUT,
}


def test_two_of_three_nodes_down_fail_within_the_delivery_timeout_then_publishing_resumes(
    cluster: Any,
) -> None:
    topic = create_topic(cluster.bootstrap_servers, "ha-minisr", partitions=3, replication=3)
    Order = _event_class(cluster, topic)
    delivery_timeout_s = 15
    pub = _publisher(
        cluster,
        config={"message.timeout.ms": delivery_timeout_s * 1000, "request.timeout.ms": 5_000},
    )
    pub.preload(Order)
    survivor = cluster.leader_of(topic, 0)
    down = [i for i in cluster.node_ids if i != survivor]
    before = [pub.publish(e, key=k) for e, k in zip(*_chunk(Order, 0, 100), strict=True)]
    assert pub.flush(30) == 0
    assert all(f.exception(0) is None for f in before)
    for i in down:
        cluster.stop_broker(i)

    began = time.monotonic()
    during = [pub.publish(e, key=k) for e, k in zip(*_chunk(Order, 100, 100), strict=True)]
    pub.flush(delivery_timeout_s + 30)
    took = time.monotonic() - began
    assert all(f.done() for f in during)
    assert took < delivery_timeout_s + 30
    errors = [f.exception(0) for f in during]
    failed = [e for e in errors if e is not None]
    assert all(isinstance(e, DeliveryError) for e in failed)
    codes = {e.kafka_error.code() for e in failed if isinstance(e, DeliveryError)}
    assert codes <= _BELOW_MIN_ISR, codes
    reported = {100 + n for n, e in enumerate(errors) if e is None}

    for i in down:
        cluster.restart_broker(i, RECOVERY_S)
    _healthy(cluster, topic)
    after = [pub.publish(e, key=k) for e, k in zip(*_chunk(Order, 200, 100), strict=True)]
    assert pub.flush(60) == 0
    assert all(f.exception(0) is None for f in after)
    pub.close(10)

    # 200 must be there; a few seconds more show any of the 100 that were written anyway.
    expected = 200 + len(reported)
    records = read_back(cluster.bootstrap_servers, topic, expected, timeout=60, settle=3.0)
    numbers = [Order.decode(m.value()[5:]).values["amount"] for m in records]
    written = set(numbers)
    assert set(range(100)) | set(range(200, 300)) <= written  # before and after: all there
    assert reported <= written  # nothing reported delivered that was not
    assert len(numbers) == len(written)  # and nothing twice
    FIGURES.append(
        f"two of three down: 100 events published with nodes {down} stopped, "
        f"{len(failed)} failed ({', '.join(sorted(KafkaError(c).name() for c in codes))}) "
        f"within {took:.0f}s (delivery timeout {delivery_timeout_s}s), {len(reported)} "
        f"reported delivered; {len(written & set(range(100, 200)))} of them in the log; "
        "300 before/after all delivered once"
    )


INPUT = 50_000
TX_BATCH = 500


def _rewind(consumer: TypedConsumer) -> None:
    """Seek every assigned partition back to the group's committed offset (abort recovery)."""
    raw = consumer.consumer
    for tp in raw.committed(raw.assignment(), timeout=30):
        offset = tp.offset if tp.offset >= 0 else -2  # OFFSET_BEGINNING when none committed
        raw.seek(TopicPartition(tp.topic, tp.partition, offset))


def _committed_count(consumer: TypedConsumer) -> int:
    """Input records the group has committed: offsets start at 0 on every input partition."""
    raw = consumer.consumer
    return sum(max(tp.offset, 0) for tp in raw.committed(raw.assignment(), timeout=30))


def test_exactly_once_consume_transform_produce_across_an_output_leader_kill(
    cluster: Any,
) -> None:
    source = create_topic(cluster.bootstrap_servers, "eos-in", partitions=3, replication=3)
    sink = create_topic(cluster.bootstrap_servers, "eos-out", partitions=3, replication=3)
    In, Out = _event_class(cluster, source), _event_class(cluster, sink)
    with _publisher(cluster) as feeder:
        feeder.preload(In)
        batches = []
        for start in range(0, INPUT, 5_000):
            events, keys = _chunk(In, start, 5_000)
            batches.append(feeder.publish_many(events, keys=keys))
        assert feeder.flush(60) == 0
        assert _delivered(batches) == INPUT

    consumer = TypedConsumer(
        cluster.bootstrap_servers,
        f"eos-{uuid.uuid4().hex}",
        [In],
        registry_url=cluster.registry_url,
        registry_config=_auth(cluster),
        topics=[source],
        # The loop stops polling while a node restarts (up to RECOVERY_S) and while a commit
        # waits for a new coordinator; the group must not drop the consumer meanwhile.
        config={"max.poll.interval.ms": 900_000},
    )
    transactional_id = f"eos-{uuid.uuid4().hex}"
    pub = _publisher(cluster, transactional_id=transactional_id)
    pub.preload(Out)
    committed = aborted = rebuilt = 0
    victim = 0
    restarted = False
    deadline = time.monotonic() + 600
    try:
        for _ in range(10 * INPUT // TX_BATCH):  # bounded: at most ten tries per batch
            if committed >= INPUT or time.monotonic() > deadline:
                break
            if not victim and committed >= INPUT // 3:
                victim = cluster.leader_of(sink, 0)
                cluster.kill_broker(victim)
            elif victim and not restarted and committed >= INPUT // 2:
                cluster.restart_broker(victim, RECOVERY_S)
                restarted = True
            batch = consumer.take(TX_BATCH, timeout=5)
            if not batch:
                continue
            try:
                with pub.transaction(timeout=60):
                    for message in batch:
                        assert message.event is not None
                        amount = message.event.values["amount"]
                        pub.publish(
                            Out(order_id=str(amount), amount=amount, note="copied"), key=message.key
                        )
                    pub.send_offsets(consumer)
            except TransactionError as exc:
                if exc.abortable:
                    aborted += 1
                else:
                    # Fenced by the coordinator's transaction timeout, or a commit whose outcome
                    # is unknown: a new producer with the same id settles it (Kafka's recovery).
                    rebuilt += 1
                    if rebuilt > 5:
                        raise
                    pub.close(10)
                    pub = _publisher(cluster, transactional_id=transactional_id)
                    pub.preload(Out)
                    committed = _committed_count(consumer)  # the unknown commit, settled
                _rewind(consumer)  # the failed batch is read and written again
                continue
            committed += len(batch)
    finally:
        consumer.close()
        pub.close(10)
    assert victim in cluster.node_ids
    assert restarted
    assert committed == INPUT

    records = read_back(cluster.bootstrap_servers, sink, INPUT, timeout=180, settle=3.0)
    audit = _audit(Out, records, INPUT)
    _figure(
        "exactly-once copy",
        audit,
        f"; output leader node {victim} SIGKILLed and restarted; {aborted} transactions "
        f"aborted and redone; publisher rebuilt {rebuilt} times",
    )
    assert audit == {**audit, "read": INPUT, "lost": 0, "duplicated": 0, "out_of_order": 0}
    assert audit["foreign"] == 0
    _healthy(cluster, source, sink)
