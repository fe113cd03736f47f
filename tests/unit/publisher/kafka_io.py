"""Real-broker plumbing for the publisher's integration tests: topics, registration, read-back.

Lives beside the hand-written event classes so both integration modules share one copy; the
unit tests never call it.
"""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from confluent_kafka import Consumer, KafkaError, Message, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

from publisher.event import Event


def create_topic(
    bootstrap: str,
    prefix: str,
    partitions: int = 3,
    config: dict[str, str] | None = None,
    replication: int = 1,
) -> str:
    """Create a uniquely named topic and wait until it exists."""
    name = f"{prefix}-{uuid.uuid4().hex[:10]}"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    futures = admin.create_topics([NewTopic(name, partitions, replication, config=config or {})])
    futures[name].result(timeout=30)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        info = admin.list_topics(name, timeout=5).topics.get(name)
        if info is not None and info.error is None and len(info.partitions) == partitions:
            return name
        time.sleep(0.1)
    raise AssertionError(f"topic {name} did not appear")


def register(
    registry_url: str, subject: str, cls: type[Event], conf: dict[str, str] | None = None
) -> int:
    """Register a class's schema as CI would (``conf``: e.g. basic auth), returning its id."""
    with SchemaRegistryClient({"url": registry_url, **(conf or {})}) as client:
        return int(client.register_schema(subject, Schema(cls.SCHEMA, cls.SCHEMA_FORMAT)))


def read_back(
    bootstrap: str,
    topic: str,
    count: int,
    *,
    timeout: float = 30.0,
    isolation: str = "read_committed",
    settle: float = 0.0,
) -> list[Message]:
    """Read up to ``count`` records from the start of ``topic`` (then ``settle`` s for extras)."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"readback-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "isolation.level": isolation,
        }
    )
    consumer.subscribe([topic])
    out: list[Message] = []
    try:
        deadline = time.monotonic() + timeout
        while len(out) < count and time.monotonic() < deadline:
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            err = msg.error()
            if err is not None and err.code() != KafkaError._PARTITION_EOF:
                raise AssertionError(f"consume error: {err}")
            if err is None:
                out.append(msg)
        extra_deadline = time.monotonic() + settle
        while time.monotonic() < extra_deadline:
            msg = consumer.poll(0.2)
            if msg is not None and msg.error() is None:
                out.append(msg)
    finally:
        consumer.close()
    return out


def high_watermarks(bootstrap: str, topic: str, partitions: int) -> list[int]:
    """End offset of every partition (what was written, committed or not)."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": uuid.uuid4().hex})
    try:
        return [
            consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1]
            for p in range(partitions)
        ]
    finally:
        consumer.close()


class TcpForwarder:
    """A 127.0.0.1 TCP proxy to a real service; ``cut()`` drops it as an outage would."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._open = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while self._open:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if not self._open:
                client.close()
                return
            try:
                upstream = socket.create_connection(self._target, timeout=5)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._sockets += [client, upstream]
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (src, dst):
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        """Stop listening and close every forwarded connection."""
        self._open = False
        with suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        self._listener.close()
        with self._lock:
            for sock in self._sockets:
                with suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()


@contextmanager
def forwarded(url: str) -> Iterator[tuple[str, TcpForwarder]]:
    """Yield ``url`` rewritten to pass through a TcpForwarder, and the forwarder."""
    scheme, rest = url.split("://", 1)
    hostport, _, path = rest.partition("/")
    host, _, port = hostport.rpartition(":")
    forwarder = TcpForwarder(host, int(port))
    try:
        yield f"{scheme}://127.0.0.1:{forwarder.port}/{path}", forwarder
    finally:
        forwarder.cut()


def as_int(value: Any) -> int:
    """Decode the 8-byte big-endian int keys the publisher writes."""
    return int.from_bytes(value, "big", signed=True)
