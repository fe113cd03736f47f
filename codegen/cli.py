"""The ``herald`` command line: a thin click layer over the codegen library.

Each subcommand lives in ``codegen/commands/<name>.py`` and is imported only when it runs,
so ``herald --help`` stays fast. Exit codes: 0 all good, 1 findings, 2 could not run.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from codegen import __version__

#: Subcommand name -> "module:attribute" of its click command.
COMMANDS: dict[str, str] = {
    "demo": "codegen.commands.demo:demo",
    "lint": "codegen.commands.lint:lint",
    "check": "codegen.commands.check:check",
    "register": "codegen.commands.register:register",
    "status": "codegen.commands.status:status",
    "pull": "codegen.commands.pull:pull",
    "codegen": "codegen.commands.codegen:codegen",
    "diff": "codegen.commands.diff:diff",
    "init": "codegen.commands.init:init",
    "topics": "codegen.commands.topics:topics",
    "asyncapi": "codegen.commands.asyncapi:asyncapi",
}


class _LazyGroup(click.Group):
    """A click group that imports a subcommand's module only when that subcommand is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        command = getattr(importlib.import_module(module_name), attr)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a click command")
        return command


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="herald")
def main(**_: Any) -> None:
    """herald: lint, check, register and generate typed events from Avro and Protobuf schemas."""
