"""librdkafka's in-process mock cluster, with topics created at the partition counts asked for.

confluent-kafka starts a mock cluster for any client given ``test.mock.num.brokers``, but its
topics are auto-created with librdkafka's default partition count, and the mock answers no
CreateTopics request. confluent-kafka has no binding for librdkafka's mock API
(``rd_kafka_mock_cluster_new``, ``rd_kafka_mock_topic_create``), so :class:`MockKafka` calls
it through ctypes in the very librdkafka that confluent-kafka loaded. Clients reach the cluster
over real TCP on 127.0.0.1 at :attr:`MockKafka.bootstrap_servers`, speaking the Kafka protocol.
"""

from __future__ import annotations

import ctypes
import gc
from functools import cache
from pathlib import Path
from typing import Any

from publisher.errors import PublisherError

_PRODUCER = 0  # rd_kafka_type_t RD_KAFKA_PRODUCER
_ERRSTR = 512


@cache
def _librdkafka() -> Any:
    """The librdkafka shared library confluent-kafka uses (bundled in its wheel, else system)."""
    import ctypes.util

    import confluent_kafka

    site = Path(confluent_kafka.__file__).resolve().parent
    candidates = [
        *sorted(site.parent.glob("confluent_kafka.libs/librdkafka*")),
        *sorted(site.glob(".dylibs/librdkafka*")),
    ]
    system = ctypes.util.find_library("rdkafka")
    if system:
        candidates.append(Path(system))
    if not candidates:
        raise PublisherError(
            "cannot find the librdkafka library confluent-kafka loaded; install confluent-kafka "
            "from its wheel, or librdkafka where ctypes can find it"
        )
    lib = ctypes.CDLL(str(candidates[0]))
    ptr, text, size = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_size_t
    lib.rd_kafka_conf_new.restype = ptr
    lib.rd_kafka_conf_set.argtypes = [ptr, text, text, text, size]
    lib.rd_kafka_new.restype = ptr
    lib.rd_kafka_new.argtypes = [ctypes.c_int, ptr, text, size]
    lib.rd_kafka_destroy.argtypes = [ptr]
    lib.rd_kafka_mock_cluster_new.restype = ptr
    lib.rd_kafka_mock_cluster_new.argtypes = [ptr, ctypes.c_int]
    lib.rd_kafka_mock_cluster_destroy.argtypes = [ptr]
    lib.rd_kafka_mock_cluster_bootstraps.restype = text
    lib.rd_kafka_mock_cluster_bootstraps.argtypes = [ptr]
    lib.rd_kafka_mock_topic_create.argtypes = [ptr, text, ctypes.c_int, ctypes.c_int]
    return lib


class MockKafka:
    """An in-process Kafka cluster for tests; ``close()`` (or ``with``) shuts it down."""

    def __init__(self, brokers: int = 1) -> None:
        lib = _librdkafka()
        err = ctypes.create_string_buffer(_ERRSTR)
        conf = lib.rd_kafka_conf_new()
        lib.rd_kafka_conf_set(conf, b"log_level", b"0", err, _ERRSTR)
        handle = lib.rd_kafka_new(_PRODUCER, conf, err, _ERRSTR)
        if not handle:
            raise PublisherError(f"librdkafka could not start a mock cluster: {err.value!r}")
        self._lib = lib
        self._handle: Any = handle
        self._cluster: Any = lib.rd_kafka_mock_cluster_new(handle, brokers)
        if not self._cluster:
            lib.rd_kafka_destroy(handle)
            raise PublisherError("librdkafka could not start a mock cluster")
        #: ``bootstrap.servers`` for any client: real TCP on 127.0.0.1.
        self.bootstrap_servers: str = lib.rd_kafka_mock_cluster_bootstraps(self._cluster).decode()
        #: Topics created through :meth:`create_topic`: name -> partitions.
        self.topics: dict[str, int] = {}

    def create_topic(self, name: str, partitions: int = 1, replication_factor: int = 1) -> None:
        """Create a topic with exactly ``partitions`` partitions (before anything uses it)."""
        if self._cluster is None:
            raise PublisherError("the mock cluster is closed")
        code = self._lib.rd_kafka_mock_topic_create(
            self._cluster, name.encode(), partitions, replication_factor
        )
        if code != 0:
            raise PublisherError(
                f"mock cluster refused topic {name!r} ({partitions} partitions, replication "
                f"{replication_factor}): librdkafka error {code}; create it before any client "
                "uses it, with at most as many replicas as brokers"
            )
        self.topics[name] = partitions

    def close(self) -> None:
        """Shut the cluster down; close every client of it first."""
        if self._cluster is None:
            return
        gc.collect()  # clients in reference cycles go before the cluster they talk to
        self._lib.rd_kafka_mock_cluster_destroy(self._cluster)
        self._lib.rd_kafka_destroy(self._handle)
        self._cluster = None

    def __enter__(self) -> MockKafka:
        """Use as a context manager."""
        return self

    def __exit__(self, *exc_info: object) -> None:
        """Close on exit."""
        self.close()
