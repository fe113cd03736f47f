"""Reading and changing topics through confluent-kafka's AdminClient, for ``herald topics``.

:class:`TopicAdmin` reads what :func:`~codegen.topics.plan.plan_topics` compares (partition
counts, replication factors, the declared config keys' values) and applies a plan's changes:
``create_topics``, ``create_partitions`` and ``incremental_alter_configs`` (SET only the
declared keys, so configs set elsewhere stay). A change the broker refuses becomes a
``TOPIC_CHANGE_REFUSED`` finding naming the topic and the broker's reason.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

from confluent_kafka import KafkaException
from confluent_kafka.admin import (  # type: ignore[attr-defined]
    AdminClient,
    AlterConfigOpType,
    ConfigEntry,
    ConfigResource,
    NewPartitions,
    NewTopic,
    ResourceType,
)

from codegen.config import TopicSpec
from codegen.errors import ClusterError
from codegen.findings import Finding, Location
from codegen.topics.plan import ClusterTopic, TopicChange
from publisher.logs import kafka_logger

log = logging.getLogger("herald.topics")

#: How a refused change is named in its finding.
_VERBS = {
    "create": "create topic",
    "partitions": "add partitions to topic",
    "config": "set the configs of topic",
}


def _reason(exc: BaseException) -> str:
    """librdkafka's own sentence for an error, without the KafkaError{...} wrapping."""
    err: Any = exc.args[0] if exc.args else None
    describe = getattr(err, "str", None)
    return str(describe()) if callable(describe) else str(exc)


class TopicAdmin:
    """The cluster side of ``herald topics``: read declared topics, apply changes."""

    def __init__(self, settings: Mapping[str, Any], timeout: float) -> None:
        self.servers = str(settings.get("bootstrap.servers", ""))
        self.timeout = timeout
        conf: dict[str, Any] = {**settings, "logger": kafka_logger()}
        self._admin = AdminClient(conf)

    def read(self, specs: Sequence[TopicSpec]) -> dict[str, ClusterTopic]:
        """The declared topics that exist on the cluster, with the declared keys' values."""
        try:
            metadata = self._admin.list_topics(timeout=self.timeout)
        except KafkaException as exc:
            raise ClusterError(
                f"cannot reach Kafka at {self.servers} within {self.timeout:g}s "
                f"({_reason(exc)}); check KAFKA_BOOTSTRAP_SERVERS (or --bootstrap-servers) and "
                "the HERALD_SECURITY_* / HERALD_SASL_* settings"
            ) from None
        found: dict[str, ClusterTopic] = {}
        resources = {}
        for spec in specs:
            info = metadata.topics.get(spec.topic.name)
            if info is None or info.error is not None or not info.partitions:
                continue
            replicas = len(next(iter(info.partitions.values())).replicas)
            found[spec.topic.name] = ClusterTopic(spec.topic.name, len(info.partitions), replicas)
            resources[spec.topic.name] = ConfigResource(ResourceType.TOPIC, spec.topic.name)
        if not resources:
            return found
        futures = self._admin.describe_configs(
            list(resources.values()), request_timeout=self.timeout
        )
        for spec in specs:
            resource = resources.get(spec.topic.name)
            if resource is None:
                continue
            try:
                entries = futures[resource].result(timeout=self.timeout)
            except KafkaException as exc:
                raise ClusterError(
                    f"Kafka at {self.servers} did not describe topic {spec.topic.name!r}: "
                    f"{_reason(exc)}; the principal needs DescribeConfigs on the topic"
                ) from None
            values = {
                key: entries[key].value
                for key in spec.topic.config
                if key in entries and entries[key].value is not None
            }
            current = found[spec.topic.name]
            found[spec.topic.name] = ClusterTopic(
                current.name, current.partitions, current.replication_factor, values
            )
        return found

    def apply(self, changes: Sequence[TopicChange], origins: Mapping[str, str]) -> list[Finding]:
        """Make every change; returns a finding per change the broker refused."""
        refused: list[Finding] = []
        for change in changes:
            try:
                self._apply(change)
            except KafkaException as exc:
                path, _, key = origins.get(change.topic.name, "").rpartition(": ")
                refused.append(
                    Finding(
                        rule="TOPIC_CHANGE_REFUSED",
                        message=(
                            f"Kafka refused to {_VERBS[change.kind]} {change.topic.name!r}: "
                            f"{_reason(exc)}"
                        ),
                        location=Location(path or "herald.toml"),
                        schema_path=key,
                        hint="fix the declaration (a config name or value) or the ACLs",
                        subject=change.topic.name,
                    )
                )
            else:
                log.info("topic %s: %s", change.topic.name, change.line(done=True).strip())
        return refused

    def _apply(self, change: TopicChange) -> None:
        topic = change.topic
        timeout = self.timeout
        if change.kind == "create":
            new = NewTopic(
                topic.name,
                num_partitions=topic.partitions,
                replication_factor=topic.replication_factor or -1,
                config=dict(topic.config),
            )
            futures = self._admin.create_topics(
                [new], operation_timeout=timeout, request_timeout=timeout
            )
            futures[topic.name].result(timeout=timeout)
            self._await_partitions(topic.name, topic.partitions)
        elif change.kind == "partitions":
            futures = self._admin.create_partitions(
                [NewPartitions(topic.name, topic.partitions)],
                operation_timeout=timeout,
                request_timeout=timeout,
            )
            futures[topic.name].result(timeout=timeout)
            self._await_partitions(topic.name, topic.partitions)
        else:
            entries = [
                ConfigEntry(key, wanted, incremental_operation=AlterConfigOpType.SET)
                for key, (_, wanted) in sorted(change.configs.items())
            ]
            resource = ConfigResource(ResourceType.TOPIC, topic.name, incremental_configs=entries)
            altered = self._admin.incremental_alter_configs([resource], request_timeout=timeout)
            altered[resource].result(timeout=timeout)

    def _await_partitions(self, name: str, partitions: int) -> None:
        """Wait (bounded) until metadata shows the topic with its partitions, as clients will."""
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            info = self._admin.list_topics(name, timeout=self.timeout).topics.get(name)
            if info is not None and info.error is None and len(info.partitions) >= partitions:
                return
            time.sleep(0.1)
        log.warning("topic %s: metadata does not show %d partitions yet", name, partitions)
