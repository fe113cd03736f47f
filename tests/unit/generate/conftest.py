"""Fixtures for code generation tests: the golden catalog generated into an importable package."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from codegen.catalog import Catalog, load_catalog
from codegen.generate import generate_files, write_package
from tests.golden.regenerate import SCHEMAS

#: Package name of the generated golden package under test (unique in sys.modules).
PACKAGE = "herald_golden_events"


@pytest.fixture(scope="session")
def golden_catalog() -> Catalog:
    """The catalog of tests/golden/schemas."""
    return load_catalog([SCHEMAS])


@pytest.fixture(scope="session")
def golden_dir(tmp_path_factory: pytest.TempPathFactory, golden_catalog: Catalog) -> Path:
    """A folder holding the freshly generated golden package."""
    root = tmp_path_factory.mktemp("generated")
    write_package(generate_files(golden_catalog, PACKAGE), root / PACKAGE)
    return root


@pytest.fixture(scope="session")
def golden_package(golden_dir: Path) -> Iterator[ModuleType]:
    """The generated golden package, imported."""
    sys.path.insert(0, str(golden_dir))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(golden_dir))
