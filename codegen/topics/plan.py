"""What ``herald topics apply`` would change: the ``[[topics]]`` declarations against the cluster.

:func:`plan_topics` compares each declared topic with what the cluster reports
(:class:`ClusterTopic`) and returns a :class:`TopicPlan`: topics to create, partitions to add,
configs to set, and findings for what Kafka cannot do or herald will not attempt: shrinking a
topic's partitions, and changing its replication factor (a reassignment, left to the operator).
Configs the cluster has and the declaration does not name are left as they are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from codegen.config import TopicSpec
from codegen.findings import Finding, Location
from publisher.topics import Topic

ChangeKind = Literal["create", "partitions", "config"]


@dataclass(frozen=True, slots=True)
class ClusterTopic:
    """A topic as the cluster reports it; ``config`` holds the values of the declared keys."""

    name: str
    partitions: int
    replication_factor: int
    config: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TopicChange:
    """One change to make: create a topic, grow its partitions, or set configs."""

    kind: ChangeKind
    topic: Topic
    #: For ``partitions``: the count now; for ``config``: key -> (value now or None, wanted).
    partitions_now: int = 0
    configs: Mapping[str, tuple[str | None, str]] = field(default_factory=dict)

    def line(self, done: bool = False) -> str:
        """How the plan (or, once ``done``, the apply) shows this change."""
        name = self.topic.name
        if self.kind == "create":
            verb = "created" if done else "create"
            replicas = self.topic.replication_factor or "the broker's default"
            settings = "".join(f", {k}={v}" for k, v in sorted(self.topic.config.items()))
            return (
                f"  + {name}: {verb} with {self.topic.partitions} partitions, replication "
                f"factor {replicas}{settings}"
            )
        if self.kind == "partitions":
            verb = "grew" if done else "grow"
            return f"  ~ {name}: {verb} partitions {self.partitions_now} -> {self.topic.partitions}"
        changes = ", ".join(
            f"{key} {'(unset)' if now is None else now} -> {wanted}"
            for key, (now, wanted) in sorted(self.configs.items())
        )
        return f"  ~ {name}: set {changes}"


@dataclass(frozen=True)
class TopicPlan:
    """Every change the declarations call for, the refusals, and the topics already right."""

    changes: tuple[TopicChange, ...] = ()
    findings: tuple[Finding, ...] = ()
    up_to_date: tuple[str, ...] = ()


def _location(spec: TopicSpec) -> tuple[Location, str]:
    """The config file and the dotted key of a topic entry, from its origin."""
    path, _, key = spec.origin.rpartition(": ")
    return Location(path or spec.origin), key


def _refusals(spec: TopicSpec, actual: ClusterTopic) -> list[Finding]:
    where, key = _location(spec)
    topic = spec.topic
    found = []
    if topic.partitions < actual.partitions:
        found.append(
            Finding(
                rule="TOPIC_PARTITIONS_CANNOT_SHRINK",
                message=(
                    f"Topic {topic.name!r} has {actual.partitions} partitions on the cluster and "
                    f"is declared with {topic.partitions}; Kafka cannot remove partitions."
                ),
                location=where,
                schema_path=f"{key}.partitions",
                hint=f"declare partitions = {actual.partitions}, or create a new topic",
                subject=topic.name,
            )
        )
    wanted = topic.replication_factor
    if wanted is not None and wanted != actual.replication_factor:
        found.append(
            Finding(
                rule="TOPIC_REPLICATION_FACTOR_CHANGED",
                message=(
                    f"Topic {topic.name!r} has replication factor {actual.replication_factor} on "
                    f"the cluster and is declared with {wanted}; herald does not reassign "
                    "replicas."
                ),
                location=where,
                schema_path=f"{key}.replication_factor",
                hint=(
                    "reassign with kafka-reassign-partitions.sh, then declare "
                    f"replication_factor = {actual.replication_factor} until it is done"
                ),
                subject=topic.name,
            )
        )
    return found


def plan_topics(specs: Sequence[TopicSpec], cluster: Mapping[str, ClusterTopic]) -> TopicPlan:
    """Compare each declared topic with the cluster's; see the module docstring."""
    changes: list[TopicChange] = []
    findings: list[Finding] = []
    up_to_date: list[str] = []
    for spec in specs:
        topic = spec.topic
        actual = cluster.get(topic.name)
        if actual is None:
            changes.append(TopicChange("create", topic))
            continue
        findings.extend(_refusals(spec, actual))
        before = len(changes)
        if topic.partitions > actual.partitions:
            changes.append(TopicChange("partitions", topic, partitions_now=actual.partitions))
        differing = {
            key: (actual.config.get(key), value)
            for key, value in topic.config.items()
            if actual.config.get(key) != value
        }
        if differing:
            changes.append(TopicChange("config", topic, configs=differing))
        if len(changes) == before and not any(f.subject == topic.name for f in findings):
            up_to_date.append(topic.name)
    return TopicPlan(tuple(changes), tuple(findings), tuple(up_to_date))
