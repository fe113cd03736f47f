"""The consume benchmark's paths are the three the report names, against one baseline and target."""

from __future__ import annotations

from benchmarks import bench_consume, report


def test_the_consume_paths_share_the_confluent_baseline() -> None:
    assert set(bench_consume.DESCRIPTIONS) == {
        "herald_avro_consume",
        "herald_avro_consume_evolved",
        "confluent_avro_consume",
    }
    assert set(bench_consume.BASELINES.values()) == {"confluent_avro_consume"}


def test_the_evolved_consume_target_is_checked_against_confluent() -> None:
    (target,) = [t for t in report.TARGETS if "consume" in t.name]
    results = {
        "paths": {
            "herald_avro_consume_evolved": {"msgs_per_s_median": 30.0, "min": 1, "max": 1},
            "confluent_avro_consume": {"msgs_per_s_median": 10.0, "min": 1, "max": 1},
        }
    }
    checked = target.check(results)
    assert checked["measured"] == 3.0
    assert checked["met"] is True
