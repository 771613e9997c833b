"""Copy docs/_snippets/headline.md into README.md, between its headline markers.

The docs pages include the snippet (``--8<-- "docs/_snippets/headline.md"``); GitHub cannot
include files, so README.md holds a copy, which tests/test_docs.py checks. After editing the
snippet:

    python docs/_snippets/sync_readme.py
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SNIPPET = ROOT / "docs" / "_snippets" / "headline.md"
README = ROOT / "README.md"
START = "<!-- headline:start"
END = "<!-- headline:end -->"
BLOCK = re.compile(rf"(?P<start>{re.escape(START)}[^\n]*-->\n)(?P<body>.*?)(?P<end>{re.escape(END)})", re.S)


def readme_block(text: str) -> str:
    """The text between README.md's headline markers, without the blank lines around it."""
    match = BLOCK.search(text)
    if match is None:
        raise SystemExit(f"README.md has no '{START} ... -->' ... '{END}' block")
    return match["body"].strip("\n")


def main() -> None:
    text = README.read_text(encoding="utf-8")
    readme_block(text)  # the markers are there
    snippet = SNIPPET.read_text(encoding="utf-8").strip("\n")
    synced = BLOCK.sub(lambda m: f"{m['start']}\n{snippet}\n\n{m['end']}", text, count=1)
    if synced == text:
        print("README.md already holds docs/_snippets/headline.md")
    else:
        README.write_text(synced, encoding="utf-8")
        print("README.md: headline block copied from docs/_snippets/headline.md")


if __name__ == "__main__":
    main()
