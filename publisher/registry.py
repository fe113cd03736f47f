"""Schema id resolution: event class → subject → registered schema id, looked up once and cached.

Registering is CI's job (``herald register``), so by default the publisher only *looks up* the
id of the exact schema text a generated class carries (``Event.SCHEMA`` with its
``REFERENCES``), under the subject its binding names. ``auto_register=True`` registers instead,
for local development. Ids are cached per (subject, fingerprint) for the life of the resolver,
so after :meth:`SchemaResolver.preload` publishing no longer needs the registry at all.

Every registry request is bounded: confluent-kafka's client waits forever by default, so the
resolver gives it a per-request ``timeout`` (5 s unless configured) and one retry, and a
registry that accepts connections but never answers fails with ``RegistryUnavailableError``
naming the URL. Lookups of different schemas wait on their own locks, so one slow lookup
never holds up threads resolving other classes.

The registry client is confluent-kafka's ``SchemaRegistryClient``; only the error translation
and the cache keyed by class fingerprint live here.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

from confluent_kafka.schema_registry import (
    Schema,
    SchemaReference,
    SchemaRegistryClient,
    SchemaRegistryError,
)

from publisher.contracts import ContractRule, rules_of
from publisher.errors import (
    PublisherConfigError,
    PublisherError,
    RegistryUnavailableError,
    SchemaNotRegisteredError,
)
from publisher.event import Event
from publisher.references import referenced_class
from publisher.subjects import subject_for
from publisher.urls import URLError, parse_url, redact_text

_log = logging.getLogger("herald.registry")

#: Per-request timeout (seconds) when the registry config gives none; confluent's is unbounded.
DEFAULT_REGISTRY_TIMEOUT = 5.0
#: Client settings that bound a call: one retry after a short wait, so a dead registry fails
#: within about twice the timeout instead of after confluent's 3 retries with backoff to 20 s.
_BOUNDED_RETRIES: dict[str, Any] = {
    "max.retries": 1,
    "retries.wait.ms": 200,
    "retries.max.wait.ms": 1000,
}

#: References nested deeper than this are a cycle or a mistake, not a schema to register.
_MAX_REFERENCE_DEPTH = 32

#: Registry error codes meaning "no such subject/version/schema" (Confluent's REST API).
_NOT_FOUND_CODES = {40401, 40402, 40403}


def redact_url(text: str) -> str:
    """Hide user:password inside URLs so credentials never reach logs or exception messages."""
    return redact_text(text)


def subject_of(cls: type[Event], topic: str) -> str:
    """The value subject of a class on a topic: its binding's, else the record name strategy."""
    first = None
    for binding in cls.BINDINGS:
        if binding.topic == topic:
            return binding.subject
        first = first or binding
    if first is not None:
        return subject_for(first.strategy, topic, cls.FULL_NAME)
    return subject_for("record", topic, cls.FULL_NAME)


def default_topic(cls: type[Event]) -> str | None:
    """The topic of a class's first binding, or None when it must be given per call."""
    return cls.BINDINGS[0].topic if cls.BINDINGS else None


class SchemaResolver:
    """Resolve and cache schema ids; thread-safe, one registry round trip per (subject, schema)."""

    def __init__(
        self,
        url: str | None = None,
        *,
        config: Mapping[str, Any] | None = None,
        auto_register: bool = False,
        client: Any = None,
        timeout: float | None = None,
    ) -> None:
        self._url = url or ""
        self._owns_client = client is None
        settings = {**_BOUNDED_RETRIES, **dict(config or {})}
        if url and not url.startswith("mock://"):
            url = self._parse(url, settings)
        if timeout is not None:
            settings["timeout"] = timeout
        settings.setdefault("timeout", DEFAULT_REGISTRY_TIMEOUT)
        #: Seconds each registry request may take before it is abandoned.
        self.timeout = float(settings["timeout"])
        if client is None:
            if not url:
                raise RegistryUnavailableError(
                    "no Schema Registry URL given; pass registry_url= or set SCHEMA_REGISTRY_URL"
                )
            client = SchemaRegistryClient.new_client({"url": url, **settings})
        self.client = client
        self.auto_register = auto_register
        self._ids: dict[tuple[str, str], int] = {}
        self._contracts: dict[str, tuple[ContractRule, ...]] = {}
        self._lock = threading.Lock()
        self._key_locks: dict[tuple[str, str], threading.Lock] = {}

    def _parse(self, url: str, settings: dict[str, Any]) -> str:
        """Split credentials off the URL into basic auth, so no client message can show them."""
        try:
            parsed = parse_url(url)
        except URLError as exc:
            raise PublisherConfigError(
                f"Schema Registry {exc}; check SCHEMA_REGISTRY_URL or registry_url="
            ) from None
        self._url = parsed.display
        if parsed.username is not None:
            if "basic.auth.user.info" in settings:
                raise PublisherConfigError(
                    f"registry URL {parsed.display} carries credentials and "
                    "basic.auth.user.info (HERALD_REGISTRY_USER_INFO) is set too; keep one"
                )
            settings["basic.auth.user.info"] = f"{parsed.username}:{parsed.password or ''}"
        return parsed.url

    def close(self) -> None:
        """Close the registry client's connections if this resolver created it."""
        if self._owns_client:
            self.client.close()

    def _where(self) -> str:
        return redact_text(self._url) if self._url else "the Schema Registry"

    def _schema(self, cls: type[Event], depth: int = 0) -> Schema:
        refs = []
        for name, subject in cls.REFERENCES:
            if self.auto_register:
                self._register_reference(cls, name, subject, depth)
            latest = self.client.get_latest_version(subject)
            refs.append(SchemaReference(name, subject, latest.version))
        return Schema(cls.SCHEMA, cls.SCHEMA_FORMAT, refs)

    def _register_reference(self, cls: type[Event], name: str, subject: str, depth: int) -> None:
        """Register what a reference points at (its own references first), for auto_register.

        Only event classes carry their schema text; a reference to a file whose only type is
        an enum is looked up as it is, so it must have been registered (``herald register``).
        """
        if depth > _MAX_REFERENCE_DEPTH:
            raise SchemaNotRegisteredError(
                f"{cls.FULL_NAME}: references nest more than {_MAX_REFERENCE_DEPTH} deep at "
                f"{name!r}; run `herald register`"
            )
        target = referenced_class(cls, name)
        if target is not None:
            self.client.register_schema(subject, self._schema(target, depth + 1))

    def cached(self, cls: type[Event], subject: str) -> int | None:
        """The cached id, or None when it was never resolved."""
        return self._ids.get((subject, cls.FINGERPRINT))

    def resolve(self, cls: type[Event], subject: str) -> int:
        """Return the schema id of ``cls`` under ``subject``, asking the registry at most once."""
        key = (subject, cls.FINGERPRINT)
        found = self._ids.get(key)
        if found is not None:
            return found
        with self._lock:
            key_lock = self._key_locks.setdefault(key, threading.Lock())
        with key_lock:
            found = self._ids.get(key)
            if found is not None:
                return found
            schema_id = self._ask(cls, subject)
            self._ids[key] = schema_id
            _log.info(
                "schema id %d for %s under subject %s at %s",
                schema_id,
                cls.FULL_NAME,
                subject,
                self._where(),
            )
            return schema_id

    def _ask(self, cls: type[Event], subject: str) -> int:
        try:
            schema = self._schema(cls)
            if self.auto_register:
                return int(self.client.register_schema(subject, schema))
            return int(self.client.lookup_schema(subject, schema).schema_id)
        except SchemaRegistryError as exc:
            if exc.error_code in _NOT_FOUND_CODES or exc.http_status_code == 404:
                remedy = (
                    ""
                    if self.auto_register
                    else " (or pass auto_register=True for local development)"
                )
                raise SchemaNotRegisteredError(
                    f"schema of {cls.FULL_NAME} ({cls.__name__}) or one it references is not "
                    f"registered under subject {subject!r} at {self._where()}; run "
                    f"`herald register` in CI{remedy}. Registry said: {exc.error_message}"
                ) from None
            raise RegistryUnavailableError(
                f"{self._where()} refused schema of {cls.FULL_NAME} under subject {subject!r}: "
                f"HTTP {exc.http_status_code} {exc.error_message}"
            ) from None
        except PublisherError:
            raise
        except Exception as exc:
            raise RegistryUnavailableError(
                f"cannot reach {self._where()} to resolve the schema id of {cls.FULL_NAME} "
                f"(subject {subject!r}): {self._transport(exc)}; check SCHEMA_REGISTRY_URL, or "
                "call Publisher.preload() while the registry is up"
            ) from None

    def _transport(self, exc: BaseException) -> str:
        """What went wrong on the wire, with the timeout named when that is what it was."""
        if isinstance(exc, TimeoutError) or "Timeout" in type(exc).__name__:
            return f"no answer within the {self.timeout:g} s registry timeout"
        return redact_url(str(exc)) or type(exc).__name__

    def contract(self, subject: str) -> tuple[ContractRule, ...]:
        """The enabled rules of the subject's latest version (its data contract), read once."""
        found = self._contracts.get(subject)
        if found is not None:
            return found
        try:
            found = rules_of(self.client.get_latest_version(subject))
        except SchemaRegistryError as exc:
            if exc.error_code in _NOT_FOUND_CODES or exc.http_status_code == 404:
                # No such subject (a consumer's class need not be registered): no contract.
                self._contracts[subject] = ()
                return ()
            raise RegistryUnavailableError(
                f"{self._where()} refused to give the latest version of subject {subject!r} "
                f"(to read its data contract): HTTP {exc.http_status_code} {exc.error_message}"
            ) from None
        except Exception as exc:
            raise RegistryUnavailableError(
                f"cannot read the data contract of subject {subject!r} from {self._where()}: "
                f"{self._transport(exc)}"
            ) from None
        self._contracts[subject] = found
        return found

    def schema_text(self, schema_id: int) -> tuple[str, str]:
        """(schema type, schema text) registered under an id; used to match unknown ids."""
        try:
            schema = self.client.get_schema(schema_id)
        except Exception as exc:
            raise RegistryUnavailableError(
                f"cannot fetch schema id {schema_id} from {self._where()}: {self._transport(exc)}"
            ) from None
        return (schema.schema_type or "AVRO", schema.schema_str)

    def writer_schema(self, schema_id: int) -> tuple[str, str, tuple[str, ...]]:
        """(schema type, text, reference texts with dependencies first) of a writer's schema id."""
        try:
            schema = self.client.get_schema(schema_id)
            texts: list[str] = []
            self._reference_texts(schema.references or [], texts, set())
        except Exception as exc:
            raise RegistryUnavailableError(
                f"cannot fetch schema id {schema_id} and its references from {self._where()}: "
                f"{self._transport(exc)}"
            ) from None
        return (schema.schema_type or "AVRO", schema.schema_str, tuple(texts))

    def _reference_texts(self, refs: list[Any], texts: list[str], seen: set[Any]) -> None:
        for ref in refs:
            key = (ref.subject, ref.version)
            if key in seen:
                continue
            seen.add(key)
            found = self.client.get_version(ref.subject, ref.version).schema
            self._reference_texts(found.references or [], texts, seen)
            texts.append(found.schema_str)
