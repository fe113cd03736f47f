"""Flags shared by several subcommands, and the wrapper that turns errors into exit codes."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import ParamSpec, TypeVar

import click

from codegen.errors import HeraldError
from codegen.report import FORMATS

P = ParamSpec("P")
R = TypeVar("R")

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_CANNOT_RUN = 2

config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False, path_type=str),
    default=None,
    help="herald.toml or pyproject.toml with [tool.herald]; found upwards from the cwd if omitted.",
)
schemas_option = click.option(
    "--schemas",
    "schema_dirs",
    multiple=True,
    type=click.Path(file_okay=False, path_type=str),
    help="Schema folder (repeatable); overrides the config's schema folders.",
)
registry_option = click.option(
    "--registry",
    "registry_url",
    default=None,
    help="Schema Registry URL; overrides the config. Credentials come from the environment.",
)
format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="text",
    show_default=True,
    help="How findings are printed.",
)


def exits_on_error(func: Callable[P, int]) -> Callable[P, None]:
    """Run a command body; exit with its code, or print a HeraldError and exit 2 (no traceback)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> None:
        try:
            code = func(*args, **kwargs)
        except HeraldError as exc:
            click.echo(f"herald: error: {exc}", err=True)
            sys.exit(EXIT_CANNOT_RUN)
        sys.exit(code)

    return wrapper
