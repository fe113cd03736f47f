"""A schema repo's whole loop on the real broker and registry, as a team would run it.

``herald init`` in a temporary git repo with an origin; schemas added; pre-commit passes; the
pull-request and main-branch steps of the shipped GitHub workflow run as written (each ``run:``
in order, with the variables GitHub sets); the wheel goes into a fresh venv with the runtime
only; a service script publishes typed events and reads them back. Then a breaking change fails
the pull-request steps with annotations, an ``[[allow]]`` entry with a reason lets it pass, and
once merged the main-branch steps register it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.integration.conftest import Stack

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
WORKFLOW = REPO / "docs" / "ci" / "github-actions.yml"
#: GitHub's default shell for ``run:`` steps on Linux.
SHELL = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"]
SHIPPED = """{
  "type": "record",
  "name": "OrderShipped",
  "namespace": "com.example.orders",
  "doc": "An order left the warehouse.",
  "fields": [
    {"name": "order_id", "type": "string", "doc": "The order shipped."},
    {"name": "carrier", "type": "string", "doc": "Who carries it."}
  ]
}
"""
SERVICE = """
import os
import uuid

from publisher import Publisher, TypedConsumer
from shop_events.com.example.orders import OrderPlaced, OrderShipped

try:
    import grpc_tools  # noqa: F401
except ImportError:
    print("no build-time tools")
run = uuid.uuid4().hex
placed = [
    OrderPlaced(order_id=f"{run}-{n}", customer_id="c-1", total_cents=100 * n, note=None)
    for n in range(20)
]
shipped = [OrderShipped(order_id=o.order_id, carrier="dhl") for o in placed]
with Publisher.from_env() as pub:
    pub.preload(OrderPlaced, OrderShipped)
    report = pub.publish_many([*placed, *shipped], keys=[o.order_id for o in [*placed, *shipped]])
    report.result(timeout=30)
servers, registry = os.environ["KAFKA_BOOTSTRAP_SERVERS"], os.environ["SCHEMA_REGISTRY_URL"]
topics = [os.environ["ORDERS_TOPIC"], os.environ["SHIPPING_TOPIC"]]
with TypedConsumer(
    servers, f"svc-{run}", [OrderPlaced, OrderShipped], registry_url=registry, topics=topics
) as consumer:
    got = [m.event for m in consumer.take(40, timeout=30)]
same = sorted(map(repr, got)) == sorted(map(repr, placed + shipped))
print(f"read back {len(got)}; equal: {same}")
"""


class Repo:
    """The schema repo under test and the environment its commands run with."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root = root
        self.env = env

    def run(self, *args: str, check: bool = True, **extra: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            list(args),
            cwd=self.root,
            env={**self.env, **extra},
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        if check:
            assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
        return done

    def edit(self, name: str, old: str, new: str) -> None:
        path = self.root / name
        text = path.read_text()
        assert old in text
        path.write_text(text.replace(old, new))

    def commit(self, message: str) -> None:
        self.run("git", "add", "-A")
        self.run("git", "commit", "-qm", message)

    def job(self, name: str, **extra: str) -> tuple[int, str]:
        """Run a job of the shipped workflow: its ``run:`` steps in order, as GitHub would."""
        steps: list[dict[str, Any]] = yaml.safe_load(WORKFLOW.read_text())["jobs"][name]["steps"]
        failed, output = 0, []
        for step in steps:
            if "run" not in step or step.get("id") == "install":
                continue  # actions, and `pip install`: this venv already has herald-kafka
            if failed and "failure()" not in str(step.get("if", "")):
                continue
            done = self.run(*SHELL, step["run"], check=False, **extra)
            output.append(f"## {step.get('name', step['run'])}\n{done.stdout}{done.stderr}")
            failed = failed or done.returncode
        return failed, "\n".join(output)


@pytest.fixture
def repo(tmp_path: Path, stack: Stack) -> Repo:
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "HERALD_STACK_DIR")}
    env.update(
        PATH=f"{BIN}{os.pathsep}{env['PATH']}",
        KAFKA_BOOTSTRAP_SERVERS=stack.bootstrap_servers,
        SCHEMA_REGISTRY_URL=stack.registry_url,
        PRE_COMMIT_HOME=str(tmp_path / "pre-commit-home"),
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.com",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.com",
    )
    return Repo(tmp_path / "shop", env)


def test_the_loop_from_init_to_a_service_then_a_break_and_its_approval(
    repo: Repo, stack: Stack, tmp_path: Path
) -> None:
    orders, shipping, payments = (stack.unique(t) for t in ("orders", "shipping", "payments"))
    # 1. herald init in a new git repo with an origin, then add a schema and its binding.
    repo.root.mkdir()
    repo.run("git", "init", "-q", "-b", "main")
    assert "7 file(s) written" in repo.run("herald", "init").stdout
    repo.edit("herald.toml", 'topic = "orders"', f'topic = "{orders}"')
    repo.edit("herald.toml", 'topic = "payments"', f'topic = "{payments}"')
    with (repo.root / "herald.toml").open("a") as config:
        config.write(
            f'\n[[bindings]]\ntopic = "{shipping}"\n'
            'value = "com.example.orders.OrderShipped"\nkey = "string"\n'
        )
    (repo.root / "schemas/com/example/orders/order_shipped.avsc").write_text(SHIPPED)
    repo.run("herald", "codegen")
    repo.commit("schemas")
    repo.run("git", "init", "-q", "--bare", str(tmp_path / "origin.git"))
    repo.run("git", "remote", "add", "origin", str(tmp_path / "origin.git"))
    repo.run("git", "push", "-qu", "origin", "main")

    # 2. pre-commit, with the hooks herald init configured.
    hooks = repo.run("pre-commit", "run", "--all-files").stdout
    assert hooks.count("Passed") == 3, hooks

    # 3. the pull-request steps, against the base branch.
    summary = tmp_path / "summary.md"
    pr = {"GITHUB_BASE_REF": "main", "GITHUB_STEP_SUMMARY": str(summary)}
    code, out = repo.job("pull-request", **pr)
    assert code == 0, out
    assert "3 subject(s): 0 compatible, 3 new, 0 incompatible" in out
    assert "### herald lint: no findings" in summary.read_text()

    # 4. the main-branch steps: register, then build the wheel.
    code, out = repo.job("main")
    assert code == 0, out
    (wheel,) = (repo.root / "dist").glob("*.whl")
    assert wheel.name == "shop_events-0.1.0-py3-none-any.whl"

    # 5. a fresh venv installs the wheel with the runtime (herald-kafka from a local wheel).
    wheels = tmp_path / "wheels"
    repo.run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(REPO))
    service = tmp_path / "service"
    repo.run(sys.executable, "-m", "venv", str(service))
    pip = [str(service / "bin" / "python"), "-m", "pip", "install", "-q"]
    repo.run(*pip, "--find-links", str(wheels), str(wheel))

    # 6. a service script publishes typed events and the typed consumer reads them back.
    script = tmp_path / "service.py"
    script.write_text(textwrap.dedent(SERVICE))
    ran = repo.run(
        str(service / "bin" / "python"),
        str(script),
        ORDERS_TOPIC=orders,
        SHIPPING_TOPIC=shipping,
        PYTHONPATH="",
    )
    assert ran.stdout.splitlines() == ["no build-time tools", "read back 40; equal: True"], (
        ran.stderr
    )

    # A breaking change fails the pull-request steps, with annotations on the diff...
    repo.run("git", "checkout", "-qb", "breaking")
    order = "schemas/com/example/orders/order_placed.avsc"
    repo.edit(
        order, '"name": "total_cents", "type": "long"', '"name": "total_cents", "type": "string"'
    )
    repo.run("herald", "codegen")
    repo.commit("total_cents becomes a string")
    code, out = repo.job("pull-request", **pr)
    assert code == 1
    assert f"::error file={order},line=9,col=" in out
    assert "title=TYPE_MISMATCH::" in out
    assert f"{orders}-value: incompatible" in out
    assert "| error | `TYPE_MISMATCH` |" in summary.read_text()

    # ...and an [[allow]] entry with a reason lets it through.
    with (repo.root / "herald.toml").open("a") as config:
        config.write(
            '\n[[allow]]\nrule = "TYPE_MISMATCH"\nschema = "com.example.orders.OrderPlaced"\n'
            'path = "/fields/2/type"\nreason = "billing reads total_cents as text from now on"\n'
        )
    repo.commit("approve the total_cents break")
    code, out = repo.job("pull-request", **pr)
    assert code == 0, out
    assert "allowed: billing reads total_cents as text from now on" in out
    assert f"{orders}-value: allowed" in out

    # Merged, the main-branch steps register the approved break at level NONE and put the level
    # back. Apicurio still refuses it: it applies its global level to a subject at NONE
    # (Confluent's registry does not), so the run says so, and the level is back at BACKWARD.
    repo.run("git", "checkout", "-q", "main")
    repo.run("git", "merge", "-q", "--ff-only", "breaking")
    code, out = repo.job("main")
    assert code == 1
    assert f"{orders}-value: refused" in out
    assert "refused even at level NONE, set for this break that [[allow]] approves" in out
    assert "the level is back at BACKWARD" in out
    after = repo.run("herald", "check").stdout
    assert f"{orders}-value: allowed (BACKWARD, against version 1" in after
