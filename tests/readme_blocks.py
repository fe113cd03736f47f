"""The README's fenced code blocks, and which of them run as tests.

A ```` ```sh ```` (or ``bash``/``shell``) or ```` ```python ```` block runs unless the last
non-blank line before its opening fence is a marker:

- ``<!-- example: no-run: REASON -->``: shown, never run (placeholders such as another
  user's registry, a fragment that continues an earlier block, or a command that is the test
  suite itself). The reason is required.
- ``<!-- example: stack -->``: runs with ``KAFKA_BOOTSTRAP_SERVERS`` and ``SCHEMA_REGISTRY_URL``
  set to the real broker and registry of the tests; other blocks run without them.

Blocks of other languages (toml, yaml, text) are never run. Runnable blocks run in README order,
in one folder laid out as a fresh clone after the quick start (``make install``, the venv
activated), so a block may use what an earlier one made.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

SHELL: frozenset[str] = frozenset({"sh", "bash", "shell"})
PYTHON: frozenset[str] = frozenset({"python", "py"})

_FENCE = re.compile(r"^(?P<fence>`{3,}|~{3,})\s*(?P<info>[^`]*)$")
_MARKER = re.compile(r"^<!--\s*example:\s*(?P<body>.*?)\s*-->$")

Mode = Literal["offline", "stack", "no-run"]


class ReadmeMarkerError(ValueError):
    """A marker the README examples test cannot read; names the line and the accepted forms."""


@dataclass(frozen=True, slots=True)
class Block:
    """One fenced block: where it opens, its language, how it runs and its text."""

    #: The 1-based line of the opening fence.
    line: int
    language: str
    mode: Mode
    text: str
    reason: str = ""

    @property
    def runnable(self) -> bool:
        """Whether the README examples test runs this block."""
        return self.mode != "no-run" and self.language in SHELL | PYTHON


def _mode(marker: str, line: int) -> tuple[Mode, str]:
    if marker == "stack":
        return "stack", ""
    if marker.startswith("no-run:") and marker.removeprefix("no-run:").strip():
        return "no-run", marker.removeprefix("no-run:").strip()
    raise ReadmeMarkerError(
        f"README.md:{line}: unknown example marker {marker!r}; "
        "use <!-- example: stack --> or <!-- example: no-run: REASON -->"
    )


def parse_blocks(markdown: str) -> list[Block]:
    """Every fenced block of a markdown text, with the marker above it applied."""
    blocks: list[Block] = []
    lines = markdown.splitlines()
    index = 0
    last_text = ""
    last_line = 0
    while index < len(lines):
        match = _FENCE.match(lines[index])
        if match is None:
            if lines[index].strip():
                if _MARKER.match(last_text):
                    raise ReadmeMarkerError(
                        f"README.md:{last_line}: an example marker must sit right above a block"
                    )
                last_text, last_line = lines[index].strip(), index + 1
            index += 1
            continue
        fence, language = match["fence"], match["info"].split(" ")[0].strip().lower()
        start = index + 1
        index += 1
        while index < len(lines) and not lines[index].startswith(fence):
            index += 1
        marker = _MARKER.match(last_text)
        mode, reason = _mode(marker["body"], last_line) if marker else ("offline", "")
        text = "\n".join(lines[start:index]) + "\n"
        blocks.append(Block(start, language, mode, text, reason))
        last_text = ""
        index += 1
    return blocks
