"""Delivery futures, resolved from librdkafka's delivery callback.

:class:`DeliveryFuture` (one per ``publish``) is a real ``concurrent.futures.Future`` (``wait``,
``as_completed``, ``asyncio.wrap_future`` all work) that costs less on the publish path:

- it is its own ``on_delivery`` callable, so no closure is built per message;
- it is built by a C-level ``__init__`` and resolved with a single store of the Message;
- its ``threading.Condition`` and waiter/callback lists are created only when someone waits
  on it or adds a callback. Most futures of a busy publisher are resolved and dropped without
  anyone looking (measured: a plain Future and ``set_result`` 4.4 µs; this one created and
  resolved 0.28 µs).

:class:`DeliveryBatch` (one per ``publish_many``) is a single future for the whole call.

Resolving without a lock stays correct because of the order of the two steps: the callback
first marks the future finished, then looks for a condition; a waiter first creates the
condition, then (holding it) checks the state. Either the waiter sees "finished", or the
callback sees the condition and notifies under it.
"""

from __future__ import annotations

import bisect
import itertools
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures._base import FINISHED, PENDING
from operator import itemgetter
from typing import Any, NamedTuple

from publisher.errors import BatchDeliveryError, DeliveryError


def detached(error: BaseException) -> BaseException:
    """A twin of ``error`` without its traceback, cause or context, for a future to keep.

    The error is also raised to the caller, and a raised exception holds every frame it
    passed through (and their locals): 200,000 futures failed by BufferFull held 477 MB that
    way. The twin has the same class, arguments and attributes, minus the back-references
    (``futures``, ``batch``) that would tie the future to itself.
    """
    twin = type(error).__new__(type(error), *error.args)
    state = {k: v for k, v in vars(error).items() if k not in ("futures", "batch")}
    twin.__dict__.update(state)
    return twin


class DeliveryReport(NamedTuple):
    """Where Kafka stored an event: topic, partition, offset and the record timestamp (ms)."""

    topic: str
    partition: int
    offset: int
    timestamp: int


class Tally:
    """Per-publisher counts of Kafka's delivery verdicts, exact without a lock.

    Delivery callbacks run on whichever thread polls (the poll thread, or a caller of
    ``flush``). ``next()`` on an ``itertools.count`` is a single C call, so concurrent
    callbacks never lose an increment; the value is read back from the counter's repr.
    """

    __slots__ = ("_delivered", "_failed", "cause", "lock")

    def __init__(self) -> None:
        self.lock = threading.Lock()
        #: Set when the publisher fails every pending delivery for one reason (refused
        #: credentials): the error those deliveries fail with, instead of librdkafka's "purged".
        self.cause: BaseException | None = None
        self._delivered = itertools.count()
        self._failed = itertools.count()

    @staticmethod
    def _read(counter: itertools.count[int]) -> int:
        return int(repr(counter)[len("count(") : -1])

    @property
    def delivered(self) -> int:
        """Events Kafka acknowledged."""
        return self._read(self._delivered)

    @property
    def failed(self) -> int:
        """Events whose delivery Kafka reported as failed (including purged at close)."""
        return self._read(self._failed)


#: Future internals created only when a waiter or callback needs them.
_LAZY: dict[str, Any] = {
    "_condition": threading.Condition,
    "_waiters": list,
    "_done_callbacks": list,
}


#: ``tuple.__new__``: builds a DeliveryReport without NamedTuple's Python-level ``__new__``.
_new_tuple = tuple.__new__


class DeliveryFuture(Future[DeliveryReport]):
    """Future of one event's delivery; callable as librdkafka's ``on_delivery(err, msg)``."""

    # Class-level defaults: a new future stores only ``_tally`` until it is resolved, and
    # never materializes an instance ``__dict__`` (attribute access only, no ``vars()``).
    _state = PENDING
    _exception: BaseException | None = None
    #: librdkafka's Message for a delivered event; the report is read from it only when
    #: ``result()`` asks (one store per delivery instead of four calls and four stores). It
    #: keeps the framed bytes alive as long as the future: a future held is a few hundred bytes.
    _msg: Any = None
    #: A result set through ``Future.set_result`` (not used by the publisher itself).
    _given: Any = None
    #: Set once a waiter or callback created the lazy internals: resolving must then notify.
    _watched = False

    def __init__(self, tally: Tally) -> None:  # a plain Future builds a Condition and 2 lists
        self._tally = tally

    @classmethod
    def counted_by(cls, tally: Tally) -> Callable[[], DeliveryFuture]:
        """A subclass whose futures count into ``tally`` and are built without a Python __init__.

        ``object.__init__`` in the class body makes instantiation a C call, and the tally is a
        class attribute: a publisher makes one such class and builds every future from it.
        """
        counted: Callable[[], DeliveryFuture] = type(
            "DeliveryFuture",
            (cls,),
            {"__init__": object.__init__, "_tally": tally, "__module__": cls.__module__},
        )
        return counted

    def __getattr__(self, name: str) -> Any:
        """Create the condition and the waiter/callback lists on first use, under one lock."""
        factory = _LAZY.get(name)
        if factory is None:
            raise AttributeError(name)
        with self._tally.lock:
            try:
                return object.__getattribute__(self, name)
            except AttributeError:
                value = factory()
                setattr(self, name, value)
                self._watched = True
                return value

    @property
    def _result(self) -> Any:
        """The DeliveryReport, built from the stored values (Future.result reads this)."""
        msg = self._msg
        if msg is None:
            return self._given
        return _new_tuple(
            DeliveryReport, (msg.topic(), msg.partition(), msg.offset(), msg.timestamp()[1])
        )

    @_result.setter
    def _result(self, value: Any) -> None:
        self._given = value

    def _finish(self) -> None:
        """Second step of resolving, once someone watches: wake waiters and run callbacks."""
        condition = self._condition
        with condition:
            for waiter in self._waiters:
                if self._exception is None:
                    waiter.add_result(self)
                else:
                    waiter.add_exception(self)
            condition.notify_all()
        self._invoke_callbacks()

    def fail(self, error: BaseException) -> None:
        """Fail the future locally (buffer full, batch aborted): Kafka never saw the event.

        Local refusals are raised to the caller as well, so they are not counted as failed
        deliveries in the tally.
        """
        if self._state != PENDING:
            return
        self._exception = detached(error)
        self._state = FINISHED
        if self._watched:
            self._finish()

    def __call__(self, err: Any, msg: Any) -> None:
        """librdkafka delivery callback: resolve with a report, or fail with DeliveryError."""
        if self._state != PENDING:
            return
        if err is None:
            self._msg = msg
            next(self._tally._delivered)
        else:
            cause = self._tally.cause
            topic = msg.topic() if msg is not None else "?"
            self._exception = cause if cause is not None else DeliveryError(topic, err)
            next(self._tally._failed)
        self._state = FINISHED
        if self._watched:
            self._finish()


#: The first position of a ``DeliveryBatch.classes`` entry, for bisecting.
_first = itemgetter(0)


class FailedEvent(NamedTuple):
    """One event of a ``publish_many`` call that Kafka does not have: where it was, and why."""

    position: int
    #: The caller's event when it was never sent; for a refused delivery, an equal event
    #: rebuilt from the bytes Kafka refused (the batch keeps no reference to the caller's).
    event: Any
    error: BaseException


class BatchReport(NamedTuple):
    """What became of a ``publish_many`` call: events Kafka acknowledged, and the others."""

    delivered: int
    failures: tuple[FailedEvent, ...]


class DeliveryBatch(Future[BatchReport]):
    """One future for a whole ``publish_many`` call, resolved once every event has a verdict.

    Its ``result()`` is a :class:`BatchReport` when Kafka acknowledged every event, and raises
    :class:`~publisher.errors.BatchDeliveryError` (carrying the report) when any did not;
    :meth:`report` returns the report either way.

    Every message of the batch shares one delivery callback, a bound method made once: no
    per-event future or closure is created. Nor does the batch keep the caller's events: held
    until the batch settles, every event (and its nested records and lists) stayed alive for the
    garbage collector to walk, batch after batch in flight. What it keeps per event is its framed
    value and key (bytes, which the collector does not track) in queue order, and the event class
    at each position where the class changes. A refused message is matched to its position by
    (value, key), and its event is rebuilt from those bytes with the class's ``decode``: the
    constructor already reduced every value to what the wire keeps, so the rebuilt event equals
    the one published. Events whose bytes went through a data contract (rules may transform
    them) are the exception: those events are kept (:attr:`kept`) to be reported as they are.

    Completion is counted without a lock: each delivery takes a ticket from an
    ``itertools.count`` (one atomic C call) and so does :meth:`seal`, called once when the
    publishing loop stops. Exactly one of them draws ticket number ``queued`` — the last of
    the ``queued + 1`` — and settles the batch, whichever thread it runs on.
    """

    def __init__(self, tally: Tally) -> None:
        super().__init__()
        self._total = 0
        #: Framed values and keys in queue order, to find the position of a failed delivery.
        self.values: list[bytes] = []
        self.keys: list[bytes | None] = []
        #: ``(first position, event class, wire header length)`` wherever the class changes in
        #: queue order: what rebuilds a refused event from its bytes.
        self.classes: list[tuple[int, type[Any], int]] = []
        #: Position -> event, for events whose bytes cannot be decoded back (data contracts).
        self.kept: dict[int, Any] = {}
        #: The event a stream had yielded when the loop stopped, if it was not queued.
        self.drawn: list[Any] = []
        self._tickets = itertools.count()
        self._last = -1
        self._queued = 0
        self._refused: list[tuple[Any, str, bytes | None, bytes | None]] = []
        self._local: list[FailedEvent] = []
        self._tally = tally
        self._delivered = tally._delivered.__next__
        self._failed = tally._failed.__next__
        #: The ``on_delivery`` callable of every message of the batch.
        self.on_delivery = self._on_delivery

    def _on_delivery(self, err: Any, msg: Any) -> None:
        if err is None:
            self._delivered()
        else:
            self._refused.append((err, msg.topic(), msg.value(), msg.key()))
            self._failed()
        if next(self._tickets) == self._last:
            self._settle()

    def seal(
        self, queued: int, error: BaseException | None = None, unsent: Sequence[Any] = ()
    ) -> None:
        """Close the batch after ``queued`` events went to librdkafka; the ``unsent`` ones failed.

        ``unsent`` are the caller's events past ``queued``, never sent: they are reported with
        ``error`` (the reason the loop stopped), so no event of the call goes unaccounted.
        """
        if error is not None:
            error = detached(error)
            self._local = [FailedEvent(queued + i, e, error) for i, e in enumerate(unsent)]
        self._total = queued + len(self._local)
        self._queued = queued
        self._last = queued
        if next(self._tickets) == queued:
            self._settle()

    def _settle(self) -> None:
        failures = self._local + self._trace(self._refused)
        failures.sort(key=lambda failed: failed.position)
        report = BatchReport(self._queued - len(self._refused), tuple(failures))
        # Settled: what was kept to trace failures is no longer needed by a batch still held.
        self.values = []
        self.keys = []
        self.classes = []
        self.kept = {}
        self.drawn = []
        self._local = []
        if failures:
            self.set_exception(BatchDeliveryError(report, self._total))
        else:
            self.set_result(report)

    def _trace(
        self, refused: list[tuple[Any, str, bytes | None, bytes | None]]
    ) -> list[FailedEvent]:
        """Match each refused message to its position by (value, key), earliest unclaimed first."""
        if not refused:
            return []
        positions: dict[tuple[bytes | None, bytes | None], list[int]] = {}
        for index, pair in enumerate(zip(self.values, self.keys, strict=False)):
            positions.setdefault(pair, []).append(index)
        failed: list[FailedEvent] = []
        for err, topic, value, key in refused:
            claim = positions.get((value, key))
            index = claim.pop(0) if claim else -1
            cause = self._tally.cause
            error = cause or DeliveryError(topic, err)
            failed.append(FailedEvent(index, self._event_at(index, value), error))
        return failed

    def _event_at(self, index: int, value: bytes | None) -> Any:
        """The event queued at ``index``: the caller's when kept, else rebuilt from its bytes."""
        if index < 0:
            return None
        if index in self.kept:
            return self.kept[index]
        run = bisect.bisect_right(self.classes, index, key=_first) - 1
        if run < 0 or value is None:
            return None
        _, cls, header = self.classes[run]
        try:
            return cls.decode(value[header:])
        except Exception:  # settling runs in a delivery callback, which must never raise
            return None  # a class whose decode() cannot read its own encode(): position only

    def report(self, timeout: float | None = None) -> BatchReport:
        """Wait for the batch and return its report, failed events included, without raising."""
        try:
            return self.result(timeout)
        except BatchDeliveryError as exc:
            report: BatchReport = exc.report
            return report
