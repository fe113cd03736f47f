"""The publisher's exception family: every error a service can catch derives from one base."""

from __future__ import annotations

from typing import Any


class PublisherError(Exception):
    """Base of every publisher error; messages say what, where and what to do."""

    #: Set by ``Publisher.publish_many`` when it raises: the future of every event of the
    #: call, each resolved or pending delivery, so no event of a failed batch goes unaccounted.
    futures: list[Any] = []  # noqa: RUF012 - read-only default, replaced per instance


class EventValidationError(PublisherError, ValueError):
    """A value given to a generated event class does not fit its schema field."""

    def __init__(self, cls_name: str, field: str, problem: str) -> None:
        super().__init__(f"{cls_name}.{field}: {problem}")
        self.cls_name = cls_name
        self.field = field
        self.problem = problem


class EventDecodeError(PublisherError, ValueError):
    """Bytes could not be decoded as the event class they were meant for."""


class PublisherConfigError(PublisherError, ValueError):
    """The publisher's settings are unknown, malformed or contradict each other."""


class SchemaNotRegisteredError(PublisherError):
    """An event's schema is not in the registry under the subject the publisher looked it up."""


class RegistryUnavailableError(PublisherError):
    """The Schema Registry could not be reached or answered unexpectedly while resolving an id."""


class BufferFull(PublisherError):  # noqa: N818 - the name users grep for, like BufferError
    """librdkafka's local queue stayed full for the whole backpressure wait; nothing was queued.

    ``futures`` holds the future of every event of the call, each one resolved: the events that
    could not be queued carry this error, the ones queued before it resolve on delivery.
    """

    def __init__(self, message: str, futures: list[Any] | None = None) -> None:
        super().__init__(message)
        self.futures: list[Any] = futures or []


class MessageTooLarge(PublisherError, ValueError):  # noqa: N818 - mirrors Kafka's MSG_SIZE_TOO_LARGE
    """An encoded event is larger than the producer or topic allows; it was not sent."""

    def __init__(self, topic: str, size: int, limit: int, setting: str) -> None:
        super().__init__(
            f"event for topic {topic!r} is {size} bytes, over the limit of {limit} bytes set by "
            f"{setting}; raise {setting} (and the broker/topic limits with it) or send smaller "
            "events"
        )
        self.topic = topic
        self.size = size
        self.limit = limit
        self.setting = setting


class DeliveryError(PublisherError):
    """Kafka reported that an event could not be delivered; ``kafka_error`` has the details."""

    def __init__(self, topic: str, kafka_error: Any) -> None:
        super().__init__(f"delivery to topic {topic!r} failed: {kafka_error}")
        self.topic = topic
        self.kafka_error = kafka_error
        self.retriable: bool = bool(kafka_error.retriable()) if kafka_error is not None else False


class TransactionError(PublisherError):
    """A transaction step failed; ``abortable`` says whether aborting and retrying can help."""

    def __init__(self, message: str, *, abortable: bool = False, kafka_error: Any = None) -> None:
        super().__init__(message)
        self.abortable = abortable
        self.kafka_error = kafka_error


class ProducerFenced(TransactionError):  # noqa: N818 - Kafka's own name for the condition
    """A newer producer with the same transactional_id took over; this one can never send again."""


class PublisherClosed(PublisherError):  # noqa: N818 - reads as a state, like Kafka's errors
    """The publisher was closed; build a new one to publish again."""


class UnknownSchemaId(EventDecodeError):  # noqa: N818 - reads as a state
    """A consumed message carries a schema id that no registered event class maps to."""
