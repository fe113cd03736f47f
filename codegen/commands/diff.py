"""``herald diff``: would the registry accept the new schemas after the old ones, and why not.

Two schema files, two folders, or ``--against REF`` (the working tree's schema folders against
the same folders at a git ref, like ``buf breaking --against``). Folders are loaded through the
catalog (one protoc run per side), schemas are matched by full name, and each pair goes to the
offline engine (:mod:`codegen.compat`). Exit 0 compatible, 1 incompatible, 2 could not run.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import click
from google.protobuf.descriptor_pb2 import FileDescriptorProto

from codegen.allow import Allowance, Approvals
from codegen.catalog.loader import find_files, load_catalog
from codegen.catalog.model import Catalog, ProtoFile
from codegen.catalog.registry_form import dependency_closure
from codegen.catalog.text import read_schema_text
from codegen.commands.options import (
    EXIT_FINDINGS,
    EXIT_OK,
    config_option,
    exits_on_error,
    format_option,
    schemas_option,
)
from codegen.compat import LEVELS, RULES, SchemaSource
from codegen.compat.engine import (
    Parsed,
    SchemaFormat,
    compare_parsed,
    level_spec,
    parse,
    schema_removed,
)
from codegen.compat.protobuf_model import ProtoSchema, schema_from_descriptors
from codegen.config import load_config
from codegen.errors import ConfigError, HeraldError
from codegen.findings import Finding, Location, Severity
from codegen.progress import Progress, quiet_option
from codegen.report import ReportFormat, render

#: File suffix -> schema format, for single-file comparisons.
SUFFIX_FORMATS: dict[str, SchemaFormat] = {".avsc": "AVRO", ".proto": "PROTOBUF"}
GIT_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class Side:
    """One revision's schemas by full name, with where each was defined (for removals)."""

    schemas: dict[str, Parsed]
    #: Protobuf: every top-level message full name -> the key of the schema (file) holding it.
    messages: dict[str, str]
    where: dict[str, Location]


def _proto_key(proto: ProtoFile) -> str:
    top = [m for m in proto.messages if len(m.indexes) == 1]
    return top[0].full_name if top else proto.import_path


def _import_closure(name: str, compiled: Mapping[str, FileDescriptorProto]) -> list[str]:
    """Every file ``name`` imports, directly or not (each schema sees only what it imports)."""
    seen: list[str] = []
    pending = list(compiled[name].dependency)
    while pending:
        dep = pending.pop()
        if dep in seen or dep not in compiled:
            continue
        seen.append(dep)
        pending.extend(compiled[dep].dependency)
    return seen


def _side_from_catalog(catalog: Catalog) -> Side:
    schemas: dict[str, Parsed] = {}
    messages: dict[str, str] = {}
    where: dict[str, Location] = {}
    for avro_file in catalog.avro_files:
        name = avro_file.primary.full_name
        # Keyed by display path with the file's own text, so a finding inside a referenced
        # type points at the line in that file.
        refs = {dep.display_path: dep.text for dep in dependency_closure(catalog, avro_file)}
        source = SchemaSource("AVRO", avro_file.text, avro_file.display_path, refs, name)
        schemas[name] = parse(source)
        where[name] = avro_file.locate(avro_file.primary.pointer)
    shown = {f.import_path: (f.display_path, f.text) for f in catalog.proto_files}
    compiled = {fd.name: fd for fd in catalog.proto_descriptor_set.file}
    for proto in catalog.proto_files:
        key = _proto_key(proto)
        imports = [
            (compiled[name], *shown.get(name, (name, "")))
            for name in _import_closure(proto.import_path, compiled)
        ]
        schemas[key] = schema_from_descriptors(
            proto.descriptor, proto.display_path, proto.text, imports
        )
        for msg in proto.messages:
            if len(msg.indexes) == 1:
                messages[msg.full_name] = key
                where[msg.full_name] = proto.locate(msg.source_path)
        where.setdefault(key, proto.locate())
    return Side(schemas, messages, where)


def _side_from_file(path: Path) -> Side:
    fmt = SUFFIX_FORMATS.get(path.suffix)
    if fmt is None:
        raise ConfigError(f"{path}: not a schema file; expected .avsc or .proto")
    refs: dict[str, str] = {}
    if fmt == "PROTOBUF":
        root = path.parent
        refs = {
            p.relative_to(root).as_posix(): read_schema_text(p, str(p))
            for p in find_files(root, ".proto")
            if p != path
        }
    source = SchemaSource(fmt, read_schema_text(path, str(path)), str(path), refs)
    schema = parse(source)
    messages: dict[str, str] = {}
    if isinstance(schema, ProtoSchema):
        messages = {
            name: schema.full_name
            for name, info in schema.types.items()
            if info.local and info.kind == "message" and len(info.source_path) == 2
        }
    return Side({schema.full_name: schema}, messages, {schema.full_name: Location(str(path), 1, 1)})


def _load_side(paths: list[Path]) -> Side:
    if len(paths) == 1 and paths[0].is_file():
        return _side_from_file(paths[0])
    existing = [p for p in paths if p.is_dir()]
    if not existing:
        return Side({}, {}, {})
    return _side_from_catalog(load_catalog(existing))


def _pairs(old: Side, new: Side, single: bool) -> Iterator[tuple[str, Parsed | None, Parsed]]:
    """(key, new schema or None when gone, old schema) for every old schema."""
    for key, old_schema in old.schemas.items():
        if single:
            yield key, next(iter(new.schemas.values()), None), old_schema
            continue
        match = new.schemas.get(key)
        if match is None and key in new.messages:
            match = new.schemas.get(new.messages[key])
        if match is None:
            owned = [m for m, k in old.messages.items() if k == key]
            moved = next((new.messages[m] for m in owned if m in new.messages), None)
            match = new.schemas.get(moved) if moved else None
        yield key, match, old_schema


def diff_sides(
    old: Side,
    new: Side,
    level: str,
    strict: bool,
    single: bool,
    *,
    advance: Callable[[], None] = lambda: None,
) -> list[Finding]:
    """Compare every old schema with its new counterpart; a schema gone is a finding."""
    spec = level_spec(level)
    findings: list[Finding] = []
    for key, new_schema, old_schema in _pairs(old, new, single):
        advance()
        if new_schema is None:
            if spec.backward or spec.forward:
                fmt: SchemaFormat = "PROTOBUF" if isinstance(old_schema, ProtoSchema) else "AVRO"
                gone = [m for m, k in old.messages.items() if k == key] or [key]
                for name in gone:
                    where = old.where.get(name, Location(key))
                    schema_removed(name, fmt, where, findings)
            continue
        findings += compare_parsed([old_schema], new_schema, level, strict=strict)
    return findings


# -- git ------------------------------------------------------------------------------------


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, timeout=GIT_TIMEOUT_S, check=False
        )
    except FileNotFoundError:
        raise HeraldError("git is not installed; --against needs git on PATH") from None
    except subprocess.TimeoutExpired:
        raise HeraldError(f"git {' '.join(args)} took longer than {GIT_TIMEOUT_S:.0f} s") from None


@contextmanager
def checkout_at(ref: str, folders: list[Path]) -> Iterator[list[Path]]:
    """The schema folders as they are at git ``ref``, extracted into a temporary folder."""
    cwd = Path.cwd()
    top = _git(["rev-parse", "--show-toplevel"], cwd)
    if top.returncode != 0:
        raise HeraldError(f"--against {ref}: {cwd} is not inside a git repository")
    repo = Path(top.stdout.decode().strip()).resolve()
    verify = _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], repo)
    if verify.returncode != 0:
        raise HeraldError(
            f"--against {ref}: no such git ref (branch, tag or commit) in {repo}; "
            "fetch it first (e.g. `git fetch origin main`) or check the spelling"
        )
    commit = verify.stdout.decode().strip()
    with tempfile.TemporaryDirectory(prefix="herald-against-") as tmp:
        root = Path(tmp)
        result: list[Path] = []
        for folder in folders:
            try:
                rel = folder.resolve().relative_to(repo).as_posix()
            except ValueError:
                raise HeraldError(
                    f"--against {ref}: schema folder {folder} is outside the repository {repo}"
                ) from None
            result.append(root / rel)
            listing = _git(["ls-tree", "-d", "--name-only", commit, "--", rel], repo)
            if not listing.stdout.strip():
                continue  # the folder did not exist at that ref: nothing to break
            archive = _git(["archive", "--format=tar", commit, "--", rel], repo)
            if archive.returncode != 0:
                detail = archive.stderr.decode(errors="replace").strip()
                raise HeraldError(f"--against {ref}: git archive failed: {detail}")
            with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
                tar.extractall(root, filter="data")
        yield result


# -- command --------------------------------------------------------------------------------


@click.command("diff")
@click.argument("old", required=False, type=click.Path(exists=True, path_type=Path))
@click.argument("new", required=False, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--against",
    "against",
    metavar="REF",
    default=None,
    help="Compare the schema folders with the same folders at this git ref (e.g. main).",
)
@click.option(
    "--level",
    type=click.Choice(list(LEVELS), case_sensitive=False),
    default=None,
    help="Compatibility level; default: the config's, else BACKWARD.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Add Buf's FILE-category rules for Protobuf (generated code, JSON).",
)
@click.option("--list-rules", is_flag=True, help="Print every rule id, format, category, purpose.")
@format_option
@schemas_option
@config_option
@quiet_option
@exits_on_error
def diff(
    *,
    old: Path | None,
    new: Path | None,
    against: str | None,
    level: str | None,
    strict: bool,
    list_rules: bool,
    fmt: ReportFormat,
    schema_dirs: tuple[str, ...],
    config_path: str | None,
    quiet: bool,
) -> int:
    """Check that NEW schemas may follow OLD ones (files or folders), or the tree vs --against."""
    if list_rules:
        for rule in RULES.values():
            click.echo(f"{rule.id:40} {rule.format:9} {rule.category:11} {rule.purpose}")
        return EXIT_OK
    if against is None and (old is None or new is None):
        raise ConfigError("give OLD and NEW (files or folders), or --against REF")
    if against is not None and new is not None:
        raise ConfigError("--against compares the schema folders; give at most one folder")
    config_level: str | None = None
    folders: list[Path] = []
    allowances: tuple[Allowance, ...] = ()
    if against is not None or config_path:
        if against is not None and old is not None:
            schema_dirs = (str(old),)
        config = load_config(config_path, schema_dirs=schema_dirs)
        config_level = config.compatibility
        folders = list(config.schemas)
        allowances = config.allow
    chosen = (level or config_level or "BACKWARD").upper()
    if against is not None:
        new_side = _load_side(folders)
        with checkout_at(against, folders) as old_folders:
            old_side = _load_side(old_folders)
        single = False
        label = f"{', '.join(str(f) for f in folders)} against {against}"
    else:
        assert old is not None
        assert new is not None
        if old.is_file() != new.is_file():
            raise ConfigError("OLD and NEW must both be files or both be folders")
        old_side, new_side = _load_side([old]), _load_side([new])
        single = old.is_file()
        label = f"{new} against {old}"
    approvals = Approvals(allowances)
    with Progress(len(old_side.schemas), "diff", quiet=quiet or single) as progress:
        found = diff_sides(old_side, new_side, chosen, strict, single, advance=progress.advance)
    findings = approvals.apply(found)
    findings += approvals.leftovers()
    output = render(findings, fmt, suite="herald diff")
    if output:
        click.echo(output)
    errors = sum(1 for f in findings if f.severity is Severity.ERROR)
    if fmt == "text":
        count = len(old_side.schemas)
        verdict = f"{errors} incompatible change(s)" if errors else "compatible"
        if approvals.allowed:
            verdict += f" ({approvals.allowed} allowed by [[allow]])"
        click.echo(f"{label}: {count} schema(s) checked at {chosen}: {verdict}", err=True)
    return EXIT_FINDINGS if errors else EXIT_OK
