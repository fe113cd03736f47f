"""What building and encoding one event costs, herald beside what confluent-kafka users write.

The end-to-end paths of ``bench_publish`` build every event inside the clock; this script
prices the parts of that work in one process, without a broker, so the e2e ratios can be read
part by part. For the orders record (``OrderPlaced`` with two ``LineItem`` records and a map)
and the payments message (``PaymentAuthorized`` with its ``Money``), from the same field values
(:func:`benchmarks.workload.order_values`, :func:`~benchmarks.workload.payment_values`):

- herald: the keyword constructor (nested records included), ``from_dict`` of the wire-named
  dict, ``encode()`` of a built event, and constructor + ``encode()``;
- confluent-kafka: building the dict (or the protoc message), the serializer alone on a built
  one, and both together. The serializers use the in-process ``mock://`` registry client, so
  no network round trip is in their figures (they cache the schema id after the first call
  either way).

Rounds are interleaved; each figure is the best round's CPU time per event (process time, so
other processes on a shared machine inflate it less than wall time). ``--generated DIR`` times
a package generated earlier (by another herald version) instead of generating one now, so an
older generator's output can be priced the same way. Prints a table, then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks import workload

#: Events per timed call of a path: the workload's distinct records, cycled.
EVENTS = 1_000


def _best_us(runs: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    """Best of ``rounds`` interleaved rounds per path, in CPU µs per event."""
    best = dict.fromkeys(runs, float("inf"))
    for index in range(rounds):
        names = list(runs) if index % 2 == 0 else list(reversed(runs))
        for name in names:
            seconds = timeit.Timer(runs[name], timer=time.process_time).timeit(number=1)
            best[name] = min(best[name], seconds)
    return {name: seconds * 1e6 / EVENTS for name, seconds in best.items()}


def _classes(full_name: str, generated: Path | None, workdir: Path) -> type[Any]:
    if generated is None:
        return workload.generate_events(full_name, workdir)
    package = "herald_" + full_name.rsplit(".", 1)[-1].lower()
    sys.path.insert(0, str(generated))
    types: dict[str, type[Any]] = __import__(package).TYPES
    return types[full_name]


def avro_runs(order: type[Any]) -> dict[str, Callable[[], object]]:
    """The Avro parts, each over EVENTS orders."""
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.avro import AvroSerializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    item, currency = workload.order_parts(order)
    records = workload.order_records(EVENTS)
    natives = workload.order_values(records, currency)
    plain = workload.order_values(records, str)
    built = [order.from_dict(r) for r in records]
    client = SchemaRegistryClient.new_client({"url": "mock://herald-bench-build"})
    serializer = AvroSerializer(client, json.dumps(workload.inline_order_schema()))
    context = SerializationContext("orders", MessageField.VALUE)

    def construct() -> list[Any]:
        return [
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
            for oid, cid, seq, at, total, cur, coupon, lines, attrs in natives
        ]

    def build_dicts() -> list[dict[str, Any]]:
        return [
            {
                "order_id": oid,
                "customer_id": cid,
                "sequence": seq,
                "placed_at": at,
                "total_amount": total,
                "currency": cur,
                "coupon_code": coupon,
                "items": [{"sku": sku, "quantity": qty, "unit_price": p} for sku, qty, p in lines],
                "attributes": attrs,
            }
            for oid, cid, seq, at, total, cur, coupon, lines, attrs in plain
        ]

    dicts = build_dicts()
    serializer(dicts[0], context)
    if serializer(dicts[0], context)[5:] != built[0].encode():
        raise SystemExit("bench_build: herald and AvroSerializer disagree on the bytes")
    return {
        "herald constructor": construct,
        "herald from_dict": lambda: [order.from_dict(r) for r in records],
        "herald encode()": lambda: [e.encode() for e in built],
        "herald constructor + encode()": lambda: [e.encode() for e in construct()],
        "dict build": build_dicts,
        "AvroSerializer(dict)": lambda: [serializer(d, context) for d in dicts],
        "dict build + AvroSerializer": lambda: [serializer(d, context) for d in build_dicts()],
    }


def protobuf_runs(payment: type[Any], workdir: Path) -> dict[str, Callable[[], object]]:
    """The Protobuf parts, each over EVENTS payments."""
    from confluent_kafka.schema_registry import SchemaRegistryClient
    from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
    from confluent_kafka.serialization import MessageField, SerializationContext

    money, method = workload.payment_parts(payment)
    records = workload.payment_records(EVENTS)
    natives = workload.payment_values(records, method.__getitem__)
    built = [payment.from_dict(r) for r in records]
    pb2 = sys.modules[payment.__module__]._h_pb
    message_cls = pb2.PaymentAuthorized
    values = workload.payment_values(records, pb2.PaymentMethod.Value)
    client = SchemaRegistryClient.new_client({"url": "mock://herald-bench-build-pb"})
    serializer = ProtobufSerializer(message_cls, client, {"use.deprecated.format": False})
    context = SerializationContext("payments", MessageField.VALUE)
    del workdir

    def construct() -> list[Any]:
        return [
            payment(
                payment_id=pid,
                order_id=oid,
                amount=money(currency_code=code, amount_minor=minor),
                method=how,
                authorized_at=at,
                metadata=meta,
            )
            for pid, oid, code, minor, how, at, meta in natives
        ]

    def build_messages() -> list[Any]:
        messages = []
        for pid, oid, code, minor, how, at, meta in values:
            message = message_cls(payment_id=pid, order_id=oid, method=how, metadata=meta)
            message.amount.currency_code = code
            message.amount.amount_minor = minor
            message.authorized_at.FromDatetime(at)
            messages.append(message)
        return messages

    messages = build_messages()
    serializer(messages[0], context)
    return {
        "herald constructor": construct,
        "herald from_dict": lambda: [payment.from_dict(r) for r in records],
        "herald encode()": lambda: [e.encode() for e in built],
        "herald constructor + encode()": lambda: [e.encode() for e in construct()],
        "protoc message build": build_messages,
        "ProtobufSerializer(message)": lambda: [serializer(m, context) for m in messages],
        "message build + ProtobufSerializer": lambda: [
            serializer(m, context) for m in build_messages()
        ],
    }


def main(argv: list[str] | None = None) -> int:
    """Time both formats' parts, print the table, then the JSON figures on the last line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--generated", type=Path, default=None)
    args = parser.parse_args(argv)
    figures: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="herald-bench-build-") as tmp:
        workdir = Path(tmp)
        order = _classes(workload.ORDER_NAME, args.generated, workdir)
        figures["avro"] = _best_us(avro_runs(order), args.rounds)
        payment = _classes(workload.PAYMENT_NAME, args.generated, workdir)
        figures["protobuf"] = _best_us(protobuf_runs(payment, workdir), args.rounds)
    print(f"building and encoding one event, CPU µs per event, best of {args.rounds} rounds:")
    for section, title in (("avro", "OrderPlaced (Avro)"), ("protobuf", "PaymentAuthorized")):
        print(f"  {title}")
        for name, value in figures[section].items():
            print(f"    {name:36} {value:6.2f} µs")
    avro, pb = figures["avro"], figures["protobuf"]
    ratios = {
        "avro_build_encode_ratio": avro["dict build + AvroSerializer"]
        / avro["herald constructor + encode()"],
        "protobuf_build_encode_ratio": pb["message build + ProtobufSerializer"]
        / pb["herald constructor + encode()"],
    }
    for name, value in ratios.items():
        print(f"  {name.replace('_', ' ')}: {value:.2f}x (theirs / herald's)")
    print(json.dumps({"us_per_event": figures, **{k: round(v, 3) for k, v in ratios.items()}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
