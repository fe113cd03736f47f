"""The testing kit's parts outside pytest: mock cluster topics, the pre-loaded registry."""

from __future__ import annotations

import pytest
from confluent_kafka import Producer

from publisher.errors import PublisherError
from publisher.testing import GeneratedEvents, MockKafka, preloaded_registry
from tests.unit.publisher.events import avro_event


def test_mock_cluster_creates_topics_with_the_partitions_asked_for() -> None:
    with MockKafka() as cluster:
        cluster.create_topic("lanes", partitions=6)
        producer = Producer({"bootstrap.servers": cluster.bootstrap_servers})
        metadata = producer.list_topics("lanes", timeout=5)
        assert sorted(metadata.topics["lanes"].partitions) == [0, 1, 2, 3, 4, 5]
        producer.produce("lanes", b"x", partition=5)
        assert producer.flush(5) == 0
        del producer


def test_mock_cluster_refuses_a_topic_twice_and_after_close() -> None:
    cluster = MockKafka()
    cluster.create_topic("once", partitions=2)
    with pytest.raises(PublisherError, match="refused topic 'once'"):
        cluster.create_topic("once", partitions=2)
    cluster.close()
    with pytest.raises(PublisherError, match="closed"):
        cluster.create_topic("later")


def test_preloaded_registry_holds_references_then_classes_under_each_subject() -> None:
    cls = avro_event("kit")
    referenced = (("shop.Money", "AVRO", '{"type":"fixed","name":"Money","size":8}', ()),)
    client = preloaded_registry(GeneratedEvents((cls,), referenced))
    subjects = set(client.get_subjects())
    assert subjects == {"shop.Money", cls.BINDINGS[0].subject, cls.FULL_NAME}
    assert client.get_latest_version(cls.FULL_NAME).schema.schema_str == cls.SCHEMA
