"""Progress bars: drawn on a terminal, absent under --quiet or when stderr is not a terminal."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

HERALD = str(Path(sys.executable).with_name("herald"))


def _record(name: str) -> dict[str, object]:
    return {"type": "record", "name": name, "namespace": "demo", "fields": []}


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    """Two folders of three Avro records each, for a folder diff."""
    for side in ("old", "new"):
        for name in ("A", "B", "C"):
            path = tmp_path / side / "demo" / f"{name}.avsc"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(_record(name)))
    return tmp_path / "old", tmp_path / "new"


def _on_a_terminal(*args: str) -> str:
    """Run herald with stderr on a pseudo-terminal; return what the terminal showed."""
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [HERALD, *args],
            stdout=subprocess.PIPE,
            stderr=follower,
            env={**os.environ, "COLUMNS": "120"},
            timeout=60,
            check=False,
        )
        os.close(follower)
        follower = -1
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(leader)
        if follower != -1:
            os.close(follower)
    assert done.returncode == 0, shown
    return shown.decode(errors="replace")


def test_a_folder_diff_draws_a_bar_on_a_terminal(folders: tuple[Path, Path]) -> None:
    shown = _on_a_terminal("diff", str(folders[0]), str(folders[1]))
    assert "diff  [" in shown
    assert "3/3" in shown
    assert "compatible" in shown


def test_quiet_draws_no_bar(folders: tuple[Path, Path]) -> None:
    shown = _on_a_terminal("diff", "--quiet", str(folders[0]), str(folders[1]))
    assert "3/3" not in shown
    assert "compatible" in shown


def test_no_bar_when_stderr_is_not_a_terminal(folders: tuple[Path, Path]) -> None:
    done = subprocess.run(
        [HERALD, "diff", str(folders[0]), str(folders[1])],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"{folders[1]} against {folders[0]}: 3 schema(s) checked at BACKWARD: compatible"
    ]
