"""Presets, overrides, contradiction checks and the HERALD_* environment convention."""

from __future__ import annotations

import pytest

from publisher.config import PRESETS, producer_config, settings_from_env
from publisher.errors import PublisherConfigError

ENV = {"KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:9092", "SCHEMA_REGISTRY_URL": "http://r:8081"}


def test_safe_preset_is_idempotent_with_acks_all_and_java_partitioning() -> None:
    config = producer_config()
    assert config["acks"] == "all"
    assert config["enable.idempotence"] is True
    assert config["max.in.flight.requests.per.connection"] <= 5
    assert config["partitioner"] == "murmur2_random"


def test_throughput_preset_batches_and_compresses() -> None:
    config = producer_config("throughput")
    assert 10 <= config["linger.ms"] <= 20
    assert 64 * 1024 <= config["batch.size"] <= 256 * 1024
    assert config["compression.type"] in {"lz4", "zstd"}
    assert config["enable.idempotence"] is True


def test_every_preset_is_valid_and_low_latency_does_not_linger() -> None:
    for name in PRESETS:
        producer_config(name)
    assert producer_config("low_latency")["linger.ms"] == 0


def test_any_key_can_be_overridden() -> None:
    config = producer_config("throughput", {"linger.ms": 50, "security.protocol": "SASL_SSL"})
    assert config["linger.ms"] == 50
    assert config["security.protocol"] == "SASL_SSL"


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"acks": 1}, "acks=all"),
        ({"acks": "0"}, "acks=all"),
        ({"max.in.flight.requests.per.connection": 6}, "at most 5"),
        ({"enable.idempotence": "maybe"}, "true or false"),
    ],
)
def test_contradictions_are_rejected_with_the_setting_to_change(
    overrides: dict[str, object], needle: str
) -> None:
    with pytest.raises(PublisherConfigError, match=needle):
        producer_config("safe", overrides)


def test_idempotence_off_allows_acks_1_and_many_in_flight() -> None:
    config = producer_config(
        "safe",
        {"enable.idempotence": False, "acks": 1, "max.in.flight.requests.per.connection": 10},
    )
    assert config["acks"] == 1


def test_transactions_need_idempotence() -> None:
    with pytest.raises(PublisherConfigError, match=r"transactional\.id"):
        producer_config("safe", {"enable.idempotence": "false"}, transactional_id="tx-1")


def test_unknown_preset_names_the_known_ones() -> None:
    with pytest.raises(PublisherConfigError, match="safe, throughput, low_latency"):
        producer_config("fast")


def test_env_needs_both_addresses() -> None:
    with pytest.raises(PublisherConfigError, match="SCHEMA_REGISTRY_URL not set"):
        settings_from_env({"KAFKA_BOOTSTRAP_SERVERS": "x"})


def test_env_reads_herald_settings_credentials_and_librdkafka_keys() -> None:
    settings = settings_from_env(
        {
            **ENV,
            "HERALD_PRESET": "throughput",
            "HERALD_AUTO_REGISTER": "true",
            "HERALD_TRANSACTIONAL_ID": "orders-1",
            "HERALD_BACKPRESSURE_TIMEOUT_S": "2.5",
            "HERALD_STATS_INTERVAL_MS": "1000",
            "HERALD_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
            "HERALD_SASL_MECHANISM": "PLAIN",
            "HERALD_SASL_USERNAME": "svc",
            "HERALD_SASL_PASSWORD": "secret",
            "HERALD_REGISTRY_USER_INFO": "u:p",
            "HERALD_KAFKA_LINGER_MS": "15",
        }
    )
    assert settings.preset == "throughput"
    assert settings.auto_register is True
    assert settings.transactional_id == "orders-1"
    assert settings.backpressure_timeout == 2.5
    assert settings.stats_interval_ms == 1000
    assert settings.kafka == {
        "security.protocol": "SASL_PLAINTEXT",
        "sasl.mechanism": "PLAIN",
        "sasl.username": "svc",
        "sasl.password": "secret",
        "linger.ms": "15",
    }
    assert settings.registry == {"basic.auth.user.info": "u:p"}
    assert "secret" not in repr(settings.preset)


@pytest.mark.parametrize(
    ("name", "value"),
    [("HERALD_AUTO_REGISTER", "perhaps"), ("HERALD_BACKPRESSURE_TIMEOUT_S", "soon")],
)
def test_env_rejects_malformed_values_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(PublisherConfigError, match=name):
        settings_from_env({**ENV, name: value})
