"""Sample events of any generated class, valid by construction, for ``herald demo``.

A sample is built on the wire, not through the class's constructor: a value for every field of
the schema (Avro: from ``READER_SCHEMA``, every named type inline; Protobuf: from the message's
descriptor in protobuf's default pool, registered when the ``_pb2`` module was imported),
encoded (fastavro, or protobuf's own serializer) and read back with the class's ``decode``.
So whatever the schema holds (logical types, enums, unions, maps, nested messages), the sample
is an event the class itself accepts. Recursion stops at :data:`MAX_DEPTH` (null branches,
empty lists and maps, unset message fields).
"""

from __future__ import annotations

import datetime as dt
import decimal
import io
import json
import uuid
from collections.abc import Callable
from typing import Any, Final, TypeVar

import fastavro
from google.protobuf import descriptor_pool, message_factory
from google.protobuf.descriptor import Descriptor, FieldDescriptor

from publisher import Event

E = TypeVar("E", bound=Event)
MAX_DEPTH: Final = 4
_EPOCH: Final = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

_AVRO_PRIMITIVES: Final[dict[str, Callable[[int, str], Any]]] = {
    "null": lambda n, name: None,
    "boolean": lambda n, name: n % 2 == 0,
    "int": lambda n, name: n,
    "long": lambda n, name: n,
    "float": lambda n, name: n + 0.5,
    "double": lambda n, name: n + 0.25,
    "bytes": lambda n, name: f"{name}-{n}".encode(),
    "string": lambda n, name: f"{name}-{n}",
}
_AVRO_LOGICAL: Final[dict[str, Callable[[int, dict[str, Any]], Any]]] = {
    "timestamp-millis": lambda n, s: _EPOCH + dt.timedelta(seconds=n, milliseconds=n % 1000),
    "timestamp-micros": lambda n, s: _EPOCH + dt.timedelta(seconds=n, microseconds=n),
    "local-timestamp-millis": lambda n, s: (_EPOCH + dt.timedelta(seconds=n)).replace(tzinfo=None),
    "local-timestamp-micros": lambda n, s: (_EPOCH + dt.timedelta(seconds=n)).replace(tzinfo=None),
    "date": lambda n, s: _EPOCH.date() + dt.timedelta(days=n),
    "time-millis": lambda n, s: dt.time(n % 24, n % 60, n % 60),
    "time-micros": lambda n, s: dt.time(n % 24, n % 60, n % 60, n % 1000),
    "uuid": lambda n, s: str(uuid.UUID(int=n + 1)),
    "decimal": lambda n, s: decimal.Decimal(n).scaleb(-int(s.get("scale", 0))),
}


class _AvroSampler:
    """Values for an Avro schema, resolving named types as they are defined."""

    def __init__(self, n: int) -> None:
        self.n = n
        self.named: dict[str, dict[str, Any]] = {}

    def value(self, schema: Any, name: str, depth: int, namespace: str = "") -> Any:
        if isinstance(schema, list):
            branches = [b for b in schema if b != "null"] if depth < MAX_DEPTH else []
            if not branches:
                return None
            return self.value(branches[0], name, depth, namespace)
        if isinstance(schema, str):
            if schema in _AVRO_PRIMITIVES:
                return _AVRO_PRIMITIVES[schema](self.n, name)
            full = schema if "." in schema or not namespace else f"{namespace}.{schema}"
            return self.value(self.named.get(full) or self.named[schema], name, depth, namespace)
        return self._complex(schema, name, depth, namespace)

    def _complex(self, schema: dict[str, Any], name: str, depth: int, namespace: str) -> Any:
        kind = schema["type"]
        logical = schema.get("logicalType")
        if logical in _AVRO_LOGICAL:
            return _AVRO_LOGICAL[logical](self.n, schema)
        if kind in ("record", "enum", "fixed", "error"):
            full = schema["name"]
            space = schema.get("namespace", namespace)
            if "." not in full and space:
                full = f"{space}.{full}"
            self.named[full] = schema
            namespace = full.rpartition(".")[0]
        if kind in ("record", "error"):
            return {
                f["name"]: self.value(f["type"], f["name"], depth + 1, namespace)
                for f in schema["fields"]
            }
        if kind == "enum":
            return schema["symbols"][self.n % len(schema["symbols"])]
        if kind == "fixed":
            return bytes((self.n + i) % 256 for i in range(schema["size"]))
        if kind == "array":
            deeper = depth + 1 < MAX_DEPTH
            return [self.value(schema["items"], name, depth + 1, namespace)] if deeper else []
        if kind == "map":
            if depth + 1 >= MAX_DEPTH:
                return {}
            return {f"{name}-key": self.value(schema["values"], name, depth + 1, namespace)}
        return self.value(kind, name, depth, namespace)


def _avro_sample(cls: type[E], n: int) -> E:
    schema = json.loads(cls.READER_SCHEMA or cls.SCHEMA)
    datum = _AvroSampler(n).value(schema, cls.FULL_NAME.rpartition(".")[2].lower(), 0)
    body = io.BytesIO()
    fastavro.schemaless_writer(body, fastavro.parse_schema(schema), datum)
    return cls.decode(body.getvalue())


_PROTO_SCALARS: Final[dict[int, Callable[[int, str], Any]]] = {
    FieldDescriptor.TYPE_DOUBLE: lambda n, name: n + 0.25,
    FieldDescriptor.TYPE_FLOAT: lambda n, name: n + 0.5,
    FieldDescriptor.TYPE_BOOL: lambda n, name: n % 2 == 0,
    FieldDescriptor.TYPE_STRING: lambda n, name: f"{name}-{n}",
    FieldDescriptor.TYPE_BYTES: lambda n, name: f"{name}-{n}".encode(),
}


#: Well-known types read as datetime/timedelta, which keep microseconds, not nanoseconds.
_WHOLE_MICROSECONDS: Final = frozenset({"google.protobuf.Timestamp", "google.protobuf.Duration"})


def _fill(message: Any, descriptor: Descriptor, n: int, depth: int) -> None:
    """Set every field (the first of each oneof) to a sample value."""
    for field in descriptor.fields:
        oneof = field.containing_oneof
        if oneof is not None and field is not oneof.fields[0]:
            continue
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            if depth + 1 < MAX_DEPTH:
                key_field, value_field = field.message_type.fields
                entry = getattr(message, field.name)
                key = _scalar(key_field, n)
                if value_field.message_type is not None:
                    _fill(entry[key], value_field.message_type, n, depth + 1)
                else:
                    entry[key] = _scalar(value_field, n)
            continue
        repeated = field.is_repeated
        if field.message_type is not None:
            if depth + 1 >= MAX_DEPTH:
                continue
            target = getattr(message, field.name)
            _fill(target.add() if repeated else target, field.message_type, n, depth + 1)
        elif repeated:
            getattr(message, field.name).append(_scalar(field, n))
        else:
            setattr(message, field.name, _scalar(field, n))


def _scalar(field: FieldDescriptor, n: int) -> Any:
    if field.enum_type is not None:
        values = field.enum_type.values
        return values[1 if len(values) > 1 else 0].number
    make = _PROTO_SCALARS.get(field.type)
    if make is not None:
        return make(n, field.name)
    owner = field.containing_type
    if owner is not None and owner.full_name in _WHOLE_MICROSECONDS and field.name == "nanos":
        return n * 1000 % 1_000_000_000
    return n  # every integer kind, signed or not, fixed or varint


def _protobuf_sample(cls: type[E], n: int) -> E:
    descriptor = descriptor_pool.Default().FindMessageTypeByName(cls.FULL_NAME)
    message = message_factory.GetMessageClass(descriptor)()
    _fill(message, descriptor, n, 0)
    return cls.decode(message.SerializeToString())


def sample_event(cls: type[E], n: int = 0) -> E:
    """The ``n``-th sample event of a generated class (values vary with ``n``)."""
    if cls.SCHEMA_FORMAT == "AVRO":
        return _avro_sample(cls, n)
    return _protobuf_sample(cls, n)
