"""How long the offline compatibility engine takes for 1,000 schema pairs.

Four paths, run in interleaved rounds so a slow moment of the shared machine hits all of them:

- ``avro-api``: ``codegen.compat.compare`` on 1,000 (old, new) Avro texts (parse both + check
  BACKWARD), the call ``herald check`` makes to explain a registry verdict;
- ``avro-folders`` and ``protobuf-folders``: ``herald diff OLD NEW`` on two folders of 1,000
  schemas each (catalog load, one protoc run per side for Protobuf, match by full name, check);
- ``protobuf-check``: the Protobuf rules alone on 1,000 pairs already compiled.

Half of the pairs carry a breaking change. Run: ``python -m benchmarks.bench_diff``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from codegen.commands.diff import _load_side, diff_sides
from codegen.compat import SchemaSource, compare
from codegen.compat.engine import _parse_cached, compare_parsed

PAIRS = 1000


def avro_pair(i: int) -> tuple[str, str]:
    """An Order-like record (nested record, enum, union, array, map); odd i breaks it."""
    fields: list[dict[str, Any]] = [
        {"name": "id", "type": "string"},
        {"name": "qty", "type": "int"},
        {"name": "price", "type": "double"},
        {"name": "note", "type": ["null", "string"], "default": None},
        {
            "name": "status",
            "type": {"type": "enum", "name": "Status", "symbols": ["NEW", "PAID", "SHIPPED"]},
        },
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "attrs", "type": {"type": "map", "values": "long"}},
        {
            "name": "ship_to",
            "type": {
                "type": "record",
                "name": "Address",
                "fields": [
                    {"name": "street", "type": "string"},
                    {"name": "city", "type": "string"},
                    {"name": "zip", "type": ["null", "string"], "default": None},
                ],
            },
        },
    ]
    old = {"type": "record", "name": "Order", "namespace": f"bench.n{i}", "fields": fields}
    added = (
        {"name": "coupon", "type": "string"}
        if i % 2
        else {"name": "coupon", "type": ["null", "string"], "default": None}
    )
    new = {**old, "fields": [*fields[:1], {"name": "qty", "type": "long"}, *fields[2:], added]}
    return json.dumps(old, indent=2), json.dumps(new, indent=2)


def proto_pair(i: int) -> tuple[str, str]:
    """A Payment message with nested, enum, map and oneof fields; odd i breaks it."""
    body = (
        'syntax = "proto3";\npackage bench.n{i}.v1;\n\n'
        "enum Method {{\n  METHOD_UNSPECIFIED = 0;\n  CARD = 1;\n}}\n\n"
        "message Payment{i} {{\n  string id = 1;\n  {amount} amount = 2;\n  Method method = 3;\n"
        "  map<string, string> attrs = 4;\n  Line line = 5;\n"
        "  oneof source {{\n    string card = 6;\n    string iban = 7;\n  }}\n"
        "  message Line {{\n    string sku = 1;\n    int32 n = 2;\n  }}\n}}\n"
    )
    old = body.format(i=i, amount="int64")
    new = body.format(i=i, amount="string" if i % 2 else "uint64")
    return old, new


def _median_time(fn: Callable[[], int], rounds: int) -> tuple[float, int]:
    times = []
    found = 0
    for _ in range(rounds):
        _parse_cached.cache_clear()
        start = time.perf_counter()
        found = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), found


def main() -> None:
    """Print seconds per 1,000 pairs for each path (median of interleaved rounds)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    avro_pairs = [avro_pair(i) for i in range(PAIRS)]
    proto_pairs = [proto_pair(i) for i in range(PAIRS)]
    with tempfile.TemporaryDirectory(prefix="herald-bench-diff-") as tmp:
        root = Path(tmp)
        for kind, pairs, suffix in (("avro", avro_pairs, "avsc"), ("proto", proto_pairs, "proto")):
            for side, index in (("old", 0), ("new", 1)):
                folder = root / kind / side
                folder.mkdir(parents=True)
                for i, pair in enumerate(pairs):
                    (folder / f"s{i:04d}.{suffix}").write_text(pair[index])

        def avro_api() -> int:
            return sum(
                bool(compare([SchemaSource("AVRO", o, "old")], SchemaSource("AVRO", n, "new")))
                for o, n in avro_pairs
            )

        def folders(kind: str) -> Callable[[], int]:
            def run() -> int:
                old = _load_side([root / kind / "old"])
                new = _load_side([root / kind / "new"])
                return len(diff_sides(old, new, "BACKWARD", strict=False, single=False))

            return run

        compiled_old = _load_side([root / "proto" / "old"]).schemas
        compiled_new = _load_side([root / "proto" / "new"]).schemas

        def protobuf_check() -> int:
            return sum(
                bool(compare_parsed([compiled_old[k]], compiled_new[k], "BACKWARD"))
                for k in compiled_old
            )

        paths: dict[str, Callable[[], int]] = {
            "avro-api": avro_api,
            "avro-folders": folders("avro"),
            "protobuf-folders": folders("proto"),
            "protobuf-check": protobuf_check,
        }
        results: dict[str, list[float]] = {name: [] for name in paths}
        found: dict[str, int] = {}
        order = list(paths)
        for round_index in range(args.rounds):
            rotated = order[round_index % len(order) :] + order[: round_index % len(order)]
            for name in rotated:
                seconds, found[name] = _median_time(paths[name], 1)
                results[name].append(seconds)

    print(f"herald diff engine: {PAIRS} schema pairs per path, median of {args.rounds} rounds")
    print(f"{'path':18} {'seconds':>8} {'pairs/s':>9} {'incompatible':>13}")
    for name, times in results.items():
        median = statistics.median(times)
        print(f"{name:18} {median:8.3f} {PAIRS / median:9.0f} {found[name]:13d}")
    api, folder = statistics.median(results["avro-api"]), statistics.median(results["avro-folders"])
    print(f"avro-folders / avro-api time ratio: {folder / api:.2f}")


if __name__ == "__main__":
    main()
