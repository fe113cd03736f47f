"""Topics as code without a cluster: ``[[topics]]`` validation and the plan's decisions."""

from __future__ import annotations

from pathlib import Path

import pytest

from codegen.config import TopicSpec, load_config
from codegen.errors import ConfigError
from codegen.topics import ClusterTopic, plan_topics
from publisher.topics import Topic, topic_map


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # messages name files relative to the working directory


def _load(tmp_path: Path, topics: str) -> tuple[TopicSpec, ...]:
    path = tmp_path / "herald.toml"
    path.write_text('schemas = ["schemas"]\n' + topics)
    return load_config(str(path), environ={}).topics


def test_topics_load_with_configs_as_kafka_strings(tmp_path: Path) -> None:
    specs = _load(
        tmp_path,
        """
[[topics]]
name = "orders"
partitions = 6
replication_factor = 3
config = { "retention.ms" = 604800000, "cleanup.policy" = ["compact", "delete"], "x.y" = true }

[[topics]]
name = "audit.v1"
partitions = 1
""",
    )
    assert [s.topic for s in specs] == [
        Topic(
            "orders",
            6,
            3,
            {"retention.ms": "604800000", "cleanup.policy": "compact,delete", "x.y": "true"},
        ),
        Topic("audit.v1", 1, None, {}),
    ]
    assert specs[1].origin == "herald.toml: topics[1]"


@pytest.mark.parametrize(
    ("entry", "fragment"),
    [
        ('name = "t"\npartitions = 1\nretention = 1', "topics[0].retention: unknown key"),
        ('name = "t"', "topics[0].partitions: missing"),
        ("partitions = 2", "topics[0].name: missing"),
        ('name = "a b"\npartitions = 1', "topics[0].name: 'a b' is not a Kafka topic name"),
        ('name = ".."\npartitions = 1', "is not a Kafka topic name"),
        ('name = "t"\npartitions = 0', "topics[0].partitions: must be at least 1"),
        ('name = "t"\npartitions = "6"', "topics[0].partitions: expected an integer"),
        ('name = "t"\npartitions = 1\nreplication_factor = 0', "must be at least 1, found 0"),
        ('name = "t"\npartitions = 1\nconfig = { "a" = 1.5 }', "topics[0].config.a: expected"),
    ],
)
def test_invalid_topics_name_file_and_key(tmp_path: Path, entry: str, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, f"[[topics]]\n{entry}\n")
    assert fragment in str(caught.value)
    assert str(caught.value).startswith("herald.toml: ")


def test_a_topic_declared_twice_names_both_entries(tmp_path: Path) -> None:
    entry = '[[topics]]\nname = "orders"\npartitions = 1\n'
    with pytest.raises(ConfigError, match=r"topics\[1\].name: topic 'orders' is already declared"):
        _load(tmp_path, entry + entry)


def _spec(name: str, partitions: int, rf: int | None = 1, **config: str) -> TopicSpec:
    return TopicSpec(Topic(name, partitions, rf, config), f"herald.toml: topics[{name}]")


def test_missing_topics_are_created_and_matching_ones_left_alone() -> None:
    plan = plan_topics(
        [_spec("new", 3), _spec("same", 2, **{"retention.ms": "1000"})],
        {"same": ClusterTopic("same", 2, 1, {"retention.ms": "1000"})},
    )
    assert [(c.kind, c.topic.name) for c in plan.changes] == [("create", "new")]
    assert plan.up_to_date == ("same",)
    assert plan.findings == ()


def test_partitions_grow_and_differing_configs_are_set() -> None:
    plan = plan_topics(
        [_spec("t", 6, **{"retention.ms": "2000", "cleanup.policy": "delete"})],
        {"t": ClusterTopic("t", 2, 1, {"retention.ms": "1000", "cleanup.policy": "delete"})},
    )
    grow, configs = plan.changes
    assert (grow.kind, grow.partitions_now, grow.topic.partitions) == ("partitions", 2, 6)
    assert configs.configs == {"retention.ms": ("1000", "2000")}
    assert grow.line() == "  ~ t: grow partitions 2 -> 6"
    assert configs.line(done=True) == "  ~ t: set retention.ms 1000 -> 2000"


def test_shrinking_and_replication_changes_are_findings_not_changes() -> None:
    plan = plan_topics([_spec("t", 2, rf=3)], {"t": ClusterTopic("t", 4, 1)})
    assert plan.changes == ()
    assert plan.up_to_date == ()
    assert [(f.rule, f.schema_path) for f in plan.findings] == [
        ("TOPIC_PARTITIONS_CANNOT_SHRINK", "topics[t].partitions"),
        ("TOPIC_REPLICATION_FACTOR_CHANGED", "topics[t].replication_factor"),
    ]
    assert plan.findings[0].location.path == "herald.toml"


def test_an_undeclared_replication_factor_accepts_the_clusters() -> None:
    plan = plan_topics([_spec("t", 4, rf=None)], {"t": ClusterTopic("t", 4, 3)})
    assert plan.up_to_date == ("t",)


def test_topic_map_takes_a_mapping_or_topics() -> None:
    orders = Topic("orders", 6, config={"max.message.bytes": "2048"})
    assert topic_map({"orders": orders}) == topic_map([orders]) == {"orders": orders}
    assert orders.max_message_bytes == 2048
    assert Topic("t", 1).max_message_bytes is None
