"""herald's pre-commit hooks, run with ``pre-commit try-repo`` on a schema repo made by init."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
ORDER = "schemas/com/example/orders/order_placed.avsc"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "t",
    "GIT_AUTHOR_EMAIL": "t@example.com",
    "GIT_COMMITTER_NAME": "t",
    "GIT_COMMITTER_EMAIL": "t@example.com",
}


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=120
    )


@pytest.fixture(scope="module")
def pushed_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """herald init + codegen, committed and pushed, on a branch that tracks origin/main."""
    tmp_path = tmp_path_factory.mktemp("hooks")
    env = {
        **os.environ,
        **GIT_ENV,
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
    }
    root = tmp_path / "shop"
    for args, cwd in (
        (["herald", "init", str(root)], tmp_path),
        (["herald", "codegen"], root),
        (["git", "init", "-q", "-b", "main"], root),
        (["git", "add", "-A"], root),
        (["git", "commit", "-qm", "schemas"], root),
        (["git", "init", "-q", "--bare", str(tmp_path / "origin.git")], root),
        (["git", "remote", "add", "origin", str(tmp_path / "origin.git")], root),
        (["git", "push", "-qu", "origin", "main"], root),
    ):
        done = _run(args, cwd, env)
        assert done.returncode == 0, done.stdout + done.stderr
    return root, env


@pytest.fixture
def schema_repo(pushed_repo: tuple[Path, dict[str, str]]) -> Iterator[tuple[Path, dict[str, str]]]:
    """The pushed repo, with each test's edits undone afterwards."""
    yield pushed_repo
    root, env = pushed_repo
    assert _run(["git", "checkout", "--", "."], root, env).returncode == 0


def _hooks(root: Path, env: dict[str, str]) -> tuple[int, str]:
    result = _run([str(BIN / "pre-commit"), "try-repo", str(REPO), "--all-files"], root, env)
    return result.returncode, result.stdout + result.stderr


def _edit(root: Path, old: str, new: str) -> None:
    path = root / ORDER
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def _status(output: str, hook: str) -> str:
    line = next(line for line in output.splitlines() if line.startswith(hook + "."))
    return line.rsplit(".", 1)[1]


def test_a_clean_repo_passes(schema_repo: tuple[Path, dict[str, str]]) -> None:
    root, env = schema_repo
    code, out = _hooks(root, env)
    assert code == 0, out
    assert [_status(out, h) for h in ("herald lint", "herald diff", "herald codegen --check")] == [
        "Passed",
        "Passed",
        "Passed",
    ]


def test_a_lint_violation_fails(schema_repo: tuple[Path, dict[str, str]]) -> None:
    root, env = schema_repo
    _edit(root, '"doc": "Who placed the order."', '"doc": ""')
    code, out = _hooks(root, env)
    assert code == 1
    assert _status(out, "herald lint") == "Failed"
    assert "AVRO_FIELD_DOC" in out


def test_a_stale_generated_package_fails(schema_repo: tuple[Path, dict[str, str]]) -> None:
    root, env = schema_repo
    _edit(root, "Who placed the order.", "The customer who placed the order.")
    code, out = _hooks(root, env)
    assert code == 1
    assert _status(out, "herald lint") == "Passed"
    assert _status(out, "herald diff") == "Passed"
    assert _status(out, "herald codegen --check") == "Failed"
    assert "shop_events is stale (1 file(s) differ)" in out


def test_a_breaking_change_against_upstream_fails(
    schema_repo: tuple[Path, dict[str, str]],
) -> None:
    root, env = schema_repo
    _edit(root, '"type": "long"', '"type": "string"')
    code, out = _hooks(root, env)
    assert code == 1
    assert _status(out, "herald diff") == "Failed"
    assert "TYPE_MISMATCH" in out
