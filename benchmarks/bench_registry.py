"""``herald check`` and ``herald register`` on a generated catalog of 200 subjects.

The catalog: 10 Avro enums and 190 Avro records (every other record references an enum in
another file, so registration runs in two waves with references), under a namespace unique
to the run, so every run registers fresh subjects. Each command runs end to end as a child
process (the ``herald`` entry point: start-up, config, catalog, registry), against the
registry in ``SCHEMA_REGISTRY_URL`` (the dev stack's Apicurio by default).

Side by side in one run: the same commands with 8 workers (the default concurrency) and
with 1 worker, on two copies of the catalog, so the gain from bounded concurrency is a ratio
measured on the same machine at the same time. Figures print as ``label  value unit`` lines.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

SUBJECTS = 200
ENUMS = 10
CHECK_ROUNDS = 3
ROOT = Path(__file__).resolve().parents[1]


def write_catalog(root: Path, namespace: str, workers: int) -> None:
    """200 schema files under ``root/schemas`` and a herald.toml with ``workers``."""
    folder = root / "schemas" / Path(*namespace.split("."))
    folder.mkdir(parents=True)
    for i in range(ENUMS):
        enum = {
            "type": "enum",
            "name": f"Status{i}",
            "namespace": namespace,
            "doc": "A status shared by several events.",
            "symbols": ["ACTIVE", "CLOSED", "UNKNOWN"],
            "default": "UNKNOWN",
        }
        (folder / f"status{i}.avsc").write_text(json.dumps(enum, indent=2))
    for i in range(SUBJECTS - ENUMS):
        fields: list[dict[str, object]] = [
            {"name": "event_id", "type": "string", "doc": "Unique id."},
            {"name": "sequence", "type": "long", "doc": "Sequence number."},
            {"name": "amount", "type": "double", "doc": "Amount."},
            {"name": "note", "type": ["null", "string"], "default": None, "doc": "Note."},
            {
                "name": "tags",
                "type": {"type": "map", "values": "string"},
                "default": {},
                "doc": "Tags.",
            },
        ]
        if i % 2 == 0:
            fields.append({"name": "status", "type": f"Status{i % ENUMS}", "doc": "Status."})
        record = {
            "type": "record",
            "name": f"Event{i}",
            "namespace": namespace,
            "doc": "A generated event.",
            "fields": fields,
        }
        (folder / f"event{i}.avsc").write_text(json.dumps(record, indent=2))
    (root / "herald.toml").write_text(
        f'schemas = ["schemas"]\n[registry]\nconcurrency = {workers}\n'
    )


def herald(root: Path, *args: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    """Run one herald command in ``root`` as a child process; return its wall time."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", "from codegen.cli import main; main()", *args],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"herald {' '.join(args)} failed ({done.returncode}):\n{done.stderr}")
    return elapsed, done


def main() -> None:
    """Register and check both copies of the catalog, interleaved; print the figures."""
    if not os.environ.get("SCHEMA_REGISTRY_URL"):
        raise SystemExit("set SCHEMA_REGISTRY_URL (e.g. `. .stack/env`) to the registry to use")
    run = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory(prefix="herald-bench-registry-") as tmp:
        roots = {}
        for workers in (8, 1):
            root = Path(tmp) / f"w{workers}"
            root.mkdir()
            write_catalog(root, f"bench.r{run}.w{workers}", workers)
            roots[workers] = root
        first = {w: herald(roots[w], "register")[0] for w in (8, 1)}
        again = {}
        for w in (8, 1):
            again[w], done = herald(roots[w], "register")
            assert "200 up to date" in done.stderr, done.stderr
        checks: dict[int, list[float]] = {8: [], 1: []}
        for _ in range(CHECK_ROUNDS):
            for w in (8, 1):
                seconds, done = herald(roots[w], "check")
                assert f"{SUBJECTS} subject(s): {SUBJECTS} compatible" in done.stderr, done.stderr
                checks[w].append(seconds)
        dry = herald(roots[8], "register", "--dry-run")[0]
    check8 = statistics.median(checks[8])
    check1 = statistics.median(checks[1])
    print(f"herald check, 200 subjects, 8 workers (median of {CHECK_ROUNDS})  {check8:.2f} s")
    print(f"herald register, 200 subjects, 8 workers (first run)  {first[8]:.2f} s")
    print(f"herald register, 200 subjects, 8 workers (second run, up to date)  {again[8]:.2f} s")
    print(f"herald register --dry-run, 200 subjects, 8 workers  {dry:.2f} s")
    print(f"herald check, 200 subjects, 1 worker (median of {CHECK_ROUNDS})  {check1:.2f} s")
    print(f"herald register, 200 subjects, 1 worker (first run)  {first[1]:.2f} s")
    print(f"herald register, 200 subjects, 1 worker (second run)  {again[1]:.2f} s")
    print(f"check speed-up, 8 workers vs 1  {check1 / check8:.2f} x")
    print(f"register speed-up, 8 workers vs 1  {first[1] / first[8]:.2f} x")


if __name__ == "__main__":
    main()
