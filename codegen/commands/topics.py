"""``herald topics plan|apply``: make the cluster's topics match the ``[[topics]]`` declarations.

Flow: config -> :class:`~codegen.topics.cluster.TopicAdmin` reads the declared topics from the
cluster -> :func:`~codegen.topics.plan.plan_topics` -> the plan is printed (``plan``) or made
(``apply``: create, grow partitions, set configs). Exit 0 when the cluster matches (or now
does), 1 when a declaration asks for what Kafka cannot do or herald will not attempt, or the
broker refused a change, 2 when it could not run (bad config, unreachable cluster).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click

from codegen.commands.options import (
    EXIT_FINDINGS,
    EXIT_OK,
    config_option,
    exits_on_error,
    format_option,
)
from codegen.config import HeraldConfig, load_config
from codegen.errors import ConfigError
from codegen.findings import Finding
from codegen.report import ReportFormat, render
from codegen.topics.plan import TopicPlan, plan_topics
from publisher.config import kafka_settings_from_env

if TYPE_CHECKING:
    from codegen.topics.cluster import TopicAdmin

bootstrap_option = click.option(
    "--bootstrap-servers",
    "bootstrap",
    default=None,
    help="Kafka bootstrap servers; default KAFKA_BOOTSTRAP_SERVERS. Security settings come "
    "from the HERALD_SECURITY_* / HERALD_SASL_* / HERALD_KAFKA_* environment.",
)
timeout_option = click.option(
    "--timeout",
    default=10.0,
    show_default=True,
    type=click.FloatRange(min=0.1, max=300),
    help="Seconds to wait for each cluster request.",
)


def _planned(
    config_path: str | None, bootstrap: str | None, timeout: float
) -> tuple[HeraldConfig, TopicAdmin, TopicPlan]:
    """Load the declarations, read them from the cluster, and compare the two."""
    from codegen.topics.cluster import TopicAdmin

    config = load_config(config_path)
    if not config.topics:
        raise ConfigError(f"{config.source}: no [[topics]] declared; nothing to plan or apply")
    servers = bootstrap or os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "").strip()
    if not servers:
        raise ConfigError(
            "no Kafka cluster given: pass --bootstrap-servers or set KAFKA_BOOTSTRAP_SERVERS "
            "(for the local stack: set -a; . .stack/env; set +a)"
        )
    settings = {**kafka_settings_from_env(os.environ), "bootstrap.servers": servers}
    admin = TopicAdmin(settings, timeout)
    return config, admin, plan_topics(config.topics, admin.read(config.topics))


def _show(plan: TopicPlan, fmt: ReportFormat, done: bool) -> None:
    for change in plan.changes:
        click.echo(change.line(done=done), err=fmt != "text")
    for name in plan.up_to_date:
        click.echo(f"  = {name}: up to date", err=fmt != "text")


def _finish(findings: list[Finding], fmt: ReportFormat, suite: str) -> int:
    output = render(findings, fmt, suite=suite)
    if output and (fmt != "text" or findings):
        click.echo(output)
    return EXIT_FINDINGS if findings else EXIT_OK


@click.group("topics")
def topics() -> None:
    """Declare topics in [[topics]]; plan and apply them on the cluster."""


@topics.command("plan")
@config_option
@bootstrap_option
@timeout_option
@format_option
@exits_on_error
def plan(config_path: str | None, bootstrap: str | None, timeout: float, fmt: ReportFormat) -> int:
    """Show how the cluster's topics differ from the declarations; change nothing."""
    _, admin, result = _planned(config_path, bootstrap, timeout)
    click.echo(f"plan for {admin.servers} (nothing changes):", err=fmt != "text")
    _show(result, fmt, done=False)
    click.echo(
        f"{len(result.changes)} change(s), {len(result.up_to_date)} up to date, "
        f"{len(result.findings)} refused",
        err=True,
    )
    return _finish(list(result.findings), fmt, "herald topics plan")


@topics.command("apply")
@config_option
@bootstrap_option
@timeout_option
@format_option
@exits_on_error
def apply(config_path: str | None, bootstrap: str | None, timeout: float, fmt: ReportFormat) -> int:
    """Create declared topics, grow partitions and set configs; never shrink or reassign."""
    config, admin, result = _planned(config_path, bootstrap, timeout)
    origins = {spec.topic.name: spec.origin for spec in config.topics}
    refused = admin.apply(result.changes, origins)
    failed = {f.subject for f in refused}
    done = TopicPlan(
        tuple(c for c in result.changes if c.topic.name not in failed),
        result.findings,
        result.up_to_date,
    )
    click.echo(f"applied to {admin.servers}:", err=fmt != "text")
    _show(done, fmt, done=True)
    if not result.changes and not result.findings:
        click.echo("up to date: nothing to change", err=True)
    click.echo(
        f"{len(done.changes)} change(s) made, {len(result.up_to_date)} up to date, "
        f"{len(result.findings) + len(refused)} refused",
        err=True,
    )
    return _finish([*result.findings, *refused], fmt, "herald topics apply")
