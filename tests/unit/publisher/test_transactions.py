"""Transaction errors are sorted into retriable, abortable and fatal (fenced) with remedies."""

from __future__ import annotations

import time
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException

from publisher.errors import ProducerFenced, TransactionError
from publisher.transactions import classify, commit


def exc(code: int, **flags: bool) -> KafkaException:
    return KafkaException(KafkaError(code, "reason", **flags))


def test_fencing_is_a_clear_fatal_error() -> None:
    error = classify(exc(KafkaError._FENCED, fatal=True), "commit_transaction")
    assert isinstance(error, ProducerFenced)
    assert "another instance now owns this transactional.id" in str(error)
    assert error.abortable is False


def test_abortable_error_says_run_again() -> None:
    error = classify(exc(KafkaError._STATE, txn_requires_abort=True), "commit_transaction")
    assert isinstance(error, TransactionError)
    assert error.abortable is True
    assert "run the transaction again" in str(error)


class FakeProducer:
    def __init__(self, failures: list[KafkaException]) -> None:
        self.failures = failures
        self.commits = 0

    def commit_transaction(self, timeout: float) -> None:
        self.commits += 1
        if self.failures:
            raise self.failures.pop(0)


def test_commit_retries_retriable_errors() -> None:
    producer = FakeProducer([exc(KafkaError._TIMED_OUT, retriable=True)])
    commit(producer, 1.0, lambda t: None)
    assert producer.commits == 2


def test_commit_aborts_on_abortable_errors() -> None:
    aborted: list[Any] = []
    producer = FakeProducer([exc(KafkaError._STATE, txn_requires_abort=True)])
    with pytest.raises(TransactionError) as info:
        commit(producer, 1.0, aborted.append)
    assert info.value.abortable
    assert aborted == [1.0]


def test_commit_does_not_abort_a_fenced_producer() -> None:
    aborted: list[Any] = []
    producer = FakeProducer([exc(KafkaError.PRODUCER_FENCED, fatal=True)])
    with pytest.raises(ProducerFenced):
        commit(producer, 1.0, aborted.append)
    assert aborted == []


class SlowCoordinator:
    """A commit that times out every call, each call taking the timeout it is given."""

    def __init__(self) -> None:
        self.timeouts: list[float] = []

    def commit_transaction(self, timeout: float) -> None:
        self.timeouts.append(timeout)
        time.sleep(min(timeout, 0.3))
        raise exc(KafkaError._TIMED_OUT, retriable=True)


def test_the_timeout_bounds_the_whole_commit_and_the_error_says_what_to_do() -> None:
    producer = SlowCoordinator()
    started = time.monotonic()
    with pytest.raises(TransactionError) as info:
        commit(producer, 1.0, lambda t: None)
    took = time.monotonic() - started
    assert took < 3.0, f"a 1 s commit timeout took {took:.1f}s"
    assert len(producer.timeouts) >= 2, "a retriable timeout is retried while time is left"
    assert all(t <= 1.0 for t in producer.timeouts)
    assert not info.value.abortable
    assert "did not finish within 1s" in str(info.value)
    assert "build a new one with the same transactional_id" in str(info.value)
