"""Progress bars for long commands (codegen, register, check, folder diffs), on a terminal only.

click's own bar, on stderr: it needs no extra dependency, and stdout stays what scripts and CI
read. The bar is drawn only when stderr is a terminal, the command was not given ``--quiet``,
and there is more than one step; otherwise :class:`Progress` prints nothing at all. Lines a
command prints while the bar is up go through :meth:`Progress.echo`, which clears the bar,
prints the line and draws the bar again below it.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any

import click

quiet_option = click.option(
    "--quiet", "-q", is_flag=True, help="No progress bar (results and findings are still printed)."
)


def stderr_is_terminal() -> bool:
    """Whether a person is watching stderr."""
    return sys.stderr.isatty()


class Progress:
    """A bar of ``total`` steps labelled ``label``, or nothing when no one is watching."""

    def __init__(self, total: int, label: str, *, quiet: bool) -> None:
        self.enabled = not quiet and total > 1 and stderr_is_terminal()
        self._bar: Any = None
        if self.enabled:
            self._bar = click.progressbar(
                length=total, label=label, file=sys.stderr, show_pos=True, width=30
            )

    def __enter__(self) -> Progress:
        if self._bar is not None:
            self._bar.__enter__()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._bar is not None:
            self._bar.__exit__(kind, exc, tb)

    def advance(self, steps: int = 1) -> None:
        """Move the bar on by ``steps``."""
        if self._bar is not None:
            self._bar.update(steps)

    def echo(self, line: str, *, err: bool = False) -> None:
        """Print a line above the bar (or just print it when there is no bar)."""
        if self._bar is not None:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()
        click.echo(line, err=err)
        if self._bar is not None:
            self._bar.render_progress()
