"""The README is a test: every runnable shell and Python block runs, in order, in a fresh clone.

How a block is marked as not runnable or as needing the real stack is described in
``tests/readme_blocks.py`` and in the README's section "The README's examples are tests".
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.conftest import Stack
from tests.readme_blocks import PYTHON, Block, parse_blocks

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
STACK_ENV = ("KAFKA_BOOTSTRAP_SERVERS", "SCHEMA_REGISTRY_URL")
BLOCK_TIMEOUT_S = 180


def _fresh_clone(dest: Path) -> None:
    """The repo's files as a clone has them (tracked and new, nothing ignored), plus the venv."""
    listing = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        check=True,
        capture_output=True,
    ).stdout.decode()
    for name in filter(None, listing.split("\0")):
        source = REPO / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    venv = Path(sys.prefix)
    stamp = venv / ".installed-stamp"
    assert stamp.is_file(), f"{venv} was not made by `make install`; run the tests with `make test`"
    (dest / ".venv").symlink_to(venv, target_is_directory=True)
    # `make` in the copy must see the venv as installed, as it is after the quick start.
    before = stamp.stat().st_mtime - 1
    os.utime(dest / "pyproject.toml", (before, before))


def _run(block: Block, where: Path, stack: Stack) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in (*STACK_ENV, "HERALD_STACK_DIR")}
    for var in ("GIT_AUTHOR_NAME", "GIT_COMMITTER_NAME"):
        env.setdefault(var, "README example")
    for var in ("GIT_AUTHOR_EMAIL", "GIT_COMMITTER_EMAIL"):
        env.setdefault(var, "readme@example.com")
    env["VIRTUAL_ENV"] = str(where / ".venv")
    env["PATH"] = f"{where / '.venv' / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    if block.mode == "stack":
        env.update(zip(STACK_ENV, (stack.bootstrap_servers, stack.registry_url), strict=True))
    if block.language in PYTHON:
        command = [str(where / ".venv" / "bin" / "python"), "-"]
        stdin = block.text
    else:
        command = ["bash", "-euo", "pipefail", "-c", block.text]
        stdin = ""
    return subprocess.run(
        command,
        cwd=where,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=BLOCK_TIMEOUT_S,
        check=False,
    )


def test_every_runnable_readme_block_runs_in_a_fresh_clone(stack: Stack, tmp_path: Path) -> None:
    blocks = [b for b in parse_blocks((REPO / "README.md").read_text()) if b.runnable]
    assert any(b.mode == "stack" for b in blocks)
    assert any(b.mode == "offline" for b in blocks)
    where = tmp_path / "clone"
    where.mkdir()
    _fresh_clone(where)
    for block in blocks:
        result = _run(block, where, stack)
        assert result.returncode == 0, (
            f"README.md:{block.line} ({block.language}, {block.mode}) exited "
            f"{result.returncode}\n--- block\n{block.text}--- stdout\n{result.stdout}"
            f"--- stderr\n{result.stderr}"
        )
