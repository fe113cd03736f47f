"""The generated package passes mypy --strict and ruff check; mypy rejects a wrong field type."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.unit.generate.conftest import PACKAGE

REPO = Path(__file__).resolve().parents[3]
#: The house rules minus those schema-derived code cannot follow (see tests/golden/expected).
HOUSE_RULES = "E,F,W,I,B,UP,SIM,RUF,C4,PIE,PT,RET,TID,PL,N"
HOUSE_IGNORES = "PLR0913,PLR2004,PLR0911,PLR0912,PLR0915,E501,N801,N803,N815,N816,TID252"

MISUSE = f"""
import datetime
import decimal

from {PACKAGE}.com.example.common import Currency, Money
from {PACKAGE}.com.example.shop import Category

Money(amount="12.50", currency=Currency.EUR)
Category(name=3)
Money(amount=decimal.Decimal("1"), currency="EUR")
"""
#: (line, message) mypy must report for MISUSE, and nothing else.
EXPECTED_ERRORS = [
    (8, 'Argument "amount" to "Money" has incompatible type "str"; expected "Decimal"'),
    (9, 'Argument "name" to "Category" has incompatible type "int"; expected "str"'),
    (10, 'Argument "currency" to "Money" has incompatible type "str"; expected "Currency"'),
]


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MYPYPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", *args],
        check=False,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


def test_mypy_strict_accepts_the_package_and_rejects_wrong_field_types(golden_dir: Path) -> None:
    (golden_dir / "misuse.py").write_text(MISUSE, encoding="utf-8")
    done = _run("mypy", "--strict", "--no-incremental", PACKAGE, "misuse.py", cwd=golden_dir)
    errors = [line for line in done.stdout.splitlines() if ": error: " in line]
    in_package = [e for e in errors if e.startswith(PACKAGE)]
    assert in_package == [], done.stdout
    misuse = [e for e in errors if e.startswith("misuse.py")]
    found = [(int(e.split(":")[1]), e.split(": error: ")[1].rsplit("  [", 1)[0]) for e in misuse]
    assert found == EXPECTED_ERRORS, done.stdout


def test_ruff_check_passes_with_default_and_house_rules(golden_dir: Path) -> None:
    default = _run("ruff", "check", "--isolated", PACKAGE, cwd=golden_dir)
    assert default.returncode == 0, default.stdout
    house = _run(
        "ruff",
        "check",
        "--isolated",
        "--select",
        HOUSE_RULES,
        "--ignore",
        HOUSE_IGNORES,
        PACKAGE,
        cwd=golden_dir,
    )
    assert house.returncode == 0, house.stdout


def test_output_is_already_formatted(golden_dir: Path) -> None:
    done = _run(
        "ruff", "format", "--isolated", "--line-length", "100", "--check", PACKAGE, cwd=golden_dir
    )
    assert done.returncode == 0, done.stdout


def test_slots_are_listed_in_the_order_ruff_wants(tmp_path: Path) -> None:
    """RUF023 sorts ``__slots__`` naturally (digit runs as numbers); generated classes follow it."""
    from codegen.generate.render import natural_order

    names = sorted(
        ["b10", "a", "a10", "Z_Z", "_x", "B", "a2", "x1y10", "b2c", "x1y2"], key=natural_order
    )
    source = tmp_path / "slots.py"
    source.write_text(f"class A:\n    __slots__ = {tuple(names)!r}\n")
    done = _run("ruff", "check", "--isolated", "--select", "RUF023", str(source), cwd=tmp_path)
    assert done.returncode == 0, done.stdout
