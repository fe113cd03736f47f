"""Writing a JSON-like document as JSON or YAML, deterministically and without a YAML library.

YAML output is block style; every string value is written as a double-quoted scalar with
JSON's escapes, which YAML reads the same way, so no value (``"yes"``, ``"1.0"``, ``"null"``,
text with ``: ``) can change type or structure on the way. Keys are left plain only when they
cannot read back as anything but themselves.
"""

from __future__ import annotations

import json
import re
from typing import Any


def to_json(document: Any) -> str:
    """Indented JSON with a final newline."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return json.dumps(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    raise TypeError(f"cannot write {type(value).__name__} as YAML")


#: Keys written without quotes: plain YAML scalars that can only read back as that string.
_PLAIN_KEY = re.compile(r"[A-Za-z_$][A-Za-z0-9_.$/-]*")
_RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}


def _key(key: str) -> str:
    if _PLAIN_KEY.fullmatch(key) and key.lower() not in _RESERVED:
        return key
    return _scalar(key)


def _lines(value: Any, indent: str) -> list[str]:
    """The block lines of a mapping or sequence (callers place scalars themselves)."""
    out: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            head = f"{indent}{_key(str(key))}:"
            if isinstance(item, (dict, list)) and item:
                out.append(head)
                out.extend(_lines(item, indent + "  "))
            else:
                out.append(f"{head} {_empty(item)}")
        return out
    for item in value:
        if isinstance(item, (dict, list)) and item:
            nested = _lines(item, indent + "  ")
            out.append(f"{indent}- {nested[0].lstrip()}")
            out.extend(nested[1:])
        else:
            out.append(f"{indent}- {_empty(item)}")
    return out


def _empty(value: Any) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return _scalar(value)


def to_yaml(document: Any) -> str:
    """Block-style YAML with a final newline."""
    return "\n".join(_lines(document, "")) + "\n"
