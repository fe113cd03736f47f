"""Confluent wire format: ``0x00`` magic, 4-byte big-endian schema id, protobuf message indexes.

Producing: the header of a (schema id, message indexes) pair is built ONCE with
confluent-kafka's own ``SchemaId.id_to_bytes`` — so it is byte-compatible by construction —
and then each message is just ``header + event.encode()``. The serializers
(``AvroSerializer``/``ProtobufSerializer``) instead do a subject lookup, allocate a BytesIO and
re-encode the id on every call, which is most of their cost; that per-call work is what the
publisher's speed target rules out, so the per-message concatenation is done here by hand.

Consuming: :func:`parse_header` splits a framed message into (schema id, message indexes,
body) with slicing and a small varint loop, mirroring ``SchemaId.from_bytes`` without a
BytesIO per message.
"""

from __future__ import annotations

from confluent_kafka.schema_registry.common.serde import SchemaId

from publisher.errors import EventDecodeError

MAGIC_BYTE = 0


def header(schema_format: str, schema_id: int, message_indexes: tuple[int, ...] = ()) -> bytes:
    """Return the wire header for one schema; cache it, it never changes for a class."""
    if schema_format == "PROTOBUF":
        indexes = list(message_indexes) or [0]
        return bytes(SchemaId("PROTOBUF", schema_id, None, indexes).id_to_bytes())
    return bytes(SchemaId(schema_format, schema_id).id_to_bytes())


def frame(header_bytes: bytes, body: bytes) -> bytes:
    """Prefix an encoded body with its cached header (one allocation, no BytesIO)."""
    return header_bytes + body


def _read_zigzag(data: bytes, pos: int) -> tuple[int, int]:
    value = 0
    shift = 0
    while True:
        if pos >= len(data):
            raise EventDecodeError("truncated protobuf message-index varint in wire header")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return (value >> 1) ^ -(value & 1), pos


def parse_header(data: bytes, schema_format: str | None) -> tuple[int, tuple[int, ...], bytes]:
    """Split a framed message into (schema id, message indexes, body); indexes only for protobuf.

    ``schema_format`` None means "decide later": only the id is read and the body returned
    starts right after it.
    """
    if len(data) < 5 or data[0] != MAGIC_BYTE:
        raise EventDecodeError(
            "message is not in Confluent wire format (expected magic byte 0 and a 4-byte "
            "schema id); was it produced without a schema registry serializer?"
        )
    schema_id = int.from_bytes(data[1:5], "big")
    if schema_format != "PROTOBUF":
        return schema_id, (), data[5:]
    count, pos = _read_zigzag(data, 5)
    if count < 0 or count > 100_000:
        raise EventDecodeError(f"invalid protobuf message-index count {count} in wire header")
    if count == 0:
        return schema_id, (0,), data[pos:]
    indexes = []
    for _ in range(count):
        value, pos = _read_zigzag(data, pos)
        indexes.append(value)
    return schema_id, tuple(indexes), data[pos:]
