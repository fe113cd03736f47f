"""A registry that accepts connections and never answers: every publisher call gives up in time.

The registry is a real TCP listener on 127.0.0.1 (tests/unit/silent_server.py); the broker is
librdkafka's in-process mock cluster. Margins are generous: the assertion is "does not hang".
"""

from __future__ import annotations

import threading
import time

import pytest

from publisher.config import settings_from_env
from publisher.errors import PublisherConfigError, RegistryUnavailableError
from publisher.producer import Publisher
from publisher.registry import SchemaResolver
from tests.unit import bad_input
from tests.unit.publisher.events import avro_event
from tests.unit.silent_server import silent_server

MOCK = {"test.mock.num.brokers": 1}
KIND = "silent registry or broker (publisher)"


def test_preload_against_a_silent_registry_fails_within_the_timeout_naming_the_url() -> None:
    bad_input.tried(KIND)
    cls = avro_event("silent-preload")
    with silent_server() as url:
        pub = Publisher(
            registry_url=url.replace("http://", "http://ops:s3cret@"),
            config=MOCK,
            registry_timeout=0.5,
            check_topic_limits=False,
        )
        try:
            started = time.monotonic()
            with pytest.raises(RegistryUnavailableError) as caught:
                pub.preload(cls, topics=["silent"])
            elapsed = time.monotonic() - started
        finally:
            pub.close(0)
    text = str(caught.value)
    assert url.removeprefix("http://") in text
    assert "s3cret" not in text
    assert "0.5 s registry timeout" in text
    assert elapsed < 10, f"gave up only after {elapsed:.1f}s"
    bad_input.handled(KIND)


def test_first_publish_against_a_silent_registry_fails_instead_of_blocking() -> None:
    bad_input.tried(KIND)
    cls = avro_event("silent-publish")
    with silent_server() as url:
        pub = Publisher(
            registry_url=url, config=MOCK, registry_timeout=0.5, check_topic_limits=False
        )
        try:
            started = time.monotonic()
            with pytest.raises(RegistryUnavailableError):
                pub.publish(cls(order_id="1", amount=1, note=""))
            assert time.monotonic() - started < 10
        finally:
            pub.close(0)
    bad_input.handled(KIND)


def test_threads_resolving_different_classes_do_not_queue_behind_one_lock() -> None:
    bad_input.tried(KIND)
    classes = [avro_event(f"silent-lanes-{n}") for n in range(4)]
    errors: list[BaseException] = []
    with silent_server() as url:
        pub = Publisher(
            registry_url=url, config=MOCK, registry_timeout=1.0, check_topic_limits=False
        )

        def preload(cls: type) -> None:
            try:
                pub.preload(cls)
            except RegistryUnavailableError as exc:
                errors.append(exc)

        threads = [threading.Thread(target=preload, args=(c,)) for c in classes]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        elapsed = time.monotonic() - started
        pub.close(0)
    assert len(errors) == 4
    # One at a time, four classes would take at least 4 x (2 tries x 1 s) = 8 s.
    assert elapsed < 6, f"4 lookups took {elapsed:.1f}s: they waited on each other"
    bad_input.handled(KIND)


def test_the_default_timeout_bounds_every_request() -> None:
    resolver = SchemaResolver("http://127.0.0.1:9")
    try:
        assert resolver.timeout == 5.0
        assert resolver.client._rest_client.timeout == 5.0
        assert resolver.client._rest_client.max_retries == 1
    finally:
        resolver.close()


def test_registry_timeout_comes_from_the_environment() -> None:
    env = {"KAFKA_BOOTSTRAP_SERVERS": "b:9092", "SCHEMA_REGISTRY_URL": "http://r"}
    settings = settings_from_env({**env, "HERALD_REGISTRY_TIMEOUT_S": "2.5"})
    assert settings.registry["timeout"] == 2.5
    for bad in ("0", "-1", "soon", "nan"):
        with pytest.raises(PublisherConfigError, match="HERALD_REGISTRY_TIMEOUT_S"):
            settings_from_env({**env, "HERALD_REGISTRY_TIMEOUT_S": bad})


def test_topic_limit_lookup_is_bounded_when_the_broker_is_down() -> None:
    bad_input.tried(KIND)
    cls = avro_event("limits-down")
    from confluent_kafka.schema_registry import Schema, SchemaRegistryClient

    client = SchemaRegistryClient.new_client({"url": "mock://limits-down"})
    client.register_schema(cls.BINDINGS[0].subject, Schema(cls.SCHEMA, "AVRO"))
    pub = Publisher(
        "127.0.0.1:9",  # nothing listens on the discard port
        config={"log_level": 0},
        registry_client=client,
        topic_limit_timeout=0.3,
        backpressure_timeout=0,
    )
    try:
        started = time.monotonic()
        pub.publish(cls(order_id="1", amount=1, note=""))
        elapsed = time.monotonic() - started
    finally:
        pub.close(0)
    assert elapsed < 3, f"the first publish blocked {elapsed:.1f}s on the topic-size lookup"
    bad_input.handled(KIND)
