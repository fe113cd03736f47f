"""Inline lint ignores, written in each format's own syntax next to what they excuse.

- ``.proto``: a ``// herald:lint:ignore RULE [RULE ...]`` line in the leading or trailing
  comment of an element (as ``buf:lint:ignore``); above ``package`` it covers the whole file.
- ``.avsc``: a ``"herald.lint.ignore": ["RULE", ...]`` property on a record, field or enum
  object (Avro keeps unknown properties); on the top-level object it covers the whole file.

An ignore covers the element it is on and everything inside it. A directive-only comment is
not documentation, so the doc rules do not count it (:func:`without_directives`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Final

from codegen.catalog import AvroFile, ProtoFile

AVRO_PROPERTY: Final = "herald.lint.ignore"
_DIRECTIVE = re.compile(r"^\s*herald:lint:ignore\b(?P<rules>.*)$", re.MULTILINE)
#: SourceCodeInfo path of a file's ``package`` statement.
_PACKAGE_PATH: Final = (2,)


def without_directives(comment: str) -> str:
    """A comment with its ignore lines removed, for the rules that want a real comment."""
    return _DIRECTIVE.sub("", comment).strip()


def _rules(text: str) -> set[str]:
    return {rule for m in _DIRECTIVE.finditer(text) for rule in m["rules"].split() if rule}


def proto_ignores(proto: ProtoFile) -> dict[tuple[int, ...], frozenset[str]]:
    """Source path -> rules ignored there (the package's path stands for the whole file)."""
    found: dict[tuple[int, ...], set[str]] = {}
    for loc in proto.descriptor.source_code_info.location:
        rules = _rules(loc.leading_comments) | _rules(loc.trailing_comments)
        if rules:
            path = tuple(loc.path)
            found.setdefault(() if path == _PACKAGE_PATH else path, set()).update(rules)
    return {path: frozenset(rules) for path, rules in found.items()}


def _walk(value: Any, pointer: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    if isinstance(value, dict):
        yield pointer, value
        for key, child in value.items():
            yield from _walk(child, f"{pointer}/{key.replace('~', '~0').replace('/', '~1')}")
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _walk(child, f"{pointer}/{index}")


def avro_ignores(avro: AvroFile) -> dict[str, frozenset[str]]:
    """JSON pointer -> rules ignored at that object and below."""
    found: dict[str, frozenset[str]] = {}
    for pointer, node in _walk(avro.json, ""):
        rules = node.get(AVRO_PROPERTY)
        if isinstance(rules, list):
            found[pointer] = frozenset(r for r in rules if isinstance(r, str))
        elif isinstance(rules, str):
            found[pointer] = frozenset({rules})
    return found


def ignored(rule: str, where: str | tuple[int, ...], ignores: Mapping[Any, frozenset[str]]) -> bool:
    """Whether an ignore on ``where`` or on anything enclosing it names ``rule``."""
    if isinstance(where, str):
        scopes: list[Any] = [where]
        while where:
            where = where.rpartition("/")[0]
            scopes.append(where)
    else:
        scopes = [where[:n] for n in range(len(where), -1, -1)]
    return any(rule in ignores.get(scope, ()) for scope in scopes)
