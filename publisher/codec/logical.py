"""Avro logical types: Python values to their underlying Avro values and back.

The conversions give exactly fastavro's numbers (same rounding of sub-unit parts, same
minimal two's-complement decimal bytes), so generated encoders and fastavro agree byte for
byte. Timestamps decode to aware UTC datetimes, local timestamps to naive ones.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid

_UTC = dt.UTC
EPOCH = dt.datetime(1970, 1, 1, tzinfo=_UTC)
EPOCH_NAIVE = dt.datetime(1970, 1, 1)
#: ``date.toordinal()`` of 1970-01-01, so days since the epoch are one subtraction.
EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()
#: ``SUB_MILLI[n]`` is ``n`` microseconds: subtracting ``SUB_MILLI[v.microsecond % 1000]`` drops
#: the sub-millisecond digits in 0.2 µs, where ``v.replace(microsecond=...)`` took 1.5 µs.
SUB_MILLI: tuple[dt.timedelta, ...] = tuple(dt.timedelta(microseconds=n) for n in range(1000))


def timestamp_millis(value: dt.datetime) -> int:
    """Milliseconds since the epoch of an aware datetime (sub-millisecond part truncated)."""
    d = value - EPOCH
    return (d.days * 86400 + d.seconds) * 1000 + d.microseconds // 1000


def timestamp_micros(value: dt.datetime) -> int:
    """Microseconds since the epoch of an aware datetime."""
    d = value - EPOCH
    return (d.days * 86400 + d.seconds) * 1000000 + d.microseconds


def local_timestamp_millis(value: dt.datetime) -> int:
    """Milliseconds since the local epoch of a naive datetime (no time zone is applied)."""
    d = value - EPOCH_NAIVE
    return (d.days * 86400 + d.seconds) * 1000 + d.microseconds // 1000


def local_timestamp_micros(value: dt.datetime) -> int:
    """Microseconds since the local epoch of a naive datetime."""
    d = value - EPOCH_NAIVE
    return (d.days * 86400 + d.seconds) * 1000000 + d.microseconds


def to_timestamp_millis(value: int) -> dt.datetime:
    """Aware UTC datetime from epoch milliseconds."""
    return EPOCH + dt.timedelta(milliseconds=value)


def to_timestamp_micros(value: int) -> dt.datetime:
    """Aware UTC datetime from epoch microseconds."""
    return EPOCH + dt.timedelta(microseconds=value)


def to_local_timestamp_millis(value: int) -> dt.datetime:
    """Naive datetime from local-epoch milliseconds."""
    return EPOCH_NAIVE + dt.timedelta(milliseconds=value)


def to_local_timestamp_micros(value: int) -> dt.datetime:
    """Naive datetime from local-epoch microseconds."""
    return EPOCH_NAIVE + dt.timedelta(microseconds=value)


def date_days(value: dt.date) -> int:
    """Days since 1970-01-01 (Avro ``date``)."""
    return value.toordinal() - EPOCH_ORDINAL


def to_date(value: int) -> dt.date:
    """The date ``value`` days after 1970-01-01."""
    return dt.date.fromordinal(value + EPOCH_ORDINAL)


def time_millis(value: dt.time) -> int:
    """Milliseconds after midnight (Avro ``time-millis``; sub-millisecond part truncated)."""
    return (
        value.hour * 3600000
        + value.minute * 60000
        + value.second * 1000
        + value.microsecond // 1000
    )


def time_micros(value: dt.time) -> int:
    """Microseconds after midnight (Avro ``time-micros``)."""
    return (
        value.hour * 3600000000
        + value.minute * 60000000
        + value.second * 1000000
        + value.microsecond
    )


def to_time_millis(value: int) -> dt.time:
    """Time of day from milliseconds after midnight."""
    if not 0 <= value < 86400000:
        raise ValueError(f"time-millis {value} is outside one day")
    seconds, millis = divmod(value, 1000)
    return dt.time(seconds // 3600, seconds // 60 % 60, seconds % 60, millis * 1000)


def to_time_micros(value: int) -> dt.time:
    """Time of day from microseconds after midnight."""
    if not 0 <= value < 86400000000:
        raise ValueError(f"time-micros {value} is outside one day")
    seconds, micros = divmod(value, 1000000)
    return dt.time(seconds // 3600, seconds // 60 % 60, seconds % 60, micros)


def _unscaled(value: decimal.Decimal, scale: int) -> int:
    sign, digits, exp = value.as_tuple()
    if not isinstance(exp, int) or exp + scale < 0:
        raise ValueError(f"{value} is not a finite decimal with at most {scale} fraction digits")
    unscaled: int = 0
    for digit in digits:
        unscaled = unscaled * 10 + digit
    unscaled *= 10 ** (exp + scale)
    return -unscaled if sign else unscaled


def decimal_bytes(value: decimal.Decimal, scale: int) -> bytes:
    """Big-endian two's-complement unscaled value, sized as fastavro sizes it."""
    unscaled = _unscaled(value, scale)
    size = (abs(unscaled).bit_length() + 8) // 8
    return unscaled.to_bytes(size, "big", signed=True)


def decimal_fixed(value: decimal.Decimal, scale: int, size: int) -> bytes:
    """Unscaled value as a sign-extended ``size``-byte fixed."""
    return _unscaled(value, scale).to_bytes(size, "big", signed=True)


def to_decimal(raw: bytes, precision: int, scale: int) -> decimal.Decimal:
    """Decimal from two's-complement unscaled bytes, at the schema's scale."""
    unscaled = int.from_bytes(raw, "big", signed=True)
    context = decimal.Context(prec=max(precision, 1))
    return context.create_decimal(unscaled).scaleb(-scale, context)


def decimal_fits(value: decimal.Decimal, precision: int, scale: int) -> bool:
    """True when ``value`` is finite, has at most ``scale`` decimals and fits ``precision``."""
    try:
        unscaled = _unscaled(value, scale)
    except ValueError:
        return False
    bound: int = 10**precision
    return -bound < unscaled < bound


def uuid_text(value: uuid.UUID) -> str:
    """Canonical 36-character text of a UUID (Avro ``uuid`` on ``string``)."""
    return str(value)
