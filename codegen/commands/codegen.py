"""``herald codegen``: generate the typed event package, or check that it is up to date.

Flow: config + flags -> catalog -> :func:`codegen.generate.generate_files` (model, templates,
formatting) -> written to ``--out`` (only changed files are touched, stale generated files
removed, files herald did not generate refused unless ``--force``; see
:mod:`codegen.generate.output`), or compared with it under ``--check`` (exit 1 with a summary
when they differ).
"""

from __future__ import annotations

import time
from pathlib import Path

import click

from codegen.catalog import Catalog
from codegen.commands.options import (
    EXIT_FINDINGS,
    EXIT_OK,
    config_option,
    exits_on_error,
    schemas_option,
)
from codegen.config import HeraldConfig, load_project
from codegen.errors import ConfigError
from codegen.generate import compare_package, generate_files, write_package
from codegen.progress import Progress, quiet_option
from publisher.event import Binding


def event_bindings(config: HeraldConfig) -> dict[str, tuple[Binding, ...]]:
    """Value schema full name -> the bindings generated classes carry, in config order."""
    result: dict[str, list[Binding]] = {}
    for b in config.bindings:
        result.setdefault(b.value, []).append(Binding(b.topic, b.value_subject, b.strategy))
    return {name: tuple(items) for name, items in result.items()}


def package_files(config: HeraldConfig, catalog: Catalog, name: str) -> dict[str, str]:
    """The generated package for this config, as ``herald codegen`` writes it."""
    return generate_files(catalog, name, event_bindings(config), [t.topic for t in config.topics])


@click.command("codegen")
@config_option
@schemas_option
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=str),
    default=None,
    help="Package folder to write (its last component is the package name); overrides "
    "[codegen] out.",
)
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 with a summary when the package in --out is stale.",
)
@click.option(
    "--force",
    is_flag=True,
    help="Overwrite files in --out that herald did not generate (never through symlinks).",
)
@quiet_option
@exits_on_error
def codegen(
    *,
    config_path: str | None,
    schema_dirs: tuple[str, ...],
    out_dir: str | None,
    check: bool,
    force: bool,
    quiet: bool,
) -> int:
    """Generate typed Python event classes from the Avro and Protobuf schemas."""
    started = time.perf_counter()
    config, catalog = load_project(config_path, schema_dirs=schema_dirs)
    out = Path(out_dir) if out_dir else config.codegen.out
    if out is None:
        raise ConfigError(
            f"{config.source}: no output package; pass --out DIR (e.g. --out src/events) "
            "or set [codegen] out"
        )
    with Progress(3, "codegen", quiet=quiet) as progress:
        progress.advance()
        files = package_files(config, catalog, out.resolve().name)
        progress.advance()
        if not check:
            written, removed = write_package(files, out, force=force)
        progress.advance()
    if check:
        stale = compare_package(files, out)
        if stale:
            click.echo(f"herald codegen: {out} is stale ({len(stale)} file(s) differ):")
            for line in stale:
                click.echo(f"  {line}")
            click.echo("run `herald codegen` (or `make codegen`) and commit the result")
            return EXIT_FINDINGS
        click.echo(f"{out}: up to date ({len(files)} files)")
        return EXIT_OK
    elapsed = time.perf_counter() - started
    click.echo(
        f"{out}: {len(files)} files, {written} written, {removed} removed, "
        f"{len(catalog)} schemas in {elapsed:.2f}s"
    )
    return EXIT_OK
