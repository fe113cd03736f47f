"""Avro compatibility: reader/writer schema resolution as Confluent Schema Registry applies it.

Confluent asks Apache Avro's ``SchemaCompatibility`` whether a *reader* schema can decode
data written with a *writer* schema (BACKWARD: reader = new, writer = old; FORWARD: the
other way round). :func:`check` walks both type graphs the same way Avro does — same
recursion, same memo for recursive types, same JSON-pointer locations in the reader — and
calls one rule function per condition. Each rule reports through a single ``add(...)`` with
the rule id Avro uses (``SchemaIncompatibilityType``), an explanation worded for the side
that changed, and a location in the *new* schema whichever side reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from codegen.compat.avro_model import AvroField, AvroSchema, AvroType, describe
from codegen.compat.rules import rule
from codegen.findings import Finding, Location

# One promotion table for the offline check and the consumer's run-time resolution.
from publisher.codec.resolution import PROMOTIONS

#: Kinds that carry no inner structure: equal kinds are always compatible.
LEAF_KINDS = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
#: A default value to suggest per field type, for hints.
DEFAULT_EXAMPLES: dict[str, str] = {
    "null": "null",
    "boolean": "false",
    "int": "0",
    "long": "0",
    "float": "0.0",
    "double": "0.0",
    "bytes": '""',
    "string": '""',
    "array": "[]",
    "map": "{}",
}


@dataclass(frozen=True, slots=True)
class Pair:
    """A reader node and a writer node met at the same place, and which side is the new one."""

    reader: AvroType
    writer: AvroType
    reader_path: str
    writer_path: str
    reader_is_new: bool
    #: Human words for the place: 'field "qty" on record "shop.Order"'.
    where: str

    @property
    def old_type(self) -> AvroType:
        """The node on the previous schema's side."""
        return self.writer if self.reader_is_new else self.reader

    @property
    def new_type(self) -> AvroType:
        """The node on the new schema's side."""
        return self.reader if self.reader_is_new else self.writer

    def new_location(self) -> tuple[Location, str]:
        """Where the finding points: the new side's element and its traversal path."""
        if self.reader_is_new:
            return self.reader.origin.locate(self.reader.pointer), self.reader_path
        return self.writer.origin.locate(self.writer.pointer), self.writer_path


Add = Callable[..., None]


@dataclass(slots=True)
class _Collector:
    """Turns ``add(...)`` calls into findings for one reader/writer walk."""

    subject: str
    found: list[Finding]

    def add(
        self,
        rule_id: str,
        message: str,
        hint: str,
        location: Location,
        schema_path: str,
    ) -> None:
        self.found.append(
            Finding(
                rule=rule_id,
                message=message,
                location=location,
                schema_path=schema_path or "/",
                hint=hint,
                subject=self.subject,
            )
        )


# -- rules ---------------------------------------------------------------------------------


@rule(
    "NAME_MISMATCH",
    "AVRO",
    "RESOLUTION",
    "Named types (record, enum, fixed) must keep their name or list the old one as an alias.",
)
def name_mismatch(pair: Pair, add: Add) -> None:
    """A reader named type matches a writer one by unqualified name or by a reader alias."""
    reader, writer = pair.reader.deref(), pair.writer.deref()
    if reader.name == writer.name or writer.full_name in reader.aliases:
        return
    old, new = pair.old_type.deref().full_name, pair.new_type.deref().full_name
    location, path = pair.new_location()
    hint = (
        f'keep the name "{old}", or add "aliases": ["{old}"] to "{new}"'
        if pair.reader_is_new
        else f'keep the name "{old}": readers using the old schema cannot learn the new name'
    )
    add(
        "NAME_MISMATCH",
        f'{reader.kind.capitalize()} "{old}" at {pair.where} was renamed to "{new}".',
        hint,
        location,
        f"{path}/name",
    )


@rule(
    "FIXED_SIZE_MISMATCH",
    "AVRO",
    "RESOLUTION",
    "A fixed type must keep its size in bytes.",
)
def fixed_size_mismatch(pair: Pair, add: Add) -> None:
    """Fixed values are read byte for byte, so sizes must be equal."""
    old, new = pair.old_type.deref(), pair.new_type.deref()
    if old.size == new.size:
        return
    location, path = pair.new_location()
    add(
        "FIXED_SIZE_MISMATCH",
        f'Fixed "{new.full_name}" at {pair.where} changed size from {old.size} to '
        f"{new.size} bytes.",
        f"keep size {old.size}, or add a new fixed type in a new field with a default",
        location,
        f"{path}/size",
    )


@rule(
    "MISSING_ENUM_SYMBOLS",
    "AVRO",
    "RESOLUTION",
    "Every writer enum symbol must exist in the reader enum, unless the reader has a default.",
)
def missing_enum_symbols(pair: Pair, add: Add) -> None:
    """A symbol the writer may send must be known to the reader, or the reader needs a default."""
    reader, writer = pair.reader.deref(), pair.writer.deref()
    missing = sorted(set(writer.symbols) - set(reader.symbols))
    if not missing or (reader.default_symbol and reader.default_symbol in reader.symbols):
        return
    location, path = pair.new_location()
    listed = ", ".join(f'"{s}"' for s in missing)
    if pair.reader_is_new:
        message = f'Enum "{reader.full_name}" at {pair.where} removed symbols {listed}.'
        hint = 'keep the symbols, or give the enum a "default" symbol'
    else:
        message = (
            f'Enum "{writer.full_name}" at {pair.where} added symbols {listed}, which readers '
            "using the old schema do not know, and the old enum has no default."
        )
        hint = 'give the enum a "default" symbol in a version readers already use'
    add("MISSING_ENUM_SYMBOLS", message, hint, location, f"{path}/symbols")


@rule(
    "READER_FIELD_MISSING_DEFAULT_VALUE",
    "AVRO",
    "RESOLUTION",
    "A reader field that the writer does not have needs a default value.",
)
def reader_field_missing_default(pair: Pair, field: AvroField, add: Add) -> None:
    """Avro fills reader-only fields from their default; without one decoding fails."""
    if field.has_default:
        return
    record = pair.reader.deref().full_name
    if pair.reader_is_new:
        message = (
            f'Field "{field.name}" on record "{record}" was added without a default, so the '
            "new schema cannot read data written with the old one."
        )
        hint = _default_hint(field)
        location = field.origin.locate(field.pointer)
        path = f"{pair.reader_path}/fields/{field.index}"
    else:
        message = (
            f'Field "{field.name}" on record "{record}" was removed, but the old schema has no '
            "default for it, so readers using the old schema cannot read new data."
        )
        hint = (
            f'keep "{field.name}" in the new schema; a field can be removed only once every '
            "reader's schema gives it a default"
        )
        location, path = pair.new_location()
    add("READER_FIELD_MISSING_DEFAULT_VALUE", message, hint, location, path)


def _default_hint(field: AvroField) -> str:
    """Suggest a default that fits the field's type (null first for nullable unions)."""
    ftype = field.type.deref()
    if ftype.kind == "union" and ftype.branches and ftype.branches[0].kind == "null":
        return f'give "{field.name}" "default": null'
    example = DEFAULT_EXAMPLES.get(ftype.kind)
    if example is None:
        return f'give "{field.name}" a default, e.g. null with type ["null", ...]'
    return (
        f'give "{field.name}" a default, e.g. {example}, or null with type '
        f'["null", "{describe(ftype)}"]'
    )


@rule(
    "TYPE_MISMATCH",
    "AVRO",
    "RESOLUTION",
    "Reader and writer types must be equal or an Avro promotion (int->long->float->double, "
    "string<->bytes).",
)
def type_mismatch(pair: Pair, add: Add) -> None:
    """Different kinds resolve only through the promotion table."""
    reader, writer = pair.reader.deref(), pair.writer.deref()
    if reader.kind == writer.kind or writer.kind in PROMOTIONS.get(reader.kind, frozenset()):
        return
    old, new = describe(pair.old_type), describe(pair.new_type)
    location, path = pair.new_location()
    add(
        "TYPE_MISMATCH",
        f'The type of {pair.where} changed from "{old}" to "{new}", which Avro cannot resolve.',
        f'keep "{old}" (Avro promotes only int->long->float->double and string<->bytes), or '
        "add a new field with the new type and a default",
        location,
        path,
    )


@rule(
    "MISSING_UNION_BRANCH",
    "AVRO",
    "RESOLUTION",
    "Every branch the writer may use must resolve to some branch of the reader.",
)
def missing_union_branch(pair: Pair, cause: Finding | None, add: Add) -> None:
    """Called for a writer branch (or non-union writer) that no reader branch accepts."""
    branch = describe(pair.writer)
    location, path = pair.new_location()
    if cause is not None and cause.rule == "MISSING_UNION_BRANCH":
        cause = None
    because = f" ({cause.message.rstrip('.')})" if cause is not None else ""
    if cause is not None:
        location = cause.location
    if pair.reader_is_new:
        message = (
            f'The union at {pair.where} no longer accepts "{branch}", which data written with '
            f"the old schema may contain{because}."
        )
        hint = f'keep a branch that reads "{branch}" in the union'
    else:
        message = (
            f'The new schema at {pair.where} can write "{branch}", which the old union cannot '
            f"read{because}."
        )
        hint = f'add "{branch}" to the union in a version readers already use first'
    add("MISSING_UNION_BRANCH", message, hint, location, path)


# -- the walk ------------------------------------------------------------------------------


class _Walk:
    """One reader/writer resolution, memoised per (reader, writer) pair like Avro's."""

    def __init__(self, reader_is_new: bool, subject: str) -> None:
        self.reader_is_new = reader_is_new
        self.subject = subject
        self.memo: dict[tuple[int, int], list[Finding]] = {}

    def check(
        self, reader: AvroType, writer: AvroType, rpath: str, wpath: str, where: str
    ) -> list[Finding]:
        r, w = reader.deref(), writer.deref()
        key = (id(r), id(w))
        cached = self.memo.get(key)
        if cached is not None:
            return cached
        # Recursion in progress counts as compatible, as in Avro's ReaderWriter memo.
        self.memo[key] = []
        collector = _Collector(self.subject, [])
        pair = Pair(reader, writer, rpath, wpath, self.reader_is_new, where)
        self.calculate(pair, r, w, collector)
        self.memo[key] = collector.found
        return collector.found

    def calculate(self, pair: Pair, r: AvroType, w: AvroType, out: _Collector) -> None:
        if r.kind == w.kind:
            SAME_KIND[r.kind](self, pair, out)
            return
        if w.kind == "union":
            for i, branch in enumerate(w.branches):
                out.found.extend(
                    self.check(
                        pair.reader,
                        branch,
                        f"{pair.reader_path}/{i}",
                        f"{pair.writer_path}/{i}",
                        pair.where,
                    )
                )
            return
        if r.kind == "union":
            for branch in r.branches:
                if not self.check(
                    branch, pair.writer, pair.reader_path, pair.writer_path, pair.where
                ):
                    return
            missing_union_branch(pair, None, out.add)
            return
        type_mismatch(pair, out.add)

    def same_leaf(self, pair: Pair, out: _Collector) -> None:
        """Equal primitive kinds always resolve."""

    def same_container(self, pair: Pair, out: _Collector) -> None:
        r, w = pair.reader.deref(), pair.writer.deref()
        token = "items" if r.kind == "array" else "values"
        assert r.items is not None
        assert w.items is not None
        out.found.extend(
            self.check(
                r.items,
                w.items,
                f"{pair.reader_path}/{token}",
                f"{pair.writer_path}/{token}",
                f"{pair.where} ({token})",
            )
        )

    def same_fixed(self, pair: Pair, out: _Collector) -> None:
        name_mismatch(pair, out.add)
        fixed_size_mismatch(pair, out.add)

    def same_enum(self, pair: Pair, out: _Collector) -> None:
        name_mismatch(pair, out.add)
        missing_enum_symbols(pair, out.add)

    def same_record(self, pair: Pair, out: _Collector) -> None:
        name_mismatch(pair, out.add)
        r, w = pair.reader.deref(), pair.writer.deref()
        for rf in r.fields:
            wf = _writer_field(w, rf)
            rpath = f"{pair.reader_path}/fields/{rf.index}"
            where = f'field "{rf.name}" on record "{r.full_name}"'
            if wf is None:
                ftype = rf.type.deref()
                if not rf.has_default and ftype.kind == "enum" and ftype.default_symbol:
                    # Avro resolves an enum field with an enum default against the writer record.
                    out.found.extend(
                        self.check(rf.type, pair.writer, f"{rpath}/type", pair.writer_path, where)
                    )
                else:
                    reader_field_missing_default(pair, rf, out.add)
                continue
            wpath = f"{pair.writer_path}/fields/{wf.index}/type"
            out.found.extend(self.check(rf.type, wf.type, f"{rpath}/type", wpath, where))

    def same_union(self, pair: Pair, out: _Collector) -> None:
        w = pair.writer.deref()
        for i, branch in enumerate(w.branches):
            branch_pair = Pair(
                pair.reader,
                branch,
                f"{pair.reader_path}/{i}",
                f"{pair.writer_path}/{i}",
                pair.reader_is_new,
                pair.where,
            )
            found = self.check(
                pair.reader, branch, branch_pair.reader_path, branch_pair.writer_path, pair.where
            )
            if found:
                missing_union_branch(branch_pair, found[0], out.add)


def _writer_field(writer: AvroType, reader_field: AvroField) -> AvroField | None:
    """Avro's lookupWriterField: the reader field's name, then its aliases."""
    for name in (reader_field.name, *reader_field.aliases):
        found = writer.field_named(name)
        if found is not None:
            return found
    return None


#: Kind shared by reader and writer -> how the walk compares them (Avro's switch, as a table).
SAME_KIND: dict[str, Callable[[_Walk, Pair, _Collector], None]] = {
    **dict.fromkeys(LEAF_KINDS, _Walk.same_leaf),
    "array": _Walk.same_container,
    "map": _Walk.same_container,
    "fixed": _Walk.same_fixed,
    "enum": _Walk.same_enum,
    "record": _Walk.same_record,
    "union": _Walk.same_union,
}


def check(reader: AvroSchema, writer: AvroSchema, *, reader_is_new: bool) -> list[Finding]:
    """Every reason ``reader`` cannot decode data written with ``writer`` (empty: compatible)."""
    subject = reader.full_name if reader_is_new else writer.full_name
    walk = _Walk(reader_is_new, subject)
    where = f'the root of "{subject}"'
    return walk.check(reader.root, writer.root, "", "", where)
