"""Refused credentials fail everything pending at once; secret settings never print.

The broker's refusal is fed to the publisher's error callback as librdkafka would deliver it;
the integration tests get the same refusal from a real SASL listener.
"""

from __future__ import annotations

import socket
import time
import uuid

import pytest
from confluent_kafka import KafkaError
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

from publisher.config import settings_from_env
from publisher.credentials import SecretSettings, authentication_error, is_authentication_failure
from publisher.errors import AuthenticationError, DeliveryError
from publisher.producer import Publisher
from tests.unit.publisher.events import avro_event

PASSWORD = "pa55-" + uuid.uuid4().hex


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _refusal() -> KafkaError:
    return KafkaError(
        KafkaError._AUTHENTICATION,
        "sasl_plaintext://127.0.0.1:9/bootstrap: SASL authentication error: Authentication "
        "failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256",
    )


def test_secret_values_are_masked_when_settings_are_printed() -> None:
    settings = SecretSettings(
        {"sasl.username": "svc", "sasl.password": PASSWORD, "basic.auth.user.info": f"u:{PASSWORD}"}
    )
    assert PASSWORD not in repr(settings)
    assert PASSWORD not in str(settings)
    assert PASSWORD not in f"{settings}"
    assert "'sasl.username': 'svc'" in repr(settings)
    assert settings["sasl.password"] == PASSWORD  # the value itself is untouched
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": "k:9092",
        "SCHEMA_REGISTRY_URL": "http://sr",
        "HERALD_SASL_PASSWORD": PASSWORD,
        "HERALD_REGISTRY_USER_INFO": f"u:{PASSWORD}",
    }
    assert PASSWORD not in repr(settings_from_env(env))


def test_only_refused_credentials_count_as_an_authentication_failure() -> None:
    assert is_authentication_failure(_refusal())
    assert is_authentication_failure(KafkaError(KafkaError.SASL_AUTHENTICATION_FAILED))
    assert not is_authentication_failure(KafkaError(KafkaError._TRANSPORT))
    assert not is_authentication_failure(KafkaError(KafkaError._ALL_BROKERS_DOWN))
    assert not is_authentication_failure("not an error")


def test_the_error_names_user_mechanism_and_brokers_but_not_the_password() -> None:
    settings = {
        "bootstrap.servers": "b1:9093,b2:9093",
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "SCRAM-SHA-256",
        "sasl.username": "svc",
        "sasl.password": PASSWORD,
    }
    message = str(authentication_error(_refusal(), settings))
    assert "user 'svc' (SCRAM-SHA-256 over SASL_SSL) at b1:9093,b2:9093" in message
    assert "HERALD_SASL_PASSWORD" in message
    assert PASSWORD not in message


def test_a_refusal_fails_every_pending_event_and_every_later_call() -> None:
    Order = avro_event(f"orders-{uuid.uuid4().hex[:6]}")
    client = SchemaRegistryClient.new_client({"url": f"mock://{uuid.uuid4().hex}"})
    client.register_schema(Order.BINDINGS[0].subject, Schema(Order.SCHEMA, "AVRO"))
    pub = Publisher(
        f"127.0.0.1:{_closed_port()}",  # nothing listens: events stay queued
        registry_client=client,
        config={"sasl.username": "svc", "sasl.password": PASSWORD, "log_level": 0},
        check_topic_limits=False,
    )
    try:
        futures = [pub.publish(Order(order_id=str(i), amount=i, note="")) for i in range(20)]
        batch = pub.publish_many([Order(order_id="b", amount=0, note="")] * 5)
        began = time.monotonic()
        pub._on_error(_refusal())
        assert pub.flush(10) == 0
        assert time.monotonic() - began < 5
        errors = {id(f.exception(0)) for f in futures}
        assert len(errors) == 1
        error = futures[0].exception(0)
        assert isinstance(error, AuthenticationError)
        assert not isinstance(error, DeliveryError)
        assert [type(f.error) for f in batch.report(0).failures] == [AuthenticationError] * 5
        with pytest.raises(AuthenticationError):
            pub.publish(Order(order_id="late", amount=0, note=""))
        with pytest.raises(AuthenticationError):
            pub.publish_many([Order(order_id="late", amount=0, note="")])
        assert PASSWORD not in repr(pub.config)
        assert PASSWORD not in str(error)
        assert pub.tally.failed == 25
    finally:
        pub.close(1)
