"""A small JSON parser that remembers where every value starts.

The standard ``json`` module gives values but no positions, and lint and compatibility
findings must point at ``file:line:col``. :func:`parse_json` returns the same Python values
``json.loads`` would (dicts keep key order) plus a :class:`SourceMap` from JSON pointer
(``/fields/2/type``) to the 1-based line and column where that value begins. Malformed input
raises :class:`JsonSyntaxError` with the line and column of the offending character.

Values come from the C ``json`` decoder, held to this parser's rules (no NaN or Infinity, no
duplicate keys). Positions are found when first asked for below the root: a token scanner (one
regular-expression match per token) records each value's character offset, and an offset
becomes line and column on lookup. Text the decoder refuses is parsed by the character-level
parser, which alone decides what is an error and where.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from json import JSONDecoder
from json import decoder as json_decoder
from typing import Any

#: Escapes allowed after a backslash in a JSON string, and what they stand for.
_ESCAPES: dict[str, str] = {
    '"': '"',
    "\\": "\\",
    "/": "/",
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
}
_WHITESPACE = " \t\n\r"
_LITERALS: dict[str, Any] = {"true": True, "false": False, "null": None}
_NUMBER_CHARS = frozenset("0123456789+-.eE")


def _is_hex4(digits: str) -> bool:
    return len(digits) == 4 and all(d in "0123456789abcdefABCDEF" for d in digits)


class JsonSyntaxError(ValueError):
    """Malformed JSON, with the 1-based line and column where parsing stopped."""

    def __init__(self, message: str, line: int, col: int) -> None:
        super().__init__(f"{line}:{col}: {message}")
        self.message = message
        self.line = line
        self.col = col


def escape_pointer_token(token: str | int) -> str:
    """Escape one reference token per RFC 6901 (``~`` -> ``~0``, ``/`` -> ``~1``)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def join_pointer(base: str, *tokens: str | int) -> str:
    """Append reference tokens to a JSON pointer, escaping each one."""
    for token in tokens:
        text = str(token)
        if "~" in text or "/" in text:
            text = text.replace("~", "~0").replace("/", "~1")
        base = f"{base}/{text}"
    return base


def parent_pointer(pointer: str) -> str:
    """Return the pointer one level up (the root ``""`` is its own parent)."""
    return pointer.rsplit("/", 1)[0] if pointer else ""


@dataclass(frozen=True, slots=True)
class SourceMap:
    """Where each JSON value starts, keyed by JSON pointer; falls back to the nearest ancestor."""

    positions: Mapping[str, tuple[int, int]]

    def position(self, pointer: str) -> tuple[int, int]:
        """Return (line, col) of the value at ``pointer``, or of its nearest existing ancestor."""
        current = pointer
        while True:
            found = self.positions.get(current)
            if found is not None:
                return found
            if not current:
                return (1, 1)
            current = parent_pointer(current)


class _LazyPositions(Mapping[str, tuple[int, int]]):
    """JSON pointer -> (line, col) of well-formed text, scanned for offsets on first need.

    The root's position needs no scan (it is the first non-blank character); any other lookup
    scans the whole text once. Offsets become line and column on lookup (bisect over the
    newline offsets).
    """

    __slots__ = ("_newlines", "_offsets", "_text")

    def __init__(self, text: str, offsets: dict[str, int] | None = None) -> None:
        self._text = text
        self._offsets = offsets
        self._newlines: list[int] | None = None

    def _lines(self) -> list[int]:
        if self._newlines is None:
            self._newlines = [m.start() for m in _NEWLINE.finditer(self._text)]
        return self._newlines

    def _table(self) -> dict[str, int]:
        if self._offsets is None:
            scanned = _scan_offsets(self._text)
            if scanned is not None:
                self._offsets = scanned[1]
            else:  # the scanner refuses it: the character parser has the answer
                parser = _Parser(self._text)
                parser.parse_document()
                starts = [0, *(n + 1 for n in self._lines())]
                self._offsets = {
                    pointer: starts[line - 1] + col - 1
                    for pointer, (line, col) in parser.positions.items()
                }
        return self._offsets

    def __getitem__(self, pointer: str) -> tuple[int, int]:
        if not pointer and self._offsets is None:
            text = self._text
            offset = len(text) - len(text.lstrip(_WHITESPACE))
            return (text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset))
        offset = self._table()[pointer]
        newlines = self._lines()
        line = bisect_right(newlines, offset)
        line_start = newlines[line - 1] + 1 if line else 0
        return (line + 1, offset - line_start + 1)

    def __iter__(self) -> Iterator[str]:
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())


_NEWLINE = re.compile("\n")

#: One token after optional whitespace; the group that matched says which kind it is.
_TOKEN = re.compile(
    r"""[ \t\n\r]*(?:
        (?P<punct>[{}\[\],:])
      | (?P<string>")
      | (?P<number>-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)
      | (?P<literal>true|false|null)
    )""",
    re.VERBOSE,
)
_PUNCT, _STRING, _NUMBER, _LITERAL = 1, 2, 3, 4
#: The C string decoder behind ``json.loads``: (text, offset after the quote) -> (str, end).
_scanstring: Callable[[str, int], tuple[str, int]] = json_decoder.scanstring  # type: ignore[attr-defined]
_TRAILING_SPACE = re.compile(r"[ \t\n\r]*")


class _ScanRefusedError(Exception):
    """The token scanner does not accept the text; the character-level parser decides."""


def _scan_value(text: str, pos: int, pointer: str, offsets: dict[str, int]) -> tuple[Any, int]:
    """Parse the value after ``pos``; return it and the offset just past it."""
    match = _TOKEN.match(text, pos)
    if match is None:
        raise _ScanRefusedError
    kind = match.lastindex or 0
    start = match.start(kind)
    offsets[pointer] = start
    if kind == _STRING:
        return _scanstring(text, start + 1)
    if kind == _NUMBER:
        literal = match[kind]
        if "." in literal or "e" in literal or "E" in literal:
            return float(literal), match.end()
        return int(literal), match.end()
    if kind == _LITERAL:
        return _LITERALS[match[kind]], match.end()
    char = match[kind]
    if char == "{":
        return _scan_object(text, match.end(), pointer, offsets)
    if char == "[":
        return _scan_array(text, match.end(), pointer, offsets)
    raise _ScanRefusedError


def _scan_object(
    text: str, pos: int, pointer: str, offsets: dict[str, int]
) -> tuple[dict[str, Any], int]:
    result: dict[str, Any] = {}
    match = _TOKEN.match(text, pos)
    if match is not None and match.lastindex == _PUNCT and match[_PUNCT] == "}":
        return result, match.end()
    while True:
        if match is None or match.lastindex != _STRING:
            raise _ScanRefusedError
        key, pos = _scanstring(text, match.end())
        if key in result:
            raise _ScanRefusedError
        match = _TOKEN.match(text, pos)
        if match is None or match.lastindex != _PUNCT or match[_PUNCT] != ":":
            raise _ScanRefusedError
        token = key.replace("~", "~0").replace("/", "~1") if "~" in key or "/" in key else key
        result[key], pos = _scan_value(text, match.end(), pointer + "/" + token, offsets)
        match = _TOKEN.match(text, pos)
        if match is None or match.lastindex != _PUNCT:
            raise _ScanRefusedError
        char = match[_PUNCT]
        if char == "}":
            return result, match.end()
        if char != ",":
            raise _ScanRefusedError
        match = _TOKEN.match(text, match.end())


def _scan_array(
    text: str, pos: int, pointer: str, offsets: dict[str, int]
) -> tuple[list[Any], int]:
    result: list[Any] = []
    match = _TOKEN.match(text, pos)
    if match is not None and match.lastindex == _PUNCT and match[_PUNCT] == "]":
        return result, match.end()
    while True:
        value, pos = _scan_value(text, pos, f"{pointer}/{len(result)}", offsets)
        result.append(value)
        match = _TOKEN.match(text, pos)
        if match is None or match.lastindex != _PUNCT:
            raise _ScanRefusedError
        char = match[_PUNCT]
        if char == "]":
            return result, match.end()
        if char != ",":
            raise _ScanRefusedError
        pos = match.end()


def _scan_offsets(text: str) -> tuple[Any, dict[str, int]] | None:
    """Parse well-formed JSON by tokens: its value and each value's offset by JSON pointer.

    ``None`` when the text needs the character parser (malformed, or lenient like ``1.``).
    """
    offsets: dict[str, int] = {}
    try:
        value, pos = _scan_value(text, 0, "", offsets)
    except (_ScanRefusedError, ValueError, RecursionError):
        return None
    end = _TRAILING_SPACE.match(text, pos)
    if end is None or end.end() != len(text):
        return None
    return value, offsets


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate key")
    return result


#: ``json.loads`` without its extensions to JSON (NaN, Infinity, a repeated key): what it
#: accepts, the character-level parser accepts too, with the same value.
_STRICT_DECODER = JSONDecoder(object_pairs_hook=_unique_keys, parse_constant=_refuse_constant)


class _Parser:
    """Recursive descent one character at a time: the reference for errors and odd input."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.line_start = 0
        self.positions: dict[str, tuple[int, int]] = {}

    # -- position bookkeeping -------------------------------------------------------------
    def here(self) -> tuple[int, int]:
        return (self.line, self.pos - self.line_start + 1)

    def error(self, message: str) -> JsonSyntaxError:
        line, col = self.here()
        return JsonSyntaxError(message, line, col)

    def advance(self, count: int = 1) -> None:
        for _ in range(count):
            if self.text[self.pos] == "\n":
                self.line += 1
                self.line_start = self.pos + 1
            self.pos += 1

    def skip_whitespace(self) -> None:
        text = self.text
        while self.pos < len(text) and text[self.pos] in _WHITESPACE:
            self.advance()

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def expect(self, char: str, what: str) -> None:
        if self.peek() != char:
            found = repr(self.peek()) if self.peek() else "end of file"
            raise self.error(f"expected {what}, found {found}")
        self.advance()

    # -- grammar --------------------------------------------------------------------------
    def parse_document(self) -> Any:
        self.skip_whitespace()
        value = self.parse_value("")
        self.skip_whitespace()
        if self.pos < len(self.text):
            raise self.error(f"unexpected {self.peek()!r} after the JSON value")
        return value

    def parse_value(self, pointer: str) -> Any:
        self.positions[pointer] = self.here()
        char = self.peek()
        if char == "{":
            return self.parse_object(pointer)
        if char == "[":
            return self.parse_array(pointer)
        if char == '"':
            return self.parse_string()
        if char in _NUMBER_CHARS:
            return self.parse_number()
        for word, value in _LITERALS.items():
            if self.text.startswith(word, self.pos):
                self.advance(len(word))
                return value
        if not char:
            raise self.error("unexpected end of file, expected a value")
        raise self.error(f"unexpected {char!r}, expected a value")

    def parse_object(self, pointer: str) -> dict[str, Any]:
        self.advance()
        result: dict[str, Any] = {}
        self.skip_whitespace()
        if self.peek() == "}":
            self.advance()
            return result
        while True:
            self.skip_whitespace()
            if self.peek() != '"':
                raise self.error("expected a string key in double quotes")
            key_pos = self.here()
            key = self.parse_string()
            if key in result:
                line, col = key_pos
                raise JsonSyntaxError(f"duplicate key {key!r}", line, col)
            self.skip_whitespace()
            self.expect(":", "':' after the key")
            self.skip_whitespace()
            result[key] = self.parse_value(join_pointer(pointer, key))
            self.skip_whitespace()
            if self.peek() == ",":
                self.advance()
                continue
            self.expect("}", "',' or '}'")
            return result

    def parse_array(self, pointer: str) -> list[Any]:
        self.advance()
        result: list[Any] = []
        self.skip_whitespace()
        if self.peek() == "]":
            self.advance()
            return result
        while True:
            self.skip_whitespace()
            result.append(self.parse_value(join_pointer(pointer, len(result))))
            self.skip_whitespace()
            if self.peek() == ",":
                self.advance()
                continue
            self.expect("]", "',' or ']'")
            return result

    def parse_string(self) -> str:
        self.advance()
        parts: list[str] = []
        text = self.text
        while True:
            if self.pos >= len(text):
                raise self.error("unterminated string")
            char = text[self.pos]
            if char == '"':
                self.advance()
                return "".join(parts)
            if char == "\\":
                self.advance()
                esc = self.peek()
                if esc == "u":
                    digits = text[self.pos + 1 : self.pos + 5]
                    if not _is_hex4(digits):
                        raise self.error("invalid \\u escape")
                    code = int(digits, 16)
                    self.advance(5)
                    low = text[self.pos + 2 : self.pos + 6]
                    pair = text.startswith("\\u", self.pos) and _is_hex4(low)
                    if pair and 0xD800 <= code < 0xDC00 and 0xDC00 <= int(low, 16) < 0xE000:
                        code = 0x10000 + ((code - 0xD800) << 10) + (int(low, 16) - 0xDC00)
                        self.advance(6)
                    parts.append(chr(code))
                    continue
                if esc not in _ESCAPES:
                    raise self.error(f"invalid escape \\{esc}")
                parts.append(_ESCAPES[esc])
                self.advance()
                continue
            if char == "\n" or ord(char) < 0x20:
                raise self.error("control character in string")
            parts.append(char)
            self.pos += 1

    def parse_number(self) -> int | float:
        start = self.pos
        while self.peek() and self.peek() in _NUMBER_CHARS:
            self.pos += 1
        literal = self.text[start : self.pos]
        try:
            if literal.startswith("+"):
                raise ValueError(literal)
            if any(c in literal for c in ".eE"):
                return float(literal)
            if literal.lstrip("-").startswith("0") and literal.lstrip("-") != "0":
                raise ValueError(literal)
            return int(literal)
        except ValueError:
            self.pos = start
            raise self.error(f"invalid number {literal!r}") from None


#: Deepest nesting of arrays and objects accepted. Real schemas stay far below it, and every
#: later pass (catalog, lint, compatibility, codegen) recurses over the value.
MAX_DEPTH = 100
#: A JSON string (skipped whole, so brackets inside it do not count) or one bracket.
_BRACKETS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')
#: A UTF-16 surrogate on its own: ``\ud800`` decodes to one, and no UTF-8 text can hold it.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _line_col(text: str, offset: int) -> tuple[int, int]:
    return text.count("\n", 0, offset) + 1, offset - text.rfind("\n", 0, offset)


def check_depth(text: str) -> None:
    """Refuse nesting deeper than :data:`MAX_DEPTH` before any recursive parser sees it."""
    depth = 0
    for match in _BRACKETS.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > MAX_DEPTH:
                line, col = _line_col(text, match.start())
                raise JsonSyntaxError(
                    f"arrays and objects are nested more than {MAX_DEPTH} deep", line, col
                )
        elif token in ("]", "}"):
            depth -= 1


def check_text(value: Any, position: Callable[[str], tuple[int, int]]) -> None:
    """Refuse strings holding a lone surrogate (``"\\ud800"``): not text, and not UTF-8.

    JSON allows the escape, so :func:`parse_json` keeps it; schema loaders call this, with a
    function giving the line and column of a JSON pointer.
    """
    stack: list[tuple[str, Any]] = [("", value)]
    while stack:
        pointer, node = stack.pop()
        bad = None
        if isinstance(node, str):
            bad = _SURROGATE.search(node)
        elif isinstance(node, dict):
            bad = next((m for k in node if (m := _SURROGATE.search(k))), None)
            stack.extend((join_pointer(pointer, k), v) for k, v in node.items() if not bad)
        elif isinstance(node, list):
            stack.extend((join_pointer(pointer, i), v) for i, v in enumerate(node))
        if bad is not None:
            line, col = position(pointer)
            raise JsonSyntaxError(
                f"string holds the lone surrogate \\u{ord(bad.group()):04x}, which is not text; "
                "write the character itself or a valid surrogate pair",
                line,
                col,
            )


def parse_json(text: str) -> tuple[Any, SourceMap]:
    """Parse JSON text; return its value and where each value starts (RFC 6901 pointers)."""
    check_depth(text)
    try:
        value = _STRICT_DECODER.decode(text)
    except (ValueError, RecursionError):
        parser = _Parser(text)
        value = parser.parse_document()
        source_map = SourceMap(parser.positions)
    else:
        source_map = SourceMap(_LazyPositions(text))
    return value, source_map
