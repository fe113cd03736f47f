"""DeliveryFuture behaves like a concurrent.futures.Future, with or without waiters."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import FIRST_COMPLETED, Future, wait
from types import SimpleNamespace
from typing import Any

import pytest
from confluent_kafka import KafkaError

from publisher.errors import DeliveryError
from publisher.futures import DeliveryFuture, DeliveryReport, Tally


def fake_msg(topic: str = "t", partition: int = 1, offset: int = 7) -> Any:
    return SimpleNamespace(
        topic=lambda: topic,
        partition=lambda: partition,
        offset=lambda: offset,
        timestamp=lambda: (1, 1234),
    )


def test_resolves_without_a_condition_when_nobody_waits() -> None:
    tally = Tally()
    future = DeliveryFuture(tally)
    future(None, fake_msg())
    assert "_condition" not in future.__dict__
    assert future.result(0) == DeliveryReport("t", 1, 7, 1234)
    assert isinstance(future, Future)
    assert tally.delivered == 1


def test_waiter_in_another_thread_is_woken() -> None:
    future = DeliveryFuture(Tally())
    results: list[DeliveryReport] = []
    waiter = threading.Thread(target=lambda: results.append(future.result(5)))
    waiter.start()
    threading.Event().wait(0.05)
    future(None, fake_msg(offset=9))
    waiter.join(5)
    assert results == [DeliveryReport("t", 1, 9, 1234)]


def test_callbacks_and_wait_work() -> None:
    future = DeliveryFuture(Tally())
    seen: list[Future[DeliveryReport]] = []
    future.add_done_callback(seen.append)
    future(None, fake_msg())
    assert seen == [future]
    done, _ = wait([future, DeliveryFuture(Tally())], timeout=1, return_when=FIRST_COMPLETED)
    assert done == {future}


def test_delivery_error_reaches_the_future_and_the_tally() -> None:
    tally = Tally()
    future = DeliveryFuture(tally)
    future(KafkaError(KafkaError._MSG_TIMED_OUT, "timed out"), fake_msg("orders"))
    with pytest.raises(DeliveryError, match="orders") as info:
        future.result(0)
    assert info.value.kafka_error.code() == KafkaError._MSG_TIMED_OUT
    assert tally.failed == 1


def test_local_failure_is_not_counted_and_first_outcome_wins() -> None:
    tally = Tally()
    future = DeliveryFuture(tally)
    future.fail(RuntimeError("queue full"))
    future(None, fake_msg())
    with pytest.raises(RuntimeError, match="queue full"):
        future.result(0)
    assert (tally.delivered, tally.failed) == (0, 0)


def test_bridges_to_asyncio() -> None:
    async def main() -> DeliveryReport:
        future = DeliveryFuture(Tally())
        loop = asyncio.get_running_loop()
        loop.call_later(
            0.01, lambda: threading.Thread(target=future, args=(None, fake_msg())).start()
        )
        return await asyncio.wait_for(asyncio.wrap_future(future), 5)

    assert asyncio.run(main()).offset == 7


def test_tally_counts_callbacks_from_several_threads_exactly() -> None:
    tally = Tally()

    def resolve(count: int) -> None:
        for _ in range(count):
            DeliveryFuture(tally)(None, fake_msg())

    threads = [threading.Thread(target=resolve, args=(2000,)) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert tally.delivered == 8000


def test_waiters_racing_the_callback_never_hang() -> None:
    for _ in range(300):
        future = DeliveryFuture(Tally())
        got: list[int] = []
        waiter = threading.Thread(target=lambda f=future, out=got: out.append(f.result(5).offset))
        waiter.start()
        future(None, fake_msg(offset=3))
        waiter.join(5)
        assert got == [3]


def test_a_publishers_future_class_counts_into_its_tally_and_reads_the_report_lazily() -> None:
    tally = Tally()
    new_future = DeliveryFuture.counted_by(tally)
    future = new_future()
    assert isinstance(future, DeliveryFuture)
    future(None, fake_msg(offset=9))
    assert future.result(0) == DeliveryReport("t", 1, 9, 1234)
    assert tally.delivered == 1
    assert DeliveryFuture.counted_by(Tally())()._tally is not tally
