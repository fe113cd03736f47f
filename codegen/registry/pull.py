"""``herald pull``: download registered schemas into a folder, as files a person can read.

Each selected subject's latest (or every) version is written to
``<out>/<subject>/v<version>.avsc`` (Avro, pretty-printed) or ``.proto``, plus
``v<version>.json`` with its id and references, so a pulled tree can be diffed or reviewed.
Subject names are made filesystem-safe (``/`` becomes ``__``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from codegen.errors import ConfigError
from codegen.registry.client import RegisteredVersion, Registry

#: Registry schema type -> file extension.
EXTENSIONS: Final[dict[str, str]] = {"AVRO": ".avsc", "PROTOBUF": ".proto", "JSON": ".json"}


@dataclass(frozen=True, slots=True)
class Pulled:
    """One written schema file."""

    subject: str
    version: int
    path: Path


def safe_subject(subject: str) -> str:
    """A folder name for a subject: ``acme/payments/v1/money.proto`` -> ``acme__payments...``."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", subject.replace("/", "__"))


def _text(version: RegisteredVersion) -> str:
    if version.schema_type == "AVRO":
        try:
            return json.dumps(json.loads(version.text), indent=2, ensure_ascii=False) + "\n"
        except ValueError:
            return version.text
    return version.text if version.text.endswith("\n") else version.text + "\n"


def _write(out: Path, version: RegisteredVersion) -> Pulled:
    folder = out / safe_subject(version.subject)
    folder.mkdir(parents=True, exist_ok=True)
    ext = EXTENSIONS.get(version.schema_type, ".txt")
    path = folder / f"v{version.version}{ext}"
    path.write_text(_text(version), encoding="utf-8")
    meta = {
        "subject": version.subject,
        "version": version.version,
        "id": version.schema_id,
        "schemaType": version.schema_type,
        "references": [{"name": n, "subject": s, "version": v} for n, s, v in version.references],
    }
    (folder / f"v{version.version}.json").write_text(
        json.dumps(meta, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    return Pulled(version.subject, version.version, path)


def pull_subjects(
    registry: Registry,
    pattern: str,
    out: Path,
    *,
    all_versions: bool,
    concurrency: int,
    on_pulled: Callable[[Pulled], None],
) -> list[Pulled]:
    """Write the matching subjects' versions under ``out``; return what was written."""
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        raise ConfigError(
            f"--subject {pattern!r} is not a valid regular expression: {exc}"
        ) from None
    subjects = sorted(s for s in registry.subjects() if regex.search(s))

    def versions_of(subject: str) -> Sequence[int | str]:
        if not all_versions:
            return ["latest"]
        return registry.versions(subject) or []

    jobs = [(s, v) for s in subjects for v in versions_of(s)]
    written: list[Pulled] = []
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        for pulled in pool.map(lambda job: _write(out, registry.get_version(*job)), jobs):
            written.append(pulled)
            on_pulled(pulled)
    return written
