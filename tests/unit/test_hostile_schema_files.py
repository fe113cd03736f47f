"""Schema files no command may crash on: every command gives the same verdict, exit 2 at a place.

One catalog validation serves lint, diff, check, status and codegen, so a schema the Avro
specification forbids (or text that is not UTF-8, lone surrogates, JSON nested 1,000 deep) is
a parse error at ``file:line:col`` for all of them. Defaults Python cannot hold (a date
millions of years away) are valid Avro, so only codegen refuses them, also with exit 2.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codegen.cli import main
from tests.unit import bad_input

KIND = "schema files (every command)"
HEAD = '{"type":"record","name":"R","namespace":"x",'


def _field(type_json: str, default: str | None = None) -> str:
    extra = f',"default":{default}' if default is not None else ""
    return HEAD + f'"fields":[{{"name":"f","type":{type_json}{extra}}}]}}'


#: (case, file name, bytes, message fragment, codegen-only refusal)
CASES: list[tuple[str, str, bytes, str, bool]] = [
    (
        "lone surrogate in a doc",
        "r.avsc",
        (HEAD + '"doc":"\\ud800","fields":[]}').encode(),
        "lone surrogate",
        False,
    ),
    (
        "lone surrogate in a default",
        "r.avsc",
        _field('"string"', '"a\\udfff"').encode(),
        "lone surrogate",
        False,
    ),
    (
        "lone surrogate in a name",
        "r.avsc",
        b'{"type":"record","name":"R\\ud800","fields":[]}',
        "lone surrogate",
        False,
    ),
    (
        "JSON nested 1,000 deep",
        "r.avsc",
        (HEAD + '"fields":[],"x":' + "[" * 1000 + "]" * 1000 + "}").encode(),
        "nested more",
        False,
    ),
    (
        "invalid UTF-8 in a .proto",
        "p/v1/m.proto",
        b'syntax = "proto3";\npackage p.v1;\n// \xff\nmessage M { string a = 1; }\n',
        "not UTF-8",
        False,
    ),
    (
        "invalid UTF-8 in a .avsc",
        "r.avsc",
        HEAD.encode() + b'"doc":"\xc3","fields":[]}',
        "not UTF-8",
        False,
    ),
    (
        "map with default null",
        "r.avsc",
        _field('{"type":"map","values":"int"}', "null").encode(),
        "not a map",
        False,
    ),
    (
        "array with a map default",
        "r.avsc",
        _field('{"type":"array","items":"int"}', "{}").encode(),
        "not an array",
        False,
    ),
    (
        "int default out of range",
        "r.avsc",
        _field('"int"', "2147483648").encode(),
        "not a valid int",
        False,
    ),
    (
        "nullable field defaulting to a string",
        "r.avsc",
        _field('["null","string"]', '"x"').encode(),
        "not a valid null",
        False,
    ),
    (
        "invalid enum symbol",
        "r.avsc",
        _field('{"type":"enum","name":"E","symbols":["a-b"]}').encode(),
        "enum symbol",
        False,
    ),
    (
        "repeated enum symbol",
        "r.avsc",
        _field('{"type":"enum","name":"E","symbols":["A","A"]}').encode(),
        "appears twice",
        False,
    ),
    (
        "negative fixed size",
        "r.avsc",
        _field('{"type":"fixed","name":"F","size":-1}').encode(),
        '"size"',
        False,
    ),
    (
        "invalid field name",
        "r.avsc",
        (HEAD + '"fields":[{"name":"a-b","type":"int"}]}').encode(),
        "field name",
        False,
    ),
    (
        "invalid namespace",
        "r.avsc",
        b'{"type":"record","name":"R","namespace":"a..b","fields":[]}',
        "namespace",
        False,
    ),
    (
        "date default past year 9999",
        "r.avsc",
        _field('{"type":"int","logicalType":"date"}', "2147483647").encode(),
        "does not fit",
        True,
    ),
    (
        "timestamp default past year 9999",
        "r.avsc",
        _field('{"type":"long","logicalType":"timestamp-millis"}', "9223372036854775807").encode(),
        "does not fit",
        True,
    ),
    (
        "negative time of day",
        "r.avsc",
        _field('{"type":"int","logicalType":"time-millis"}', "-5").encode(),
        "does not fit",
        True,
    ),
]
COMMANDS: list[list[str]] = [
    ["lint", "--schemas", "s"],
    ["codegen", "--schemas", "s", "--out", "ev"],
    ["diff", "s", "s"],
    ["check", "--schemas", "s", "--registry", "mock://hostile"],
    ["status", "--schemas", "s", "--registry", "mock://hostile"],
]


def _write(root: Path, name: str, data: bytes) -> None:
    target = root / "s" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)


def _run(args: list[str]) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(main, args)
    crash = result.exception if not isinstance(result.exception, SystemExit) else None
    return result.exit_code, result.output, crash


@pytest.mark.parametrize("case", [pytest.param(c[1:], id=c[0]) for c in CASES])
def test_every_command_refuses_a_bad_schema_file_the_same_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: tuple[str, bytes, str, bool]
) -> None:
    name, data, says, codegen_only = case
    monkeypatch.chdir(tmp_path)
    _write(tmp_path, name, data)
    for args in COMMANDS:
        bad_input.tried(KIND)
        code, out, crash = _run(args)
        assert crash is None, (args, crash)
        if not codegen_only or args[0] == "codegen":
            assert code == 2, (args, out)
            assert says in out, (args, out)
            assert name.split("/")[-1] in out, (args, out)
        else:
            assert code in (0, 1), (args, out)
        bad_input.handled(KIND)


VALID = json.dumps(
    {
        "type": "record",
        "name": "Order",
        "namespace": "shop",
        "doc": "An order.",
        "fields": [
            {"name": "id", "type": "string", "doc": "Id."},
            {"name": "n", "type": ["null", "long"], "default": None, "doc": "Count."},
            {"name": "tags", "type": {"type": "array", "items": "string"}, "default": []},
            {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        ],
    },
    indent=1,
)
EDITS = st.sampled_from(
    [
        "{",
        "}",
        "[",
        "]",
        '"',
        ",",
        ":",
        "\\",
        "\\ud800",
        "\\u",
        "-",
        "1e400",
        "null",
        "\xff",
        "\n",
        "a-b",
        "99999999999999999999",
        '"type":',
        "[" * 200,
    ]
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(edits=st.lists(st.tuples(st.integers(0, len(VALID)), EDITS, st.booleans()), max_size=3))
def test_any_edit_of_a_schema_gives_an_exit_code_never_a_crash(
    tmp_path_factory: pytest.TempPathFactory, edits: list[tuple[int, str, bool]]
) -> None:
    text = VALID
    for at, piece, replace in edits:
        text = text[:at] + piece + text[at + (len(piece) if replace else 0) :]
    root = tmp_path_factory.mktemp("edit")
    _write(root, "order.avsc", text.encode("utf-8", "surrogatepass"))
    for args in (
        ["lint", "--schemas", str(root / "s")],
        ["codegen", "--schemas", str(root / "s"), "--out", str(root / "ev")],
    ):
        bad_input.tried(KIND)
        code, out, crash = _run(args)
        assert crash is None, (args, text, crash)
        assert code in (0, 1, 2), (args, out)
        assert "Traceback" not in out
        bad_input.handled(KIND)
