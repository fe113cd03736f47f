"""herald check / register / status / pull against the real Schema Registry of the stack.

Every test builds its own copy of the example contracts with a unique namespace, package and
topic, so subjects never collide with other tests sharing the registry.
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner, Result
from confluent_kafka.schema_registry import SchemaRegistryClient

from codegen.cli import main
from tests.integration.conftest import Stack

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "schemas"


class Project:
    """A copy of the example contracts under unique names, with a herald.toml."""

    def __init__(self, root: Path, stack: Stack) -> None:
        self.root = root
        self.stack = stack
        self.token = "t" + uuid.uuid4().hex[:10]
        self.orders_ns = f"com.{self.token}.orders"
        self.payments_pkg = f"{self.token}.payments.v1"
        self.orders_topic = f"orders-{self.token}"
        self.payments_topic = f"payments-{self.token}"
        self.schemas = root / "schemas"
        orders = self.schemas / "com" / self.token / "orders"
        payments = self.schemas / self.token / "payments" / "v1"
        orders.mkdir(parents=True)
        payments.mkdir(parents=True)
        for src in sorted((SCHEMAS / "com/acme/orders").glob("*.avsc")):
            (orders / src.name).write_text(
                src.read_text().replace("com.acme.orders", self.orders_ns)
            )
        for src in sorted((SCHEMAS / "acme/payments/v1").glob("*.proto")):
            text = src.read_text().replace("acme.payments.v1", self.payments_pkg)
            text = text.replace("acme/payments/v1/", f"{self.token}/payments/v1/")
            (payments / src.name).write_text(text)
        self.order_file = orders / "order_placed.avsc"
        self.config = root / "herald.toml"
        self.write_config()

    def write_config(self, *, level: str | None = None, extra: str = "") -> None:
        """Bind orders (topic strategy) and payments (topic_record) to unique topics."""
        lines = ['schemas = ["schemas"]']
        lines.append("[registry]\ntimeout = 3")
        lines.append(
            f'[[bindings]]\ntopic = "{self.orders_topic}"\nvalue = "{self.orders_ns}.OrderPlaced"\n'
            'key = "string"' + (f'\ncompatibility = "{level}"' if level else "")
        )
        lines.append(
            f'[[bindings]]\ntopic = "{self.payments_topic}"\n'
            f'value = "{self.payments_pkg}.PaymentAuthorized"\nstrategy = "topic_record"'
        )
        self.config.write_text("\n".join(lines) + "\n" + extra)

    @property
    def order_subject(self) -> str:
        return f"{self.orders_topic}-value"

    def edit_order(self, change: dict[str, object]) -> None:
        """Append a field to OrderPlaced."""
        doc = json.loads(self.order_file.read_text())
        doc["fields"].append(change)
        self.order_file.write_text(json.dumps(doc, indent=2))

    def herald(self, *args: str) -> Result:
        """Run a herald command in the project with the stack's registry."""
        return CliRunner().invoke(
            main,
            [
                *args[:1],
                "--config",
                str(self.config),
                "--registry",
                self.stack.registry_url,
                *args[1:],
            ],
        )


@pytest.fixture
def project(tmp_path: Path, stack: Stack, monkeypatch: pytest.MonkeyPatch) -> Project:
    monkeypatch.chdir(tmp_path)
    for name in ("HERALD_REGISTRY_USER", "HERALD_REGISTRY_PASSWORD", "HERALD_REGISTRY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    return Project(tmp_path, stack)


@pytest.fixture
def client(stack: Stack) -> Iterator[SchemaRegistryClient]:
    with SchemaRegistryClient({"url": stack.registry_url}) as registry:
        yield registry


def test_register_in_reference_order_then_second_run_is_a_no_op(
    project: Project, client: SchemaRegistryClient
) -> None:
    first = project.herald("register")
    assert first.exit_code == 0, first.output
    lines = [ln for ln in first.stdout.splitlines() if ": registered" in ln]
    order = [ln.split(":")[0] for ln in lines]
    ns, pkg = project.orders_ns, project.payments_pkg
    assert order.index(f"{ns}.Currency") < order.index(project.order_subject)
    assert order.index(f"{ns}.LineItem") < order.index(project.order_subject)
    money = f"{project.token}/payments/v1/money.proto"
    payments = f"{project.payments_topic}-{pkg}.PaymentAuthorized"
    assert order.index(money) < order.index(payments)
    assert len(lines) == 5

    registered = client.get_version(project.order_subject, "latest")
    order_refs = registered.schema.references or []
    refs = sorted((r.name, r.subject, r.version) for r in order_refs)
    assert refs == [
        (f"{ns}.Currency", f"{ns}.Currency", 1),
        (f"{ns}.LineItem", f"{ns}.LineItem", 1),
    ]
    proto = client.get_version(payments, "latest")
    proto_refs = proto.schema.references or []
    assert [(r.name, r.subject) for r in proto_refs] == [(money, money)]
    # The references resolve: each names a registered version of its subject.
    for ref in [*order_refs, *proto_refs]:
        assert ref.subject is not None
        assert ref.version is not None
        assert client.get_version(ref.subject, ref.version).schema.schema_str

    second = project.herald("register")
    assert second.exit_code == 0, second.output
    assert ": registered" not in second.output
    assert second.stdout.count(": up to date") == 5
    assert "up to date: nothing to register" in second.stderr
    assert client.get_versions(project.order_subject) == [1]


def test_dry_run_prints_the_plan_and_changes_nothing(
    project: Project, client: SchemaRegistryClient
) -> None:
    result = project.herald("register", "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"{project.order_subject} <- schemas/com/{project.token}/orders/order_placed.avsc" in (
        result.stdout
    )
    assert "would register" in result.stdout
    assert project.order_subject not in client.get_subjects()


def test_check_new_then_compatible_then_incompatible_naming_subject_and_version(
    project: Project,
) -> None:
    new = project.herald("check")
    assert new.exit_code == 0, new.output
    assert f"{project.order_subject}: new" in new.stdout

    assert project.herald("register").exit_code == 0
    same = project.herald("check")
    assert same.exit_code == 0, same.output
    assert f"{project.order_subject}: compatible (BACKWARD, against version 1)" in same.stdout

    project.edit_order({"name": "note", "type": ["null", "string"], "default": None})
    compatible = project.herald("check")
    assert compatible.exit_code == 0, compatible.output

    project.edit_order({"name": "channel", "type": "string"})
    broken = project.herald("check")
    assert broken.exit_code == 1, broken.output
    assert f"{project.order_subject}: incompatible" in broken.stdout
    assert f"{project.order_subject}: not compatible with registered version 1" in broken.stdout
    # The registry gives no reason; the offline engine names the field and its line.
    assert "READER_FIELD_MISSING_DEFAULT_VALUE" in broken.stdout
    assert '"channel"' in broken.stdout


def test_transitive_level_catches_a_break_with_an_old_version(
    project: Project, client: SchemaRegistryClient, tmp_path: Path
) -> None:
    project.config.unlink()  # flags only: the bindings would name types not in this folder
    folder = tmp_path / "t"
    folder.mkdir()
    schema = folder / "thing.avsc"
    subject = f"{project.token}.Thing"

    def write(fields: list[dict[str, object]]) -> None:
        schema.write_text(
            json.dumps(
                {"type": "record", "name": "Thing", "namespace": project.token, "fields": fields}
            )
        )

    def run(*args: str) -> Result:
        return CliRunner().invoke(
            main,
            [
                args[0],
                "--schemas",
                str(folder),
                "--registry",
                project.stack.registry_url,
                *args[1:],
            ],
        )

    write([{"name": "a", "type": "string"}])
    assert run("register").exit_code == 0
    write([])
    assert run("register").exit_code == 0
    # Version 3 reads "a" as an int: fine against version 2 (no "a"), broken against 1.
    write([{"name": "a", "type": "int", "default": 0}])
    latest_only = run("check")
    assert latest_only.exit_code == 0, latest_only.output
    assert f"{subject}: compatible (BACKWARD, against version 2)" in latest_only.stdout

    client.set_compatibility(subject, "BACKWARD_TRANSITIVE")
    transitive = run("check")
    assert transitive.exit_code == 1, transitive.output
    assert (
        f"{subject}: incompatible (BACKWARD_TRANSITIVE, against versions 1, 2; breaks with 1)"
        in transitive.stdout
    )
    assert f"{subject}: not compatible with registered version 1" in transitive.stdout

    refused = run("register")
    assert refused.exit_code == 1
    assert "REGISTRY_REFUSED" in refused.stdout
    assert f"{subject}: the registry refused the schema" in refused.stdout
    assert client.get_versions(subject) == [1, 2]


def test_configured_level_is_set_before_registering(
    project: Project, client: SchemaRegistryClient
) -> None:
    project.write_config(level="FULL_TRANSITIVE")
    result = project.herald("register")
    assert result.exit_code == 0, result.output
    assert f"{project.order_subject}: registered version 1" in result.stdout
    assert "[compatibility set to FULL_TRANSITIVE]" in result.stdout
    assert client.get_compatibility(project.order_subject) == "FULL_TRANSITIVE"
    again = project.herald("register")
    assert "[compatibility set to" not in again.stdout


def test_refused_schema_stops_cleanly_saying_what_was_and_was_not_registered(
    project: Project, client: SchemaRegistryClient
) -> None:
    assert project.herald("register").exit_code == 0
    project.edit_order({"name": "channel", "type": "string"})
    # A new subject for another file, in a later wave than nothing: proves reporting.
    result = project.herald("register", "--format", "json")
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    (finding,) = doc["findings"]
    assert finding["rule"] == "REGISTRY_REFUSED"
    assert finding["subject"] == project.order_subject
    assert "Incompatible" in finding["message"] or "incompatible" in finding["message"]
    assert finding["path"].endswith("order_placed.avsc")
    assert "stopped:" in result.stderr
    assert "registered: nothing" in result.stderr
    assert "Traceback" not in result.output
    assert client.get_versions(project.order_subject) == [1]


@pytest.mark.parametrize("fmt", ["text", "json", "github", "junit"])
def test_every_check_format_is_well_formed(project: Project, fmt: str) -> None:
    assert project.herald("register").exit_code == 0
    project.edit_order({"name": "channel", "type": "string"})
    result = project.herald("check", "--format", fmt)
    assert result.exit_code == 1, result.output
    out = result.stdout
    if fmt == "json":
        doc = json.loads(out)
        subjects = {s["subject"]: s for s in doc["subjects"]}
        assert subjects[project.order_subject]["status"] == "incompatible"
        assert subjects[project.order_subject]["incompatible_with"] == [1]
        assert {f["rule"] for f in doc["findings"]} >= {"REGISTRY_INCOMPATIBLE"}
    elif fmt == "junit":
        root = ET.fromstring(out)
        assert root.tag == "testsuite"
        assert int(root.attrib["failures"]) >= 1
        assert root.find("testcase/failure") is not None
    elif fmt == "github":
        lines = out.strip().splitlines()
        assert lines
        assert all(ln.startswith(("::error ", "::warning ")) for ln in lines)
        assert any("title=REGISTRY_INCOMPATIBLE" in ln for ln in lines)
    else:
        assert f"{project.order_subject}: incompatible" in out


def test_status_reports_every_state(project: Project, client: SchemaRegistryClient) -> None:
    before = project.herald("status")
    assert before.exit_code == 0, before.output
    assert f"{project.order_subject}: not registered" in before.stdout
    assert project.herald("register").exit_code == 0
    clean = project.herald("status")
    assert f"{project.order_subject}: up to date (latest version 1)" in clean.stdout
    project.edit_order({"name": "note", "type": ["null", "string"], "default": None})
    # A subject that only the registry still has, under the project's topic prefix.
    stale = f"{project.orders_topic}-{project.orders_ns}.Gone"
    gone = {"type": "record", "name": "Gone", "namespace": project.orders_ns, "fields": []}
    from confluent_kafka.schema_registry import Schema

    client.register_schema(stale, Schema(json.dumps(gone), "AVRO"))
    changed = project.herald("status", "--json")
    rows = {r["subject"]: r["state"] for r in json.loads(changed.stdout)["subjects"]}
    assert rows[project.order_subject] == "changed locally"
    assert rows[f"{project.orders_ns}.LineItem"] == "up to date"
    assert rows[stale] == "only in registry"


def test_pull_writes_latest_or_all_versions(project: Project, tmp_path: Path) -> None:
    assert project.herald("register").exit_code == 0
    project.edit_order({"name": "note", "type": ["null", "string"], "default": None})
    assert project.herald("register").exit_code == 0
    out = tmp_path / "pulled"
    latest = project.herald("pull", "--subject", f"^{project.orders_topic}-", "--out", str(out))
    assert latest.exit_code == 0, latest.output
    folder = out / project.order_subject
    assert sorted(p.name for p in folder.iterdir()) == ["v2.avsc", "v2.json"]
    assert json.loads((folder / "v2.avsc").read_text())["name"] == "OrderPlaced"
    meta = json.loads((folder / "v2.json").read_text())
    assert [r["name"] for r in meta["references"]] == [
        f"{project.orders_ns}.Currency",
        f"{project.orders_ns}.LineItem",
    ]
    every = project.herald(
        "pull", "--subject", f"{project.token}/payments", "--out", str(out), "--all-versions"
    )
    assert every.exit_code == 0, every.output
    proto = out / f"{project.token}__payments__v1__money.proto" / "v1.proto"
    assert f"package {project.payments_pkg};" in proto.read_text()
    assert project.herald("pull", "--subject", "(", "--out", str(out)).exit_code == 2


def test_commands_run_without_a_config_file(project: Project, tmp_path: Path) -> None:
    project.config.unlink()
    args = ["--schemas", str(project.schemas), "--registry", project.stack.registry_url]
    runner = CliRunner()
    first = runner.invoke(main, ["register", *args])
    assert first.exit_code == 0, first.output
    # Record name strategy: every top-level type is its own subject.
    assert f"{project.orders_ns}.OrderPlaced: registered version 1" in first.stdout
    assert f"{project.payments_pkg}.PaymentRefunded: registered version 1" in first.stdout
    assert runner.invoke(main, ["check", *args]).exit_code == 0
    status = runner.invoke(main, ["status", *args])
    assert f"{project.orders_ns}.OrderPlaced: up to date" in status.stdout
    assert runner.invoke(main, ["lint", "--schemas", str(project.schemas)]).exit_code == 0


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("command", ["check", "register", "status", "pull"])
def test_unreachable_registry_exits_2_quickly_without_credentials(
    project: Project, command: str
) -> None:
    url = f"http://bob:s3cret@127.0.0.1:{_closed_port()}/apis/ccompat/v7"
    started = time.monotonic()
    result = CliRunner().invoke(main, [command, "--config", str(project.config), "--registry", url])
    elapsed = time.monotonic() - started
    assert result.exit_code == 2
    assert "cannot reach the Schema Registry at http://***@127.0.0.1:" in result.stderr
    assert "s3cret" not in result.output
    assert "Traceback" not in result.output
    assert elapsed < 10


def test_silent_registry_times_out_within_the_configured_timeout(project: Project) -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)  # accepts the connection into the backlog, never answers
        url = f"http://127.0.0.1:{server.getsockname()[1]}"
        project.config.write_text(project.config.read_text().replace("timeout = 3", "timeout = 1"))
        started = time.monotonic()
        result = CliRunner().invoke(
            main, ["check", "--config", str(project.config), "--registry", url]
        )
        elapsed = time.monotonic() - started
    assert result.exit_code == 2
    assert "timed out" in result.stderr
    assert elapsed < 10


def test_configured_level_decides_when_the_registry_has_another(project: Project) -> None:
    assert project.herald("register").exit_code == 0  # the registry's level: global BACKWARD
    project.edit_order({"name": "channel", "type": "string"})  # breaks BACKWARD, not FORWARD
    assert project.herald("check").exit_code == 1
    project.write_config(level="FORWARD")
    result = project.herald("check")
    assert result.exit_code == 0, result.output
    assert f"{project.order_subject}: compatible (FORWARD, against version 1)" in result.stdout
    assert "REGISTRY_LEVEL_DIFFERS" in result.stdout
    assert "the registry's level is BACKWARD, the config says FORWARD" in result.stdout


def test_protobuf_break_is_incompatible_and_explained(project: Project) -> None:
    assert project.herald("register").exit_code == 0
    proto = project.schemas / project.token / "payments" / "v1" / "payments.proto"
    proto.write_text(proto.read_text().replace("string order_id = 2;", "int64 order_id = 2;"))
    result = project.herald("check", "--format", "json")
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    subject = f"{project.payments_topic}-{project.payments_pkg}.PaymentAuthorized"
    statuses = {s["subject"]: s["status"] for s in doc["subjects"]}
    assert statuses[subject] == "incompatible"
    assert statuses[project.order_subject] == "compatible"
    rules = {f["rule"] for f in doc["findings"] if f["subject"] == subject}
    assert "REGISTRY_INCOMPATIBLE" in rules
    assert len(rules) >= 2  # the registry's verdict plus the offline engine's reason


def test_a_contract_sidecar_is_sent_and_apicurio_dropping_it_is_a_warning(
    project: Project, client: SchemaRegistryClient
) -> None:
    contract = {
        "metadata": {"properties": {"owner": "orders-team"}},
        "ruleSet": {
            "domainRules": [
                {
                    "name": "has-customer",
                    "kind": "CONDITION",
                    "mode": "WRITE",
                    "type": "CEL",
                    "expr": "message.customer_id != ''",
                }
            ]
        },
    }
    sidecar = project.order_file.with_name("order_placed.contract.json")
    sidecar.write_text(json.dumps(contract, indent=2))
    first = project.herald("register")
    assert first.exit_code == 0, first.output
    assert "REGISTRY_DROPPED_CONTRACT" in first.output
    assert f"{project.order_subject}: version 1 was read back without the metadata and ruleSet" in (
        first.output
    )
    # Apicurio accepted the schema and kept neither part of the contract (measured, not assumed).
    latest = client.get_version(project.order_subject, "latest")
    assert latest.schema.rule_set is None
    assert latest.schema.metadata is None
    again = project.herald("register")
    assert again.exit_code == 0, again.output
    assert f"{project.order_subject}: up to date" in again.output
    assert "REGISTRY_DROPPED_CONTRACT" in again.output
    status = project.herald("status")
    assert f"{project.order_subject}: contract changed" in status.output
