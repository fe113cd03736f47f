"""The benchmark report: latest.json's shape, target checks, child output parsing, workload."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import fastavro
import pytest

from benchmarks import workload
from benchmarks.bench_publish import BASELINES, DESCRIPTIONS
from benchmarks.harness import Sample, Summary, summarize
from benchmarks.report import (
    build_results,
    parse_figures,
    parse_seconds_table,
    render_markdown,
    write_chart,
)

PATH_NAMES = {
    "raw",
    "herald_avro_e2e",
    "herald_avro_batch_e2e",
    "herald_avro_stream_e2e",
    "herald_avro_from_dict_e2e",
    "confluent_avro_e2e",
    "herald_protobuf_e2e",
    "confluent_protobuf_e2e",
    "herald_avro",
    "herald_avro_batch",
    "confluent_avro",
    "confluent_avro_serializing_producer",
    "herald_protobuf",
    "confluent_protobuf",
    "preset_safe",
    "preset_throughput",
    "preset_no_batching",
    "herald_avro_tracing_absent",
    "herald_avro_tracing_off",
    "herald_avro_tracing_on",
}


def _summaries(rates: dict[str, float]) -> dict[str, Summary]:
    return {
        name: summarize(
            name, [Sample(1_000, 1_000, 150_000, 1_000 / (rate * f)) for f in (0.9, 1, 1.1)]
        )
        for name, rate in rates.items()
    }


RATES = {
    "raw": 500_000.0,
    "herald_avro_e2e": 110_000.0,
    "herald_avro_batch_e2e": 130_000.0,
    "herald_avro_stream_e2e": 150_000.0,
    "herald_avro_from_dict_e2e": 90_000.0,
    "confluent_avro_e2e": 55_000.0,
    "herald_protobuf_e2e": 140_000.0,
    "confluent_protobuf_e2e": 100_000.0,
    "herald_avro": 150_000.0,
    "herald_avro_batch": 240_000.0,
    "confluent_avro": 60_000.0,
    "confluent_avro_serializing_producer": 55_000.0,
    "herald_protobuf": 200_000.0,
    "confluent_protobuf": 150_000.0,
    "preset_safe": 150_000.0,
    "preset_throughput": 160_000.0,
    "preset_no_batching": 8_000.0,
    "herald_avro_tracing_absent": 150_000.0,
    "herald_avro_tracing_off": 150_000.0,
    "herald_avro_tracing_on": 40_000.0,
}


def _results(**sections: Any) -> dict[str, Any]:
    return build_results(
        _summaries(RATES),
        descriptions=DESCRIPTIONS,
        baselines=BASELINES,
        sections=sections,
        run={"events_per_round": 1_000, "rounds": 3},
    )


def test_every_path_name_is_described_and_has_a_baseline() -> None:
    assert set(DESCRIPTIONS) == PATH_NAMES
    assert set(BASELINES) == PATH_NAMES
    assert set(BASELINES.values()) <= PATH_NAMES


def test_latest_json_paths_have_the_fixed_form() -> None:
    results = json.loads(json.dumps(_results()))
    assert set(results["paths"]) == PATH_NAMES
    for entry in results["paths"].values():
        assert set(entry) == {"msgs_per_s_median", "min", "max"}
        assert all(isinstance(value, float) for value in entry.values())
        assert entry["min"] <= entry["msgs_per_s_median"] <= entry["max"]
    assert results["paths"]["confluent_avro"]["msgs_per_s_median"] == pytest.approx(60_000)


def test_details_carry_ratios_to_raw_and_to_the_baseline() -> None:
    details = _results()["path_details"]
    herald = details["herald_avro"]
    assert herald["ratio_to_raw"] == pytest.approx(0.3)
    assert herald["baseline"] == "confluent_avro"
    assert herald["ratio_to_baseline"] == pytest.approx(2.5)
    assert details["herald_protobuf"]["ratio_to_baseline"] == pytest.approx(200 / 150, abs=1e-3)


def test_unmeasured_paths_are_left_out_of_paths_and_listed_as_skipped() -> None:
    summaries = _summaries({"raw": 10.0, "confluent_avro": 5.0})
    results = build_results(
        summaries,
        descriptions=DESCRIPTIONS,
        baselines=BASELINES,
        skipped={"herald_avro": "codegen failed"},
    )
    assert set(results["paths"]) == {"raw", "confluent_avro"}
    assert results["skipped"] == {"herald_avro": "codegen failed"}
    assert "not measured: codegen failed" in render_markdown(results)


def _target(results: dict[str, Any], prefix: str) -> dict[str, Any]:
    found: dict[str, Any] = next(t for t in results["targets"] if t["name"].startswith(prefix))
    return found


def test_targets_report_met_missed_and_not_measured() -> None:
    results = _results(rss={"status": "ok", "growth_mb": 180.0})
    assert _target(results, "(b)")["met"] is True
    assert _target(results, "(b)")["measured"] == pytest.approx(2.5)
    assert _target(results, "(c)")["met"] is True
    assert _target(results, "(f)")["met"] is False
    assert _target(results, "(h)")["measured"] == pytest.approx(20.0)
    assert _target(results, "peak RSS")["met"] is False
    assert _target(results, "herald codegen")["met"] is None
    assert _target(results, "e2e herald_avro_e2e")["measured"] == pytest.approx(2.0)
    assert _target(results, "e2e herald_avro_e2e")["met"] is True
    assert _target(results, "e2e herald_avro_batch_e2e")["met"] is False
    assert _target(results, "e2e herald_protobuf_e2e")["measured"] == pytest.approx(1.4)
    assert _target(results, "e2e herald_protobuf_e2e")["met"] is False


CODEGEN_OUTPUT = """herald codegen on 1000 schemas -> 61 files
  load catalog          1.16 s
  generate + format     2.43 s
  total                 3.63 s (target < 5 s)
"""

DIFF_OUTPUT = """herald diff engine: 1000 schema pairs per path, median of 3 rounds
path                seconds   pairs/s  incompatible
avro-api              0.512      1953           500
avro-folders          1.250       800           500
protobuf-folders      2.500       400           500
avro-folders / avro-api time ratio: 2.44
"""

REGISTRY_OUTPUT = """herald check, 200 subjects, 8 workers (median of 3)  4.20 s
herald register, 200 subjects, 8 workers (first run)  6.00 s
herald check, 200 subjects, 1 worker (median of 3)  12.50 s
check speed-up, 8 workers vs 1  2.98 x
"""


def test_child_outputs_feed_the_duration_targets() -> None:
    codegen = {"status": "ok", **parse_figures(CODEGEN_OUTPUT)}
    diff = {"status": "ok", "figures": parse_seconds_table(DIFF_OUTPUT)}
    registry = {"status": "ok", **parse_figures(REGISTRY_OUTPUT)}
    results = _results(codegen=codegen, diff=diff, registry=registry)
    assert _target(results, "herald codegen")["measured"] == pytest.approx(3.63)
    assert _target(results, "herald codegen")["met"] is True
    assert _target(results, "herald diff")["measured"] == pytest.approx(2.5)
    assert _target(results, "herald diff")["met"] is False
    assert _target(results, "herald check")["measured"] == pytest.approx(4.2)
    assert _target(results, "herald check")["met"] is True


def test_seconds_table_reads_rows_and_skips_prose() -> None:
    figures = parse_seconds_table(DIFF_OUTPUT)
    assert figures == {
        "avro-api": {"value": 0.512, "unit": "s"},
        "avro-folders": {"value": 1.25, "unit": "s"},
        "protobuf-folders": {"value": 2.5, "unit": "s"},
    }


ENCODE_OUTPUT = """encode of a 9-field order record (132 bytes), 7 interleaved rounds x 20000 calls
  generated obj.encode()         3.38 µs/msg (range 3.31-5.57)
  fastavro.schemaless_writer     7.35 µs/msg (range 7.22-9.50)
  speed-up of the generated encoder over fastavro: 2.17x
"""


def test_parse_figures_reads_labelled_numbers() -> None:
    figures = parse_figures(ENCODE_OUTPUT)["figures"]
    assert figures["generated obj.encode()"] == {"value": 3.38, "unit": "µs/msg"}
    assert figures["fastavro.schemaless_writer"] == {"value": 7.35, "unit": "µs/msg"}
    assert figures["speed-up of the generated encoder over fastavro"]["value"] == 2.17
    assert not any(label.startswith("encode of") for label in figures)


def test_parse_figures_prefers_a_json_line_and_finds_its_durations() -> None:
    output = 'warming up\n{"codegen": {"schemas_1000_s": 4.1, "files": 12}, "diff_ms": 900}\n'
    parsed = parse_figures(output)
    assert parsed["json"]["diff_ms"] == 900
    assert parsed["figures"] == {
        "codegen.schemas_1000_s": {"value": 4.1, "unit": "s"},
        "diff_ms": {"value": 900.0, "unit": "ms"},
    }


def test_markdown_has_a_row_per_path_and_the_targets() -> None:
    text = render_markdown(_results())
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    assert len(rows) == len(PATH_NAMES)
    assert "| `herald_avro` |" in text
    assert "2.50x (`confluent_avro`)" in text
    assert "## Targets" in text


def test_chart_is_written_as_png(tmp_path: Path) -> None:
    target = tmp_path / "chart.png"
    assert write_chart(_results(), target)
    assert target.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not write_chart({"paths": {}}, tmp_path / "none.png")


def test_inlined_order_schema_encodes_the_workload_records() -> None:
    schema = fastavro.parse_schema(workload.inline_order_schema())
    records = workload.order_records(count=20)
    assert records == workload.order_records(count=20)
    for record in records:
        buffer = io.BytesIO()
        fastavro.schemaless_writer(buffer, schema, record)
        buffer.seek(0)
        decoded: Any = fastavro.schemaless_reader(buffer, schema, schema)
        assert decoded["order_id"] == record["order_id"]
        assert decoded["currency"] == record["currency"]
        assert decoded["items"] == record["items"]


def test_inlining_defines_each_named_type_once() -> None:
    text = json.dumps(workload.inline_order_schema())
    assert text.count('"name": "Currency"') == 1
    assert text.count('"name": "LineItem"') == 1


def test_record_keys_are_the_ids_as_bytes() -> None:
    records = workload.payment_records(count=3)
    assert workload.record_keys(records, "payment_id") == [
        r["payment_id"].encode() for r in records
    ]


def test_rss_readings_are_positive_and_the_peak_is_at_least_the_current() -> None:
    from benchmarks.bench_rss import peak_rss_mb, rss_mb

    current = rss_mb()
    assert current > 0
    assert peak_rss_mb() >= current * 0.99
