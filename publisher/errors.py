"""The publisher's exception family: every error a service can catch derives from one base."""

from __future__ import annotations

from typing import Any


class PublisherError(Exception):
    """Base of every publisher error; messages say what, where and what to do."""

    #: Set by ``Publisher.publish`` when it raises after building the event's future: that
    #: future, already failed with this error.
    futures: list[Any] = []  # noqa: RUF012 - read-only default, replaced per instance
    #: Set by ``Publisher.publish_many`` when it raises: the call's ``DeliveryBatch``. Events
    #: queued before the error resolve on delivery; the others are failures with this error.
    batch: Any = None
    #: The librdkafka ``KafkaError`` behind this error, when there is one.
    kafka_error: Any = None


class EventValidationError(PublisherError, ValueError):
    """A value given to a generated event class does not fit its schema field."""

    def __init__(self, cls_name: str, field: str, problem: str) -> None:
        super().__init__(f"{cls_name}.{field}: {problem}")
        self.cls_name = cls_name
        self.field = field
        self.problem = problem


class EventDecodeError(PublisherError, ValueError):
    """Bytes could not be decoded as the event class they were meant for."""

    #: Set by ``TypedConsumer``: the raw ``confluent_kafka.Message`` that failed.
    kafka_message: Any = None


class PublisherConfigError(PublisherError, ValueError):
    """The publisher's settings are unknown, malformed or contradict each other."""


class DataContractError(PublisherError):
    """A subject's data contract has rules this path does not run, and no policy allows that."""


class SchemaNotRegisteredError(PublisherError):
    """An event's schema is not in the registry under the subject the publisher looked it up."""


class RegistryUnavailableError(PublisherError):
    """The Schema Registry could not be reached or answered unexpectedly while resolving an id."""


class BufferFull(PublisherError):  # noqa: N818 - the name users grep for, like BufferError
    """librdkafka's local queue stayed full for the whole backpressure wait; the event was not sent.

    From ``publish``, ``futures`` holds the event's future, failed with this error; from
    ``publish_many``, ``batch`` resolves the events queued before it and reports the rest.
    """


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


class BatchDeliveryError(PublisherError):
    """Some events of a ``publish_many`` call were not delivered; ``report`` names each one."""

    def __init__(self, report: Any, total: int) -> None:
        failures = report.failures
        first = failures[0]
        super().__init__(
            f"{len(failures)} of {total} events of the batch were not delivered (first: event "
            f"#{first.position}: {first.error}); each is in .report.failures with its event, so "
            "they can be published again"
        )
        self.report = report


class TransactionError(PublisherError):
    """A transaction step failed; ``abortable`` says whether aborting and retrying can help."""

    def __init__(self, message: str, *, abortable: bool = False, kafka_error: Any = None) -> None:
        super().__init__(message)
        self.abortable = abortable
        self.kafka_error = kafka_error


class ProducerFenced(TransactionError):  # noqa: N818 - Kafka's own name for the condition
    """A newer producer with the same transactional_id took over; this one can never send again."""


class AuthenticationError(PublisherError):
    """The broker refused the client's SASL credentials; every pending delivery fails with this.

    librdkafka would retry until ``message.timeout.ms``; the publisher stops at the first
    refusal instead, so a wrong password shows within seconds. ``kafka_error`` has the details.
    """

    def __init__(self, message: str, *, kafka_error: Any = None) -> None:
        super().__init__(message)
        self.kafka_error = kafka_error


class PublisherClosed(PublisherError):  # noqa: N818 - reads as a state, like Kafka's errors
    """The publisher was closed; build a new one to publish again."""


class UnknownSchemaId(EventDecodeError):  # noqa: N818 - reads as a state
    """A consumed message carries a schema id that no registered event class maps to."""


class SchemaResolutionError(EventDecodeError):
    """A record's writer schema cannot be read with the consumer's class: a resolution rule breaks.

    ``rule`` is the compatibility engine's rule id (``herald check`` reports the same one).
    """

    def __init__(self, schema_id: int, reader: str, rule: str, detail: str) -> None:
        super().__init__(
            f"writer schema id {schema_id} cannot be read as {reader}: {rule}: {detail}; "
            "read these records with a class generated from a schema that is BACKWARD "
            "compatible with the writer's (`herald check` names the same rule)"
        )
        self.schema_id = schema_id
        self.reader = reader
        self.rule = rule
