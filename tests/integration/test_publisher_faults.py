"""Faults on real processes: the broker SIGKILLed mid-stream, a transactional producer killed.

The broker test runs its own Kafka (a second dev/stack broker on its own log dir, so the shared
one is never disturbed) and the shared registry. Every loop is bounded by a count or a deadline.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections import defaultdict
from pathlib import Path

import pytest

from publisher.producer import Publisher
from tests.integration.conftest import Stack, dev_stack
from tests.unit.publisher.events import avro_event
from tests.unit.publisher.kafka_io import create_topic, read_back, register

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
EVENTS = 30_000
CHUNK = 1_000
KEYS = 13


def test_broker_sigkill_mid_stream_loses_and_duplicates_nothing(
    stack: Stack, tmp_path: Path
) -> None:
    broker = dev_stack.Stack(tmp_path / "broker")
    broker.state.mkdir(parents=True)
    (broker.state / "logs").mkdir()
    try:
        broker.start_kafka()
        broker.wait_kafka()
        topic = create_topic(broker.bootstrap_servers, "fault-kill", partitions=3)
        Order = avro_event(topic)
        register(stack.registry_url, f"{topic}-value", Order)
        pub = Publisher(
            broker.bootstrap_servers,
            stack.registry_url,
            # Queued events must outlive the outage: librdkafka retries them, idempotently.
            config={"message.timeout.ms": 180_000, "retry.backoff.ms": 100},
            backpressure_timeout=120,
        )
        pub.preload(Order)
        batches = []
        crashed = restarted = False
        for start in range(0, EVENTS, CHUNK):
            numbers = range(start, start + CHUNK)
            events = [Order(order_id=str(i), amount=i, note="x" * 40) for i in numbers]
            batches.append(pub.publish_many(events, keys=[str(i % KEYS) for i in numbers]))
            if start >= EVENTS // 3 and not crashed:
                broker.kill_kafka()  # with a chunk just queued, so requests are in flight
                crashed = True
            elif start >= EVENTS // 2 and not restarted:
                broker.restart_kafka()  # same ports, same log dir
                restarted = True
        assert crashed
        assert restarted
        assert pub.flush(180) == 0
        reports = [batch.report(0) for batch in batches]
        pub.close(10)
        assert [r.failures for r in reports if r.failures] == []
        assert sum(r.delivered for r in reports) == EVENTS
        assert (pub.tally.delivered, pub.tally.failed) == (EVENTS, 0)

        records = read_back(broker.bootstrap_servers, topic, EVENTS, timeout=120, settle=2.0)
        amounts = [Order.decode(m.value()[5:]).values["amount"] for m in records]
        assert len(amounts) == EVENTS  # nothing lost, nothing written twice
        assert sorted(amounts) == list(range(EVENTS))
        per_key: dict[bytes, list[int]] = defaultdict(list)
        for message, amount in zip(records, amounts, strict=True):
            per_key[message.key()].append(amount)
        assert len(per_key) == KEYS
        assert all(seq == sorted(seq) for seq in per_key.values())  # each key kept its order
    finally:
        broker.down()


CHILD = """
import sys
from publisher.producer import Publisher
from tests.unit.publisher.events import avro_event

servers, registry, topic, namespace, txid = sys.argv[1:]
Order = avro_event(topic, namespace=namespace)
pub = Publisher(servers, registry, transactional_id=txid)
with pub.transaction():
    for i in range(100):
        pub.publish(Order(order_id=f"doomed-{i}", amount=i, note=""))
    assert pub.flush(30) == 0
    print("written", flush=True)
    sys.stdin.read()  # killed here, before the commit
"""


def test_transactional_producer_killed_before_commit_leaves_nothing_visible(
    stack: Stack,
) -> None:
    topic = create_topic(stack.bootstrap_servers, "fault-tx", partitions=1)
    namespace = f"herald.test.n{uuid.uuid4().hex[:10]}"
    Order = avro_event(topic, namespace=namespace)
    register(stack.registry_url, f"{topic}-value", Order)
    txid = f"fault-tx-{uuid.uuid4().hex}"
    args = [stack.bootstrap_servers, stack.registry_url, topic, namespace, txid]
    with subprocess.Popen(
        [sys.executable, "-c", CHILD, *args],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as child:
        try:
            assert child.stdout is not None
            assert child.stderr is not None
            line = child.stdout.readline()  # bounded: on any error the child exits, closing it
            assert line.strip() == "written", child.stderr.read()
            os.kill(child.pid, signal.SIGKILL)
            assert child.wait(10) == -signal.SIGKILL
        finally:
            if child.poll() is None:
                child.kill()
                child.wait(10)

    # The 100 records are in the log, but their transaction never committed.
    assert len(read_back(stack.bootstrap_servers, topic, 100, isolation="read_uncommitted")) == 100
    # A successor with the same transactional id fences the dead producer and aborts its
    # transaction, instead of waiting for transaction.timeout.ms.
    successor = Publisher(stack.bootstrap_servers, stack.registry_url, transactional_id=txid)
    with successor, successor.transaction():
        for i in range(10):
            successor.publish(Order(order_id=f"kept-{i}", amount=i, note=""))
    committed = read_back(stack.bootstrap_servers, topic, 10, timeout=30, settle=2.0)
    ids = [Order.decode(m.value()[5:]).values["order_id"] for m in committed]
    assert ids == [f"kept-{i}" for i in range(10)]
