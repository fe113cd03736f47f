"""``herald init [DIR]``: scaffold a schema repo with the whole loop wired up.

Writes herald.toml (commented), one example schema per format, the events package's
pyproject.toml (built by :mod:`codegen.wheel_hook`), .pre-commit-config.yaml, the CI workflow
(``.github/workflows/herald.yml``, the same file as ``docs/ci/github-actions.yml``) and
.gitignore, from the files in ``codegen/scaffold/``. A file that exists is kept unless
``--force``; the run lists what it wrote and what was already there.
"""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

import click
import jinja2

from codegen.commands.options import EXIT_OK, exits_on_error
from codegen.distribution import runtime_range
from codegen.errors import ConfigError

#: Destination in the new repo -> its source in codegen/scaffold (``.j2`` ones are rendered).
FILES: dict[str, str] = {
    "herald.toml": "herald.toml.j2",
    "pyproject.toml": "pyproject.toml.j2",
    ".pre-commit-config.yaml": "pre-commit-config.yaml",
    ".github/workflows/herald.yml": "github-actions.yml",
    ".gitignore": "gitignore",
    "schemas/com/example/orders/order_placed.avsc": "schemas/com/example/orders/order_placed.avsc",
    "schemas/example/payments/v1/payments.proto": "schemas/example/payments/v1/payments.proto",
}
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]*$")


def _names(root: Path, name: str | None) -> tuple[str, str]:
    """The wheel's distribution name and the generated package's import name."""
    base = name or root.resolve().name
    if not _NAME.match(base):
        raise ConfigError(
            f"{base!r} cannot name a package; pass --name NAME (letters, digits, - and _)"
        )
    slug = base.lower().replace("_", "-").removesuffix("-events")
    return f"{slug}-events", f"{slug.replace('-', '_')}_events"


def render_file(source: str, values: dict[str, str]) -> str:
    """The text of one scaffold file, rendered when it is a template."""
    text = resources.files("codegen").joinpath("scaffold", source).read_text(encoding="utf-8")
    if not source.endswith(".j2"):
        return text
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    return env.from_string(text).render(values)


@click.command("init")
@click.argument("directory", required=False, default=".", type=click.Path(file_okay=False))
@click.option("--name", default=None, help="Package name; default: the folder's name.")
@click.option("--force", is_flag=True, help="Overwrite files that already exist.")
@exits_on_error
def init(directory: str, name: str | None, force: bool) -> int:
    """Scaffold a schema repo: config, example schemas, events package, pre-commit and CI."""
    root = Path(directory)
    distribution, package = _names(root, name)
    values = {
        "distribution": distribution,
        "package": package,
        "herald_range": runtime_range(),
    }
    written, kept = [], []
    for target, source in FILES.items():
        path = root / target
        if path.exists() and not force:
            kept.append(target)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_file(source, values), encoding="utf-8")
        written.append(target)
    for target in written:
        click.echo(f"  wrote   {target}")
    for target in kept:
        click.echo(f"  exists  {target} (kept; --force overwrites it)")
    if not written:
        click.echo(f"herald init: {root} is already a schema repo; nothing written")
        return EXIT_OK
    click.echo(
        f"herald init: {root}: {len(written)} file(s) written for {distribution} "
        f"(package {package}); next: `herald lint`, `herald codegen`, `pre-commit install`"
    )
    return EXIT_OK
