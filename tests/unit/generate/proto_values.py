"""Random valid protobuf field values as plain data, and an independent path to _pb2 bytes.

The strategies walk a message's runtime Descriptor; :func:`to_pb` builds the _pb2 message
from the same plain values field by field with protobuf's own API, so the bindings' bytes
can be compared with ``SerializeToString`` of a message they did not build.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message
from hypothesis import strategies as st

MAX_DEPTH = 2
_T = FieldDescriptor
SCALARS: dict[int, st.SearchStrategy[Any]] = {
    _T.TYPE_DOUBLE: st.floats(allow_nan=False, allow_infinity=False),
    _T.TYPE_FLOAT: st.floats(width=32, allow_nan=False, allow_infinity=False),
    _T.TYPE_INT32: st.integers(-(2**31), 2**31 - 1),
    _T.TYPE_SINT32: st.integers(-(2**31), 2**31 - 1),
    _T.TYPE_SFIXED32: st.integers(-(2**31), 2**31 - 1),
    _T.TYPE_UINT32: st.integers(0, 2**32 - 1),
    _T.TYPE_FIXED32: st.integers(0, 2**32 - 1),
    _T.TYPE_INT64: st.integers(-(2**63), 2**63 - 1),
    _T.TYPE_SINT64: st.integers(-(2**63), 2**63 - 1),
    _T.TYPE_SFIXED64: st.integers(-(2**63), 2**63 - 1),
    _T.TYPE_UINT64: st.integers(0, 2**64 - 1),
    _T.TYPE_FIXED64: st.integers(0, 2**64 - 1),
    _T.TYPE_BOOL: st.booleans(),
    _T.TYPE_STRING: st.text(max_size=12),
    _T.TYPE_BYTES: st.binary(max_size=12),
}
_OFFSETS = st.integers(-14 * 60, 14 * 60).map(lambda m: dt.timezone(dt.timedelta(minutes=m)))
WELL_KNOWN: dict[str, st.SearchStrategy[Any]] = {
    "google.protobuf.Timestamp": st.builds(
        lambda naive, tz: naive.replace(tzinfo=tz),
        st.datetimes(min_value=dt.datetime(1900, 1, 2), max_value=dt.datetime(2200, 1, 1)),
        _OFFSETS,
    ),
    "google.protobuf.Duration": st.timedeltas(
        min_value=dt.timedelta(days=-9999), max_value=dt.timedelta(days=9999)
    ),
}


def _is_map(fld: FieldDescriptor) -> bool:
    return fld.message_type is not None and fld.message_type.GetOptions().map_entry


def _single(fld: FieldDescriptor, depth: int) -> st.SearchStrategy[Any]:
    if fld.type == _T.TYPE_ENUM:
        return st.sampled_from([v.name for v in fld.enum_type.values])
    if fld.type == _T.TYPE_MESSAGE:
        name = fld.message_type.full_name
        if name in WELL_KNOWN:
            return WELL_KNOWN[name]
        return message_values(fld.message_type, depth + 1)
    return SCALARS[fld.type]


def message_values(desc: Descriptor, depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    """Plain dicts for a message: every field present, unset optionals as None."""
    fields: dict[str, st.SearchStrategy[Any]] = {}
    for fld in desc.fields:
        oneof = fld.containing_oneof
        if _is_map(fld):
            key, value = (
                fld.message_type.fields_by_name["key"],
                fld.message_type.fields_by_name["value"],
            )
            size = 0 if depth >= MAX_DEPTH else 3
            fields[fld.name] = st.dictionaries(
                _single(key, depth), _single(value, depth), max_size=size
            )
        elif fld.label == _T.LABEL_REPEATED:
            size = 0 if depth >= MAX_DEPTH else 3
            fields[fld.name] = st.lists(_single(fld, depth), max_size=size) if size else st.just([])
        elif oneof is not None and not oneof.name.startswith("_"):
            continue
        elif fld.has_presence:
            fields[fld.name] = (
                st.none() if depth >= MAX_DEPTH else st.one_of(st.none(), _single(fld, depth))
            )
        else:
            fields[fld.name] = _single(fld, depth)
    base = st.fixed_dictionaries(fields)
    oneofs = [o for o in desc.oneofs if not o.name.startswith("_")]
    for oneof in oneofs:
        names = [f.name for f in oneof.fields]
        choice = st.one_of(
            st.just(dict.fromkeys(names)),
            *(
                _single(f, depth).map(
                    lambda v, n=f.name, keys=tuple(names): {**dict.fromkeys(keys), n: v}
                )
                for f in oneof.fields
            ),
        )
        base = st.builds(lambda b, c: {**b, **c}, base, choice)
    return base


def to_pb(message: Message, plain: dict[str, Any]) -> Message:
    """Fill ``message`` from plain values with protobuf's own field API; return it."""
    desc = message.DESCRIPTOR
    for name, value in plain.items():
        fld = desc.fields_by_name[name]
        if value is None:
            continue
        target = getattr(message, name)
        if _is_map(fld):
            vfld = fld.message_type.fields_by_name["value"]
            for k, v in value.items():
                if vfld.type == _T.TYPE_MESSAGE:
                    _fill(target[k], vfld, v)
                else:
                    target[k] = _scalar(vfld, v)
        elif fld.label == _T.LABEL_REPEATED:
            for v in value:
                if fld.type == _T.TYPE_MESSAGE:
                    _fill(target.add(), fld, v)
                else:
                    target.append(_scalar(fld, v))
        elif fld.type == _T.TYPE_MESSAGE:
            _fill(target, fld, value)
        else:
            setattr(message, name, _scalar(fld, value))
    return message


def _scalar(fld: FieldDescriptor, value: Any) -> Any:
    if fld.type == _T.TYPE_ENUM:
        return fld.enum_type.values_by_name[value].number
    return value


def _fill(target: Any, fld: FieldDescriptor, value: Any) -> None:
    name = fld.message_type.full_name
    if name == "google.protobuf.Timestamp":
        target.FromDatetime(value)
    elif name == "google.protobuf.Duration":
        target.FromTimedelta(value)
    else:
        to_pb(target, value)
    if not value and name not in WELL_KNOWN:
        target.SetInParent()
