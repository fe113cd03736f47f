"""``herald diff --strict`` against ``buf breaking`` (FILE and WIRE_JSON) over the corpus.

Each pair is written as a Buf module on each side (``old/`` and ``new/``: the schema and its
imports) and checked with the pinned Buf CLI (the ``buf-bin`` dev dependency); herald checks
the same pair with ``strict=True`` at BACKWARD (Buf compares old -> new only). Agreements
are counted; every disagreement is printed with its reason, recorded in
``tests/fixtures/compat/buf.py``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from codegen.compat import SchemaSource, compare
from tests.fixtures.compat.buf import BUF_DIFFERENCES
from tests.fixtures.compat.confluent_diff import CONFLUENT_DIFF_CASES
from tests.fixtures.compat.corpus import CHANGED_REFERENCE_CASES, PROTOBUF_CASES, Case

BUF = Path(sys.executable).with_name("buf")
#: Pairs per Buf workspace: one run per pair is slow to start, very large workspaces slow too.
BATCH = 8
CASES = [
    *PROTOBUF_CASES,
    *(c for c in CHANGED_REFERENCE_CASES if c.format == "PROTOBUF"),
    *CONFLUENT_DIFF_CASES,
]


def _run_buf(root: Path) -> list[dict[str, object]]:
    done = subprocess.run(
        [str(BUF), "breaking", "new", "--against", "old", "--error-format", "json"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode in (0, 100), f"buf failed: {done.stderr}"
    return [json.loads(line) for line in done.stdout.splitlines() if line.strip()]


def _config(category: str, modules: list[str]) -> str:
    listed = "".join(f"  - path: {m}\n" for m in modules)
    return f"version: v2\nmodules:\n{listed}breaking:\n  use:\n    - {category}\n"


def buf_breaking(cases: list[Case], category: str) -> dict[str, set[str]]:
    """The rule ids ``buf breaking`` reports per pair (empty: not breaking).

    Pairs without imports share one workspace (a module per pair, each file named after its
    pair, so one Buf run checks them all); a pair with imports gets a workspace of its own,
    since import paths would clash between modules.
    """
    found: dict[str, set[str]] = {case.id: set() for case in cases}
    plain = [c for c in cases if not c.old_refs and not c.new_refs]
    batches = [plain[i : i + BATCH] for i in range(0, len(plain), BATCH)]
    batches += [[c] for c in cases if c.old_refs or c.new_refs]
    for batch in batches:
        with tempfile.TemporaryDirectory(prefix="herald-buf-") as tmp:
            root = Path(tmp)
            modules = {f"c{i}": case for i, case in enumerate(batch)}
            for side in ("old", "new"):
                (root / side).mkdir()
                (root / side / "buf.yaml").write_text(_config(category, list(modules)))
                for module, case in modules.items():
                    text = case.previous[-1] if side == "old" else case.new
                    refs = case.old_refs if side == "old" else case.new_refs
                    (root / side / module).mkdir()
                    (root / side / module / f"{module}.proto").write_text(text)
                    for name, ref_text in refs:
                        target = root / side / module / name
                        target.parent.mkdir(parents=True, exist_ok=True)
                        target.write_text(ref_text)
            for annotation in _run_buf(root):
                # A deleted file has no path in the new module: only single-pair runs see one.
                path = str(annotation.get("path", f"new/{next(iter(modules))}/"))
                assert "path" in annotation or len(modules) == 1, annotation
                found[modules[path.split("/")[1]].id].add(str(annotation["type"]))
    return found


def herald_strict(case: Case) -> set[str]:
    """The rule ids ``herald diff --strict`` reports for the pair at BACKWARD."""
    old = SchemaSource("PROTOBUF", case.previous[-1], "old.proto", dict(case.old_refs))
    new = SchemaSource("PROTOBUF", case.new, "new.proto", dict(case.new_refs))
    return {f.rule for f in compare([old], new, "BACKWARD", strict=True)}


@pytest.fixture(scope="module")
def verdicts() -> dict[str, list[tuple[Case, set[str], set[str]]]]:
    """Per category: (case, herald's rules, Buf's rules) for every pair."""
    found: dict[str, list[tuple[Case, set[str], set[str]]]] = {}
    heralds = [herald_strict(case) for case in CASES]
    for category in BUF_DIFFERENCES:
        bufs = buf_breaking(CASES, category)
        found[category] = [(c, h, bufs[c.id]) for c, h in zip(CASES, heralds, strict=True)]
    return found


def test_buf_is_the_pinned_cli() -> None:
    done = subprocess.run([str(BUF), "--version"], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "1.75.0"


@pytest.mark.parametrize("category", sorted(BUF_DIFFERENCES))
def test_strict_agrees_with_buf_except_where_recorded(
    verdicts: dict[str, list[tuple[Case, set[str], set[str]]]], category: str
) -> None:
    rows = verdicts[category]
    disagree = {
        case.id: (ours, theirs) for case, ours, theirs in rows if (not ours) != (not theirs)
    }
    print(
        f"\nBuf {category}: herald --strict agrees on {len(rows) - len(disagree)}/{len(rows)} pairs"
    )
    for case_id, (ours, theirs) in sorted(disagree.items()):
        reason = BUF_DIFFERENCES[category].get(case_id, "NOT RECORDED")
        ours_text, theirs_text = sorted(ours) or "compatible", sorted(theirs) or "compatible"
        print(f"  {case_id}: herald {ours_text}, buf {theirs_text}: {reason}")
    assert set(disagree) == set(BUF_DIFFERENCES[category])
