"""Configuration: valid files, every validation error naming file and key, flags on top."""

from __future__ import annotations

from pathlib import Path

import pytest

from codegen.catalog import load_catalog
from codegen.config import HeraldConfig, load_config, load_project
from codegen.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]

BASE = """\
schemas = ["schemas"]
compatibility = "backward"

[registry]
url = "http://registry.example:8081"
timeout = 3
concurrency = 4

[codegen]
out = "events"

[[bindings]]
topic = "orders"
value = "com.acme.orders.OrderPlaced"
key = "string"

[[bindings]]
topic = "payments"
value = "acme.payments.v1.PaymentAuthorized"
strategy = "topic_record"
compatibility = "FULL_TRANSITIVE"
"""


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Messages show paths relative to the cwd, as a user running herald there sees them."""
    monkeypatch.chdir(tmp_path)


def _write(tmp_path: Path, text: str, name: str = "herald.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def _load(tmp_path: Path, text: str, name: str = "herald.toml") -> HeraldConfig:
    return load_config(str(_write(tmp_path, text, name)), environ={})


def _error(tmp_path: Path, text: str, name: str = "herald.toml") -> str:
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, text, name)
    return str(info.value)


def test_valid_file_loads_with_subjects(tmp_path: Path) -> None:
    config = _load(tmp_path, BASE)
    assert config.schemas == (tmp_path / "schemas",)
    assert config.compatibility == "BACKWARD"
    assert config.registry.url == "http://registry.example:8081"
    assert config.registry.timeout_s == 3
    assert config.registry.concurrency == 4
    assert config.codegen.out == tmp_path / "events"
    orders, payments = config.bindings
    assert orders.value_subject == "orders-value"
    assert orders.key_subject is None
    assert payments.value_subject == "payments-acme.payments.v1.PaymentAuthorized"
    assert payments.compatibility == "FULL_TRANSITIVE"


def test_pyproject_tool_herald(tmp_path: Path) -> None:
    text = "[project]\nname = 'x'\n\n[tool.herald]\nschemas = ['contracts']\n"
    config = _load(tmp_path, text, "pyproject.toml")
    assert config.schemas == (tmp_path / "contracts",)


def test_pyproject_unknown_key_names_the_dotted_key(tmp_path: Path) -> None:
    text = "[tool.herald]\nschemas = ['s']\n[tool.herald.registry]\nurll = 'x'\n"
    message = _error(tmp_path, text, "pyproject.toml")
    assert "pyproject.toml: tool.herald.registry.urll: unknown key" in message


@pytest.mark.parametrize(
    ("extra", "where"),
    [
        ('colour = "red"\n', "herald.toml: colour: unknown key"),
        ("[registry]\ntmeout = 3\n", "herald.toml: registry.tmeout: unknown key"),
        ("[lint]\nenable = []\n", "herald.toml: lint.enable: unknown key"),
        ('[codegen]\npackage = "x"\n', "herald.toml: codegen.package: unknown key"),
        (
            '[[bindings]]\ntopic = "t"\nvalue = "a.B"\nsubject = "x"\n',
            "herald.toml: bindings[0].subject: unknown key",
        ),
    ],
)
def test_unknown_keys_are_errors(tmp_path: Path, extra: str, where: str) -> None:
    message = _error(tmp_path, 'schemas = ["s"]\n' + extra)
    assert where in message
    assert "known keys here:" in message


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('compatibility = "SIDEWAYS"\n', "compatibility: 'SIDEWAYS' is not one of BACKWARD"),
        ('[[bindings]]\ntopic = "t"\nvalue = "a.B"\nstrategy = "name"\n', "bindings[0].strategy"),
        ('[[bindings]]\ntopic = "t"\n', "bindings[0].value: missing"),
        ('[[bindings]]\ntopic = 3\nvalue = "a.B"\n', "bindings[0].topic: expected a string"),
        ("[registry]\ntimeout = 600\n", "registry.timeout: must be between 0 and 60"),
        ("[registry]\nconcurrency = true\n", "registry.concurrency: expected an integer"),
        ('[lint]\ndisable = ["NOT_A_RULE"]\n', "lint.disable[0]: unknown lint rule 'NOT_A_RULE'"),
        ("schemas = [1]\n", "schemas[0]: expected a string"),
        (
            '[[bindings]]\ntopic = "t"\nvalue = "a.B"\nkey = "string"\n'
            'key_compatibility = "FULL"\n',
            "bindings[0].key_compatibility: set, but the key is string",
        ),
        ("schemas = [\n", "invalid TOML"),
    ],
)
def test_invalid_values_name_file_and_key(tmp_path: Path, text: str, fragment: str) -> None:
    message = _error(tmp_path, text if text.startswith("schemas") else 'schemas = ["s"]\n' + text)
    assert message.startswith("herald.toml: ")
    assert fragment in message


def test_duplicate_subject_names_both_bindings(tmp_path: Path) -> None:
    text = (
        'schemas = ["s"]\n'
        '[[bindings]]\ntopic = "orders"\nvalue = "a.Placed"\n'
        '[[bindings]]\ntopic = "orders"\nvalue = "a.Cancelled"\n'
    )
    message = _error(tmp_path, text)
    assert "herald.toml: bindings[1].value: duplicate subject 'orders-value'" in message
    assert "bindings[0].value" in message


def test_same_topic_bound_twice_is_a_duplicate(tmp_path: Path) -> None:
    text = (
        'schemas = ["s"]\n'
        '[[bindings]]\ntopic = "orders"\nvalue = "a.Placed"\n'
        '[[bindings]]\ntopic = "orders"\nvalue = "a.Placed"\n'
    )
    assert "duplicate subject 'orders-value'" in _error(tmp_path, text)


def test_record_strategy_may_share_a_subject_across_topics(tmp_path: Path) -> None:
    text = (
        'schemas = ["s"]\n'
        '[[bindings]]\ntopic = "eu"\nvalue = "a.Placed"\nstrategy = "record"\n'
        '[[bindings]]\ntopic = "us"\nvalue = "a.Placed"\nstrategy = "record"\n'
    )
    config = _load(tmp_path, text)
    assert {b.value_subject for b in config.bindings} == {"a.Placed"}


def test_shared_subject_with_two_levels_is_a_contradiction(tmp_path: Path) -> None:
    text = (
        'schemas = ["s"]\n'
        '[[bindings]]\ntopic = "eu"\nvalue = "a.Placed"\nstrategy = "record"\n'
        '[[bindings]]\ntopic = "us"\nvalue = "a.Placed"\nstrategy = "record"\n'
        'compatibility = "FULL"\n'
    )
    assert "bindings[1].value: duplicate subject 'a.Placed'" in _error(tmp_path, text)


def test_key_schema_gets_a_key_subject(tmp_path: Path) -> None:
    text = 'schemas = ["s"]\n[[bindings]]\ntopic = "o"\nvalue = "a.V"\nkey = "a.K"\n'
    (binding,) = _load(tmp_path, text).bindings
    assert binding.key_schema == "a.K"
    assert binding.key_subject == "o-key"


def test_binding_to_missing_type_names_file_and_key(tmp_path: Path) -> None:
    text = BASE.replace("com.acme.orders.OrderPlaced", "com.acme.orders.OrderPlacd")
    path = _write(tmp_path, text.replace('schemas = ["schemas"]', f'schemas = ["{REPO}/schemas"]'))
    config = load_config(str(path), environ={})
    with pytest.raises(ConfigError) as info:
        config.check_bindings(load_catalog(config.schemas))
    message = str(info.value)
    assert message.startswith("herald.toml: bindings[0].value: no schema named")
    assert "'com.acme.orders.OrderPlacd'" in message
    assert "did you mean com.acme.orders.OrderPlaced" in message


def test_the_example_project_config_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.delenv("SCHEMA_REGISTRY_URL", raising=False)
    config, catalog = load_project()
    assert config.path == REPO / "herald.toml"
    assert [b.value_subject for b in config.bindings] == [
        "orders-value",
        "payments-acme.payments.v1.PaymentAuthorized",
        "payments-acme.payments.v1.PaymentRefunded",
    ]
    assert len(catalog.schemas) == 6


def test_config_is_found_upwards(tmp_path: Path) -> None:
    _write(tmp_path, 'schemas = ["contracts"]\n')
    nested = tmp_path / "a" / "b"
    nested.mkdir(parents=True)
    config = load_config(start=nested, environ={})
    assert config.path == tmp_path / "herald.toml"


def test_flags_override_config_and_env(tmp_path: Path) -> None:
    path = str(_write(tmp_path, BASE))
    env = {"SCHEMA_REGISTRY_URL": "http://from-env:1"}
    assert load_config(path, environ=env).registry.url == "http://from-env:1"
    flagged = load_config(
        path, schema_dirs=["other"], registry_url="http://from-flag:2", environ=env
    )
    assert flagged.registry.url == "http://from-flag:2"
    assert flagged.schemas == (Path("other"),)
    assert flagged.registry.timeout_s == 3  # the rest of the file still applies


def test_no_config_needs_schemas_flag(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="pass --schemas DIR"):
        load_config(start=tmp_path, environ={})
    config = load_config(
        start=tmp_path, schema_dirs=[str(tmp_path)], registry_url="http://r:1", environ={}
    )
    assert config.path is None
    assert config.bindings == ()
    assert config.registry.url == "http://r:1"


def test_missing_explicit_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(str(tmp_path / "nope.toml"), environ={})
