"""Side-by-side publish paths on the real broker and registry: herald against what users write.

Every path publishes the same records (:mod:`benchmarks.workload`) with the same keys to its
own 6-partition topic, with the same librdkafka settings (herald's ``safe`` preset) unless
the path is about settings (the presets). A round produces ``events`` messages, flushes, and
counts only the messages the broker acknowledged; :func:`benchmarks.harness.interleave` runs
the rounds A B C …, rotating the order.

Paths (names as in ``results/latest.json``). The end-to-end paths build every event inside the
clock, from field values prepared before it, as a service builds what it publishes:

- ``herald_avro_e2e`` / ``herald_avro_batch_e2e``: the keyword constructors (``OrderPlaced`` and
  its ``LineItem`` records) + ``publish`` / ``publish_many`` of a list per chunk;
- ``herald_avro_stream_e2e``: the same constructors as a generator handed to ``publish_many``,
  so each event is built as it is queued and no chunk of built events is alive at once;
- ``herald_avro_from_dict_e2e``: ``OrderPlaced.from_dict`` of the wire-named dict + ``publish``;
- ``confluent_avro_e2e``: the dict built from the same values + ``AvroSerializer`` + ``produce``;
- ``herald_protobuf_e2e``: ``PaymentAuthorized(...)`` with its ``Money`` + ``publish``;
- ``confluent_protobuf_e2e``: the protoc message built from the same values +
  ``ProtobufSerializer`` + ``produce``.

The pre-built paths hand over events, dicts or messages built before the clock starts, so they
leave out what building costs:

- ``raw``: pre-serialized bytes with ``Producer.produce`` — the ceiling;
- ``herald_avro`` / ``herald_avro_batch``: ``Publisher.publish`` / ``publish_many`` of typed
  events from ``herald codegen``;
- ``confluent_avro``: ``AvroSerializer`` + ``Producer.produce``, as in confluent-kafka's
  ``avro_producer.py`` example (``poll(0)`` per message);
- ``confluent_avro_serializing_producer``: ``SerializingProducer`` with ``AvroSerializer``;
- ``herald_protobuf`` / ``confluent_protobuf``: the same for ``PaymentAuthorized``;
- ``preset_safe`` / ``preset_throughput`` / ``preset_no_batching``: ``Publisher.publish`` with
  each preset, and with batching switched off (linger 0, one message per batch, acks=all).

The serializers get plain dicts and a ``SerializationContext`` built once: their cheapest
documented use, so the ratios against them are conservative.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import workload
from benchmarks.harness import Interleaved, Sample, interleave

#: Seconds a round may spend flushing before its undelivered messages count as not delivered.
FLUSH_TIMEOUT_S = 120.0
PARTITIONS = 6
#: publish_many is called with chunks of this many events, as a service batching its work would.
BATCH = 10_000
#: The no-batching config sends one message per request: its rounds use 1/NO_BATCHING_SHARE of
#: the events (the rate is per acknowledged message either way).
NO_BATCHING_SHARE = 10

#: Producer settings of the no-batching comparison: every message is its own request.
NO_BATCHING: dict[str, Any] = {
    "linger.ms": 0,
    "batch.num.messages": 1,
    "compression.type": "none",
    "acks": "all",
}

#: Path name → what it measures, for the report.
DESCRIPTIONS: dict[str, str] = {
    "raw": "(a) pre-serialized bytes, Producer.produce",
    "herald_avro_e2e": "e2e: herald keyword constructors + Publisher.publish, Avro",
    "herald_avro_batch_e2e": "e2e: herald keyword constructors + Publisher.publish_many, Avro",
    "herald_avro_stream_e2e": "e2e: a generator of the same constructors + publish_many, Avro",
    "herald_avro_from_dict_e2e": "e2e: herald from_dict of the wire-named dict + publish, Avro",
    "confluent_avro_e2e": "e2e: build the dict + AvroSerializer + Producer.produce",
    "herald_protobuf_e2e": "e2e: herald keyword constructor + Publisher.publish, Protobuf",
    "confluent_protobuf_e2e": "e2e: build the protoc message + ProtobufSerializer + produce",
    "herald_avro": "(b) herald Publisher.publish, typed Avro event",
    "herald_avro_batch": "(c) herald Publisher.publish_many, typed Avro events",
    "confluent_avro": "(d) AvroSerializer + Producer.produce",
    "confluent_avro_serializing_producer": "(e) SerializingProducer + AvroSerializer",
    "herald_protobuf": "(f) herald Publisher.publish, typed Protobuf event",
    "confluent_protobuf": "(g) ProtobufSerializer + Producer.produce",
    "preset_safe": "(h) herald preset safe",
    "preset_throughput": "(h) herald preset throughput",
    "preset_no_batching": "(h) no batching: linger 0, 1 msg/batch, acks=all",
    "herald_avro_tracing_absent": "Publisher.publish, Avro, opentelemetry not importable",
    "herald_avro_tracing_off": "Publisher.publish, Avro, opentelemetry without an SDK provider",
    "herald_avro_tracing_on": "Publisher.publish, Avro, a span per event (SDK, batch export)",
}

#: Path → the path its ratio is taken against besides raw: (d) for Avro paths, (g) for Protobuf.
#: The presets' own comparison (throughput vs no batching) is one of the report's targets.
BASELINES: dict[str, str] = {
    "raw": "confluent_avro",
    "herald_avro_e2e": "confluent_avro_e2e",
    "herald_avro_batch_e2e": "confluent_avro_e2e",
    "herald_avro_stream_e2e": "confluent_avro_e2e",
    "herald_avro_from_dict_e2e": "confluent_avro_e2e",
    "confluent_avro_e2e": "confluent_avro_e2e",
    "herald_protobuf_e2e": "confluent_protobuf_e2e",
    "confluent_protobuf_e2e": "confluent_protobuf_e2e",
    "herald_avro": "confluent_avro",
    "herald_avro_batch": "confluent_avro",
    "confluent_avro": "confluent_avro",
    "confluent_avro_serializing_producer": "confluent_avro",
    "herald_protobuf": "confluent_protobuf",
    "confluent_protobuf": "confluent_protobuf",
    "preset_safe": "confluent_avro",
    "preset_throughput": "confluent_avro",
    "preset_no_batching": "confluent_avro",
    "herald_avro_tracing_absent": "herald_avro_tracing_absent",
    "herald_avro_tracing_off": "herald_avro_tracing_absent",
    "herald_avro_tracing_on": "herald_avro_tracing_absent",
}


@dataclass(frozen=True)
class Connection:
    """Where the broker and the registry are: the stack's env file convention."""

    bootstrap_servers: str
    registry_url: str

    @classmethod
    def from_env(cls) -> Connection:
        """Read KAFKA_BOOTSTRAP_SERVERS and SCHEMA_REGISTRY_URL, naming the fix when missing."""
        servers = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "")
        registry = os.environ.get("SCHEMA_REGISTRY_URL", "")
        if not servers or not registry:
            raise SystemExit(
                "bench: KAFKA_BOOTSTRAP_SERVERS and SCHEMA_REGISTRY_URL must be set; run "
                "`make bench` (it starts the local stack) or `set -a; . .stack/env; set +a`"
            )
        return cls(servers, registry)


def common_config(connection: Connection) -> dict[str, Any]:
    """The librdkafka settings every non-preset path uses: herald's safe preset."""
    from publisher.config import PRESETS

    return {**PRESETS["safe"], "bootstrap.servers": connection.bootstrap_servers}


class Topics:
    """Unique topics for one run, created with several partitions and deleted at the end.

    The registry subjects named after them (``<topic>-value`` from the serializers, and the
    ``<topic>-<file>.proto`` references of the Protobuf serializer) are deleted with them, so a
    run leaves nothing behind on a cluster of the user's own.
    """

    def __init__(self, connection: Connection, run_id: str) -> None:
        from confluent_kafka.admin import AdminClient

        self._admin = AdminClient({"bootstrap.servers": connection.bootstrap_servers})
        self._registry_url = connection.registry_url
        self._run_id = run_id
        self.created: list[str] = []
        #: Subjects to delete at the end, dependents before what they reference.
        self.subjects: list[str] = []

    def create(self, path: str, timeout: float = 30.0) -> str:
        """Create ``bench-<path>-<run id>`` with PARTITIONS partitions and return its name."""
        from confluent_kafka.admin import NewTopic  # type: ignore[attr-defined]

        name = f"bench-{path.replace('_', '-')}-{self._run_id}"
        futures = self._admin.create_topics(
            [NewTopic(name, num_partitions=PARTITIONS, replication_factor=1)],
            request_timeout=timeout,
        )
        futures[name].result(timeout=timeout)
        self.created.append(name)
        return name

    def delete_all(self, timeout: float = 30.0) -> None:
        """Delete every topic this run created (best effort: the broker may be going away)."""
        if not self.created:
            return
        futures = self._admin.delete_topics(self.created, request_timeout=timeout)
        for future in futures.values():
            try:
                future.result(timeout=timeout)
            except Exception as exc:
                print(f"bench: could not delete a topic: {exc}")
        self._delete_subjects([f"{topic}-value" for topic in self.created] + self.subjects)
        self.created = []
        self.subjects = []

    def _delete_subjects(self, subjects: list[str]) -> None:
        from confluent_kafka.schema_registry import SchemaRegistryClient

        client = SchemaRegistryClient({"url": self._registry_url})
        for subject in subjects:
            try:
                client.delete_subject(subject)
                client.delete_subject(subject, permanent=True)
            except Exception as exc:
                if "404" not in str(exc) and "40401" not in str(exc):
                    print(f"bench: could not delete subject {subject!r}: {exc}")


class Delivered:
    """Per-message ``on_delivery`` callback that counts the broker's verdicts."""

    __slots__ = ("failed", "ok")

    def __init__(self) -> None:
        self.ok = 0
        self.failed = 0

    def __call__(self, err: Any, msg: Any) -> None:
        if err is None:
            self.ok += 1
        else:
            self.failed += 1


def repeat(items: Sequence[Any], count: int) -> list[Any]:
    """``count`` items cycling through ``items`` (the same objects, so no extra copies)."""
    if not items:
        raise ValueError("nothing to repeat")
    whole, rest = divmod(count, len(items))
    return [*items] * whole + [*items[:rest]]


@dataclass
class Measured:
    """One measured path: its round function and what to release afterwards."""

    run: Callable[[], Sample]
    close: Callable[[], object] = lambda: None


@dataclass
class Bench:
    """Everything the paths share: connection, topics, records, sizes, the generated classes."""

    connection: Connection
    events: int
    topics: Topics
    workdir: Path
    orders: list[dict[str, Any]] = field(default_factory=workload.order_records)
    payments: list[dict[str, Any]] = field(default_factory=workload.payment_records)
    classes: dict[str, type[Any]] = field(default_factory=dict)
    pb2: Any = None

    def __post_init__(self) -> None:
        self.order_keys = workload.record_keys(self.orders, "order_id")
        self.payment_keys = workload.record_keys(self.payments, "payment_id")

    def event_class(self, full_name: str) -> type[Any]:
        """The generated class for ``full_name`` (generated once, its references registered)."""
        if full_name not in self.classes:
            cls = workload.generate_events(full_name, self.workdir)
            workload.register_references(_registry(self), full_name)
            self.classes[full_name] = cls
        return self.classes[full_name]

    def protobuf_module(self) -> Any:
        """``payments_pb2`` compiled from schemas/ (once)."""
        if self.pb2 is None:
            out = self.workdir / "pb2"
            out.mkdir(exist_ok=True)
            self.pb2 = workload.compile_protos(out)
        return self.pb2


def _produce_loop(
    producer: Any,
    topic: str,
    *,
    pairs: list[tuple[bytes, Any]],
    serialize: Callable[[Any], bytes] | None,
    counter: Delivered,
    poll_each: bool,
) -> None:
    """The loop users write: (serialize,) produce, and on a full queue serve reports and retry."""
    produce = producer.produce
    poll = producer.poll
    for key, record in pairs:
        value = serialize(record) if serialize is not None else record
        while True:
            try:
                produce(topic, value, key, on_delivery=counter)
                break
            except BufferError:
                poll(0.01)
        if poll_each:
            poll(0)


def _producer_path(
    bench: Bench,
    topic: str,
    *,
    records: Sequence[Any],
    keys: Sequence[bytes],
    serialize: Callable[[Any], bytes] | None,
    size: float,
    poll_each: bool,
) -> Measured:
    from confluent_kafka import Producer

    producer = Producer(common_config(bench.connection))
    pairs = repeat(list(zip(keys, records, strict=True)), bench.events)
    counter = Delivered()
    seen = [0]

    def run() -> Sample:
        began = time.perf_counter()
        _produce_loop(
            producer, topic, pairs=pairs, serialize=serialize, counter=counter, poll_each=poll_each
        )
        producer.flush(FLUSH_TIMEOUT_S)
        seconds = time.perf_counter() - began
        delivered = counter.ok - seen[0]
        seen[0] = counter.ok
        return Sample(len(pairs), delivered, int(delivered * size), seconds)

    return Measured(run, lambda: producer.flush(10.0))


def _mean_size(keys: Sequence[bytes], values: Sequence[bytes]) -> float:
    return (sum(map(len, keys)) + sum(map(len, values))) / len(values)


def _avro_bodies(bench: Bench) -> list[bytes]:
    import io

    import fastavro

    parsed = fastavro.parse_schema(workload.inline_order_schema())
    bodies = []
    for record in bench.orders:
        buffer = io.BytesIO()
        fastavro.schemaless_writer(buffer, parsed, record)
        bodies.append(buffer.getvalue())
    return bodies


def raw_path(bench: Bench) -> Measured:
    """(a) The ceiling: bytes framed once up front, produced as they are."""
    header = b"\x00" + (1).to_bytes(4, "big")
    values = [header + body for body in _avro_bodies(bench)]
    size = _mean_size(bench.order_keys, values)
    topic = bench.topics.create("raw")
    return _producer_path(
        bench,
        topic,
        records=values,
        keys=bench.order_keys,
        serialize=None,
        size=size,
        poll_each=False,
    )


def _registry(bench: Bench) -> Any:
    from confluent_kafka.schema_registry import SchemaRegistryClient

    return SchemaRegistryClient({"url": bench.connection.registry_url})


def confluent_avro_path(bench: Bench) -> Measured:
    """(d) AvroSerializer + Producer.produce, as confluent-kafka's avro_producer example."""
    import json

    from confluent_kafka.schema_registry.avro import AvroSerializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    serializer = AvroSerializer(_registry(bench), json.dumps(workload.inline_order_schema()))
    topic = bench.topics.create("confluent_avro")
    context = SerializationContext(topic, MessageField.VALUE)

    def serialize(record: Any) -> bytes:
        return serializer(record, context)  # type: ignore[no-any-return]

    size = _mean_size(bench.order_keys, [b"\0" * 5 + body for body in _avro_bodies(bench)])
    return _producer_path(
        bench,
        topic,
        records=bench.orders,
        keys=bench.order_keys,
        serialize=serialize,
        size=size,
        poll_each=True,
    )


def serializing_producer_path(bench: Bench) -> Measured:
    """(e) SerializingProducer with AvroSerializer as its value serializer."""
    import json

    from confluent_kafka import SerializingProducer
    from confluent_kafka.schema_registry.avro import AvroSerializer

    serializer = AvroSerializer(_registry(bench), json.dumps(workload.inline_order_schema()))
    producer = SerializingProducer(
        {**common_config(bench.connection), "value.serializer": serializer}
    )
    topic = bench.topics.create("confluent_avro_serializing_producer")
    pairs = repeat(list(zip(bench.order_keys, bench.orders, strict=True)), bench.events)
    size = _mean_size(bench.order_keys, [b"\0" * 5 + body for body in _avro_bodies(bench)])
    counter = Delivered()
    seen = [0]

    def run() -> Sample:
        produce = producer.produce
        poll = producer.poll
        began = time.perf_counter()
        for key, record in pairs:
            while True:
                try:
                    produce(topic, key=key, value=record, on_delivery=counter)
                    break
                except BufferError:
                    poll(0.01)
            poll(0)
        producer.flush(FLUSH_TIMEOUT_S)
        seconds = time.perf_counter() - began
        delivered = counter.ok - seen[0]
        seen[0] = counter.ok
        return Sample(len(pairs), delivered, int(delivered * size), seconds)

    return Measured(run, lambda: producer.flush(10.0))


def confluent_protobuf_path(bench: Bench) -> Measured:
    """(g) ProtobufSerializer + Producer.produce, as confluent-kafka's protobuf example."""
    from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    pb2 = bench.protobuf_module()
    messages = workload.payment_messages(pb2, bench.payments)
    topic = bench.topics.create("confluent_protobuf")
    bench.topics.subjects += [f"{topic}-{name}" for name in workload.PAYMENT_PROTOS]
    # The serializer registers money.proto as a base64 descriptor; under a subject of its own,
    # so it never becomes the latest version of the subject herald's .proto text lives in.
    serializer = ProtobufSerializer(
        pb2.PaymentAuthorized,
        _registry(bench),
        {
            "use.deprecated.format": False,
            "reference.subject.name.strategy": lambda _ctx, dep: f"{topic}-{dep.name}",
        },
    )
    context = SerializationContext(topic, MessageField.VALUE)

    def serialize(message: Any) -> bytes:
        return serializer(message, context)  # type: ignore[no-any-return]

    framed = [b"\0" * 6 + message.SerializeToString() for message in messages]
    size = _mean_size(bench.payment_keys, framed)
    return _producer_path(
        bench,
        topic,
        records=messages,
        keys=bench.payment_keys,
        serialize=serialize,
        size=size,
        poll_each=True,
    )


# ---------------------------------------------------------------------------- herald paths
def _publisher(
    bench: Bench, preset: str, config: dict[str, Any] | None = None, tracing: Any = None
) -> Any:
    from publisher import Publisher

    return Publisher(
        bench.connection.bootstrap_servers,
        bench.connection.registry_url,
        preset=preset,
        config=config,
        auto_register=True,
        tracing=tracing,
    )


def _herald_path(
    bench: Bench,
    name: str,
    full_name: str,
    records: list[dict[str, Any]],
    keys: list[bytes],
    *,
    batch: bool = False,
    preset: str = "safe",
    config: dict[str, Any] | None = None,
    share: int = 1,
    tracing: Any = None,
) -> Measured:
    cls = bench.event_class(full_name)
    events = workload.typed_events(cls, records)
    topic = bench.topics.create(name)
    pub = _publisher(bench, preset, config, tracing)
    pub.preload(cls, topics=[topic])
    count = max(1, bench.events // share)
    pairs = repeat(list(zip(events, keys, strict=True)), count)
    size = sum(len(k) for k in keys) / len(keys) + sum(len(e.encode()) + 5 for e in events) / len(
        events
    )
    tally = pub.tally
    seen = [tally.delivered]

    def run_single() -> None:
        publish = pub.publish
        for event, key in pairs:
            publish(event, key=key, topic=topic)

    chunks = [pairs[i : i + BATCH] for i in range(0, len(pairs), BATCH)]
    batches = [([e for e, _ in chunk], [k for _, k in chunk]) for chunk in chunks]

    def run_batch() -> None:
        publish_many = pub.publish_many
        for chunk_events, chunk_keys in batches:
            publish_many(chunk_events, keys=chunk_keys, topic=topic)

    body = run_batch if batch else run_single

    def run() -> Sample:
        began = time.perf_counter()
        body()
        pub.flush(FLUSH_TIMEOUT_S)
        seconds = time.perf_counter() - began
        delivered = tally.delivered - seen[0]
        seen[0] = tally.delivered
        return Sample(len(pairs), delivered, int(delivered * size), seconds)

    return Measured(run, lambda: pub.close(10.0))


def herald_avro_path(bench: Bench) -> Measured:
    """(b) Publisher.publish of typed OrderPlaced events."""
    return _herald_path(bench, "herald_avro", workload.ORDER_NAME, bench.orders, bench.order_keys)


def herald_avro_batch_path(bench: Bench) -> Measured:
    """(c) Publisher.publish_many of typed OrderPlaced events, in chunks of BATCH."""
    return _herald_path(
        bench,
        "herald_avro_batch",
        workload.ORDER_NAME,
        bench.orders,
        bench.order_keys,
        batch=True,
    )


def herald_protobuf_path(bench: Bench) -> Measured:
    """(f) Publisher.publish of typed PaymentAuthorized events."""
    return _herald_path(
        bench, "herald_protobuf", workload.PAYMENT_NAME, bench.payments, bench.payment_keys
    )


def preset_path(preset: str) -> Callable[[Bench], Measured]:
    """(h) Publisher.publish with one of herald's presets."""

    def build(bench: Bench) -> Measured:
        return _herald_path(
            bench,
            f"preset_{preset}",
            workload.ORDER_NAME,
            bench.orders,
            bench.order_keys,
            preset=preset,
        )

    return build


def no_batching_path(bench: Bench) -> Measured:
    """(h) Publisher.publish with batching off; 1/NO_BATCHING_SHARE of the events per round."""
    return _herald_path(
        bench,
        "preset_no_batching",
        workload.ORDER_NAME,
        bench.orders,
        bench.order_keys,
        config=NO_BATCHING,
        share=NO_BATCHING_SHARE,
    )


# ---------------------------------------------------------------------------- end-to-end paths
def _avro_size(bench: Bench) -> float:
    return _mean_size(bench.order_keys, [b"\0" * 5 + body for body in _avro_bodies(bench)])


def _timed_herald(
    bench: Bench, pub: Any, count: int, size: float, body: Callable[[], None]
) -> Measured:
    """A round of ``body`` (which builds and publishes ``count`` events) until flush returns."""
    tally = pub.tally
    seen = [tally.delivered]

    def run() -> Sample:
        began = time.perf_counter()
        body()
        pub.flush(FLUSH_TIMEOUT_S)
        seconds = time.perf_counter() - began
        delivered = tally.delivered - seen[0]
        seen[0] = tally.delivered
        return Sample(count, delivered, int(delivered * size), seconds)

    return Measured(run, lambda: pub.close(10.0))


def _herald_e2e_publisher(bench: Bench, name: str, full_name: str) -> tuple[Any, type[Any], str]:
    cls = bench.event_class(full_name)
    topic = bench.topics.create(name)
    pub = _publisher(bench, "safe")
    pub.preload(cls, topics=[topic])
    return pub, cls, topic


def herald_avro_e2e_path(bench: Bench) -> Measured:
    """OrderPlaced and its LineItems from their keyword constructors, then publish."""
    pub, order, topic = _herald_e2e_publisher(bench, "herald_avro_e2e", workload.ORDER_NAME)
    item, currency = workload.order_parts(order)
    pairs = repeat(
        list(zip(workload.order_values(bench.orders, currency), bench.order_keys, strict=True)),
        bench.events,
    )

    def body() -> None:
        publish = pub.publish
        for (oid, cid, seq, at, total, cur, coupon, lines, attrs), key in pairs:
            event = order(
                order_id=oid,
                customer_id=cid,
                sequence=seq,
                placed_at=at,
                total_amount=total,
                currency=cur,
                coupon_code=coupon,
                items=[item(sku=sku, quantity=qty, unit_price=price) for sku, qty, price in lines],
                attributes=attrs,
            )
            publish(event, key=key, topic=topic)

    return _timed_herald(bench, pub, len(pairs), _avro_size(bench), body)


def _batch_e2e_path(name: str, *, stream: bool) -> Callable[[Bench], Measured]:
    """A chunk of BATCH events from their keyword constructors, then one publish_many.

    ``stream=False`` builds each chunk as a list first; ``stream=True`` hands publish_many a
    generator of the same constructors, so each event is built as it is queued.
    """

    def path(bench: Bench) -> Measured:
        pub, order, topic = _herald_e2e_publisher(bench, name, workload.ORDER_NAME)
        item, currency = workload.order_parts(order)
        values = repeat(workload.order_values(bench.orders, currency), bench.events)
        keys = repeat(bench.order_keys, bench.events)
        chunks = [
            (values[i : i + BATCH], keys[i : i + BATCH]) for i in range(0, len(values), BATCH)
        ]

        def body() -> None:
            publish_many = pub.publish_many
            for chunk, chunk_keys in chunks:
                events = (
                    order(
                        order_id=oid,
                        customer_id=cid,
                        sequence=seq,
                        placed_at=at,
                        total_amount=total,
                        currency=cur,
                        coupon_code=coupon,
                        items=[item(sku=sku, quantity=qty, unit_price=p) for sku, qty, p in lines],
                        attributes=attrs,
                    )
                    for oid, cid, seq, at, total, cur, coupon, lines, attrs in chunk
                )
                publish_many(events if stream else list(events), keys=chunk_keys, topic=topic)

        return _timed_herald(bench, pub, len(values), _avro_size(bench), body)

    return path


def herald_avro_from_dict_e2e_path(bench: Bench) -> Measured:
    """OrderPlaced.from_dict of the wire-named dict (the serializer's input), then publish."""
    name = "herald_avro_from_dict_e2e"
    pub, order, topic = _herald_e2e_publisher(bench, name, workload.ORDER_NAME)
    pairs = repeat(list(zip(bench.orders, bench.order_keys, strict=True)), bench.events)

    def body() -> None:
        publish = pub.publish
        from_dict = order.from_dict
        for record, key in pairs:
            publish(from_dict(record), key=key, topic=topic)

    return _timed_herald(bench, pub, len(pairs), _avro_size(bench), body)


def confluent_avro_e2e_path(bench: Bench) -> Measured:
    """The dict built from the same values, AvroSerializer, Producer.produce (as (d))."""
    import json

    from confluent_kafka.schema_registry.avro import AvroSerializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    serializer = AvroSerializer(_registry(bench), json.dumps(workload.inline_order_schema()))
    topic = bench.topics.create("confluent_avro_e2e")
    context = SerializationContext(topic, MessageField.VALUE)

    def serialize(values: Any) -> bytes:
        oid, cid, seq, at, total, cur, coupon, lines, attrs = values
        record = {
            "order_id": oid,
            "customer_id": cid,
            "sequence": seq,
            "placed_at": at,
            "total_amount": total,
            "currency": cur,
            "coupon_code": coupon,
            "items": [
                {"sku": sku, "quantity": qty, "unit_price": price} for sku, qty, price in lines
            ],
            "attributes": attrs,
        }
        return serializer(record, context)  # type: ignore[no-any-return]

    return _producer_path(
        bench,
        topic,
        records=workload.order_values(bench.orders, str),
        keys=bench.order_keys,
        serialize=serialize,
        size=_avro_size(bench),
        poll_each=True,
    )


def herald_protobuf_e2e_path(bench: Bench) -> Measured:
    """PaymentAuthorized and its Money from their keyword constructors, then publish."""
    pub, payment, topic = _herald_e2e_publisher(bench, "herald_protobuf_e2e", workload.PAYMENT_NAME)
    money, method = workload.payment_parts(payment)
    values = workload.payment_values(bench.payments, method.__getitem__)
    pairs = repeat(list(zip(values, bench.payment_keys, strict=True)), bench.events)
    size = _mean_size(
        bench.payment_keys,
        [b"\0" * 6 + e.encode() for e in workload.typed_events(payment, bench.payments)],
    )

    def body() -> None:
        publish = pub.publish
        for (pid, oid, code, minor, how, at, meta), key in pairs:
            event = payment(
                payment_id=pid,
                order_id=oid,
                amount=money(currency_code=code, amount_minor=minor),
                method=how,
                authorized_at=at,
                metadata=meta,
            )
            publish(event, key=key, topic=topic)

    return _timed_herald(bench, pub, len(pairs), size, body)


def confluent_protobuf_e2e_path(bench: Bench) -> Measured:
    """The protoc message built from the same values, ProtobufSerializer, produce (as (g))."""
    from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    pb2 = bench.protobuf_module()
    topic = bench.topics.create("confluent_protobuf_e2e")
    bench.topics.subjects += [f"{topic}-{name}" for name in workload.PAYMENT_PROTOS]
    serializer = ProtobufSerializer(
        pb2.PaymentAuthorized,
        _registry(bench),
        {
            "use.deprecated.format": False,
            "reference.subject.name.strategy": lambda _ctx, dep: f"{topic}-{dep.name}",
        },
    )
    context = SerializationContext(topic, MessageField.VALUE)
    message_cls = pb2.PaymentAuthorized

    def serialize(values: Any) -> bytes:
        pid, oid, code, minor, how, at, meta = values
        message = message_cls(payment_id=pid, order_id=oid, method=how, metadata=meta)
        message.amount.currency_code = code
        message.amount.amount_minor = minor
        message.authorized_at.FromDatetime(at)
        return serializer(message, context)  # type: ignore[no-any-return]

    messages = workload.payment_messages(pb2, bench.payments)
    framed = [b"\0" * 6 + message.SerializeToString() for message in messages]
    return _producer_path(
        bench,
        topic,
        records=workload.payment_values(bench.payments, pb2.PaymentMethod.Value),
        keys=bench.payment_keys,
        serialize=serialize,
        size=_mean_size(bench.payment_keys, framed),
        poll_each=True,
    )


def _tracing_path(mode: str) -> Callable[[Bench], Measured]:
    """(b) with tracing absent, off or on; the publisher decides once, when it is built."""

    def build(bench: Bench) -> Measured:
        def path(tracing: Any) -> Measured:
            return _herald_path(
                bench,
                f"herald_avro_tracing_{mode}",
                workload.ORDER_NAME,
                bench.orders,
                bench.order_keys,
                tracing=tracing,
            )

        if mode == "absent":
            saved = sys.modules.get("opentelemetry")
            sys.modules["opentelemetry"] = None  # type: ignore[assignment]  # import fails
            try:
                return path(None)
            finally:
                if saved is None:
                    del sys.modules["opentelemetry"]
                else:
                    sys.modules["opentelemetry"] = saved
        if mode == "off":
            return path(None)  # no SDK tracer provider is set in this process
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import (
            BatchSpanProcessor,
            SpanExporter,
            SpanExportResult,
        )

        class Discard(SpanExporter):
            """Exports nowhere: the cost measured is herald's spans, not a collector's."""

            def export(self, spans: Any) -> SpanExportResult:
                return SpanExportResult.SUCCESS

        provider = TracerProvider()
        provider.add_span_processor(BatchSpanProcessor(Discard()))
        return path(provider)

    return build


#: Path name → builder, in report order.
BUILDERS: dict[str, Callable[[Bench], Measured]] = {
    "raw": raw_path,
    "herald_avro_e2e": herald_avro_e2e_path,
    "herald_avro_batch_e2e": _batch_e2e_path("herald_avro_batch_e2e", stream=False),
    "herald_avro_stream_e2e": _batch_e2e_path("herald_avro_stream_e2e", stream=True),
    "herald_avro_from_dict_e2e": herald_avro_from_dict_e2e_path,
    "confluent_avro_e2e": confluent_avro_e2e_path,
    "herald_protobuf_e2e": herald_protobuf_e2e_path,
    "confluent_protobuf_e2e": confluent_protobuf_e2e_path,
    "herald_avro": herald_avro_path,
    "herald_avro_batch": herald_avro_batch_path,
    "confluent_avro": confluent_avro_path,
    "confluent_avro_serializing_producer": serializing_producer_path,
    "herald_protobuf": herald_protobuf_path,
    "confluent_protobuf": confluent_protobuf_path,
    "preset_safe": preset_path("safe"),
    "preset_throughput": preset_path("throughput"),
    "preset_no_batching": no_batching_path,
    "herald_avro_tracing_absent": _tracing_path("absent"),
    "herald_avro_tracing_off": _tracing_path("off"),
    "herald_avro_tracing_on": _tracing_path("on"),
}


@dataclass
class Outcome:
    """What :func:`run` measured, and which paths could not be measured, with why."""

    interleaved: Interleaved
    skipped: dict[str, str]
    events: int
    rounds: int


def run(
    events: int,
    rounds: int,
    *,
    only: Sequence[str] | None = None,
    connection: Connection | None = None,
    log: Callable[[str], None] = print,
) -> Outcome:
    """Build every path (skipping those that cannot be built), then run interleaved rounds."""
    connection = connection or Connection.from_env()
    run_id = uuid.uuid4().hex[:10]
    names = [name for name in BUILDERS if only is None or name in only]
    skipped: dict[str, str] = {}
    built: dict[str, Measured] = {}
    with tempfile.TemporaryDirectory(prefix="herald-bench-") as tmp:
        topics = Topics(connection, run_id)
        bench = Bench(connection, events, topics, Path(tmp))
        try:
            for name in names:
                try:
                    built[name] = BUILDERS[name](bench)
                except Exception as exc:
                    skipped[name] = f"{type(exc).__name__}: {exc}"
                    log(f"bench: {name} not measured: {skipped[name]}")

            def report(name: str, index: int, sample: Sample) -> None:
                log(
                    f"bench: round {index + 1}/{rounds} {name:<36} "
                    f"{sample.msgs_per_s:>11,.0f} msgs/s  delivered {sample.delivered:,}"
                    f"/{sample.attempted:,}"
                )

            result = interleave(
                {name: path.run for name, path in built.items()}, rounds, on_sample=report
            )
            for name, error in result.errors.items():
                skipped[name] = error
                log(f"bench: {name} failed: {error}")
        finally:
            for path in built.values():
                try:
                    path.close()
                except Exception as exc:
                    log(f"bench: closing a path failed: {exc}")
            topics.delete_all()
    return Outcome(result, skipped, events, rounds)


def main() -> None:
    """Run the publish paths alone (``BENCH_EVENTS``, ``BENCH_ROUNDS``, ``BENCH_PATHS``)."""
    from benchmarks.harness import ratio

    events = int(os.environ.get("BENCH_EVENTS", "20000"))
    rounds = int(os.environ.get("BENCH_ROUNDS", "5"))
    only = [p for p in os.environ.get("BENCH_PATHS", "").split(",") if p] or None
    outcome = run(events, rounds, only=only)
    summaries = outcome.interleaved.summaries()
    for name, summary in summaries.items():
        base = summaries.get(BASELINES[name])
        vs = ratio(summary, base)
        print(
            f"{name:<36} {summary.msgs_per_s_median:>11,.0f} msgs/s "
            f"[{summary.msgs_per_s_min:,.0f}..{summary.msgs_per_s_max:,.0f}] "
            f"vs {BASELINES[name]}: {vs if vs is None else round(vs, 2)}"
        )


if __name__ == "__main__":
    main()
