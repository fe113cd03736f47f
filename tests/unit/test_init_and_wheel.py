"""``herald init`` scaffolds a schema repo, and that repo builds an events wheel with hatchling."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from click.testing import CliRunner

from codegen import __version__
from codegen.cli import main
from codegen.commands.init import FILES
from codegen.config import load_config
from codegen.distribution import runtime_range

REPO = Path(__file__).resolve().parents[2]
HERALD = str(Path(sys.executable).with_name("herald"))


def _init(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["init", *args])
    return result.exit_code, result.output


def test_init_writes_the_loop_and_keeps_what_exists(tmp_path: Path) -> None:
    root = tmp_path / "shop"
    code, out = _init(str(root))
    assert code == 0, out
    assert sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) == sorted(FILES)
    assert "7 file(s) written for shop-events (package shop_events)" in out
    config = load_config(str(root / "herald.toml"))
    assert config.codegen.out == root / "shop_events"
    assert [b.topic for b in config.bindings] == ["orders", "payments"]
    workflow = (root / ".github/workflows/herald.yml").read_text()
    assert workflow == (REPO / "docs/ci/github-actions.yml").read_text()
    assert f'"herald-kafka[cli]{runtime_range()}"' in (root / "pyproject.toml").read_text()

    (root / "herald.toml").write_text("# mine\n")
    code, out = _init(str(root))
    assert code == 0
    assert "  exists  herald.toml (kept; --force overwrites it)" in out
    assert "nothing written" in out
    assert (root / "herald.toml").read_text() == "# mine\n"
    code, out = _init(str(root), "--force")
    assert code == 0
    assert "  wrote   herald.toml" in out
    assert (root / "herald.toml").read_text().startswith("# herald's configuration")


def test_a_folder_name_that_cannot_name_a_package_needs_name(tmp_path: Path) -> None:
    code, out = _init(str(tmp_path / "1st"))
    assert code == 2
    assert "pass --name NAME" in out
    code, _ = _init(str(tmp_path / "1st"), "--name", "orders")
    assert code == 0
    assert 'out = "orders_events"' in (tmp_path / "1st" / "herald.toml").read_text()


def test_the_scaffold_lints_clean(tmp_path: Path) -> None:
    _init(str(tmp_path / "shop"))
    lint = subprocess.run(
        [HERALD, "lint"], cwd=tmp_path / "shop", capture_output=True, text=True, check=False
    )
    assert lint.returncode == 0, lint.stdout + lint.stderr


def _wheel(root: Path, out: Path) -> subprocess.CompletedProcess[str]:
    pip_wheel = [sys.executable, "-m", "pip", "wheel", ".", "--no-build-isolation", "--no-deps"]
    return subprocess.run(
        [*pip_wheel, "-q", "-w", str(out)],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture
def schema_repo(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    _init(str(root))
    subprocess.run([HERALD, "codegen"], cwd=root, check=True, capture_output=True)
    return root


def test_the_wheel_ships_the_package_and_needs_only_the_runtime(
    schema_repo: Path, tmp_path: Path
) -> None:
    result = _wheel(schema_repo, tmp_path / "dist")
    assert result.returncode == 0, result.stderr
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    assert wheel.name == "shop_events-0.1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        meta = Parser().parsestr(archive.read("shop_events-0.1.0.dist-info/METADATA").decode())
    assert "shop_events/py.typed" in names
    assert "shop_events/com/example/orders.py" in names
    assert "shop_events/example/payments/v1/payments_pb2.py" in names
    assert not [n for n in names if n.startswith("schemas/") or n.endswith(".toml")]
    assert meta["Name"] == "shop-events"
    assert meta.get_all("Requires-Dist") == [f"herald-kafka<0.2,>={__version__}"]


def test_a_stale_or_invalid_catalog_fails_the_build(schema_repo: Path, tmp_path: Path) -> None:
    order = schema_repo / "schemas/com/example/orders/order_placed.avsc"
    order.write_text(order.read_text().replace("Who placed the order.", "The customer."))
    stale = _wheel(schema_repo, tmp_path / "dist")
    assert stale.returncode != 0
    assert "herald: error: shop_events is stale (1 file(s) differ" in stale.stderr
    order.write_text(order.read_text().replace('"name": "note",', '"name": "note" "x",'))
    invalid = _wheel(schema_repo, tmp_path / "dist")
    assert invalid.returncode != 0
    assert "schemas/com/example/orders/order_placed.avsc:11:22: malformed JSON" in invalid.stderr
    assert not list((tmp_path / "dist").glob("*.whl"))
