"""Message indexes -> message full names, read from a writer's .proto text.

Confluent's Protobuf wire header names a message by its path of indexes in the writer's file
descriptor (top-level message order, then nested order). A consumer must read that path
against the *writer's* file, which it fetches from the registry as text, so this module walks
the text's declarations the way protoc numbers them: ``message`` and proto2 ``group`` blocks
count, and so does each ``map<...>`` field, for which protoc adds a nested entry message.
A registry may also hold the file as a base64 ``FileDescriptorProto`` (what confluent-kafka's
``ProtobufSerializer`` registers; Apicurio keeps it as given): its paths are read directly.
"""

from __future__ import annotations

import base64
import binascii
import re

from google.protobuf.descriptor_pb2 import DescriptorProto, FileDescriptorProto
from google.protobuf.message import DecodeError

_TOKEN = re.compile(
    r"""
    (?P<skip>\s+|//[^\n]*|/\*.*?\*/)
    | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
    | (?P<word>[A-Za-z_][A-Za-z0-9_.]*)
    | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)
#: Block keywords whose body is not a message (their nested braces are skipped as a whole).
_OTHER_BLOCKS = frozenset({"enum", "service", "extend", "oneof", "rpc"})


def _tokens(text: str) -> list[str]:
    return [m.group() for m in _TOKEN.finditer(text) if m.lastgroup != "skip"]


def message_names(text: str) -> dict[tuple[int, ...], str]:
    """Every message path of a .proto file (``(1, 0)``: first nested type of the second message)."""
    descriptor = _descriptor(text)
    if descriptor is not None:
        return _descriptor_paths(list(descriptor.message_type), descriptor.package, ())
    tokens = _tokens(text)
    package = ""
    names: dict[tuple[int, ...], str] = {}
    #: Per open block: (path of the message, or None for a non-message block, next nested index).
    stack: list[tuple[tuple[int, ...] | None, list[int]]] = [((), [0])]
    prefix: list[str] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        path, counter = stack[-1]
        if token == "package" and len(stack) == 1 and i + 1 < len(tokens):
            package = tokens[i + 1]
            i += 2
            continue
        if path is not None and token in ("message", "group") and i + 1 < len(tokens):
            name_at = i + 1 if token == "message" else _group_name(tokens, i)
            if name_at is not None:
                opened = _open_brace(tokens, name_at)
                if opened is not None:
                    index = (*path, counter[0])
                    counter[0] += 1
                    name = _group_type(tokens[name_at]) if token == "group" else tokens[name_at]
                    prefix.append(name)
                    names[index] = ".".join(p for p in (package, *prefix) if p)
                    stack.append((index, [0]))
                    i = opened + 1
                    continue
        if path is not None and path != () and token == "map" and tokens[i + 1 : i + 2] == ["<"]:
            close = tokens.index(">", i) if ">" in tokens[i:] else len(tokens) - 1
            if close + 1 < len(tokens):
                entry = _map_entry(tokens[close + 1])
                names[(*path, counter[0])] = ".".join(p for p in (package, *prefix, entry) if p)
                counter[0] += 1
        if token == "{":
            stack.append((None, [0]))
            prefix.append("")
        elif token == "}" and len(stack) > 1:
            stack.pop()
            prefix.pop()
        elif token in _OTHER_BLOCKS and path is not None:
            opened = _open_brace(tokens, i + 1)
            if opened is not None:
                stack.append((None, [0]))
                prefix.append("")
                i = opened + 1
                continue
        i += 1
    return names


def _open_brace(tokens: list[str], start: int) -> int | None:
    """The position of the ``{`` opening a declaration whose head starts at ``start``."""
    for j in range(start, min(len(tokens), start + 64)):
        if tokens[j] == "{":
            return j
        if tokens[j] in (";", "}"):
            return None
    return None


def _group_name(tokens: list[str], at: int) -> int | None:
    """``repeated group Result = 1 {``: the position of the group's name."""
    return at + 1 if at + 1 < len(tokens) and tokens[at + 1][:1].isalpha() else None


def _group_type(name: str) -> str:
    """protoc names a group's message type after the group, first letter upper-cased."""
    return name[:1].upper() + name[1:]


def _map_entry(field: str) -> str:
    """protoc's name for a map field's entry message: ``by_sku`` -> ``BySkuEntry``."""
    return "".join(part[:1].upper() + part[1:] for part in field.split("_")) + "Entry"


def _descriptor(text: str) -> FileDescriptorProto | None:
    """The file as a base64 FileDescriptorProto, or None when it is .proto source text."""
    if not text or any(c.isspace() for c in text.strip()) or "{" in text:
        return None
    try:
        return FileDescriptorProto.FromString(base64.b64decode(text.strip(), validate=True))
    except (binascii.Error, ValueError, DecodeError):
        return None


def _descriptor_paths(
    messages: list[DescriptorProto], prefix: str, path: tuple[int, ...]
) -> dict[tuple[int, ...], str]:
    out: dict[tuple[int, ...], str] = {}
    for i, message in enumerate(messages):
        full = f"{prefix}.{message.name}" if prefix else message.name
        out[(*path, i)] = full
        out.update(_descriptor_paths(list(message.nested_type), full, (*path, i)))
    return out
