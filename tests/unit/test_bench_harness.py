"""The benchmark harness's statistics and round scheduling (no broker; never timing)."""

from __future__ import annotations

import math

import pytest

from benchmarks.bench_publish import Delivered, repeat
from benchmarks.harness import (
    Sample,
    interleave,
    ratio,
    round_order,
    summarize,
    timed,
)


def test_sample_rates_count_only_delivered_messages() -> None:
    sample = Sample(attempted=1_000, delivered=800, payload_bytes=2_000_000, seconds=2.0)
    assert sample.msgs_per_s == 400.0
    assert sample.mb_per_s == 1.0
    assert sample.us_per_msg == 2_500.0
    assert sample.failed == 200


def test_sample_with_nothing_delivered_has_zero_rate_and_infinite_cost() -> None:
    sample = Sample(attempted=10, delivered=0, payload_bytes=0, seconds=1.0)
    assert sample.msgs_per_s == 0.0
    assert math.isinf(sample.us_per_msg)
    assert Sample(1, 1, 1, 0.0).msgs_per_s == 0.0


def _rate(per_s: float, delivered: int = 1_000) -> Sample:
    return Sample(delivered, delivered, delivered * 100, delivered / per_s)


def test_summary_is_median_and_min_max_of_the_round_rates() -> None:
    summary = summarize("p", [_rate(100), _rate(300), _rate(200), _rate(1_000), _rate(50)])
    assert summary.msgs_per_s_median == pytest.approx(200)
    assert summary.msgs_per_s_min == pytest.approx(50)
    assert summary.msgs_per_s_max == pytest.approx(1_000)
    assert summary.us_per_msg_median == pytest.approx(1e6 / 200)
    assert summary.mb_per_s_median == pytest.approx(200 * 100 / 1e6)
    assert summary.delivered == 5_000


def test_summary_median_of_an_even_number_of_rounds_is_the_midpoint() -> None:
    summary = summarize("p", [_rate(100), _rate(400), _rate(200), _rate(300)])
    assert summary.msgs_per_s_median == pytest.approx(250)


def test_summary_of_partial_delivery_uses_the_acknowledged_count() -> None:
    summary = summarize("p", [Sample(1_000, 500, 0, 1.0)])
    assert summary.msgs_per_s_median == 500
    assert summary.attempted == 1_000
    assert summary.delivered == 500


def test_summary_needs_samples() -> None:
    with pytest.raises(ValueError, match="no samples"):
        summarize("empty", [])


def test_path_entry_has_exactly_the_published_keys_as_floats() -> None:
    entry = summarize("p", [_rate(10), _rate(30), _rate(20)]).as_path_entry()
    assert set(entry) == {"msgs_per_s_median", "min", "max"}
    assert all(type(value) is float for value in entry.values())
    assert entry == pytest.approx({"msgs_per_s_median": 20, "min": 10, "max": 30})


def test_ratio_compares_medians_and_has_no_value_without_a_baseline() -> None:
    fast = summarize("fast", [_rate(300)])
    slow = summarize("slow", [_rate(100)])
    assert ratio(fast, slow) == pytest.approx(3.0)
    assert ratio(slow, fast) == pytest.approx(1 / 3)
    assert ratio(fast, None) is None
    assert ratio(fast, summarize("dead", [Sample(5, 0, 0, 1.0)])) is None


def test_round_order_rotates_so_each_path_leads_one_round() -> None:
    names = ["a", "b", "c"]
    orders = [round_order(names, index) for index in range(3)]
    assert orders == [["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"]]
    assert {order[0] for order in orders} == set(names)
    assert round_order(names, -1) == ["c", "a", "b"]
    assert round_order([], 4) == []


def test_interleave_alternates_paths_and_drops_warmup_rounds() -> None:
    calls: list[str] = []

    def path(name: str) -> Sample:
        calls.append(name)
        return _rate(100.0 * (len(calls)))

    result = interleave({"a": lambda: path("a"), "b": lambda: path("b")}, rounds=3, warmup=1)
    assert calls == ["b", "a", "a", "b", "b", "a", "a", "b"]
    assert [len(samples) for samples in result.samples.values()] == [3, 3]
    assert result.errors == {}
    assert set(result.summaries()) == {"a", "b"}


def test_interleave_keeps_measuring_the_other_paths_when_one_fails() -> None:
    seen: list[tuple[str, int]] = []

    def broken() -> Sample:
        raise RuntimeError("broker went away")

    result = interleave(
        {"ok": lambda: _rate(10), "broken": broken},
        rounds=2,
        warmup=0,
        on_sample=lambda name, index, _sample: seen.append((name, index)),
    )
    assert result.errors == {"broken": "RuntimeError: broker went away"}
    assert len(result.samples["ok"]) == 2
    assert result.samples["broken"] == []
    assert set(result.summaries()) == {"ok"}
    assert seen == [("ok", 0), ("ok", 1)]


def test_interleave_needs_a_round() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        interleave({"a": lambda: _rate(1)}, rounds=0)


def test_timed_wraps_the_counts_it_is_given() -> None:
    sample = timed(lambda: (10, 9, 900))
    assert (sample.attempted, sample.delivered, sample.payload_bytes) == (10, 9, 900)
    assert sample.seconds >= 0


def test_delivery_counter_counts_errors_apart() -> None:
    counter = Delivered()
    counter(None, object())
    counter(None, object())
    counter("MSG_TIMED_OUT", object())
    assert (counter.ok, counter.failed) == (2, 1)


def test_repeat_cycles_through_the_same_objects() -> None:
    items = [object(), object(), object()]
    cycled = repeat(items, 7)
    assert len(cycled) == 7
    assert [id(x) for x in cycled] == [id(items[i % 3]) for i in range(7)]
    assert repeat(items, 2) == items[:2]
    with pytest.raises(ValueError, match="nothing"):
        repeat([], 3)
