"""herald run time: typed events, Confluent wire format and a safe librdkafka publisher.

Services depend on this package only; it never imports the build-time ``codegen`` package.
The publishing names (``Publisher``, ``AsyncPublisher``, ...) are imported on first use, so
generated event modules that import :mod:`publisher.event` do not load librdkafka.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from publisher.errors import PublisherError
from publisher.event import Binding, Event

if TYPE_CHECKING:
    from publisher.aio import AsyncPublisher
    from publisher.consumer import TypedConsumer, TypedDeserializer
    from publisher.futures import (
        BatchReport,
        DeliveryBatch,
        DeliveryFuture,
        DeliveryReport,
        FailedEvent,
    )
    from publisher.keys import json_key
    from publisher.metrics import PublisherMetrics, serve_metrics
    from publisher.partitioners import PriorityLanes, java_murmur2
    from publisher.producer import Publisher

__version__ = "0.1.0"

#: Lazily imported public name → module holding it.
_LAZY: dict[str, str] = {
    "AsyncPublisher": "publisher.aio",
    "BatchReport": "publisher.futures",
    "DeliveryBatch": "publisher.futures",
    "FailedEvent": "publisher.futures",
    "DeliveryFuture": "publisher.futures",
    "DeliveryReport": "publisher.futures",
    "PriorityLanes": "publisher.partitioners",
    "Publisher": "publisher.producer",
    "PublisherMetrics": "publisher.metrics",
    "TypedConsumer": "publisher.consumer",
    "TypedDeserializer": "publisher.consumer",
    "java_murmur2": "publisher.partitioners",
    "json_key": "publisher.keys",
    "serve_metrics": "publisher.metrics",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'publisher' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "AsyncPublisher",
    "BatchReport",
    "Binding",
    "DeliveryBatch",
    "DeliveryFuture",
    "DeliveryReport",
    "Event",
    "FailedEvent",
    "PriorityLanes",
    "Publisher",
    "PublisherError",
    "PublisherMetrics",
    "TypedConsumer",
    "TypedDeserializer",
    "__version__",
    "java_murmur2",
    "json_key",
    "serve_metrics",
]
