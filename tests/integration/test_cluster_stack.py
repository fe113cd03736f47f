"""dev/stack's cluster itself: three voters, a PID file per node, and `up` again heals it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.integration.conftest import dev_stack

pytestmark = pytest.mark.integration


def test_every_node_is_listed_and_up_again_starts_the_one_that_is_down(cluster: Any) -> None:
    cluster.start_kafka()  # a failed test before this one may have left a node down
    cluster.wait_kafka()
    env = dict(
        line.split("=", 1) for line in cluster.env_file.read_text().splitlines() if "=" in line
    )
    nodes = json.loads((cluster.state / "ports.json").read_text())["nodes"]
    assert env["KAFKA_BOOTSTRAP_SERVERS"].split(",") == [f"127.0.0.1:{n['broker']}" for n in nodes]
    assert len(env["KAFKA_SASL_BOOTSTRAP_SERVERS"].split(",")) == 3
    assert len(env["KAFKA_SSL_BOOTSTRAP_SERVERS"].split(",")) == 3
    pids = {i: int(Path(cluster.state / f"kafka-{i}.pid").read_text()) for i in (1, 2, 3)}
    assert len(set(pids.values())) == 3
    assert set(cluster.admin().list_topics(timeout=10).brokers) == {1, 2, 3}
    # The quorum has three voters; one node down leaves two, so metadata still changes.
    voters = (cluster.state / "kafka-2" / "server.properties").read_text()
    assert "controller.quorum.voters=1@127.0.0.1:" in voters

    cluster.kill_broker(2)
    assert cluster.node(2).pid() is None
    assert (cluster.node(1).pid(), cluster.node(3).pid()) == (pids[1], pids[3])
    # What `make stack-up` does on an existing state dir: start whatever is not running.
    again = dev_stack.Stack(cluster.state, registry_auth=True)
    assert again.brokers == 3
    again.up()
    assert again.node(2).pid() not in (None, pids[2])
    assert (again.node(1).pid(), again.node(3).pid()) == (pids[1], pids[3])
    assert set(again.admin().list_topics(timeout=10).brokers) == {1, 2, 3}
