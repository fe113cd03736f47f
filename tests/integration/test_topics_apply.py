"""`herald topics plan|apply` on the real broker: create, grow, set configs, then change nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from confluent_kafka.admin import AdminClient, ConfigResource, ConfigSource, ResourceType

from publisher.errors import PublisherError
from publisher.producer import Publisher
from publisher.topics import Topic
from tests.integration.conftest import REPO, Stack
from tests.unit.publisher.events import avro_event
from tests.unit.publisher.kafka_io import create_topic, register

pytestmark = pytest.mark.integration

HERALD = str(Path(sys.executable).with_name("herald"))


def _herald(stack: Stack, config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HERALD, "topics", *args, "--config", str(config)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={"PATH": "/usr/bin:/bin", "KAFKA_BOOTSTRAP_SERVERS": stack.bootstrap_servers},
    )


def _cluster(stack: Stack, names: list[str]) -> dict[str, tuple[int, dict[str, str]]]:
    """Partitions and the configs set on each topic itself, as the broker reports them."""
    admin = AdminClient({"bootstrap.servers": stack.bootstrap_servers})
    metadata = admin.list_topics(timeout=10)
    resources = [ConfigResource(ResourceType.TOPIC, n) for n in names]
    described = admin.describe_configs(resources, request_timeout=10)
    out = {}
    for resource, future in described.items():
        entries = future.result(timeout=10)
        dynamic = {
            k: e.value
            for k, e in entries.items()
            if e.source == ConfigSource.DYNAMIC_TOPIC_CONFIG.value
        }
        out[resource.name] = (len(metadata.topics[resource.name].partitions), dynamic)
    return out


def _config(path: Path, created: str, plain: str, grown: str, extra: str = "") -> Path:
    path.write_text(
        f"""schemas = ["{REPO / "schemas"}"]

[[topics]]
name = "{created}"
partitions = 3
replication_factor = 1
config = {{ "retention.ms" = 3600000, "cleanup.policy" = "compact" }}

[[topics]]
name = "{plain}"
partitions = 1

[[topics]]
name = "{grown}"
{extra or "partitions = 4"}
config = {{ "max.message.bytes" = 200000 }}
"""
    )
    return path


def test_apply_creates_grows_and_sets_then_a_second_apply_changes_nothing(
    stack: Stack, tmp_path: Path
) -> None:
    created, plain = stack.unique("tp-created"), stack.unique("tp-plain")
    grown = create_topic(stack.bootstrap_servers, "tp-grown", partitions=1)
    config = _config(tmp_path / "herald.toml", created, plain, grown)

    planned = _herald(stack, config, "plan")
    assert planned.returncode == 0, planned.stderr
    assert f"  + {created}: create with 3 partitions, replication factor 1" in planned.stdout
    assert f"  + {plain}: create with 1 partitions, replication factor the broker's default" in (
        planned.stdout
    )
    assert f"  ~ {grown}: grow partitions 1 -> 4" in planned.stdout
    assert f"  ~ {grown}: set max.message.bytes 1048588 -> 200000" in planned.stdout
    listed = AdminClient({"bootstrap.servers": stack.bootstrap_servers}).list_topics(timeout=10)
    assert created not in listed.topics  # plan changed nothing

    applied = _herald(stack, config, "apply")
    assert applied.returncode == 0, applied.stderr
    assert "4 change(s) made, 0 up to date, 0 refused" in applied.stderr
    after = _cluster(stack, [created, plain, grown])
    assert after[created] == (3, {"retention.ms": "3600000", "cleanup.policy": "compact"})
    assert after[plain] == (1, {})
    assert after[grown] == (4, {"max.message.bytes": "200000"})

    again = _herald(stack, config, "apply")
    assert again.returncode == 0, again.stderr
    assert "up to date: nothing to change" in again.stderr
    assert all(f"  = {name}: up to date" in again.stdout for name in (created, plain, grown))
    assert _cluster(stack, [created, plain, grown]) == after


def test_shrinking_and_replication_changes_are_refused_and_the_rest_applied(
    stack: Stack, tmp_path: Path
) -> None:
    created, plain = stack.unique("tp-created"), stack.unique("tp-plain")
    grown = create_topic(stack.bootstrap_servers, "tp-grown", partitions=3)
    config = _config(
        tmp_path / "herald.toml", created, plain, grown, "partitions = 2\nreplication_factor = 2"
    )
    applied = _herald(stack, config, "apply", "--format", "json")
    assert applied.returncode == 1, applied.stderr
    report = json.loads(applied.stdout)
    assert [(f["rule"], f["subject"]) for f in report["findings"]] == [
        ("TOPIC_PARTITIONS_CANNOT_SHRINK", grown),
        ("TOPIC_REPLICATION_FACTOR_CHANGED", grown),
    ]
    after = _cluster(stack, [created, plain, grown])
    assert after[created][0] == 3
    assert after[grown] == (3, {"max.message.bytes": "200000"})


def test_publisher_refuses_a_declared_topic_with_fewer_partitions(stack: Stack) -> None:
    topic = create_topic(stack.bootstrap_servers, "tp-short", partitions=1)
    cls = avro_event(topic)
    register(stack.registry_url, cls.BINDINGS[0].subject, cls)
    declared = [Topic(topic, 4, config={"max.message.bytes": "300"})]
    with (
        Publisher(stack.bootstrap_servers, stack.registry_url, topics=declared) as pub,
        pytest.raises(PublisherError, match=r"says 4; run `herald topics apply`"),
    ):
        pub.preload(cls)
