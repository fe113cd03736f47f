"""Cost of ``herald codegen`` on a generated 1,000-schema Avro catalog (target: under 5 s).

The catalog is written into a temporary folder: 50 namespaces x 20 record files, each record
with ~10 fields (strings, longs, doubles, an enum, an optional field, an array of a shared
record from another file, a timestamp, a decimal, a map). The script times loading the
catalog, rendering and formatting the package, and writing it, and prints each step.

Run: ``.venv/bin/python benchmarks/bench_codegen.py [--schemas 1000]``
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from codegen.catalog import load_catalog
from codegen.generate import generate_files, write_package

PER_NAMESPACE = 20


def record(namespace: str, index: int) -> dict[str, Any]:
    """One realistic record schema that uses the shared Money type from another file."""
    return {
        "type": "record",
        "name": f"Event{index}",
        "namespace": namespace,
        "doc": f"Event number {index} of {namespace}.",
        "fields": [
            {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
            {"name": "customer", "type": "string"},
            {"name": "count", "type": "long"},
            {"name": "ratio", "type": "double"},
            {
                "name": "state",
                "type": {"type": "enum", "name": f"State{index}", "symbols": ["A", "B", "C"]},
                "default": "A",
            },
            {"name": "note", "type": ["null", "string"], "default": None},
            {"name": "amounts", "type": {"type": "array", "items": "bench.shared.Money"}},
            {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
            {
                "name": "fee",
                "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2},
            },
            {"name": "tags", "type": {"type": "map", "values": "string"}, "default": {}},
        ],
    }


def write_catalog(root: Path, total: int) -> None:
    """Write ``total`` schema files (one shared Money plus records) under ``root``."""
    shared = root / "bench" / "shared"
    shared.mkdir(parents=True)
    money = {
        "type": "record",
        "name": "Money",
        "namespace": "bench.shared",
        "fields": [{"name": "minor", "type": "long"}, {"name": "currency", "type": "string"}],
    }
    (shared / "money.avsc").write_text(json.dumps(money), "utf-8")
    for n in range(total - 1):
        space = f"bench.domain{n // PER_NAMESPACE}"
        folder = root / Path(*space.split("."))
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"event{n}.avsc").write_text(json.dumps(record(space, n)), "utf-8")


def main() -> None:
    """Build the catalog, run code generation once, print the time of each step."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--schemas", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "schemas"
        write_catalog(root, args.schemas)
        t0 = time.perf_counter()
        catalog = load_catalog([root])
        t1 = time.perf_counter()
        files = generate_files(catalog, "events")
        t2 = time.perf_counter()
        write_package(files, Path(tmp) / "events")
        t3 = time.perf_counter()
    print(f"herald codegen on {len(catalog)} schemas -> {len(files)} files")
    print(f"  load catalog        {t1 - t0:6.2f} s")
    print(f"  generate + format   {t2 - t1:6.2f} s")
    print(f"  write               {t3 - t2:6.2f} s")
    print(f"  total               {t3 - t0:6.2f} s (target < 5 s)")


if __name__ == "__main__":
    main()
