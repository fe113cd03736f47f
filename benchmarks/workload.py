"""The one record shape every path publishes, in each form a path needs it.

From the example contracts in ``schemas/`` this module builds, deterministically:

- order records (``com.acme.orders.OrderPlaced``, ~9 fields, two line items) as plain dicts,
  the input confluent-kafka's ``AvroSerializer`` takes;
- the same order schema with ``Currency`` and ``LineItem`` inlined, for the serializers and for
  fastavro (herald's generated classes carry references instead);
- payment records (``acme.payments.v1.PaymentAuthorized``) and the ``_pb2`` classes ``protoc``
  compiles from the same ``.proto`` files, the input of ``ProtobufSerializer``;
- herald's generated event classes, from ``herald codegen`` run into a temporary directory,
  and typed instances built from the very same dicts.
"""

from __future__ import annotations

import copy
import importlib
import importlib.util
import json
import random
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "schemas"
ORDERS = SCHEMAS / "com" / "acme" / "orders"
ORDER_NAME = "com.acme.orders.OrderPlaced"
PAYMENT_NAME = "acme.payments.v1.PaymentAuthorized"
PAYMENT_PROTOS = ("acme/payments/v1/money.proto", "acme/payments/v1/payments.proto")

#: Distinct records per path; publishing cycles through them, so the data is not one constant.
DISTINCT = 1_000

_SKUS = ("SKU-1001", "SKU-2002", "SKU-3003", "SKU-4004", "SKU-5005")
_CHANNELS = ("web", "ios", "android")


def order_records(count: int = DISTINCT, seed: int = 7) -> list[dict[str, Any]]:
    """Order dicts keyed by wire names; the same seed gives the same records everywhere."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    records = []
    for index in range(count):
        items: list[dict[str, Any]] = [
            {
                "sku": rng.choice(_SKUS),
                "quantity": rng.randint(1, 5),
                "unit_price": round(rng.uniform(1, 200), 2),
            }
            for _ in range(2)
        ]
        records.append(
            {
                "order_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "customer_id": f"customer-{rng.randint(1, 50_000):06d}",
                "sequence": index + 1,
                "placed_at": start + timedelta(milliseconds=rng.randint(0, 10**10)),
                "total_amount": round(sum(i["quantity"] * i["unit_price"] for i in items), 2),
                "currency": rng.choice(("EUR", "USD", "GBP")),
                "coupon_code": "SPRING10" if index % 3 == 0 else None,
                "items": items,
                "attributes": {"channel": rng.choice(_CHANNELS), "campaign": "spring"},
            }
        )
    return records


def payment_records(count: int = DISTINCT, seed: int = 11) -> list[dict[str, Any]]:
    """Payment dicts keyed by wire names (nested Money, enum by name, timestamp as datetime)."""
    rng = random.Random(seed)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        {
            "payment_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "order_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "amount": {"currency_code": "EUR", "amount_minor": rng.randint(100, 10**6)},
            "method": rng.choice(("PAYMENT_METHOD_CARD", "PAYMENT_METHOD_BANK_TRANSFER")),
            "authorized_at": start + timedelta(milliseconds=rng.randint(0, 10**10)),
            "metadata": {"provider": "acme-pay", "reference": f"ref-{index:06d}"},
        }
        for index in range(count)
    ]


def record_keys(records: list[dict[str, Any]], field: str) -> list[bytes]:
    """Message keys: the record's id as UTF-8 bytes, the same objects for every path."""
    return [str(record[field]).encode() for record in records]


def _inline(node: Any, named: dict[str, dict[str, Any]], namespace: str) -> Any:
    """Replace the first reference to each named type with its definition (Avro needs that)."""
    if isinstance(node, str):
        full = node if "." in node else f"{namespace}.{node}"
        definition = named.pop(full, None)
        return _inline(definition, named, namespace) if definition is not None else node
    if isinstance(node, list):
        return [_inline(item, named, namespace) for item in node]
    if isinstance(node, dict):
        return {key: _inline(value, named, namespace) for key, value in node.items()}
    return node


def inline_order_schema() -> dict[str, Any]:
    """The OrderPlaced schema as one self-contained document, read from ``schemas/``."""
    named: dict[str, dict[str, Any]] = {}
    for path in sorted(ORDERS.glob("*.avsc")):
        schema = json.loads(path.read_text())
        named[f"{schema['namespace']}.{schema['name']}"] = schema
    root = named.pop(ORDER_NAME)
    return {
        key: (_inline(value, named, root["namespace"]) if key == "fields" else value)
        for key, value in root.items()
    }


def compile_protos(out_dir: Path) -> ModuleType:
    """Compile the payment contracts with protoc (grpcio-tools); return ``payments_pb2``."""
    from grpc_tools import protoc

    include = Path(protoc.__file__).resolve().parent / "_proto"
    args = ["protoc", f"-I{SCHEMAS}", f"-I{include}", f"--python_out={out_dir}"]
    if protoc.main([*args, *(str(SCHEMAS / name) for name in PAYMENT_PROTOS)]) != 0:
        raise RuntimeError(f"protoc could not compile {PAYMENT_PROTOS} from {SCHEMAS}")
    return _import_from(out_dir, "acme.payments.v1.payments_pb2")


def _import_from(root: Path, dotted: str) -> ModuleType:
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    importlib.invalidate_caches()
    return importlib.import_module(dotted)


def payment_messages(pb2: ModuleType, records: list[dict[str, Any]]) -> list[Any]:
    """The payment dicts as ``PaymentAuthorized`` protobuf messages."""
    messages = []
    for record in records:
        message = pb2.PaymentAuthorized(
            payment_id=record["payment_id"],
            order_id=record["order_id"],
            method=pb2.PaymentMethod.Value(record["method"]),
            metadata=record["metadata"],
        )
        message.amount.currency_code = record["amount"]["currency_code"]
        message.amount.amount_minor = record["amount"]["amount_minor"]
        message.authorized_at.FromDatetime(record["authorized_at"])
        messages.append(message)
    return messages


#: Schema roots ``herald codegen`` gets per event: the Avro orders alone (their package does not
#: need the Protobuf generator), the payments with the whole tree (imports are root-relative).
CODEGEN_ROOTS: dict[str, Path] = {ORDER_NAME: SCHEMAS / "com", PAYMENT_NAME: SCHEMAS}


def generate_events(full_name: str, out_root: Path, timeout: float = 300.0) -> type[Any]:
    """Run ``herald codegen`` for ``full_name``'s schemas and return its generated class.

    It runs in ``out_root`` (no ``herald.toml`` there, so no topic bindings) and writes a package
    named after the event, so several generated packages can be imported side by side.
    """
    package = "herald_" + full_name.rsplit(".", 1)[-1].lower()
    out = out_root / package
    herald = Path(sys.executable).with_name("herald")
    command = [str(herald), "codegen", "--schemas", str(CODEGEN_ROOTS[full_name])]
    command += ["--out", str(out)]
    done = subprocess.run(
        command, cwd=out_root, capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise RuntimeError(f"herald codegen exited {done.returncode}: {lines[-1] if lines else ''}")
    types: dict[str, type[Any]] = _import_from(out_root, package).TYPES
    if full_name not in types:
        raise RuntimeError(f"herald codegen generated no class for {full_name}")
    return types[full_name]


def register_references(client: Any, full_name: str) -> None:
    """Register the files ``full_name`` references, as ``herald register`` lays them out.

    The publisher looks up (or, with auto_register, registers) the event's own schema; the
    subjects its references name must exist first.
    """
    from confluent_kafka.schema_registry import Schema, SchemaReference

    from codegen.catalog import load_catalog
    from codegen.catalog.registry_form import dependency_closure, reference_subject, registry_form

    catalog = load_catalog([CODEGEN_ROOTS[full_name]])
    versions: dict[str, int] = {}
    for dependency in dependency_closure(catalog, catalog.get(full_name).file):
        form = registry_form(catalog, dependency, versions)
        refs = [SchemaReference(r.name, r.subject, r.version) for r in form.references]
        subject = reference_subject(dependency)
        schema = Schema(form.text, form.schema_type, refs)
        client.register_schema(subject, schema)
        versions[subject] = client.lookup_schema(subject, schema).version


def order_parts(order_cls: type[Any]) -> tuple[type[Any], type[Any]]:
    """The generated ``LineItem`` and ``Currency`` classes beside ``OrderPlaced``."""
    module = sys.modules[order_cls.__module__]
    return module.LineItem, module.Currency


def order_values(records: list[dict[str, Any]], currency: Any) -> list[tuple[Any, ...]]:
    """Each order's field values in schema order, line items as tuples, ``currency(symbol)``.

    What the end-to-end paths build their events or dicts from; the nested values are shared
    with the records, as a service's own values would be.
    """
    return [
        (
            r["order_id"],
            r["customer_id"],
            r["sequence"],
            r["placed_at"],
            r["total_amount"],
            currency(r["currency"]),
            r["coupon_code"],
            tuple((i["sku"], i["quantity"], i["unit_price"]) for i in r["items"]),
            r["attributes"],
        )
        for r in records
    ]


def payment_parts(payment_cls: type[Any]) -> tuple[type[Any], type[Any]]:
    """The generated ``Money`` and ``PaymentMethod`` classes a ``PaymentAuthorized`` uses."""
    sample = payment_cls.from_dict(payment_records(1)[0])
    return type(sample.amount), type(sample.method)


def payment_values(records: list[dict[str, Any]], method: Any) -> list[tuple[Any, ...]]:
    """Each payment's values: ids, Money's two fields, ``method(name)``, time, metadata."""
    return [
        (
            r["payment_id"],
            r["order_id"],
            r["amount"]["currency_code"],
            r["amount"]["amount_minor"],
            method(r["method"]),
            r["authorized_at"],
            r["metadata"],
        )
        for r in records
    ]


def typed_events(cls: type[Any], records: list[dict[str, Any]]) -> list[Any]:
    """Typed instances built from the same dicts the serializers get (validated once, here)."""
    return [cls.from_dict(copy.deepcopy(record)) for record in records]
