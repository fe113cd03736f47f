"""The hatchling plugin that turns a schema repo into an installable wheel of its events.

A schema repo's ``pyproject.toml`` (``herald init`` writes it) builds with hatchling and names
the two ``herald`` hooks; ``python -m build`` or ``pip wheel .`` then:

1. metadata hook: sets the package's dependencies to the herald runtime in a compatible range
   (``herald-kafka>=X.Y.Z,<X.Y+1`` while herald is 0.x, ``<X+1`` after), and nothing build-time;
2. build hook: loads herald.toml and the catalog (an invalid one stops the build with its
   ``file:line:col`` error), generates the package named by ``[codegen] out`` into a temporary
   folder and adds it to the wheel. When that folder is committed in the repo, it must equal
   what the schemas give (as ``herald codegen --check``), or the build stops: a stale package
   is never shipped.

Hatchling rather than setuptools: its build and metadata hooks are the plugin points it
documents for generated files and computed metadata, found through the ``hatch`` entry point
group, so the schema repo needs no ``setup.py`` and no code of its own.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface
from hatchling.metadata.plugin.interface import MetadataHookInterface
from hatchling.plugin import hookimpl

from codegen.distribution import runtime_requirement
from codegen.errors import ConfigError, HeraldError

PLUGIN = "herald"


def _fail(exc: HeraldError) -> SystemExit:
    return SystemExit(f"herald: error: {exc}")


class HeraldMetadataHook(MetadataHookInterface):
    """Fills the dynamic ``dependencies`` with the herald runtime range."""

    PLUGIN_NAME = PLUGIN

    def update(self, metadata: dict[str, Any]) -> None:
        """Set the dependencies: the runtime, plus any the hook's ``dependencies`` adds."""
        if "dependencies" not in metadata.get("dynamic", []):
            raise _fail(
                ConfigError(
                    'pyproject.toml: [project] dynamic must list "dependencies" for the herald '
                    'metadata hook (dynamic = ["dependencies"])'
                )
            )
        extra = self.config.get("dependencies", [])
        metadata["dependencies"] = [runtime_requirement(), *extra]


class HeraldBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    """Generates the events package from the schemas and adds it to the wheel."""

    PLUGIN_NAME = PLUGIN

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        """Run codegen (checking a committed package is fresh) before the wheel is built."""
        if self.target_name != "wheel":
            return
        try:
            package, name = self._generate(Path(self.root))
        except HeraldError as exc:
            raise _fail(exc) from None
        build_data["force_include"][str(package)] = name
        build_data["pure_python"] = True

    def _generate(self, root: Path) -> tuple[Path, str]:
        from codegen.commands.codegen import package_files
        from codegen.config import load_project
        from codegen.generate import compare_package, write_package

        config_file = self.config.get("config", "herald.toml")
        config, catalog = load_project(str(root / config_file))
        out = config.codegen.out
        if out is None:
            raise ConfigError(f"{config.source}: set [codegen] out, the package the wheel ships")
        name = out.resolve().name
        files = package_files(config, catalog, name)
        if out.is_dir():
            stale = compare_package(files, out)
            if stale:
                shown = "; ".join(stale[:5]) + ("; ..." if len(stale) > 5 else "")
                raise ConfigError(
                    f"{out.relative_to(root) if out.is_relative_to(root) else out} is stale "
                    f"({len(stale)} file(s) differ: {shown}); run `herald codegen` and commit it"
                )
        self._tmp = Path(tempfile.mkdtemp(prefix="herald-wheel-"))
        write_package(files, self._tmp / name)
        print(f"herald: {name}: {len(files)} generated files for the wheel", file=sys.stderr)
        return self._tmp / name, name

    def finalize(self, version: str, build_data: dict[str, Any], artifact_path: str) -> None:
        """Remove the temporary package folder."""
        tmp = getattr(self, "_tmp", None)
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


@hookimpl
def hatch_register_build_hook() -> type[BuildHookInterface]:  # type: ignore[type-arg]
    """Entry point for hatchling: the ``herald`` build hook."""
    return HeraldBuildHook


@hookimpl
def hatch_register_metadata_hook() -> type[MetadataHookInterface]:
    """Entry point for hatchling: the ``herald`` metadata hook."""
    return HeraldMetadataHook
