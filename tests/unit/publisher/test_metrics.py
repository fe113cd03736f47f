"""librdkafka statistics become Prometheus metrics."""

from __future__ import annotations

import json
import urllib.request
from types import SimpleNamespace

from prometheus_client import CollectorRegistry

from publisher.metrics import PublisherMetrics, serve_metrics


def stats(txbytes: int, batch_sum: int) -> str:
    return json.dumps(
        {
            "name": "rdkafka#producer-1",
            "client_id": "svc",
            "msg_cnt": 12,
            "msg_size": 3400,
            "brokers": {
                "bootstrap": {"nodeid": -1, "name": "bootstrap"},
                "b1": {
                    "nodeid": 1,
                    "nodename": "127.0.0.1:9092",
                    "txretries": 3,
                    "rtt": {"avg": 1500, "p99": 9000, "cnt": 4},
                },
            },
            "topics": {
                "orders": {
                    "batchsize": {"avg": 800, "p99": 2000, "sum": batch_sum, "cnt": 2},
                    "batchcnt": {"avg": 40},
                    "partitions": {
                        "0": {"txbytes": txbytes},
                        "-1": {"txbytes": 999999},
                    },
                }
            },
        }
    )


def value(reg: CollectorRegistry, name: str, **labels: str) -> float | None:
    return reg.get_sample_value(name, labels)


def test_stats_document_populates_every_metric() -> None:
    reg = CollectorRegistry()
    metrics = PublisherMetrics(reg)
    tally = SimpleNamespace(delivered=10, failed=1)
    publisher = SimpleNamespace(tally=tally)
    metrics.observe(stats(txbytes=4000, batch_sum=1000), publisher)
    assert value(reg, "herald_queue_messages", client="svc") == 12
    assert value(reg, "herald_queue_bytes", client="svc") == 3400
    broker = {"client": "svc", "broker": "127.0.0.1:9092"}
    assert value(reg, "herald_broker_request_latency_seconds", **broker, stat="avg") == 0.0015
    assert value(reg, "herald_broker_request_latency_seconds", **broker, stat="p99") == 0.009
    assert value(reg, "herald_broker_retries", **broker) == 3
    assert value(reg, "herald_broker_retries", client="svc", broker="bootstrap") is None
    topic = {"client": "svc", "topic": "orders"}
    assert value(reg, "herald_topic_batch_size_bytes", **topic, stat="avg") == 800
    assert value(reg, "herald_topic_batch_messages", **topic) == 40
    assert value(reg, "herald_topic_compression_ratio", **topic) == 4.0
    assert value(reg, "herald_messages_delivered_total", client="svc") == 10
    assert value(reg, "herald_messages_failed_total", client="svc") == 1
    tally.delivered = 15
    metrics.observe(stats(txbytes=10000, batch_sum=3000), publisher)
    assert value(reg, "herald_messages_delivered_total", client="svc") == 15
    assert value(reg, "herald_topic_compression_ratio", **topic) == 2.0
    metrics.transaction_finished(committed=True, client="svc")
    metrics.transaction_finished(committed=False, client="svc")
    assert value(reg, "herald_transactions_committed_total", client="svc") == 1
    assert value(reg, "herald_transactions_aborted_total", client="svc") == 1


def test_metrics_are_served_over_http() -> None:
    reg = CollectorRegistry()
    PublisherMetrics(reg).observe(stats(1, 1))
    server = serve_metrics(0, registry=reg)
    try:
        port = server.server_address[1]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            body = response.read().decode()
    finally:
        server.shutdown()
        server.server_close()
    assert 'herald_queue_messages{client="svc"} 12.0' in body


def test_closing_a_publisher_brings_the_counters_up_to_date() -> None:
    reg = CollectorRegistry()
    metrics = PublisherMetrics(reg)
    metrics.record_tally("svc", SimpleNamespace(delivered=3, failed=2))
    metrics.record_tally("svc", SimpleNamespace(delivered=5, failed=2))
    assert value(reg, "herald_messages_delivered_total", client="svc") == 5
    assert value(reg, "herald_messages_failed_total", client="svc") == 2
