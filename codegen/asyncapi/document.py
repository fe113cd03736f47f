"""The AsyncAPI 3.0 document of a project: a channel per topic, a message per binding.

Flow: config (bindings, ``[[topics]]``) + catalog -> the generator's typed package model
(self-contained Avro schemas, Protobuf texts, docs) -> a JSON-like dict:

- ``channels``: one per bound or declared topic, its messages, and a Kafka channel binding with
  the declared partitions, replicas and topic configs;
- ``operations``: one ``send`` per channel, as the service publishing through herald sees it;
- ``components.messages``: one per binding, named by its value subject, with the schema as
  payload (``schemaFormat`` Avro or Protobuf), the schema's docs, and a Kafka message binding
  for the key, the Confluent wire format and the subject name strategy.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from codegen.catalog import Catalog, ProtoFile
from codegen.config import Binding, HeraldConfig
from codegen.generate import build_model
from codegen.generate.model import PackageModel

ASYNCAPI_VERSION = "3.0.0"
KAFKA_BINDING_VERSION = "0.5.0"
AVRO_FORMAT = "application/vnd.apache.avro+json;version=1.9.0"
PROTOBUF_FORMAT = "application/vnd.google.protobuf;version=3"

#: Subject name strategy -> the class name Kafka serdes (and the binding) call it by.
LOOKUP_STRATEGIES = {
    "topic": "TopicIdStrategy",
    "record": "RecordIdStrategy",
    "topic_record": "TopicRecordIdStrategy",
}
#: Plain key kinds -> their AsyncAPI schema.
PLAIN_KEY_SCHEMAS: dict[str, dict[str, str]] = {
    "string": {"type": "string", "description": "UTF-8 text"},
    "bytes": {"type": "string", "format": "binary", "description": "raw bytes"},
}
_NAMED = ("record", "error", "enum", "fixed")
#: Topic configs the Kafka channel binding types as integers, booleans or lists.
_LIST_CONFIGS = {"cleanup.policy"}


def _config_value(key: str, value: str) -> Any:
    if key in _LIST_CONFIGS:
        return [part.strip() for part in value.split(",") if part.strip()]
    if value in ("true", "false"):
        return value == "true"
    try:
        return int(value)
    except ValueError:
        return value


def _relative(folder: Path, base: Path) -> str:
    try:
        return folder.resolve().relative_to(base.resolve()).as_posix()
    except ValueError:
        return folder.as_posix()


def _split_names(node: Any) -> Any:
    """Named types as ``name`` + ``namespace``: AsyncAPI's Avro schema object wants bare names."""
    if isinstance(node, list):
        return [_split_names(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _split_names(value) for key, value in node.items()}
    name = out.get("name")
    if out.get("type") in _NAMED and isinstance(name, str) and "." in name:
        namespace, _, short = name.rpartition(".")
        out["name"] = short
        out.setdefault("namespace", namespace)
    return out


#: File-level statements an inlined import drops: its own syntax, package, imports, options.
_FILE_STATEMENT = re.compile(r"^\s*(syntax|package|import|option)\b[^;]*;\s*$", re.MULTILINE)


def _bundled_proto(catalog: Catalog, proto: ProtoFile) -> str:
    """The .proto text with its same-package catalog imports inlined.

    The official AsyncAPI Protobuf schema parser loads no imports but the well-known types, so
    a payload must carry the definitions it uses. Imports of another package stay imports
    (protobuf has one package per file); such a payload names what it imports.
    """
    inlined: list[str] = []
    seen: set[str] = set()

    def visit(current: ProtoFile) -> None:
        for path in current.imports:
            imported = catalog.proto_file(path)
            if path in seen or imported.package != proto.package:
                continue
            seen.add(path)
            visit(imported)
            body = _FILE_STATEMENT.sub("", imported.text).strip()
            inlined.append(f"// from {path}\n{body}\n")

    visit(proto)
    if not inlined:
        return proto.text
    text = proto.text
    for path in seen:
        text = re.sub(
            rf'^\s*import\s+(public\s+)?"{re.escape(path)}"\s*;\s*\n', "", text, flags=re.M
        )
    return text.rstrip("\n") + "\n\n" + "\n".join(inlined)


def _mark_root(text: str, full_name: str, package: str) -> str:
    """Tag the payload's message ``@RootNode``, the parser's way to pick one of several."""
    short = full_name.removeprefix(f"{package}.") if package else full_name
    if "." in short:  # a nested message: the parser only roots top-level ones
        return text
    pattern = re.compile(rf"^message\s+{re.escape(short)}\s*\{{", re.MULTILINE)
    return pattern.sub(lambda m: f"// @RootNode\n{m.group(0)}", text, count=1)


class _Payloads:
    """Schema payload and docs of a full name, from the generator's model and the catalog."""

    def __init__(self, model: PackageModel, catalog: Catalog) -> None:
        self._avro = model.records
        self._proto = {m.full_name: m for p in model.proto_modules for m in p.messages}
        self._catalog = catalog

    def payload(self, full_name: str) -> tuple[dict[str, Any], str | None]:
        record = self._avro.get(full_name)
        if record is not None:
            schema = _split_names(json.loads(record.reader_schema))
            return {"schemaFormat": AVRO_FORMAT, "schema": schema}, record.doc
        message = self._proto[full_name]
        proto = self._catalog.file_of(full_name)
        assert isinstance(proto, ProtoFile)
        text = _mark_root(_bundled_proto(self._catalog, proto), full_name, proto.package)
        return {"schemaFormat": PROTOBUF_FORMAT, "schema": text}, message.doc

    def kind(self, full_name: str) -> str:
        return "Avro" if full_name in self._avro else "Protobuf"


def _key_schema(binding: Binding, payloads: _Payloads) -> dict[str, Any] | None:
    if binding.key is None:
        return None
    if binding.key in PLAIN_KEY_SCHEMAS:
        return dict(PLAIN_KEY_SCHEMAS[binding.key])
    return {
        "description": (
            f"{payloads.kind(binding.key)} {binding.key}, framed in Confluent wire format "
            f"under subject {binding.key_subject}"
        ),
    }


def _message(binding: Binding, payloads: _Payloads) -> dict[str, Any]:
    payload, doc = payloads.payload(binding.value)
    short = binding.value.rsplit(".", 1)[-1]
    kafka: dict[str, Any] = {}
    key = _key_schema(binding, payloads)
    if key is not None:
        kafka["key"] = key
    kafka.update(
        {
            "schemaIdLocation": "payload",
            "schemaIdPayloadEncoding": "confluent",
            "schemaLookupStrategy": LOOKUP_STRATEGIES[binding.strategy],
            "bindingVersion": KAFKA_BINDING_VERSION,
        }
    )
    message: dict[str, Any] = {"name": short, "title": short}
    if doc:
        message["summary"] = doc.strip().splitlines()[0]
        message["description"] = doc.strip()
    message["contentType"] = "application/octet-stream"
    message["payload"] = payload
    message["bindings"] = {"kafka": kafka}
    message["x-herald-subject"] = binding.value_subject
    message["x-herald-full-name"] = binding.value
    return message


def build_document(
    config: HeraldConfig,
    catalog: Catalog,
    *,
    title: str,
    version: str,
    servers: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The AsyncAPI 3.0 document of the project; see the module docstring."""
    payloads = _Payloads(build_model(catalog, "events"), catalog)
    declared = {spec.topic.name: spec.topic for spec in config.topics}
    topics = list(dict.fromkeys([b.topic for b in config.bindings] + list(declared)))
    messages: dict[str, dict[str, Any]] = {}
    channels: dict[str, dict[str, Any]] = {}
    operations: dict[str, dict[str, Any]] = {}
    for topic in topics:
        bound = [b for b in config.bindings if b.topic == topic]
        refs = {}
        for binding in bound:
            messages.setdefault(binding.value_subject, _message(binding, payloads))
            refs[binding.value_subject] = {"$ref": f"#/components/messages/{binding.value_subject}"}
        kafka: dict[str, Any] = {"topic": topic}
        spec = declared.get(topic)
        if spec is not None:
            kafka["partitions"] = spec.partitions
            if spec.replication_factor is not None:
                kafka["replicas"] = spec.replication_factor
            if spec.config:
                kafka["topicConfiguration"] = {
                    key: _config_value(key, value) for key, value in spec.config.items()
                }
        kafka["bindingVersion"] = KAFKA_BINDING_VERSION
        channel: dict[str, Any] = {"address": topic}
        if refs:
            channel["messages"] = refs
        channel["bindings"] = {"kafka": kafka}
        channels[topic] = channel
        if refs:
            operations[f"send-{topic}"] = {
                "action": "send",
                "channel": {"$ref": f"#/channels/{topic}"},
                "summary": f"Publish to {topic} through herald's Publisher.",
                "messages": [
                    {"$ref": f"#/channels/{topic}/messages/{subject}"} for subject in refs
                ],
            }
    base = config.path.parent if config.path else Path.cwd()
    sources = ", ".join(_relative(folder, base) for folder in config.schemas) or "the catalog"
    document: dict[str, Any] = {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": title,
            "version": version,
            "description": f"Events published with herald, from the schemas in {sources}.",
        },
        "defaultContentType": "application/octet-stream",
    }
    if servers:
        document["servers"] = {
            name: {"host": host, "protocol": "kafka"} for name, host in servers.items()
        }
    document["channels"] = channels
    document["operations"] = operations
    document["components"] = {"messages": messages}
    return document
