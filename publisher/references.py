"""The generated class a registry reference names, for ``auto_register`` to register it first.

A generated class lists its references as ``(name, subject)`` pairs: for Avro the name is the
referenced type's full name, for Protobuf the imported file's path. The classes themselves sit
in the same generated package, whose root module maps every full name to its class
(``TYPES``), so the referenced class is found there: by full name, or for a ``.proto`` path by
the binding module that file became.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from publisher.event import Event


def _package_types(cls: type[Event]) -> tuple[str, Mapping[str, Any]] | None:
    """(root module name, its TYPES) of the generated package ``cls`` belongs to."""
    parts = cls.__module__.split(".")
    for end in range(len(parts) - 1, 0, -1):
        root = ".".join(parts[:end])
        types = getattr(sys.modules.get(root), "TYPES", None)
        if isinstance(types, Mapping):
            return root, types
    return None


def referenced_class(cls: type[Event], name: str) -> type[Event] | None:
    """The class whose schema the reference ``name`` of ``cls`` points at, or None."""
    found = _package_types(cls)
    if found is None:
        return None
    root, types = found
    direct = types.get(name)
    if isinstance(direct, type) and issubclass(direct, Event):
        return direct
    if name.endswith(".proto"):
        module = f"{root}.{name.removesuffix('.proto').replace('/', '.')}"
        for candidate in types.values():
            if getattr(candidate, "__module__", None) == module:
                return candidate  # type: ignore[no-any-return]
    return None
