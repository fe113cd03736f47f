"""Protobuf well-known types for generated bindings: native values as protobuf keeps them.

Generated Protobuf event classes hold protoc's own message (upb) and let it write and read the
wire format; what is left in Python is converting the native values of the two supported
well-known types into their ``(seconds, nanos)`` fields, with the arithmetic of protobuf's
``Timestamp.FromDatetime`` and ``Duration.FromTimedelta``, without their per-call overhead.
"""

from __future__ import annotations

import calendar
import datetime as dt
from typing import Any

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def timestamp_parts(value: dt.datetime) -> tuple[int, int]:
    """``(seconds, nanos)`` of an aware datetime, as ``Timestamp.FromDatetime`` sets them."""
    d = value - _EPOCH
    micros = value.microsecond
    if d.microseconds == micros:
        return d.days * 86400 + d.seconds, micros * 1000
    # A UTC offset with a sub-second part: protobuf's own arithmetic.
    return calendar.timegm(value.utctimetuple()), micros * 1000


def duration_parts(value: dt.timedelta) -> tuple[int, int]:
    """``(seconds, nanos)`` of a timedelta, as ``Duration.FromTimedelta`` sets them."""
    seconds = value.days * 86400 + value.seconds
    nanos = value.microseconds * 1000
    if seconds < 0 and nanos > 0:
        seconds += 1
        nanos -= 1_000_000_000
    return seconds, nanos


def timestamp_datetime(value: Any) -> dt.datetime:
    """A ``google.protobuf.Timestamp`` as an aware UTC datetime (``ToDatetime(tzinfo=UTC)``)."""
    return _EPOCH + dt.timedelta(seconds=value.seconds, microseconds=value.nanos // 1000)


def duration_timedelta(value: Any) -> dt.timedelta:
    """A ``google.protobuf.Duration`` as a timedelta (``ToTimedelta``: nanos toward zero)."""
    nanos = value.nanos
    micros = nanos // 1000 if nanos >= 0 else -(-nanos // 1000)
    return dt.timedelta(seconds=value.seconds, microseconds=micros)
