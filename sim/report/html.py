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
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.atomic_io import atomic_write_with
from sim.report.style import legibility_problems
from sim.stats.worlds import several_worlds

log = logging.getLogger("sim")


#: Resolution of the PNGs; the HTML shows them at 96 CSS px per inch, so text keeps its point size.
DPI = 192


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
    scenarios = ", ".join(dict.fromkeys(str(s) for s in runs["scenario"]))
    shared = "within each world" if several_worlds(runs) else "across arms"
    return [
        f"Scenario: {scenarios}; base seed {meta.get('base_seed', '?')}; "
        f"seeds shared {shared} (common random numbers).",
        f"Started {meta.get('started', '?')}, ended {meta.get('ended', '?')}; commit {meta.get('git_commit', '?')}.",
        "Versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()),
    ]


def _md_table(table: pd.DataFrame) -> list[str]:
    """A markdown table; missing values (NaN, None, NA) are empty cells, as in the HTML."""

    def cell(v: Any) -> str:
        if v is None or (np.ndim(v) == 0 and pd.isna(v)):
            return ""
        return f"{v:.4g}" if isinstance(v, float) else str(v)

    head = "| " + " | ".join(table.columns) + " |"
    rule = "|" + "---|" * len(table.columns)
    return [head, rule, *("| " + " | ".join(cell(v) for v in row) + " |" for row in table.itertuples(index=False))]


def _markdown(
    screen: list[str], table: pd.DataFrame | None, sections: list[Section], runs: pd.DataFrame, meta: dict[str, Any]
) -> str:
    parts = ["# Sweep report", "", "## The answer", "", *[f"- {s}" for s in screen], ""]
    if table is not None:
        parts += [*_md_table(table), "", "Data: headline.csv", ""]
    for sec in sections:
        parts += [f"## {sec.title}", "", *sec.lines, ""]
        for title, t, csv, caption in sec.tables:
            parts += [f"### {title}", "", *_md_table(t), "", f"{caption} Data: {csv}", ""]
        for stem, caption in sec.figures:
            parts += [f"![{sec.title}]({stem}.png)", "", caption, ""]
    parts += ["## Metadata", "", *[f"- {line}" for line in _meta_lines(runs, meta)], ""]
    return "\n".join(parts)


def _inline(text: str) -> str:
    """Markdown's bold and links to HTML, the rest escaped."""
    escaped = html.escape(text)
    while "**" in escaped:
        escaped = escaped.replace("**", "<b>", 1).replace("**", "</b>", 1)
    escaped = re.sub(r"`([^`]+)`", r"<code>\1</code>", escaped)
    return re.sub(r"\[([^\]]+)\]\(([^)]+)\)", r'<a href="\2">\1</a>', escaped)


def _html_table(table: pd.DataFrame, csv: str) -> str:
    body = table.to_html(index=False, float_format=lambda v: f"{v:,.4g}", na_rep="", border=0, classes="t")
    link = f'<p class="cap">Data: <a href="{html.escape(csv)}">{html.escape(csv)}</a></p>' if csv else ""
    return f'<div class="tw">{body}</div>{link}'


def _html(
    screen: list[str],
    table: pd.DataFrame | None,
    sections: list[Section],
    out: Path,
    runs: pd.DataFrame,
    meta: dict[str, Any],
) -> str:
    toc = " · ".join(f'<a href="#{s.anchor}">{html.escape(s.title)}</a>' for s in sections)
    body = [
        "<h1>Sweep report</h1>",
        f'<nav>{toc} · <a href="#data">Data</a> · <a href="#metadata">Metadata</a></nav>',
        '<section id="answer"><h2>The answer</h2><ul>',
        *[f"<li>{_inline(s)}</li>" for s in screen],
        "</ul>",
    ]
    if table is not None:
        body.append(_html_table(table, "headline.csv"))
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
            body += [
                f"<h3>{html.escape(title)}</h3>",
                _html_table(t, csv),
                f"<p class='cap'>{html.escape(caption)}</p>",
            ]
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
    style = (
        "body{font-family:sans-serif;max-width:1150px;margin:1.5em auto;padding:0 1em;color:#222;font-size:15px;"
        "line-height:1.45}img{max-width:100%;height:auto;border:1px solid #ddd}figure{margin:1em 0}"
        "figcaption,.cap{color:#555;font-size:13px}#answer{background:#f4f7fb;border:1px solid #c9d6e6;"
        "padding:.2em 1em .6em;border-radius:6px}#answer li{margin:.35em 0}nav{font-size:13px;margin-bottom:.5em}"
        ".tw{overflow-x:auto}table.t{border-collapse:collapse;font-size:12.5px}table.t td,table.t th{padding:2px 7px;"
        "white-space:nowrap;"
        "border-bottom:1px solid #ddd;text-align:right}"
        "table.t th{background:#eef2f6;white-space:normal;vertical-align:bottom;max-width:9em}table.t td:first-child,"
        "table.t th:first-child{text-align:left}"
    )
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Sweep report</title>"
        f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n"
    )
