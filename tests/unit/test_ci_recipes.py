"""The CI recipes in docs/ci: every herald command they run parses, and each job runs its steps.

The GitHub workflow also passes actionlint (``make ci-lint``) and runs as written in the
schema-repo loop test; GitLab has no linter here, so its commands are parsed with herald's own
command line.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import yaml

from codegen.cli import main

REPO = Path(__file__).resolve().parents[2]
_STOP = {">", ">>", "||", "&&", "|"}


def _herald_commands(script: str) -> list[list[str]]:
    """Each ``herald ...`` invocation in a shell script, as arguments, variables filled in."""
    found = []
    for line in script.splitlines():
        tokens = shlex.split(re.sub(r"\$\{?(\w+)\}?", "main", line), comments=True)
        while "herald" in tokens:
            tokens = tokens[tokens.index("herald") + 1 :]
            args = []
            for token in tokens:
                if token in _STOP:
                    break
                args.append(token)
            found.append(args)
    return found


def _parses(args: list[str]) -> str:
    name, *rest = args
    command = main.get_command(click.Context(main), name)
    assert command is not None, f"no herald command {name!r}"
    command.make_context(name, list(rest))
    return " ".join(a for a in args if not a.startswith("origin/"))


def test_gitlab_recipe() -> None:
    jobs = yaml.safe_load((REPO / "docs/ci/gitlab-ci.yml").read_text())
    merge = [_parses(a) for a in _herald_commands("\n".join(jobs["merge-request"]["script"]))]
    assert merge == [
        "lint --format gitlab",
        "diff --against --format gitlab",
        "check --format gitlab",
        "codegen --check",
    ]
    assert jobs["merge-request"]["artifacts"]["reports"]["codequality"] == [
        "lint.json",
        "diff.json",
        "check.json",
    ]
    publish = jobs["register-and-build"]["script"]
    assert [_parses(a) for a in _herald_commands("\n".join(publish))] == ["register"]
    assert "python -m build --no-isolation" in publish


def test_github_workflow() -> None:
    jobs = yaml.safe_load((REPO / "docs/ci/github-actions.yml").read_text())["jobs"]
    runs = {name: "\n".join(s.get("run", "") for s in job["steps"]) for name, job in jobs.items()}
    assert [_parses(a) for a in _herald_commands(runs["pull-request"])] == [
        "lint --format markdown",
        "lint --format github",
        "diff --against --format markdown",
        "diff --against --format github",
        "check --format markdown",
        "check --format github",
        "codegen --check",
    ]
    assert [_parses(a) for a in _herald_commands(runs["main"])] == ["register"]
    assert "python -m build --no-isolation" in runs["main"]
