"""Key bytes: one spelling per key, so one partition per key."""

from __future__ import annotations

import json
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from publisher.errors import PublisherError
from publisher.keys import encode_key, json_key
from publisher.partitioners import java_murmur2


def test_spacing_and_key_order_do_not_change_the_key_bytes() -> None:
    spellings = ['{"a":1,"b":[1,2]}', '{"a": 1, "b": [1, 2]}', '{"b":[1,2],"a":1}']
    encoded = {json_key(json.loads(text)) for text in spellings}
    assert encoded == {b'{"a":1,"b":[1,2]}'}


def test_raw_json_spellings_would_land_on_different_partitions() -> None:
    # Why canonical JSON matters: these raw spellings hash to different partitions of 12.
    raw = [b'{"a":1}', b'{"a": 1}']
    assert java_murmur2(raw[0], 12) != java_murmur2(raw[1], 12)
    assert json_key({"a": 1}) == raw[0]


def test_json_key_is_utf8_not_ascii_escaped() -> None:
    assert json_key({"city": "Zürich"}) == '{"city":"Zürich"}'.encode()


def test_json_key_rejects_nan() -> None:
    with pytest.raises(ValueError, match="JSON"):
        json_key({"x": float("nan")})


@given(st.dictionaries(st.text(), st.integers() | st.text() | st.booleans(), max_size=6))
def test_json_key_is_stable_under_reordering(value: dict[str, object]) -> None:
    reordered = dict(reversed(list(value.items())))
    assert json_key(value) == json_key(reordered)


def test_plain_key_table() -> None:
    assert encode_key(None) is None
    assert encode_key(b"raw") == b"raw"
    assert encode_key(bytearray(b"ba")) == b"ba"
    assert encode_key("é") == "é".encode()
    assert encode_key(-2) == struct.pack(">q", -2)  # Java LongSerializer
    assert encode_key({"b": 1, "a": 2}) == b'{"a":2,"b":1}'


def test_bool_and_oversized_int_keys_are_rejected() -> None:
    with pytest.raises(PublisherError, match="bool"):
        encode_key(True)
    with pytest.raises(PublisherError, match="64 bits"):
        encode_key(2**70)
