"""herald's Protobuf verdicts on Confluent's own diff examples: agreement is counted and printed."""

from __future__ import annotations

from codegen.compat import SchemaSource, compare
from tests.fixtures.compat.confluent_diff import CONFLUENT_DIFF_CASES
from tests.fixtures.compat.corpus import Case


def _verdict(case: Case) -> tuple[bool, set[str]]:
    old_refs, new_refs = dict(case.old_refs), dict(case.new_refs)
    previous = [SchemaSource("PROTOBUF", t, "original.proto", old_refs) for t in case.previous]
    findings = compare(previous, SchemaSource("PROTOBUF", case.new, "update.proto", new_refs))
    return not findings, {f.rule for f in findings}


def test_confluent_diff_examples_agree() -> None:
    misses: list[str] = []
    for case in CONFLUENT_DIFF_CASES:
        compatible, rules = _verdict(case)
        if compatible != case.compatible or not set(case.rules) <= rules:
            misses.append(f"{case.id}: Confluent {case.compatible} {case.rules}, herald {rules}")
    agreed = len(CONFLUENT_DIFF_CASES) - len(misses)
    print(f"\nConfluent diff examples: herald agrees on {agreed}/{len(CONFLUENT_DIFF_CASES)}")
    for miss in misses:
        print("  disagrees:", miss)
    assert len(CONFLUENT_DIFF_CASES) == 46
    assert misses == []
