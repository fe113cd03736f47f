"""Compile Protobuf texts held in memory (a schema and its imports) with protoc.

Registry schemas and git revisions are texts, not files in a source tree: they are written to
a temporary folder (imports at their import paths) and compiled by grpcio-tools' protoc into a
``FileDescriptorSet`` with source info. protoc reports errors on the process's stderr, so the
call redirects that file descriptor and turns the first ``file:line:col: message`` into a
:class:`~codegen.errors.SchemaParseError` that names the user's file.
"""

from __future__ import annotations

import functools
import importlib.resources
import os
import re
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path, PurePosixPath

from google.protobuf.descriptor_pb2 import FileDescriptorProto, FileDescriptorSet

from codegen.errors import SchemaParseError

_PROTOC_ERROR = re.compile(r"^(?P<file>[^:\n]+):(?P<line>\d+):(?P<col>\d+): (?P<msg>.+)$", re.M)
# protoc writes to the process-wide stderr; one compile at a time keeps messages apart.
_LOCK = threading.Lock()
_MAIN_FALLBACK = "__schema__.proto"


@functools.cache
def _well_known_include() -> str:
    return str(importlib.resources.files("grpc_tools") / "_proto")


def _main_name(path: str, references: Mapping[str, str]) -> str:
    name = PurePosixPath(path.replace("\\", "/")).name
    if not name.endswith(".proto") or name in references:
        return _MAIN_FALLBACK
    return name


def _safe_target(root: Path, import_path: str) -> Path:
    target = (root / import_path).resolve()
    if root.resolve() not in target.parents:
        raise SchemaParseError(import_path, 0, 0, "import path leaves the schema folder")
    return target


def _run_protoc(args: list[str]) -> tuple[int, str]:
    from grpc_tools import protoc

    with _LOCK, tempfile.TemporaryFile(mode="w+b") as err:
        saved = os.dup(2)
        try:
            os.dup2(err.fileno(), 2)
            code = int(protoc.main(args))
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        err.seek(0)
        return code, err.read().decode("utf-8", "replace")


def compile_sources(
    path: str, text: str, references: Mapping[str, str]
) -> tuple[str, list[FileDescriptorProto]]:
    """Compile ``text`` (shown as ``path``) with its imports; return (main file name, files)."""
    main = _main_name(path, references)
    with tempfile.TemporaryDirectory(prefix="herald-proto-") as tmp:
        root = Path(tmp)
        for import_path, ref_text in references.items():
            target = _safe_target(root, import_path)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(ref_text, encoding="utf-8")
        (root / main).write_text(text, encoding="utf-8")
        out = root / "__out__.pb"
        code, stderr = _run_protoc(
            [
                "protoc",
                f"-I{root}",
                f"-I{_well_known_include()}",
                "--include_source_info",
                "--include_imports",
                f"--descriptor_set_out={out}",
                main,
            ]
        )
        if code != 0:
            raise _compile_error(path, main, stderr)
        files = list(FileDescriptorSet.FromString(out.read_bytes()).file)
    return main, files


def _compile_error(path: str, main: str, stderr: str) -> SchemaParseError:
    match = _PROTOC_ERROR.search(stderr)
    if match is None:
        detail = stderr.strip().splitlines()[0] if stderr.strip() else "protoc failed"
        return SchemaParseError(path, 1, 1, detail)
    where = match["file"]
    shown = path if where == main else where
    return SchemaParseError(shown, int(match["line"]), int(match["col"]), match["msg"])
