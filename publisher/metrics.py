"""Prometheus metrics from librdkafka statistics (``statistics.interval.ms`` + ``stats_cb``).

librdkafka emits a JSON document every interval; the publisher's poll thread hands it to
:meth:`PublisherMetrics.observe`, which parses it once and sets the metrics in :data:`METRICS`.
Delivered/failed counts come from the publisher's own tally (exact, counted in the delivery
callbacks) and transaction outcomes from ``Publisher.transaction``.

``prometheus_client`` is an optional extra (``pip install 'herald-kafka[metrics]'``) and is
imported only when a :class:`PublisherMetrics` is built. :func:`serve_metrics` exposes a registry
over HTTP for scraping.

Mapping from the statistics document (times are microseconds there, seconds here):

==========================================  ==============================================
metric                                       source
==========================================  ==============================================
herald_broker_request_latency_seconds        brokers[*].rtt.avg / .p99 (label ``stat``) (*)
herald_broker_retries                        brokers[*].txretries
herald_queue_messages / _bytes               msg_cnt / msg_size
herald_messages_delivered/failed_total       the publisher's delivery callbacks
herald_transactions_committed/aborted_total  Publisher.transaction outcomes
herald_topic_batch_size_bytes                topics[*].batchsize.avg / .p99 (*)
herald_topic_batch_messages                  topics[*].batchcnt.avg (*)
herald_topic_compression_ratio               Δ Σ partitions.txbytes / batchsize.sum
==========================================  ==============================================

(*) windowed statistics: an interval without requests or batches keeps the last value.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from publisher.errors import PublisherConfigError

#: name → (kind, help, labels); built into prometheus_client objects per PublisherMetrics.
METRICS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "broker_request_latency_seconds": (
        "gauge",
        "Broker request round-trip time over the last statistics interval",
        ("client", "broker", "stat"),
    ),
    "broker_retries": ("gauge", "Requests retried to the broker so far", ("client", "broker")),
    "queue_messages": ("gauge", "Messages waiting in librdkafka's queue", ("client",)),
    "queue_bytes": ("gauge", "Bytes waiting in librdkafka's queue", ("client",)),
    "messages_delivered": ("counter", "Events Kafka acknowledged", ("client",)),
    "messages_failed": ("counter", "Events whose delivery failed", ("client",)),
    "transactions_committed": ("counter", "Transactions committed", ("client",)),
    "transactions_aborted": ("counter", "Transactions aborted", ("client",)),
    "topic_batch_size_bytes": (
        "gauge",
        "Produce batch size in bytes (compressed) per topic",
        ("client", "topic", "stat"),
    ),
    "topic_batch_messages": ("gauge", "Messages per produce batch per topic", ("client", "topic")),
    "topic_compression_ratio": (
        "gauge",
        "Uncompressed over compressed bytes per topic in the last interval",
        ("client", "topic"),
    ),
}

_MICROS = 1_000_000.0


class PublisherMetrics:
    """Prometheus metrics for one or more publishers, fed by librdkafka statistics."""

    def __init__(self, registry: Any = None, *, namespace: str = "herald") -> None:
        try:
            import prometheus_client
        except ImportError:
            raise PublisherConfigError(
                "metrics need prometheus_client; "
                "install the extra: pip install 'herald-kafka[metrics]'"
            ) from None
        self.registry = registry if registry is not None else prometheus_client.REGISTRY
        kinds = {"gauge": prometheus_client.Gauge, "counter": prometheus_client.Counter}
        self.metric: dict[str, Any] = {
            name: kinds[kind](name, doc, labels, namespace=namespace, registry=self.registry)
            for name, (kind, doc, labels) in METRICS.items()
        }
        self._lock = threading.Lock()
        self._seen: dict[str, tuple[int, int]] = {}
        self._topic_bytes: dict[tuple[str, str], int] = {}

    def observe(self, stats_json: str, publisher: Any = None) -> None:
        """Update every metric from one librdkafka statistics document."""
        stats = json.loads(stats_json)
        client = str(stats.get("client_id", "rdkafka"))
        m = self.metric
        with self._lock:
            m["queue_messages"].labels(client).set(stats.get("msg_cnt", 0))
            m["queue_bytes"].labels(client).set(stats.get("msg_size", 0))
            for broker in stats.get("brokers", {}).values():
                name = str(broker.get("nodename") or broker.get("name"))
                if broker.get("nodeid", -1) < 0:
                    continue  # bootstrap placeholder, replaced by the learned broker
                rtt = broker.get("rtt", {})
                if rtt.get("cnt", 0) > 0:  # windows without requests keep the last value
                    latency = m["broker_request_latency_seconds"]
                    latency.labels(client, name, "avg").set(rtt.get("avg", 0) / _MICROS)
                    latency.labels(client, name, "p99").set(rtt.get("p99", 0) / _MICROS)
                m["broker_retries"].labels(client, name).set(broker.get("txretries", 0))
            for topic, info in stats.get("topics", {}).items():
                batch = info.get("batchsize", {})
                if batch.get("cnt", 0) > 0:  # windows without batches keep the last value
                    sizes = m["topic_batch_size_bytes"]
                    sizes.labels(client, topic, "avg").set(batch.get("avg", 0))
                    sizes.labels(client, topic, "p99").set(batch.get("p99", 0))
                    m["topic_batch_messages"].labels(client, topic).set(
                        info.get("batchcnt", {}).get("avg", 0)
                    )
                sent = sum(
                    int(p.get("txbytes", 0))
                    for pid, p in info.get("partitions", {}).items()
                    if pid != "-1"
                )
                before = self._topic_bytes.get((client, topic), 0)
                self._topic_bytes[(client, topic)] = sent
                compressed = batch.get("sum", 0)
                if compressed > 0 and sent > before:
                    m["topic_compression_ratio"].labels(client, topic).set(
                        (sent - before) / compressed
                    )
            if publisher is not None:
                self._sync_tally(client, publisher.tally)

    def record_tally(self, client: str, tally: Any) -> None:
        """Bring the delivered/failed counters up to a publisher's tally (called at close)."""
        with self._lock:
            self._sync_tally(client, tally)

    def _sync_tally(self, client: str, tally: Any) -> None:
        delivered, failed = tally.delivered, tally.failed
        seen_delivered, seen_failed = self._seen.get(client, (0, 0))
        if delivered > seen_delivered:
            self.metric["messages_delivered"].labels(client).inc(delivered - seen_delivered)
        if failed > seen_failed:
            self.metric["messages_failed"].labels(client).inc(failed - seen_failed)
        self._seen[client] = (max(delivered, seen_delivered), max(failed, seen_failed))

    def transaction_finished(self, *, committed: bool, client: str = "rdkafka") -> None:
        """Count one committed or aborted transaction."""
        name = "transactions_committed" if committed else "transactions_aborted"
        self.metric[name].labels(client).inc()


def serve_metrics(port: int, addr: str = "127.0.0.1", registry: Any = None) -> Any:
    """Expose a registry at http://addr:port/metrics; returns the server (call shutdown())."""
    try:
        import prometheus_client
    except ImportError:
        raise PublisherConfigError(
            "metrics need prometheus_client; install the extra: pip install 'herald-kafka[metrics]'"
        ) from None
    target = registry if registry is not None else prometheus_client.REGISTRY
    server, _thread = prometheus_client.start_http_server(port, addr=addr, registry=target)
    return server
