"""A small JSON parser that remembers where every value starts.

The standard ``json`` module gives values but no positions, and lint and compatibility
findings must point at ``file:line:col``. :func:`parse_json` returns the same Python values
``json.loads`` would (dicts keep key order) plus a :class:`SourceMap` from JSON pointer
(``/fields/2/type``) to the 1-based line and column where that value begins. Malformed input
raises :class:`JsonSyntaxError` with the line and column of the offending character.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
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
    return base + "".join("/" + escape_pointer_token(t) for t in tokens)


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


class _Parser:
    """Recursive descent over the text, recording each value's start position."""

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


def parse_json(text: str) -> tuple[Any, SourceMap]:
    """Parse JSON text; return its value and where each value starts (RFC 6901 pointers)."""
    parser = _Parser(text)
    value = parser.parse_document()
    return value, SourceMap(parser.positions)
