"""Interleaved rounds and their statistics: samples in, medians, spreads and ratios out.

A benchmark registers one callable per path. :func:`interleave` calls them in rounds
(A B C, then B C A, ...), so a slow moment of the shared machine hits every path instead of
one. Each call returns a :class:`Sample` that counts only what the broker acknowledged;
:func:`summarize` turns a path's samples into a :class:`Summary` (median and min/max of the
per-round rates), and :func:`ratio` compares two summaries by their medians.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: Bytes in the megabyte of the MB/s figures (decimal, as network throughput is quoted).
MEGABYTE = 1_000_000


@dataclass(frozen=True, slots=True)
class Sample:
    """One round of one path: what was attempted, what the broker acknowledged, how long."""

    attempted: int
    delivered: int
    payload_bytes: int
    seconds: float

    @property
    def failed(self) -> int:
        """Messages attempted but not acknowledged (errors, or still queued at the timeout)."""
        return self.attempted - self.delivered

    @property
    def msgs_per_s(self) -> float:
        """Acknowledged messages per second of wall time."""
        return self.delivered / self.seconds if self.seconds > 0 else 0.0

    @property
    def mb_per_s(self) -> float:
        """Acknowledged key+value megabytes per second."""
        return self.payload_bytes / MEGABYTE / self.seconds if self.seconds > 0 else 0.0

    @property
    def us_per_msg(self) -> float:
        """Wall-time microseconds per acknowledged message (inf when none was acknowledged)."""
        return self.seconds * 1e6 / self.delivered if self.delivered else float("inf")


@dataclass(frozen=True, slots=True)
class Summary:
    """A path's rounds reduced to what the report prints: medians and the min/max spread."""

    name: str
    rates: tuple[float, ...]
    msgs_per_s_median: float
    msgs_per_s_min: float
    msgs_per_s_max: float
    mb_per_s_median: float
    us_per_msg_median: float
    attempted: int
    delivered: int

    def as_path_entry(self) -> dict[str, float]:
        """The entry of ``latest.json``'s ``paths`` map, in its fixed three-key form."""
        return {
            "msgs_per_s_median": float(self.msgs_per_s_median),
            "min": float(self.msgs_per_s_min),
            "max": float(self.msgs_per_s_max),
        }

    def as_details(self) -> dict[str, Any]:
        """Everything else measured for the path, for ``latest.json``'s details."""
        return {
            "rounds_msgs_per_s": [round(rate, 1) for rate in self.rates],
            "mb_per_s_median": self.mb_per_s_median,
            "us_per_msg_median": self.us_per_msg_median,
            "attempted": self.attempted,
            "delivered": self.delivered,
        }


def summarize(name: str, samples: Sequence[Sample]) -> Summary:
    """Reduce a path's samples; the medians are per round, so one slow round cannot skew them."""
    if not samples:
        raise ValueError(f"path {name!r} has no samples to summarize")
    rates = tuple(sample.msgs_per_s for sample in samples)
    return Summary(
        name=name,
        rates=rates,
        msgs_per_s_median=statistics.median(rates),
        msgs_per_s_min=min(rates),
        msgs_per_s_max=max(rates),
        mb_per_s_median=statistics.median(sample.mb_per_s for sample in samples),
        us_per_msg_median=statistics.median(sample.us_per_msg for sample in samples),
        attempted=sum(sample.attempted for sample in samples),
        delivered=sum(sample.delivered for sample in samples),
    )


def ratio(path: Summary, baseline: Summary | None) -> float | None:
    """Median throughput of ``path`` over ``baseline``'s; None without a usable baseline."""
    if baseline is None or baseline.msgs_per_s_median <= 0:
        return None
    return path.msgs_per_s_median / baseline.msgs_per_s_median


def round_order(names: Sequence[str], round_index: int) -> list[str]:
    """The order of one round: rotated by the round index, so no path always runs first."""
    if not names:
        return []
    shift = round_index % len(names)
    return [*names[shift:], *names[:shift]]


@dataclass
class Interleaved:
    """Samples collected by :func:`interleave`, per path, in round order."""

    samples: dict[str, list[Sample]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def summaries(self) -> dict[str, Summary]:
        """A summary for every path with at least one sample."""
        return {name: summarize(name, found) for name, found in self.samples.items() if found}


def interleave(
    paths: Mapping[str, Callable[[], Sample]],
    rounds: int,
    *,
    warmup: int = 1,
    on_sample: Callable[[str, int, Sample], None] | None = None,
) -> Interleaved:
    """Run every path once per round, rotating the order; warm-up rounds are not recorded.

    A path that raises is dropped from the remaining rounds and its error is kept, so one broken
    path does not cost the others their figures.
    """
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, got {rounds}")
    names = list(paths)
    result = Interleaved(samples={name: [] for name in names})
    for index in range(-warmup, rounds):
        for name in round_order(names, index):
            if name in result.errors:
                continue
            try:
                sample = paths[name]()
            except Exception as exc:
                result.errors[name] = f"{type(exc).__name__}: {exc}"
                continue
            if index >= 0:
                result.samples[name].append(sample)
                if on_sample is not None:
                    on_sample(name, index, sample)
    return result


def timed(run: Callable[[], tuple[int, int, int]]) -> Sample:
    """Time ``run`` (returning attempted, delivered, payload bytes) with a monotonic clock."""
    began = time.perf_counter()
    attempted, delivered, payload = run()
    return Sample(attempted, delivered, payload, time.perf_counter() - began)
