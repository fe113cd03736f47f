"""Regenerate the golden files: ``make golden`` (or ``python -m tests.golden.regenerate``).

The golden package is what ``herald codegen`` makes of ``tests/golden/schemas``; it lives in
``tests/golden/expected/events``. Tests fail when generation drifts from it; after an
intended change, run this, review the diff, and commit both.
"""

from __future__ import annotations

from pathlib import Path

from codegen.catalog import load_catalog
from codegen.generate import generate_files, write_package

HERE = Path(__file__).parent
SCHEMAS = HERE / "schemas"
EXPECTED = HERE / "expected" / "events"


def golden_files() -> dict[str, str]:
    """The golden package as ``herald codegen`` generates it now."""
    return generate_files(load_catalog([SCHEMAS]), EXPECTED.name)


def main() -> None:
    """Rewrite the expected package from the golden schemas."""
    written, removed = write_package(golden_files(), EXPECTED)
    print(f"{EXPECTED}: {written} written, {removed} removed")


if __name__ == "__main__":
    main()
