"""``Publisher``: typed events in, Confluent-framed records out, a future per event or batch.

The publish path, per event::

    route = routes[type(event)]              # topic, cached wire header, size limit, partitioner
    value = route.header + event.encode()    # schema id resolved once, header built once
    key   = encode_key(key)                  # bytes/str/int/JSON/typed key event
    size guard  →  partitioner (if any)  →  producer.produce(..., on_delivery=future)

A route is built the first time a class (or class + explicit topic) is published and then
reused: the registry lookup, subject naming, header framing and topic limit all happen once.
A background thread polls librdkafka so delivery callbacks always fire and memory stays bounded;
a full local queue makes ``publish`` wait (polling) for up to ``backpressure_timeout`` and then
raise :class:`~publisher.errors.BufferFull` with the affected futures failed.

Transactions (``transactional_id=...``, ``with pub.transaction():``) live here as well; their
error classification is in :mod:`publisher.transactions`.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from confluent_kafka import KafkaError, KafkaException, Producer

from publisher import transactions
from publisher.config import DEFAULT_MESSAGE_MAX_BYTES, producer_config, settings_from_env
from publisher.contracts import Field, applying, check_policy, decide, serializer_for
from publisher.credentials import SecretSettings, authentication_error, is_authentication_failure
from publisher.errors import (
    AuthenticationError,
    BufferFull,
    MessageTooLarge,
    ProducerFenced,
    PublisherClosed,
    PublisherConfigError,
    PublisherError,
    TransactionError,
)
from publisher.event import Event
from publisher.futures import BatchReport, DeliveryBatch, DeliveryFuture, DeliveryReport, Tally
from publisher.keys import encode_key
from publisher.logs import kafka_logger
from publisher.partitioners import PartitionCache, Partitioner
from publisher.registry import SchemaResolver, default_topic, subject_of
from publisher.subjects import subject_for
from publisher.topics import Topic, topic_map
from publisher.tracing import TracingSetting, publish_tracing
from publisher.wire import header

__all__ = [
    "BatchReport",
    "DeliveryBatch",
    "DeliveryFuture",
    "DeliveryReport",
    "Headers",
    "Publisher",
]

_log = logging.getLogger("herald.publisher")

#: Record headers as confluent-kafka takes them: a dict or a list of (name, value) pairs.
Headers = dict[str, str | bytes | None] | list[tuple[str, str | bytes | None]]


def _batch_keys(keys: Iterable[Any] | None, count: int) -> Iterable[Any]:
    """One key per event of a batch (all None without keys); a count mismatch is an error."""
    if keys is None:
        return itertools.repeat(None, count)
    listed = keys if isinstance(keys, list) else list(keys)
    if len(listed) != count:
        raise PublisherError(
            f"publish_many got {len(listed)} keys for {count} events; give one key (or None) "
            "per event"
        )
    return listed


def _check_stream_keys(stream: Iterator[Event], keys: int, batch: DeliveryBatch) -> None:
    """After a stream of events ran out or its keys did: the two counts must have matched."""
    queued = len(batch.values)
    extra = next(stream, None) if queued == keys else None
    if queued == keys and extra is None:
        return
    if extra is not None:
        batch.drawn = [extra]
    more = "more than" if extra is not None else f"only {queued} of"
    raise PublisherError(
        f"publish_many got {more} {keys} events for {keys} keys; give one key (or None) per "
        "event (the events queued before this was found are delivered)"
    )


#: Settings the publisher consumes itself instead of passing them to librdkafka.
_CLIENT_NUMBERS = itertools.count(1)

#: Seconds the poll thread rests after serving events, so callbacks arrive in batches.
POLL_REST = 0.002
#: A publishing thread serves delivery reports itself every SERVE_EVERY events (a power of 2).
SERVE_EVERY = 64
#: Seconds since a publishing thread last served reports during which the poll thread stands
#: aside: a report served by the poll thread while another thread publishes costs a GIL
#: hand-over each (measured in one run: about 1 µs per event more than serving them inline).
SERVE_WINDOW = 0.02

_CALLBACK_KEYS = {"error_cb", "stats_cb", "on_delivery", "delivery.report.only.error"}


@dataclass(frozen=True, slots=True)
class Route:
    """Everything publish needs for one (event class, topic), computed once."""

    topic: str
    header: bytes
    limit: int
    limit_setting: str
    partitioner: Partitioner | None
    #: confluent-kafka's serializer (framing included) for a subject whose data contract is
    #: delegated; None on the fast path.
    delegate: Callable[[Event, str], bytes] | None = None


def _topic_limit(admin: Any, topic: str, timeout: float) -> int | None:
    """The topic's ``max.message.bytes`` from the broker, or None when it cannot be read."""
    from confluent_kafka.admin import ConfigResource, ResourceType  # type: ignore[attr-defined]

    try:
        resource = ConfigResource(ResourceType.TOPIC, topic)
        configs = admin.describe_configs([resource], request_timeout=timeout)[resource].result(
            timeout=timeout
        )
        entry = configs.get("max.message.bytes")
        return int(entry.value) if entry is not None and entry.value else None
    except Exception:
        return None


class Publisher:
    """Thread-safe typed publisher over ``confluent_kafka.Producer``; see the module docstring."""

    def __init__(  # noqa: PLR0915 - the one place that wires every option
        self,
        bootstrap_servers: str | None = None,
        registry_url: str | None = None,
        *,
        preset: str = "safe",
        config: Mapping[str, Any] | None = None,
        registry_config: Mapping[str, Any] | None = None,
        registry_client: Any = None,
        auto_register: bool = False,
        transactional_id: str | None = None,
        backpressure_timeout: float = 5.0,
        poll_interval: float = 0.1,
        partitioner: Partitioner | None = None,
        partitioners: Mapping[str, Partitioner] | None = None,
        check_topic_limits: bool = True,
        topic_limit_timeout: float = 1.0,
        registry_timeout: float | None = None,
        rules: str = "refuse",
        rule_conf: Mapping[str, Any] | None = None,
        metrics: Any = None,
        stats_interval_ms: int | None = None,
        init_timeout: float = 30.0,
        topics: Mapping[str, Topic] | Iterable[Topic] | None = None,
        tracing: TracingSetting = None,
    ) -> None:
        overrides = dict(config or {})
        if bootstrap_servers is not None:
            overrides["bootstrap.servers"] = bootstrap_servers
        unknown_callbacks = _CALLBACK_KEYS & overrides.keys()
        if unknown_callbacks:
            raise PublisherConfigError(
                f"{', '.join(sorted(unknown_callbacks))} are managed by the publisher; use "
                "metrics=, the returned futures, or Publisher.error_handler instead"
            )
        if metrics is not None:
            overrides.setdefault("statistics.interval.ms", stats_interval_ms or 5000)
            # The metrics' ``client`` label; unique per publisher so counters never mix.
            overrides.setdefault("client.id", f"herald-{os.getpid()}-{next(_CLIENT_NUMBERS)}")
        elif stats_interval_ms:
            overrides["statistics.interval.ms"] = stats_interval_ms
        settings = producer_config(preset, overrides, transactional_id=transactional_id)
        traced = publish_tracing(tracing)
        #: The librdkafka settings; printing them shows ``***`` for every secret.
        self.config: dict[str, Any] = SecretSettings(settings)
        self.client_id = str(settings.get("client.id", "rdkafka"))
        self.metrics = metrics
        self.error_handler: Callable[[KafkaError], None] | None = None
        self._fatal: KafkaError | None = None
        #: Set when the broker first refuses the SASL credentials; later calls fail with it.
        self._auth_failure: AuthenticationError | None = None
        librdkafka = dict(settings)
        librdkafka["error_cb"] = self._on_error
        librdkafka.setdefault("logger", kafka_logger())
        if metrics is not None:
            librdkafka["stats_cb"] = self._on_stats
        try:
            self._producer = Producer(librdkafka)
        except KafkaException as exc:
            raise PublisherConfigError(
                f"librdkafka rejected the producer settings: {exc}"
            ) from None
        self._resolver = SchemaResolver(
            registry_url,
            config=registry_config,
            auto_register=auto_register,
            client=registry_client,
            timeout=registry_timeout,
        )
        self._rules = check_policy(rules)
        self._rule_conf = dict(rule_conf or {})
        self._produce = self._producer.produce  # bound once for the publish path
        self.tally = Tally()
        #: Builds this publisher's futures (C-level init, counting into ``tally``).
        self._new_future = DeliveryFuture.counted_by(self.tally)
        self.backpressure_timeout = backpressure_timeout
        self._message_max = int(settings.get("message.max.bytes", DEFAULT_MESSAGE_MAX_BYTES))
        self._default_partitioner = partitioner
        self._partitioners = dict(partitioners or {})
        #: Declared topics (``[[topics]]``, the generated package's ``TOPICS``) by name.
        self.topics = topic_map(topics)
        self._partitions = PartitionCache(
            self._producer, declared={t.name: t.partitions for t in self.topics.values()}
        )
        self._check_topic_limits = check_topic_limits
        self._topic_limit_timeout = topic_limit_timeout
        self._admin: Any = None
        self._routes: dict[type[Event], Route] = {}
        self._topic_routes: dict[tuple[type[Event], str], Route] = {}
        #: The same routes as ``_topic_routes``, by topic then class: no key tuple per publish.
        self._by_topic: dict[str, dict[type[Event], Route]] = {}
        self._key_headers: dict[tuple[type[Event], str], bytes] = {}
        #: confluent-kafka's serializer per (key class, topic) whose key subject is delegated.
        self._key_delegates: dict[tuple[type[Event], str], Callable[[Event, str], bytes]] = {}
        self._topic_limits: dict[str, int | None] = {}
        self._route_lock = threading.Lock()
        #: One lock per route being built, so a slow registry or broker holds up only its callers.
        self._building: dict[tuple[type[Event], str | None], threading.Lock] = {}
        self._closed = False
        #: True once closed or fatally failed: the one flag the publish path checks.
        self._refusing = False
        self._transactional = transactional_id is not None
        self._in_transaction = False
        self._poll_interval = poll_interval
        #: Counts publish calls; every SERVE_EVERY-th one serves delivery reports inline.
        self._cadence = itertools.count(1)
        #: time.monotonic() of the last time a publishing thread served delivery reports.
        self._served_at = 0.0
        self._stop = threading.Event()
        self._poller = threading.Thread(target=self._poll_loop, name="herald-poll", daemon=True)
        if traced is not None:
            # Chosen once here: an untraced publisher keeps the plain method, with no check
            # per event.
            self.publish = traced.wrap(self.publish, self._resolver)  # type: ignore[method-assign]
            self.publish_many = traced.wrap_many(self.publish_many)  # type: ignore[method-assign]
        self._poller.start()
        _log.info(
            "publisher %s: started for %s (preset %s, idempotent %s, transactional %s)",
            self.client_id,
            settings.get("bootstrap.servers", "librdkafka's mock cluster"),
            preset,
            settings.get("enable.idempotence"),
            self._transactional,
        )
        if self._transactional:
            self._init_transactions(init_timeout)

    def _init_transactions(self, timeout: float) -> None:
        """init_transactions in one-second slices, so refused credentials end it within seconds.

        librdkafka lets a timed-out or retriable init_transactions be called again to resume it.
        """
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            try:
                self._producer.init_transactions(max(0.1, min(1.0, remaining)))
                return
            except KafkaException as exc:
                err = exc.args[0] if exc.args else None
                timed_out = isinstance(err, KafkaError) and err.code() == KafkaError._TIMED_OUT
                retriable = isinstance(err, KafkaError) and err.retriable()
                if self._auth_failure is None and (timed_out or retriable) and remaining > 1.0:
                    if not timed_out:
                        time.sleep(0.1)  # e.g. "coordinator load in progress": ask again soon
                    continue
                self.close(0)
                if self._auth_failure is not None:
                    raise self._auth_failure from None
                raise transactions.classify(exc, "init_transactions") from None

    # ------------------------------------------------------------------ construction helpers
    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None, **kwargs: Any) -> Publisher:
        """Build from KAFKA_BOOTSTRAP_SERVERS, SCHEMA_REGISTRY_URL and the HERALD_* settings."""
        settings = settings_from_env(env)
        config = {**settings.kafka, **dict(kwargs.pop("config", None) or {})}
        registry_config = {**settings.registry, **dict(kwargs.pop("registry_config", None) or {})}
        params: dict[str, Any] = {
            "preset": settings.preset,
            "auto_register": settings.auto_register,
            "transactional_id": settings.transactional_id,
            "backpressure_timeout": settings.backpressure_timeout,
        }
        if settings.stats_interval_ms:
            params["stats_interval_ms"] = settings.stats_interval_ms
        params.update(kwargs)
        return cls(
            settings.bootstrap_servers,
            settings.registry_url,
            config=config,
            registry_config=registry_config,
            **params,
        )

    @property
    def producer(self) -> Producer:
        """The underlying confluent_kafka Producer, for what the publisher does not wrap."""
        return self._producer

    @property
    def resolver(self) -> SchemaResolver:
        """The schema id resolver (and its registry client) this publisher uses."""
        return self._resolver

    # ------------------------------------------------------------------ callbacks and polling
    def _on_error(self, err: KafkaError) -> None:
        self._note_fatal(err)
        _log.log(
            logging.ERROR if err.fatal() else logging.WARNING,
            "publisher %s: Kafka reported %s",
            self.client_id,
            err,
        )
        if self._auth_failure is None and is_authentication_failure(err):
            self._fail_authentication(err)
        handler = self.error_handler
        if handler is not None:
            handler(err)

    def _on_stats(self, stats_json: str) -> None:
        metrics = self.metrics
        if metrics is not None:
            metrics.observe(stats_json, self)

    def _note_fatal(self, err: Any) -> None:
        """Remember a fatal error so every later call fails with it instead of a vague one."""
        if isinstance(err, KafkaError) and err.fatal() and self._fatal is None:
            self._fatal = err
            self._refusing = True

    def _fail_authentication(self, err: KafkaError) -> None:
        """Refuse further publishing and fail every queued and in-flight event with one error.

        The error is set on the tally before the purge, so the delivery reports of the purged
        events (served by the next poll) carry it instead of librdkafka's "purged".
        """
        failure = authentication_error(err, self.config)
        self._auth_failure = failure
        self.tally.cause = failure
        self._refusing = True
        self._producer.purge(in_queue=True, in_flight=True, blocking=False)

    def _tx_error(self, exc: KafkaException, operation: str) -> PublisherError:
        self._note_fatal(exc.args[0] if exc.args else None)
        return transactions.classify(exc, operation)

    def _poll_loop(self) -> None:
        """Serve delivery reports, errors and statistics until close.

        ``poll`` blocks until the first event, so an idle publisher reports a delivery at once.
        Under load it serves everything queued in one call and then rests ``POLL_REST``
        seconds, so callbacks arrive in batches instead of taking the GIL from the publishing
        thread after every acknowledgement (in one run on a loaded 2-core machine, a poll
        thread that never rested made publish_many about a quarter slower per event).
        While threads are publishing they serve reports themselves every ``SERVE_EVERY``
        events (:meth:`_serve`) and this thread stands aside; it takes over within
        ``SERVE_WINDOW`` seconds of the last one.
        """
        poll = self._producer.poll
        interval = self._poll_interval
        rest = self._stop.wait
        monotonic = time.monotonic
        last_refresh = monotonic()
        while not self._stop.is_set():
            now = monotonic()
            if now - last_refresh > 5.0:
                last_refresh = now
                self._partitions.refresh_stale()
            if now - self._served_at < SERVE_WINDOW:
                rest(SERVE_WINDOW / 5)  # a publishing thread serves reports right now
                continue
            try:
                if poll(interval):
                    rest(POLL_REST)
            except KafkaException as exc:  # librdkafka raises fatal errors from poll too
                self._note_fatal(exc.args[0] if exc.args else None)
                if self._fatal is not None:
                    self._stop.wait(interval)

    # ------------------------------------------------------------------ routing
    def _limit_for(self, topic: str) -> tuple[int, str]:
        limit, setting = self._message_max, "the producer's message.max.bytes"
        declared = self.topics.get(topic)
        if declared is not None and declared.max_message_bytes is not None:
            # Declared and applied by `herald topics apply`: no broker round trip needed.
            if declared.max_message_bytes < limit:
                limit, setting = declared.max_message_bytes, f"topic {topic!r}'s max.message.bytes"
            return limit, setting
        if self._check_topic_limits:
            if topic not in self._topic_limits:
                if self._admin is None:
                    from confluent_kafka.admin import AdminClient

                    admin_conf: dict[str, Any] = {
                        k: v
                        for k, v in self.config.items()
                        if k == "bootstrap.servers"
                        or k.startswith(("security.", "sasl.", "ssl.", "client."))
                    }
                    admin_conf["logger"] = kafka_logger()
                    self._admin = AdminClient(admin_conf)
                self._topic_limits[topic] = _topic_limit(
                    self._admin, topic, self._topic_limit_timeout
                )
            topic_limit = self._topic_limits[topic]
            if topic_limit is not None and topic_limit < limit:
                limit, setting = topic_limit, f"topic {topic!r}'s max.message.bytes"
        return limit, setting

    def _route(self, cls: type[Event], topic: str | None) -> Route:
        if not isinstance(cls, type) or not issubclass(cls, Event):
            raise PublisherError(
                f"publish takes generated event instances, got {cls.__name__}; generate "
                "classes with `herald codegen`"
            )
        chosen = topic if topic is not None else default_topic(cls)
        if chosen is None:
            raise PublisherError(
                f"{cls.__name__} ({cls.FULL_NAME}) has no topic binding; pass topic=... to "
                "publish, or bind it in herald's config and regenerate"
            )
        if chosen in self.topics:
            # Once per route: a declared topic must have at least its declared partitions.
            self._partitions.partitions(chosen)
        with self._route_lock:
            building = self._building.setdefault((cls, topic), threading.Lock())
        with building:
            cached = (
                self._routes.get(cls) if topic is None else self._topic_routes.get((cls, topic))
            )
            if cached is not None:
                return cached
            subject = subject_of(cls, chosen)
            schema_id = self._resolver.resolve(cls, subject)
            delegate = self._contract_delegate(cls, subject)
            with self._route_lock:
                limit, setting = self._limit_for(chosen)
            route = Route(
                topic=chosen,
                header=header(cls.SCHEMA_FORMAT, schema_id, cls.MESSAGE_INDEXES),
                limit=limit,
                limit_setting=setting,
                partitioner=self._partitioners.get(chosen, self._default_partitioner),
                delegate=delegate,
            )
            if topic is None:
                self._routes[cls] = route
            else:
                self._topic_routes[(cls, topic)] = route
                self._by_topic.setdefault(topic, {})[cls] = route
            return route

    def _contract_delegate(
        self, cls: type[Event], subject: str, field: Field = "value"
    ) -> Callable[[Event, str], bytes] | None:
        """Read the subject's data contract; refuse, warn, or hand the subject to confluent."""
        rules = applying(self._resolver.contract(subject), "write")
        if not decide(subject, rules, self._rules, "publisher"):
            return None
        return serializer_for(
            cls, self._resolver.client, self._rule_conf, subject, rules, field=field
        )

    def _key_bytes(self, key: Any, topic: str) -> bytes | None:
        if not isinstance(key, Event):
            return encode_key(key)
        cls = type(key)
        cache_key = (cls, topic)
        head = self._key_headers.get(cache_key)
        if head is None:
            head = self._key_header(cls, topic)
        if self._key_delegates and cache_key in self._key_delegates:
            return self._key_delegates[cache_key](key, topic)
        return head + key.encode()

    def _key_header(self, cls: type[Event], topic: str) -> bytes:
        """Resolve a key class's ``<topic>-key`` subject once and apply its data contract."""
        strategy = cls.BINDINGS[0].strategy if cls.BINDINGS else "topic"
        subject = subject_for(strategy, topic, cls.FULL_NAME, is_key=True)
        schema_id = self._resolver.resolve(cls, subject)
        delegate = self._contract_delegate(cls, subject, "key")
        if delegate is not None:
            self._key_delegates[(cls, topic)] = delegate
        head = header(cls.SCHEMA_FORMAT, schema_id, cls.MESSAGE_INDEXES)
        self._key_headers[(cls, topic)] = head
        return head

    def preload(self, *classes: type[Event], topics: Iterable[str] = ()) -> None:
        """Resolve schema ids (and topic limits) now, failing fast when one is not registered.

        Call it at startup with every event class the service publishes: afterwards publishing
        needs no registry, so a registry outage does not stop the service.
        """
        for cls in classes:
            if cls.BINDINGS:
                self._route(cls, None)
                for binding in cls.BINDINGS[1:]:
                    self._route(cls, binding.topic)
            for topic in topics:
                self._route(cls, topic)
            if not cls.BINDINGS and not topics:
                raise PublisherError(
                    f"{cls.__name__} has no topic binding; pass topics=[...] to preload it"
                )

    # ------------------------------------------------------------------ publishing
    def _serve(self) -> None:
        """Serve queued delivery reports on the publishing thread (no GIL hand-over per report)."""
        self._served_at = time.monotonic()
        try:
            self._producer.poll(0)
        except KafkaException as exc:  # fatal errors surface on the next publish
            self._note_fatal(exc.args[0] if exc.args else None)

    def _refuse(self) -> PublisherError:
        if self._auth_failure is not None:
            return self._auth_failure
        if self._fatal is not None:
            return transactions.fatal_error(self._fatal)
        return PublisherClosed("publisher is closed; build a new Publisher to publish again")

    def publish(
        self,
        event: Event,
        *,
        key: Any = None,
        headers: Headers | None = None,
        topic: str | None = None,
        partition: int | None = None,
        timestamp: int | None = None,
        wait: float | None = None,
    ) -> DeliveryFuture:
        """Queue one event; the future resolves with its DeliveryReport once Kafka has it.

        ``wait`` overrides ``backpressure_timeout`` for this call (0: raise BufferFull at once).
        """
        if self._refusing:
            raise self._refuse()
        if not next(self._cadence) % SERVE_EVERY:
            self._serve()
        cls = type(event)
        if topic is None:
            route = self._routes.get(cls) or self._route(cls, None)
        else:
            routes = self._by_topic.get(topic)
            route = (routes and routes.get(cls)) or self._route(cls, topic)
        if route.delegate is None:
            value = route.header + event.encode()
        else:
            value = route.delegate(event, route.topic)
        if key is None:
            if len(value) > route.limit:
                raise MessageTooLarge(route.topic, len(value), route.limit, route.limit_setting)
        else:
            if type(key) is not bytes:
                key = self._key_bytes(key, route.topic)
            if len(value) > route.limit - len(key):
                size = len(value) + len(key)
                raise MessageTooLarge(route.topic, size, route.limit, route.limit_setting)
        future = self._new_future()
        if partition is None and route.partitioner is not None:
            all_ids, available = self._partitions.partitions(route.topic)
            partition = route.partitioner(key, all_ids, available)
        try:
            if partition is None and headers is None and timestamp is None:
                # Positional (topic, value, key, partition, on_delivery): no kwargs dict per call.
                self._produce(route.topic, value, key, -1, future)
            else:
                self._producer.produce(
                    route.topic,
                    value,
                    key,
                    on_delivery=future,
                    partition=-1 if partition is None else partition,
                    headers=headers,
                    timestamp=timestamp or 0,
                )
        except BufferError:
            try:
                self._wait_and_retry(
                    route.topic,
                    value=value,
                    key=key,
                    on_delivery=future,
                    partition=partition,
                    headers=headers,
                    timestamp=timestamp,
                    wait=wait,
                )
            except PublisherError as error:
                future.fail(error)
                error.futures = [future]
                raise
        except KafkaException as exc:
            raise self._produce_error(exc, route.topic) from None
        return future

    def _produce_error(self, exc: KafkaException, topic: str) -> PublisherError:
        err = exc.args[0] if exc.args else None
        if isinstance(err, KafkaError):
            self._note_fatal(err)
            if self._fatal is not None or err.code() == KafkaError._FATAL:
                return transactions.fatal_error(self._fatal or err)
            if err.code() == KafkaError.MSG_SIZE_TOO_LARGE:
                return MessageTooLarge(topic, -1, self._message_max, "message.max.bytes")
        error = PublisherError(f"could not queue an event for topic {topic!r}: {exc}")
        error.kafka_error = err if isinstance(err, KafkaError) else None
        return error

    def _wait_and_retry(
        self,
        topic: str,
        *,
        value: bytes,
        key: bytes | None,
        on_delivery: Callable[[Any, Any], None],
        partition: int | None,
        headers: Any,
        timestamp: int | None,
        wait: float | None = None,
    ) -> None:
        """Backpressure: serve delivery reports until the queue has room or the wait is over."""
        waited = self.backpressure_timeout if wait is None else wait
        deadline = time.monotonic() + waited
        kwargs: dict[str, Any] = {"on_delivery": on_delivery}
        if partition is not None:
            kwargs["partition"] = partition
        if headers is not None:
            kwargs["headers"] = headers
        if timestamp is not None:
            kwargs["timestamp"] = timestamp
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                queued = len(self._producer)
                raise BufferFull(
                    f"librdkafka's queue stayed full for {waited:g}s "
                    f"({queued} messages waiting) while publishing to {topic!r}; the broker is "
                    "slow or unreachable. Raise queue.buffering.max.messages/kbytes or "
                    "backpressure_timeout, or publish less"
                )
            self._producer.poll(min(0.05, remaining))
            if self._refusing:
                raise self._refuse()
            try:
                self._producer.produce(topic, value, key, **kwargs)
                return
            except BufferError:
                continue

    def publish_many(
        self,
        events: Iterable[Event],
        *,
        keys: Iterable[Any] | None = None,
        topic: str | None = None,
    ) -> DeliveryBatch:
        """Queue many events in one hoisted loop; one future resolves when all have a verdict.

        The :class:`~publisher.futures.DeliveryBatch` gives a ``BatchReport`` (delivered count,
        failed events with index and error); its ``result()`` raises ``BatchDeliveryError``
        when any event was not delivered. When queueing stops early (BufferFull,
        MessageTooLarge, ...), the error is raised with ``error.batch`` set: the events queued
        before it resolve on delivery, the rest are failures carrying the error.

        A list or tuple is read in place; any other iterable (a generator, say) is drawn one event
        at a time, so a service can build its events as they are queued and none outlives its
        queueing (a list of 10,000 built events is 40,000 objects for the garbage collector to
        walk while it is alive). When such a stream stops early, the event drawn last is a
        failure and the iterator is left where it stopped; with ``keys``, a count that differs
        is found when one of the two runs out.

        ``Producer.produce_batch`` is not used: on the real broker it was no faster than this loop
        (pre-framed bytes, 5 interleaved rounds: 617k msgs/s for the loop, 585k-599k for
        produce_batch), it needs a dict per message, and on a full queue it refuses some
        messages yet may accept later, smaller ones, which would reorder a key's events.
        """
        if self._refusing:
            raise self._refuse()
        stream = iter(events)
        listed: Sequence[Event] | None = None
        keyed: list[Any] | None = None
        pairs: Iterator[tuple[Any, Event]]
        batch = DeliveryBatch(self.tally)
        try:
            if stream is not events:  # a collection, not an iterator: read it whole
                listed = events if isinstance(events, list | tuple) else list(stream)
                pairs = zip(_batch_keys(keys, len(listed)), listed, strict=True)
            elif keys is None:
                pairs = zip(itertools.repeat(None), stream)
            else:
                # Keys first: when they run out, zip draws no event it would then drop.
                keyed = keys if isinstance(keys, list) else list(keys)
                pairs = zip(keyed, stream, strict=False)
            self._produce_all(pairs, topic, batch)
            if keyed is not None:
                _check_stream_keys(stream, len(keyed), batch)
        except Exception as exc:
            queued = len(batch.values)
            unsent = listed[queued:] if listed is not None else batch.drawn
            batch.seal(queued, exc, unsent)
            if isinstance(exc, PublisherError):
                exc.batch = batch
            raise
        batch.seal(len(batch.values))
        return batch

    def _produce_all(  # noqa: PLR0915 - one frame, so every lookup stays hoisted out of the loop
        self, pairs: Iterator[tuple[Any, Event]], topic: str | None, batch: DeliveryBatch
    ) -> None:
        """The loop of publish_many over (key, event) pairs, with every lookup hoisted out of it."""
        produce = self._produce
        routes = self._routes if topic is None else self._by_topic.get(topic, {})
        on_delivery = batch.on_delivery
        keep_value = batch.values.append
        keep_key = batch.keys.append
        keep_class = batch.classes.append
        last_cls: type[Event] | None = None
        route: Route | None = None
        target = ""
        head = b""
        limit = 0
        partitioner: Partitioner | None = None
        delegate: Callable[[Event, str], bytes] | None = None
        cadence = self._cadence
        event: Event | None = None
        sent = True  # nothing drawn yet
        try:
            for given, event in pairs:
                sent = False
                if not next(cadence) % SERVE_EVERY:
                    self._serve()
                cls = type(event)
                if cls is not last_cls:
                    route = routes.get(cls) or self._route(cls, topic)
                    target, head, limit = route.topic, route.header, route.limit
                    partitioner, delegate = route.partitioner, route.delegate
                    last_cls = cls
                    keep_class((len(batch.keys), cls, len(head)))
                if delegate is None:
                    value = head + event.encode()
                else:
                    value = delegate(event, target)
                    # A contract's rules may transform the bytes: keep the event to report it.
                    batch.kept[len(batch.keys)] = event
                key = given
                if given is not None and type(given) is not bytes:
                    key = self._key_bytes(given, target)
                keep_key(key)
                size = len(value) if key is None else len(value) + len(key)
                if size > limit:
                    assert route is not None
                    raise MessageTooLarge(target, size, limit, route.limit_setting)
                try:
                    if partitioner is None:
                        produce(target, value, key, -1, on_delivery)
                    else:
                        all_ids, available = self._partitions.partitions(target)
                        chosen = partitioner(key, all_ids, available)
                        produce(target, value, key, chosen, on_delivery)
                except BufferError:
                    self._wait_and_retry(
                        target,
                        value=value,
                        key=key,
                        on_delivery=on_delivery,
                        partition=None,
                        headers=None,
                        timestamp=None,
                    )
                except KafkaException as exc:
                    raise self._produce_error(exc, target) from None
                keep_value(value)
                sent = True
        except BaseException:
            # The event drawn when the loop stopped, unless it was queued (the iterator raised).
            batch.drawn = [] if sent else [event]
            raise

    # ------------------------------------------------------------------ lifecycle
    def flush(self, timeout: float = 30.0) -> int:
        """Wait until queued events are delivered (or failed); returns how many remain."""
        return int(self._producer.flush(timeout))

    def __len__(self) -> int:
        """Events queued in librdkafka and not yet delivered."""
        # librdkafka counts events waiting to be served (log lines for the `logger` bridge,
        # delivery reports) as queued; flush(0) serves those first, without waiting.
        return int(self._producer.flush(0))

    def close(self, timeout: float = 30.0) -> None:
        """Flush, fail whatever could not be delivered in time, and stop the poll thread."""
        if self._closed:
            return
        self._closed = True
        self._refusing = True
        try:
            remaining = self._producer.flush(timeout) if timeout > 0 else len(self._producer)
            if remaining:
                _log.warning(
                    "publisher %s: %d event(s) not delivered within %gs of close; failing them",
                    self.client_id,
                    remaining,
                    timeout,
                )
                self._producer.purge()
                self._producer.flush(1.0)
        finally:
            self._stop.set()
            if self._poller.is_alive() and self._poller is not threading.current_thread():
                self._poller.join(timeout=5.0)
            self._resolver.close()
            if self.metrics is not None:
                self.metrics.record_tally(self.client_id, self.tally)
            _log.info(
                "publisher %s: closed (%d delivered, %d failed)",
                self.client_id,
                self.tally.delivered,
                self.tally.failed,
            )

    def __enter__(self) -> Publisher:
        """Use as a context manager: close (with flush) on exit."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Flush and close."""
        self.close()

    # ------------------------------------------------------------------ transactions
    @contextlib.contextmanager
    def transaction(self, timeout: float = 30.0) -> Iterator[Publisher]:
        """Commit what is published inside the block, or abort it when the block raises."""
        if not self._transactional:
            raise PublisherConfigError(
                "transaction() needs Publisher(..., transactional_id='<stable id per instance>')"
            )
        if self._refusing:
            raise self._refuse()
        if self._in_transaction:
            raise PublisherError("a transaction is already open on this publisher; nest none")
        try:
            self._producer.begin_transaction()
        except KafkaException as exc:
            raise self._tx_error(exc, "begin_transaction") from None
        self._in_transaction = True
        try:
            yield self
        except BaseException as exc:
            self._in_transaction = False
            fatal = self._fatal is not None or isinstance(exc, ProducerFenced)
            if not fatal:
                self._abort(timeout)
            raise
        self._in_transaction = False
        try:
            transactions.commit(self._producer, timeout, self._abort)
        except TransactionError as exc:
            self._note_fatal(exc.kafka_error)
            raise
        if self.metrics is not None:
            self.metrics.transaction_finished(committed=True, client=self.client_id)

    def _abort(self, timeout: float) -> None:
        try:
            self._producer.abort_transaction(timeout)
        except KafkaException as exc:
            raise self._tx_error(exc, "abort_transaction") from None
        if self.metrics is not None:
            self.metrics.transaction_finished(committed=False, client=self.client_id)

    def send_offsets(
        self, consumer: Any, offsets: Sequence[Any] | None = None, timeout: float = 30.0
    ) -> None:
        """Add the consumer's positions to the open transaction (consume-transform-produce)."""
        if not self._in_transaction:
            raise PublisherError("send_offsets() must be called inside `with pub.transaction():`")
        raw = getattr(consumer, "consumer", consumer)
        positions = list(offsets) if offsets is not None else raw.position(raw.assignment())
        try:
            self._producer.send_offsets_to_transaction(
                positions, raw.consumer_group_metadata(), timeout
            )
        except KafkaException as exc:
            raise self._tx_error(exc, "send_offsets_to_transaction") from None
