"""Counts of hostile-input cases per class, printed at the end of the run for the README.

Each hostile-input test calls :func:`tried` before it feeds its case and :func:`handled` once
the outcome was the promised one (working code, or a clean refusal), so a failure shows up as
a gap between the two counts.
"""

from __future__ import annotations

from collections import Counter

TRIED: Counter[str] = Counter()
HANDLED: Counter[str] = Counter()


def tried(kind: str, count: int = 1) -> None:
    """Note ``count`` cases of ``kind`` about to be fed to herald."""
    TRIED[kind] += count


def handled(kind: str, count: int = 1) -> None:
    """Note ``count`` cases of ``kind`` that got working output or a clean refusal."""
    HANDLED[kind] += count


def summary() -> list[str]:
    """One line per class: cases tried and handled cleanly."""
    return [
        f"{kind}: {TRIED[kind]} tried, {HANDLED[kind]} handled cleanly" for kind in sorted(TRIED)
    ]
