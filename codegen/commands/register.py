"""``herald register``: register every subject's schema, references first, idempotently."""

from __future__ import annotations

import click

from codegen.allow import SUMMARY_REASON, Approvals
from codegen.catalog import Catalog
from codegen.commands.options import (
    EXIT_FINDINGS,
    EXIT_OK,
    config_option,
    exits_on_error,
    format_option,
    registry_option,
    schemas_option,
)
from codegen.config import HeraldConfig, load_project
from codegen.findings import Severity
from codegen.progress import Progress, quiet_option
from codegen.registry import connect, flatten, plan_subjects
from codegen.registry.check import RULE_INCOMPATIBLE, Checker
from codegen.registry.client import Registry
from codegen.registry.plan import SubjectPlan
from codegen.registry.register import Outcome, Registrar
from codegen.report import ReportFormat, render


class _BreakApprover:
    """Whether ``[[allow]]`` approves every break of a subject, decided as ``herald check`` does."""

    def __init__(
        self, config: HeraldConfig, catalog: Catalog, registry: Registry, versions: dict[str, int]
    ) -> None:
        self.allow = config.allow
        self.checker = Checker(registry, catalog, concurrency=1)
        # References resolve to the versions the registrar has registered so far.
        self.checker.versions = versions

    def __call__(self, plan: SubjectPlan) -> str | None:
        """The approving entries' reasons, or None when some break is not approved."""
        verdict = self.checker.check(plan)
        approvals = Approvals(self.allow, aliases={plan.subject: {plan.full_name}})
        findings = approvals.apply(verdict.findings, summary_rule=RULE_INCOMPATIBLE)
        if verdict.status != "incompatible" or any(f.severity is Severity.ERROR for f in findings):
            return None
        reasons = {f.reason for f in findings if f.reason and f.reason != SUMMARY_REASON}
        return "; ".join(sorted(reasons))


@click.command("register")
@config_option
@schemas_option
@registry_option
@format_option
@click.option("--dry-run", is_flag=True, help="Print the plan; change nothing in the registry.")
@quiet_option
@exits_on_error
def register(
    *,
    config_path: str | None,
    schema_dirs: tuple[str, ...],
    registry_url: str | None,
    fmt: ReportFormat,
    dry_run: bool,
    quiet: bool,
) -> int:
    """Register schemas with their references; set each subject's configured level first.

    A second run registers nothing and says "up to date". A refused schema stops the run:
    exit 1, with the registry's answer and what was and was not registered.
    """
    config, catalog = load_project(config_path, schema_dirs=schema_dirs, registry_url=registry_url)
    waves = plan_subjects(config, catalog)

    def show(outcome: Outcome) -> None:
        progress.echo(outcome.line(), err=fmt != "text")
        progress.advance()

    total = 0 if dry_run else sum(len(wave) for wave in waves)
    with connect(config) as registry, Progress(total, "register", quiet=quiet) as progress:
        if dry_run:
            click.echo(
                f"plan for {registry.display_url} (dry run, nothing changes):", err=fmt != "text"
            )
            for plan in flatten(waves):
                refs = f" (references: {', '.join(plan.depends_on)})" if plan.depends_on else ""
                click.echo(f"  {plan.subject} <- {plan.file.display_path}{refs}", err=fmt != "text")
        registrar = Registrar(
            registry, catalog, concurrency=config.registry.concurrency, dry_run=dry_run
        )
        if config.allow:
            registrar.approve = _BreakApprover(config, catalog, registry, registrar.versions)
        result = registrar.run(waves, show)
    output = render(result.findings, fmt, suite="herald register")
    if output and (fmt != "text" or result.findings):
        click.echo(output)
    summary = (
        f"{result.count('registered')} registered, {result.count('up to date')} up to date, "
        f"{result.count('would register')} to register, {result.count('refused')} refused, "
        f"{result.count('not attempted')} not attempted"
    )
    if result.failed:
        done = [o.subject for o in result.outcomes if o.action == "registered"]
        skipped = [
            f"{o.subject} ({o.action})"
            for o in result.outcomes
            if o.action in ("refused", "not attempted")
        ]
        click.echo(f"stopped: {summary}", err=True)
        click.echo(f"  registered: {', '.join(done) or 'nothing'}", err=True)
        click.echo(f"  not registered: {', '.join(skipped)}", err=True)
        return EXIT_FINDINGS
    if not dry_run and result.count("registered") == 0:
        click.echo("up to date: nothing to register", err=True)
    click.echo(summary, err=True)
    return EXIT_OK
