"""``herald lint``: check every schema against the house rules; exit 1 on any error finding."""

from __future__ import annotations

import click

from codegen.commands.options import (
    EXIT_FINDINGS,
    EXIT_OK,
    config_option,
    exits_on_error,
    format_option,
    schemas_option,
)
from codegen.config import load_project
from codegen.errors import ConfigError
from codegen.findings import Severity
from codegen.lint import RULES, lint_catalog
from codegen.report import ReportFormat, render


@click.command("lint")
@config_option
@schemas_option
@format_option
@click.option(
    "--disable",
    "disabled",
    multiple=True,
    metavar="RULE",
    help="Switch a rule off for this run (repeatable), on top of [lint] disable.",
)
@click.option("--list-rules", is_flag=True, help="Print every rule id, format and purpose.")
@exits_on_error
def lint(
    config_path: str | None,
    schema_dirs: tuple[str, ...],
    fmt: ReportFormat,
    disabled: tuple[str, ...],
    list_rules: bool,
) -> int:
    """Lint the schemas: naming, docs, nullable unions, enum defaults, layout, versioning."""
    if list_rules:
        for rule in RULES.values():
            click.echo(f"{rule.id:36} {rule.format:9} {rule.category:10} {rule.purpose}")
        return EXIT_OK
    for rule_id in disabled:
        if rule_id not in RULES:
            raise ConfigError(f"--disable: unknown lint rule {rule_id!r}; see --list-rules")
    config, catalog = load_project(config_path, schema_dirs=schema_dirs)
    findings = lint_catalog(catalog, config.lint.disable | set(disabled))
    output = render(findings, fmt, suite="herald lint")
    if output:
        click.echo(output)
    errors = sum(1 for f in findings if f.severity is Severity.ERROR)
    if fmt == "text":
        files = len(catalog.files)
        click.echo(
            f"{len(findings)} finding(s) in {files} file(s)"
            if findings
            else f"{files} file(s) clean",
            err=True,
        )
    return EXIT_FINDINGS if errors else EXIT_OK
