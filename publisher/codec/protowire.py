"""Protobuf wire primitives for generated encoders: varints, fixed-width values, well-known types.

Generated ``_h_enc`` methods write one message into a caller-owned ``bytearray`` with tag
bytes precomputed as constants; they inline the common cases (short lengths, small
non-negative varints) and call these helpers for the rest. The bytes are protobuf's own:
``SerializeToString(deterministic=True)`` of the equivalent ``_pb2`` message gives the same.
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
import struct

_U64 = 0xFFFFFFFFFFFFFFFF
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)

#: Pack a ``double`` (wire type 1), little-endian.
pack_double = struct.Struct("<d").pack
#: Pack a ``float`` (wire type 5), little-endian.
pack_float = struct.Struct("<f").pack
#: Pack a ``fixed32`` (wire type 5).
pack_fixed32 = struct.Struct("<I").pack
#: Pack an ``sfixed32`` (wire type 5).
pack_sfixed32 = struct.Struct("<i").pack
#: Pack a ``fixed64`` (wire type 1).
pack_fixed64 = struct.Struct("<Q").pack
#: Pack an ``sfixed64`` (wire type 1).
pack_sfixed64 = struct.Struct("<q").pack


#: The one-byte varints, 0 to 127.
_ONE_BYTE: tuple[bytes, ...] = tuple(bytes((n,)) for n in range(0x80))
#: The low 14 bits of a longer varint, as its first two bytes (both with the continuation bit):
#: table lookups are cheaper than shifting and masking each byte of large Python ints.
_LOW_14: tuple[bytes, ...] = tuple(
    bytes(((n & 0x7F) | 0x80, (n >> 7) | 0x80)) for n in range(0x4000)
)


def varint_bytes(n: int) -> bytes:
    """``n`` as a base-128 varint; negative ``int32``/``int64``/enum values take 10 bytes."""
    if n < 0x80:
        if n >= 0:
            return _ONE_BYTE[n]
        n &= _U64
    elif n < 0x4000:
        return bytes(((n & 0x7F) | 0x80, n >> 7))
    elif n < 0x200000:
        return _LOW_14[n & 0x3FFF] + _ONE_BYTE[n >> 14]
    elif n < 0x10000000:
        return _LOW_14[n & 0x3FFF] + bytes((((n >> 14) & 0x7F) | 0x80, n >> 21))
    elif n < 0x800000000:
        return _LOW_14[n & 0x3FFF] + _LOW_14[(n >> 14) & 0x3FFF] + _ONE_BYTE[n >> 28]
    elif n < 0x40000000000:  # e.g. Avro timestamp-millis of this century
        return (
            _LOW_14[n & 0x3FFF]
            + _LOW_14[(n >> 14) & 0x3FFF]
            + bytes((((n >> 28) & 0x7F) | 0x80, n >> 35))
        )
    out = bytearray()
    while n > 0x3FFF:
        out += _LOW_14[n & 0x3FFF]
        n >>= 14
    if n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def write_varint(out: bytearray, n: int) -> None:
    """Append ``n`` as a varint (see :func:`varint_bytes`; a loop is faster for short ones)."""
    if n < 0:
        n &= _U64
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


def write_sint(out: bytearray, n: int) -> None:
    """Append ``n`` zigzag-encoded (``sint32``/``sint64``)."""
    write_varint(out, (n << 1) ^ (n >> 63))


def write_len(out: bytearray, n: int) -> None:
    """Append a length prefix (a varint that is one byte below 128)."""
    if n < 0x80:
        out.append(n)
    else:
        write_varint(out, n)


def negative_zero(value: float) -> bool:
    """True for ``-0.0``: proto3 omits a zero float field only when all its bits are zero."""
    return math.copysign(1.0, value) < 0.0


def _seconds_nanos(seconds: int, nanos: int) -> bytes:
    """A length-prefixed {seconds = 1, nanos = 2} body (Timestamp and Duration share it)."""
    if seconds:
        body = b"\x08" + varint_bytes(seconds)
        if nanos:
            body += b"\x10" + varint_bytes(nanos)
    elif nanos:
        body = b"\x10" + varint_bytes(nanos)
    else:
        return b"\x00"
    return _ONE_BYTE[len(body)] + body  # at most 22 bytes


def timestamp_value(value: dt.datetime) -> bytes:
    """A ``google.protobuf.Timestamp`` of an aware datetime, length-prefixed (``FromDatetime``)."""
    d = value - _EPOCH
    micros = value.microsecond
    if d.microseconds == micros:
        seconds = d.days * 86400 + d.seconds
    else:  # a UTC offset with a sub-second part: protobuf's own arithmetic
        seconds = calendar.timegm(value.utctimetuple())
    if not 0x10000000 <= seconds < 0x800000000:
        return _seconds_nanos(seconds, micros * 1000)
    # 1978 to 3058, the common case: seconds take exactly five varint bytes.
    low = _LOW_14
    if micros:
        body = (
            low[seconds & 0x3FFF]
            + low[(seconds >> 14) & 0x3FFF]
            + _ONE_BYTE[seconds >> 28]
            + b"\x10"
            + varint_bytes(micros * 1000)
        )
        return _ONE_BYTE[len(body) + 1] + b"\x08" + body
    return (
        b"\x06\x08"
        + low[seconds & 0x3FFF]
        + low[(seconds >> 14) & 0x3FFF]
        + _ONE_BYTE[seconds >> 28]
    )


def duration_value(value: dt.timedelta) -> bytes:
    """A ``google.protobuf.Duration`` of a timedelta, length-prefixed, as ``FromTimedelta``."""
    seconds = value.days * 86400 + value.seconds
    nanos = value.microseconds * 1000
    if seconds < 0 and nanos > 0:
        seconds += 1
        nanos -= 1_000_000_000
    return _seconds_nanos(seconds, nanos)


# Deterministic map order, as protobuf's upb runtime writes it (``deterministic=True``): string
# keys bytewise ascending with a key before its own prefixes; integer and bool keys descending
# as unsigned 64-bit values. Parsers accept any order; these keep the bytes identical.


def string_key_order(key: str) -> bytes:
    """Sort key of a string map key (``0xff`` never occurs in UTF-8, so it ends every key)."""
    return key.encode() + b"\xff"


def int_key_order(key: int) -> int:
    """Sort key of an integer or bool map key; sort with ``reverse=True``."""
    return key & _U64
