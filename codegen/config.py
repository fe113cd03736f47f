"""Project configuration: herald.toml (or ``[tool.herald]`` in pyproject.toml) plus CLI flags.

:func:`load_config` finds the file (upwards from the cwd unless a path is given), validates
every key (unknown keys, wrong types, unknown levels or strategies and duplicate subjects are
errors naming the file and the key), and applies the flags on top: ``--schemas`` replaces
the schema folders and ``--registry`` the registry URL. With no file at all, the flags alone
describe the project and every schema is its own subject (the record name strategy).
Bindings are checked against the catalog by :meth:`HeraldConfig.check_bindings` once it is
loaded, since whether a type exists is only known then.

Precedence for the registry URL: ``--registry`` flag, then ``SCHEMA_REGISTRY_URL`` in the
environment (the stack's bring-your-own convention), then ``[registry] url``. Credentials
never live in the file: it names the environment variables that hold them.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, cast, get_args

from codegen.errors import ConfigError, HeraldError
from publisher.event import SubjectStrategy
from publisher.subjects import subject_for
from publisher.topics import Topic

if TYPE_CHECKING:
    from codegen.allow import Allowance
    from codegen.catalog import Catalog

CONFIG_FILE: Final = "herald.toml"
PYPROJECT: Final = "pyproject.toml"

#: Compatibility levels a Confluent-compatible registry understands.
COMPATIBILITY_LEVELS: Final = (
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
    "NONE",
)
STRATEGIES: Final[tuple[str, ...]] = get_args(SubjectStrategy)
#: Key kinds that need no schema: the key is serialized as UTF-8 text or raw bytes.
PLAIN_KEYS: Final = ("string", "bytes")

DEFAULT_USER_ENV: Final = "HERALD_REGISTRY_USER"
DEFAULT_PASSWORD_ENV: Final = "HERALD_REGISTRY_PASSWORD"
DEFAULT_TOKEN_ENV: Final = "HERALD_REGISTRY_TOKEN"
REGISTRY_URL_ENV: Final = "SCHEMA_REGISTRY_URL"
#: An unreachable registry must fail well within 10 s.
DEFAULT_TIMEOUT_S: Final = 5.0
DEFAULT_CONCURRENCY: Final = 8


@dataclass(frozen=True, slots=True)
class RegistryConfig:
    """Where the Schema Registry is and how to authenticate; secrets stay in the environment."""

    url: str | None = None
    ca_file: Path | None = None
    username_env: str = DEFAULT_USER_ENV
    password_env: str = DEFAULT_PASSWORD_ENV
    token_env: str = DEFAULT_TOKEN_ENV
    timeout_s: float = DEFAULT_TIMEOUT_S
    concurrency: int = DEFAULT_CONCURRENCY
    #: Confluent's ``normalize=true`` on register and lookup (canonical schema text).
    normalize: bool = False


@dataclass(frozen=True, slots=True)
class CodegenConfig:
    """Where ``herald codegen`` writes the generated package (its last component is its name)."""

    out: Path | None = None


@dataclass(frozen=True, slots=True)
class LintConfig:
    """Lint rules switched off for this project."""

    disable: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Binding:
    """A topic bound to a value schema, an optional key schema, a strategy and levels."""

    topic: str
    value: str
    #: A full name, ``"string"``/``"bytes"`` (no schema), or None (no key).
    key: str | None = None
    strategy: SubjectStrategy = "topic"
    compatibility: str | None = None
    key_compatibility: str | None = None
    #: Where the binding was written, e.g. ``herald.toml: bindings[0]``.
    origin: str = ""

    @property
    def value_subject(self) -> str:
        """The registry subject of the value schema."""
        return subject_for(self.strategy, self.topic, self.value)

    @property
    def key_schema(self) -> str | None:
        """The full name of the key schema, or None for plain or absent keys."""
        return self.key if self.key is not None and self.key not in PLAIN_KEYS else None

    @property
    def key_subject(self) -> str | None:
        """The registry subject of the key schema, when the key has one."""
        if self.key_schema is None:
            return None
        return subject_for(self.strategy, self.topic, self.key_schema, is_key=True)


@dataclass(frozen=True, slots=True)
class TopicSpec:
    """A ``[[topics]]`` entry: the topic as declared, and where it was written."""

    topic: Topic
    #: Where the entry was written, e.g. ``herald.toml: topics[0]``.
    origin: str = ""


@dataclass(frozen=True)
class HeraldConfig:
    """The validated project configuration with flags applied."""

    #: The file the configuration came from, or None when only flags were given.
    path: Path | None
    schemas: tuple[Path, ...]
    compatibility: str | None = None
    registry: RegistryConfig = field(default_factory=RegistryConfig)
    codegen: CodegenConfig = field(default_factory=CodegenConfig)
    lint: LintConfig = field(default_factory=LintConfig)
    bindings: tuple[Binding, ...] = ()
    #: Approved breaks (``[[allow]]``), applied by ``herald diff`` and ``herald check``.
    allow: tuple[Allowance, ...] = ()
    topics: tuple[TopicSpec, ...] = ()

    @property
    def source(self) -> str:
        """How messages name the configuration: its file name, or "flags"."""
        return _display(self.path) if self.path else "command-line flags"

    def check_bindings(self, catalog: Catalog) -> None:
        """Every bound type must exist in the catalog; the error names the file and key."""
        for binding in self.bindings:
            for key, name in (("value", binding.value), ("key", binding.key_schema)):
                if name is not None and name not in catalog.schemas:
                    try:
                        catalog.get(name)
                    except HeraldError as exc:
                        raise ConfigError(f"{binding.origin}.{key}: {exc}") from None


# -- parsing --------------------------------------------------------------------------------


def _display(path: Path) -> str:
    try:
        return path.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


class _Reader:
    """Reads one TOML table, naming every problem by file and dotted key."""

    def __init__(self, where: str, table: Mapping[str, Any], prefix: str) -> None:
        self.where = where
        self.table = table
        self.prefix = prefix

    def key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def fail(self, name: str, message: str) -> ConfigError:
        return ConfigError(f"{self.where}: {self.key(name)}: {message}")

    def reject_unknown(self, known: Sequence[str]) -> None:
        for name in self.table:
            if name not in known:
                raise self.fail(name, f"unknown key; known keys here: {', '.join(known)}")

    def get(self, name: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
        if name not in self.table:
            return default
        value = self.table[name]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            expected = _TYPE_NAMES.get(kind if isinstance(kind, type) else kind[0], str(kind))
            raise self.fail(name, f"expected {expected}, found {value!r}")
        return value

    def choice(self, name: str, choices: Sequence[str], default: str | None = None) -> str | None:
        value = self.get(name, str, default)
        if value is None:
            return None
        normal = value.upper() if choices is COMPATIBILITY_LEVELS else value
        if normal not in choices:
            raise self.fail(name, f"{value!r} is not one of {', '.join(choices)}")
        return cast(str, normal)

    def table_at(self, name: str) -> _Reader:
        value = self.get(name, dict, {})
        return _Reader(self.where, value, f"{self.key(name)}.")

    def path(self, name: str, base: Path) -> Path | None:
        value = self.get(name, str)
        return None if value is None else (base / value)

    def string_list(self, name: str) -> list[str]:
        value = self.get(name, list, [])
        for index, item in enumerate(value):
            if not isinstance(item, str):
                raise self.fail(f"{name}[{index}]", f"expected a string, found {item!r}")
        return cast(list[str], value)


_TYPE_NAMES: dict[type, str] = {
    str: "a string",
    int: "an integer",
    float: "a number",
    bool: "true or false",
    list: "an array",
    dict: "a table",
}

_TOP_KEYS = (
    "schemas",
    "compatibility",
    "registry",
    "codegen",
    "lint",
    "bindings",
    "allow",
    "topics",
)
_REGISTRY_KEYS = (
    "url",
    "ca_file",
    "username_env",
    "password_env",
    "token_env",
    "timeout",
    "concurrency",
    "normalize",
)
_BINDING_KEYS = ("topic", "value", "key", "strategy", "compatibility", "key_compatibility")


def _registry(reader: _Reader, base: Path) -> RegistryConfig:
    reader.reject_unknown(_REGISTRY_KEYS)
    timeout = float(reader.get("timeout", (int, float), DEFAULT_TIMEOUT_S))
    if not 0 < timeout <= 60:
        raise reader.fail("timeout", f"must be between 0 and 60 seconds, found {timeout}")
    concurrency = int(reader.get("concurrency", int, DEFAULT_CONCURRENCY))
    if not 1 <= concurrency <= 64:
        raise reader.fail("concurrency", f"must be between 1 and 64, found {concurrency}")
    return RegistryConfig(
        url=reader.get("url", str),
        ca_file=reader.path("ca_file", base),
        username_env=reader.get("username_env", str, DEFAULT_USER_ENV),
        password_env=reader.get("password_env", str, DEFAULT_PASSWORD_ENV),
        token_env=reader.get("token_env", str, DEFAULT_TOKEN_ENV),
        timeout_s=timeout,
        concurrency=concurrency,
        normalize=bool(reader.get("normalize", bool, False)),
    )


def _lint(reader: _Reader) -> LintConfig:
    from codegen.lint.rules import RULES

    reader.reject_unknown(("disable",))
    disabled = reader.string_list("disable")
    for index, rule in enumerate(disabled):
        if rule not in RULES:
            raise reader.fail(
                f"disable[{index}]", f"unknown lint rule {rule!r}; see `herald lint --list-rules`"
            )
    return LintConfig(frozenset(disabled))


def _binding(reader: _Reader, origin: str) -> Binding:
    reader.reject_unknown(_BINDING_KEYS)
    for required in ("topic", "value"):
        if required not in reader.table:
            raise reader.fail(required, "missing; every binding needs a topic and a value type")
    topic = reader.get("topic", str)
    if not topic:
        raise reader.fail("topic", "must not be empty")
    key = reader.get("key", str)
    if "key_compatibility" in reader.table and (key is None or key in PLAIN_KEYS):
        raise reader.fail(
            "key_compatibility", f"set, but the key is {key or 'absent'}: it has no subject"
        )
    return Binding(
        topic=topic,
        value=reader.get("value", str),
        key=key,
        strategy=cast(SubjectStrategy, reader.choice("strategy", STRATEGIES, "topic")),
        compatibility=reader.choice("compatibility", COMPATIBILITY_LEVELS),
        key_compatibility=reader.choice("key_compatibility", COMPATIBILITY_LEVELS),
        origin=origin,
    )


def _check_subjects(bindings: Sequence[Binding]) -> None:
    """Bindings may share a subject only when they agree on its type and level.

    Two topics carrying the same record under the record name strategy share a subject on
    purpose; the same topic bound twice to the same type, or one subject holding two types
    or two levels, is a mistake.
    """
    seen: dict[str, tuple[str, str | None, str, str]] = {}
    for binding in bindings:
        pairs = [("value", binding.value_subject, binding.value, binding.compatibility)]
        if binding.key_subject is not None and binding.key_schema is not None:
            pairs.append(
                ("key", binding.key_subject, binding.key_schema, binding.key_compatibility)
            )
        for key, subject, full_name, level in pairs:
            here = f"{binding.origin}.{key}"
            first = seen.setdefault(subject, (full_name, level, here, binding.topic))
            if first[2] == here:
                continue
            if first[:2] != (full_name, level) or first[3] == binding.topic:
                raise ConfigError(
                    f"{here}: duplicate subject {subject!r}, also produced by {first[2]} "
                    f"(for {first[0]}); bind another type, topic or subject name strategy"
                )


# -- [[topics]] ---------------------------------------------------------------------------

_TOPIC_KEYS = ("name", "partitions", "replication_factor", "config")
#: Kafka's rule for topic names (``Topic.validate``).
_TOPIC_NAME = re.compile(r"[a-zA-Z0-9._-]{1,249}")


def _config_value(reader: _Reader, key: str, value: Any) -> str:
    """A topic config as Kafka spells it: strings as given, numbers in digits, booleans lower."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int)):
        return str(value)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return ",".join(value)
    raise reader.fail(
        key, f"expected a string, integer, boolean or list of strings, found {value!r}"
    )


def _topic(reader: _Reader, origin: str) -> TopicSpec:
    reader.reject_unknown(_TOPIC_KEYS)
    for required in ("name", "partitions"):
        if required not in reader.table:
            raise reader.fail(required, "missing; every topic needs a name and a partition count")
    name = reader.get("name", str)
    if _TOPIC_NAME.fullmatch(name) is None or name in (".", ".."):
        raise reader.fail(
            "name", f"{name!r} is not a Kafka topic name (1-249 of a-z A-Z 0-9 . _ -)"
        )
    partitions = reader.get("partitions", int)
    if partitions < 1:
        raise reader.fail("partitions", f"must be at least 1, found {partitions}")
    replication = reader.get("replication_factor", int)
    if replication is not None and replication < 1:
        raise reader.fail("replication_factor", f"must be at least 1, found {replication}")
    settings = reader.table_at("config")
    config = {key: _config_value(settings, key, value) for key, value in settings.table.items()}
    return TopicSpec(Topic(name, partitions, replication, config), origin)


def _topics(reader: _Reader, prefix: str) -> tuple[TopicSpec, ...]:
    """Every ``[[topics]]`` entry; a name declared twice is an error naming both entries."""
    specs: list[TopicSpec] = []
    seen: dict[str, str] = {}
    for index, raw in enumerate(reader.get("topics", list, [])):
        key = f"{prefix}topics[{index}]"
        if not isinstance(raw, dict):
            raise ConfigError(f"{reader.where}: {key}: expected a table ([[topics]])")
        spec = _topic(_Reader(reader.where, raw, f"{key}."), f"{reader.where}: {key}")
        first = seen.setdefault(spec.topic.name, spec.origin)
        if first != spec.origin:
            raise ConfigError(
                f"{spec.origin}.name: topic {spec.topic.name!r} is already declared by {first}; "
                "declare each topic once"
            )
        specs.append(spec)
    return tuple(specs)


def parse_config(table: Mapping[str, Any], path: Path, prefix: str = "") -> HeraldConfig:
    """Validate a herald configuration table read from ``path``."""
    where = _display(path)
    reader = _Reader(where, table, prefix)
    reader.reject_unknown(_TOP_KEYS)
    base = path.parent
    schemas_value = table.get("schemas", ["schemas"])
    if isinstance(schemas_value, str):
        schemas_value = [schemas_value]
    schema_reader = _Reader(where, {"schemas": schemas_value}, prefix)
    schemas = tuple(base / s for s in schema_reader.string_list("schemas"))
    if not schemas:
        raise reader.fail("schemas", "name at least one schema folder")
    raw_bindings = reader.get("bindings", list, [])
    bindings = []
    for index, raw in enumerate(raw_bindings):
        origin_key = f"{prefix}bindings[{index}]"
        if not isinstance(raw, dict):
            raise ConfigError(f"{where}: {origin_key}: expected a table ([[bindings]])")
        bindings.append(_binding(_Reader(where, raw, f"{origin_key}."), f"{where}: {origin_key}"))
    _check_subjects(bindings)
    return HeraldConfig(
        path=path,
        schemas=schemas,
        compatibility=reader.choice("compatibility", COMPATIBILITY_LEVELS),
        registry=_registry(reader.table_at("registry"), base),
        codegen=_codegen(reader.table_at("codegen"), base),
        lint=_lint(reader.table_at("lint")),
        bindings=tuple(bindings),
        allow=_allow(table.get("allow"), path, where, prefix),
        topics=_topics(reader, prefix),
    )


def _allow(raw: object, path: Path, where: str, prefix: str) -> tuple[Allowance, ...]:
    from codegen.allow import REGISTRY_RULES, parse_allowances
    from codegen.compat import RULES as COMPAT_RULES

    if raw is None:
        return ()
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    known = (*COMPAT_RULES, *REGISTRY_RULES)
    return parse_allowances(raw, where=where, prefix=prefix, text=text, known_rules=known)


def _codegen(reader: _Reader, base: Path) -> CodegenConfig:
    reader.reject_unknown(("out",))
    return CodegenConfig(out=reader.path("out", base))


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{_display(path)}: invalid TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{_display(path)}: cannot read the configuration: {exc}") from None


def read_config_file(path: Path) -> HeraldConfig:
    """Load and validate one file: herald.toml, or pyproject.toml's ``[tool.herald]``."""
    data = _read_toml(path)
    if path.name == PYPROJECT:
        tool = data.get("tool", {})
        if not isinstance(tool, dict) or "herald" not in tool:
            raise ConfigError(f"{_display(path)}: no [tool.herald] table")
        herald = tool["herald"]
        if not isinstance(herald, dict):
            raise ConfigError(f"{_display(path)}: tool.herald: expected a table")
        return parse_config(herald, path, prefix="tool.herald.")
    return parse_config(data, path)


def find_config(start: Path) -> Path | None:
    """The nearest herald.toml, or pyproject.toml with ``[tool.herald]``, at or above ``start``."""
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_FILE
        if candidate.is_file():
            return candidate
        pyproject = folder / PYPROJECT
        if pyproject.is_file():
            tool = _read_toml(pyproject).get("tool", {})
            if isinstance(tool, dict) and "herald" in tool:
                return pyproject
    return None


def load_config(
    config_path: str | None = None,
    *,
    schema_dirs: Sequence[str] = (),
    registry_url: str | None = None,
    environ: Mapping[str, str] | None = None,
    start: Path | None = None,
) -> HeraldConfig:
    """Load the project configuration and apply the command-line flags on top of it."""
    env = os.environ if environ is None else environ
    path = Path(config_path) if config_path else find_config((start or Path.cwd()).resolve())
    if config_path and not Path(config_path).is_file():
        raise ConfigError(f"configuration file {config_path!r} not found")
    if path is not None:
        config = read_config_file(path)
    elif schema_dirs:
        config = HeraldConfig(path=None, schemas=())
    else:
        default = (start or Path.cwd()) / "schemas"
        if not default.is_dir():
            raise ConfigError(
                "no herald.toml or [tool.herald] found here or above, and no --schemas given; "
                "pass --schemas DIR (and --registry URL) or add a herald.toml"
            )
        config = HeraldConfig(path=None, schemas=(default,))
    updates: dict[str, Any] = {}
    if schema_dirs:
        updates["schemas"] = tuple(Path(d) for d in schema_dirs)
    url = registry_url or env.get(REGISTRY_URL_ENV) or config.registry.url
    if url != config.registry.url:
        updates["registry"] = replace(config.registry, url=url)
    return replace(config, **updates) if updates else config


def load_project(
    config_path: str | None = None,
    *,
    schema_dirs: Sequence[str] = (),
    registry_url: str | None = None,
) -> tuple[HeraldConfig, Catalog]:
    """Load the configuration, then the catalog it names, then check bindings against it."""
    from codegen.catalog import load_catalog

    config = load_config(config_path, schema_dirs=schema_dirs, registry_url=registry_url)
    catalog = load_catalog(config.schemas)
    config.check_bindings(catalog)
    return config, catalog
