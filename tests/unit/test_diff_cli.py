"""``herald diff``: files, folders, ``--against`` a git ref, exit codes and every format."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from click.testing import CliRunner

from codegen.cli import main

ORDER_V1 = {
    "type": "record",
    "name": "Order",
    "namespace": "shop",
    "fields": [{"name": "id", "type": "string"}, {"name": "qty", "type": "int"}],
}
ORDER_V2_OK = {
    **ORDER_V1,
    "fields": [*ORDER_V1["fields"], {"name": "note", "type": ["null", "string"], "default": None}],
}
ORDER_V2_BAD = {**ORDER_V1, "fields": [*ORDER_V1["fields"], {"name": "coupon", "type": "string"}]}
PAYMENT_V1 = (
    'syntax = "proto3";\npackage pay.v1;\n\n'
    "message Payment {\n  string id = 1;\n  int64 cents = 2;\n}\n"
)
PAYMENT_V2_BAD = PAYMENT_V1.replace("int64 cents", "string cents")
REFUND = "\nmessage Refund {\n  string id = 1;\n}\n"


def _write(root: Path, files: dict[str, str | dict[str, object]]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        text = content if isinstance(content, str) else json.dumps(content, indent=2)
        path.write_text(text)
    return root


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, ["diff", *args])
    return result.exit_code, result.stdout, result.stderr


def test_compatible_files_exit_0(tmp_path: Path) -> None:
    _write(tmp_path, {"old.avsc": ORDER_V1, "new.avsc": ORDER_V2_OK})
    code, out, err = _run(str(tmp_path / "old.avsc"), str(tmp_path / "new.avsc"))
    assert code == 0
    assert out == ""
    assert "compatible" in err


def test_incompatible_file_names_the_field_and_its_line(tmp_path: Path) -> None:
    _write(tmp_path, {"old.avsc": ORDER_V1, "new.avsc": ORDER_V2_BAD})
    code, out, _ = _run(str(tmp_path / "old.avsc"), str(tmp_path / "new.avsc"))
    assert code == 1
    assert f"{tmp_path / 'new.avsc'}:14:5: error READER_FIELD_MISSING_DEFAULT_VALUE" in out
    assert '"coupon"' in out
    assert "hint: give" in out


def test_level_flag_changes_the_verdict(tmp_path: Path) -> None:
    _write(tmp_path, {"old.avsc": ORDER_V1, "new.avsc": ORDER_V2_BAD})
    args = [str(tmp_path / "old.avsc"), str(tmp_path / "new.avsc")]
    assert _run(*args, "--level", "FORWARD")[0] == 0
    assert _run(*args, "--level", "full")[0] == 1
    assert _run(*args, "--level", "NONE")[0] == 0


def test_folders_match_by_full_name_and_report_removals(tmp_path: Path) -> None:
    old = _write(
        tmp_path / "old",
        {"orders/order.avsc": ORDER_V1, "pay/payment.proto": PAYMENT_V1 + REFUND},
    )
    new = _write(
        tmp_path / "new",
        # The Avro file moved and was renamed: it is still matched by its full name.
        {"shop/v1/the_order.avsc": ORDER_V1, "pay/payment.proto": PAYMENT_V1},
    )
    code, out, err = _run(str(old), str(new), "--format", "json")
    assert code == 1, err
    findings = json.loads(out)["findings"]
    assert [(f["rule"], f["schema_path"]) for f in findings] == [("MESSAGE_REMOVED", "#/Refund")]


def test_a_schema_missing_from_the_new_folder_is_a_finding(tmp_path: Path) -> None:
    old = _write(tmp_path / "old", {"order.avsc": ORDER_V1, "payment.proto": PAYMENT_V1})
    new = _write(tmp_path / "new", {"other.avsc": {**ORDER_V1, "name": "Other"}})
    code, out, _ = _run(str(old), str(new), "--format", "json")
    assert code == 1
    rules = sorted((f["rule"], f["subject"]) for f in json.loads(out)["findings"])
    assert rules == [("MESSAGE_REMOVED", "pay.v1.Payment"), ("SCHEMA_REMOVED", "shop.Order")]


@pytest.mark.parametrize("fmt", ["text", "json", "github", "junit"])
def test_every_format_is_well_formed(tmp_path: Path, fmt: str) -> None:
    old = _write(tmp_path / "old", {"order.avsc": ORDER_V1, "payment.proto": PAYMENT_V1})
    new = _write(tmp_path / "new", {"order.avsc": ORDER_V2_BAD, "payment.proto": PAYMENT_V2_BAD})
    code, out, _ = _run(str(old), str(new), "--format", fmt)
    assert code == 1
    if fmt == "json":
        rules = {f["rule"] for f in json.loads(out)["findings"]}
        assert rules == {"READER_FIELD_MISSING_DEFAULT_VALUE", "FIELD_SCALAR_KIND_CHANGED"}
    elif fmt == "junit":
        root = ET.fromstring(out.split("?>", 1)[1])
        assert root.tag == "testsuite"
        assert root.get("failures") == "2"
    elif fmt == "github":
        lines = out.splitlines()
        assert len(lines) == 2
        assert all(line.startswith("::error file=") for line in lines)
    else:
        assert "FIELD_SCALAR_KIND_CHANGED" in out


def test_strict_adds_buf_rules(tmp_path: Path) -> None:
    renamed = PAYMENT_V1.replace("cents", "amount_cents")
    old = _write(tmp_path / "old", {"payment.proto": PAYMENT_V1})
    new = _write(tmp_path / "new", {"payment.proto": renamed})
    assert _run(str(old), str(new))[0] == 0
    code, out, _ = _run(str(old), str(new), "--strict", "--format", "json")
    assert code == 1
    rules = sorted(f["rule"] for f in json.loads(out)["findings"])
    assert rules == ["FIELD_SAME_JSON_NAME", "FIELD_SAME_NAME"]


def test_parse_error_exits_2_with_a_location(tmp_path: Path) -> None:
    _write(tmp_path, {"old.avsc": ORDER_V1, "new.avsc": '{"type": "record",\n  "name": }'})
    code, _, err = _run(str(tmp_path / "old.avsc"), str(tmp_path / "new.avsc"))
    assert code == 2
    assert "new.avsc:2:11" in err
    assert "Traceback" not in err


def test_needs_old_and_new_or_against() -> None:
    code, _, err = _run()
    assert code == 2
    assert "--against REF" in err


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        check=True,
        capture_output=True,
        timeout=30,
    )


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A git repository with schemas/ committed twice: v1, then a breaking v2."""
    _git(tmp_path, "init", "-q")
    _write(tmp_path / "schemas", {"orders/order.avsc": ORDER_V1, "pay/payment.proto": PAYMENT_V1})
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "v1")
    _write(tmp_path / "schemas", {"orders/order.avsc": ORDER_V2_BAD})
    _git(tmp_path, "commit", "-q", "-am", "v2")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_against_head_1_finds_the_committed_break(repo: Path) -> None:
    code, out, err = _run("--against", "HEAD~1", "--format", "json")
    assert code == 1, err
    findings = json.loads(out)["findings"]
    assert [(f["rule"], f["path"], f["line"]) for f in findings] == [
        ("READER_FIELD_MISSING_DEFAULT_VALUE", "schemas/orders/order.avsc", 14)
    ]


def test_against_head_is_compatible_and_sees_working_tree_changes(repo: Path) -> None:
    assert _run("--against", "HEAD")[0] == 0
    (repo / "schemas/pay/payment.proto").write_text(PAYMENT_V2_BAD)
    code, out, _ = _run("--against", "HEAD", "--schemas", "schemas")
    assert code == 1
    assert "schemas/pay/payment.proto:6:3: error FIELD_SCALAR_KIND_CHANGED" in out


def test_against_a_bad_ref_exits_2(repo: Path) -> None:
    code, _, err = _run("--against", "no-such-branch")
    assert code == 2
    assert "no such git ref" in err
    assert "Traceback" not in err


def test_against_outside_a_repository_exits_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _write(tmp_path / "schemas", {"order.avsc": ORDER_V1})
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    code, _, err = _run("--against", "main")
    assert code == 2
    assert "not inside a git repository" in err


def test_a_break_inside_a_referenced_type_points_into_its_own_file(tmp_path: Path) -> None:
    address = {
        "type": "record",
        "name": "Address",
        "namespace": "shop",
        "fields": [{"name": "city", "type": "string"}],
    }
    order = {
        **ORDER_V1,
        "fields": [*ORDER_V1["fields"], {"name": "ship_to", "type": "shop.Address"}],
    }
    old = _write(tmp_path / "old", {"order.avsc": order, "address.avsc": address})
    zip_field = {"name": "zip", "type": "string"}
    new_address = {**address, "fields": [*address["fields"], zip_field]}
    new = _write(tmp_path / "new", {"order.avsc": order, "address.avsc": new_address})
    code, out, _ = _run(str(old), str(new), "--format", "json")
    assert code == 1
    findings = json.loads(out)["findings"]
    located = {(f["rule"], f["path"].rsplit("/", 1)[-1], f["line"]) for f in findings}
    # Reported for Address itself and for Order, whose ship_to field uses it.
    assert located == {("READER_FIELD_MISSING_DEFAULT_VALUE", "address.avsc", 10)}
    assert {f["subject"] for f in findings} == {"shop.Address", "shop.Order"}


def test_list_rules_prints_every_rule() -> None:
    code, out, _ = _run("--list-rules")
    assert code == 0
    listed = {line.split()[0] for line in out.splitlines()}
    assert {"READER_FIELD_MISSING_DEFAULT_VALUE", "FIELD_SAME_NAME", "MESSAGE_REMOVED"} <= listed


def test_against_uses_the_config_folders_and_level_from_a_subfolder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "herald.toml").write_text('schemas = ["contracts"]\ncompatibility = "FORWARD"\n')
    _git(tmp_path, "init", "-q")
    _write(tmp_path / "contracts", {"order.avsc": ORDER_V1})
    _git(tmp_path, "add", "-A")
    _git(tmp_path, "commit", "-q", "-m", "v1")
    # Adding a field without a default breaks BACKWARD, but not the configured FORWARD.
    _write(tmp_path / "contracts", {"order.avsc": ORDER_V2_BAD})
    (tmp_path / "src").mkdir()
    monkeypatch.chdir(tmp_path / "src")
    code, _, err = _run("--against", "HEAD")
    assert code == 0, err
    assert "at FORWARD" in err
    assert _run("--against", "HEAD", "--level", "BACKWARD")[0] == 1
