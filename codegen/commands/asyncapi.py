"""``herald asyncapi``: write the project's AsyncAPI 3.0 document (YAML or JSON).

Flow: config + catalog (bindings checked) -> :func:`codegen.asyncapi.build_document` -> YAML or
JSON text -> ``--out FILE`` or stdout. No registry or broker is contacted.
"""

from __future__ import annotations

from pathlib import Path

import click

from codegen.asyncapi import build_document, to_json, to_yaml
from codegen.commands.options import EXIT_OK, config_option, exits_on_error, schemas_option
from codegen.config import load_project
from codegen.errors import ConfigError


@click.command("asyncapi")
@config_option
@schemas_option
@click.option(
    "--out",
    "out_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write; stdout when omitted.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["yaml", "json"]),
    default=None,
    help="Output format; default from --out's suffix (.json), else yaml.",
)
@click.option("--title", default=None, help="info.title; default: '<project folder> events'.")
@click.option("--version", "api_version", default="1.0.0", show_default=True, help="info.version.")
@click.option(
    "--server",
    "servers",
    multiple=True,
    metavar="NAME=HOST:PORT",
    help="A Kafka server to list (repeatable), e.g. production=broker1:9092.",
)
@exits_on_error
def asyncapi(
    *,
    config_path: str | None,
    schema_dirs: tuple[str, ...],
    out_file: Path | None,
    fmt: str | None,
    title: str | None,
    api_version: str,
    servers: tuple[str, ...],
) -> int:
    """Write an AsyncAPI 3.0 document: a channel per topic, a message per binding."""
    config, catalog = load_project(config_path, schema_dirs=schema_dirs)
    named: dict[str, str] = {}
    for entry in servers:
        name, sep, host = entry.partition("=")
        if not sep or not name or not host:
            raise ConfigError(f"--server {entry!r}: expected NAME=HOST:PORT")
        named[name] = host
    folder = (config.path.parent if config.path else Path.cwd()).resolve().name
    document = build_document(
        config, catalog, title=title or f"{folder} events", version=api_version, servers=named
    )
    chosen = fmt or ("json" if out_file is not None and out_file.suffix == ".json" else "yaml")
    text = to_json(document) if chosen == "json" else to_yaml(document)
    if out_file is None:
        click.echo(text, nl=False)
        return EXIT_OK
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_text(text, encoding="utf-8")
    click.echo(
        f"{out_file}: AsyncAPI {document['asyncapi']}, {len(document['channels'])} channel(s), "
        f"{len(document['components']['messages'])} message(s)",
        err=True,
    )
    return EXIT_OK
