"""``herald demo``: the main job end to end, on embedded defaults unless real services are set.

Flow: catalog -> lint -> the offline engine explaining a breaking change -> register (with
references) -> codegen into a temporary package -> publish typed events with the Publisher
-> read them back with the typed consumer and compare. On herald's own example contracts it
publishes orders and payments built from realistic values; on any other catalog it publishes
sample events of every bound type (:mod:`codegen.samples`) and evolves the first Avro record.
With no ``KAFKA_BOOTSTRAP_SERVERS`` it runs on librdkafka's mock cluster, and with no
``SCHEMA_REGISTRY_URL`` on confluent-kafka's ``mock://`` registry, and says so; setting the
two variables is all it takes to use real ones. A secured cluster takes the publisher's
``HERALD_SECURITY_PROTOCOL`` / ``HERALD_SASL_*`` / ``HERALD_SSL_CA_LOCATION`` variables, a
secured registry ``HERALD_REGISTRY_USER`` and ``HERALD_REGISTRY_PASSWORD``.
"""

from __future__ import annotations

import datetime as dt
import gc
import importlib
import json
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from confluent_kafka import TopicPartition

from codegen.catalog import AvroFile, Catalog, file_text
from codegen.commands.codegen import package_files
from codegen.commands.options import EXIT_FINDINGS, EXIT_OK, config_option, exits_on_error
from codegen.compat import SchemaSource, compare
from codegen.config import HeraldConfig, load_project
from codegen.errors import HeraldError
from codegen.generate import write_package
from codegen.lint import lint_catalog
from codegen.registry import connect, plan_subjects
from codegen.registry.register import Registrar
from codegen.report import render
from codegen.samples import sample_event
from publisher import Event, PublisherError
from publisher.config import kafka_settings_from_env
from publisher.consumer import TypedConsumer
from publisher.producer import Publisher

ORDER = "com.acme.orders.OrderPlaced"
PAYMENT = "acme.payments.v1.PaymentAuthorized"
EMBEDDED_REGISTRY = "mock://herald-demo"


def _step(number: int, title: str) -> None:
    click.secho(f"\n[{number}/6] {title}", bold=True)


@contextmanager
def _kafka() -> Iterator[tuple[str, bool]]:
    """The user's brokers, or librdkafka's mock cluster kept alive by an idle client."""
    servers = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "").strip()
    if servers:
        yield servers, False
        return
    from confluent_kafka import Producer

    # A client with test.mock.num.brokers starts an in-process cluster listening on
    # 127.0.0.1; other clients reach it at the address its metadata reports.
    holder = Producer({"test.mock.num.brokers": 1, "log_level": 0})
    try:
        broker = next(iter(holder.list_topics(timeout=10).brokers.values()))
        yield f"{broker.host}:{broker.port}", True
    finally:
        # Free the other clients (reference cycles keep them) before the cluster goes away,
        # so they do not log disconnects from a cluster that is shutting down.
        gc.collect()
        holder.flush(5)


def _order(n: int, now: dt.datetime) -> dict[str, Any]:
    items: list[dict[str, Any]] = [
        {"sku": f"SKU-{(n + i) % 97:03d}", "quantity": 1 + (n + i) % 3, "unit_price": 9.5 + i}
        for i in range(1 + n % 3)
    ]
    return {
        "order_id": str(uuid.UUID(int=n + 1)),
        "customer_id": f"customer-{n % 17}",
        "sequence": n,
        "placed_at": now + dt.timedelta(seconds=n),
        "total_amount": sum(i["quantity"] * i["unit_price"] for i in items),
        "currency": ("EUR", "USD", "GBP")[n % 3],
        "coupon_code": "WELCOME10" if n % 5 == 0 else None,
        "items": items,
        "attributes": {"channel": "web" if n % 2 else "app"},
    }


def _payment(n: int, now: dt.datetime) -> dict[str, Any]:
    return {
        "payment_id": str(uuid.UUID(int=10_000 + n)),
        "order_id": str(uuid.UUID(int=n + 1)),
        "amount": {"currency_code": "EUR", "amount_minor": 950 + n},
        "method": "PAYMENT_METHOD_CARD",
        "authorized_at": now + dt.timedelta(seconds=n, milliseconds=250),
        "metadata": {"provider": "demo-psp"},
    }


def _record_to_evolve(config: HeraldConfig, catalog: Catalog) -> AvroFile | None:
    """OrderPlaced in herald's repo; else the first bound Avro record, else the first one."""
    records = [f for f in catalog.avro_files if f.primary.kind == "record"]
    bound = {b.value for b in config.bindings}
    for wanted in (lambda f: f.primary.full_name == ORDER, lambda f: f.primary.full_name in bound):
        found = next((f for f in records if wanted(f)), None)
        if found is not None:
            return found
    return records[0] if records else None


def _breaking_change(catalog: Catalog, file: AvroFile) -> tuple[SchemaSource, SchemaSource]:
    """A record as it is, and a version that adds a field without a default."""
    name = file.primary.full_name
    text = file_text(file)
    evolved = json.loads(text)
    evolved["fields"].append({"name": "loyalty_tier", "type": "string"})
    refs = {
        dep.primary.full_name: file_text(dep)
        for dep in catalog.avro_files
        if dep.primary.full_name != name
    }
    old = SchemaSource("AVRO", text, file.display_path, refs, name)
    short = name.rpartition(".")[2]
    new = SchemaSource("AVRO", json.dumps(evolved, indent=2), f"{short}.next.avsc", refs, name)
    return old, new


def _register(config: HeraldConfig, catalog: Catalog) -> Any:
    """Register every subject; returns the open registry (the caller closes it)."""
    registry = connect(config)
    registrar = Registrar(registry, catalog, concurrency=config.registry.concurrency)
    result = registrar.run(plan_subjects(config, catalog), lambda o: click.echo(f"  {o.line()}"))
    if result.findings:
        registry.close()
        click.echo(render(result.findings, "text"))
        raise HeraldError("the demo's schemas were refused by the registry (see above)")
    return registry


def _generate(config: HeraldConfig, catalog: Catalog, out: Path) -> dict[str, type[Event]]:
    files = package_files(config, catalog, out.name)
    write_package(files, out)
    click.echo(f"  {len(files)} files for {len(catalog)} schemas in {out}")
    # A demo run earlier in this process left its package in sys.modules under the same name.
    for loaded in [m for m in sys.modules if m == out.name or m.startswith(f"{out.name}.")]:
        del sys.modules[loaded]
    sys.path.insert(0, str(out.parent))
    try:
        package = importlib.import_module(out.name)
    finally:
        sys.path.remove(str(out.parent))
    types: dict[str, type[Event]] = package.TYPES
    qualified = {name: f"{c.__module__}.{c.__name__}" for name, c in types.items()}
    width = max(map(len, qualified.values()), default=0)
    for name in sorted(types):
        cls = types[name]
        topics = ", ".join(b.topic for b in cls.BINDINGS) or "(no binding)"
        click.echo(f"  {qualified[name]:<{width}}  {cls.SCHEMA_FORMAT:<8} -> {topics}")
    return types


@click.command("demo")
@config_option
@click.option("--events", default=1000, show_default=True, help="Orders to publish.")
@exits_on_error
def demo(config_path: str | None, events: int) -> int:
    """Run the main job end to end: lint, explain, register, generate, publish, consume."""
    registry_env = os.environ.get("SCHEMA_REGISTRY_URL", "").strip()
    config, catalog = load_project(config_path, registry_url=registry_env or EMBEDDED_REGISTRY)
    with _kafka() as (servers, embedded_kafka), tempfile.TemporaryDirectory() as tmp:
        kafka_label = "librdkafka's mock cluster (embedded)" if embedded_kafka else servers
        registry_label = "confluent-kafka's mock:// registry (embedded)"
        click.echo(f"herald demo: Kafka at {kafka_label}")
        click.echo(f"herald demo: Schema Registry at {registry_env or registry_label}")
        if embedded_kafka or not registry_env:
            click.echo(
                "herald demo: running on in-process stand-ins; set KAFKA_BOOTSTRAP_SERVERS "
                "and SCHEMA_REGISTRY_URL to use real services"
            )

        _step(1, f"lint {len(catalog)} schemas in {', '.join(str(r) for r in config.schemas)}")
        findings = lint_catalog(catalog, config.lint.disable)
        click.echo(render(findings, "text") or "  no findings")

        _step(2, "explain a breaking change offline (what `herald diff` prints)")
        record = _record_to_evolve(config, catalog)
        if record is None:
            click.echo("  no Avro record to evolve in this catalog")
        else:
            old, new = _breaking_change(catalog, record)
            click.echo(render(compare([old], new, "BACKWARD"), "text"))

        _step(3, "register subjects with their references")
        registry = _register(config, catalog)
        try:
            _step(4, "generate typed event classes")
            types = _generate(config, catalog, Path(tmp) / "demo_events")
            title, batch = _workload(config, types, events)
            _step(5, title)
            if not batch:
                click.echo("  no type is bound to a topic in the config: add [[bindings]]")
                return EXIT_OK
            kafka = {} if embedded_kafka else kafka_settings_from_env()
            return _publish_and_consume(
                servers, registry.client, batch, check_limits=not embedded_kafka, kafka=kafka
            )
        except PublisherError as exc:
            raise HeraldError(f"publishing or consuming the demo's events failed: {exc}") from None
        finally:
            registry.close()


Batch = list[tuple[Event, Any]]


def _sample_key(kind: str | None, n: int, types: dict[str, type[Event]]) -> Any:
    if kind is None:
        return None
    if kind == "bytes":
        return f"key-{n}".encode()
    if kind in types:
        return sample_event(types[kind], n)
    return f"key-{n}"


def _workload(
    config: HeraldConfig, types: dict[str, type[Event]], events: int
) -> tuple[str, Batch]:
    """What step 5 publishes: herald's orders and payments, or samples of each bound type."""
    if ORDER in types and PAYMENT in types and types[ORDER].BINDINGS:
        now = dt.datetime.now(dt.UTC).replace(microsecond=0)
        orders = [types[ORDER].from_dict(_order(n, now)) for n in range(events)]
        payments = [types[PAYMENT].from_dict(_payment(n, now)) for n in range(events // 10)]
        batch: Batch = [(e, e.to_dict()["order_id"]) for e in [*orders, *payments]]
        return f"publish {len(orders)} orders (Avro) and {len(payments)} payments (Protobuf)", batch
    keys = {b.value: b.key for b in config.bindings}
    bound = [name for name in dict.fromkeys(b.value for b in config.bindings) if name in types]
    batch = [
        (sample_event(types[name], n), _sample_key(keys[name], n, types))
        for name in bound
        for n in range(events)
    ]
    return f"publish {events} sample events of each of {len(bound)} bound type(s)", batch


def _publish_and_consume(
    servers: str, registry_client: Any, batch: Batch, *, check_limits: bool, kafka: dict[str, Any]
) -> int:
    classes = list(dict.fromkeys(type(event) for event, _ in batch))
    topics = sorted({b.topic for cls in classes for b in cls.BINDINGS})
    started = time.perf_counter()
    # The mock cluster cannot describe topic configs, so the topic-limit lookup is skipped there.
    with Publisher(
        servers,
        registry_client=registry_client,
        preset="throughput",
        config=kafka,
        check_topic_limits=check_limits,
    ) as pub:
        pub.preload(*classes)
        futures = [pub.publish(event, key=key) for event, key in batch]
        pub.flush(30)
        reports = [f.result(timeout=30) for f in futures]
        resolver = pub.resolver
    took = time.perf_counter() - started
    partitions = sorted({(r.topic, r.partition) for r in reports})
    click.echo(f"  {len(reports)} delivered in {took:.2f}s to {partitions}")

    _step(6, "consume them back as typed objects")
    wanted = len(batch)
    group = f"herald-demo-{uuid.uuid4().hex[:8]}"
    # Read exactly this run's records: from the first offset delivered in each partition.
    starts: dict[tuple[str, int], int] = {}
    for r in reports:
        starts[(r.topic, r.partition)] = min(r.offset, starts.get((r.topic, r.partition), r.offset))
    with TypedConsumer(
        servers, group, classes, resolver=resolver, topics=topics, config=kafka
    ) as consumer:
        consumer.consumer.unsubscribe()
        consumer.consumer.assign([TopicPartition(t, p, o) for (t, p), o in sorted(starts.items())])
        received = [m.event for m in consumer.take(wanted, timeout=60)]
    same = sorted(map(repr, received)) == sorted(repr(event) for event, _ in batch)
    click.echo(f"  {len(received)} of {wanted} read back; equal to what was published: {same}")
    if received:
        click.echo(f"  e.g. {received[0]!r:.160}")
    return EXIT_OK if same else EXIT_FINDINGS
