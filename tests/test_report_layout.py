"""The report reads as people read: numbers without exponents or "-0", tables that fit a 1,280 px
window (long notes as footnotes), terms linked to a glossary, no finding said twice, the sweep's end
in the metadata, tick labels that never run together; checked in Chromium at 1,280 x 800."""

from __future__ import annotations

import html
import itertools
import json
import re
import shutil
import subprocess
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

matplotlib.use("Agg")

from sim.report.glossary import GLOSSARY, link_terms, used_entries
from sim.report.html import _html, _html_table, _md_table
from sim.report.numbers import people_number, with_footnotes
from tests.conftest import run_sweep

FAST = ["scenario=county", "schedule.campaign_days=12", "schedule.post_election_days=6"]
FAST += ["investigation.direct_days=5", "investigation.supervised_days=6"]


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (17100.0, "17,100"),
        (1.71e4, "17,100"),
        (-0.0, "0"),
        (-1e-17, "0"),
        (-0.004, "-0.004"),
        (4e-5, "0.00004"),
        (12.345678, "12.35"),
        (1_234_567, "1,234,567"),
        (np.int64(3), "3"),
        (float("inf"), "∞"),
        (float("nan"), ""),
    ],
)
def test_numbers_are_shown_for_people(value, shown):
    assert people_number(value) == shown


def test_no_table_cell_shows_an_exponent_or_minus_zero():
    table = pd.DataFrame({"arm": ["a", "b", "c"], "cost": [17100.0, 2.5e6, 0.0], "change": [-0.0, -1e-12, 3e-5]})
    html = _html_table(table, "t.csv")
    md = "\n".join(_md_table(table))
    for text in (html, md):
        assert not re.search(r"\d[eE][+-]?\d", text) and not re.search(r"(?<![\w.])-0(?![.\d])", text), text
    assert "17,100" in html and "2,500,000" in md


def test_long_notes_become_footnotes_and_intervals_stay():
    table = pd.DataFrame(
        {
            "status": ["extendedly dominated (one seed)", "efficient (one seed)", "efficient"],
            "ICER": ["537 (334 to 1,347)", "", ""],
        }
    )
    cells, notes = with_footnotes(table)
    assert list(cells["status"]) == ["extendedly dominated [1]", "efficient [1]", "efficient"]
    assert notes == ["[1] one seed"] and cells["ICER"][0] == "537 (334 to 1,347)"
    html = _html_table(table, "")
    assert '<p class="fn">[1] one seed</p>' in html and "(one seed)" not in html


def test_glossary_links_the_first_use_of_each_term_outside_tags_and_links():
    markup = '<p>ICER and ICER; <a href="x">Holm-adjusted</a>, Holm-adjusted p</p><img alt="ICER">'
    linked = link_terms(markup)
    assert linked.count('href="#g-icer"') == 1 and linked.count('href="#g-holm"') == 1
    assert '<img alt="ICER">' in linked and '<a href="x">Holm-adjusted</a>' in linked
    assert [e[1] for e in used_entries("extendedly dominated, 3 points")] == ["extendedly-dominated", "points"]


def test_every_glossary_term_has_a_plain_explanation():
    for term, (anchor, meaning) in GLOSSARY.items():
        assert re.fullmatch(r"[a-z-]+", anchor) and len(meaning) > 40 and meaning.endswith("."), term


def _page(screen: list[str], table: pd.DataFrame | None, tmp_path: Path) -> str:
    runs = pd.DataFrame({"arm": ["a"], "scenario": ["county"]})
    return _html(screen, table, [], tmp_path, runs, {"ended": "2026-01-02T03:04:05+0000"})


def test_the_page_has_a_glossary_entry_for_every_link_and_says_a_finding_once(tmp_path):
    said = "No arm is distinguishable from no intervention (Holm-adjusted over 3 arms)."
    table = pd.DataFrame({"arm": ["a"], "ICER (staff-days per seat)": ["12 (3 to 40)"], "p (Holm)": ["0.2"]})
    page = _page(["Sweep x.", said, said], table, tmp_path)
    assert page.count("No arm is") == 1
    targets = set(re.findall(r'href="#(g-[a-z-]+)"', page))
    assert targets and all(f'id="{t}"' in page for t in targets)
    assert {"g-holm", "g-icer", "g-distinguishable"} <= targets
    assert "ended 2026-01-02 03:04:05+0000" in page and "?" not in page.split('id="metadata"')[1].split("</ul>")[0]


def test_acceptability_ticks_never_run_together():
    from sim.report.figures import acceptability_plot

    values = np.geomspace(1, 300_000, 60)
    curves = pd.DataFrame(
        {
            "arm": np.repeat(["a", "b"], 60),
            "value": np.tile(values, 2),
            "probability": np.r_[values / 3e5, 1 - values / 3e5],
        }
    )
    fig = acceptability_plot(curves, {"a": "red", "b": "blue"}, pd.DataFrame({"icer": [50_000.0]}))
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    lo, hi = ax.get_xlim()
    boxes = sorted(
        (
            t.get_window_extent(renderer)
            for t in ax.get_xticklabels()
            if t.get_text() and lo <= t.get_position()[0] <= hi
        ),
        key=lambda b: b.x0,
    )
    assert len(boxes) >= 3
    assert all(a.x1 < b.x0 for a, b in itertools.pairwise(boxes)), [(b.x0, b.x1) for b in boxes]


# ------------------------------------------------------------------------------------ real sweeps
@pytest.fixture(scope="module")
def reports(tmp_path_factory) -> dict[str, Path]:
    """A comparison, a 64-arm factorial and a single arm, written by the sweep command (so the metadata is real)."""
    base = tmp_path_factory.mktemp("layout")
    run_sweep(base / "compare", "policy=none,team_inspection,pledges_talks,all", "replicates=5", *FAST)
    run_sweep(base / "factorial", "experiment=factorial", "replicates=2", *FAST)
    run_sweep(base / "single", "policy=none,team_inspection", "replicates=3", *FAST)
    return {name: base / name / "report" / "report.html" for name in ("compare", "factorial", "single")}


def test_the_first_screen_says_only_numbers_its_table_prints(reports):
    from tests.test_first_screen_plain import numbers_match

    for page in reports.values():
        answer = html.unescape(page.read_text().split('id="answer"')[1].split('id="details"')[0])
        sentences = [re.sub(r"<[^>]+>", "", i) for i in re.findall(r"<li>(.*?)</li>", answer)]
        cells = set(re.findall(r"<td[^>]*>([^<]*)</td>", answer))
        assert 1 <= len(sentences) <= 6 and sentences[-1].startswith(("How sure", "One replicate")), sentences
        assert numbers_match(sentences[:-1], cells) == [], sentences  # the last says the replicates


def test_the_report_says_no_finding_twice(reports):
    for page in reports.values():
        answer = page.read_text().split('id="answer"')[1].split("</ul>")[0]
        items = re.findall(r"<li>(.*?)</li>", answer)
        plain = [re.sub(r"<[^>]+>", "", i) for i in items]
        assert len(plain) == len(set(plain))
        assert sum(p.startswith("No arm is distinguishable") for p in plain) <= 1, plain


def test_the_report_written_by_a_sweep_says_when_it_ended(reports):
    for page in reports.values():
        meta = json.loads((page.parent.parent / "sweep.json").read_text())
        assert meta["ended"] and f"ended {meta['ended'].replace('T', ' ', 1)}" in page.read_text()


#: Loaded with the page: the title says what overflows a 1,280 px window (the page, a table, a figure).
OVERFLOW_PROBE = (
    "<script>window.addEventListener('load',()=>{const W=document.documentElement.clientWidth;const bad=[];"
    "if(document.documentElement.scrollWidth>W+1)bad.push('page:'+document.documentElement.scrollWidth);"
    "document.querySelectorAll('.tw').forEach((e,i)=>{if(e.scrollWidth>e.clientWidth+1)"
    "bad.push('table'+i+':'+e.scrollWidth+'>'+e.clientWidth)});"
    "document.querySelectorAll('img').forEach((e,i)=>{if(e.getBoundingClientRect().right>W+1)bad.push('figure'+i)});"
    "document.title='OVERFLOW '+bad.length+' '+bad.join(' ');});</script></body>"
)


def _chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    cmd = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
    cmd += ["--disable-background-networking", "--disable-component-update", f"--user-data-dir={profile}"]
    return subprocess.run([*cmd, "--window-size=1280,800", *args], capture_output=True, text=True, timeout=180)


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed (CI installs it)")
@pytest.mark.parametrize("name", ["compare", "factorial", "single"])
def test_nothing_overflows_a_1280_by_800_window_in_chromium(reports, name, tmp_path):
    page = reports[name]
    probe = page.with_name("probe.html")
    probe.write_text(page.read_text().replace("</body>", OVERFLOW_PROBE))
    try:
        dom = _chromium("--virtual-time-budget=5000", "--dump-dom", probe.as_uri(), profile=tmp_path / "p1")
    finally:
        probe.unlink()
    assert "<title>OVERFLOW 0 </title>" in dom.stdout, re.findall(r"<title>[^<]*</title>", dom.stdout) or dom.stderr
    shot = tmp_path / f"{name}.png"  # the first screen as a reader sees it, kept for a look
    _chromium("--hide-scrollbars", f"--screenshot={shot}", page.as_uri(), profile=tmp_path / "p2")
    assert shot.stat().st_size > 10_000
