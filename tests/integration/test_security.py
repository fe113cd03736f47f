"""SASL and TLS on the real brokers, and basic auth on the real registry, configured from the env.

The single node and the cluster both listen on SASL_PLAINTEXT and SASL_SSL (SCRAM-SHA-256 and
PLAIN, a CA and broker certificate made at stack-up); the cluster's registry requires basic
auth. Publishing, consuming and transactions run over them; wrong credentials must fail fast
and every secret must stay out of everything a user can see, which is captured and searched.
"""

from __future__ import annotations

import logging
import os
import secrets
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka.schema_registry import SchemaRegistryClient

from publisher.config import kafka_settings_from_env, settings_from_env
from publisher.consumer import TypedConsumer
from publisher.errors import AuthenticationError, RegistryUnavailableError
from publisher.producer import Publisher
from publisher.registry import SchemaResolver
from tests.integration.conftest import FIGURES, Stack
from tests.unit.publisher.events import avro_event
from tests.unit.publisher.kafka_io import create_topic, read_back, register

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
HERALD = Path(sys.executable).parent / "herald"


def _client_env(
    env: dict[str, str], protocol: str, mechanism: str, password: str
) -> dict[str, str]:
    """The variables a service sets to publish over ``protocol`` with ``mechanism``."""
    listener = (
        "KAFKA_SASL_BOOTSTRAP_SERVERS"
        if protocol == "SASL_PLAINTEXT"
        else "KAFKA_SSL_BOOTSTRAP_SERVERS"
    )
    out = {
        "KAFKA_BOOTSTRAP_SERVERS": env[listener],
        "SCHEMA_REGISTRY_URL": env["SCHEMA_REGISTRY_URL"],
        "HERALD_SECURITY_PROTOCOL": protocol,
        "HERALD_SASL_MECHANISM": mechanism,
        "HERALD_SASL_USERNAME": env["KAFKA_SASL_USERNAME"],
        "HERALD_SASL_PASSWORD": password,
    }
    if protocol == "SASL_SSL":
        out["HERALD_SSL_CA_LOCATION"] = env["KAFKA_SSL_CA_LOCATION"]
    if env.get("SCHEMA_REGISTRY_PASSWORD"):
        out["HERALD_REGISTRY_USER_INFO"] = (
            f"{env['SCHEMA_REGISTRY_USERNAME']}:{env['SCHEMA_REGISTRY_PASSWORD']}"
        )
    return out


def _cluster_env(cluster: Any) -> dict[str, str]:
    return dict(cluster.environment())


def _registry_conf(env: dict[str, str]) -> dict[str, str]:
    if not env.get("SCHEMA_REGISTRY_PASSWORD"):
        return {}
    user, password = env["SCHEMA_REGISTRY_USERNAME"], env["SCHEMA_REGISTRY_PASSWORD"]
    return {"basic.auth.user.info": f"{user}:{password}"}


def _round_trip(env: dict[str, str], client: dict[str, str], replication: int) -> None:
    """Publish 300 keyed events, commit a transaction of 20, read all 320 back typed."""
    topic = create_topic(
        env["KAFKA_BOOTSTRAP_SERVERS"], "sec", partitions=3, replication=replication
    )
    Order = avro_event(topic)
    register(env["SCHEMA_REGISTRY_URL"], f"{topic}-value", Order, _registry_conf(env))
    with Publisher.from_env(client) as pub:
        futures = [
            pub.publish(Order(order_id=str(i), amount=i, note=""), key=str(i % 5))
            for i in range(300)
        ]
        assert pub.flush(30) == 0
        assert {f.result(0).topic for f in futures} == {topic}
    txid = f"sec-tx-{uuid.uuid4().hex}"
    with Publisher.from_env({**client, "HERALD_TRANSACTIONAL_ID": txid}) as tx, tx.transaction():
        for i in range(300, 320):
            tx.publish(Order(order_id=str(i), amount=i, note=""))
    settings = settings_from_env(client)
    with TypedConsumer(
        client["KAFKA_BOOTSTRAP_SERVERS"],
        f"sec-{uuid.uuid4().hex}",
        [Order],
        registry_url=client["SCHEMA_REGISTRY_URL"],
        registry_config=settings.registry,
        topics=[topic],
        config=kafka_settings_from_env(client),
    ) as consumer:
        messages = consumer.take(320, timeout=60)
    amounts = sorted(m.event.values["amount"] for m in messages if m.event is not None)
    assert amounts == list(range(320))


def test_single_node_publishes_consumes_and_transacts_over_sasl_scram(stack: Stack) -> None:
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": stack.bootstrap_servers,
        "SCHEMA_REGISTRY_URL": stack.registry_url,
        **{
            k: stack.need(k)
            for k in ("KAFKA_SASL_BOOTSTRAP_SERVERS", "KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD")
        },
    }
    client = _client_env(env, "SASL_PLAINTEXT", "SCRAM-SHA-256", env["KAFKA_SASL_PASSWORD"])
    _round_trip(env, client, replication=1)


def test_single_node_takes_plain_over_tls_with_the_generated_ca(stack: Stack) -> None:
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": stack.bootstrap_servers,
        "SCHEMA_REGISTRY_URL": stack.registry_url,
        **{
            k: stack.need(k)
            for k in (
                "KAFKA_SSL_BOOTSTRAP_SERVERS",
                "KAFKA_SASL_USERNAME",
                "KAFKA_SASL_PASSWORD",
                "KAFKA_SSL_CA_LOCATION",
            )
        },
    }
    client = _client_env(env, "SASL_SSL", "PLAIN", env["KAFKA_SASL_PASSWORD"])
    topic = create_topic(env["KAFKA_BOOTSTRAP_SERVERS"], "sec-tls", partitions=1)
    Order = avro_event(topic)
    register(env["SCHEMA_REGISTRY_URL"], f"{topic}-value", Order)
    with Publisher.from_env(client) as pub:
        report = pub.publish(Order(order_id="tls", amount=1, note="")).result(30)
    assert (report.topic, report.offset) == (topic, 0)
    # The certificate names localhost too: the hostname check passes for that address.
    by_name = {
        **client,
        "KAFKA_BOOTSTRAP_SERVERS": client["KAFKA_BOOTSTRAP_SERVERS"].replace(
            "127.0.0.1", "localhost"
        ),
        "HERALD_KAFKA_BROKER_ADDRESS_FAMILY": "v4",
    }
    with Publisher.from_env(by_name) as pub:
        report = pub.publish(Order(order_id="tls-name", amount=2, note="")).result(30)
    assert (report.topic, report.offset) == (topic, 1)
    assert len(read_back(env["KAFKA_BOOTSTRAP_SERVERS"], topic, 2)) == 2


def test_cluster_over_sasl_ssl_scram_with_registry_basic_auth(cluster: Any) -> None:
    env = _cluster_env(cluster)
    client = _client_env(env, "SASL_SSL", "SCRAM-SHA-256", env["KAFKA_SASL_PASSWORD"])
    _round_trip(env, client, replication=3)
    # The registry really requires the credentials: without them it answers 401.
    Order = avro_event("sec-anonymous")
    with (
        Publisher(env["KAFKA_BOOTSTRAP_SERVERS"], env["SCHEMA_REGISTRY_URL"]) as anonymous,
        pytest.raises(RegistryUnavailableError, match="HTTP 401"),
    ):
        anonymous.preload(Order)


def _everything_printed(*texts: object) -> str:
    return "\n".join(str(t) for t in texts)


def test_wrong_password_fails_every_pending_future_fast_and_no_secret_is_ever_shown(
    cluster: Any, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    env = _cluster_env(cluster)
    wrong = f"wrong-{secrets.token_hex(8)}"
    right = _client_env(env, "SASL_SSL", "SCRAM-SHA-256", env["KAFKA_SASL_PASSWORD"])
    bad = {**right, "HERALD_SASL_PASSWORD": wrong}
    topic = create_topic(env["KAFKA_BOOTSTRAP_SERVERS"], "sec-wrong", partitions=3, replication=3)
    Order = avro_event(topic)
    register(env["SCHEMA_REGISTRY_URL"], f"{topic}-value", Order, _registry_conf(env))
    seen: list[object] = []
    # A registry client that already knows the schema's id, and no topic-limit lookup: the
    # first publish queues at once, so events are pending when the broker refuses.
    warm = SchemaRegistryClient({"url": env["SCHEMA_REGISTRY_URL"], **_registry_conf(env)})
    SchemaResolver(env["SCHEMA_REGISTRY_URL"], client=warm).resolve(Order, f"{topic}-value")

    began = time.monotonic()
    pub = Publisher.from_env(bad, registry_client=warm, check_topic_limits=False)
    futures = [pub.publish(Order(order_id=str(i), amount=i, note="")) for i in range(200)]
    batch = pub.publish_many([Order(order_id=str(i), amount=i, note="") for i in range(2_000)])
    refusal: AuthenticationError | None = None
    for i in range(100_000):  # bounded: the broker refuses within a second
        try:
            futures.append(pub.publish(Order(order_id=str(i), amount=i, note="")))
        except AuthenticationError as exc:
            refusal = exc
            break
        if time.monotonic() - began > 20:
            break
        time.sleep(0.001)
    assert refusal is not None, "publishing with a wrong password was never refused"
    assert pub.flush(15) == 0
    took = time.monotonic() - began
    assert took < 15, f"the refusal took {took:.1f}s"
    assert futures, "no event was queued before the refusal"
    errors = [f.exception(0) for f in futures]
    assert all(e is refusal for e in errors), {type(e).__name__ for e in errors}
    report = batch.report(0)
    assert report.delivered == 0
    assert len(report.failures) == 2_000
    assert all(failed.error is refusal for failed in report.failures)
    assert "refused the credentials of user 'herald' (SCRAM-SHA-256 over SASL_SSL)" in str(refusal)
    with pytest.raises(AuthenticationError):
        pub.publish_many([Order(order_id="late", amount=0, note="")])
    seen += [
        refusal,
        repr(refusal),
        pub.config,
        repr(pub),
        settings_from_env(bad),
        settings_from_env(right),
    ]
    pub.close(5)
    warm.close()
    FIGURES.append(
        f"wrong SASL password: {len(futures) + 2_000} pending events all failed with "
        f"AuthenticationError {took:.1f}s after the publisher was built"
    )

    consumer = TypedConsumer(
        bad["KAFKA_BOOTSTRAP_SERVERS"],
        f"sec-{uuid.uuid4().hex}",
        [Order],
        registry_url=env["SCHEMA_REGISTRY_URL"],
        registry_config=_registry_conf(env),
        topics=[topic],
        config=kafka_settings_from_env(bad),
    )
    began = time.monotonic()
    consumer_refusal = None
    while consumer_refusal is None and time.monotonic() - began < 20:
        try:
            consumer.poll(0.5)
        except AuthenticationError as exc:
            consumer_refusal = exc
    assert consumer_refusal is not None, "the consumer never reported the refusal"
    assert time.monotonic() - began < 15
    consumer.close()
    seen += [consumer_refusal, repr(consumer_refusal)]

    began = time.monotonic()
    with pytest.raises(AuthenticationError) as tx_refusal:
        Publisher.from_env({**bad, "HERALD_TRANSACTIONAL_ID": f"sec-{uuid.uuid4().hex}"})
    assert time.monotonic() - began < 15  # not init_transactions' 30 s
    seen.append(tx_refusal.value)

    wrong_registry = {**right, "HERALD_REGISTRY_USER_INFO": f"herald:{wrong}"}
    with (
        Publisher.from_env(wrong_registry) as refused,
        pytest.raises(RegistryUnavailableError, match="HTTP 401") as registry_refusal,
    ):
        refused.preload(avro_event(topic))
    seen += [registry_refusal.value, settings_from_env(wrong_registry)]

    captured = capfd.readouterr()
    text = _everything_printed(*seen, caplog.text, captured.out, captured.err)
    # librdkafka's own log lines (herald.* loggers, or stderr) were captured too.
    assert "SASL authentication error" in caplog.text + captured.err
    for secret in (wrong, env["KAFKA_SASL_PASSWORD"], env["SCHEMA_REGISTRY_PASSWORD"]):
        assert secret not in text


def _herald(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(HERALD), *args],
        cwd=REPO,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_cli_over_sasl_ssl_and_registry_basic_auth_prints_no_secret(cluster: Any) -> None:
    env = _cluster_env(cluster)
    client = _client_env(env, "SASL_SSL", "SCRAM-SHA-256", env["KAFKA_SASL_PASSWORD"])
    del client["HERALD_REGISTRY_USER_INFO"]
    cli_env = {
        **client,
        "HERALD_REGISTRY_USER": env["SCHEMA_REGISTRY_USERNAME"],
        "HERALD_REGISTRY_PASSWORD": env["SCHEMA_REGISTRY_PASSWORD"],
    }
    config = str(REPO / "herald.toml")
    demo = _herald("demo", "--config", config, "--events", "30", env=cli_env)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "33 of 33 read back; equal to what was published: True" in demo.stdout
    status = _herald("status", "--config", config, env=cli_env)
    assert status.returncode == 0, status.stdout + status.stderr

    wrong = f"wrong-{secrets.token_hex(8)}"
    refused_registry = _herald(
        "status", "--config", config, env={**cli_env, "HERALD_REGISTRY_PASSWORD": wrong}
    )
    assert refused_registry.returncode == 2
    assert "Traceback" not in refused_registry.stderr
    began = time.monotonic()
    refused_kafka = _herald(
        "demo", "--config", config, "--events", "30", env={**cli_env, "HERALD_SASL_PASSWORD": wrong}
    )
    took = time.monotonic() - began
    assert refused_kafka.returncode == 2, refused_kafka.stdout + refused_kafka.stderr
    assert "refused the credentials of user 'herald'" in refused_kafka.stderr
    assert "Traceback" not in refused_kafka.stderr
    assert took < 90
    outputs = [demo, status, refused_registry, refused_kafka]
    text = _everything_printed(*(p.stdout + p.stderr for p in outputs))
    for secret in (wrong, env["KAFKA_SASL_PASSWORD"], env["SCHEMA_REGISTRY_PASSWORD"]):
        assert secret not in text
