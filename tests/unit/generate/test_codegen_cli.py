"""``herald codegen``: writes the package, --check reports drift with exit 1, errors exit 2."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from codegen.cli import main
from tests.golden.regenerate import SCHEMAS


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder with a copy of the golden schemas and no config file, as the cwd."""
    shutil.copytree(SCHEMAS, tmp_path / "schemas")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["codegen", *args])
    return result.exit_code, result.output


def test_generates_then_check_passes_then_drift_fails(project: Path) -> None:
    code, out = run("--schemas", "schemas", "--out", "src/events")
    assert code == 0, out
    assert (project / "src/events/__init__.py").is_file()
    assert (project / "src/events/py.typed").is_file()
    assert run("--schemas", "schemas", "--out", "src/events", "--check")[0] == 0

    shop = project / "src/events/com/example/shop.py"
    shop.write_text(shop.read_text("utf-8") + "# edited\n", "utf-8")
    (project / "src/events/com/example/common.py").unlink()
    code, out = run("--schemas", "schemas", "--out", "src/events", "--check")
    assert code == 1
    assert "changed  com/example/shop.py (+0 -1 lines)" in out
    assert "missing  com/example/common.py" in out

    code, out = run("--schemas", "schemas", "--out", "src/events")
    assert code == 0
    assert "2 written" in out
    assert run("--schemas", "schemas", "--out", "src/events", "--check")[0] == 0


def test_schema_removed_leaves_no_stale_module(project: Path) -> None:
    assert run("--schemas", "schemas", "--out", "events")[0] == 0
    (project / "schemas/heartbeat.avsc").unlink()
    code, out = run("--schemas", "schemas", "--out", "events", "--check")
    assert code == 1
    assert "stale    _default.py" in out
    assert run("--schemas", "schemas", "--out", "events")[0] == 0
    assert not (project / "events/_default.py").exists()


def test_without_an_output_folder_it_exits_2(project: Path) -> None:
    code, out = run("--schemas", "schemas")
    assert code == 2
    assert "--out" in out


def test_an_output_folder_that_is_no_package_name_exits_2(project: Path) -> None:
    code, out = run("--schemas", "schemas", "--out", "my-events")
    assert code == 2
    assert "not a valid Python package name" in out


def test_a_name_injection_exits_2_without_traceback(project: Path) -> None:
    bad = {"type": "record", "name": "X", "fields": [{"name": "a\nimport os", "type": "int"}]}
    (project / "schemas/bad.avsc").write_text(json.dumps(bad), "utf-8")
    code, out = run("--schemas", "schemas", "--out", "events")
    assert code == 2
    assert "Traceback" not in out
    assert "is not a valid name" in out
