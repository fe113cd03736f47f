"""Generate a package from schema texts into a temporary folder and import it, for hostile cases."""

from __future__ import annotations

import importlib
import sys
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

from codegen.catalog import load_catalog
from codegen.generate import generate_files, write_package


def write_schemas(root: Path, files: Mapping[str, str]) -> Path:
    """Write ``{relative path: text}`` under ``root/schemas`` and return that folder."""
    folder = root / "schemas"
    for rel, text in files.items():
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return folder


@contextmanager
def generated(root: Path, files: Mapping[str, str]) -> Iterator[ModuleType]:
    """Generate the schemas into a uniquely named package, import it, and forget it afterwards."""
    name = f"hostile_{uuid.uuid4().hex[:10]}"
    catalog = load_catalog([write_schemas(root, files)])
    write_package(generate_files(catalog, name), root / "out" / name)
    sys.path.insert(0, str(root / "out"))
    try:
        yield importlib.import_module(name)
    finally:
        sys.path.remove(str(root / "out"))
        for loaded in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            del sys.modules[loaded]
