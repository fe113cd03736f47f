"""``herald status``: which subjects are up to date, changed locally, new, or registry-only."""

from __future__ import annotations

import json

import click

from codegen.commands.options import (
    EXIT_OK,
    config_option,
    exits_on_error,
    registry_option,
    schemas_option,
)
from codegen.config import load_project
from codegen.registry import connect, plan_subjects
from codegen.registry.status import StatusReader, SubjectState, project_prefixes


@click.command("status")
@config_option
@schemas_option
@registry_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON document instead of lines.")
@exits_on_error
def status(
    config_path: str | None,
    schema_dirs: tuple[str, ...],
    registry_url: str | None,
    as_json: bool,
) -> int:
    """Show each subject: up to date, contract changed, changed locally, new, or registry-only."""
    config, catalog = load_project(config_path, schema_dirs=schema_dirs, registry_url=registry_url)

    def show(state: SubjectState) -> None:
        if not as_json:
            click.echo(state.line())

    with connect(config) as registry:
        reader = StatusReader(registry, catalog, concurrency=config.registry.concurrency)
        states = reader.run(plan_subjects(config, catalog), project_prefixes(config, catalog), show)
        shown_url = registry.display_url
    if as_json:
        rows = [
            {
                "subject": s.subject,
                "state": s.state,
                "latest": s.latest,
                "matching": s.matching,
                "drift": list(s.drift),
            }
            for s in states
        ]
        click.echo(json.dumps({"registry": shown_url, "subjects": rows}, indent=2))
    return EXIT_OK
