"""Side-by-side consume paths on the real broker and registry: typed events against dicts.

One topic (6 partitions) is filled once, before any clock starts, with ``events`` OrderPlaced
records framed with the id of the schema in schemas/ (v1), as a producer on that version
writes them. Every path reads those same records, all partitions from offset 0 with a fresh
consumer per round (``assign``: no group join inside the clock), until it has ``events``
decoded values. :func:`benchmarks.harness.interleave` runs the rounds A B C, rotating the order.

- ``herald_avro_consume``: ``TypedConsumer.take`` with the v1 class (same version);
- ``herald_avro_consume_evolved``: ``TypedConsumer.take`` with a v2 class (v1 plus a nullable
  field with a default), so every record goes through schema resolution;
- ``confluent_avro_consume``: ``DeserializingConsumer.poll`` with ``AvroDeserializer`` given the
  same v2 schema as its reader schema (confluent-kafka's ``avro_consumer.py`` example), which
  resolves each record with fastavro and returns a dict.

herald returns typed, validated events; the confluent path returns plain dicts (its cheapest
documented use), so the ratios against it are conservative.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from benchmarks import workload
from benchmarks.bench_publish import PARTITIONS, Connection, Outcome, Topics
from benchmarks.harness import Sample, interleave

#: Seconds a round may take to read every record before it counts what it got.
READ_TIMEOUT_S = 120.0
#: The field v2 adds to OrderPlaced: a nullable field with a default, the commonest evolution.
ADDED_FIELD = {"name": "channel", "type": ["null", "string"], "default": None}

DESCRIPTIONS: dict[str, str] = {
    "herald_avro_consume": "consume: TypedConsumer.take, same-version records",
    "herald_avro_consume_evolved": "consume: TypedConsumer.take, v1 records read by the v2 class",
    "confluent_avro_consume": "consume: DeserializingConsumer + AvroDeserializer (v2 reader)",
}
BASELINES: dict[str, str] = dict.fromkeys(DESCRIPTIONS, "confluent_avro_consume")


class Records:
    """The filled topic, the two generated versions and the v2 schema text."""

    def __init__(self, connection: Connection, topics: Topics, events: int, workdir: Path) -> None:
        self.connection = connection
        self.events = events
        self.v1 = _generate(workdir, "herald_consume_v1", None)
        self.v2 = _generate(workdir, "herald_consume_v2", ADDED_FIELD)
        schema = workload.inline_order_schema()
        self.v2_schema = json.dumps({**schema, "fields": [*schema["fields"], ADDED_FIELD]})
        self.topic = topics.create("consume")
        self.size = self._fill()

    def _fill(self) -> float:
        """Publish ``events`` v1 records with herald's publisher (outside every clock)."""
        from publisher import Publisher

        workload.register_references(_registry(self.connection), workload.ORDER_NAME)
        events = workload.typed_events(self.v1, workload.order_records())
        keys = workload.record_keys(workload.order_records(), "order_id")
        with Publisher(
            self.connection.bootstrap_servers, self.connection.registry_url, auto_register=True
        ) as pub:
            for i in range(0, self.events, 10_000):
                chunk = range(i, min(i + 10_000, self.events))
                batch = pub.publish_many(
                    [events[j % len(events)] for j in chunk],
                    keys=[keys[j % len(keys)] for j in chunk],
                    topic=self.topic,
                )
                batch.result(timeout=120)
        return sum(len(e.encode()) + 5 for e in events) / len(events)

    def assignment(self) -> list[Any]:
        from confluent_kafka import TopicPartition

        return [TopicPartition(self.topic, p, 0) for p in range(PARTITIONS)]

    def settings(self) -> dict[str, Any]:
        return {
            "bootstrap.servers": self.connection.bootstrap_servers,
            "group.id": f"bench-consume-{uuid.uuid4().hex[:8]}",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
        }


def _registry(connection: Connection) -> Any:
    from confluent_kafka.schema_registry import SchemaRegistryClient

    return SchemaRegistryClient({"url": connection.registry_url})


def _generate(workdir: Path, package: str, added: dict[str, Any] | None) -> type[Any]:
    """The OrderPlaced class generated from schemas/ (with ``added`` appended, for v2)."""
    from codegen.catalog import load_catalog
    from codegen.generate import generate_files, write_package

    schemas = workdir / f"{package}_schemas"
    shutil.copytree(workload.SCHEMAS / "com", schemas / "com")
    if added is not None:
        path = schemas / "com" / "acme" / "orders" / "order_placed.avsc"
        schema = json.loads(path.read_text())
        path.write_text(json.dumps({**schema, "fields": [*schema["fields"], added]}))
    write_package(generate_files(load_catalog([schemas]), package), workdir / package)
    if str(workdir) not in sys.path:
        sys.path.insert(0, str(workdir))
    module = __import__(package)
    cls: type[Any] = module.TYPES[workload.ORDER_NAME]
    return cls


def _herald_round(records: Records, cls: type[Any]) -> Callable[[], Sample]:
    from publisher import TypedConsumer
    from publisher.registry import SchemaResolver

    resolver = SchemaResolver(records.connection.registry_url)

    def run() -> Sample:
        settings = records.settings()
        consumer = TypedConsumer(
            settings.pop("bootstrap.servers"),
            settings.pop("group.id"),
            [cls],
            resolver=resolver,
            config=settings,
        )
        consumer.consumer.assign(records.assignment())
        got = 0
        began = time.perf_counter()
        deadline = began + READ_TIMEOUT_S
        while got < records.events and time.perf_counter() < deadline:
            got += len(consumer.take(min(10_000, records.events - got), timeout=5.0))
        seconds = time.perf_counter() - began
        consumer.close()
        return Sample(records.events, got, int(got * records.size), seconds)

    return run


def _confluent_round(records: Records) -> Callable[[], Sample]:
    from confluent_kafka import DeserializingConsumer
    from confluent_kafka.schema_registry.avro import AvroDeserializer

    deserializer = AvroDeserializer(_registry(records.connection), records.v2_schema)

    def run() -> Sample:
        consumer = DeserializingConsumer({**records.settings(), "value.deserializer": deserializer})
        consumer.assign(records.assignment())
        got = 0
        began = time.perf_counter()
        deadline = began + READ_TIMEOUT_S
        poll = consumer.poll
        while got < records.events and time.perf_counter() < deadline:
            msg = poll(1.0)
            if msg is not None and msg.error() is None and msg.value() is not None:
                got += 1
        seconds = time.perf_counter() - began
        consumer.close()
        return Sample(records.events, got, int(got * records.size), seconds)

    return run


def run(
    events: int,
    rounds: int,
    *,
    only: Sequence[str] | None = None,
    connection: Connection | None = None,
    log: Callable[[str], None] = print,
) -> Outcome:
    """Fill the topic once, then run the consume paths in interleaved rounds."""
    connection = connection or Connection.from_env()
    names = [name for name in DESCRIPTIONS if only is None or name in only]
    skipped: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="herald-bench-consume-") as tmp:
        topics = Topics(connection, uuid.uuid4().hex[:10])
        try:
            records = Records(connection, topics, events, Path(tmp))
            builders: dict[str, Callable[[], Callable[[], Sample]]] = {
                "herald_avro_consume": lambda: _herald_round(records, records.v1),
                "herald_avro_consume_evolved": lambda: _herald_round(records, records.v2),
                "confluent_avro_consume": lambda: _confluent_round(records),
            }
            built = {name: builders[name]() for name in names}

            def report(name: str, index: int, sample: Sample) -> None:
                log(
                    f"bench: round {index + 1}/{rounds} {name:<36} "
                    f"{sample.msgs_per_s:>11,.0f} msgs/s  read {sample.delivered:,}"
                    f"/{sample.attempted:,}"
                )

            result = interleave(built, rounds, on_sample=report)
            for name, error in result.errors.items():
                skipped[name] = error
                log(f"bench: {name} failed: {error}")
        finally:
            topics.delete_all()
    return Outcome(result, skipped, events, rounds)


def main() -> None:
    """Run the consume paths alone (``BENCH_EVENTS``, ``BENCH_ROUNDS``, ``BENCH_PATHS``)."""
    from benchmarks.harness import ratio

    events = int(os.environ.get("BENCH_EVENTS", "20000"))
    rounds = int(os.environ.get("BENCH_ROUNDS", "5"))
    only = [p for p in os.environ.get("BENCH_PATHS", "").split(",") if p] or None
    summaries = run(events, rounds, only=only).interleaved.summaries()
    for name, summary in summaries.items():
        vs = ratio(summary, summaries.get(BASELINES[name]))
        print(
            f"{name:<36} {summary.msgs_per_s_median:>11,.0f} msgs/s "
            f"[{summary.msgs_per_s_min:,.0f}..{summary.msgs_per_s_max:,.0f}] "
            f"vs {BASELINES[name]}: {vs if vs is None else round(vs, 2)}"
        )


if __name__ == "__main__":
    main()
