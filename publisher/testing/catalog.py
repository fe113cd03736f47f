"""What a service's generated package gives its tests: event classes and referenced schemas.

A package written by ``herald codegen`` exposes ``TYPES`` (full name -> class),
``REFERENCED`` (the schemas those classes reference, as ``herald register`` registers them)
and ``TOPICS`` (the declared topics). :func:`load_events` reads them from such packages.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from publisher.errors import PublisherError
from publisher.event import Event
from publisher.topics import Topic

#: (subject, schema type, text, ((reference name, subject), ...)) as generated in REFERENCED.
ReferencedSchema = tuple[str, str, str, tuple[tuple[str, str], ...]]


@dataclass(frozen=True)
class GeneratedEvents:
    """The classes a service publishes and the schemas a registry must hold for them."""

    classes: tuple[type[Event], ...] = ()
    referenced: tuple[ReferencedSchema, ...] = ()
    #: Topics declared in ``[[topics]]``; the kit creates them with their partition counts.
    topics: tuple[Topic, ...] = ()

    def __add__(self, other: GeneratedEvents) -> GeneratedEvents:
        return GeneratedEvents(
            tuple(dict.fromkeys((*self.classes, *other.classes))),
            tuple(dict.fromkeys((*self.referenced, *other.referenced))),
            tuple({t.name: t for t in (*self.topics, *other.topics)}.values()),
        )


def _from_module(name: str) -> GeneratedEvents:
    try:
        module: Any = importlib.import_module(name)
    except ImportError as exc:
        raise PublisherError(
            f"cannot import the generated events package {name!r}: {exc}; run `herald codegen` "
            "and check the herald_events setting"
        ) from None
    types = getattr(module, "TYPES", None)
    if not isinstance(types, dict):
        raise PublisherError(
            f"{name!r} has no TYPES mapping: name the root of a package written by `herald "
            "codegen` (the folder given as --out)"
        )
    return GeneratedEvents(
        tuple(types.values()),
        tuple(getattr(module, "REFERENCED", ())),
        tuple(getattr(module, "TOPICS", {}).values()),
    )


def load_events(packages: Iterable[str]) -> GeneratedEvents:
    """Read classes and referenced schemas from generated packages, by module name."""
    loaded = GeneratedEvents()
    for name in packages:
        loaded = loaded + _from_module(name)
    return loaded
