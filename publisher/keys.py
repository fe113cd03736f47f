"""Message keys: bytes, str, int, JSON-able values and typed key events, all to key bytes.

The partition of a keyed message is ``murmur2(key bytes) % partitions``, so the *bytes* decide
where an event lands and therefore its ordering. Two services that mean the same key must
produce the same bytes. For JSON keys that is not automatic: ``{"a":1}`` and ``{"a": 1}`` (or
``{"b":2,"a":1}`` vs ``{"a":1,"b":2}``) are the same object but different bytes, hence
different partitions, hence no ordering between them. :func:`json_key` fixes one spelling:
sorted keys, compact separators, UTF-8, no NaN.

Encodings (a table, :data:`KEY_ENCODERS`): ``bytes`` as is; ``str`` UTF-8; ``int`` as 8-byte
big-endian signed (what Java's ``LongSerializer`` writes, so Java and Python agree);
``dict``/``list``/``tuple`` as canonical JSON. Typed key events (generated classes) are framed
in Confluent wire format by the publisher, because they need a schema id.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from publisher.errors import PublisherError


def json_key(value: Any) -> bytes:
    """Canonical JSON bytes: sorted keys, no spaces, UTF-8; equal objects give equal bytes."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def _int_key(value: int) -> bytes:
    try:
        return value.to_bytes(8, "big", signed=True)
    except OverflowError:
        raise PublisherError(
            f"int key {value} does not fit in 64 bits; pass it as str or bytes instead"
        ) from None


def _str_key(value: str) -> bytes:
    return value.encode("utf-8")


def _bytes_key(value: bytes) -> bytes:
    return value


#: Key type → encoder. ``bool`` is rejected on purpose: ``True`` as key 1 is a bug magnet.
KEY_ENCODERS: dict[type, Callable[[Any], bytes]] = {
    bytes: _bytes_key,
    bytearray: bytes,
    memoryview: bytes,
    str: _str_key,
    int: _int_key,
    dict: json_key,
    list: json_key,
    tuple: json_key,
}


def encode_key(key: Any) -> bytes | None:
    """Key bytes for a plain key (typed key events are framed by the publisher)."""
    if key is None:
        return None
    encoder = KEY_ENCODERS.get(type(key))
    if encoder is None:
        for kind, candidate in KEY_ENCODERS.items():
            if isinstance(key, kind) and not isinstance(key, bool):
                encoder = candidate
                break
        else:
            raise PublisherError(
                f"cannot use a {type(key).__name__} as message key; pass bytes, str, int, a "
                "JSON value (dict/list, encoded canonically) or a generated key event"
            )
    return encoder(key)
