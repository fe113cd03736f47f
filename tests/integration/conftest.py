"""The integration tests' stack: the real Kafka broker and Schema Registry from dev/stack.

When KAFKA_BOOTSTRAP_SERVERS and SCHEMA_REGISTRY_URL are set (``make test`` sets them, or you
bring your own cluster), those are used. Otherwise the session starts dev/stack's services in
``.stack/pytest`` and stops them at the end. ``Stack.handle`` is the dev/stack controller when
the stack is ours (``HERALD_STACK_DIR``), so fault tests can kill and restart the broker.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
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
        yield Stack(servers, registry, handle)
        return
    own = dev_stack.Stack(REPO / ".stack" / "pytest")
    try:
        own.up()
        yield Stack(own.bootstrap_servers, own.registry_url, own)
    finally:
        own.down()
