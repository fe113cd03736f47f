"""``make bench``: run every benchmark, then write the table, ``latest.json`` and the chart.

Flow: the publish paths run in this process (:mod:`benchmarks.bench_publish`, interleaved
rounds), then the consume paths (:mod:`benchmarks.bench_consume`, over one topic they share);
the RSS measurement runs in a child process (:mod:`benchmarks.bench_rss`); the
other ``benchmarks/bench_*.py`` scripts (encode, codegen, diff, registry) run as children too,
and their figures are taken from their output (a JSON object line when they print one, else
the ``label  number unit`` lines). :func:`build_results` puts it all in one dict,
:func:`render_markdown` prints it, :func:`write_chart` draws it.

``BENCH_EVENTS`` (events per round, default 200,000) scales the run; the RSS run publishes
``BENCH_RSS_EVENTS`` (default 5 × BENCH_EVENTS, so 1,000,000). ``BENCH_ROUNDS`` (default 5).
"""

from __future__ import annotations

import json
import os
import platform
import re
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.harness import Summary, ratio

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"

DEFAULT_EVENTS = 200_000
DEFAULT_ROUNDS = 5
#: Seconds any child benchmark may take before it is stopped and reported as timed out.
CHILD_TIMEOUT_S = 300.0
#: Address-space cap of a child benchmark, so a runaway one fails alone instead of pushing
#: the broker and everything else on the machine out of memory.
CHILD_MEMORY_BYTES = 4 * 1024**3


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY_BYTES, CHILD_MEMORY_BYTES))


@dataclass(frozen=True)
class Target:
    """One figure the issue sets a bar for: a ratio of two paths, or a measured value."""

    name: str
    bar: float
    #: ">=" (ratios, higher is better) or "<" (costs, lower is better).
    relation: str
    #: Where the measured value comes from, applied to the results dict.
    measure: Callable[[Mapping[str, Any]], float | None]
    unit: str = "x"

    def check(self, results: Mapping[str, Any]) -> dict[str, Any]:
        """The target with its measured value and whether it is met (None: not measured)."""
        value = self.measure(results)
        met = None
        if value is not None:
            met = value >= self.bar if self.relation == ">=" else value < self.bar
        return {
            "name": self.name,
            "target": f"{self.relation} {self.bar:g}{self.unit}",
            "measured": None if value is None else round(value, 3),
            "unit": self.unit,
            "met": met,
        }


def _path_ratio(path: str, baseline: str) -> Callable[[Mapping[str, Any]], float | None]:
    def measure(results: Mapping[str, Any]) -> float | None:
        paths = results.get("paths", {})
        if path not in paths or baseline not in paths:
            return None
        base = paths[baseline]["msgs_per_s_median"]
        return float(paths[path]["msgs_per_s_median"] / base) if base > 0 else None

    return measure


def _figure(section: str, *patterns: str) -> Callable[[Mapping[str, Any]], float | None]:
    """The slowest figure, in seconds, of a child benchmark whose label matches all patterns."""

    def measure(results: Mapping[str, Any]) -> float | None:
        figures = results.get(section, {}).get("figures", {})
        found = [
            seconds
            for label, figure in figures.items()
            if all(re.search(p, label, re.IGNORECASE) for p in patterns)
            and (seconds := _seconds(figure)) is not None
        ]
        return max(found) if found else None

    return measure


_UNIT_SECONDS = {"s": 1.0, "ms": 1e-3, "µs": 1e-6, "us": 1e-6}


def _seconds(figure: Mapping[str, Any]) -> float | None:
    scale = _UNIT_SECONDS.get(str(figure.get("unit", "s")))
    value = figure.get("value")
    if scale is None or not isinstance(value, int | float):
        return None
    return float(value) * scale


def _rss_growth(results: Mapping[str, Any]) -> float | None:
    value = results.get("rss", {}).get("growth_mb")
    return float(value) if isinstance(value, int | float) else None


#: The issue's targets; benchmark figures, never test assertions.
TARGETS: tuple[Target, ...] = (
    Target(
        "e2e herald_avro_e2e / confluent_avro_e2e",
        2.0,
        ">=",
        _path_ratio("herald_avro_e2e", "confluent_avro_e2e"),
    ),
    Target(
        "e2e herald_avro_batch_e2e / confluent_avro_e2e",
        3.0,
        ">=",
        _path_ratio("herald_avro_batch_e2e", "confluent_avro_e2e"),
    ),
    Target(
        "e2e herald_protobuf_e2e / confluent_protobuf_e2e",
        1.5,
        ">=",
        _path_ratio("herald_protobuf_e2e", "confluent_protobuf_e2e"),
    ),
    Target(
        "(b) herald_avro / confluent_avro", 2.0, ">=", _path_ratio("herald_avro", "confluent_avro")
    ),
    Target(
        "(c) herald_avro_batch / confluent_avro",
        3.0,
        ">=",
        _path_ratio("herald_avro_batch", "confluent_avro"),
    ),
    Target(
        "(f) herald_protobuf / confluent_protobuf",
        2.0,
        ">=",
        _path_ratio("herald_protobuf", "confluent_protobuf"),
    ),
    Target(
        "(h) preset_throughput / preset_no_batching",
        5.0,
        ">=",
        _path_ratio("preset_throughput", "preset_no_batching"),
    ),
    Target(
        "consume herald_avro_consume_evolved / confluent_avro_consume",
        2.0,
        ">=",
        _path_ratio("herald_avro_consume_evolved", "confluent_avro_consume"),
    ),
    Target("peak RSS growth, bounded buffer", 150.0, "<", _rss_growth, " MB"),
    Target("herald codegen, 1,000 schemas", 5.0, "<", _figure("codegen", r"^total$"), " s"),
    Target(
        "herald diff, 1,000 pairs (slowest path)",
        2.0,
        "<",
        _figure("diff", r"^(avro|protobuf)-(api|folders|check)$"),
        " s",
    ),
    Target(
        "herald check, 200 subjects, 8 workers",
        10.0,
        "<",
        _figure("registry", r"^herald check\b", r"\b200\b", r"8 workers"),
        " s",
    ),
)


# ---------------------------------------------------------------------------- child benchmarks
@dataclass(frozen=True)
class Child:
    """A benchmark script run as a child process, and the arguments it gets."""

    section: str
    script: str
    args: tuple[str, ...] = ()
    what: str = ""
    #: The script prints a table whose rows are ``name  seconds  ...``.
    seconds_table: bool = False


#: The other benchmark scripts; each is optional, a missing one is reported as such.
CHILDREN: tuple[Child, ...] = (
    Child(
        "build",
        "bench_build.py",
        (),
        "building and encoding one event: herald's constructor, from_dict and encode "
        "beside the dict or protoc message and confluent-kafka's serializers",
    ),
    Child("encode", "bench_encode.py", (), "encode only: generated class vs fastavro"),
    Child("codegen_100", "bench_codegen.py", ("--schemas", "100"), "herald codegen, 100 schemas"),
    Child("codegen", "bench_codegen.py", ("--schemas", "1000"), "herald codegen, 1,000 schemas"),
    Child("diff", "bench_diff.py", (), "herald diff for 1,000 pairs", seconds_table=True),
    Child("registry", "bench_registry.py", (), "herald check and register for 200 subjects"),
    Child(
        "profile",
        "profile_publish.py",
        ("--events", "50000"),
        "where herald's publish time goes (cost breakdown and cProfile)",
    ),
)

_FIGURE = re.compile(
    r"^\s*(?P<label>\S.*?)\s*[:=]?\s+(?P<value>\d[\d,_]*(?:\.\d+)?)\s*"
    r"(?P<unit>µs/msg|µs|us|ms|s|x|MB|msgs/s)(?:\s|$|\(|,|;)"
)


_TABLE_ROW = re.compile(r"^\s*(?P<label>[A-Za-z][\w./-]*)\s+(?P<value>\d+\.\d+)\s+\d")


def parse_seconds_table(output: str) -> dict[str, Any]:
    """Rows ``name  seconds  more columns`` of a child's table, as figures in seconds."""
    figures: dict[str, Any] = {}
    for line in output.splitlines():
        match = _TABLE_ROW.match(line)
        if match is not None:
            figures[match["label"]] = {"value": float(match["value"]), "unit": "s"}
    return figures


def parse_figures(output: str) -> dict[str, Any]:
    """Figures from a child's stdout: its JSON object line(s) if any, else labelled numbers.

    JSON wins: the last line that parses as a JSON object is taken whole. Otherwise each line
    shaped like ``label  12.3 unit`` becomes ``{label: {"value": 12.3, "unit": unit}}``.
    """
    for line in reversed(output.strip().splitlines()):
        text = line.strip()
        if text.startswith("{") and text.endswith("}"):
            try:
                found = json.loads(text)
            except ValueError:
                continue
            if isinstance(found, dict):
                return {"json": found, "figures": _flatten_seconds(found)}
    figures: dict[str, Any] = {}
    for line in output.splitlines():
        match = _FIGURE.match(line)
        if match is None:
            continue
        label = match["label"].strip().rstrip(":=").strip()
        value = float(match["value"].replace(",", "").replace("_", ""))
        figures.setdefault(label, {"value": value, "unit": match["unit"]})
    return {"figures": figures}


_SECONDS_KEY = re.compile(r"(?P<unit>_s|_seconds|_ms|_us)$")


def _flatten_seconds(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Durations in a child's JSON (keys ending _s/_seconds/_ms/_us) as labelled figures."""
    figures: dict[str, Any] = {}
    for key, value in data.items():
        label = f"{prefix}{key}"
        if isinstance(value, Mapping):
            figures.update(_flatten_seconds(value, label + "."))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            match = _SECONDS_KEY.search(str(key))
            if match:
                unit = {"_s": "s", "_seconds": "s", "_ms": "ms", "_us": "µs"}[match["unit"]]
                figures[label] = {"value": float(value), "unit": unit}
    return figures


def run_child(
    child: Child, env: Mapping[str, str], timeout: float = CHILD_TIMEOUT_S
) -> dict[str, Any]:
    """Run one child benchmark; its figures, output and status, never an exception."""
    script = HERE / child.script
    entry: dict[str, Any] = {"script": f"benchmarks/{child.script}", "what": child.what}
    if not script.exists():
        return {**entry, "status": "missing"}
    began = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, str(script), *child.args],
            cwd=ROOT,
            env=dict(env),
            preexec_fn=_cap_memory,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {**entry, "status": f"timed out after {timeout:g}s"}
    entry["seconds"] = round(time.perf_counter() - began, 2)
    entry["output"] = done.stdout.strip()
    if done.returncode != 0:
        entry["status"] = f"exit {done.returncode}"
        entry["error"] = done.stderr.strip()[-2000:]
        return entry
    parsed = parse_figures(done.stdout)
    if child.seconds_table:
        parsed["figures"] = {**parsed.get("figures", {}), **parse_seconds_table(done.stdout)}
    return {**entry, "status": "ok", **parsed}


def run_rss(events: int, env: Mapping[str, str]) -> dict[str, Any]:
    """Run :mod:`benchmarks.bench_rss` in a fresh process and return its figures."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.bench_rss", "--events", str(events)],
            cwd=ROOT,
            env=dict(env),
            preexec_fn=_cap_memory,
            capture_output=True,
            text=True,
            timeout=CHILD_TIMEOUT_S * 2,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return {"status": "timed out"}
    if done.returncode != 0:
        return {"status": f"exit {done.returncode}", "error": done.stderr.strip()[-2000:]}
    figures = parse_figures(done.stdout).get("json", {})
    return {"status": "ok", **figures}


# ---------------------------------------------------------------------------- results
def build_results(
    summaries: Mapping[str, Summary],
    *,
    descriptions: Mapping[str, str],
    baselines: Mapping[str, str],
    skipped: Mapping[str, str] | None = None,
    sections: Mapping[str, Any] | None = None,
    run: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``latest.json`` document: ``paths`` in its fixed form, everything else beside it."""
    raw = summaries.get("raw")
    paths: dict[str, dict[str, float]] = {}
    details: dict[str, dict[str, Any]] = {}
    for name in descriptions:
        summary = summaries.get(name)
        if summary is None:
            continue
        paths[name] = summary.as_path_entry()
        baseline = baselines.get(name)
        vs_raw = ratio(summary, raw)
        vs_base = ratio(summary, summaries.get(baseline)) if baseline else None
        details[name] = {
            "description": descriptions[name],
            **summary.as_details(),
            "ratio_to_raw": None if vs_raw is None else round(vs_raw, 3),
            "baseline": baseline,
            "ratio_to_baseline": None if vs_base is None else round(vs_base, 3),
        }
    results: dict[str, Any] = {"paths": paths, "path_details": details}
    results.update(sections or {})
    results["skipped"] = dict(skipped or {})
    results["run"] = dict(run or {})
    results["targets"] = [target.check(results) for target in TARGETS]
    return results


def _num(value: Any, digits: int = 0) -> str:
    if value is None:
        return "—"
    return f"{value:,.{digits}f}"


def _ratio(value: Any) -> str:
    return "—" if value is None else f"{value:.2f}x"


def render_markdown(results: Mapping[str, Any]) -> str:
    """The report as markdown: paths, targets, the other figures, and how the run was made."""
    run = results.get("run", {})
    lines = [
        "# herald benchmarks",
        "",
        f"{_num(run.get('events_per_round'))} events per round, {run.get('rounds', '?')} "
        "interleaved rounds; medians, with the min–max of the rounds. Only messages the broker "
        "acknowledged count.",
        "",
        "| path | what | msgs/s (median) | min–max | MB/s | µs/msg | × raw | × baseline |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, entry in results.get("paths", {}).items():
        detail = results.get("path_details", {}).get(name, {})
        base = detail.get("baseline")
        lines.append(
            f"| `{name}` | {detail.get('description', '')} | {_num(entry['msgs_per_s_median'])} "
            f"| {_num(entry['min'])}–{_num(entry['max'])} "
            f"| {_num(detail.get('mb_per_s_median'), 1)} "
            f"| {_num(detail.get('us_per_msg_median'), 2)} "
            f"| {_ratio(detail.get('ratio_to_raw'))} "
            f"| {_ratio(detail.get('ratio_to_baseline'))} (`{base}`) |"
        )
    for name, why in results.get("skipped", {}).items():
        reason = why.replace("|", "/").replace("\n", " ")[:160]
        lines.append(f"| `{name}` | not measured: {reason} | | | | | | |")
    lines += ["", "## Targets", "", "| target | bar | measured | met |", "|---|---|---:|---|"]
    for target in results.get("targets", []):
        measured = target["measured"]
        shown = "not measured" if measured is None else f"{measured:g}{target['unit']}"
        met = {True: "yes", False: "**no**", None: "—"}[target["met"]]
        lines.append(f"| {target['name']} | {target['target']} | {shown} | {met} |")
    rss = results.get("rss", {})
    if rss.get("status") == "ok":
        lines += [
            "",
            "## Memory",
            "",
            f"Publishing {_num(rss.get('events'))} events (delivered {_num(rss.get('delivered'))})"
            f" through a buffer capped at {rss.get('buffer')}: RSS {rss.get('baseline_mb')} MB "
            f"after warm-up, peak {rss.get('peak_mb')} MB, growth **{rss.get('growth_mb')} MB** "
            f"({rss.get('seconds')} s).",
        ]
    elif rss:
        lines += ["", "## Memory", "", f"not measured: {rss.get('status')} {rss.get('error', '')}"]
    for section in (child.section for child in CHILDREN):
        entry = results.get(section)
        if not entry:
            continue
        lines += ["", f"## {section}: {entry.get('what', '')}", ""]
        if entry.get("status") != "ok":
            lines.append(f"not measured ({entry.get('script')}: {entry.get('status')})")
            if entry.get("error"):
                lines.append(f"\n```\n{entry['error'][-600:]}\n```")
            continue
        lines.append(f"`{entry['script']}` ({entry.get('seconds')} s):")
        printed = [row for row in entry.get("output", "").splitlines() if not row.startswith("{")]
        lines.append("\n```\n" + "\n".join(printed).strip() + "\n```")
    lines += [
        "",
        "## Run",
        "",
        *(f"- {key}: {value}" for key, value in run.items()),
        "",
    ]
    return "\n".join(lines)


def write_chart(results: Mapping[str, Any], path: Path) -> bool:
    """A horizontal bar chart of the median msgs/s with min/max whiskers; False w/o matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        import matplotlib.ticker
    except ImportError:
        return False
    paths = results.get("paths", {})
    if not paths:
        return False
    names = list(paths)[::-1]
    medians = [paths[n]["msgs_per_s_median"] for n in names]
    low = [paths[n]["msgs_per_s_median"] - paths[n]["min"] for n in names]
    high = [paths[n]["max"] - paths[n]["msgs_per_s_median"] for n in names]
    colors = ["#2b6cb0" if n.startswith(("herald", "preset")) else "#a0aec0" for n in names]
    fig, axis = plt.subplots(figsize=(9, 0.45 * len(names) + 1.5))
    axis.barh(names, medians, xerr=[low, high], color=colors, capsize=3)
    for y, value in enumerate(medians):
        axis.text(value, y, f" {value:,.0f}", va="center", fontsize=8)
    run = results.get("run", {})
    axis.xaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
    axis.set_xlabel("delivered msgs/s (median; whiskers: min–max of the rounds)")
    axis.set_title(
        f"herald vs confluent-kafka, {run.get('events_per_round', '?')} events × "
        f"{run.get('rounds', '?')} rounds, real Kafka broker"
    )
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return True


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw.replace("_", "").replace(",", ""))
    except ValueError:
        raise SystemExit(f"bench: {name} must be a whole number, got {raw!r}") from None
    if value < 1:
        raise SystemExit(f"bench: {name} must be at least 1, got {value}")
    return value


def _commit() -> str:
    """The commit measured, with ``+dirty`` when the work tree has changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def _versions() -> dict[str, Any]:
    import confluent_kafka

    return {
        "commit": _commit(),
        "python": platform.python_version(),
        "confluent_kafka": confluent_kafka.version()[0]
        if isinstance(confluent_kafka.version(), tuple)
        else confluent_kafka.version(),
        "librdkafka": confluent_kafka.libversion()[0],
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run everything, write results/latest.{json,md,png}, print the markdown."""
    from benchmarks import bench_consume, bench_publish

    del argv
    events = _env_int("BENCH_EVENTS", DEFAULT_EVENTS)
    rounds = _env_int("BENCH_ROUNDS", DEFAULT_ROUNDS)
    rss_events = _env_int("BENCH_RSS_EVENTS", 5 * events)
    only = [p for p in os.environ.get("BENCH_PATHS", "").split(",") if p] or None
    connection = bench_publish.Connection.from_env()
    started = datetime.now(UTC)
    began = time.perf_counter()
    print(
        f"bench: {events:,} events per round, {rounds} rounds, "
        f"broker {connection.bootstrap_servers}"
    )
    outcome = bench_publish.run(events, rounds, only=only, connection=connection)
    print("bench: consume paths (one topic of v1 records, read by every path)")
    consumed = bench_consume.run(events, rounds, only=only, connection=connection)
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    print(f"bench: peak RSS while publishing {rss_events:,} events (child process)")
    sections: dict[str, Any] = {"rss": run_rss(rss_events, env)}
    for child in CHILDREN:
        print(f"bench: {child.script}")
        sections[child.section] = run_child(child, env)
    run_info = {
        "events_per_round": events,
        "rounds": rounds,
        "rss_events": rss_events,
        "started": started.isoformat(timespec="seconds"),
        "seconds": round(time.perf_counter() - began, 1),
        "broker": "Apache Kafka (dev/stack or KAFKA_BOOTSTRAP_SERVERS), 6 partitions per topic",
        "registry": "Apicurio Registry ccompat API (dev/stack or SCHEMA_REGISTRY_URL)",
        **_versions(),
    }
    results = build_results(
        {**outcome.interleaved.summaries(), **consumed.interleaved.summaries()},
        descriptions={**bench_publish.DESCRIPTIONS, **bench_consume.DESCRIPTIONS},
        baselines={**bench_publish.BASELINES, **bench_consume.BASELINES},
        skipped={**outcome.skipped, **consumed.skipped},
        sections=sections,
        run=run_info,
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2) + "\n")
    markdown = render_markdown(results)
    (RESULTS / "latest.md").write_text(markdown)
    charted = write_chart(results, RESULTS / "latest.png")
    print()
    print(markdown)
    print(
        f"bench: wrote {RESULTS / 'latest.json'}, latest.md" + (", latest.png" if charted else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
