"""``herald pull``: download registered schema versions into a folder."""

from __future__ import annotations

from pathlib import Path

import click

from codegen.commands.options import EXIT_OK, config_option, exits_on_error, registry_option
from codegen.config import load_config
from codegen.registry import connect
from codegen.registry.pull import Pulled, pull_subjects


@click.command("pull")
@config_option
@registry_option
@click.option(
    "--subject",
    "pattern",
    default=".*",
    show_default=True,
    help="Regular expression; subjects it matches (anywhere in the name) are pulled.",
)
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("pulled"),
    show_default=True,
    help="Folder to write <subject>/v<N>.avsc|.proto (+ .json metadata) into.",
)
@click.option("--all-versions", is_flag=True, help="Every version, not only the latest.")
@exits_on_error
def pull(
    config_path: str | None,
    registry_url: str | None,
    pattern: str,
    out: Path,
    all_versions: bool,
) -> int:
    """Download the latest (or every) version of matching subjects into a folder."""
    # Pulling reads no local schemas; "." only satisfies the loader when there is no config.
    config = load_config(config_path, schema_dirs=["."], registry_url=registry_url)

    def show(pulled: Pulled) -> None:
        click.echo(f"{pulled.subject} v{pulled.version} -> {pulled.path.as_posix()}")

    with connect(config) as registry:
        written = pull_subjects(
            registry,
            pattern,
            out,
            all_versions=all_versions,
            concurrency=config.registry.concurrency,
            on_pulled=show,
        )
    click.echo(f"{len(written)} schema(s) written to {out.as_posix()}", err=True)
    return EXIT_OK
