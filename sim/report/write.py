"""The report of a sweep: figures (PNG and SVG), the tables behind them (CSV), report.md and report.html.

The first screen answers the analyst's question in five plain sentences over a small table whose
cells they quote (:mod:`sim.report.plain`); under "In detail" follow the seats vote buying changes, split into captured,
vacated and displaced; the best arm on the ranking outcome (``report.outcome``, captured seats by
default) and the cheapest arm close to it, each with its effect, interval, cost and the incremental
cost between them; the problem left under the best arm; the harms; the best arm by net benefit
(``report.harm_weight``) and the weight at which the choice flips; and what the intervals cover.
The sections below hold the evidence.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pandas as pd

from sim.atomic_io import atomic_write_text
from sim.config import check_fields
from sim.report.assumptions import assumptions_section, posterior_layer
from sim.report.calibration import calibration_section
from sim.report.first_screen import first_screen, headline_table, plain_screen, uncertainty_links
from sim.report.html import ReportError, _csv, _html, _markdown
from sim.report.sections import (
    arm_order,
    comparison_section,
    cost_section,
    dose_section,
    factorial_section,
    sensitivity_section,
    time_section,
)
from sim.report.style import arm_colours
from sim.report.terms import terms_section
from sim.report.township import township_section
from sim.report.uncertainty import posterior_report_section
from sim.report.worlds import NO_FRONTIER, worlds_first_screen, worlds_plain_screen, worlds_section, worlds_table
from sim.stats.cea import cost_effectiveness
from sim.stats.outcomes import outcomes_for
from sim.stats.paired import AnalysisError, baseline_arm, paired_effects
from sim.stats.worlds import several_worlds, world_effects
from sim.sweeps.experiment import ReportSettings


def load_sweep(sweep_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """The collected tables and metadata of a sweep, or a clear error."""
    sweep_dir = Path(sweep_dir)
    if not sweep_dir.is_dir():
        raise ReportError(f"{sweep_dir} does not exist")
    if not (sweep_dir / "runs.parquet").exists():
        raise ReportError(
            f"{sweep_dir} has no runs.parquet: collect it first (python experiments/collect.py {sweep_dir})"
        )
    runs = pd.read_parquet(sweep_dir / "runs.parquet")
    if runs.empty:
        raise ReportError(f"{sweep_dir}/runs.parquet holds no runs")
    ts = pd.read_parquet(sweep_dir / "timeseries.parquet")
    meta_path = sweep_dir / "sweep.json"
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    return runs, ts, meta


def report_choice(meta: dict[str, Any], outcome: str | None = None, harm_weight: float | None = None) -> ReportSettings:
    """What the report ranks by and how it weighs harm: the sweep's ``report.*`` settings, or the overrides.

    Raises:
        ConfigError: Naming the setting and the value when one is not allowed.
    """
    stored = meta.get("config", {}).get("report", {})
    stored = stored if isinstance(stored, dict) else {}  # an older sweep stored a flag here
    known = {f.name for f in dataclasses.fields(ReportSettings)}
    choice = ReportSettings(**{k: v for k, v in stored.items() if k in known})
    if outcome is not None:
        choice.outcome = outcome
    if harm_weight is not None:
        choice.harm_weight = float(harm_weight)
    check_fields(choice, "report.")
    return choice


# ------------------------------------------------------------------------------------ the report
def write_report(sweep_dir: Path, outcome: str | None = None, harm_weight: float | None = None) -> Path:
    """Write ``SWEEP_DIR/report/`` and return the path of report.html.

    Args:
        sweep_dir: A collected sweep folder.
        outcome: The outcome arms are ranked by (default: the sweep's ``report.outcome``).
        harm_weight: Captured seats one honest candidate removed is worth (default: the sweep's
            ``report.harm_weight``).
    """
    sweep_dir = Path(sweep_dir)
    runs, ts, meta = load_sweep(sweep_dir)
    choice = report_choice(meta, outcome, harm_weight)
    key = choice.outcome
    if key not in runs.columns:
        raise ReportError(
            f"{sweep_dir} has no {key} outcome: it was made by an older version of the model; "
            "run the sweep again (finished runs of the current version are kept)"
        )
    out = sweep_dir / "report"
    out.mkdir(exist_ok=True)
    for stale in [*out.glob("*.png"), *out.glob("*.svg"), *out.glob("*.csv")]:
        stale.unlink()  # figures of sections this sweep no longer has
    outcomes = [o for o in outcomes_for(key) if o in runs.columns]
    worlds = several_worlds(runs)  # then each arm is compared with no intervention on its own world
    try:
        base: str | None = baseline_arm(runs)
        effects = world_effects(runs, outcomes) if worlds else paired_effects(runs, outcomes, base)
        note = ""
    except AnalysisError as exc:
        base, effects, note = None, None, str(exc)
    if effects is not None and effects.empty:  # the baseline alone: nothing to compare it with
        effects, note = None, "this sweep has only the baseline arm; add arms to compare them against it"
    order = arm_order(runs, effects, key)
    colours = arm_colours(order)
    ce: tuple[pd.DataFrame, pd.DataFrame] | str | None = NO_FRONTIER if worlds and effects is not None else None
    if effects is not None and not worlds and {"seats", "cost_total"} <= set(runs):
        try:
            ce = cost_effectiveness(runs, key, base)
        except ValueError as exc:  # said in the report, not hidden
            ce = f"Cost-effectiveness not computed: {exc}."

    sections = [
        comparison_section(runs, effects, base, order, colours, outcomes, out),
        worlds_section(runs, effects, colours, out) if worlds and effects is not None else None,
        cost_section(ce, colours, out),
        None if worlds else time_section(ts, order, colours, base, out),  # one reference would not fit all
        None if worlds else terms_section(runs, base, colours, out),
        factorial_section(runs, out, key),
        dose_section(runs, out, key),
        sensitivity_section(runs, meta, colours, out, key),
        posterior_report_section(posterior_layer(runs, meta), meta, base, out, key),
        assumptions_section(runs, meta, base, out, key, choice.harm_weight),
        calibration_section(runs, out) if meta.get("experiment") == "calibration" else None,
        township_section(sweep_dir, runs, base, out),
    ]
    sections = [s for s in sections if s is not None]
    anchors = uncertainty_links(sections, sweep_dir)
    ce_tables = ce if isinstance(ce, tuple) else None
    plain: tuple[list[str], pd.DataFrame | None] = ([], None)
    if worlds and effects is not None:
        details = worlds_first_screen(runs, effects, meta, anchors, sections)
        table = worlds_table(runs, effects, order)
        plain = worlds_plain_screen(runs, effects, order)
    else:
        details = first_screen(runs, effects, base, ce_tables, meta, note, anchors, sections, choice)
        table = headline_table(runs, effects, ce_tables, base, choice) if effects is not None else None
        if effects is not None:
            plain = plain_screen(runs, effects, base, ce_tables, choice)
    if table is not None:
        _csv(out / "headline.csv", table)
    screen, key = plain
    if key is not None:
        _csv(out / "first_screen.csv", key)
    if not screen:  # nothing compared: the detailed sentences are the first screen
        screen, key, details, table = details, table, [], None
    atomic_write_text(out / "report.md", _markdown(screen, key, sections, runs, meta, details, table))
    atomic_write_text(out / "report.html", _html(screen, key, sections, out, runs, meta, details, table))
    return out / "report.html"
