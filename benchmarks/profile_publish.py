"""Where herald's publish time goes: a cost breakdown per message and a cProfile of ``publish``.

Two views of the same path (``Publisher.publish`` of the typed order event, safe preset):

1. Components timed in isolation, best of several repeats (µs per message):
   ``event.encode()``; ``publish()`` over a producer stub that only counts calls (so the
   Python work of publish — route lookup, framing, size check, the future — without
   librdkafka); constructing a ``DeliveryFuture`` and resolving it with a real
   ``confluent_kafka.Message``, as the poll thread does per delivery; and
   ``Producer.produce`` of the same pre-framed bytes plus flush on the real broker, with a
   counting callback and with a ``DeliveryFuture`` per message.
2. ``cProfile`` of the publish loop over the real producer, top functions by own time, each
   with its share of the profiled total (the poll thread's callbacks are not in this view;
   part 1 prices them).

Prints one JSON object (for ``report.py``) after a human-readable breakdown.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import sys
import tempfile
import time
import timeit
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import workload
from benchmarks.bench_publish import Connection, Delivered, Topics, repeat
from benchmarks.harness import round_order

REPEATS = 5


class _CountingProducer:
    """Stands in for confluent_kafka.Producer: takes the produce call and does nothing else."""

    def __init__(self) -> None:
        self.calls = 0

    def produce(self, *args: Any, **kwargs: Any) -> None:
        self.calls += 1

    def poll(self, timeout: float = 0) -> int:
        return 0

    def flush(self, timeout: float = 0) -> int:
        return 0

    def purge(self) -> None:
        return None

    def __len__(self) -> int:
        return 0


def _best_us(run: Callable[[], object], count: int) -> float:
    """Best of REPEATS runs of ``run`` (which handles ``count`` messages), in µs per message."""
    return min(timeit.repeat(run, number=1, repeat=REPEATS)) * 1e6 / count


def _interleaved_best_us(runs: dict[str, Callable[[], object]], count: int) -> dict[str, float]:
    """Best of REPEATS rounds of every run, in rotating order, in µs per message.

    Interleaving keeps a busy moment of the shared machine from landing on one component.
    """
    best = dict.fromkeys(runs, float("inf"))
    for index in range(REPEATS):
        for name in round_order(list(runs), index):
            began = time.perf_counter()
            runs[name]()
            best[name] = min(best[name], time.perf_counter() - began)
    return {name: seconds * 1e6 / count for name, seconds in best.items()}


def _produce_run(
    producer: Any,
    topic: str,
    pairs: list[tuple[Any, bytes]],
    make_value: Callable[[Any], bytes],
    callback: Callable[[], Any],
) -> Callable[[], None]:
    """Produce every pair (value made by ``make_value``) with ``callback()``'s callable, flush."""
    produce = producer.produce

    def run() -> None:
        for item, key in pairs:
            value = make_value(item)
            on_delivery = callback()
            while True:
                try:
                    produce(topic, value, key, on_delivery=on_delivery)
                    break
                except BufferError:
                    producer.poll(0.01)
        producer.flush(60.0)

    return run


def _publish_loop(pub: Any, pairs: list[tuple[Any, bytes]], topic: str) -> Callable[[], None]:
    publish = pub.publish

    def publish_loop() -> None:
        for event, key in pairs:
            publish(event, key=key, topic=topic)

    return publish_loop


def _stubbed(pub: Any, run: Callable[[], None], stub: _CountingProducer) -> Callable[[], None]:
    """``run`` with the publisher's producer (and the bound produce it may keep) stubbed."""
    names = [name for name in ("_producer", "_produce") if name in vars(pub)]

    def stubbed() -> None:
        saved = {name: vars(pub)[name] for name in names}
        for name in names:
            setattr(pub, name, stub if name == "_producer" else stub.produce)
        try:
            run()
        finally:
            for name, value in saved.items():
                setattr(pub, name, value)

    return stubbed


def _component_costs(
    pub: Any, pairs: list[tuple[Any, bytes]], topic: str, connection: Connection
) -> dict[str, float]:
    """µs per message of each part of the publish path, timed on its own, interleaved."""
    from confluent_kafka import Message, Producer

    from publisher.config import PRESETS
    from publisher.futures import DeliveryFuture, Tally

    count = len(pairs)
    tally = Tally()
    message = Message(topic=topic, partition=1, offset=42, timestamp=(1, 1_700_000_000_000))

    def future_cycle() -> None:
        for _ in range(count):
            DeliveryFuture(tally)(None, message)

    producer = Producer({**PRESETS["safe"], "bootstrap.servers": connection.bootstrap_servers})
    header = b"\x00" + (1).to_bytes(4, "big")
    framed = {id(e): header + e.encode() for e, _ in pairs}
    counter = Delivered()
    stub = _CountingProducer()
    publish_loop = _publish_loop(pub, pairs, topic)

    def publish_total() -> None:
        publish_loop()
        pub.flush(60.0)

    runs: dict[str, Callable[[], object]] = {
        "publish_total": publish_total,
        "encode": lambda: [e.encode() for e, _ in pairs],
        "publish_python": _stubbed(pub, publish_loop, stub),
        "future_create_and_resolve": future_cycle,
        "produce_flush_counter": _produce_run(
            producer, topic, pairs, lambda e: framed[id(e)], lambda: counter
        ),
        "produce_flush_future": _produce_run(
            producer, topic, pairs, lambda e: framed[id(e)], lambda: DeliveryFuture(tally)
        ),
        "floor_encode_produce_counter": _produce_run(
            producer, topic, pairs, lambda e: header + e.encode(), lambda: counter
        ),
    }
    costs = _interleaved_best_us(runs, count)
    if stub.calls != count * REPEATS:  # some calls bypassed the stub: the figure means nothing
        del costs["publish_python"]
    return costs


def _profile_top(profiler: cProfile.Profile, limit: int = 12) -> tuple[list[dict[str, Any]], float]:
    """The functions with the most own time, each with its share of the profiled total."""
    entries = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    total = sum(own for (_cc, _nc, own, _cum, _callers) in entries.values()) or 1.0
    top = sorted(entries.items(), key=lambda item: item[1][2], reverse=True)[:limit]
    rows = [
        {
            "function": f"{Path(file).name}:{line}({name})",
            "calls": calls,
            "own_s": round(own, 4),
            "share": round(own / total, 3),
        }
        for (file, line, name), (_cc, calls, own, _cum, _callers) in top
    ]
    return rows, total


def protobuf_costs(count: int, workdir: Path) -> dict[str, Any]:
    """PaymentAuthorized: what herald's class, the protoc message and the serializer cost.

    The build costs start from the same plain records for both: herald's ``from_dict`` (which
    checks every value and builds the protoc message the event holds) and the protoc message
    built field by field as ``ProtobufSerializer`` users do.
    """
    from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    cls = workload.generate_events(workload.PAYMENT_NAME, workdir)
    out = workdir / "pb2"
    out.mkdir(exist_ok=True)
    pb2 = workload.compile_protos(out)
    records = workload.payment_records()
    typed = repeat(workload.typed_events(cls, records), count)
    messages = repeat(workload.payment_messages(pb2, records), count)
    from confluent_kafka.schema_registry import SchemaRegistryClient

    # confluent-kafka's in-process registry: the serializer's cost without network round trips.
    serializer = ProtobufSerializer(
        pb2.PaymentAuthorized,
        SchemaRegistryClient.new_client({"url": "mock://herald-profile"}),
        {"use.deprecated.format": False},
    )
    context = SerializationContext("t", MessageField.VALUE)
    costs = {
        "herald_encode": _best_us(lambda: [e.encode() for e in typed], count),
        "pb2_serialize": _best_us(lambda: [m.SerializeToString() for m in messages], count),
    }
    serializer(messages[0], context)
    costs["protobuf_serializer"] = _best_us(
        lambda: [serializer(m, context) for m in messages], count
    )
    rows_in = repeat(records, count)
    sample = typed[0]
    money, method = type(sample.amount), type(sample.method)
    natives = [
        (r["payment_id"], r["order_id"], r["amount"], method[r["method"]], r["authorized_at"])
        for r in rows_in
    ]
    costs["herald_construct"] = _best_us(
        lambda: [
            cls(
                payment_id=p,
                order_id=o,
                amount=money(currency_code=a["currency_code"], amount_minor=a["amount_minor"]),
                method=m,
                authorized_at=t,
                metadata={"provider": "acme-pay", "reference": p},
            )
            for p, o, a, m, t in natives
        ],
        count,
    )
    costs["herald_build"] = _best_us(lambda: [cls.from_dict(r) for r in rows_in], count)
    costs["pb2_build"] = _best_us(lambda: workload.payment_messages(pb2, rows_in), count)
    profiler = cProfile.Profile()
    profiler.enable()
    for event in typed:
        event.encode()
    profiler.disable()
    rows, total = _profile_top(profiler, 10)
    return {
        "costs_us": {k: round(v, 2) for k, v in costs.items()},
        "profile_top": rows,
        "profiled_total_s": round(total, 3),
    }


def measure(count: int, connection: Connection) -> dict[str, Any]:
    """Time the components and profile the publish loop; returns the figures."""
    from confluent_kafka.schema_registry import SchemaRegistryClient

    from publisher import Publisher

    topics = Topics(connection, uuid.uuid4().hex[:10])
    with tempfile.TemporaryDirectory(prefix="herald-profile-") as tmp:
        cls = workload.generate_events(workload.ORDER_NAME, Path(tmp))
        workload.register_references(
            SchemaRegistryClient({"url": connection.registry_url}), workload.ORDER_NAME
        )
        records = workload.order_records()
        events = workload.typed_events(cls, records)
        keys = workload.record_keys(records, "order_id")
        pairs = repeat(list(zip(events, keys, strict=True)), count)
        topic = topics.create("profile")
        pub = Publisher(connection.bootstrap_servers, connection.registry_url, auto_register=True)
        try:
            pub.preload(cls, topics=[topic])
            costs = _component_costs(pub, pairs, topic, connection)
            publish_loop = _publish_loop(pub, pairs, topic)
            profiler = cProfile.Profile()
            profiler.enable()
            publish_loop()
            profiler.disable()
            pub.flush(60.0)
        finally:
            pub.close(10.0)
            topics.delete_all()
    profile, total = _profile_top(profiler)
    return {
        "events": count,
        "costs_us": {name: round(value, 2) for name, value in costs.items()},
        "profile_top": profile,
        "profiled_total_s": round(total, 3),
    }


def render(figures: dict[str, Any]) -> str:
    """The breakdown as text lines (``label  value µs/msg``), then the profile table."""
    costs = figures["costs_us"]
    total = costs["publish_total"] or 1.0
    lines = [f"herald publish, {figures['events']:,} typed orders, best of {REPEATS}:"]
    labels = {
        "publish_total": "publish + flush, real broker",
        "encode": "event.encode()",
        "publish_python": "publish() Python work incl. encode, stub producer",
        "future_create_and_resolve": "DeliveryFuture create + resolve",
        "produce_flush_counter": "produce + flush, counting callback",
        "produce_flush_future": "produce + flush, DeliveryFuture callback",
        "floor_encode_produce_counter": "encode + frame + produce + flush, counting callback",
    }
    for key, label in labels.items():
        if key not in costs:
            lines.append(f"  {label:<52}    n/a")
            continue
        share = costs[key] / total
        lines.append(f"  {label:<52} {costs[key]:6.2f} µs/msg ({share:.0%} of publish_total)")
    lines.append("cProfile of the publish loop (main thread), by own time:")
    for row in figures["profile_top"]:
        lines.append(f"  {row['share']:6.1%}  {row['calls']:>9,}  {row['function']}")
    protobuf = figures.get("protobuf")
    if protobuf:
        lines.append(f"Protobuf PaymentAuthorized encode and build, best of {REPEATS}:")
        names = {
            "herald_encode": "herald event.encode()",
            "pb2_serialize": "protoc message SerializeToString()",
            "protobuf_serializer": "ProtobufSerializer(message, ctx)",
            "herald_construct": "herald event from its keyword constructor",
            "herald_build": "herald event from a record (from_dict)",
            "pb2_build": "protoc message from a record",
        }
        for key, value in protobuf["costs_us"].items():
            lines.append(f"  {names.get(key, key):<52} {value:6.2f} µs/msg")
        lines.append("cProfile of herald's Protobuf encode, by own time:")
        for row in protobuf["profile_top"]:
            lines.append(f"  {row['share']:6.1%}  {row['calls']:>9,}  {row['function']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Measure, print the breakdown, then the JSON figures on the last line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=50_000)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    figures = measure(args.events, Connection.from_env())
    try:
        with tempfile.TemporaryDirectory(prefix="herald-profile-pb-") as tmp:
            figures["protobuf"] = protobuf_costs(min(args.events, 20_000), Path(tmp))
    except Exception as exc:
        print(f"profile: Protobuf part not measured: {exc}", file=sys.stderr)
    figures["seconds"] = round(time.perf_counter() - started, 1)
    print(render(figures))
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
