"""Fixtures shared by the publisher's unit tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.unit.publisher.contract_rules import Publishers


@pytest.fixture
def publishers() -> Iterator[Publishers]:
    """Open publishers with ``publishers.open(client, rules)``; all are closed afterwards."""
    opened = Publishers()
    yield opened
    for publisher in opened.made:
        publisher.close(5)
