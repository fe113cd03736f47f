"""How the README examples test reads fenced blocks and their markers."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.readme_blocks import ReadmeMarkerError, parse_blocks

REPO = Path(__file__).resolve().parents[2]

TEXT = """intro

```sh
herald lint
```

<!-- example: stack -->
```python
print("hi")
```

<!-- example: no-run: a placeholder registry -->

```sh
herald check --registry https://sr.example.com
```

```toml
schemas = ["schemas"]
```
"""


def test_blocks_carry_their_language_line_and_mode() -> None:
    blocks = parse_blocks(TEXT)
    assert [(b.line, b.language, b.mode, b.runnable) for b in blocks] == [
        (3, "sh", "offline", True),
        (8, "python", "stack", True),
        (14, "sh", "no-run", False),
        (18, "toml", "offline", False),
    ]
    assert blocks[0].text == "herald lint\n"
    assert blocks[2].reason == "a placeholder registry"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<!-- example: no-run -->\n```sh\nls\n```\n", "README.md:1: unknown example marker"),
        ("<!-- example: skip -->\n```sh\nls\n```\n", "unknown example marker 'skip'"),
        ("<!-- example: stack -->\nprose\n```sh\nls\n```\n", "must sit right above a block"),
    ],
)
def test_markers_that_cannot_be_read_are_errors(text: str, message: str) -> None:
    with pytest.raises(ReadmeMarkerError, match=message):
        parse_blocks(text)


def test_the_readme_has_runnable_blocks_and_every_no_run_says_why() -> None:
    blocks = parse_blocks((REPO / "README.md").read_text())
    assert sum(b.runnable for b in blocks) >= 3
    assert all(b.reason for b in blocks if b.mode == "no-run")
