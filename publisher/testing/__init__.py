"""herald's testing kit for services' own tests: a pytest plugin (entry point ``herald``).

Each test that asks for them gets in-process stand-ins that confluent-kafka itself ships:
librdkafka's mock cluster (:class:`MockKafka`, real TCP and the Kafka protocol on 127.0.0.1,
with the ``[[topics]]`` declared in the generated package created at their partition counts)
and a ``mock://`` Schema Registry client pre-loaded with the service's generated classes. The
:func:`herald_publisher` fixture is a real :class:`~publisher.producer.Publisher` wired to
them, and :func:`herald_reader` reads back what was published (events, keys, headers,
partitions) through the same wire bytes and deserializer a service's consumer uses.

Which classes: the ``herald_events`` ini setting names the generated packages
(``herald_events = myservice.events``), or a ``conftest.py`` overrides the
:func:`herald_events` fixture. Nothing here runs unless a test requests a fixture.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from publisher.errors import PublisherError
from publisher.testing.catalog import GeneratedEvents, load_events
from publisher.testing.mock_cluster import MockKafka

__all__ = [
    "GeneratedEvents",
    "MockKafka",
    "PublishedReader",
    "herald_events",
    "herald_kafka",
    "herald_publisher",
    "herald_reader",
    "herald_registry",
    "load_events",
    "preloaded_registry",
]


def __getattr__(name: str) -> Any:
    """Import the librdkafka-backed helpers only when used, so plugin loading stays cheap."""
    if name == "PublishedReader":
        from publisher.testing.reader import PublishedReader

        return PublishedReader
    if name == "preloaded_registry":
        from publisher.testing.registry import preloaded_registry

        return preloaded_registry
    raise AttributeError(f"module 'publisher.testing' has no attribute {name!r}")


def pytest_addoption(parser: pytest.Parser) -> None:
    """Register the ``herald_events`` ini setting."""
    parser.addini(
        "herald_events",
        "generated event packages (module names) the herald fixtures load",
        type="linelist",
        default=[],
    )


@pytest.fixture(scope="session")
def herald_events(pytestconfig: pytest.Config) -> GeneratedEvents:
    """The service's generated classes and referenced schemas, from ``herald_events``."""
    names = pytestconfig.getini("herald_events")
    if not names:
        pytest.fail(
            "herald's fixtures need the generated events: set `herald_events = <package>` in "
            "the pytest ini options, or override the herald_events fixture in conftest.py",
            pytrace=False,
        )
    try:
        return load_events(names)
    except PublisherError as exc:
        pytest.fail(str(exc), pytrace=False)


#: Clusters of finished tests, shut down once pytest has dropped the test's fixture values.
_RETIRED: list[MockKafka] = []


@pytest.fixture
def herald_kafka(herald_events: GeneratedEvents) -> Iterator[MockKafka]:
    """A fresh librdkafka mock cluster for this test, with the declared topics created."""
    cluster = MockKafka()
    for topic in herald_events.topics:
        cluster.create_topic(topic.name, topic.partitions)
    try:
        yield cluster
    finally:
        # Closed clients still hold librdkafka handles until collected, and would log failed
        # reconnects to a cluster destroyed under them; pytest lets go of them only after
        # teardown, so the cluster goes in pytest_runtest_logfinish.
        _RETIRED.append(cluster)


def pytest_runtest_logfinish() -> None:
    """Shut down the mock clusters of the test that just finished."""
    while _RETIRED:
        _RETIRED.pop().close()


def pytest_sessionfinish() -> None:
    """Shut down any mock cluster left (a test interrupted before its log finished)."""
    pytest_runtest_logfinish()


@pytest.fixture
def herald_registry(herald_events: GeneratedEvents) -> Any:
    """A ``mock://`` registry client holding every schema of the generated classes."""
    from publisher.testing.registry import preloaded_registry

    return preloaded_registry(herald_events)


@pytest.fixture
def herald_publisher(
    herald_kafka: MockKafka, herald_registry: Any, herald_events: GeneratedEvents
) -> Iterator[Any]:
    """A Publisher on the mock cluster and registry; closed (and flushed) after the test."""
    from publisher.producer import Publisher

    publisher = Publisher(
        herald_kafka.bootstrap_servers,
        registry_client=herald_registry,
        auto_register=True,
        # The mock cluster answers no DescribeConfigs: limits come from the declarations.
        check_topic_limits=False,
        topics=herald_events.topics,
    )
    try:
        yield publisher
    finally:
        publisher.close(5)


@pytest.fixture
def herald_reader(
    herald_kafka: MockKafka,
    herald_events: GeneratedEvents,
    herald_publisher: Any,
) -> Any:
    """Reads back what ``herald_publisher`` published, flushing it first."""
    from publisher.testing.reader import PublishedReader

    return PublishedReader(
        herald_kafka.bootstrap_servers,
        herald_events.classes,
        herald_publisher.resolver,
        flush=herald_publisher.flush,
    )
