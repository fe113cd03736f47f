"""The position-tracking JSON parser: same values as json.loads, positions, errors at line:col."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from codegen.catalog.json_source import JsonSyntaxError, join_pointer, parse_json

DOC = """{
  "type": "record",
  "name": "A/B~C",
  "fields": [
    {"name": "x", "type": ["null", "string"]},
    {"name": "y",
     "type": {"type": "map", "values": "long"}}
  ]
}"""


def test_positions_of_nested_values() -> None:
    value, smap = parse_json(DOC)
    assert value == json.loads(DOC)
    assert smap.position("") == (1, 1)
    assert smap.position("/name") == (3, 11)
    assert smap.position("/fields/0") == (5, 5)
    assert smap.position("/fields/0/type/1") == (5, 36)
    assert smap.position("/fields/1/type/values") == (7, 40)


def test_missing_pointer_falls_back_to_nearest_ancestor() -> None:
    _, smap = parse_json(DOC)
    assert smap.position("/fields/1/doc") == smap.position("/fields/1")
    assert smap.position("/nothing/here") == (1, 1)


def test_pointer_tokens_are_escaped() -> None:
    assert join_pointer("", "a/b", "c~d", 3) == "/a~1b/c~0d/3"
    value, smap = parse_json('{"a/b": {"c~d": 1}}')
    assert value == {"a/b": {"c~d": 1}}
    assert smap.position("/a~1b/c~0d") == (1, 17)


@pytest.mark.parametrize(
    ("text", "line", "col", "fragment"),
    [
        ('{\n  "a": 1\n  "b": 2\n}', 3, 3, "expected ',' or '}'"),
        ('{"a": [1, 2,]}', 1, 13, "expected a value"),
        ('{"a": tru}', 1, 7, "expected a value"),
        ('{"a": "x\n"}', 1, 9, "control character"),
        ('{"a": 1} 2', 1, 10, "after the JSON value"),
        ('{"a": 1, "a": 2}', 1, 10, "duplicate key 'a'"),
        ('{"a": 01}', 1, 7, "invalid number"),
        ('{"a": "\\q"}', 1, 9, "invalid escape"),
        ("", 1, 1, "end of file"),
        ('{"a": "open', 1, 12, "unterminated string"),
    ],
)
def test_malformed_json_reports_line_and_col(text: str, line: int, col: int, fragment: str) -> None:
    with pytest.raises(JsonSyntaxError) as info:
        parse_json(text)
    assert (info.value.line, info.value.col) == (line, col)
    assert fragment in info.value.message


def test_string_escapes_decode_like_json() -> None:
    text = r'{"s": "tab\t quote\" uni\u00e9 slash\/ back\\"}'
    assert parse_json(text)[0] == json.loads(text)


_json_values: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(_json_values, st.sampled_from([None, 2]))
def test_parses_like_the_json_module(value: Any, indent: int | None) -> None:
    text = json.dumps(value, indent=indent)
    assert parse_json(text)[0] == json.loads(text)
