"""The integration tests' stack: the real Kafka broker and Schema Registry from dev/stack.

When KAFKA_BOOTSTRAP_SERVERS and SCHEMA_REGISTRY_URL are set (``make test`` sets them, or you
bring your own cluster), those are used. Otherwise the session starts dev/stack's services in
``.stack/pytest`` and stops them at the end. ``Stack.handle`` is the dev/stack controller when
the stack is ours (``HERALD_STACK_DIR``), so fault tests can kill and restart the broker.
``Stack.env`` holds the SASL and TLS listeners and credentials (``KAFKA_SASL_*``, ...).

The ``cluster`` fixture is a second stack, started once for the tests that ask for it: three
KRaft nodes and a registry that requires basic auth. It is always our own, since its tests
kill nodes by PID; those tests run one after another and it is stopped by PID after the last.
Tests add the figures they measured to :data:`FIGURES`; they are printed at the end of the run.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]


def _load_stack_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("herald_dev_stack", REPO / "dev/stack/stack.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


dev_stack = _load_stack_module()


@dataclass(frozen=True)
class Stack:
    """Where the real services are, and the controller of our own stack if we run it."""

    bootstrap_servers: str
    registry_url: str
    handle: Any | None
    #: The stack's env file as a dict: security listeners, SASL user, CA, registry user.
    env: dict[str, str] = field(default_factory=dict)

    def need(self, name: str) -> str:
        """A variable of the stack's env, or a failure saying which one a test needs."""
        value = self.env.get(name)
        if not value:
            raise AssertionError(
                f"{name} is not set: this test needs the SASL/TLS listeners of dev/stack "
                "(`make test` sets them; with your own cluster, export them too)"
            )
        return value

    def unique(self, prefix: str) -> str:
        """A topic or subject name no other test uses in this registry or broker."""
        return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def stack() -> Iterator[Stack]:
    """The session's broker and registry, started here only when none is given."""
    servers = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
    registry = os.environ.get("SCHEMA_REGISTRY_URL")
    if servers and registry:
        state = os.environ.get("HERALD_STACK_DIR")
        handle = dev_stack.Stack(Path(state)) if state else None
        env = {k: v for k, v in os.environ.items() if k.startswith(_ENV_PREFIXES)}
        yield Stack(servers, registry, handle, env)
        return
    own = dev_stack.Stack(REPO / ".stack" / "pytest")
    try:
        own.up()
        yield Stack(own.bootstrap_servers, own.registry_url, own, own.environment())
    finally:
        own.down()


_ENV_PREFIXES = ("KAFKA_", "SCHEMA_REGISTRY_")

#: Lines of measured figures, printed after the test summary.
FIGURES: list[str] = []


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the figures the fault and cluster tests measured."""
    if FIGURES:
        terminalreporter.section("measured")
        for line in FIGURES:
            terminalreporter.write_line(line)


def _cluster_state() -> Path:
    beside = os.environ.get("HERALD_STACK_DIR")
    return Path(beside).parent / "test-cluster" if beside else REPO / ".stack" / "pytest-cluster"


#: The running cluster and how many collected tests still need it.
_CLUSTER: dict[str, Any] = {"stack": None, "users": 0}


def _uses_cluster(item: pytest.Item) -> bool:
    return "cluster" in getattr(item, "fixturenames", ())


@pytest.hookimpl(trylast=True)  # after -k and -m have deselected what will not run
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the cluster's tests one after another, so it is up only while they run."""
    users = [item for item in items if _uses_cluster(item)]
    if users:
        first = items.index(users[0])
        others = [item for item in items if not _uses_cluster(item)]
        items[:] = others[:first] + users + others[first:]
    _CLUSTER["users"] = len(users)


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Stop the cluster, by PID, right after the last test that needs it."""
    if _uses_cluster(item):
        _CLUSTER["users"] -= 1
        if _CLUSTER["users"] <= 0 and _CLUSTER["stack"] is not None:
            _CLUSTER["stack"].down()
            _CLUSTER["stack"] = None


@pytest.fixture(scope="session")
def cluster() -> Iterator[Any]:
    """Three KRaft nodes (RF 3, min.insync.replicas 2) and a registry requiring basic auth."""
    own = dev_stack.Stack(_cluster_state(), brokers=3, registry_auth=True)
    own.down()  # whatever an interrupted run left, stopped by its PIDs
    began = time.monotonic()
    try:
        own.up()
        took = time.monotonic() - began
        status = own.status()
        rss = [status[f"kafka-{i}"]["rss_kib"] // 1024 for i in own.node_ids]
        FIGURES.append(
            f"cluster: 3 nodes + registry ready in {took:.1f}s; RSS after start "
            f"{'/'.join(map(str, rss))} MiB (nodes), {status['registry']['rss_kib'] // 1024} MiB "
            "(registry)"
        )
        _CLUSTER["stack"] = own
        yield own
    finally:
        _CLUSTER["stack"] = None
        own.down()
