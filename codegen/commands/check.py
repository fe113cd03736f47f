"""``herald check``: is every local schema compatible with what the registry holds?"""

from __future__ import annotations

import json

import click

from codegen.allow import Approvals
from codegen.commands.options import (
    EXIT_FINDINGS,
    EXIT_OK,
    config_option,
    exits_on_error,
    format_option,
    registry_option,
    schemas_option,
)
from codegen.config import load_project
from codegen.findings import Severity
from codegen.progress import Progress, quiet_option
from codegen.registry import connect, plan_subjects
from codegen.registry.check import RULE_INCOMPATIBLE, Checker, Verdict
from codegen.report import ReportFormat, render


@click.command("check")
@config_option
@schemas_option
@registry_option
@format_option
@quiet_option
@exits_on_error
def check(
    config_path: str | None,
    schema_dirs: tuple[str, ...],
    registry_url: str | None,
    fmt: ReportFormat,
    quiet: bool,
) -> int:
    """Check each subject against the registry: compatible, incompatible or new.

    Exit 0 when all are compatible (or new), 1 when any is incompatible, 2 when the check
    could not run (unreachable registry, refused credentials, bad config or schema).
    """
    config, catalog = load_project(config_path, schema_dirs=schema_dirs, registry_url=registry_url)
    waves = plan_subjects(config, catalog)

    aliases = {plan.subject: {plan.full_name} for wave in waves for plan in wave}
    approvals = Approvals(config.allow, aliases=aliases)

    total = sum(len(wave) for wave in waves)

    def show(verdict: Verdict) -> None:
        verdict.findings = approvals.apply(verdict.findings, summary_rule=RULE_INCOMPATIBLE)
        if verdict.status == "incompatible" and not any(
            f.severity is Severity.ERROR for f in verdict.findings
        ):
            verdict.status = "allowed"
        # Text goes to stdout; with a machine format, stdout holds only the report.
        progress.echo(verdict.line(), err=fmt != "text")
        progress.advance()

    with connect(config) as registry, Progress(total, "check", quiet=quiet) as progress:
        checker = Checker(registry, catalog, concurrency=config.registry.concurrency)
        verdicts = checker.run(waves, show)
    findings = [f for v in verdicts for f in v.findings] + approvals.leftovers()
    if fmt == "json":
        doc = json.loads(render(findings, "json", suite="herald check"))
        doc["subjects"] = [
            {
                "subject": v.subject,
                "status": v.status,
                "level": v.level,
                "versions": list(v.versions),
                "incompatible_with": list(v.broken),
            }
            for v in verdicts
        ]
        click.echo(json.dumps(doc, indent=2, sort_keys=True))
    else:
        output = render(findings, fmt, suite="herald check")
        if output:
            click.echo(output)
    bad = sum(1 for v in verdicts if v.status == "incompatible")
    counts = {s: sum(1 for v in verdicts if v.status == s) for s in ("compatible", "new")}
    allowed = sum(1 for v in verdicts if v.status == "allowed")
    approved = f", {allowed} allowed by [[allow]]" if allowed else ""
    click.echo(
        f"{len(verdicts)} subject(s): {counts['compatible']} compatible, {counts['new']} new, "
        f"{bad} incompatible{approved} ({registry.display_url})",
        err=True,
    )
    return EXIT_FINDINGS if bad else EXIT_OK
