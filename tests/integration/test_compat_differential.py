"""herald's offline verdicts against the real Schema Registry's, pair by pair.

Every case of ``tests/fixtures/compat/corpus.py`` is replayed on the real registry: the
previous versions go into a fresh subject, the subject's level is set, and the registry is
asked about the new schema (``POST /compatibility/subjects/{s}/versions/latest``, or
``.../versions`` for transitive levels). herald
must give Confluent's verdict on every pair; the registry (Apicurio, stricter than Confluent
on Protobuf) must give the verdict the corpus records for it, with the reason written there.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from codegen.compat import SchemaSource, compare
from tests.fixtures.compat.corpus import CASES, Case

pytestmark = pytest.mark.integration

_CONTENT = {"Content-Type": "application/vnd.schemaregistry.v1+json"}


def _call(url: str, method: str, body: dict[str, Any]) -> dict[str, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), method=method, headers=_CONTENT
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            result: dict[str, Any] = json.loads(response.read() or b"{}")
            return result
    except urllib.error.HTTPError as exc:
        detail = exc.read().decode(errors="replace")
        raise AssertionError(f"{method} {url} -> {exc.code}: {detail}") from None


def _schema_body(
    fmt: str, text: str, references: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"schema": text}
    if fmt != "AVRO":
        body["schemaType"] = fmt
    if references:
        body["references"] = references
    return body


def _register_refs(
    base: str, subject: str, fmt: str, refs: tuple[tuple[str, str], ...]
) -> list[dict[str, Any]]:
    """Put each referenced schema in a subject of its own; return the reference entries."""
    entries = []
    for i, (name, text) in enumerate(refs):
        ref_subject = f"{subject}-{i}"
        _call(f"{base}/subjects/{ref_subject}/versions", "POST", _schema_body(fmt, text))
        entries.append({"name": name, "subject": ref_subject, "version": 1})
    return entries


#: Levels tried, in order, to register a subject's history. Apicurio treats a subject level
#: of NONE as "no subject rule" and falls back to the global BACKWARD, and its Protobuf
#: checker refuses to drop a field even when the number is reserved, so FORWARD comes next.
_HISTORY_LEVELS = ("NONE", "FORWARD")


def _register_history(
    base: str, subject: str, fmt: str, text: str, refs: list[dict[str, Any]]
) -> None:
    """Register an older version whatever its compatibility with the one before."""
    for attempt, level in enumerate(_HISTORY_LEVELS):
        _call(f"{base}/config/{subject}", "PUT", {"compatibility": level})
        try:
            _call(f"{base}/subjects/{subject}/versions", "POST", _schema_body(fmt, text, refs))
            return
        except AssertionError:
            if attempt == len(_HISTORY_LEVELS) - 1:
                raise


def _accepts_registration(base: str, subject: str, body: dict[str, Any]) -> bool:
    """Ask by registering: Apicurio's compatibility endpoint cannot resolve Avro references
    (it answers 422 "invalid Avro schema"), but registration applies the same rule with them.
    """
    request = urllib.request.Request(
        f"{base}/subjects/{subject}/versions",
        data=json.dumps(body).encode(),
        method="POST",
        headers=_CONTENT,
    )
    try:
        with urllib.request.urlopen(request, timeout=20):
            return True
    except urllib.error.HTTPError as exc:
        if exc.code == 409:
            return False
        raise AssertionError(f"register in {subject} -> {exc.code}: {exc.read()!r}") from None


def registry_verdict(base: str, subject: str, case: Case) -> bool:
    """Register the previous versions in a fresh subject, then ask about the new schema."""
    # References live in subjects of their own (one set for the old, one for the new schema),
    # so a changed reference needs no compatibility check of its own.
    old_refs = _register_refs(base, f"{subject}-ref-old", case.format, case.old_refs)
    new_refs = _register_refs(base, f"{subject}-ref-new", case.format, case.new_refs)
    first, *rest = case.previous
    body = _schema_body(case.format, first, old_refs)
    _call(f"{base}/subjects/{subject}/versions", "POST", body)
    for text in rest:
        _register_history(base, subject, case.format, text, old_refs)
    _call(f"{base}/config/{subject}", "PUT", {"compatibility": case.level})
    if case.format == "AVRO" and case.new_refs:
        return _accepts_registration(base, subject, _schema_body(case.format, case.new, new_refs))
    # ".../versions/latest" tests against that one version; ".../versions" against every
    # version the subject's level looks at, which is what a transitive level means.
    target = "versions" if case.level.endswith("_TRANSITIVE") else "versions/latest"
    answer = _call(
        f"{base}/compatibility/subjects/{subject}/{target}",
        "POST",
        _schema_body(case.format, case.new, new_refs),
    )
    return bool(answer["is_compatible"])


def herald_verdict(case: Case) -> tuple[bool, set[str]]:
    """herald's answer for the same pair, and the rule ids it reported."""
    fmt = "AVRO" if case.format == "AVRO" else "PROTOBUF"
    old_refs, new_refs = dict(case.old_refs), dict(case.new_refs)
    previous = [
        SchemaSource(fmt, text, f"v{i + 1}", old_refs) for i, text in enumerate(case.previous)
    ]
    findings = compare(previous, SchemaSource(fmt, case.new, "new", new_refs), case.level)
    return not findings, {f.rule for f in findings}


@dataclass(frozen=True)
class Outcome:
    """What the registry and herald said about one case."""

    case: Case
    registry: bool
    herald: bool
    rules: frozenset[str]


@pytest.fixture(scope="module")
def outcomes(stack: Any) -> list[Outcome]:
    """Run the whole corpus once, talking to the registry from a small thread pool."""

    def run(case: Case) -> Outcome:
        subject = stack.unique(f"herald-compat-{case.id}")
        try:
            registry = registry_verdict(stack.registry_url, subject, case)
        except AssertionError as exc:
            raise AssertionError(f"{case.id}: {exc}") from None
        herald, rules = herald_verdict(case)
        return Outcome(case, registry, herald, frozenset(rules))

    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(run, CASES))


def test_corpus_covers_every_rule_and_both_formats() -> None:
    assert len(CASES) >= 120
    assert len({c.id for c in CASES}) == len(CASES)
    named = {rule for c in CASES for rule in c.rules}
    for rule_id in (
        "READER_FIELD_MISSING_DEFAULT_VALUE",
        "TYPE_MISMATCH",
        "MISSING_ENUM_SYMBOLS",
        "MISSING_UNION_BRANCH",
        "NAME_MISMATCH",
        "FIXED_SIZE_MISMATCH",
        "FIELD_KIND_CHANGED",
        "FIELD_SCALAR_KIND_CHANGED",
        "FIELD_NAMED_TYPE_CHANGED",
        "MESSAGE_REMOVED",
        "ONEOF_FIELD_REMOVED",
        "MULTIPLE_FIELDS_MOVED_TO_ONEOF",
        "REQUIRED_FIELD_ADDED",
        "REQUIRED_FIELD_REMOVED",
    ):
        assert rule_id in named, rule_id


def test_avro_verdicts_agree_with_the_registry(outcomes: list[Outcome]) -> None:
    avro = [o for o in outcomes if o.case.format == "AVRO"]
    assert all(o.case.apicurio is None for o in avro), "Avro pairs have no known differences"
    disagreements = [o.case.id for o in avro if o.herald != o.registry]
    agree = len(avro) - len(disagreements)
    print(f"\nAvro: herald agrees with the registry on {agree}/{len(avro)} pairs")
    assert disagreements == [], disagreements


def test_protobuf_verdicts_match_confluent_and_listed_registry_differences(
    outcomes: list[Outcome],
) -> None:
    pb = [o for o in outcomes if o.case.format == "PROTOBUF"]
    unexpected = [
        (o.case.id, o.registry)
        for o in pb
        if o.registry != (o.case.compatible if o.case.apicurio is None else o.case.apicurio)
    ]
    agree = sum(o.herald == o.registry for o in pb)
    listed = sum(o.case.apicurio is not None for o in pb)
    print(
        f"\nProtobuf: herald agrees with the registry on {agree}/{len(pb)} pairs; "
        f"{listed} differences listed with their reasons"
    )
    assert unexpected == [], f"registry answers not recorded in the corpus: {unexpected}"
    assert all(o.case.reason for o in pb if o.case.apicurio is not None)


def test_herald_gives_confluents_verdict_and_rule_on_every_pair(outcomes: list[Outcome]) -> None:
    wrong = [
        (o.case.id, o.herald, sorted(o.rules))
        for o in outcomes
        if o.herald != o.case.compatible or not set(o.case.rules) <= o.rules
    ]
    assert wrong == []
