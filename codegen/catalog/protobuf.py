"""Load .proto files with protoc (grpcio-tools) into descriptors with source positions.

All catalog .proto files go to one protoc run with ``--include_imports
--include_source_info``; the include path is every schema folder plus grpc_tools' bundled
``_proto`` folder, so ``google/protobuf/*.proto`` (the well-known types) resolve. protoc runs in
this process (grpcio-tools' compiler), its stderr captured at the file-descriptor level; its
errors (``file:line:col: message``) become :class:`SchemaParseError` at the same place, with
the file shown by its display path. Each file's messages (nested ones too) get their
Confluent message index path and their SourceCodeInfo location.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from google.protobuf.descriptor_pb2 import (
    DescriptorProto,
    FieldDescriptorProto,
    FileDescriptorProto,
    FileDescriptorSet,
    SourceCodeInfo,
)

from codegen.catalog.avro import display_path_for
from codegen.catalog.model import ProtoFile, ProtoMessage
from codegen.catalog.text import read_schema_text
from codegen.errors import HeraldError, SchemaParseError

#: Descriptor scalar type -> its name in .proto files (compat and codegen read it).
SCALAR_TYPE_NAMES: dict[int, str] = {
    FieldDescriptorProto.TYPE_DOUBLE: "double",
    FieldDescriptorProto.TYPE_FLOAT: "float",
    FieldDescriptorProto.TYPE_INT64: "int64",
    FieldDescriptorProto.TYPE_UINT64: "uint64",
    FieldDescriptorProto.TYPE_INT32: "int32",
    FieldDescriptorProto.TYPE_FIXED64: "fixed64",
    FieldDescriptorProto.TYPE_FIXED32: "fixed32",
    FieldDescriptorProto.TYPE_BOOL: "bool",
    FieldDescriptorProto.TYPE_STRING: "string",
    FieldDescriptorProto.TYPE_BYTES: "bytes",
    FieldDescriptorProto.TYPE_UINT32: "uint32",
    FieldDescriptorProto.TYPE_SFIXED32: "sfixed32",
    FieldDescriptorProto.TYPE_SFIXED64: "sfixed64",
    FieldDescriptorProto.TYPE_SINT32: "sint32",
    FieldDescriptorProto.TYPE_SINT64: "sint64",
}
#: FileDescriptorProto / DescriptorProto field numbers used in SourceCodeInfo paths.
FILE_MESSAGE_TYPE = 4
MESSAGE_FIELD = 2
MESSAGE_NESTED_TYPE = 3

#: protoc's C++ main writes its errors to file descriptor 2, which is process-wide: one run at
#: a time redirects it.
_PROTOC_LOCK = threading.Lock()

_POSITIONED = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+):(?P<col>\d+): (?P<msg>.*)$")
_UNPOSITIONED = re.compile(r"^(?P<path>[^:\n]+\.proto): (?P<msg>.*)$")


def well_known_dir() -> Path:
    """The folder of .proto files grpcio-tools bundles (``google/protobuf/*.proto``)."""
    try:
        import grpc_tools
    except ImportError:
        raise HeraldError(
            "reading .proto files needs protoc from grpcio-tools, which is not installed; "
            "run `pip install 'herald-kafka[cli]'`"
        ) from None

    return Path(grpc_tools.__file__).parent / "_proto"


def _first_error(stderr: str, display: Mapping[str, str]) -> SchemaParseError:
    """Turn protoc's first error line into a SchemaParseError named by display path."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    errors = [ln for ln in lines if not ln.lower().startswith("warning")] or lines
    for text in errors:
        match = _POSITIONED.match(text)
        if match:
            path = display.get(match["path"], match["path"])
            return SchemaParseError(path, int(match["line"]), int(match["col"]), match["msg"])
    for text in errors:
        match = _UNPOSITIONED.match(text)
        if match:
            path = display.get(match["path"], match["path"])
            return SchemaParseError(path, 0, 0, match["msg"])
    summary = errors[0] if errors else "protoc failed without a message"
    return SchemaParseError("<protoc>", 0, 0, summary)


def _protoc_main(args: Sequence[str]) -> tuple[int, str]:
    """Run protoc in this process; return its exit code and what it wrote to stderr.

    This is ``grpc_tools.protoc.main`` without importing ``grpc_tools.protoc``, whose import
    adds ``*_pb2`` import hooks to ``sys.meta_path``. protoc writes from C++ straight to file
    descriptor 2, so fd 2 points at a temporary file for the duration of the call (under a lock,
    restored in ``finally``): nothing reaches the terminal and the text becomes the error.
    """
    well_known_dir()  # a clear error when grpcio-tools is missing
    from grpc_tools import _protoc_compiler

    argv = [b"grpc_tools.protoc", *(arg.encode() for arg in args)]
    with _PROTOC_LOCK, tempfile.TemporaryFile() as captured:
        if sys.stderr is not None:
            sys.stderr.flush()
        saved = os.dup(2)
        try:
            os.dup2(captured.fileno(), 2)
            code = int(_protoc_compiler.run_main(argv))
        finally:
            os.dup2(saved, 2)
            os.close(saved)
        captured.seek(0)
        return code, captured.read().decode("utf-8", errors="replace")


def _display_map(import_paths: Sequence[str], roots: Sequence[Path]) -> dict[str, str]:
    """How protoc may name each file (import path or path on disk) -> its display path."""
    display: dict[str, str] = {}
    for ip in import_paths:
        for root in roots:
            if (root / ip).is_file():
                shown = display_path_for(root / ip, root)
                display[ip] = display[str(root / ip)] = shown
    return display


def run_protoc(import_paths: Sequence[str], roots: Sequence[Path]) -> FileDescriptorSet:
    """Compile the files with protoc; raise SchemaParseError at protoc's first error."""
    with tempfile.TemporaryDirectory(prefix="herald-protoc-") as tmp:
        out = Path(tmp) / "catalog.pb"
        args = [
            *(f"-I{root}" for root in roots),
            f"-I{well_known_dir()}",
            "--include_imports",
            "--include_source_info",
            f"--descriptor_set_out={out}",
            *import_paths,
        ]
        code, stderr = _protoc_main(args)
        if code != 0 or not out.exists():
            raise _first_error(stderr, _display_map(import_paths, roots))
        descriptor_set = FileDescriptorSet()
        descriptor_set.ParseFromString(out.read_bytes())
        return descriptor_set


class _SourceSpans(Mapping[tuple[int, ...], tuple[int, int]]):
    """SourceCodeInfo path -> (line, col), read from the descriptor only as far as lookups need.

    protoc lists a message's location before those of its fields, so finding where messages
    start reads only part of the list; the first location recorded for a path wins, as in
    :func:`_spans`.
    """

    __slots__ = ("_lock", "_rest", "_spans")

    def __init__(self, descriptor: FileDescriptorProto) -> None:
        self._lock = threading.Lock()
        self._spans: dict[tuple[int, ...], tuple[int, int]] = {}
        self._rest: Iterator[SourceCodeInfo.Location] | None = iter(
            descriptor.source_code_info.location
        )

    def _read_until(self, wanted: tuple[int, ...] | None) -> None:
        """Record locations until ``wanted`` is recorded (``None``: read them all)."""
        spans = self._spans
        with self._lock:
            for loc in self._rest or ():
                span = loc.span
                if len(span) >= 3:
                    key = tuple(loc.path)
                    if key not in spans:
                        spans[key] = (span[0] + 1, span[1] + 1)
                        if key == wanted:
                            return
            self._rest = None

    def __getitem__(self, path: tuple[int, ...]) -> tuple[int, int]:
        if path not in self._spans and self._rest is not None:
            self._read_until(path)
        return self._spans[path]

    def __iter__(self) -> Iterator[tuple[int, ...]]:
        self._read_until(None)
        return iter(self._spans)

    def __len__(self) -> int:
        self._read_until(None)
        return len(self._spans)


class _DisplayPaths:
    """:func:`display_path_for` with the cwd and each root resolved once for a whole load."""

    def __init__(self) -> None:
        self._cwd = Path.cwd().resolve()
        self._roots: dict[Path, Path] = {}

    def __call__(self, path: Path, root: Path) -> str:
        resolved = path.resolve()
        try:
            return resolved.relative_to(self._cwd).as_posix()
        except ValueError:
            if root not in self._roots:
                self._roots[root] = root.resolve()
            return resolved.relative_to(self._roots[root]).as_posix()


def _spans(descriptor: FileDescriptorProto) -> dict[tuple[int, ...], tuple[int, int]]:
    """SourceCodeInfo path -> 1-based (line, col) of where that element starts."""
    spans: dict[tuple[int, ...], tuple[int, int]] = {}
    for loc in descriptor.source_code_info.location:
        span = loc.span  # each attribute read builds a container: read it once
        if len(span) >= 3:
            key = tuple(loc.path)
            if key not in spans:
                spans[key] = (span[0] + 1, span[1] + 1)
    return spans


def _walk_messages(
    messages: Sequence[DescriptorProto],
    prefix: str,
    indexes: tuple[int, ...],
    source_path: tuple[int, ...],
    *,
    child_field: int,
    display_path: str,
) -> Iterator[ProtoMessage]:
    """Yield every message depth-first, with its index path and SourceCodeInfo path."""
    for index, msg in enumerate(messages):
        full_name = f"{prefix}.{msg.name}" if prefix else msg.name
        path = (*source_path, child_field, index)
        yield ProtoMessage(
            full_name=full_name,
            name=msg.name,
            indexes=(*indexes, index),
            descriptor=msg,
            source_path=path,
            path=display_path,
            map_entry=msg.options.map_entry,
        )
        yield from _walk_messages(
            msg.nested_type,
            full_name,
            (*indexes, index),
            path,
            child_field=MESSAGE_NESTED_TYPE,
            display_path=display_path,
        )


def build_proto_file(
    path: Path,
    root: Path,
    import_path: str,
    descriptor: FileDescriptorProto,
    catalog_imports: set[str],
    *,
    display_path: str | None = None,
) -> ProtoFile:
    """Wrap protoc's descriptor of one catalog file in the typed model."""
    display = display_path if display_path is not None else display_path_for(path, root)
    deps = list(descriptor.dependency)
    messages = tuple(
        _walk_messages(
            descriptor.message_type,
            descriptor.package,
            (),
            (),
            child_field=FILE_MESSAGE_TYPE,
            display_path=display,
        )
    )
    return ProtoFile(
        path=path,
        display_path=display,
        root=root,
        import_path=import_path,
        package=descriptor.package,
        text=read_schema_text(path, display),
        descriptor=descriptor,
        messages=messages,
        imports=tuple(d for d in deps if d in catalog_imports),
        well_known_imports=tuple(d for d in deps if d not in catalog_imports),
        spans=_SourceSpans(descriptor),
    )


def load_proto_files(
    files: Sequence[tuple[Path, Path]],
) -> tuple[list[ProtoFile], FileDescriptorSet]:
    """Compile (path, root) pairs together; return the typed files and protoc's descriptor set."""
    if not files:
        return [], FileDescriptorSet()
    roots: list[Path] = []
    import_paths: list[str] = []
    owner: dict[str, tuple[Path, Path]] = {}
    for path, root in files:
        import_path = path.relative_to(root).as_posix()
        if import_path in owner:
            first = display_path_for(owner[import_path][0], owner[import_path][1])
            raise SchemaParseError(
                display_path_for(path, root),
                1,
                1,
                f"import path {import_path!r} is also provided by {first}; "
                "two schema folders cannot hold the same .proto path",
            )
        read_schema_text(path, display_path_for(path, root))  # not UTF-8: fail at the byte
        owner[import_path] = (path, root)
        import_paths.append(import_path)
        if root not in roots:
            roots.append(root)
    descriptor_set = run_protoc(import_paths, roots)
    by_name = {fd.name: fd for fd in descriptor_set.file}
    catalog_imports = set(import_paths)
    shown = _DisplayPaths()
    result = [
        build_proto_file(
            path, root, ip, by_name[ip], catalog_imports, display_path=shown(path, root)
        )
        for ip, (path, root) in owner.items()
    ]
    return result, descriptor_set
