"""Numbers and table cells as people read them: no exponents, no "-0", thousands separated.

Used by the report's HTML and Markdown tables.  Long notes in a cell (a parenthesis of more than a
few words) become footnotes under the table, so that columns stay narrow enough for a 1,280 px window.
"""

from __future__ import annotations

import math
import numbers
import re
from typing import Any

import numpy as np
import pandas as pd

#: A cell longer than this (characters) moves its parenthetical note, if it has no number, to a footnote.
LONG_CELL = 18


def people_number(v: Any) -> str:
    """A number for people: ``17,100`` not ``1.71e+04``, ``0`` not ``-0``, ``0.0004`` not ``4e-04``.

    Whole numbers and values of 1,000 or more are shown without decimals and with thousands
    separators; others with four significant digits, in positional notation.
    """
    if v is None or isinstance(v, bool | np.bool_):
        return "" if v is None else str(v)
    if not isinstance(v, numbers.Real):
        return str(v)
    x = float(v)
    if math.isnan(x):
        return ""
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    if abs(x) < 1e-9:  # rounding noise of a difference that is zero
        return "0"
    if isinstance(v, numbers.Integral) or abs(x) >= 1000 or x == round(x):
        text = f"{x:,.0f}"
    else:
        text = np.format_float_positional(x, precision=4, unique=False, fractional=False, trim="-")
        if abs(x) >= 1 and "." in text:
            text = text.rstrip("0").rstrip(".")
    return "0" if re.fullmatch(r"-0(\.0*)?", text) else text


def cell_text(v: Any) -> str:
    """A table cell as text: numbers by :func:`people_number`, missing values empty."""
    if v is None or (np.ndim(v) == 0 and not isinstance(v, str) and pd.isna(v)):
        return ""
    return people_number(v) if isinstance(v, numbers.Real) else str(v)


def with_footnotes(table: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The table as text cells, long parenthetical notes replaced by footnote marks.

    Returns:
        The table of strings, and the footnotes in order (``"1: one seed ..."``); a note used in
        several cells gets one number.
    """
    notes: list[str] = []

    def move(text: str) -> str:
        m = re.fullmatch(r"(.+?) \(([^()]*)\)", text)
        if m is None or len(text) <= LONG_CELL or any(c.isdigit() for c in m.group(2)):
            return text  # intervals and short notes stay in the cell
        if m.group(2) not in notes:
            notes.append(m.group(2))
        return f"{m.group(1)} [{notes.index(m.group(2)) + 1}]"

    out = table.map(lambda v: move(cell_text(v)))
    return out, [f"[{i}] {note}" for i, note in enumerate(notes, start=1)]
