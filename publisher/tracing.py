"""OpenTelemetry spans for publish and consume (the ``otel`` extra), chosen once at construction.

A :class:`~publisher.producer.Publisher` asks :func:`publish_tracing` once, when it is built.
Without opentelemetry, with ``tracing=False``, or (by default) while no SDK tracer provider is
set, the answer is None and ``publish`` stays the untraced method: nothing on the hot path
looks at tracing at all. Otherwise the publisher's ``publish`` is replaced by
:meth:`PublishTracing.wrap`'s function, which per event

1. starts a PRODUCER span ``send <topic>`` (child of the current context) with the messaging
   semantic-convention attributes;
2. only when the span is recording, writes its W3C trace context (``traceparent``,
   ``tracestate``) into the record's headers;
3. ends the span when the broker acknowledges, from the delivery callback, adding
   ``messaging.destination.partition.id`` and ``messaging.kafka.offset``, or the error status.

``publish_many`` gets one span per call (``messaging.batch.message_count``), ended when the
whole batch has its verdict; its records carry no trace context.

A :class:`~publisher.consumer.TypedConsumer` does the same with :func:`consume_tracing`: each
record read gets a CONSUMER span ``receive <topic>`` whose parent is the context extracted from
its headers. :func:`extract` gives that context to code that processes the record.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

from publisher.errors import PublisherConfigError
from publisher.event import Event
from publisher.registry import SchemaResolver, default_topic, subject_of

#: Span attribute names (OpenTelemetry messaging semantic conventions, plus herald's two).
SYSTEM = "messaging.system"
DESTINATION = "messaging.destination.name"
OPERATION_TYPE = "messaging.operation.type"
OPERATION_NAME = "messaging.operation.name"
PARTITION = "messaging.destination.partition.id"
OFFSET = "messaging.kafka.offset"
CONSUMER_GROUP = "messaging.consumer.group.name"
BATCH_COUNT = "messaging.batch.message_count"
ERROR_TYPE = "error.type"
SUBJECT = "herald.schema.subject"
SCHEMA_ID = "herald.schema.id"

#: ``tracing=`` as Publisher and TypedConsumer take it: None (on when an SDK provider is set),
#: True, False, or a TracerProvider to use instead of the global one.
TracingSetting = Any


def _tracer(setting: TracingSetting, name: str) -> Any:
    """The tracer to use, or None when tracing is off or opentelemetry is absent."""
    if setting is False:
        return None
    try:
        from opentelemetry import trace
    except ImportError:
        if setting is None:
            return None
        raise PublisherConfigError(
            "tracing needs opentelemetry: pip install 'herald-kafka[otel]' (and "
            "opentelemetry-sdk with an exporter), or pass tracing=False"
        ) from None
    from publisher import __version__

    if setting is None or setting is True:
        provider = trace.get_tracer_provider()
        proxy = isinstance(provider, (trace.ProxyTracerProvider, trace.NoOpTracerProvider))
        if setting is None and proxy:
            return None
    else:
        provider = setting
    return provider.get_tracer(name, __version__)


def error_type(exc: BaseException) -> str:
    """``error.type`` of a failed send: librdkafka's error name if there is one, else the class."""
    kafka_error = getattr(exc, "kafka_error", None)
    name = kafka_error.name() if kafka_error is not None else None
    return name or type(exc).__name__


def _headers_with(headers: Any, carrier: dict[str, str]) -> list[tuple[str, str | bytes | None]]:
    pairs = list(headers.items()) if isinstance(headers, dict) else list(headers or ())
    pairs.extend(carrier.items())
    return pairs


class PublishTracing:
    """The traced ``publish`` of one publisher; see the module docstring."""

    def __init__(self, tracer: Any) -> None:
        from opentelemetry import propagate, trace
        from opentelemetry.trace import SpanKind, Status, StatusCode

        self._tracer = tracer
        self._inject = propagate.inject
        self._in_context = trace.set_span_in_context
        self._kind = SpanKind.PRODUCER
        self._status, self._error_code = Status, StatusCode.ERROR
        #: (class, topic) -> (subject, schema id), once the route has resolved it.
        self._schemas: dict[tuple[type[Event], str], tuple[str, int]] = {}

    def _schema(
        self, resolver: SchemaResolver, cls: type[Event], topic: str
    ) -> tuple[str, int] | None:
        known = self._schemas.get((cls, topic))
        if known is None:
            subject = subject_of(cls, topic)
            schema_id = resolver.cached(cls, subject)
            if schema_id is None:
                return None
            known = self._schemas[(cls, topic)] = (subject, schema_id)
        return known

    def wrap(self, publish: Callable[..., Any], resolver: SchemaResolver) -> Callable[..., Any]:
        """``publish`` with a producer span per event, ended on the broker's acknowledgement."""
        start = self._tracer.start_span
        kind = self._kind
        inject, in_context = self._inject, self._in_context
        status, error_code = self._status, self._error_code
        known = self._schemas

        def error(text: str) -> Any:
            return status(error_code, text)

        def traced(
            event: Event,
            *,
            key: Any = None,
            headers: Any = None,
            topic: str | None = None,
            partition: int | None = None,
            timestamp: int | None = None,
            wait: float | None = None,
        ) -> Any:
            cls = type(event)
            destination = topic or default_topic(cls) or ""
            attributes: dict[str, str | int] = {
                SYSTEM: "kafka",
                DESTINATION: destination,
                OPERATION_TYPE: "send",
                OPERATION_NAME: "send",
            }
            schema = known.get((cls, destination))
            if schema is not None:
                attributes[SUBJECT], attributes[SCHEMA_ID] = schema
            span = start(f"send {destination}", kind=kind, attributes=attributes)
            if span.is_recording():
                carrier: dict[str, str] = {}
                inject(carrier, context=in_context(span))
                headers = _headers_with(headers, carrier)
            try:
                future = publish(
                    event,
                    key=key,
                    headers=headers,
                    topic=topic,
                    partition=partition,
                    timestamp=timestamp,
                    wait=wait,
                )
            except BaseException as exc:
                span.record_exception(exc)
                span.set_status(error(f"{type(exc).__name__}: {exc}"))
                span.set_attribute(ERROR_TYPE, error_type(exc))
                span.end()
                raise
            if schema is None:  # the first event of a route: its id was resolved just now
                schema = self._schema(resolver, cls, destination)
                if schema is not None:
                    span.set_attributes({SUBJECT: schema[0], SCHEMA_ID: schema[1]})

            def delivered(done: Any) -> None:
                failure = done.exception()
                if failure is None:
                    report = done.result()
                    span.set_attributes({PARTITION: str(report.partition), OFFSET: report.offset})
                else:
                    span.record_exception(failure)
                    span.set_status(error(str(failure)))
                    span.set_attribute(ERROR_TYPE, error_type(failure))
                span.end()

            future.add_done_callback(delivered)
            return future

        return traced

    def wrap_many(self, publish_many: Callable[..., Any]) -> Callable[..., Any]:
        """``publish_many`` with one producer span per call, ended when the batch settles."""
        start, kind = self._tracer.start_span, self._kind
        status, error_code = self._status, self._error_code

        def traced(events: Any, *, keys: Any = None, topic: str | None = None) -> Any:
            stream = iter(events)
            attributes: dict[str, Any] = {SYSTEM: "kafka", OPERATION_TYPE: "send"}
            attributes[OPERATION_NAME] = "send"
            if stream is events:  # drawn as it goes: peek at the first, count when it settles
                first = next(stream, None)
                given: Any = stream if first is None else itertools.chain((first,), stream)
            else:
                given = events if isinstance(events, list | tuple) else list(stream)
                first = given[0] if given else None
                attributes[BATCH_COUNT] = len(given)
            destination = topic or (default_topic(type(first)) if first is not None else None)
            attributes[DESTINATION] = destination or ""
            span = start(f"send {destination or ''}", kind=kind, attributes=attributes)
            try:
                batch = publish_many(given, keys=keys, topic=topic)
            except BaseException as exc:
                span.record_exception(exc)
                span.set_status(status(error_code, f"{type(exc).__name__}: {exc}"))
                span.set_attribute(ERROR_TYPE, type(exc).__name__)
                span.end()
                raise

            def settled(done: Any) -> None:
                report = done.report(0)
                if BATCH_COUNT not in attributes:
                    span.set_attribute(BATCH_COUNT, report.delivered + len(report.failures))
                if report.failures:
                    span.set_status(
                        status(error_code, f"{len(report.failures)} event(s) not delivered")
                    )
                    span.set_attribute(ERROR_TYPE, type(report.failures[0].error).__name__)
                span.end()

            batch.add_done_callback(settled)
            return batch

        return traced


def publish_tracing(setting: TracingSetting) -> PublishTracing | None:
    """The publisher's tracing, or None: publish then stays the untraced method."""
    tracer = _tracer(setting, "herald.publisher")
    return None if tracer is None else PublishTracing(tracer)


def _carrier(headers: Sequence[tuple[str, bytes | None]]) -> dict[str, str]:
    return {
        name: value.decode("latin-1")
        for name, value in headers
        if value is not None and name in ("traceparent", "tracestate")
    }


def extract(headers: Sequence[tuple[str, bytes | None]]) -> Any:
    """The OpenTelemetry context a record's headers carry (for spans around processing it)."""
    from opentelemetry import propagate

    return propagate.extract(_carrier(headers))


class ConsumeTracing:
    """The traced decoding of one typed consumer: a CONSUMER span per record it returns."""

    def __init__(self, tracer: Any, group: str) -> None:
        from opentelemetry import propagate
        from opentelemetry.trace import SpanKind

        self._tracer = tracer
        self._group = group
        self._extract = propagate.extract
        self._kind = SpanKind.CONSUMER

    def wrap(self, typed: Callable[[Any], Any]) -> Callable[[Any], Any]:
        """The consumer's record decoding, with a ``receive <topic>`` span under each record's
        context (``poll`` and ``take`` both decode through it)."""
        start = self._tracer.start_span
        extract_context = self._extract
        kind, group = self._kind, self._group

        def traced(raw: Any) -> Any:
            message = typed(raw)
            if message is None:
                return None
            span = start(
                f"receive {message.topic}",
                context=extract_context(_carrier(message.headers)),
                kind=kind,
                attributes={
                    SYSTEM: "kafka",
                    DESTINATION: message.topic,
                    OPERATION_TYPE: "receive",
                    OPERATION_NAME: "receive",
                    CONSUMER_GROUP: group,
                    PARTITION: str(message.partition),
                    OFFSET: message.offset,
                },
            )
            span.end()
            return message

        return traced


def consume_tracing(setting: TracingSetting, group: str) -> ConsumeTracing | None:
    """The consumer's tracing, or None: decoding then stays the untraced method."""
    tracer = _tracer(setting, "herald.consumer")
    return None if tracer is None else ConsumeTracing(tracer, group)
