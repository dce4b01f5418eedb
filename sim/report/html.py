"""Writing the report: figures as PNG and SVG, tables as CSV, and the page as HTML and Markdown."""

from __future__ import annotations

import base64
import html
import logging
import re
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.figure import Figure

from sim.atomic_io import atomic_write_with
from sim.report.glossary import glossary_html, glossary_markdown, link_terms, used_entries
from sim.report.numbers import with_footnotes
from sim.report.style import legibility_problems
from sim.stats.worlds import several_worlds

log = logging.getLogger("sim")


#: Resolution of the PNGs; the HTML shows them at 96 CSS px per inch, so text keeps its point size.
DPI = 192


#: Table cells of at most this many characters never wrap (numbers, intervals, short labels).
SHORT_CELL = 18


class ReportError(RuntimeError):
    """A sweep directory that cannot be reported on; the message says why."""


@dataclass
class Section:
    """One section of the report: paragraphs, figures (stem, caption) and tables (title, table, csv, caption)."""

    anchor: str
    title: str
    lines: list[str] = field(default_factory=list)
    figures: list[tuple[str, str]] = field(default_factory=list)
    tables: list[tuple[str, pd.DataFrame, str, str]] = field(default_factory=list)


# ------------------------------------------------------------------------------------ writing
def _csv(path: Path, table: pd.DataFrame) -> None:
    atomic_write_with(path, lambda p: table.to_csv(p, index=False))


def _save(fig: Figure, out: Path, stem: str, caption: str, csv: str) -> tuple[str, str]:
    """Save PNG and SVG; warn about text under 9 pt or a figure too wide for the page."""
    for problem in legibility_problems(fig):
        log.warning("figure %s: %s", stem, problem)
    for ext in ("png", "svg"):
        atomic_write_with(
            out / f"{stem}.{ext}", lambda p, ext=ext: fig.savefig(p, dpi=DPI, format=ext, bbox_inches="tight")
        )
    plt.close(fig)
    return stem, caption + (f" Data: {csv}." if csv else "")


def png_size(path: Path) -> tuple[int, int]:
    """Width and height in pixels of a PNG (from its header)."""
    head = path.read_bytes()[16:24]
    w, h = struct.unpack(">II", head)
    return w, h


def _meta_lines(runs: pd.DataFrame, meta: dict[str, Any]) -> list[str]:
    versions = meta.get("versions", {})

    def when(key: str) -> str:
        stamp = str(meta.get(key) or "")
        return stamp.replace("T", " ", 1) if stamp else "not recorded"

    scenarios = ", ".join(dict.fromkeys(str(s) for s in runs["scenario"]))
    shared = "within each world" if several_worlds(runs) else "across arms"
    return [
        f"Scenario: {scenarios}; base seed {meta.get('base_seed', 'not recorded')}; "
        f"seeds shared {shared} (common random numbers).",
        f"Started {when('started')}, ended {when('ended')}; commit {meta.get('git_commit') or 'not recorded'}.",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()),
    ]


def _md_table(table: pd.DataFrame) -> list[str]:
    """A markdown table: numbers for people, missing values empty, long notes as footnotes."""
    cells, notes = with_footnotes(table)
    head = "| " + " | ".join(table.columns) + " |"
    rule = "|" + "---|" * len(table.columns)
    rows = ["| " + " | ".join(row) + " |" for row in cells.itertuples(index=False)]
    return [head, rule, *rows, *(["", *notes] if notes else [])]


def _markdown(
    screen: list[str],
    table: pd.DataFrame | None,
    sections: list[Section],
    runs: pd.DataFrame,
    meta: dict[str, Any],
    details: list[str] | None = None,
    full: pd.DataFrame | None = None,
) -> str:
    screen, details = _said_once(screen, details or [])
    parts = ["# Sweep report", "", "## The answer", "", *[f"- {s}" for s in screen], ""]
    if table is not None:
        parts += [*_md_table(table), "", f"Data: {'first_screen' if full is not None else 'headline'}.csv", ""]
        parts += [*_shown_note(table, full), ""]
    if details or full is not None:
        parts += ["### In detail", "", *[f"- {s}" for s in details], ""]
    if full is not None:
        parts += [*_md_table(full), "", "Data: headline.csv", ""]
    for sec in sections:
        parts += [f"## {sec.title}", "", *sec.lines, ""]
        for title, t, csv, caption in sec.tables:
            parts += [f"### {title}", "", *_md_table(t), "", f"{caption} Data: {csv}", ""]
        for stem, caption in sec.figures:
            parts += [f"![{sec.title}]({stem}.png)", "", caption, ""]
    parts += ["## Metadata", "", *[f"- {line}" for line in _meta_lines(runs, meta)], ""]
    parts += glossary_markdown(used_entries("\n".join(parts)))
    return "\n".join(parts)


def _said_once(screen: list[str], details: list[str]) -> tuple[list[str], list[str]]:
    """The first screen and the details, each finding said once (a finding said by two sections too)."""
    screen = list(dict.fromkeys(screen))
    return screen, [d for d in dict.fromkeys(details) if d not in screen]


#: A table with more columns than this is shown in parts, each repeating its first column (a 1,280 px window).
MAX_COLUMNS = 9


def _column_parts(table: pd.DataFrame) -> list[pd.DataFrame]:
    """The table cut into parts of at most :data:`MAX_COLUMNS` columns, each starting with the first column."""
    if len(table.columns) <= MAX_COLUMNS:
        return [table]
    first, rest = table.columns[0], list(table.columns[1:])
    n = -(-len(rest) // (MAX_COLUMNS - 1))  # parts needed
    size = -(-len(rest) // n)  # columns in each, evened out
    return [table[[first, *rest[i : i + size]]] for i in range(0, len(rest), size)]


def _shown_note(table: pd.DataFrame, full: pd.DataFrame | None) -> list[str]:
    """Says the first screen's table shows only some arms, when it does."""
    if full is None or len(table) >= len(full):
        return []
    return [f"The first {len(table)} of {len(full)} arms, most effective first; every arm is in the full table below."]


def _inline(text: str) -> str:
    """Markdown's bold and links to HTML, the rest escaped."""
    escaped = html.escape(text)
    while "**" in escaped:
        escaped = escaped.replace("**", "<b>", 1).replace("**", "</b>", 1)
    escaped = re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)
    return re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r'<a href="\2">\1</a>', escaped)


def _html_table(table: pd.DataFrame, csv: str) -> str:
    """A table that fits the page: numbers for people, text that wraps, long notes as footnotes."""
    cells, notes = with_footnotes(table)
    numeric = [pd.api.types.is_numeric_dtype(table[c]) and not pd.api.types.is_bool_dtype(table[c]) for c in table]
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in table.columns)
    # Numbers and short texts (intervals, "-14.9 to -5.4") stay on one line; longer texts wrap.
    rows = "".join(
        "<tr>"
        + "".join(
            f'<td class="{"n" if n or len(v) <= SHORT_CELL else "s"}">{html.escape(v)}</td>'
            for v, n in zip(row, numeric, strict=True)
        )
        + "</tr>"
        for row in cells.itertuples(index=False)
    )
    foot = "".join(f'<p class="fn">{html.escape(note)}</p>' for note in notes)
    link = f'<p class="cap">Data: <a href="{html.escape(csv)}">{html.escape(csv)}</a></p>' if csv else ""
    table_html = f'<table class="t"><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>'
    return f'<div class="tw">{table_html}</div>{foot}{link}'


def _html(
    screen: list[str],
    table: pd.DataFrame | None,
    sections: list[Section],
    out: Path,
    runs: pd.DataFrame,
    meta: dict[str, Any],
    details: list[str] | None = None,
    full: pd.DataFrame | None = None,
) -> str:
    """The page: the first screen (sentences and ``table``), its ``details`` and ``full`` table, the sections."""
    screen, details = _said_once(screen, details or [])
    toc = " · ".join(f'<a href="#{s.anchor}">{html.escape(s.title)}</a>' for s in sections)
    body = [
        "<h1>Sweep report</h1>",
        f'<nav>{toc} · <a href="#data">Data</a> · <a href="#metadata">Metadata</a> · '
        '<a href="#glossary">Glossary</a></nav>',
        '<section id="answer"><h2>The answer</h2><ul>',
        *[f"<li>{_inline(s)}</li>" for s in screen],
        "</ul>",
    ]
    if table is not None:
        body.append(_html_table(table, "first_screen.csv" if full is not None else "headline.csv"))
        body += [f'<p class="cap">{html.escape(x)}</p>' for x in _shown_note(table, full)]
    if details or full is not None:
        body += ['<h3 id="details">In detail</h3><ul>', *[f"<li>{_inline(s)}</li>" for s in details], "</ul>"]
    if full is not None:
        parts = _column_parts(full)
        body += [_html_table(part, "headline.csv" if i == len(parts) - 1 else "") for i, part in enumerate(parts)]
    body.append("</section>")
    for sec in sections:
        body.append(f'<h2 id="{sec.anchor}">{html.escape(sec.title)}</h2>')
        body += [f"<p>{_inline(line)}</p>" for line in sec.lines]
        for stem, caption in sec.figures:
            data = base64.b64encode((out / f"{stem}.png").read_bytes()).decode("ascii")
            w, _ = png_size(out / f"{stem}.png")
            body += [
                f'<figure><img alt="{html.escape(sec.title)}" width="{round(w * 96 / DPI)}" '
                f'src="data:image/png;base64,{data}"><figcaption>{html.escape(caption)} '
                f'<a href="{stem}.svg">SVG</a></figcaption></figure>'
            ]
        for title, t, csv, caption in sec.tables:
            parts = _column_parts(t)
            body += [f"<h3>{html.escape(title)}</h3>"]
            body += [_html_table(part, csv if i == len(parts) - 1 else "") for i, part in enumerate(parts)]
            body += [f"<p class='cap'>{html.escape(caption)}</p>"]
    csvs = sorted(p.name for p in out.glob("*.csv"))
    body += [
        '<h2 id="data">Data</h2><p>Every table behind the figures: '
        + ", ".join(f'<a href="{c}">{c}</a>' for c in csvs)
        + "</p>"
    ]
    body += [
        '<h2 id="metadata">Metadata</h2><ul>',
        *[f"<li>{html.escape(x)}</li>" for x in _meta_lines(runs, meta)],
        "</ul>",
    ]
    page = link_terms("".join(body))
    page += glossary_html(used_entries(re.sub(r"<[^>]+>", " ", page)))
    style = (
        "body{font-family:sans-serif;max-width:1150px;margin:1.5em auto;padding:0 1em;color:#222;font-size:15px;"
        "line-height:1.45}img{max-width:100%;height:auto;border:1px solid #ddd}figure{margin:1em 0}"
        "figcaption,.cap{color:#555;font-size:13px}#answer{background:#f4f7fb;border:1px solid #c9d6e6;"
        "padding:.2em 1em .6em;border-radius:6px}#answer li{margin:.35em 0}nav{font-size:13px;margin-bottom:.5em}"
        ".tw{overflow-x:auto;max-width:100%}table.t{border-collapse:collapse;font-size:12.5px}"
        "table.t td,table.t th{padding:2px 6px;border-bottom:1px solid #ddd;text-align:right;vertical-align:top}"
        "table.t td.n{white-space:nowrap}table.t td.s{white-space:normal;min-width:4em;max-width:16em}"
        "table.t th{background:#eef2f6;white-space:normal;vertical-align:bottom;max-width:8em}"
        "table.t td:first-child,table.t th:first-child{text-align:left;max-width:20em}"
        ".fn{color:#555;font-size:12px;margin:.1em 0}a.g{color:inherit;text-decoration:underline dotted}"
        "dl.gl dt{font-weight:bold;margin-top:.5em}dl.gl dd{margin:0 0 0 1.5em}"
    )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Sweep report</title>"
        f"<style>{style}</style></head><body>{page}</body></html>\n"
    )
