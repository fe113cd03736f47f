"""Delivery futures: one per published event, resolved from librdkafka's delivery callback.

:class:`DeliveryFuture` is a real ``concurrent.futures.Future`` (``wait``, ``as_completed``,
``asyncio.wrap_future`` all work) that costs less on the publish path:

- it is its own ``on_delivery`` callable, so no closure is built per message;
- its ``threading.Condition`` is created only when someone waits on it or adds a callback.
  Most futures of a busy publisher are resolved before anyone looks at them, and the
  condition is most of a plain Future's construction cost.

The lazy condition is guarded by one lock per publisher (the "tally", which also counts
deliveries and failures for the metrics): whoever comes first — the resolver or the first
waiter — decides under that lock, so a waiter never misses the notification.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from concurrent.futures._base import FINISHED, PENDING
from typing import Any, NamedTuple

from publisher.errors import DeliveryError


class DeliveryReport(NamedTuple):
    """Where Kafka stored an event: topic, partition, offset and the record timestamp (ms)."""

    topic: str
    partition: int
    offset: int
    timestamp: int


class Tally:
    """Per-publisher counts of Kafka's delivery verdicts, and the lock futures share."""

    __slots__ = ("delivered", "failed", "lock")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.delivered = 0
        self.failed = 0


class DeliveryFuture(Future[DeliveryReport]):
    """Future of one event's delivery; callable as librdkafka's ``on_delivery(err, msg)``."""

    def __init__(self, tally: Tally) -> None:  # a plain Future builds a Condition here
        self._state = PENDING
        self._result = None
        self._exception = None
        self._waiters: list[Any] = []
        self._done_callbacks: list[Any] = []
        self._tally = tally

    def __getattr__(self, name: str) -> Any:
        if name != "_condition":
            raise AttributeError(name)
        with self._tally.lock:
            condition = self.__dict__.get("_condition")
            if condition is None:
                condition = self.__dict__["_condition"] = threading.Condition()
            return condition

    def _settle(
        self, result: DeliveryReport | None, error: BaseException | None, count: bool = True
    ) -> None:
        tally = self._tally
        with tally.lock:
            if self._state != PENDING:
                return
            if count:
                if error is None:
                    tally.delivered += 1
                else:
                    tally.failed += 1
            if "_condition" not in self.__dict__:
                # Nobody waits and no callback is registered: finish without a Condition.
                self._result = result
                self._exception = error
                self._state = FINISHED
                return
        if self.done():
            return
        if error is None:
            self.set_result(result)  # type: ignore[arg-type]
        else:
            self.set_exception(error)

    def fail(self, error: BaseException) -> None:
        """Fail the future locally (buffer full, batch aborted): Kafka never saw the event.

        Local refusals are raised to the caller as well, so they are not counted as failed
        deliveries in the tally.
        """
        self._settle(None, error, count=False)

    def __call__(self, err: Any, msg: Any) -> None:
        """librdkafka delivery callback: resolve with a report, or fail with DeliveryError."""
        if err is None:
            self._settle(
                DeliveryReport(msg.topic(), msg.partition(), msg.offset(), msg.timestamp()[1]),
                None,
            )
        else:
            self._settle(None, DeliveryError(msg.topic() if msg is not None else "?", err))
