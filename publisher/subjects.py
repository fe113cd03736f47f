"""Subject name strategies, giving exactly the subjects confluent-kafka's strategies give.

``herald register`` (build time) and the publisher (run time) must agree on subjects, so both
use these functions. They mirror ``confluent_kafka.schema_registry``'s
``topic_subject_name_strategy``, ``record_subject_name_strategy`` and
``topic_record_subject_name_strategy`` without needing a SerializationContext.
"""

from __future__ import annotations

from collections.abc import Callable

from publisher.event import SubjectStrategy


def topic_subject(topic: str, full_name: str, *, is_key: bool = False) -> str:
    """TopicNameStrategy: ``<topic>-value`` (or ``-key``), one schema per topic."""
    return f"{topic}-{'key' if is_key else 'value'}"


def record_subject(topic: str, full_name: str, *, is_key: bool = False) -> str:
    """RecordNameStrategy: the record's full name, shared by every topic that carries it."""
    return full_name


def topic_record_subject(topic: str, full_name: str, *, is_key: bool = False) -> str:
    """TopicRecordNameStrategy: ``<topic>-<full name>``, several record types per topic."""
    return f"{topic}-{full_name}"


STRATEGIES: dict[SubjectStrategy, Callable[..., str]] = {
    "topic": topic_subject,
    "record": record_subject,
    "topic_record": topic_record_subject,
}


def subject_for(
    strategy: SubjectStrategy, topic: str, full_name: str, *, is_key: bool = False
) -> str:
    """Return the subject a strategy gives for a topic and a record or message full name."""
    try:
        func = STRATEGIES[strategy]
    except KeyError:
        known = ", ".join(STRATEGIES)
        raise ValueError(
            f"unknown subject name strategy {strategy!r}; use one of {known}"
        ) from None
    return func(topic, full_name, is_key=is_key)
