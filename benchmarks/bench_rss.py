"""Peak memory while herald publishes many events through a bounded librdkafka buffer.

Run in its own process (``report.py`` starts it), so the resident set holds only what this
measurement needs: the generated class, 1,000 distinct typed events, a ``Publisher`` (safe
preset) whose queue is capped by :data:`BUFFER`. The baseline is taken after a warm-up publish;
then ``--events`` events are published (their futures dropped, as fire-and-forget services do),
flushed, and the peak RSS of the process (``VmHWM``) is compared with the baseline.

Prints one JSON object: events, delivered, baseline/peak/growth in MB, seconds, RSS samples.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from benchmarks import workload
from benchmarks.bench_publish import Connection, Topics
from benchmarks.harness import MEGABYTE

#: The bound on librdkafka's local queue: what keeps memory flat however many events are sent.
BUFFER: dict[str, Any] = {
    "queue.buffering.max.messages": 100_000,
    "queue.buffering.max.kbytes": 32 * 1024,
}
#: RSS is sampled this many times over the run, for the report's curve.
SAMPLES = 20
FLUSH_TIMEOUT_S = 120.0


def _status_kib(field: str) -> int | None:
    """A ``/proc/self/status`` size in KiB (VmRSS, VmHWM), or None off Linux."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def rss_mb() -> float:
    """Current resident set size in MB."""
    kib = _status_kib("VmRSS")
    if kib is None:
        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib * 1024 / MEGABYTE


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far, in MB."""
    kib = _status_kib("VmHWM")
    if kib is None:
        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return kib * 1024 / MEGABYTE


def measure(events: int, connection: Connection) -> dict[str, Any]:
    """Publish ``events`` typed orders through a bounded buffer and report the RSS growth."""
    from confluent_kafka.schema_registry import SchemaRegistryClient

    from publisher import Publisher

    topics = Topics(connection, uuid.uuid4().hex[:10])
    with tempfile.TemporaryDirectory(prefix="herald-bench-rss-") as tmp:
        cls = workload.generate_events(workload.ORDER_NAME, Path(tmp))
        client = SchemaRegistryClient({"url": connection.registry_url})
        workload.register_references(client, workload.ORDER_NAME)
        records = workload.order_records()
        typed = workload.typed_events(cls, records)
        keys = workload.record_keys(records, "order_id")
        topic = topics.create("rss")
        pub = Publisher(
            connection.bootstrap_servers,
            connection.registry_url,
            config=BUFFER,
            auto_register=True,
            backpressure_timeout=60.0,
        )
        try:
            pub.preload(cls, topics=[topic])
            for event, key in zip(typed, keys, strict=True):
                pub.publish(event, key=key, topic=topic)
            pub.flush(FLUSH_TIMEOUT_S)
            delivered_before = pub.tally.delivered
            baseline = rss_mb()
            distinct = len(typed)
            every = max(1, events // SAMPLES)
            samples: list[tuple[int, float]] = [(0, round(baseline, 1))]
            publish = pub.publish
            began = time.perf_counter()
            for index in range(events):
                slot = index % distinct
                publish(typed[slot], key=keys[slot], topic=topic)
                if index % every == every - 1:
                    samples.append((index + 1, round(rss_mb(), 1)))
            remaining = pub.flush(FLUSH_TIMEOUT_S)
            seconds = time.perf_counter() - began
            peak = peak_rss_mb()
            delivered = pub.tally.delivered - delivered_before
        finally:
            pub.close(10.0)
            topics.delete_all()
    return {
        "events": events,
        "delivered": delivered,
        "undelivered_at_flush": remaining,
        "seconds": round(seconds, 2),
        "baseline_mb": round(baseline, 1),
        "peak_mb": round(peak, 1),
        "growth_mb": round(peak - baseline, 1),
        "buffer": BUFFER,
        "samples": samples,
    }


def main(argv: list[str] | None = None) -> int:
    """Measure and print the JSON figures (one object on stdout)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args(argv)
    figures = measure(args.events, Connection.from_env())
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
