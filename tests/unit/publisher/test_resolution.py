"""The consumer's Avro resolution agrees with the offline engine, and reads what fastavro reads.

``publisher`` may not import ``codegen``, so the run-time walk (publisher/codec/resolution.py)
repeats the BACKWARD rules of codegen/compat/avro.py. These tests hold the two together over
every Avro pair of the compat corpus, in both directions: the same verdict, and the same
first rule id. For each compatible pair, records written with the writer schema and rewritten
by the transcoder must read (with the reader schema) as fastavro's own resolution reads them.
"""

from __future__ import annotations

import io
import json
from typing import Any

import fastavro
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from codegen.compat import SchemaSource, compare
from publisher.codec.avro_schema import parse_schema
from publisher.codec.binary import round_float
from publisher.codec.resolution import check, resolve
from tests.fixtures.compat.corpus import CASES, Case
from tests.unit.generate.avro_values import AvroValues

AVRO = [c for c in CASES if c.format == "AVRO" and len(c.previous) == 1]
#: (case, direction): "backward" reads the old schema's data with the new one, "forward" the
#: other way round.
PAIRS = [(c, d) for c in AVRO for d in ("backward", "forward")]


def _sides(case: Case, direction: str) -> tuple[str, list[str], str, list[str]]:
    """(reader text, reader refs, writer text, writer refs) for one direction of a case."""
    old, new = case.previous[0], case.new
    old_refs, new_refs = [t for _, t in case.old_refs], [t for _, t in case.new_refs]
    if direction == "backward":
        return new, new_refs, old, old_refs
    return old, old_refs, new, new_refs


def _engine_rules(case: Case, direction: str) -> list[str]:
    old = SchemaSource("AVRO", case.previous[0], references=dict(case.old_refs))
    new = SchemaSource("AVRO", case.new, references=dict(case.new_refs))
    level = "BACKWARD" if direction == "backward" else "FORWARD"
    return [f.rule for f in compare([old], new, level)]


def test_the_corpus_has_both_verdicts() -> None:
    verdicts = {bool(_engine_rules(c, d)) for c, d in PAIRS}
    assert verdicts == {True, False}
    assert len(PAIRS) > 150


@pytest.mark.parametrize(("case", "direction"), PAIRS, ids=[f"{c.id}-{d}" for c, d in PAIRS])
def test_verdict_and_first_rule_match_the_engine(case: Case, direction: str) -> None:
    reader, reader_refs, writer, writer_refs = _sides(case, direction)
    refusal = check(parse_schema(reader, reader_refs), parse_schema(writer, writer_refs))
    rules = _engine_rules(case, direction)
    if not rules:
        assert refusal is None
    else:
        assert refusal is not None
        assert refusal.rule == rules[0]


def _plain(schema: Any) -> Any:
    """The schema without logical types: compare the values Avro resolution produces, raw."""
    if isinstance(schema, dict):
        return {k: _plain(v) for k, v in schema.items() if k != "logicalType"}
    if isinstance(schema, list):
        return [_plain(v) for v in schema]
    return schema


def _parsed(text: str, refs: list[str]) -> Any:
    named: dict[str, Any] = {}
    for ref in refs:
        fastavro.parse_schema(_plain(json.loads(ref)), named_schemas=named)
    return fastavro.parse_schema(_plain(json.loads(text)), named_schemas=named)


def _named(schema: Any, namespace: str, out: dict[str, Any]) -> None:
    """Collect every named type defined in a schema JSON, by full name."""
    if isinstance(schema, list):
        for branch in schema:
            _named(branch, namespace, out)
        return
    if not isinstance(schema, dict):
        return
    kind = schema.get("type")
    if kind in ("record", "error", "enum", "fixed"):
        name = schema["name"]
        space = name.rpartition(".")[0] if "." in name else schema.get("namespace", namespace)
        full = name if "." in name or not space else f"{space}.{name}"
        out[full] = {**schema, "name": full.rpartition(".")[2], "namespace": space}
        for f in schema.get("fields", []):
            _named(f["type"], space, out)
        return
    for key in ("items", "values", "type"):
        if key in schema:
            _named(schema[key], namespace, out)


def _same(got: Any, expected: Any) -> bool:
    """Equal values; a float read through an int/long promotion keeps single precision."""
    if isinstance(got, dict) and isinstance(expected, dict):
        return got.keys() == expected.keys() and all(_same(got[k], expected[k]) for k in got)
    if isinstance(got, list) and isinstance(expected, list):
        return len(got) == len(expected) and all(map(_same, got, expected))
    if isinstance(got, float) and isinstance(expected, float):
        return got == expected or got == round_float(expected)
    return bool(got == expected) and type(got) is type(expected)


COMPATIBLE = [(c, d) for c, d in PAIRS if not _engine_rules(c, d)]


@pytest.mark.parametrize(
    ("case", "direction"), COMPATIBLE, ids=[f"{c.id}-{d}" for c, d in COMPATIBLE]
)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_transcoded_records_read_as_fastavro_resolves_them(
    case: Case, direction: str, data: st.DataObject
) -> None:
    reader, reader_refs, writer, writer_refs = _sides(case, direction)
    transcode = resolve(parse_schema(reader, reader_refs), parse_schema(writer, writer_refs))
    writer_json = _plain(json.loads(writer))
    named: dict[str, Any] = {}
    for ref in writer_refs:
        _named(_plain(json.loads(ref)), "", named)
    _named(writer_json, "", named)
    datum = data.draw(AvroValues(named).of(writer_json, "", 0))
    ws, rs = _parsed(writer, writer_refs), _parsed(reader, reader_refs)
    body = io.BytesIO()
    fastavro.schemaless_writer(body, ws, datum)
    try:
        expected = fastavro.schemaless_reader(io.BytesIO(body.getvalue()), ws, rs)
    except UnicodeDecodeError:
        return  # bytes -> string of bytes that are not UTF-8: no reader can read them
    rewritten = body.getvalue() if transcode is None else transcode(body.getvalue())
    got = fastavro.schemaless_reader(io.BytesIO(rewritten), rs, rs)
    assert _same(got, expected), (got, expected)
