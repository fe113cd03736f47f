"""Logging: librdkafka lines and herald events under herald.* loggers, JSON lines, no secrets."""

from __future__ import annotations

import io
import json
import logging
import os
import socket
import subprocess
import sys
import time

import pytest
from confluent_kafka import Producer

from publisher import logs
from publisher.producer import Publisher
from tests.unit.publisher.test_producer_unit import registry


@pytest.fixture(autouse=True)
def _fresh_logging() -> object:
    """Each test configures the herald logger from scratch and leaves it as it found it."""
    root = logging.getLogger(logs.ROOT)
    saved = (root.handlers[:], root.level, root.propagate)
    yield
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    root.propagate = saved[2]
    logs._installed.clear()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_librdkafka_lines_reach_herald_kafka_not_stderr(
    caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG, logger=logs.ROOT)
    producer = Producer(
        {"bootstrap.servers": f"127.0.0.1:{_closed_port()}", "logger": logs.kafka_logger()}
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not caplog.records:
        producer.poll(0.2)
    del producer
    kafka = [r for r in caplog.records if r.name == logs.KAFKA]
    assert kafka, "no librdkafka line reached herald.kafka"
    assert any(r.facility == "FAIL" and "Connection refused" in r.getMessage() for r in kafka)
    assert all(r.client.startswith("rdkafka#producer") for r in kafka)
    assert "Connection refused" not in capfd.readouterr().err


def test_expected_start_up_retries_are_info_under_their_own_logger(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger=logs.ROOT)
    bridge = logs.KafkaLogBridge()
    bridge.log(
        logging.WARNING,
        "%s [%s] %s",
        "GETPID",
        "rdkafka#producer-1",
        "[thrd:main]: Failed to acquire idempotence PID from broker: "
        "Coordinator load in progress: retrying",
    )
    bridge.log(logging.ERROR, "%s [%s] %s", "FAIL", "rdkafka#producer-1", "Broker down")
    startup, failure = caplog.records
    assert (startup.name, startup.levelno) == (logs.STARTUP, logging.INFO)
    assert (failure.name, failure.levelno) == (logs.KAFKA, logging.ERROR)


def test_silencing_the_start_up_logger_hides_only_those_lines() -> None:
    stream = io.StringIO()
    logs.configure("text", logging.INFO, stream)
    logging.getLogger(logs.STARTUP).setLevel(logging.WARNING)
    try:
        bridge = logs.KafkaLogBridge()
        bridge.log(logging.WARNING, "%s [%s] %s", "GETPID", "c", "Coordinator load in progress")
        bridge.log(logging.WARNING, "%s [%s] %s", "REQTMOUT", "c", "Timed out 1 requests")
    finally:
        logging.getLogger(logs.STARTUP).setLevel(logging.NOTSET)
    assert "Coordinator load" not in stream.getvalue()
    assert "WARNING herald.kafka: REQTMOUT Timed out 1 requests" in stream.getvalue()


def test_json_lines_carry_level_logger_message_and_librdkafka_fields() -> None:
    stream = io.StringIO()
    logs.configure("json", "debug", stream)
    logs.KafkaLogBridge().log(logging.ERROR, "%s [%s] %s", "FAIL", "rdkafka#producer-9", "down")
    logging.getLogger("herald.publisher").info("started %s", "p-1")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["level"] == "ERROR"
    assert first["logger"] == "herald.kafka"
    assert (first["message"], first["facility"], first["client"]) == (
        "FAIL down",
        "FAIL",
        "rdkafka#producer-9",
    )
    assert second["message"] == "started p-1"
    assert second["time"].endswith("+00:00")


def test_bad_switch_values_are_config_errors() -> None:
    with pytest.raises(logs.PublisherConfigError, match="HERALD_LOG_FORMAT must be text or json"):
        logs.configure("yaml")
    with pytest.raises(logs.PublisherConfigError, match="HERALD_LOG_LEVEL must be DEBUG"):
        logs.configure("text", "loud")


@pytest.mark.parametrize(
    ("text", "hidden"),
    [
        ("registry at https://alice:pa55@sr.example/apis", "pa55"),
        ("sasl.password=hunter2 sasl.username=u", "hunter2"),
        ("basic.auth.user.info: bob:pw9", "pw9"),
    ],
)
def test_redact_hides_credentials(text: str, hidden: str) -> None:
    assert hidden not in logs.redact(text)
    assert "***" in logs.redact(text)


def test_no_secret_reaches_a_log_even_with_librdkafka_debugging(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger=logs.ROOT)
    secret = "s3cret-Passw0rd"
    pub = Publisher(
        f"127.0.0.1:{_closed_port()}",
        registry_client=registry(),
        check_topic_limits=False,
        config={
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": "PLAIN",
            "sasl.username": "svc",
            "sasl.password": secret,
            "debug": "conf,security,broker",
        },
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(
            "sasl.password" in r.getMessage() for r in caplog.records
        ):
            time.sleep(0.05)
    finally:
        pub.close(0)
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "sasl.password = [redacted]" in text  # the settings were logged, the value was not
    assert secret not in text
    assert any(r.name == "herald.publisher" and "started" in r.getMessage() for r in caplog.records)


def test_the_environment_switch_gives_json_lines_on_stderr() -> None:
    code = (
        "from publisher.producer import Publisher\n"
        "from tests.unit.publisher.test_producer_unit import registry\n"
        "Publisher(config={'test.mock.num.brokers': 1}, registry_client=registry(),"
        " check_topic_limits=False).close(5)\n"
    )
    env = {**os.environ, "HERALD_LOG_FORMAT": "json", "HERALD_LOG_LEVEL": "INFO"}
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines()]  # every line is JSON
    own = [line["message"] for line in lines if line["logger"] == "herald.publisher"]
    assert len(own) == 2
    assert own[0].endswith("(preset safe, idempotent True, transactional False)")
    assert own[1].endswith(": closed (0 delivered, 0 failed)")
