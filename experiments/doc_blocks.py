"""Blocks of a Markdown page written by a script, so that the numbers a page quotes cannot go stale.

A block lies between ``<!-- begin NAME (written by SCRIPT) -->`` and ``<!-- end NAME -->``; the
script that computes the numbers rewrites it (``--write-docs``), and a test recomputes them and
compares (``tests/test_interop_docs.py``).
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INTEROP = ROOT / "docs" / "INTEROP.md"


def _pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"(<!-- begin {re.escape(name)} [^>]*-->\n)(.*?)(<!-- end {re.escape(name)} -->)", re.S)


def read_block(name: str, page: Path = INTEROP) -> str:
    """The text of block ``name`` of ``page``.

    Raises:
        KeyError: The page has no such block.
    """
    match = _pattern(name).search(page.read_text())
    if match is None:
        raise KeyError(f"{page} has no block {name!r}")
    return match.group(2)


def write_block(name: str, text: str, page: Path = INTEROP) -> None:
    """Replace the text of block ``name`` of ``page`` with ``text`` (ending with a newline).

    Raises:
        KeyError: The page has no such block.
    """
    content = page.read_text()
    pattern = _pattern(name)
    if pattern.search(content) is None:
        raise KeyError(f"{page} has no block {name!r}")
    page.write_text(pattern.sub(lambda m: m.group(1) + text.rstrip("\n") + "\n" + m.group(3), content, count=1))
