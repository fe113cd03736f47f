"""The testing kit as services use it: pytest loads it through its entry point (pytester)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from codegen.commands.codegen import event_bindings
from codegen.config import load_project
from codegen.generate import generate_files, write_package

pytest_plugins = ["pytester"]

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "tests/fixtures/testing_kit/checkout_example.py"


@pytest.fixture
def service(pytester: pytest.Pytester) -> pytest.Pytester:
    """A service folder: the example contracts' generated package and herald_events set."""
    config, catalog = load_project(str(REPO / "herald.toml"))
    write_package(
        generate_files(catalog, "events", event_bindings(config)), pytester.path / "events"
    )
    pytester.makeini("[pytest]\nherald_events = events\n")
    return pytester


def test_the_readme_example_passes_through_the_plugin(service: pytest.Pytester) -> None:
    shutil.copy(EXAMPLE, service.path / "test_checkout.py")
    result = service.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_readme_shows_the_example_verbatim() -> None:
    readme = (REPO / "README.md").read_text()
    body = EXAMPLE.read_text().strip()
    assert body in readme


def test_reader_returns_what_was_published_in_this_test_only(service: pytest.Pytester) -> None:
    service.makepyfile(
        test_two="""
        import datetime as dt
        from events.acme.payments.v1.money import Money
        from events.acme.payments.v1.payments import (
            PaymentAuthorized, PaymentMethod, PaymentRefunded,
        )

        WHEN = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)

        def test_first(herald_publisher, herald_reader):
            paid = PaymentAuthorized(
                payment_id="p-1", order_id="o-1",
                amount=Money(currency_code="EUR", amount_minor=950),
                method=PaymentMethod.PAYMENT_METHOD_CARD, authorized_at=WHEN,
            )
            back = PaymentRefunded(
                payment_id="p-1", amount=Money(currency_code="EUR", amount_minor=950),
                reason="late", refunded_at=WHEN,
            )
            herald_publisher.publish(paid, key="o-1")
            herald_publisher.publish(back, key="o-1")
            assert herald_reader.events("payments") == [paid, back]

        def test_second_starts_empty(herald_reader):
            assert herald_reader.read("payments") == []

        def test_a_wrong_expectation_fails(herald_publisher, herald_reader):
            refund = PaymentRefunded(
                payment_id="p-2", amount=Money(currency_code="EUR", amount_minor=1),
                reason="x", refunded_at=WHEN,
            )
            herald_publisher.publish(refund, key="o-2")
            [message] = herald_reader.read("payments")
            assert message.key == b"another key"
        """
    )
    result = service.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*assert b'o-2' == b'another key'*"])


def test_without_herald_events_the_fixture_says_what_to_set(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(herald_publisher):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*set `herald_events = <package>`*"])
    assert result.ret != 0
