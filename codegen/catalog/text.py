"""Schema files are UTF-8 text: read one, or fail at the line and column of its first bad byte."""

from __future__ import annotations

from pathlib import Path

from codegen.errors import SchemaParseError


def read_schema_text(path: Path, display: str) -> str:
    """The file's text; bytes that are not UTF-8 are a parse error at their position."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SchemaParseError(display, 0, 0, f"cannot read the file: {exc.strerror}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        col = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SchemaParseError(
            display,
            line,
            col,
            f"byte 0x{data[exc.start]:02x} is not UTF-8 ({exc.reason}); save the file as UTF-8",
        ) from None
