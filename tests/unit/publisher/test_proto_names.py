"""Message indexes read from a writer's .proto text name the messages protoc's descriptor names.

The expected paths come from protoc itself (grpc_tools): every message of the file, nested
ones and protoc's synthetic map-entry messages included, numbered as Confluent's wire header
numbers them.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from google.protobuf.descriptor_pb2 import DescriptorProto, FileDescriptorSet
from grpc_tools import protoc

from publisher.codec.proto_names import message_names
from tests.fixtures.compat.corpus import CASES
from tests.golden.regenerate import SCHEMAS

TRICKY = """// A comment with a brace { and message Fake {
syntax = "proto2";
package shop.v1;
import "google/protobuf/descriptor.proto";
extend google.protobuf.MessageOptions { optional string label = 50000; }
/* message Hidden { } */
enum Top { TOP_A = 0; }
message Order {
  option (label) = "message NotOne { }";
  message Line { optional string sku = 1; map<string, int32> tags = 2; }
  map<string, Line> by_sku = 1;
  enum Status { NEW = 0; }
  oneof pay { string card = 2; string iban = 3; }
  repeated group Result = 4 { optional string url = 5; }
  message After { message Deep {} }
  optional string message = 6;
}
service Shop { rpc Place (Order) returns (Order) {} }
message Second {}
"""


def _paths(messages: list[DescriptorProto], prefix: str, path: tuple[int, ...]) -> dict:
    out: dict[tuple[int, ...], str] = {}
    for i, message in enumerate(messages):
        full = f"{prefix}.{message.name}" if prefix else message.name
        out[(*path, i)] = full
        out.update(_paths(list(message.nested_type), full, (*path, i)))
    return out


def _protoc(tmp: Path, text: str) -> dict[tuple[int, ...], str]:
    source = tmp / "file.proto"
    source.write_text(text)
    out = tmp / "set.pb"
    include = Path(protoc.__file__).parent / "_proto"
    code = protoc.main(
        ["protoc", f"-I{tmp}", f"-I{include}", f"--descriptor_set_out={out}", str(source)]
    )
    assert code == 0
    descriptor = FileDescriptorSet.FromString(out.read_bytes()).file[0]
    return _paths(list(descriptor.message_type), descriptor.package, ())


SELF_CONTAINED = [
    pytest.param(TRICKY, id="tricky"),
    *(
        pytest.param(p.read_text(), id=p.name)
        for p in sorted(SCHEMAS.rglob("*.proto"))
        if "import " not in p.read_text()
    ),
    *(
        pytest.param(text, id=f"{c.id}-{i}")
        for c in CASES
        if c.format == "PROTOBUF" and not c.old_refs and not c.new_refs
        for i, text in enumerate((*c.previous, c.new))
    ),
]


@pytest.mark.parametrize("text", SELF_CONTAINED)
def test_paths_match_protoc(tmp_path: Path, text: str) -> None:
    assert message_names(text) == _protoc(tmp_path, text)


def test_a_base64_file_descriptor_is_read_too(tmp_path: Path) -> None:
    source = tmp_path / "file.proto"
    source.write_text(TRICKY)
    out = tmp_path / "set.pb"
    include = Path(protoc.__file__).parent / "_proto"
    assert (
        protoc.main(
            ["protoc", f"-I{tmp_path}", f"-I{include}", f"--descriptor_set_out={out}", str(source)]
        )
        == 0
    )
    file = FileDescriptorSet.FromString(out.read_bytes()).file[0]
    encoded = base64.b64encode(file.SerializeToString()).decode()
    assert message_names(encoded) == message_names(TRICKY)


def test_the_tricky_file_counts_map_entries_and_groups() -> None:
    names = message_names(TRICKY)
    assert names[(0, 0, 0)] == "shop.v1.Order.Line.TagsEntry"
    assert names[(0, 1)] == "shop.v1.Order.BySkuEntry"
    assert names[(0, 2)] == "shop.v1.Order.Result"
    assert names[(0, 3, 0)] == "shop.v1.Order.After.Deep"
    assert names[(1,)] == "shop.v1.Second"
