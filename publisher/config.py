"""Producer settings: presets, overrides, contradiction checks and the ``HERALD_*`` environment.

A publisher's librdkafka configuration is built in one place, in this order:
``PRESETS[preset]`` → caller overrides (any librdkafka key) → ``transactional.id``. The result
is validated before a producer exists, so a contradiction (idempotence without ``acks=all``,
more than five requests in flight) fails at construction with a message saying what to change,
instead of surfacing later as a librdkafka error or silent reordering.

:func:`settings_from_env` reads the bring-your-own convention of the stack
(``KAFKA_BOOTSTRAP_SERVERS``, ``SCHEMA_REGISTRY_URL``) plus the ``HERALD_*`` variables listed in
:data:`ENV_VARIABLES`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from publisher.credentials import SecretSettings
from publisher.errors import PublisherConfigError

Preset = Literal["safe", "throughput", "low_latency"]

#: librdkafka settings every preset shares: no loss, no duplicates, Java-compatible keys.
_SAFE: dict[str, Any] = {
    "acks": "all",
    "enable.idempotence": True,
    "max.in.flight.requests.per.connection": 5,
    # Same partition as the Java client for the same key (the librdkafka default,
    # consistent_random, disagrees for most keys).
    "partitioner": "murmur2_random",
    "linger.ms": 5,
}

#: The named presets; any key can still be overridden by the caller.
PRESETS: dict[str, dict[str, Any]] = {
    "safe": dict(_SAFE),
    "throughput": {
        **_SAFE,
        "linger.ms": 20,
        "batch.size": 256 * 1024,
        "compression.type": "lz4",
        "queue.buffering.max.kbytes": 256 * 1024,
    },
    "low_latency": {
        **_SAFE,
        "linger.ms": 0,
        "compression.type": "none",
        "socket.nagle.disable": True,
    },
}

#: librdkafka's default for message.max.bytes, used by the size guard when not overridden.
DEFAULT_MESSAGE_MAX_BYTES = 1_000_000

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _as_bool(value: Any) -> bool | None:
    """Read librdkafka's spellings of a boolean, or None when the value is not one."""
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def producer_config(
    preset: str = "safe",
    overrides: Mapping[str, Any] | None = None,
    *,
    transactional_id: str | None = None,
) -> dict[str, Any]:
    """Merge a preset with overrides and check the result, so contradictions fail early."""
    try:
        config = dict(PRESETS[preset])
    except KeyError:
        known = ", ".join(PRESETS)
        raise PublisherConfigError(
            f"unknown publisher preset {preset!r}; use one of {known}"
        ) from None
    for key, value in (overrides or {}).items():
        if not isinstance(key, str) or not key:
            raise PublisherConfigError(f"librdkafka setting names are strings, got {key!r}")
        config[key] = value
    if transactional_id is not None:
        config["transactional.id"] = transactional_id
    validate(config)
    return config


def _check_acks(config: Mapping[str, Any], idempotent: bool) -> str | None:
    acks = str(config.get("acks", "all")).strip().lower()
    if idempotent and acks not in {"all", "-1"}:
        return (
            f"enable.idempotence=true needs acks=all, got acks={config.get('acks')!r}; "
            "set acks='all' or enable.idempotence=False"
        )
    return None


def _check_in_flight(config: Mapping[str, Any], idempotent: bool) -> str | None:
    raw = config.get("max.in.flight.requests.per.connection", 5)
    try:
        in_flight = int(raw)
    except (TypeError, ValueError):
        return f"max.in.flight.requests.per.connection must be an integer, got {raw!r}"
    if idempotent and in_flight > 5:
        return (
            f"enable.idempotence=true allows at most 5 requests in flight, got "
            f"max.in.flight.requests.per.connection={in_flight}; set it to 5 or less"
        )
    return None


def _check_transactions(config: Mapping[str, Any], idempotent: bool) -> str | None:
    if config.get("transactional.id") and not idempotent:
        return (
            "a transactional.id needs enable.idempotence=true; remove the "
            "enable.idempotence=False override"
        )
    return None


#: Contradiction rules: each returns a message naming the settings to change, or None.
_RULES = (_check_acks, _check_in_flight, _check_transactions)


def validate(config: Mapping[str, Any]) -> None:
    """Reject settings that contradict each other; librdkafka validates names and ranges."""
    raw_idempotence = config.get("enable.idempotence", False)
    idempotent = _as_bool(raw_idempotence)
    if idempotent is None:
        raise PublisherConfigError(
            f"enable.idempotence must be true or false, got {raw_idempotence!r}"
        )
    problems = [msg for rule in _RULES if (msg := rule(config, idempotent)) is not None]
    if problems:
        raise PublisherConfigError("contradictory producer settings: " + "; ".join(problems))


@dataclass(frozen=True)
class EnvSettings:
    """Everything :func:`settings_from_env` read, ready to pass to ``Publisher``."""

    bootstrap_servers: str
    registry_url: str
    preset: str = "safe"
    kafka: dict[str, Any] = field(default_factory=dict)
    registry: dict[str, Any] = field(default_factory=dict)
    auto_register: bool = False
    transactional_id: str | None = None
    backpressure_timeout: float = 5.0
    stats_interval_ms: int = 0


#: The environment convention, documented in README's publisher section: variable → meaning.
ENV_VARIABLES: dict[str, str] = {
    "KAFKA_BOOTSTRAP_SERVERS": "bootstrap.servers (required)",
    "SCHEMA_REGISTRY_URL": "registry URL; with /apis/ccompat/v7 for Apicurio (required)",
    "HERALD_PRESET": "safe (default), throughput or low_latency",
    "HERALD_AUTO_REGISTER": "true to register missing schemas (local development only)",
    "HERALD_TRANSACTIONAL_ID": "transactional.id; enables transactions",
    "HERALD_BACKPRESSURE_TIMEOUT_S": "seconds publish waits on a full queue before BufferFull",
    "HERALD_REGISTRY_TIMEOUT_S": "seconds each Schema Registry request may take (default 5)",
    "HERALD_STATS_INTERVAL_MS": "statistics.interval.ms for the Prometheus metrics (0 = off)",
    "HERALD_SECURITY_PROTOCOL": "security.protocol, e.g. SASL_SSL",
    "HERALD_SASL_MECHANISM": "sasl.mechanism, e.g. PLAIN or SCRAM-SHA-512",
    "HERALD_SASL_USERNAME": "sasl.username",
    "HERALD_SASL_PASSWORD": "sasl.password (secret: never printed)",
    "HERALD_SSL_CA_LOCATION": "ssl.ca.location",
    "HERALD_REGISTRY_USER_INFO": "registry basic.auth.user.info as user:password (secret)",
    "HERALD_KAFKA_<KEY>": "any librdkafka key, dots as underscores: HERALD_KAFKA_LINGER_MS=20",
}

#: Single HERALD_* variables that map straight onto a librdkafka key.
_KAFKA_ENV_KEYS: dict[str, str] = {
    "HERALD_SECURITY_PROTOCOL": "security.protocol",
    "HERALD_SASL_MECHANISM": "sasl.mechanism",
    "HERALD_SASL_USERNAME": "sasl.username",
    "HERALD_SASL_PASSWORD": "sasl.password",
    "HERALD_SSL_CA_LOCATION": "ssl.ca.location",
}

_KAFKA_PREFIX = "HERALD_KAFKA_"


def _env_number(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return float(raw)
    except ValueError:
        raise PublisherConfigError(f"{name} must be a number, got {raw!r}") from None


def kafka_settings_from_env(env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The librdkafka settings the ``HERALD_*`` variables give (security ones included)."""
    env = os.environ if env is None else env
    kafka: dict[str, Any] = SecretSettings()
    for name, key in _KAFKA_ENV_KEYS.items():
        if env.get(name):
            kafka[key] = env[name]
    for name, value in env.items():
        if name.startswith(_KAFKA_PREFIX) and len(name) > len(_KAFKA_PREFIX):
            kafka[name[len(_KAFKA_PREFIX) :].lower().replace("_", ".")] = value
    return kafka


def settings_from_env(env: Mapping[str, str] | None = None) -> EnvSettings:
    """Read the bring-your-own stack variables and ``HERALD_*`` settings, failing on bad values."""
    env = os.environ if env is None else env
    missing = [n for n in ("KAFKA_BOOTSTRAP_SERVERS", "SCHEMA_REGISTRY_URL") if not env.get(n)]
    if missing:
        raise PublisherConfigError(
            f"{' and '.join(missing)} not set; export the broker and registry addresses "
            "(for the local stack: set -a; . .stack/env; set +a)"
        )
    kafka = kafka_settings_from_env(env)
    registry: dict[str, Any] = SecretSettings()
    if env.get("HERALD_REGISTRY_USER_INFO"):
        registry["basic.auth.user.info"] = env["HERALD_REGISTRY_USER_INFO"]
    if env.get("HERALD_REGISTRY_TIMEOUT_S", "").strip():
        timeout = _env_number(env, "HERALD_REGISTRY_TIMEOUT_S", 5.0)
        if not timeout > 0:
            raise PublisherConfigError(
                f"HERALD_REGISTRY_TIMEOUT_S must be a number of seconds above 0, got {timeout:g}"
            )
        registry["timeout"] = timeout
    auto_raw = env.get("HERALD_AUTO_REGISTER", "false")
    auto = _as_bool(auto_raw)
    if auto is None:
        raise PublisherConfigError(f"HERALD_AUTO_REGISTER must be true or false, got {auto_raw!r}")
    return EnvSettings(
        bootstrap_servers=env["KAFKA_BOOTSTRAP_SERVERS"],
        registry_url=env["SCHEMA_REGISTRY_URL"],
        preset=env.get("HERALD_PRESET") or "safe",
        kafka=kafka,
        registry=registry,
        auto_register=auto,
        transactional_id=env.get("HERALD_TRANSACTIONAL_ID") or None,
        backpressure_timeout=_env_number(env, "HERALD_BACKPRESSURE_TIMEOUT_S", 5.0),
        stats_interval_ms=int(_env_number(env, "HERALD_STATS_INTERVAL_MS", 0)),
    )
