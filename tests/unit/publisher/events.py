"""Hand-written event classes for the publisher's tests, fulfilling publisher.event's contract.

Avro classes encode with fastavro.schemaless_writer; Protobuf classes wrap messages compiled by
grpc_tools.protoc in a temporary directory. Each factory call makes a class with a unique full
name, so tests never share registry subjects.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import sys
import tempfile
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Self

import fastavro

from publisher.event import Binding, Event


def _fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


class AvroTestEvent(Event):
    """Base of the hand-written Avro events: fields are kept in a dict."""

    __slots__ = ("values",)
    PARSED: ClassVar[Any]

    def __init__(self, **values: Any) -> None:
        self.values = values

    def encode(self) -> bytes:
        buf = io.BytesIO()
        fastavro.schemaless_writer(buf, self.PARSED, self.values)
        return buf.getvalue()

    @classmethod
    def decode(cls, data: bytes) -> Self:
        return cls(**fastavro.schemaless_reader(io.BytesIO(data), cls.PARSED, cls.PARSED))

    def to_dict(self) -> dict[str, Any]:
        return dict(self.values)

    @classmethod
    def from_dict(cls, mapping: Mapping[str, Any]) -> Self:
        return cls(**mapping)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.values == self.values  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(json.dumps(self.values, sort_keys=True))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.values!r})"


def avro_event(
    topic: str | None = None,
    *,
    strategy: str = "topic",
    name: str = "OrderPlaced",
    extra_field: bool = False,
    namespace: str | None = None,
) -> type[AvroTestEvent]:
    """A new Avro event class with a unique namespace, bound to ``topic`` when given.

    Passing ``namespace`` rebuilds the same class elsewhere, e.g. in a child process.
    """
    namespace = namespace or f"herald.test.n{uuid.uuid4().hex[:10]}"
    fields: list[dict[str, Any]] = [
        {"name": "order_id", "type": "string"},
        {"name": "amount", "type": "long"},
        {"name": "note", "type": "string"},
    ]
    if extra_field:
        fields.append({"name": "channel", "type": "string", "default": "web"})
    schema = {"type": "record", "name": name, "namespace": namespace, "fields": fields}
    text = json.dumps(schema, separators=(",", ":"))
    full_name = f"{namespace}.{name}"
    bindings: tuple[Binding, ...] = ()
    if topic is not None:
        subject = {"topic": f"{topic}-value", "record": full_name}.get(
            strategy, f"{topic}-{full_name}"
        )
        bindings = (Binding(topic, subject, strategy),)  # type: ignore[arg-type]
    attrs = {
        "__slots__": (),
        "SCHEMA_FORMAT": "AVRO",
        "FULL_NAME": full_name,
        "SCHEMA": text,
        "FINGERPRINT": _fingerprint(text),
        "BINDINGS": bindings,
        "PARSED": fastavro.parse_schema(schema),
    }
    return type(name, (AvroTestEvent,), attrs)


class ProtoTestEvent(Event):
    """Base of the hand-written Protobuf events: wraps a compiled message."""

    __slots__ = ("message",)
    MESSAGE: ClassVar[Any]

    def __init__(self, message: Any = None, **values: Any) -> None:
        self.message = message if message is not None else self.MESSAGE(**values)

    def encode(self) -> bytes:
        return bytes(self.message.SerializeToString(deterministic=True))

    @classmethod
    def decode(cls, data: bytes) -> Self:
        message = cls.MESSAGE()
        message.ParseFromString(data)
        return cls(message)

    def to_dict(self) -> dict[str, Any]:
        from google.protobuf.json_format import MessageToDict

        return dict(MessageToDict(self.message, preserving_proto_field_name=True))

    @classmethod
    def from_dict(cls, mapping: Mapping[str, Any]) -> Self:
        return cls(**mapping)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and other.message == self.message  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self.encode())


PROTO_TEMPLATE = """syntax = "proto3";
package {package};

message Header {{
  string source = 1;
}}

message PaymentCaptured {{
  string payment_id = 1;
  int64 amount_cents = 2;
  Header header = 3;
}}
"""


def proto_event(topic: str | None = None) -> type[ProtoTestEvent]:
    """A new Protobuf event class (second message of its file) with a unique package."""
    from grpc_tools import protoc

    suffix = uuid.uuid4().hex[:10]
    package = f"herald.test.p{suffix}"
    text = PROTO_TEMPLATE.format(package=package)
    out = Path(tempfile.mkdtemp(prefix="herald-proto-"))
    proto_name = f"payments_{suffix}.proto"
    (out / proto_name).write_text(text)
    code = protoc.main(["protoc", f"-I{out}", f"--python_out={out}", str(out / proto_name)])
    if code != 0:
        raise RuntimeError(f"protoc failed with {code}")
    module_name = f"payments_{suffix}_pb2"
    spec = importlib.util.spec_from_file_location(module_name, out / f"{module_name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    full_name = f"{package}.PaymentCaptured"
    bindings: tuple[Binding, ...] = ()
    if topic is not None:
        bindings = (Binding(topic, f"{topic}-value", "topic"),)
    attrs = {
        "__slots__": (),
        "SCHEMA_FORMAT": "PROTOBUF",
        "FULL_NAME": full_name,
        "SCHEMA": text,
        "FINGERPRINT": _fingerprint(text),
        "BINDINGS": bindings,
        "MESSAGE_INDEXES": (1,),
        "MESSAGE": module.PaymentCaptured,
        "PROTO_FILE": proto_name,
        "PB2": module,
    }
    return type("PaymentCaptured", (ProtoTestEvent,), attrs)
