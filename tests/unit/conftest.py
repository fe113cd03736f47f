"""Unit-test session hooks: print the hostile-input counts (tests/unit/bad_input.py)."""

from __future__ import annotations

from typing import Any

from tests.unit import bad_input
from tests.unit.http_stub import stubs  # noqa: F401 - a fixture for every unit test


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """After the run, one line per class of hostile input: cases tried and handled cleanly."""
    lines = bad_input.summary()
    if lines:
        terminalreporter.section("bad input")
        for line in lines:
            terminalreporter.write_line(line)
