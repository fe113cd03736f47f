"""confluent-kafka's in-process registry, answering ``format=serialized`` as Confluent's does.

Confluent Schema Registry returns a Protobuf schema as a base64 ``FileDescriptorProto`` when
asked for ``?format=serialized``, and that is how confluent-kafka's ProtobufSerializer and
ProtobufDeserializer read every schema. The in-process ``mock://`` client returns the stored
text whatever the format, so this subclass maps each registered .proto text to its file
descriptor, taken from the protoc module of the class that carries the text.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

from confluent_kafka.schema_registry import RegisteredSchema, Schema
from confluent_kafka.schema_registry._sync.mock_schema_registry_client import (
    MockSchemaRegistryClient,
)

from publisher.event import Event


class SerializedFormatRegistry(MockSchemaRegistryClient):
    """A ``mock://`` registry whose Protobuf schemas also come as descriptors on request."""

    def __init__(self, *classes: type[Event]) -> None:
        super().__init__({"url": f"mock://{uuid.uuid4().hex}"})
        self._serialized = {cls.SCHEMA: _descriptor_text(cls) for cls in classes}
        self._texts = {serialized: text for text, serialized in self._serialized.items()}

    def _as(self, schema: Schema, fmt: str | None) -> Schema:
        text = self._serialized.get(schema.schema_str or "")
        if fmt != "serialized" or text is None:
            return schema
        return Schema(text, "PROTOBUF", schema.references, schema.metadata, schema.rule_set)

    def _registered(self, found: RegisteredSchema, fmt: str | None) -> RegisteredSchema:
        return RegisteredSchema(
            subject=found.subject,
            version=found.version,
            schema_id=found.schema_id,
            guid=found.guid,
            schema=self._as(found.schema, fmt),
        )

    def get_schema(
        self, schema_id: int, subject_name: str | None = None, fmt: str | None = None
    ) -> Schema:
        return self._as(super().get_schema(schema_id, subject_name, fmt), fmt)

    def lookup_schema(
        self,
        subject_name: str,
        schema: Schema,
        normalize_schemas: bool = False,
        fmt: str | None = None,
        deleted: bool = False,
    ) -> RegisteredSchema:
        text = self._texts.get(schema.schema_str or "")
        if text is not None:  # Confluent's registry looks a schema up in either form
            schema = Schema(text, "PROTOBUF", schema.references, schema.metadata, schema.rule_set)
        return super().lookup_schema(subject_name, schema, normalize_schemas, fmt, deleted)

    def get_latest_version(self, subject_name: str, fmt: str | None = None) -> RegisteredSchema:
        return self._registered(super().get_latest_version(subject_name, fmt), fmt)

    def get_version(
        self, subject_name: str, version: Any, deleted: bool = False, fmt: str | None = None
    ) -> RegisteredSchema:
        return self._registered(super().get_version(subject_name, version, deleted, fmt), fmt)


def _descriptor_text(cls: type[Event]) -> str:
    """The base64 FileDescriptorProto of the file that defines a generated Protobuf class."""
    from google.protobuf import descriptor_pool

    message = descriptor_pool.Default().FindMessageTypeByName(cls.FULL_NAME)
    return base64.standard_b64encode(message.file.serialized_pb).decode("ascii")
