"""The CLI's own surface: version, help, and exit code 2 without a traceback on user errors."""

from __future__ import annotations

import click
from click.testing import CliRunner

from codegen import __version__
from codegen.cli import COMMANDS, main
from codegen.commands.options import EXIT_CANNOT_RUN, exits_on_error
from codegen.errors import HeraldError, redact_url


def test_version_names_the_program() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"herald, version {__version__}"


def test_help_lists_every_registered_command() -> None:
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert name in result.output


def test_user_error_exits_2_with_message_and_no_traceback() -> None:
    @click.command()
    @exits_on_error
    def broken() -> int:
        raise HeraldError("registry at https://bob:s3cret@sr.example.com is unreachable")

    result = CliRunner().invoke(broken, [])
    assert result.exit_code == EXIT_CANNOT_RUN
    assert "Traceback" not in result.output
    assert "s3cret" not in result.output
    assert "https://***@sr.example.com" in result.output


def test_redact_url_hides_credentials_only() -> None:
    assert (
        redact_url("see http://u:p@h:8081/x and http://h2/y")
        == "see http://***@h:8081/x and http://h2/y"
    )
