"""The contract every generated event class fulfils, so the publisher can route and serialize it.

Generated classes (``herald codegen``) subclass :class:`Event` and fill the class variables
at generation time. The publisher reads only these names: the binding tells it the topic and
subject, ``encode()`` gives the schemaless body (Avro) or protobuf bytes, and the wire header
(magic byte, schema id, protobuf message indexes) is added by ``publisher``'s serde.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal, Self

SchemaFormat = Literal["AVRO", "PROTOBUF"]
SubjectStrategy = Literal["topic", "record", "topic_record"]


@dataclass(frozen=True, slots=True)
class Binding:
    """Where an event class is published: its topic and the registry subject of its value."""

    topic: str
    subject: str
    strategy: SubjectStrategy = "topic"


class Event:
    """Base of generated event classes: schema identity, binding and the codec contract."""

    __slots__ = ()

    SCHEMA_FORMAT: ClassVar[SchemaFormat]
    #: Full name: Avro ``namespace.name`` or the Protobuf message's full name.
    FULL_NAME: ClassVar[str]
    #: The schema text ``herald register`` registers for the class's subject: the Avro file's
    #: compact JSON, or the .proto file text. Types never registered alone (nested records)
    #: carry their self-contained Avro Parsing Canonical Form.
    SCHEMA: ClassVar[str]
    #: Avro only: the schema the class reads with, every named type inline and defaults kept;
    #: a consumer resolves the writer schema of each record against it.
    READER_SCHEMA: ClassVar[str] = ""
    #: Hex SHA-256 of SCHEMA, stable across machines.
    FINGERPRINT: ClassVar[str]
    #: Bindings from config; empty when the class is not bound to a topic.
    BINDINGS: ClassVar[tuple[Binding, ...]] = ()
    #: Protobuf message indexes within its file (Confluent wire format); () for Avro.
    MESSAGE_INDEXES: ClassVar[tuple[int, ...]] = ()
    #: Registry references the schema needs: (name, subject) pairs, in dependency order.
    REFERENCES: ClassVar[tuple[tuple[str, str], ...]] = ()

    def encode(self) -> bytes:
        """Return the schema-defined body without the Confluent wire header."""
        raise NotImplementedError

    @classmethod
    def decode(cls, data: bytes) -> Self:
        """Build an instance from a body produced by :meth:`encode`."""
        raise NotImplementedError

    def to_dict(self) -> dict[str, Any]:
        """Return the record as plain Python values keyed by wire names."""
        raise NotImplementedError

    @classmethod
    def from_dict(cls, mapping: Mapping[str, Any]) -> Self:
        """Build an instance from plain values keyed by wire names, validating each."""
        raise NotImplementedError
