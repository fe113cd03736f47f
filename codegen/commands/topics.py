"""``herald topics plan|apply``: make the cluster's topics match the ``[[topics]]`` declarations.

Flow: config -> :class:`~codegen.topics.cluster.TopicAdmin` reads the declared topics from the
cluster -> :func:`~codegen.topics.plan.plan_topics` -> the plan is printed (``plan``) or made
(``apply``: create, grow partitions, set configs). Exit 0 when the cluster matches (or now
does), 1 when a declaration asks for what Kafka cannot do or herald will not attempt, or the
broker refused a change, 2 when it could not run (bad config, unreachable cluster).
"""

from __future__ import annotations

import os

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
from codegen.report import ReportFormat, render
from codegen.topics.plan import TopicPlan, plan_topics
from publisher.config import kafka_settings_from_env

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


def _connect(config: HeraldConfig, bootstrap: str | None, timeout: float) -> object:
    from codegen.topics.cluster import TopicAdmin

    if not config.topics:
        raise ConfigError(f"{config.source}: no [[topics]] declared; nothing to plan or apply")
    servers = bootstrap or os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "").strip()
    if not servers:
        raise ConfigError(
            "no Kafka cluster given: pass --bootstrap-servers or set KAFKA_BOOTSTRAP_SERVERS "
            "(for the local stack: set -a; . .stack/env; set +a)"
        )
    settings = {**kafka_settings_from_env(os.environ), "bootstrap.servers": servers}
    return TopicAdmin(settings, timeout)


def _show(plan: TopicPlan, fmt: ReportFormat, done: bool) -> None:
    for change in plan.changes:
        click.echo(change.line(done=done), err=fmt != "text")
    for name in plan.up_to_date:
        click.echo(f"  = {name}: up to date", err=fmt != "text")


def _finish(plan: TopicPlan, findings: list[object], fmt: ReportFormat, suite: str) -> int:
    output = render(findings, fmt, suite=suite)  # type: ignore[arg-type]
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
    from codegen.topics.cluster import TopicAdmin

    config = load_config(config_path)
    admin = _connect(config, bootstrap, timeout)
    assert isinstance(admin, TopicAdmin)
    result = plan_topics(config.topics, admin.read(config.topics))
    click.echo(f"plan for {admin.servers} (nothing changes):", err=fmt != "text")
    _show(result, fmt, done=False)
    click.echo(
        f"{len(result.changes)} change(s), {len(result.up_to_date)} up to date, "
        f"{len(result.findings)} refused",
        err=True,
    )
    return _finish(result, list(result.findings), fmt, "herald topics plan")


@topics.command("apply")
@config_option
@bootstrap_option
@timeout_option
@format_option
@exits_on_error
def apply(config_path: str | None, bootstrap: str | None, timeout: float, fmt: ReportFormat) -> int:
    """Create declared topics, grow partitions and set configs; never shrink or reassign."""
    from codegen.topics.cluster import TopicAdmin

    config = load_config(config_path)
    admin = _connect(config, bootstrap, timeout)
    assert isinstance(admin, TopicAdmin)
    result = plan_topics(config.topics, admin.read(config.topics))
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
    return _finish(done, [*result.findings, *refused], fmt, "herald topics apply")
