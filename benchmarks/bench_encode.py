"""Encode cost of a generated event class vs fastavro.schemaless_writer, side by side.

The record is a realistic ~9-field order (strings, long, double, enum, optional string, an
array of item records, timestamp-millis, map<string,string>). The script generates the
package into a temporary folder with ``herald codegen``'s library, then times, in interleaved
rounds within one process: ``obj.encode()`` on the generated object, and
``fastavro.schemaless_writer`` on the equivalent dict (into a reused BytesIO, its best case).
It checks both give the same bytes, and prints µs per message and the speed ratio.

Run: ``.venv/bin/python benchmarks/bench_encode.py [--rounds 7] [--number 20000]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import io
import json
import statistics
import sys
import tempfile
import timeit
from pathlib import Path
from typing import Any

import fastavro

from codegen.catalog import load_catalog
from codegen.generate import generate_files, write_package

ORDER_SCHEMA: dict[str, Any] = {
    "type": "record",
    "name": "OrderPlaced",
    "namespace": "bench.orders",
    "fields": [
        {"name": "order_id", "type": "string"},
        {"name": "customer_id", "type": "string"},
        {"name": "quantity", "type": "long"},
        {"name": "total", "type": "double"},
        {
            "name": "status",
            "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "PAID", "SHIPPED"]},
        },
        {"name": "note", "type": ["null", "string"], "default": None},
        {
            "name": "items",
            "type": {
                "type": "array",
                "items": {
                    "type": "record",
                    "name": "Item",
                    "fields": [
                        {"name": "sku", "type": "string"},
                        {"name": "qty", "type": "int"},
                        {"name": "price", "type": "double"},
                    ],
                },
            },
        },
        {"name": "created_at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "attributes", "type": {"type": "map", "values": "string"}},
    ],
}

ORDER: dict[str, Any] = {
    "order_id": "ord-7f3a9c2e-0001",
    "customer_id": "cust-004217",
    "quantity": 3,
    "total": 129.97,
    "status": "PAID",
    "note": "leave at the door",
    "items": [
        {"sku": "SKU-1001", "qty": 1, "price": 49.99},
        {"sku": "SKU-2002", "qty": 2, "price": 39.99},
    ],
    "created_at": dt.datetime(2026, 11, 27, 14, 30, 5, 123000, tzinfo=dt.UTC),
    "attributes": {"channel": "web", "region": "eu-west"},
}


def build_package(tmp: Path) -> Any:
    """Generate the order package into ``tmp/benchevents`` and import its OrderPlaced."""
    schemas = tmp / "schemas" / "bench" / "orders"
    schemas.mkdir(parents=True)
    (schemas / "order.avsc").write_text(json.dumps(ORDER_SCHEMA), encoding="utf-8")
    out = tmp / "benchevents"
    write_package(generate_files(load_catalog([tmp / "schemas"]), out.name), out)
    sys.path.insert(0, str(tmp))
    return importlib.import_module("benchevents.bench.orders").OrderPlaced


def main() -> None:
    """Time both paths in interleaved rounds and print the medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--number", type=int, default=20000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        order_cls = build_package(Path(tmp))
        obj = order_cls.from_dict(ORDER)
        parsed = fastavro.parse_schema(ORDER_SCHEMA)
        buf = io.BytesIO()

        def fastavro_encode() -> bytes:
            buf.seek(0)
            buf.truncate()
            fastavro.schemaless_writer(buf, parsed, ORDER)
            return buf.getvalue()

        generated_encode = obj.encode
        if generated_encode() != fastavro_encode():
            raise SystemExit("the generated encoder and fastavro disagree on the bytes")
        paths = {
            "generated obj.encode()": generated_encode,
            "fastavro.schemaless_writer": fastavro_encode,
        }
        times: dict[str, list[float]] = {name: [] for name in paths}
        for round_no in range(args.rounds):
            order = list(paths) if round_no % 2 == 0 else list(reversed(paths))
            for name in order:
                seconds = timeit.timeit(paths[name], number=args.number)
                times[name].append(seconds / args.number * 1e6)
        medians = {name: statistics.median(v) for name, v in times.items()}
        print(
            f"encode of a 9-field order record ({len(generated_encode())} bytes), "
            f"{args.rounds} interleaved rounds x {args.number} calls"
        )
        for name, value in medians.items():
            spread = f"{min(times[name]):.2f}-{max(times[name]):.2f}"
            print(f"  {name:28} {value:6.2f} µs/msg (range {spread})")
        ratio = medians["fastavro.schemaless_writer"] / medians["generated obj.encode()"]
        print(f"  speed-up of the generated encoder over fastavro: {ratio:.2f}x")


if __name__ == "__main__":
    main()
