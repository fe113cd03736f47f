"""Typed consumption: Confluent-framed bytes → schema id → generated event class → instance.

:class:`TypedDeserializer` learns the schema id of each event class it is given (by the same
registry lookup the publisher does, under each of the class's subjects), then decodes a message
by reading the id — and, for Protobuf, the message indexes, since every message of one
.proto file shares its schema id — from the wire header and calling that class's ``decode``.
An id it has not seen is fetched from the registry once and matched to classes by schema text,
so events registered under other subjects still decode.

:class:`TypedConsumer` is a small wrapper over ``confluent_kafka.Consumer`` that yields
:class:`TypedMessage` (event plus topic, partition, offset, key, headers) for consume-transform-
produce loops and tests. Its ``consumer`` attribute is the raw consumer
(``Publisher.send_offsets`` accepts either).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from confluent_kafka import Consumer, KafkaException

from publisher.contracts import applying, check_policy, decide, deserializer_for
from publisher.errors import EventDecodeError, PublisherError, UnknownSchemaId
from publisher.event import Event
from publisher.logs import kafka_logger
from publisher.registry import SchemaResolver
from publisher.subjects import subject_for
from publisher.wire import parse_header


def _indexes_of(cls: type[Event]) -> tuple[int, ...]:
    """Message indexes as read from the wire: () for Avro, (0,) for a file's first message."""
    if cls.SCHEMA_FORMAT != "PROTOBUF":
        return ()
    return tuple(cls.MESSAGE_INDEXES) or (0,)


def _same_schema(schema_type: str, registered: str, cls: type[Event]) -> bool:
    if schema_type.upper() != cls.SCHEMA_FORMAT:
        return False
    if registered == cls.SCHEMA:
        return True
    if cls.SCHEMA_FORMAT == "AVRO":
        try:
            return bool(json.loads(registered) == json.loads(cls.SCHEMA))
        except ValueError:
            return False
    return registered.strip() == cls.SCHEMA.strip()


class TypedDeserializer:
    """Map schema ids to event classes and decode framed messages into instances."""

    def __init__(
        self,
        classes: Iterable[type[Event]],
        resolver: SchemaResolver,
        *,
        topics: Sequence[str] = (),
        rules: str = "refuse",
        rule_conf: Mapping[str, Any] | None = None,
    ) -> None:
        self._classes = tuple(classes)
        policy = check_policy(rules)
        #: Classes whose subject's READ rules go through confluent-kafka's deserializer.
        self._delegates: dict[type[Event], Callable[[bytes, str], Event]] = {}
        self._resolver = resolver
        self._by_key: dict[tuple[int, tuple[int, ...]], type[Event]] = {}
        self._formats: dict[int, str] = {}
        self._lock = threading.Lock()
        for cls in self._classes:
            for subject in self._subjects(cls, topics):
                self._learn(resolver.resolve(cls, subject), cls)
                read_rules = applying(resolver.contract(subject), "read")
                if decide(subject, read_rules, policy, "typed consumer"):
                    self._delegates[cls] = deserializer_for(
                        cls, resolver.client, rule_conf, subject, read_rules
                    )

    def _learn(self, schema_id: int, cls: type[Event]) -> None:
        self._formats[schema_id] = cls.SCHEMA_FORMAT
        self._by_key[(schema_id, _indexes_of(cls))] = cls

    @staticmethod
    def _subjects(event_cls: type[Event], topics: Sequence[str]) -> list[str]:
        """Subjects to learn ids from: the class's bindings, else its record-name subject.

        Ids registered elsewhere (another topic, another strategy) are matched lazily by
        schema text in :meth:`class_for`, so no guess is needed here.
        """
        subjects = [binding.subject for binding in event_cls.BINDINGS]
        if not subjects:
            subjects.append(subject_for("record", "", event_cls.FULL_NAME))
        return list(dict.fromkeys(subjects))

    @property
    def ids(self) -> Mapping[tuple[int, tuple[int, ...]], type[Event]]:
        """(schema id, protobuf message indexes) → class, as learned so far."""
        return dict(self._by_key)

    def _format_of(self, schema_id: int) -> str:
        known = self._formats.get(schema_id)
        if known is not None:
            return known
        with self._lock:
            schema_type, text = self._resolver.schema_text(schema_id)
            self._formats[schema_id] = schema_type.upper()
            for candidate in self._classes:
                if _same_schema(schema_type, text, candidate):
                    self._by_key.setdefault((schema_id, _indexes_of(candidate)), candidate)
        return self._formats[schema_id]

    def class_for(self, schema_id: int, indexes: tuple[int, ...] = ()) -> type[Event]:
        """The class of a schema id (and protobuf message indexes); unknown ids asked once."""
        self._format_of(schema_id)
        cls = self._by_key.get((schema_id, indexes))
        if cls is not None:
            return cls
        names = ", ".join(c.FULL_NAME for c in self._classes)
        where = f" message indexes {list(indexes)}" if indexes else ""
        raise UnknownSchemaId(
            f"schema id {schema_id}{where} is none of the classes this deserializer knows "
            f"({names}); pass the generated class of that schema, or regenerate after a "
            "schema change"
        )

    def __call__(self, data: bytes | None) -> Event | None:
        """Decode one framed value (None stays None: tombstones)."""
        if data is None:
            return None
        schema_id, _, _ = parse_header(data, None)
        _, indexes, body = parse_header(data, self._format_of(schema_id))
        cls = self.class_for(schema_id, indexes)
        delegate = self._delegates.get(cls)
        try:
            return cls.decode(body) if delegate is None else delegate(data, "")
        except EventDecodeError:
            raise
        except Exception as exc:
            raise EventDecodeError(
                f"cannot decode schema id {schema_id} as {cls.__name__}: {exc}"
            ) from exc


def _header_pairs(raw: Any) -> list[tuple[str, bytes | None]]:
    """Consumed headers as (name, bytes) pairs, whatever shape the client returned."""
    items = raw.items() if isinstance(raw, dict) else (raw or [])
    return [(name, value.encode() if isinstance(value, str) else value) for name, value in items]


@dataclass(frozen=True, slots=True)
class TypedMessage:
    """One consumed record with its decoded event."""

    event: Event | None
    topic: str
    partition: int
    offset: int
    key: bytes | None
    headers: list[tuple[str, bytes | None]]
    timestamp: int


class TypedConsumer:
    """A ``confluent_kafka.Consumer`` that returns decoded events; close it (or use ``with``)."""

    def __init__(
        self,
        bootstrap_servers: str,
        group_id: str,
        classes: Iterable[type[Event]],
        *,
        registry_url: str | None = None,
        registry_config: Mapping[str, Any] | None = None,
        resolver: SchemaResolver | None = None,
        topics: Sequence[str] = (),
        config: Mapping[str, Any] | None = None,
        rules: str = "refuse",
        rule_conf: Mapping[str, Any] | None = None,
    ) -> None:
        self._own_resolver = resolver is None
        resolver = resolver or SchemaResolver(registry_url, config=registry_config)
        self.resolver = resolver
        self.deserializer = TypedDeserializer(
            classes, resolver, topics=topics, rules=rules, rule_conf=rule_conf
        )
        settings = {
            "bootstrap.servers": bootstrap_servers,
            "group.id": group_id,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
            **dict(config or {}),
        }
        settings.setdefault("logger", kafka_logger())
        self.consumer = Consumer(settings)
        if topics:
            self.consumer.subscribe(list(topics))

    def poll(self, timeout: float = 1.0) -> TypedMessage | None:
        """Return the next record decoded, or None when nothing came within ``timeout``."""
        msg = self.consumer.poll(timeout)
        if msg is None:
            return None
        err = msg.error()
        if err is not None:
            if err.code() == err._PARTITION_EOF:
                return None
            raise PublisherError(f"consume failed on {msg.topic()}: {err}")
        return TypedMessage(
            event=self.deserializer(msg.value()),
            topic=msg.topic() or "",
            partition=msg.partition() or 0,
            offset=msg.offset() or 0,
            key=msg.key(),
            headers=_header_pairs(msg.headers()),
            timestamp=msg.timestamp()[1],
        )

    def take(self, count: int, timeout: float = 30.0) -> list[TypedMessage]:
        """Read up to ``count`` records, giving up after ``timeout`` seconds in total."""
        deadline = time.monotonic() + timeout
        out: list[TypedMessage] = []
        while len(out) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            message = self.poll(min(remaining, 1.0))
            if message is not None:
                out.append(message)
        return out

    def commit(self, asynchronous: bool = False) -> None:
        """Commit the current positions (outside a transaction)."""
        try:
            if asynchronous:
                self.consumer.commit(asynchronous=True)
            else:
                self.consumer.commit(asynchronous=False)
        except KafkaException as exc:
            raise PublisherError(f"offset commit failed: {exc}") from None

    def close(self) -> None:
        """Leave the group and release the consumer (and the registry client it created)."""
        self.consumer.close()
        if self._own_resolver:
            self.resolver.close()

    def __enter__(self) -> TypedConsumer:
        """Use as a context manager."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Close on exit."""
        self.close()
