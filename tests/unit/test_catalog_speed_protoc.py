"""protoc runs inside the process: its stderr is captured at fd 2 and fd 2 is always restored."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from codegen.catalog.avro import display_path_for
from codegen.catalog.protobuf import (
    _DisplayPaths,
    _SourceSpans,
    _spans,
    load_proto_files,
    run_protoc,
)
from codegen.errors import SchemaParseError
from codegen.findings import Location

GOOD = 'syntax = "proto3";\npackage t.v1;\nimport "google/protobuf/timestamp.proto";\n\n' + (
    "message Ok {\n  google.protobuf.Timestamp at = 1;\n}\n"
)
BAD = 'syntax = "proto3";\npackage t.v1;\n\nmessage Bad {\n  string id = 1\n}\n'


def _write(root: Path, name: str, text: str) -> str:
    (root / name).write_text(text, encoding="utf-8")
    return name


def test_error_is_a_positioned_parse_error_and_nothing_reaches_fd2(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    name = _write(tmp_path, "bad.proto", BAD)
    with pytest.raises(SchemaParseError) as info:
        run_protoc([name], [tmp_path])
    assert (info.value.path, info.value.line, info.value.col) == ("bad.proto", 6, 1)
    assert 'Expected ";"' in info.value.message
    assert capfd.readouterr() == ("", "")


def test_fd2_is_restored_after_success_and_after_failure(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    good = _write(tmp_path, "good.proto", GOOD)
    bad = _write(tmp_path, "bad.proto", BAD)
    compiled = run_protoc([good], [tmp_path])
    assert [f.name for f in compiled.file] == ["google/protobuf/timestamp.proto", "good.proto"]
    os.write(2, b"after success\n")
    with pytest.raises(SchemaParseError):
        run_protoc([bad], [tmp_path])
    os.write(2, b"after failure\n")
    assert capfd.readouterr().err == "after success\nafter failure\n"


def test_concurrent_runs_each_get_their_own_result(tmp_path: Path) -> None:
    good = _write(tmp_path, "good.proto", GOOD)
    bad = _write(tmp_path, "bad.proto", BAD)
    outcomes: list[str] = []
    lock = threading.Lock()

    def work(index: int) -> None:
        for _ in range(3):
            try:
                compiled = run_protoc([good if index % 2 else bad], [tmp_path])
                result = f"ok {compiled.file[-1].message_type[0].name}"
            except SchemaParseError as exc:
                result = f"error {exc.line}:{exc.col}"
            with lock:
                outcomes.append(f"{index % 2} {result}")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["0 error 6:1"] * 6 + ["1 ok Ok"] * 6


def test_display_paths_match_display_path_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "schemas"
    (root / "t" / "v1").mkdir(parents=True)
    inside = root / "t" / "v1" / "a.proto"
    inside.write_text(GOOD, encoding="utf-8")
    linked = root / "t" / "v1" / "link.proto"
    linked.symlink_to(inside)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    for cwd in (tmp_path, elsewhere, root / "t"):
        monkeypatch.chdir(cwd)
        shown = _DisplayPaths()
        for path in (inside, linked, Path("../schemas/t/v1/a.proto")):
            if path.exists():
                assert shown(path, root) == display_path_for(path, root)


NESTED = (
    'syntax = "proto3";\npackage t.v1;\n\nmessage Outer {\n  message Inner {\n'
    "    string a = 1;\n  }\n  Inner inner = 1;\n  map<string, int64> m = 2;\n"
    "  oneof pick {\n    string x = 3;\n    int32 y = 4;\n  }\n}\n\n"
    "enum Kind {\n  KIND_UNSPECIFIED = 0;\n}\n\nmessage Last {\n  Kind kind = 1;\n}\n"
)


@pytest.mark.parametrize("order", ["forward", "backward", "missing-first"])
def test_catalog_spans_read_lazily_equal_the_eager_table(tmp_path: Path, order: str) -> None:
    name = _write(tmp_path, "nested.proto", NESTED)
    descriptor = run_protoc([name], [tmp_path]).file[-1]
    eager = _spans(descriptor)
    assert len(eager) > 20
    assert eager[(4, 0)] == (4, 1)
    lazy = _SourceSpans(descriptor)
    keys = list(eager)
    if order == "backward":
        keys.reverse()
    if order == "missing-first":
        assert lazy.get((99,)) is None
    for key in keys:
        assert lazy[key] == eager[key]
    assert dict(lazy) == eager
    assert len(lazy) == len(eager)
    assert lazy.get((99,)) is None


def test_catalog_load_gives_display_paths_and_message_locations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "t" / "v1").mkdir(parents=True)
    (tmp_path / "t" / "v1" / "ok.proto").write_text(GOOD, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    files, _ = load_proto_files([(tmp_path / "t" / "v1" / "ok.proto", tmp_path)])
    assert [f.display_path for f in files] == ["t/v1/ok.proto"]
    assert files[0].locate(files[0].messages[0].source_path) == Location("t/v1/ok.proto", 5, 1)
