"""Transaction error handling: librdkafka's three kinds of failure, each with its own remedy.

- *retriable* (``err.retriable()``): the same call may simply be repeated (commit is retried
  here until the transaction's ``timeout`` is spent, so that timeout bounds the whole commit);
- *abortable* (``err.txn_requires_abort()``): the transaction must be aborted; the caller may
  then run it again → :class:`~publisher.errors.TransactionError` with ``abortable=True``;
- *fatal* (``err.fatal()``), most often fencing: a newer producer with the same
  ``transactional.id`` called ``init_transactions`` → :class:`~publisher.errors.ProducerFenced`.
  The publisher can never send again; the process must stop or build a new one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from confluent_kafka import KafkaError, KafkaException

from publisher.errors import ProducerFenced, PublisherError, TransactionError

#: Error codes that mean "a newer instance owns this transactional.id".
_FENCED_CODES = {
    KafkaError._FENCED,
    KafkaError.PRODUCER_FENCED,
    KafkaError.INVALID_PRODUCER_EPOCH,
    KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED,
}

#: A retried commit needs at least this much of the timeout left to be worth another call.
_MIN_COMMIT_SLICE = 0.5
#: Pause between commit attempts, so an error that comes back at once does not spin.
_RETRY_PAUSE = 0.1


def fatal_error(err: Any) -> PublisherError:
    """The error to raise once librdkafka reported a fatal error for this producer."""
    if isinstance(err, KafkaError) and err.code() in _FENCED_CODES:
        return ProducerFenced(
            f"producer fenced: another instance now owns this transactional.id ({err.str()}); "
            "stop this instance (it must not publish again) or build a new Publisher",
            kafka_error=err,
        )
    return TransactionError(
        f"fatal producer error: {err}; this publisher cannot send anymore, build a new one",
        kafka_error=err,
    )


def classify(exc: KafkaException, operation: str) -> PublisherError:
    """Turn a KafkaException from a transactional call into a publisher error with a remedy."""
    err = exc.args[0] if exc.args else None
    if not isinstance(err, KafkaError):
        return TransactionError(f"{operation} failed: {exc}")
    if err.fatal() or err.code() in _FENCED_CODES:
        return fatal_error(err)
    if err.txn_requires_abort():
        return TransactionError(
            f"{operation} failed and the transaction was aborted ({err.str()}); run the "
            "transaction again",
            abortable=True,
            kafka_error=err,
        )
    return TransactionError(
        f"{operation} failed ({err.str()}); retriable={err.retriable()}",
        kafka_error=err,
    )


def commit(producer: Any, timeout: float, abort: Callable[[float], None]) -> None:
    """Commit within ``timeout`` in all, retrying retriable errors; abort on abortable ones."""
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        try:
            producer.commit_transaction(max(remaining, _MIN_COMMIT_SLICE))
            return
        except KafkaException as exc:
            err = exc.args[0] if exc.args else None
            retriable = isinstance(err, KafkaError) and err.retriable()
            if retriable and deadline - time.monotonic() > _MIN_COMMIT_SLICE + _RETRY_PAUSE:
                time.sleep(_RETRY_PAUSE)
                continue
            error = classify(exc, "commit_transaction")
            if isinstance(error, TransactionError) and error.abortable:
                abort(timeout)
            elif retriable:
                error = TransactionError(
                    f"commit_transaction did not finish within {timeout:g}s ({err}); its "
                    "outcome is unknown until librdkafka completes it: close this Publisher "
                    "and build a new one with the same transactional_id (that settles the "
                    "transaction), then redo the work from the last committed input",
                    kafka_error=err,
                )
            raise error from None
