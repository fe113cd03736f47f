"""Consumers read every compatible version: older records, newer classes, the real stack.

Records are written by confluent-kafka's own serializers with the *old* schema; only that
schema is registered. The typed consumer gets a class generated from the *new* schema and
must read them as Avro resolution does (fastavro's ``schemaless_reader`` with writer and
reader schemas is the reference), for every compatible record evolution of the compat corpus.
Protobuf reads an older file's records with the newer class and keeps the fields it does not
know; an incompatible writer raises an error naming the rule, and the error policies lose
nothing.
"""

from __future__ import annotations

import importlib
import io
import json
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import fastavro
import pytest
from confluent_kafka import Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import Schema, SchemaReference, SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroSerializer
from confluent_kafka.schema_registry.protobuf import ProtobufSerializer
from confluent_kafka.serialization import MessageField, SerializationContext
from google.protobuf import descriptor_pool, message_factory
from google.protobuf.descriptor_pb2 import FileDescriptorSet
from grpc_tools import protoc

from codegen.catalog import load_catalog
from codegen.compat import SchemaSource, compare
from codegen.generate import generate_files, write_package
from publisher.consumer import TypedConsumer
from publisher.errors import EventDecodeError, SchemaResolutionError
from publisher.registry import SchemaResolver
from tests.fixtures.compat.corpus import CASES, Case
from tests.integration.conftest import Stack

pytestmark = pytest.mark.integration
RECORDS_PER_CASE = 3


def _compatible_record_evolutions() -> list[Case]:
    """Every distinct Avro (old, new) pair with a record root that BACKWARD accepts."""
    seen: set[tuple[Any, ...]] = set()
    found: list[Case] = []
    for case in CASES:
        if case.format != "AVRO" or len(case.previous) != 1:
            continue
        new = json.loads(case.new)
        if not isinstance(new, dict) or new.get("type") != "record":
            continue
        key = (case.previous[0], case.new, case.old_refs, case.new_refs)
        old = SchemaSource("AVRO", case.previous[0], references=dict(case.old_refs))
        current = SchemaSource("AVRO", case.new, references=dict(case.new_refs))
        if key in seen or compare([old], current, "BACKWARD"):
            continue
        seen.add(key)
        found.append(case)
    return found


EVOLUTIONS = _compatible_record_evolutions()


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A folder on sys.path for the packages the tests generate."""
    root = tmp_path_factory.mktemp("evolution")
    sys.path.insert(0, str(root))
    try:
        yield root
    finally:
        sys.path.remove(str(root))


def _generate(root: Path, files: dict[str, str]) -> ModuleType:
    """Run the code generator over schema files (name -> text) into a new package."""
    package = f"evolved_{uuid.uuid4().hex[:8]}"
    schemas = root / f"{package}_schemas"
    schemas.mkdir()
    for name, text in files.items():
        (schemas / name).parent.mkdir(parents=True, exist_ok=True)
        (schemas / name).write_text(text)
    write_package(generate_files(load_catalog([schemas]), package), root / package)
    return importlib.import_module(package)


def _topics(stack: Stack, prefix: str, count: int) -> list[str]:
    names = [stack.unique(prefix) for _ in range(count)]
    admin = AdminClient({"bootstrap.servers": stack.bootstrap_servers})
    for future in admin.create_topics([NewTopic(n, 1, 1) for n in names]).values():
        future.result(timeout=30)
    return names


@pytest.fixture
def registry(stack: Stack) -> Iterator[SchemaRegistryClient]:
    """confluent-kafka's own registry client (the writers' side), closed after the test."""
    with SchemaRegistryClient({"url": stack.registry_url}) as client:
        yield client


@pytest.fixture(scope="module")
def resolver(stack: Stack) -> Iterator[SchemaResolver]:
    """One registry client for the typed consumers (each client builds its own TLS context)."""
    shared = SchemaResolver(stack.registry_url)
    try:
        yield shared
    finally:
        shared.close()


def _consumer(
    stack: Stack, resolver: SchemaResolver, classes: list[type[Any]], topic: str, **kw: Any
) -> TypedConsumer:
    """A typed consumer assigned to partition 0 of ``topic`` from the start (no group join)."""
    consumer = TypedConsumer(
        stack.bootstrap_servers,
        f"evolution-{uuid.uuid4().hex[:8]}",
        classes,
        resolver=resolver,
        **kw,
    )
    consumer.consumer.assign([TopicPartition(topic, 0, 0)])
    return consumer


# -- Avro values ---------------------------------------------------------------------------


class _Sampler:
    """Deterministic valid values of a writer schema, different per seed, bounded in depth."""

    def __init__(self, schema: Any, refs: list[str]) -> None:
        self.named: dict[str, Any] = {}
        for text in refs:
            self.collect(json.loads(text), "")
        self.schema = json.loads(schema) if isinstance(schema, str) else schema
        self.collect(self.schema, "")

    def collect(self, node: Any, ns: str) -> None:
        if isinstance(node, list):
            for branch in node:
                self.collect(branch, ns)
        elif isinstance(node, dict):
            kind = node.get("type")
            if kind in ("record", "enum", "fixed", "error"):
                name = node["name"]
                space = name.rpartition(".")[0] if "." in name else node.get("namespace", ns)
                self.named[name if "." in name or not space else f"{space}.{name}"] = (node, space)
                for f in node.get("fields", []):
                    self.collect(f["type"], space)
            for key in ("items", "values"):
                if key in node:
                    self.collect(node[key], ns)
            if isinstance(kind, dict | list):
                self.collect(kind, ns)

    def value(self, node: Any, ns: str, seed: int, depth: int = 0) -> Any:
        if isinstance(node, str):
            if node in _PRIMITIVE_SAMPLES:
                return _PRIMITIVE_SAMPLES[node](seed)
            full = node if "." in node or not ns else f"{ns}.{node}"
            target, space = self.named.get(full) or self.named[node]
            return self.value(target, space, seed, depth)
        if isinstance(node, list):
            if depth > 2 and "null" in node:
                return None
            return self.value(node[seed % len(node)], ns, seed // len(node) + 1, depth + 1)
        kind = node["type"]
        if isinstance(kind, dict | list) or kind in _PRIMITIVE_SAMPLES:
            return self.value(kind, ns, seed, depth)
        if kind in ("record", "error"):
            space = node["name"].rpartition(".")[0] or node.get("namespace", ns)
            return {
                f["name"]: self.value(f["type"], space, seed + i, depth + 1)
                for i, f in enumerate(node["fields"])
            }
        if kind == "enum":
            return node["symbols"][seed % len(node["symbols"])]
        if kind == "fixed":
            return bytes((seed + i) % 256 for i in range(node["size"]))
        if kind == "array":
            count = 0 if depth > 2 else seed % 3 + 1
            return [self.value(node["items"], ns, seed + i, depth + 1) for i in range(count)]
        if kind == "map":
            count = 0 if depth > 2 else seed % 3 + 1
            return {
                f"k{i}": self.value(node["values"], ns, seed + i, depth + 1) for i in range(count)
            }
        return self.value(kind, ns, seed, depth)


_PRIMITIVE_SAMPLES: dict[str, Any] = {
    "null": lambda s: None,
    "boolean": lambda s: s % 2 == 0,
    "int": lambda s: (s * 7919) % 20_000 - 10_000,
    "long": lambda s: (s * 104_729) ** 2 - 5,
    "float": lambda s: s + 0.5,
    "double": lambda s: s / 3,
    "bytes": lambda s: f"b{s}".encode(),
    "string": lambda s: f"s{s}-é",
}


def _parsed(text: str, refs: list[str]) -> Any:
    named: dict[str, Any] = {}
    for ref in refs:
        fastavro.parse_schema(json.loads(ref), named_schemas=named)
    return fastavro.parse_schema(json.loads(text), named_schemas=named)


def _register_writer(client: SchemaRegistryClient, topic: str, case: Case) -> Schema:
    """Register the old schema (and its references) as the only version of the topic's subject."""
    refs = []
    for name, text in case.old_refs:
        subject = f"{topic}-{name}"
        client.register_schema(subject, Schema(text, "AVRO"))
        refs.append(SchemaReference(name, subject, client.get_latest_version(subject).version))
    schema = Schema(case.previous[0], "AVRO", refs)
    client.register_schema(f"{topic}-value", schema)
    return schema


def test_older_avro_records_are_read_by_the_newer_class_as_avro_resolves_them(
    stack: Stack,
    generated: Path,
    registry: SchemaRegistryClient,
    resolver: SchemaResolver,
) -> None:
    assert len(EVOLUTIONS) > 40
    topics = _topics(stack, "evolve-avro", len(EVOLUTIONS))
    client = registry
    producer = Producer(
        {"bootstrap.servers": stack.bootstrap_servers, "linger.ms": 5, "enable.idempotence": True}
    )
    written: dict[str, list[bytes]] = {}
    for case, topic in zip(EVOLUTIONS, topics, strict=True):
        serializer = AvroSerializer(client, _register_writer(client, topic, case))
        sampler = _Sampler(case.previous[0], [t for _, t in case.old_refs])
        context = SerializationContext(topic, MessageField.VALUE)
        written[topic] = []
        for seed in range(RECORDS_PER_CASE):
            framed = serializer(sampler.value(sampler.schema, "", seed), context)
            assert framed is not None
            written[topic].append(framed)
            producer.produce(topic, framed)
    assert producer.flush(30) == 0
    for case, topic in zip(EVOLUTIONS, topics, strict=True):
        files = {f"ref{i}.avsc": text for i, (_, text) in enumerate(case.new_refs)}
        package = _generate(generated, {**files, "main.avsc": case.new})
        root = json.loads(case.new)
        reader_cls = package.TYPES[f"{root['namespace']}.{root['name']}"]
        with _consumer(stack, resolver, [reader_cls], topic) as consumer:
            got = consumer.take(RECORDS_PER_CASE, timeout=30)
        assert len(got) == RECORDS_PER_CASE, case.id
        old = _parsed(case.previous[0], [t for _, t in case.old_refs])
        new = _parsed(case.new, [t for _, t in case.new_refs])
        expected = []
        for framed in written[topic]:
            value = fastavro.schemaless_reader(io.BytesIO(framed[5:]), old, new)
            out = io.BytesIO()
            fastavro.schemaless_writer(out, new, value)
            expected.append(out.getvalue())
        assert all(type(m.event) is reader_cls for m in got), case.id
        # Compared as a multiset: a retried produce may land the records in another order.
        assert sorted(m.event.encode() for m in got) == sorted(expected), case.id
    # Only the writer's schema was ever registered: the reader's is not needed.
    assert all(client.get_versions(f"{topic}-value") == [1] for topic in topics)


# -- Protobuf -------------------------------------------------------------------------------

PROTO_V1 = """syntax = "proto3";
package evolve.v1;

message Header {
  string source = 1;
}

message Order {
  string id = 1;
  int32 qty = 2;
  string note = 3;
  Header header = 4;
}
"""
#: v2 adds "coupon" and a message before Order, and drops "note": Order's index moves.
PROTO_V2 = """syntax = "proto3";
package evolve.v1;

message Header {
  string source = 1;
}

message Coupon {
  string code = 1;
}

message Order {
  string id = 1;
  int32 qty = 2;
  reserved 3;
  Header header = 4;
  Coupon coupon = 5;
}
"""


def _private_message(tmp: Path, text: str, name: str) -> Any:
    """A message class of the old file in a pool of its own (the new class is in the default)."""
    (tmp / "evolve" / "v1").mkdir(parents=True, exist_ok=True)
    (tmp / "evolve" / "v1" / "order.proto").write_text(text)
    out = tmp / "order.pb"
    assert (
        protoc.main(["protoc", f"-I{tmp}", f"--descriptor_set_out={out}", "evolve/v1/order.proto"])
        == 0
    )
    pool = descriptor_pool.DescriptorPool()
    for file in FileDescriptorSet.FromString(out.read_bytes()).file:
        pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName(name))


def test_older_protobuf_records_are_read_by_the_newer_class_keeping_unknown_fields(
    stack: Stack,
    generated: Path,
    tmp_path: Path,
    registry: SchemaRegistryClient,
    resolver: SchemaResolver,
) -> None:
    (topic,) = _topics(stack, "evolve-proto", 1)
    OldOrder = _private_message(tmp_path, PROTO_V1, "evolve.v1.Order")
    client = registry
    serializer = ProtobufSerializer(OldOrder, client, {"use.deprecated.format": False})
    context = SerializationContext(topic, MessageField.VALUE)
    producer = Producer({"bootstrap.servers": stack.bootstrap_servers})
    old = OldOrder(id="o-1", qty=3, note="leave at door")
    old.header.source = "web"
    producer.produce(topic, serializer(old, context))
    assert producer.flush(30) == 0
    package = _generate(generated, {"evolve/v1/order.proto": PROTO_V2})
    new_cls = package.TYPES["evolve.v1.Order"]
    assert new_cls.MESSAGE_INDEXES != (1,)
    with _consumer(stack, resolver, [new_cls], topic) as consumer:
        (message,) = consumer.take(1, timeout=30)
    event = message.event
    assert type(event) is new_cls
    assert (event.id, event.qty, event.header.source) == ("o-1", 3, "web")
    assert event.coupon is None
    assert OldOrder.FromString(event.encode()).note == "leave at door"


# -- incompatible writers and the error policies ----------------------------------------------

V2 = {
    "type": "record",
    "name": "Ticket",
    "namespace": "evolve.errors",
    "fields": [
        {"name": "id", "type": "string"},
        {"name": "seat", "type": "int"},
        {"name": "holder", "type": ["null", "string"], "default": None},
    ],
}
V1 = {**V2, "fields": V2["fields"][:2]}
#: A writer whose "seat" is a string: no reader of V2 can read it (TYPE_MISMATCH).
BROKEN = {**V2, "fields": [V2["fields"][0], {"name": "seat", "type": "string"}]}


def test_an_incompatible_writer_is_named_and_no_record_is_lost(
    stack: Stack,
    generated: Path,
    registry: SchemaRegistryClient,
    resolver: SchemaResolver,
) -> None:
    (topic,) = _topics(stack, "evolve-errors", 1)
    client = registry
    context = SerializationContext(topic, MessageField.VALUE)
    good = AvroSerializer(client, json.dumps(V1), conf={"auto.register.schemas": True})
    bad = AvroSerializer(
        client,
        json.dumps(BROKEN),
        conf={"auto.register.schemas": True, "subject.name.strategy": lambda c, n: "broken-x"},
    )
    producer = Producer({"bootstrap.servers": stack.bootstrap_servers})
    for value in (
        good({"id": "t-1", "seat": 1}, context),
        good({"id": "t-2", "seat": 2}, context),
        bad({"id": "t-3", "seat": "12A"}, context),
        good({"id": "t-4", "seat": 4}, context),
    ):
        producer.produce(topic, value)
    assert producer.flush(30) == 0
    broken_id = client.get_latest_version("broken-x").schema_id
    ticket = _generate(generated, {"ticket.avsc": json.dumps(V2)}).TYPES["evolve.errors.Ticket"]

    with _consumer(stack, resolver, [ticket], topic) as consumer:
        with pytest.raises(SchemaResolutionError) as caught:
            consumer.take(4, timeout=30)
        assert caught.value.rule == "TYPE_MISMATCH"
        text = str(caught.value)
        assert f"writer schema id {broken_id}" in text
        assert "evolve.errors.Ticket" in text
        assert 'field "seat"' in text
        assert caught.value.kafka_message.offset() == 2
        first = consumer.take(3, timeout=30)
        assert [m.event.id for m in first] == ["t-1", "t-2", "t-4"]
        assert first[0].event.holder is None

    dead: list[tuple[int, bytes]] = []
    with _consumer(
        stack,
        resolver,
        [ticket],
        topic,
        on_error=lambda message, error: dead.append((message.offset(), message.value())),
    ) as consumer:
        assert [m.offset for m in consumer.take(3, timeout=30)] == [0, 1, 3]
    assert [offset for offset, _ in dead] == [2]
    assert dead[0][1][1:5] == broken_id.to_bytes(4, "big")

    with _consumer(stack, resolver, [ticket], topic, on_error="skip") as consumer:
        assert len(consumer.take(3, timeout=30)) == 3
        assert consumer.on_error.skipped == 1
        with pytest.raises(EventDecodeError):
            consumer.deserializer(b"\x00" + broken_id.to_bytes(4, "big") + b"\x00")
