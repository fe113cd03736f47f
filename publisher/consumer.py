"""Typed consumption: Confluent-framed bytes → writer schema id → generated event class → instance.

:class:`TypedDeserializer` needs no registered reader schema. For a schema id it has not
seen it fetches the writer's schema once, with its references, and picks the class to read
it with: for Avro the class of the writer record's full name (or listing it in its aliases,
else the only class of the same unqualified name, the name Avro's resolution compares),
resolved against the writer by Avro's rules (:mod:`publisher.codec.resolution`: refused with
the compatibility rule that breaks, else compiled once into a transcoder for that id); for
Protobuf the class of the message the wire's message indexes name *in the writer's file*,
whose generated parser keeps fields it does not know.

:class:`TypedConsumer` is a small wrapper over ``confluent_kafka.Consumer`` that yields
:class:`TypedMessage` (event plus topic, partition, offset, key, headers) for consume-transform-
produce loops and tests. A record that cannot be decoded goes to its ``on_error`` policy
(:mod:`publisher.record_errors`); under ``"raise"`` the records read before it are kept and
returned first by the next call. Its ``consumer`` attribute is the raw consumer
(``Publisher.send_offsets`` accepts either).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from confluent_kafka import Consumer, KafkaException

from publisher.codec.avro_schema import AvroNode, SchemaTextError, parse_schema
from publisher.codec.proto_names import message_names
from publisher.codec.resolution import Refusal, resolve
from publisher.contracts import applying, check_policy, decide, deserializer_for
from publisher.credentials import SecretSettings, authentication_error, is_authentication_failure
from publisher.errors import (
    AuthenticationError,
    EventDecodeError,
    PublisherConfigError,
    PublisherError,
    SchemaResolutionError,
    UnknownSchemaId,
)
from publisher.event import Event
from publisher.logs import kafka_logger
from publisher.record_errors import OnError, RecordErrorPolicy
from publisher.registry import SchemaResolver
from publisher.subjects import subject_for
from publisher.tracing import TracingSetting, consume_tracing
from publisher.wire import parse_header

Decoder = Callable[[bytes], Event]


def _transcoded(cls: type[Event], transcode: Callable[[bytes], bytes]) -> Decoder:
    """A writer id's decoder: rewrite into the class's layout, then the generated decoder."""
    decode = cls.decode

    def read(body: bytes) -> Event:
        return decode(transcode(body))

    return read


class TypedDeserializer:
    """Decode framed messages into instances of the given classes, whatever version wrote them."""

    def __init__(
        self,
        classes: Iterable[type[Event]],
        resolver: SchemaResolver,
        *,
        rules: str = "refuse",
        rule_conf: Mapping[str, Any] | None = None,
    ) -> None:
        self._classes = tuple(classes)
        self._resolver = resolver
        policy = check_policy(rules)
        #: Classes whose subject's READ rules go through confluent-kafka's deserializer.
        self._delegates: dict[type[Event], Callable[[bytes, str], Event]] = {}
        for cls in self._classes:
            for subject in self._subjects(cls):
                read_rules = applying(resolver.contract(subject), "read")
                if decide(subject, read_rules, policy, "typed consumer"):
                    self._delegates[cls] = deserializer_for(
                        cls, resolver.client, rule_conf, subject, read_rules
                    )
        self._by_name: dict[tuple[str, str], type[Event]] = {}
        self._readers: dict[type[Event], AvroNode] = {}
        for cls in self._classes:
            self._name(cls.SCHEMA_FORMAT, cls.FULL_NAME, cls)
            if cls.SCHEMA_FORMAT == "AVRO":
                reader = parse_schema(cls.READER_SCHEMA or cls.SCHEMA)
                self._readers[cls] = reader
                for alias in sorted(reader.aliases):
                    self._by_name.setdefault(("AVRO", alias), cls)
        #: (schema id, protobuf message indexes) -> decoder; filled once per id.
        self._decoders: dict[tuple[int, tuple[int, ...]], Decoder] = {}
        self._by_key: dict[tuple[int, tuple[int, ...]], type[Event]] = {}
        self._formats: dict[int, str] = {}
        self._proto_files: dict[int, dict[tuple[int, ...], str]] = {}
        #: Ids of classes with READ rules: confluent-kafka's deserializer reads the whole record.
        self._whole: dict[tuple[int, tuple[int, ...]], Callable[[bytes, str], Event]] = {}
        #: Why an id cannot be read; its decoder raises this for every record.
        self._errors: dict[tuple[int, tuple[int, ...]], EventDecodeError] = {}
        self._lock = threading.Lock()

    def _failing(self, key: tuple[int, tuple[int, ...]], error: EventDecodeError) -> Decoder:
        """A decoder for an id that cannot be read: it raises the same error for every record."""
        self._errors[key] = error

        def fail(body: bytes) -> Event:
            raise error

        return fail

    @staticmethod
    def _subjects(event_cls: type[Event]) -> list[str]:
        """Subjects whose data contract applies: the class's bindings, else its record name."""
        subjects = [binding.subject for binding in event_cls.BINDINGS]
        return list(dict.fromkeys(subjects or [subject_for("record", "", event_cls.FULL_NAME)]))

    def _name(self, fmt: str, name: str, cls: type[Event]) -> None:
        other = self._by_name.get((fmt, name))
        if other is not None and other is not cls:
            raise PublisherConfigError(
                f"two classes read {name}: {other.__module__}.{other.__name__} and "
                f"{cls.__module__}.{cls.__name__}; pass one of them"
            )
        self._by_name[(fmt, name)] = cls

    def _by_short_name(self, name: str) -> type[Event] | None:
        """The one Avro class whose unqualified name is ``name`` (Avro matches names so)."""
        found = [c for c in self._readers if c.FULL_NAME.rpartition(".")[2] == name]
        return found[0] if len(found) == 1 and name else None

    @property
    def ids(self) -> Mapping[tuple[int, tuple[int, ...]], type[Event]]:
        """(schema id, protobuf message indexes) → class, as learned so far."""
        return dict(self._by_key)

    def _unknown(self, schema_id: int, what: str) -> UnknownSchemaId:
        names = ", ".join(c.FULL_NAME for c in self._classes)
        return UnknownSchemaId(
            f"schema id {schema_id} ({what}) is none of the classes this deserializer knows "
            f"({names}); pass the generated class of that type, or one that lists its name in "
            '"aliases"'
        )

    def _learn(self, schema_id: int) -> str:
        """Fetch a writer schema once; for Avro, build its decoder now."""
        with self._lock:
            known = self._formats.get(schema_id)
            if known is not None:
                return known
            schema_type, text, references = self._resolver.writer_schema(schema_id)
            fmt = schema_type.upper()
            if fmt == "PROTOBUF":
                self._proto_files[schema_id] = message_names(text)
            elif fmt == "AVRO":
                self._decoders[(schema_id, ())] = self._avro_decoder(schema_id, text, references)
            self._formats[schema_id] = fmt
            return fmt

    def _avro_decoder(self, schema_id: int, text: str, references: tuple[str, ...]) -> Decoder:
        key = (schema_id, ())
        try:
            writer = parse_schema(text, references)
        except SchemaTextError as exc:
            return self._failing(key, EventDecodeError(f"writer schema id {schema_id}: {exc}"))
        name = writer.full_name or writer.describe()
        cls = self._by_name.get(("AVRO", name)) or self._by_short_name(writer.name)
        if cls is None:
            return self._failing(key, self._unknown(schema_id, name))
        self._by_key[(schema_id, ())] = cls
        try:
            transcode = resolve(self._readers[cls], writer)
        except Refusal as refusal:
            reader = f"{cls.FULL_NAME} ({cls.__module__}.{cls.__name__})"
            error = SchemaResolutionError(schema_id, reader, refusal.rule, refusal.detail)
            return self._failing(key, error)
        except SchemaTextError as exc:
            return self._failing(key, EventDecodeError(f"writer schema id {schema_id}: {exc}"))
        if cls in self._delegates:
            self._whole[key] = self._delegates[cls]
        return cls.decode if transcode is None else _transcoded(cls, transcode)

    def _proto_decoder(self, schema_id: int, indexes: tuple[int, ...]) -> Decoder:
        with self._lock:
            found = self._decoders.get((schema_id, indexes))
            if found is not None:
                return found
            name = self._proto_files[schema_id].get(indexes)
            cls = self._by_name.get(("PROTOBUF", name)) if name is not None else None
            if cls is None:
                what = f"message indexes {list(indexes)}" + (f": {name}" if name else "")
                decoder = self._failing((schema_id, indexes), self._unknown(schema_id, what))
            else:
                self._by_key[(schema_id, indexes)] = cls
                decoder = cls.decode
                if cls in self._delegates:
                    self._whole[(schema_id, indexes)] = self._delegates[cls]
            self._decoders[(schema_id, indexes)] = decoder
            return decoder

    def class_for(self, schema_id: int, indexes: tuple[int, ...] = ()) -> type[Event]:
        """The class that reads a schema id (and protobuf message indexes); asks the registry once.

        Raises the error every record of that id would raise when no class can read it.
        """
        fmt = self._formats.get(schema_id) or self._learn(schema_id)
        if fmt == "PROTOBUF":
            self._proto_decoder(schema_id, indexes)
        error = self._errors.get((schema_id, indexes))
        if error is not None:
            raise error
        cls = self._by_key.get((schema_id, indexes))
        if cls is None:
            raise self._unknown(schema_id, f"{fmt} with message indexes {list(indexes)}")
        return cls

    def __call__(self, data: bytes | None) -> Event | None:
        """Decode one framed value (None stays None: tombstones)."""
        if data is None:
            return None
        schema_id, _, _ = parse_header(data, None)
        fmt = self._formats.get(schema_id) or self._learn(schema_id)
        if fmt == "AVRO":
            indexes: tuple[int, ...] = ()
            decoder = self._decoders[(schema_id, ())]
            body = data[5:]
        elif fmt == "PROTOBUF":
            _, indexes, body = parse_header(data, fmt)
            decoder = self._decoders.get((schema_id, indexes)) or self._proto_decoder(
                schema_id, indexes
            )
        else:
            raise EventDecodeError(f"schema id {schema_id} is {fmt}, which herald cannot decode")
        try:
            if self._whole and (schema_id, indexes) in self._whole:
                return self._whole[(schema_id, indexes)](data, "")
            return decoder(body)
        except EventDecodeError:
            raise
        except Exception as exc:
            raise EventDecodeError(
                f"cannot decode a record of schema id {schema_id}: {exc}"
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
        on_error: OnError = "raise",
        rules: str = "refuse",
        rule_conf: Mapping[str, Any] | None = None,
        tracing: TracingSetting = None,
    ) -> None:
        #: What happens to a record that cannot be decoded; its counts say how many were passed.
        self.on_error = RecordErrorPolicy(on_error)
        self._own_resolver = resolver is None
        resolver = resolver or SchemaResolver(registry_url, config=registry_config)
        self.resolver = resolver
        self.deserializer = TypedDeserializer(classes, resolver, rules=rules, rule_conf=rule_conf)
        settings = {
            "bootstrap.servers": bootstrap_servers,
            "group.id": group_id,
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
            "isolation.level": "read_committed",
            **dict(config or {}),
        }
        settings.setdefault("logger", kafka_logger())
        #: Set when the broker refuses the SASL credentials; poll raises it from then on.
        self.auth_failure: AuthenticationError | None = None
        self._their_error_cb = settings.pop("error_cb", None)
        self._settings = SecretSettings(settings)
        self.consumer = Consumer({**settings, "error_cb": self._on_error})
        #: Records read before an error raised; the next poll() or take() returns them first.
        self._kept: deque[TypedMessage] = deque()
        #: Raw records fetched in the same batch after one that raised; decoded next time.
        self._unread: deque[Any] = deque()
        if topics:
            self.consumer.subscribe(list(topics))
        traced = consume_tracing(tracing, group_id)
        if traced is not None:
            self._typed = traced.wrap(self._typed)  # type: ignore[method-assign,assignment]

    def _on_error(self, err: Any) -> None:
        if self.auth_failure is None and is_authentication_failure(err):
            self.auth_failure = authentication_error(err, self._settings)
        if self._their_error_cb is not None:
            self._their_error_cb(err)

    def _typed(self, msg: Any) -> TypedMessage | None:
        """One raw record as a TypedMessage; None when it went to the error policy."""
        err = msg.error()
        if err is not None:
            if err.code() == err._PARTITION_EOF:
                return None
            raise PublisherError(f"consume failed on {msg.topic()}: {err}")
        try:
            event = self.deserializer(msg.value())
        except EventDecodeError as exc:
            exc.kafka_message = msg
            exc.add_note(
                f"record {msg.topic()}[{msg.partition()}]@{msg.offset()}; the raw message is "
                "the error's kafka_message"
            )
            self.on_error.handle(msg, exc)
            return None
        return TypedMessage(
            event=event,
            topic=msg.topic() or "",
            partition=msg.partition() or 0,
            offset=msg.offset() or 0,
            key=msg.key(),
            headers=_header_pairs(msg.headers()),
            timestamp=msg.timestamp()[1],
        )

    def _refused(self) -> None:
        """Raise the broker's refusal of the credentials, once one was reported."""
        if self.auth_failure is not None:
            raise self.auth_failure

    def poll(self, timeout: float = 1.0) -> TypedMessage | None:
        """Return the next record decoded, or None when nothing came within ``timeout``.

        Raises :class:`~publisher.errors.AuthenticationError` once the broker refused the
        credentials, instead of returning None until the caller gives up.
        """
        if self._kept:
            return self._kept.popleft()
        self._refused()
        deadline = time.monotonic() + timeout
        while True:
            if self._unread:
                msg = self._unread.popleft()
            else:
                msg = self.consumer.poll(max(deadline - time.monotonic(), 0.0))
            if msg is None:
                self._refused()
                return None
            typed = self._typed(msg)
            if typed is not None:
                return typed
            if time.monotonic() >= deadline:
                return None

    def take(self, count: int, timeout: float = 30.0) -> list[TypedMessage]:
        """Read up to ``count`` records, giving up after ``timeout`` seconds in total.

        Records come from librdkafka in batches (``Consumer.consume``). When a record raises
        (``on_error="raise"``), the ones read before it are kept for the next call.
        """
        deadline = time.monotonic() + timeout
        out: list[TypedMessage] = []
        while self._kept and len(out) < count:
            out.append(self._kept.popleft())
        try:
            while len(out) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                batch = self._fetch(min(count - len(out), 1000), min(remaining, 1.0))
                for position, msg in enumerate(batch):
                    try:
                        typed = self._typed(msg)
                    except PublisherError:
                        self._unread.extendleft(reversed(batch[position + 1 :]))
                        raise
                    if typed is not None:
                        out.append(typed)
        except PublisherError as exc:
            self._kept.extendleft(reversed(out))
            if out:
                exc.add_note(f"the {len(out)} records read before it are kept: take() returns them")
            raise
        return out

    def _fetch(self, count: int, timeout: float) -> list[Any]:
        """Raw records left unread by an earlier error first, else a batch from librdkafka."""
        if self._unread:
            return [self._unread.popleft() for _ in range(min(count, len(self._unread)))]
        self._refused()
        batch = list(self.consumer.consume(count, timeout))
        if not batch:
            self._refused()  # records already fetched are returned first
        return batch

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
