"""`herald asyncapi`: the document's channels, messages and bindings, YAML and JSON, and the
official AsyncAPI parser's verdict on them (dev/asyncapi, installed by the Makefile)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from codegen.asyncapi import build_document, to_json, to_yaml
from codegen.config import load_project

REPO = Path(__file__).resolve().parents[2]
HERALD = str(Path(sys.executable).with_name("herald"))
VALIDATOR = REPO / "dev/asyncapi/validate.mjs"
GOLDEN_CONFIG = """
schemas = ["{schemas}"]

[[bindings]]
topic = "shop.orders"
value = "com.example.shop.Order"
key = "com.example.common.Money"
strategy = "record"

[[bindings]]
topic = "shipments"
value = "shipping.v1.ShipmentDispatched"
key = "bytes"
strategy = "topic_record"

[[topics]]
name = "shipments"
partitions = 12
config = {{ "cleanup.policy" = ["compact", "delete"], "min.compaction.lag.ms" = 60000 }}

[[topics]]
name = "audit"
partitions = 1
"""


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    config, catalog = load_project(str(REPO / "herald.toml"))
    return build_document(config, catalog, title="shop events", version="2.1.0")


def _validate(*files: Path) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    assert node, "the AsyncAPI validator needs Node.js (node on PATH)"
    assert (REPO / "dev/asyncapi/node_modules/@asyncapi/parser").is_dir(), (
        "the AsyncAPI parser is not installed: run `make asyncapi-validator`"
    )
    return subprocess.run(
        [node, str(VALIDATOR), *map(str, files)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_channel_per_topic_with_the_declared_partitions_and_configs(
    document: dict[str, Any],
) -> None:
    assert document["asyncapi"] == "3.0.0"
    assert document["info"]["title"] == "shop events"
    assert list(document["channels"]) == ["orders", "payments"]
    kafka = document["channels"]["orders"]["bindings"]["kafka"]
    assert kafka == {
        "topic": "orders",
        "partitions": 6,
        "replicas": 1,
        "topicConfiguration": {
            "retention.ms": 604800000,
            "cleanup.policy": ["delete"],
            "max.message.bytes": 1048576,
        },
        "bindingVersion": "0.5.0",
    }
    assert list(document["channels"]["payments"]["messages"]) == [
        "payments-acme.payments.v1.PaymentAuthorized",
        "payments-acme.payments.v1.PaymentRefunded",
    ]
    operation = document["operations"]["send-payments"]
    assert operation["action"] == "send"
    assert operation["channel"] == {"$ref": "#/channels/payments"}


def test_messages_carry_their_schema_docs_and_kafka_binding(document: dict[str, Any]) -> None:
    messages = document["components"]["messages"]
    order = messages["orders-value"]
    assert order["payload"]["schemaFormat"] == "application/vnd.apache.avro+json;version=1.9.0"
    schema = order["payload"]["schema"]
    assert (schema["name"], schema["namespace"]) == ("OrderPlaced", "com.acme.orders")
    currency = next(f for f in schema["fields"] if f["name"] == "currency")["type"]
    assert (currency["type"], currency["name"]) == ("enum", "Currency")  # inlined, self-contained
    assert order["summary"].startswith("A customer placed an order")
    assert order["bindings"]["kafka"] == {
        "key": {"type": "string", "description": "UTF-8 text"},
        "schemaIdLocation": "payload",
        "schemaIdPayloadEncoding": "confluent",
        "schemaLookupStrategy": "TopicIdStrategy",
        "bindingVersion": "0.5.0",
    }
    paid = messages["payments-acme.payments.v1.PaymentAuthorized"]
    assert paid["payload"]["schemaFormat"] == "application/vnd.google.protobuf;version=3"
    text = paid["payload"]["schema"]
    assert "// @RootNode\nmessage PaymentAuthorized {" in text
    assert 'import "acme/payments/v1/money.proto"' not in text  # same package: inlined
    assert "message Money {" in text
    assert paid["bindings"]["kafka"]["schemaLookupStrategy"] == "TopicRecordIdStrategy"
    assert paid["description"] == "A payment for an order was authorized by the payment provider."


def test_yaml_and_json_read_back_as_the_same_document(document: dict[str, Any]) -> None:
    assert yaml.safe_load(to_yaml(document)) == document
    assert json.loads(to_json(document)) == document


@pytest.mark.parametrize(
    "value", ["yes", "null", "1.0", "a: b", "- x", "#", "", 'multi\nline\t"quoted"', "ü"]
)
def test_yaml_strings_never_change_type(value: str) -> None:
    doc = {value or "empty": [value, {"k": value}], "true": value, "n": 1, "b": False}
    assert yaml.safe_load(to_yaml(doc)) == doc


def test_the_command_writes_yaml_and_json_that_the_official_parser_accepts(tmp_path: Path) -> None:
    outputs = []
    for name in ("asyncapi.yaml", "asyncapi.json"):
        out = tmp_path / name
        done = subprocess.run(
            [HERALD, "asyncapi", "--config", str(REPO / "herald.toml"), "--out", str(out)],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert "2 channel(s), 3 message(s)" in done.stderr
        outputs.append(out)
    assert json.loads(outputs[1].read_text()) == yaml.safe_load(outputs[0].read_text())
    golden = tmp_path / "golden.toml"
    golden.write_text(GOLDEN_CONFIG.format(schemas=REPO / "tests/golden/schemas"))
    shop = tmp_path / "shop.yaml"
    made = subprocess.run(
        [HERALD, "asyncapi", "--config", str(golden), "--out", str(shop), "--server", "p=b:9092"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert made.returncode == 0, made.stderr
    result = _validate(*outputs, shop)
    assert result.returncode == 0, result.stdout + result.stderr
    verdicts = [json.loads(line) for line in result.stdout.splitlines()]
    assert [v["file"] for v in verdicts if v.get("valid")] == [str(p) for p in (*outputs, shop)]
    assert not [v for v in verdicts if v.get("severity") == 0]


def test_the_validator_rejects_a_broken_document(tmp_path: Path, document: dict[str, Any]) -> None:
    broken = json.loads(json.dumps(document))
    broken["components"]["messages"]["orders-value"]["payload"]["schema"]["fields"][0]["type"] = 7
    path = tmp_path / "broken.yaml"
    path.write_text(to_yaml(broken))
    result = _validate(path)
    assert result.returncode == 1
    errors = [json.loads(line) for line in result.stdout.splitlines()]
    payload = ["components", "messages", "orders-value", "payload", "schema", "fields", "0"]
    assert any(e.get("severity") == 0 and e.get("path", [])[:7] == payload for e in errors)
