"""dev/stack's own lifecycle on a second, private stack: crash, restart, stop by PID.

Fault tests build on exactly this: SIGKILL the broker mid-stream, restart it on the same log
dir, and find the acknowledged data still there; stop and start the registry; and stop
everything without leaving a process behind.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from confluent_kafka import Consumer, KafkaError, Producer

from tests.integration.conftest import dev_stack

pytestmark = pytest.mark.integration


def _read_all(servers: str, topic: str, expected: int) -> list[bytes]:
    consumer = Consumer(
        {
            "bootstrap.servers": servers,
            "group.id": f"lifecycle-{time.monotonic_ns()}",
            "auto.offset.reset": "earliest",
            "enable.partition.eof": True,
        }
    )
    consumer.subscribe([topic])
    values: list[bytes] = []
    deadline = time.monotonic() + 60
    try:
        while len(values) < expected and time.monotonic() < deadline:
            msg = consumer.poll(1.0)
            if msg is None:
                continue
            err = msg.error()
            if err is None:
                values.append(msg.value())
            elif err.code() != KafkaError._PARTITION_EOF:
                raise AssertionError(f"consume failed: {err}")
    finally:
        consumer.close()
    return values


def test_broker_survives_sigkill_and_stack_stops_without_orphans(tmp_path: Path) -> None:
    stack = dev_stack.Stack(tmp_path / "stack")
    try:
        stack.up()
        env = stack.env_file.read_text()
        assert f"KAFKA_BOOTSTRAP_SERVERS={stack.bootstrap_servers}" in env
        assert f"SCHEMA_REGISTRY_URL={stack.registry_url}" in env
        assert stack.registry_url.startswith("http://127.0.0.1:")
        status = stack.status()
        kafka_pid = status["kafka"]["pid"]
        registry_pid = status["registry"]["pid"]
        assert kafka_pid
        assert registry_pid

        producer = Producer({"bootstrap.servers": stack.bootstrap_servers, "acks": "all"})
        for i in range(50):
            producer.produce("lifecycle", f"before-{i}".encode())
        assert producer.flush(30) == 0
        del producer

        stack.kill_kafka()
        assert stack.kafka.pid() is None
        stack.restart_kafka()
        assert stack.kafka.pid() not in (None, kafka_pid)

        values = _read_all(stack.bootstrap_servers, "lifecycle", 50)
        assert values == [f"before-{i}".encode() for i in range(50)]

        stack.stop_registry()
        assert stack.registry.pid() is None
        stack.start_registry()
        stack.wait_registry()
        stack.configure_registry()
        new_registry_pid = stack.registry.pid()
        assert new_registry_pid not in (None, registry_pid)
    finally:
        stack.down()
    for pid in (kafka_pid, registry_pid, new_registry_pid):
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text()
    assert not stack.env_file.exists()
