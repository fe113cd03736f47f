"""Avro schema resolution at run time: a generated class reads bytes written with another schema.

For a (writer schema, reader schema) pair, :func:`resolve` first walks both type graphs in
the order the offline compatibility engine's BACKWARD check walks them (codegen/compat/avro.py:
same rules, same rule ids, and a unit test holds the two in agreement over the compat corpus)
and refuses the pair with the first rule that breaks. A compatible pair compiles to a
*transcoder*: straight-line Python, built once, that rewrites a writer's body into the reader's
layout, so the class's own generated decoder reads the result:

- writer-only fields are skipped; reader-only fields get their default, encoded once;
- fields are matched by name or reader alias, named types by name or alias (recursion too);
- int/long promote to float/double by re-encoding; int->long and string<->bytes keep their bytes;
- enum symbols and union branches are renumbered by name, unknown symbols take the default.

Spans both layouts share are copied as slices, not decoded; a new version that only appends
fields with defaults rewrites in one concatenation, and an unchanged schema needs no rewrite.
"""

from __future__ import annotations

from collections.abc import Callable

from publisher.codec import binary
from publisher.codec.avro_schema import AvroField, AvroNode, SchemaTextError, encode_default

#: Reader kind -> writer kinds whose values Avro promotes into it (Avro spec, "Schema Resolution").
PROMOTIONS: dict[str, frozenset[str]] = {
    "long": frozenset({"int"}),
    "float": frozenset({"int", "long"}),
    "double": frozenset({"int", "long", "float"}),
    "string": frozenset({"bytes"}),
    "bytes": frozenset({"string"}),
}
#: (reader, writer) kind pairs whose binary encodings are the same, so values are copied as is.
SAME_BYTES = frozenset({("long", "int"), ("string", "bytes"), ("bytes", "string")})
#: Rule ids, as the compatibility engine names them (Apache Avro's SchemaIncompatibilityType).
RULES = (
    "NAME_MISMATCH",
    "FIXED_SIZE_MISMATCH",
    "MISSING_ENUM_SYMBOLS",
    "READER_FIELD_MISSING_DEFAULT_VALUE",
    "TYPE_MISMATCH",
    "MISSING_UNION_BRANCH",
)
_LEAVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})

#: A compiled rewrite of a writer's body into the reader's layout.
Transcoder = Callable[[bytes], bytes]


class Refusal(Exception):  # noqa: N818 - a verdict, raised and caught inside the consumer
    """Why a reader cannot read a writer: the rule id and a sentence naming the place."""

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(f"{rule}: {detail}")
        self.rule = rule
        self.detail = detail


def _key(node: AvroNode) -> object:
    """Named types are one type per full name (forward references are copies); others by id."""
    return node.full_name if node.full_name else id(node)


def _writer_field(writer: AvroNode, reader_field: AvroField) -> AvroField | None:
    """Avro's lookupWriterField: the reader field's name, then its aliases."""
    for name in (reader_field.name, *reader_field.aliases):
        for f in writer.fields:
            if f.name == name:
                return f
    return None


class _Verdict:
    """The BACKWARD walk: the first rule a (reader, writer) pair breaks, memoised per pair."""

    def __init__(self) -> None:
        self.memo: dict[tuple[object, object], Refusal | None] = {}

    def first_break(self, r: AvroNode, w: AvroNode, where: str) -> Refusal | None:
        key = (_key(r), _key(w))
        if key in self.memo:
            return self.memo[key]
        self.memo[key] = None  # recursion in progress counts as compatible, as in Avro
        found = self.calculate(r, w, where)
        self.memo[key] = found
        return found

    def calculate(self, r: AvroNode, w: AvroNode, where: str) -> Refusal | None:
        if r.kind == w.kind:
            return self.same_kind(r, w, where)
        if w.kind == "union":
            for branch in w.branches:
                found = self.first_break(r, branch, where)
                if found is not None:
                    return found
            return None
        if r.kind == "union":
            if self.branch_for(r, w, where) is None:
                return Refusal(
                    "MISSING_UNION_BRANCH",
                    f"{where}: the writer's \"{w.describe()}\" fits no branch of the reader's "
                    f'union "{r.describe()}"',
                )
            return None
        if w.kind in PROMOTIONS.get(r.kind, frozenset()):
            return None
        return Refusal(
            "TYPE_MISMATCH",
            f"{where}: the writer's \"{w.describe()}\" cannot be read as the reader's "
            f'"{r.describe()}" (Avro promotes only int->long->float->double and string<->bytes)',
        )

    def branch_for(self, r: AvroNode, w: AvroNode, where: str) -> int | None:
        """The first reader branch that reads the writer's (non-union) type, as the spec says."""
        for index, branch in enumerate(r.branches):
            if self.first_break(branch, w, where) is None:
                return index
        return None

    def same_kind(self, r: AvroNode, w: AvroNode, where: str) -> Refusal | None:
        if r.kind in _LEAVES:
            return None
        if r.kind in ("array", "map"):
            assert r.items is not None
            assert w.items is not None
            token = "items" if r.kind == "array" else "values"
            return self.first_break(r.items, w.items, f"{where} ({token})")
        if r.kind == "union":
            for branch in w.branches:
                if self.branch_for(r, branch, where) is None:
                    return Refusal(
                        "MISSING_UNION_BRANCH",
                        f'{where}: the writer\'s union branch "{branch.describe()}" fits no '
                        f'branch of the reader\'s union "{r.describe()}"',
                    )
            return None
        if not (r.name == w.name or w.full_name in r.aliases):
            return Refusal(
                "NAME_MISMATCH",
                f"{where}: the writer's {w.kind} \"{w.full_name}\" is not the reader's "
                f'"{r.full_name}" and is none of its aliases',
            )
        if r.kind == "fixed":
            if r.size != w.size:
                return Refusal(
                    "FIXED_SIZE_MISMATCH",
                    f'{where}: fixed "{r.full_name}" is {w.size} bytes in the writer and '
                    f"{r.size} in the reader",
                )
            return None
        if r.kind == "enum":
            missing = sorted(set(w.symbols) - set(r.symbols))
            if missing and r.default_symbol not in r.symbols:
                listed = ", ".join(missing)
                return Refusal(
                    "MISSING_ENUM_SYMBOLS",
                    f'{where}: enum "{r.full_name}" of the reader lacks the writer\'s symbols '
                    f"{listed} and has no default symbol",
                )
            return None
        return self.record(r, w)

    def record(self, r: AvroNode, w: AvroNode) -> Refusal | None:
        for rf in r.fields:
            where = f'field "{rf.name}" of record "{r.full_name}"'
            wf = _writer_field(w, rf)
            if wf is not None:
                found = self.first_break(rf.type, wf.type, where)
            elif not rf.has_default and rf.type.kind == "enum" and rf.type.default_symbol:
                # The engine resolves such a field against the writer record itself, as Avro does.
                found = self.first_break(rf.type, w, where)
            elif not rf.has_default:
                found = Refusal(
                    "READER_FIELD_MISSING_DEFAULT_VALUE",
                    f"{where} is not in the writer's schema and has no default",
                )
            else:
                found = None
            if found is not None:
                return found
        return None


def check(reader: AvroNode, writer: AvroNode) -> Refusal | None:
    """The first rule that keeps ``reader`` from reading ``writer``'s data, or None."""
    return _Verdict().first_break(reader, writer, "the root")


def resolve(reader: AvroNode, writer: AvroNode) -> Transcoder | None:
    """A transcoder from writer bytes to reader bytes; None when the layouts are the same.

    Raises :class:`Refusal` for an incompatible pair, naming the first rule that breaks.
    """
    verdict = _Verdict()
    found = verdict.first_break(reader, writer, "the root")
    if found is not None:
        raise found
    return _Compiler(verdict).build(reader, writer)


class _Compiler:
    """Writes the transcoder's Python source for a compatible pair and compiles it once."""

    def __init__(self, verdict: _Verdict) -> None:
        self.verdict = verdict
        self.same: dict[tuple[object, object], bool] = {}
        self.functions: list[list[str]] = []
        self.records: dict[tuple[object, object], str] = {}
        self.skippers: dict[object, str] = {}
        self.constants: dict[bytes, str] = {}
        self.counter = 0

    def fresh(self, prefix: str) -> str:
        self.counter += 1
        return f"_h_{prefix}{self.counter}"

    def const(self, value: bytes) -> str:
        name = self.constants.get(value)
        if name is None:
            name = self.constants[value] = self.fresh("c")
        return name

    # -- same layout ---------------------------------------------------------------------
    def identical(self, r: AvroNode, w: AvroNode) -> bool:
        """True when every writer value's bytes are already the reader's bytes."""
        key = (_key(r), _key(w))
        if key in self.same:
            return self.same[key]
        self.same[key] = True
        self.same[key] = result = self._identical(r, w)
        return result

    def _identical(self, r: AvroNode, w: AvroNode) -> bool:
        if r.kind != w.kind:
            return (r.kind, w.kind) in SAME_BYTES
        if r.kind in _LEAVES or r.kind == "fixed":
            return True
        if r.kind == "enum":
            return r.symbols[: len(w.symbols)] == w.symbols
        if r.kind in ("array", "map"):
            assert r.items is not None
            assert w.items is not None
            return self.identical(r.items, w.items)
        if r.kind == "union":
            return all(
                self.verdict.branch_for(r, b, "") == i and self.identical(r.branches[i], b)
                for i, b in enumerate(w.branches)
            )
        return len(r.fields) == len(w.fields) and all(
            _writer_field(w, rf) is wf and self.identical(rf.type, wf.type)
            for rf, wf in zip(r.fields, w.fields, strict=True)
        )

    # -- the entry point ---------------------------------------------------------------------
    def build(self, reader: AvroNode, writer: AvroNode) -> Transcoder | None:
        if self.identical(reader, writer):
            return None
        appended = self.appended_defaults(reader, writer)
        if appended is not None:
            body = ["def _h_root(data):", f"    return data + {self.const(appended)}"]
        else:
            tail = reader.kind == "record" == writer.kind and not self.identical(reader, writer)
            read = self.root_record(reader, writer) if tail else self.emit(reader, writer, "out")
            body = [
                "def _h_root(data):",
                "    out = bytearray()",
                "    pos = 0",
                *("    " + line for line in read),
                "    if pos != len(data):",
                "        raise ValueError(f'the body ends at byte {pos}, not {len(data)}')",
                "    return bytes(out)",
            ]
        self.functions.append(body)
        return self.compile()

    def appended_defaults(self, r: AvroNode, w: AvroNode) -> bytes | None:
        """The defaults to append when the reader is the writer plus fields at the end."""
        if r.kind != "record" or w.kind != "record" or len(r.fields) <= len(w.fields):
            return None
        kept = r.fields[: len(w.fields)]
        if not all(
            _writer_field(w, rf) is wf and self.identical(rf.type, wf.type)
            for rf, wf in zip(kept, w.fields, strict=True)
        ):
            return None
        added = r.fields[len(w.fields) :]
        if any(_writer_field(w, rf) is not None for rf in added):
            return None
        return b"".join(self.default_of(r, rf) for rf in added)

    def default_of(self, record: AvroNode, rf: AvroField) -> bytes:
        try:
            return encode_default(rf.type, rf.default)
        except (TypeError, ValueError, KeyError, IndexError) as exc:
            raise SchemaTextError(
                f'the default of field "{rf.name}" of record "{record.full_name}" does not fit '
                f"its type: {exc}"
            ) from None

    def compile(self) -> Transcoder:
        source = "\n\n".join("\n".join(lines) for lines in self.functions)
        namespace: dict[str, object] = {
            "_h_bin": binary,
            **{name: value for value, name in self.constants.items()},
        }
        exec(compile(source, "<herald avro resolution>", "exec"), namespace)
        root: Transcoder = namespace["_h_root"]  # type: ignore[assignment]
        return root

    # -- rewriting -----------------------------------------------------------------------------
    def emit(self, r: AvroNode, w: AvroNode, out: str) -> list[str]:
        """Statements reading a writer value at ``pos`` and appending the reader's bytes."""
        if self.identical(r, w):
            return self.copy(w, out)
        if w.kind == "union":
            return self.from_union(r, w, out)
        if r.kind == "union":
            index = self.verdict.branch_for(r, w, "")
            assert index is not None
            return [
                f"{out} += {self.const(_index_bytes(index))}",
                *self.emit(r.branches[index], w, out),
            ]
        if r.kind != w.kind:
            return self.promote(r.kind, w.kind, out)
        if r.kind == "enum":
            table = tuple(
                _index_bytes(
                    r.symbols.index(s) if s in r.symbols else r.symbols.index(str(r.default_symbol))
                )
                for s in w.symbols
            )
            name = self.fresh("e")
            self.constants_table(name, table)
            i = self.fresh("i")
            return [f"{i}, pos = _h_bin.read_index(data, pos)", f"{out} += {name}[{i}]"]
        if r.kind in ("array", "map"):
            return self.blocks(r, w, out)
        return [f"pos = {self.record(r, w)}(data, pos, {out})"]

    def constants_table(self, name: str, table: tuple[bytes, ...]) -> None:
        self.functions.append([f"{name} = {table!r}"])

    def copy(self, w: AvroNode, out: str) -> list[str]:
        start = self.fresh("s")
        return [f"{start} = pos", *self.skip(w), f"{out} += data[{start}:pos]"]

    def promote(self, reader_kind: str, writer_kind: str, out: str) -> list[str]:
        pack = "_h_bin.pack_float" if reader_kind == "float" else "_h_bin.pack_double"
        if writer_kind == "float":
            return [f"{out} += {pack}(_h_bin.unpack_float(data, pos)[0])", "pos += 4"]
        v = self.fresh("v")
        return [f"{v}, pos = _h_bin.read_long(data, pos)", f"{out} += {pack}({v})"]

    def from_union(self, r: AvroNode, w: AvroNode, out: str) -> list[str]:
        u = self.fresh("u")
        lines = [f"{u}, pos = _h_bin.read_index(data, pos)"]
        for i, branch in enumerate(w.branches):
            lines.append(f"{'if' if i == 0 else 'elif'} {u} == {i}:")
            lines.extend("    " + line for line in (self.emit(r, branch, out) or ["pass"]))
        lines += ["else:", f"    raise ValueError(f'union index {{{u}}} is out of range')"]
        return lines

    def blocks(self, r: AvroNode, w: AvroNode, out: str) -> list[str]:
        assert r.items is not None
        assert w.items is not None
        n, size = self.fresh("n"), self.fresh("z")
        key = self.copy(AvroNode("string"), out) if r.kind == "map" else []
        item = [*key, *self.emit(r.items, w.items, out)] or ["pass"]
        return [
            "while True:",
            f"    {n}, pos = _h_bin.read_long(data, pos)",
            f"    if not {n}:",
            f"        {out}.append(0)",
            "        break",
            f"    if {n} < 0:",
            f"        {n} = -{n}",
            f"        {size}, pos = _h_bin.read_long(data, pos)",
            f"    _h_bin.write_long({out}, {n})",
            f"    for _ in range({n}):",
            *("        " + line for line in item),
        ]

    def record(self, r: AvroNode, w: AvroNode) -> str:
        """The name of the function rewriting one record pair (made once; recursion works)."""
        key = (_key(r), _key(w))
        name = self.records.get(key)
        if name is not None:
            return name
        name = self.records[key] = self.fresh("r")
        body = self.record_body(r, w)
        self.functions.append(
            [f"def {name}(data, pos, out):", *("    " + x for x in body), "    return pos"]
        )
        return name

    def root_record(self, r: AvroNode, w: AvroNode) -> list[str]:
        """The root record inline: a run of unchanged fields up to the end is copied unread."""
        target = {id(wf): i for i, rf in enumerate(r.fields) if (wf := _writer_field(w, rf))}
        order = [target[id(wf)] for wf in w.fields if id(wf) in target]
        if order != sorted(order):
            return [f"pos = {self.record(r, w)}(data, pos, out)"]
        return self.streamed(r, w, target, self.unchanged_tail(r, w, target))

    def unchanged_tail(self, r: AvroNode, w: AvroNode, target: dict[int, int]) -> int:
        """The first writer field of the run that reaches the end unchanged and in place."""
        first = len(w.fields)
        expect: int | None = None
        for k in range(len(w.fields) - 1, -1, -1):
            wf = w.fields[k]
            j = target.get(id(wf))
            if j is None or not self.identical(r.fields[j].type, wf.type):
                break
            if expect is not None and j != expect - 1:
                break
            expect, first = j, k
        return first

    def record_body(self, r: AvroNode, w: AvroNode) -> list[str]:
        target = {id(wf): i for i, rf in enumerate(r.fields) if (wf := _writer_field(w, rf))}
        order = [target[id(wf)] for wf in w.fields if id(wf) in target]
        if order == sorted(order):
            return self.streamed(r, w, target)
        return self.gathered(r, w, target)

    def streamed(
        self, r: AvroNode, w: AvroNode, target: dict[int, int], tail: int | None = None
    ) -> list[str]:
        """Writer and reader keep the shared fields in the same order: write as we read.

        From writer field ``tail`` on (root records only), the rest of the body is copied as
        it is, without reading it.
        """
        lines: list[str] = []
        start: str | None = None
        done = 0

        def flush() -> None:
            nonlocal start
            if start is not None:
                lines.append(f"out += data[{start}:pos]")
                start = None

        for k, wf in enumerate(w.fields):
            j = target.get(id(wf))
            if j is None:
                flush()
                lines.extend(self.skip(wf.type))
                continue
            if done < j:
                flush()
                lines.append(f"out += {self.const(self.defaults(r, done, j))}")
            if k == tail:
                lines += [f"out += data[{start or 'pos'}:]", "pos = len(data)"]
                start = None
                done = j + len(w.fields) - k
                break
            done = j + 1
            rf = r.fields[j]
            if self.identical(rf.type, wf.type):
                if start is None:
                    start = self.fresh("s")
                    lines.append(f"{start} = pos")
                lines.extend(self.skip(wf.type))
            else:
                flush()
                lines.extend(self.emit(rf.type, wf.type, "out"))
        flush()
        if done < len(r.fields):
            lines.append(f"out += {self.const(self.defaults(r, done, len(r.fields)))}")
        return lines

    def gathered(self, r: AvroNode, w: AvroNode, target: dict[int, int]) -> list[str]:
        """Fields moved: read each into its own buffer, then write them in the reader's order."""
        lines: list[str] = []
        buffers: dict[int, str] = {}
        for wf in w.fields:
            j = target.get(id(wf))
            if j is None:
                lines.extend(self.skip(wf.type))
                continue
            buf = buffers[j] = self.fresh("b")
            lines.append(f"{buf} = bytearray()")
            lines.extend(self.emit(r.fields[j].type, wf.type, buf))
        for j, rf in enumerate(r.fields):
            if j in buffers:
                lines.append(f"out += {buffers[j]}")
            else:
                lines.append(f"out += {self.const(self.default_of(r, rf))}")
        return lines

    def defaults(self, r: AvroNode, start: int, stop: int) -> bytes:
        return b"".join(self.default_of(r, rf) for rf in r.fields[start:stop])

    # -- skipping ------------------------------------------------------------------------------
    def skip(self, w: AvroNode) -> list[str]:
        """Statements moving ``pos`` past one writer value without decoding it."""
        kind = w.kind
        if kind == "null":
            return []
        if kind == "boolean":
            return ["pos += 1"]
        if kind in ("int", "long", "enum"):
            return ["while data[pos] & 128:", "    pos += 1", "pos += 1"]
        if kind in ("float", "double", "fixed"):
            return [f"pos += {4 if kind == 'float' else 8 if kind == 'double' else w.size}"]
        if kind in ("string", "bytes"):
            n = self.fresh("n")
            return [
                f"{n}, pos = _h_bin.read_long(data, pos)",
                f"if {n} < 0:",
                "    raise ValueError(f'negative length at byte {pos}')",
                f"pos += {n}",
            ]
        if kind in ("array", "map"):
            return self.skip_blocks(w)
        if kind == "union":
            u = self.fresh("u")
            lines = [f"{u}, pos = _h_bin.read_index(data, pos)"]
            for i, branch in enumerate(w.branches):
                lines.append(f"{'if' if i == 0 else 'elif'} {u} == {i}:")
                lines.extend("    " + line for line in (self.skip(branch) or ["pass"]))
            lines += ["else:", f"    raise ValueError(f'union index {{{u}}} is out of range')"]
            return lines
        return [f"pos = {self.skipper(w)}(data, pos)"]

    def skip_blocks(self, w: AvroNode) -> list[str]:
        assert w.items is not None
        n, size = self.fresh("n"), self.fresh("z")
        key = self.skip(AvroNode("string")) if w.kind == "map" else []
        item = [*key, *self.skip(w.items)] or ["pass"]
        return [
            "while True:",
            f"    {n}, pos = _h_bin.read_long(data, pos)",
            f"    if not {n}:",
            "        break",
            f"    if {n} < 0:",
            f"        {size}, pos = _h_bin.read_long(data, pos)",
            f"        if {size} < 0:",
            "            raise ValueError(f'negative block size at byte {pos}')",
            f"        pos += {size}",
            "        continue",
            f"    for _ in range({n}):",
            *("        " + line for line in item),
        ]

    def skipper(self, w: AvroNode) -> str:
        """The name of the function skipping one writer record (made once; recursion works)."""
        name = self.skippers.get(_key(w))
        if name is not None:
            return name
        name = self.skippers[_key(w)] = self.fresh("k")
        body = [line for f in w.fields for line in self.skip(f.type)]
        self.functions.append(
            [f"def {name}(data, pos):", *("    " + x for x in body), "    return pos"]
        )
        return name


def _index_bytes(index: int) -> bytes:
    """The Avro encoding of a union branch or enum symbol index."""
    out = bytearray()
    binary.write_long(out, index)
    return bytes(out)
