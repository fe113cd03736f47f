"""The token scanner behind parse_json agrees with the character-level parser on every input.

Well-formed JSON gets its value from the C decoder and its positions, on first need, from the
token scanner; the character-level parser (``_Parser``) is the reference for values, positions
and errors. These tests check that, on random documents
laid out with random whitespace and on random corruptions of them, parse_json gives exactly
what the reference gives: the same value (and the same as ``json.loads``), the same line:col
for every JSON pointer, and the same error at the same place.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from codegen.catalog.json_source import (
    JsonSyntaxError,
    SourceMap,
    _LazyPositions,
    _Parser,
    _scan_offsets,
    join_pointer,
    parse_json,
)

_json_values: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=25,
)
_space = st.text(alphabet=" \t\r\n", max_size=3)


def _reference(text: str) -> tuple[Any, dict[str, tuple[int, int]]]:
    parser = _Parser(text)
    value = parser.parse_document()
    return value, parser.positions


def _brute_force_position(text: str, offset: int) -> tuple[int, int]:
    """Line and column of ``offset`` by counting: lines end at '\\n' only."""
    before = text[:offset]
    return (before.count("\n") + 1, offset - (before.rfind("\n") + 1) + 1)


def _layout(value: Any, data: st.DataObject, ascii_only: bool) -> str:
    """Serialise ``value`` with random whitespace around every token."""

    def ws() -> str:
        return data.draw(_space)

    if isinstance(value, dict):
        items = [
            ws()
            + json.dumps(k, ensure_ascii=ascii_only)
            + ws()
            + ":"
            + _layout(v, data, ascii_only)
            for k, v in value.items()
        ]
        return ws() + "{" + (",".join(items) if items else ws()) + "}" + ws()
    if isinstance(value, list):
        parts = [_layout(v, data, ascii_only) for v in value]
        return ws() + "[" + (",".join(parts) if parts else ws()) + "]" + ws()
    return ws() + json.dumps(value, ensure_ascii=ascii_only) + ws()


def _all_pointers(value: Any, pointer: str = "") -> list[str]:
    found = [pointer]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _all_pointers(item, join_pointer(pointer, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _all_pointers(item, join_pointer(pointer, index))
    return found


@settings(max_examples=300)
@given(_json_values, st.booleans(), st.data())
def test_well_formed_documents_match_the_reference(
    value: Any, ascii_only: bool, data: st.DataObject
) -> None:
    text = _layout(value, data, ascii_only)
    assert _scan_offsets(text) is not None, "well-formed JSON should not need the slow parser"
    parsed, smap = parse_json(text)
    ref_value, ref_positions = _reference(text)
    assert parsed == json.loads(text) == ref_value
    assert smap.position("") == ref_positions[""]  # before any scan: the root shortcut
    assert dict(smap.positions) == ref_positions
    for pointer in _all_pointers(parsed):
        assert smap.position(pointer) == ref_positions[pointer]


@settings(max_examples=300)
@given(_json_values, st.data())
def test_positions_agree_with_counting_newlines(value: Any, data: st.DataObject) -> None:
    text = _layout(value, data, ascii_only=False)
    _, smap = parse_json(text)
    reference = _Parser(text)
    reference.parse_document()
    for pointer, (line, col) in smap.positions.items():
        lines = text.split("\n")
        offset = sum(len(ln) + 1 for ln in lines[: line - 1]) + col - 1
        assert _brute_force_position(text, offset) == (line, col)
        assert reference.positions[pointer] == (line, col)


_EDIT_CHARS = st.sampled_from(list('{}[],:"\\ \n\t0123-+.eEtfnulx\x01'))


@settings(max_examples=500)
@given(_json_values, st.data())
def test_corrupted_documents_fail_or_parse_exactly_like_the_reference(
    value: Any, data: st.DataObject
) -> None:
    text = _layout(value, data, ascii_only=data.draw(st.booleans()))
    at = data.draw(st.integers(0, len(text)))
    edit = data.draw(st.sampled_from(["insert", "delete", "replace"]))
    char = data.draw(_EDIT_CHARS)
    if edit == "insert":
        text = text[:at] + char + text[at:]
    elif edit == "delete":
        text = text[:at] + text[at + 1 :]
    else:
        text = text[:at] + char + text[at + 1 :]
    expected: JsonSyntaxError | None = None
    try:
        ref_value, ref_positions = _reference(text)
    except JsonSyntaxError as error:
        expected = error
    if expected is not None:
        assert _scan_offsets(text) is None
        with pytest.raises(JsonSyntaxError) as info:
            parse_json(text)
        got = (info.value.line, info.value.col, info.value.message)
        assert got == (expected.line, expected.col, expected.message)
        return
    parsed, smap = parse_json(text)
    assert parsed == ref_value
    assert dict(smap.positions) == ref_positions


@pytest.mark.parametrize(
    ("text", "value", "pointer", "position"),
    [
        ('{"a": 1.}', {"a": 1.0}, "/a", (1, 7)),
        ("[.5,\n -.5]", [0.5, -0.5], "/1", (2, 2)),
        ('{"a": 00.5}', {"a": 0.5}, "/a", (1, 7)),
    ],
)
def test_numbers_only_the_character_parser_accepts_still_parse(
    text: str, value: Any, pointer: str, position: tuple[int, int]
) -> None:
    assert _scan_offsets(text) is None
    parsed, smap = parse_json(text)
    assert parsed == value
    assert smap.position(pointer) == position


def test_positions_mapping_is_lazy_but_complete() -> None:
    text = '{\r\n  "a": [true, null],\n\t"b~/": "\\u00e9\\ud83d\\ude00"\n}'
    _, smap = parse_json(text)
    assert isinstance(smap, SourceMap)
    assert sorted(smap.positions) == ["", "/a", "/a/0", "/a/1", "/b~0~1"]
    assert len(smap.positions) == 5
    assert smap.positions.get("/missing") is None
    assert smap.position("/a/1") == (2, 15)
    assert smap.position("/b~0~1") == (3, 9)
    assert smap.position("/b~0~1/deeper") == (3, 9)


@pytest.mark.parametrize("text", ['{"a": 1}', ' \r\n\t \n  [1, {"b": null}]\n', "\n\n  7"])
def test_root_position_needs_no_scan(text: str) -> None:
    _, smap = parse_json(text)
    assert isinstance(smap.positions, _LazyPositions)
    assert smap.position("") == _reference(text)[1][""]
    assert smap.positions._offsets is None
    assert dict(smap.positions) == _reference(text)[1]


def test_lazy_positions_of_text_the_scanner_refuses_come_from_the_character_parser() -> None:
    text = '[1.,\n {"x": .5}]'
    assert _scan_offsets(text) is None
    assert dict(_LazyPositions(text)) == _reference(text)[1]
    assert _LazyPositions(text)["/1/x"] == (2, 8)


@pytest.mark.parametrize(
    ("text", "line", "col", "fragment"),
    [
        ('{"a": NaN}', 1, 7, "expected a value"),
        ("[1,\n -Infinity]", 2, 2, "invalid number '-'"),
        ('{"a": Infinity}', 1, 7, "expected a value"),
        ('{"a": {"b": 1, "b": 2}}', 1, 16, "duplicate key 'b'"),
        ("[" + "9" * 5000 + "]", 1, 2, "invalid number"),
    ],
)
def test_what_json_loads_extends_is_still_an_error(
    text: str, line: int, col: int, fragment: str
) -> None:
    with pytest.raises(JsonSyntaxError) as info:
        parse_json(text)
    assert (info.value.line, info.value.col) == (line, col)
    assert fragment in info.value.message
