"""herald's subject names are exactly those of confluent-kafka's own strategy functions."""

from __future__ import annotations

import pytest
from confluent_kafka.schema_registry import (
    record_subject_name_strategy,
    topic_record_subject_name_strategy,
    topic_subject_name_strategy,
)
from confluent_kafka.serialization import MessageField, SerializationContext

from publisher.subjects import subject_for

CONFLUENT = {
    "topic": topic_subject_name_strategy,
    "record": record_subject_name_strategy,
    "topic_record": topic_record_subject_name_strategy,
}
CASES = [
    ("orders", "com.acme.orders.OrderPlaced"),
    ("payments", "acme.payments.v1.PaymentAuthorized"),
    ("acme.events-v2", "Plain"),
    ("t", "a.b.C.Nested"),
]


@pytest.mark.parametrize("strategy", sorted(CONFLUENT))
@pytest.mark.parametrize(("topic", "full_name"), CASES)
@pytest.mark.parametrize("is_key", [False, True])
def test_subject_names_match_confluent_kafka(
    strategy: str, topic: str, full_name: str, is_key: bool
) -> None:
    field = MessageField.KEY if is_key else MessageField.VALUE
    expected = CONFLUENT[strategy](SerializationContext(topic, field), full_name)
    assert subject_for(strategy, topic, full_name, is_key=is_key) == expected  # type: ignore[arg-type]


def test_unknown_strategy_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown subject name strategy 'bogus'"):
        subject_for("bogus", "t", "x")  # type: ignore[arg-type]
