"""confluent-kafka's in-process ``mock://`` registry, loaded as ``herald register`` would load it.

Referenced schemas go in first, then every class under each subject it is bound to and under
its full name (the record name strategy), so bound and unbound publishing both find an id.
Each ``mock://`` client has a store of its own, so the publisher and readers of one test share
the client made here.
"""

from __future__ import annotations

import uuid
from typing import Any

from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient

from publisher.subjects import subject_for
from publisher.testing.catalog import GeneratedEvents


def _schema(client: Any, kind: str, text: str, refs: tuple[tuple[str, str], ...]) -> Schema:
    references = [
        SchemaReference(name, subject, client.get_latest_version(subject).version)
        for name, subject in refs
    ]
    return Schema(text, kind, references)


def preloaded_registry(events: GeneratedEvents, url: str | None = None) -> Any:
    """A fresh ``mock://`` registry client holding every schema of ``events``."""
    client = SchemaRegistryClient.new_client({"url": url or f"mock://herald-{uuid.uuid4().hex}"})
    for subject, kind, text, refs in events.referenced:
        client.register_schema(subject, _schema(client, kind, text, refs))
    for cls in events.classes:
        schema = _schema(client, cls.SCHEMA_FORMAT, cls.SCHEMA, cls.REFERENCES)
        subjects = [b.subject for b in cls.BINDINGS]
        subjects.append(subject_for("record", "", cls.FULL_NAME))
        for subject in dict.fromkeys(subjects):
            client.register_schema(subject, schema)
    return client
