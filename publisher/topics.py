"""Declared topics: what ``[[topics]]`` in herald's config says a topic looks like.

``herald codegen`` writes the declarations into the generated package as ``TOPICS`` (name ->
:class:`Topic`), so a service hands them to ``Publisher(..., topics=events.TOPICS)``: the size
guard then uses the declared ``max.message.bytes`` without asking the broker, and partitioners
refuse a topic that has fewer partitions than declared instead of spreading keys over the
wrong count. ``herald topics plan|apply`` makes the cluster match the same declarations.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Topic:
    """One declared topic: partitions, replication factor (None: the broker's default), configs."""

    name: str
    partitions: int
    replication_factor: int | None = None
    #: Topic configs (``retention.ms``, ``cleanup.policy``, ...) as Kafka's string values.
    config: Mapping[str, str] = field(default_factory=dict)

    @property
    def max_message_bytes(self) -> int | None:
        """The declared ``max.message.bytes``, or None when the broker's default applies."""
        value = self.config.get("max.message.bytes")
        return int(value) if value is not None else None


def topic_map(topics: Mapping[str, Topic] | Iterable[Topic] | None) -> dict[str, Topic]:
    """Declared topics by name, from a ``TOPICS`` mapping or any iterable of :class:`Topic`."""
    if topics is None:
        return {}
    values = topics.values() if isinstance(topics, Mapping) else topics
    return {topic.name: topic for topic in values}
