"""Avro binary primitives: zigzag varints, IEEE floats, length-prefixed bytes and strings.

Writers append to a caller-owned ``bytearray``; readers take ``(data, pos)`` and return
``(value, new_pos)``, so a generated decoder walks one buffer without copies. The byte layout
is the Avro 1.11 specification's, identical to ``fastavro.schemaless_writer``.
"""

from __future__ import annotations

import struct

_DOUBLE = struct.Struct("<d")
_FLOAT = struct.Struct("<f")

#: Pack one IEEE-754 double, little-endian (Avro ``double``).
pack_double = _DOUBLE.pack
#: Pack one IEEE-754 single, little-endian (Avro ``float``).
pack_float = _FLOAT.pack
#: Unpack a double at an offset: ``unpack_double(data, pos)[0]``.
unpack_double = _DOUBLE.unpack_from
#: Unpack a float at an offset: ``unpack_float(data, pos)[0]``.
unpack_float = _FLOAT.unpack_from


def fits_float(value: float) -> bool:
    """True when ``value`` is within IEEE-754 single range (or is inf/nan), i.e. packable."""
    try:
        _FLOAT.pack(value)
    except (OverflowError, struct.error):
        return False
    return True


def round_float(value: float) -> float:
    """``value`` as the nearest single-precision float: what an Avro ``float`` keeps."""
    result: float = _FLOAT.unpack(_FLOAT.pack(value))[0]
    return result


def write_long(out: bytearray, n: int) -> None:
    """Append ``n`` as a zigzag varint (Avro ``int`` and ``long``)."""
    n = (n << 1) ^ (n >> 63)
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


def write_bytes(out: bytearray, value: bytes) -> None:
    """Append a length-prefixed byte string (Avro ``bytes``)."""
    n = len(value)
    if n < 64:
        out.append(n << 1)
    else:
        write_long(out, n)
    out += value


def write_string(out: bytearray, value: str) -> None:
    """Append a length-prefixed UTF-8 string (Avro ``string``)."""
    raw = value.encode()
    n = len(raw)
    if n < 64:
        out.append(n << 1)
    else:
        write_long(out, n)
    out += raw


def read_long(data: bytes, pos: int) -> tuple[int, int]:
    """Read a zigzag varint at ``pos``; return the value and the next position."""
    b = data[pos]
    pos += 1
    n = b & 0x7F
    shift = 7
    while b & 0x80:
        b = data[pos]
        pos += 1
        n |= (b & 0x7F) << shift
        shift += 7
        if shift > 70:
            raise ValueError(f"varint at byte {pos} is longer than 10 bytes")
    return (n >> 1) ^ -(n & 1), pos


def read_index(data: bytes, pos: int) -> tuple[int, int]:
    """Read a union branch or enum symbol index (a non-negative long)."""
    n, pos = read_long(data, pos)
    if n < 0:
        raise ValueError(f"negative index {n} before byte {pos}")
    return n, pos


def read_bytes(data: bytes, pos: int) -> tuple[bytes, int]:
    """Read a length-prefixed byte string; return it and the next position."""
    n, pos = read_long(data, pos)
    end = pos + n
    if n < 0 or end > len(data):
        raise ValueError(f"byte string of length {n} at byte {pos} runs past the end")
    return data[pos:end], end


def read_string(data: bytes, pos: int) -> tuple[str, int]:
    """Read a length-prefixed UTF-8 string; return it and the next position."""
    n, pos = read_long(data, pos)
    end = pos + n
    if n < 0 or end > len(data):
        raise ValueError(f"string of length {n} at byte {pos} runs past the end")
    return data[pos:end].decode(), end


def read_fixed(data: bytes, pos: int, size: int) -> tuple[bytes, int]:
    """Read exactly ``size`` bytes (Avro ``fixed``); return them and the next position."""
    end = pos + size
    if end > len(data):
        raise ValueError(f"fixed of size {size} at byte {pos} runs past the end")
    return data[pos:end], end


def read_block_count(data: bytes, pos: int) -> tuple[int, int]:
    """Read an array or map block count, skipping the byte size of negative-count blocks."""
    n, pos = read_long(data, pos)
    if n < 0:
        _, pos = read_long(data, pos)
        n = -n
    return n, pos
