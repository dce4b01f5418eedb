"""The report of a sweep: figures (PNG and SVG), the tables behind them (CSV), report.md and report.html.

The first screen answers the analyst's question: the best arm and the cheapest arm close to it,
each with its effect, interval, cost and the incremental cost between them; the problem left under
the best arm; the harms; and what the intervals cover. The sections below hold the evidence.
"""

from __future__ import annotations

import base64
import html
import json
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

from sim.analysis import claims
from sim.analysis.cea import MIN_BOOTSTRAP_PAIRS, bootstrap_means, cost_effectiveness, icer_interval, per_pair
from sim.analysis.plots import (
    TIME_SERIES,
    acceptability_plot,
    arm_colours,
    arm_means_plot,
    arm_name,
    cost_effectiveness_plot,
    count,
    dose_response_plot,
    forest_plot,
    interaction_heatmap,
    legibility_problems,
    sensitivity_plot,
    time_course,
    township_network,
)
from sim.analysis.stats import (
    HARMS,
    HEADLINE,
    OUTCOMES,
    AnalysisError,
    arm_means,
    baseline_arm,
    diminishing_from,
    dose_key,
    dose_response,
    factorial_effects,
    factorial_factors,
    marginal_effects,
    outcome,
    paired_effects,
    policy_wins,
    sensitivity_indices,
    sensitivity_parameters,
)
from sim.analysis.terms import n_terms, outlives_sentences, term_effects, terms_plot
from sim.atomic_io import atomic_write_text, atomic_write_with
from sim.config import ConfigError

log = logging.getLogger("sim")

#: Fewest uncertainty samples for which sensitivity indices are computed.
MIN_SENSITIVITY_SAMPLES = 32

#: Most arms shown in the per-arm figures (a factorial has 64; the best are shown).
MAX_ARMS_SHOWN = 16

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


def arm_order(runs: pd.DataFrame, effects: pd.DataFrame | None) -> list[str]:
    """Baseline first, then arms by their effect on the headline outcome (most favourable first)."""
    arms = list(runs.arm.unique())
    base = [a for a in arms if (runs[runs.arm == a].interventions == "none").all()]
    if effects is not None and len(effects):
        head = effects[effects.outcome == HEADLINE].sort_values("diff", ascending=outcome(HEADLINE).better == "lower")
        return base + [a for a in head.arm if a not in base]
    return base + sorted(a for a in arms if a not in base)


# ------------------------------------------------------------------------------------ the report
def write_report(sweep_dir: Path) -> Path:
    """Write ``SWEEP_DIR/report/`` and return the path of report.html."""
    sweep_dir = Path(sweep_dir)
    runs, ts, meta = load_sweep(sweep_dir)
    if HEADLINE not in runs.columns:
        raise ReportError(
            f"{sweep_dir} has no {HEADLINE} outcome: it was made by an older version of the model; "
            "run the sweep again (finished runs of the current version are kept)"
        )
    out = sweep_dir / "report"
    out.mkdir(exist_ok=True)
    for stale in [*out.glob("*.png"), *out.glob("*.svg"), *out.glob("*.csv")]:
        stale.unlink()  # figures of sections this sweep no longer has
    outcomes = [o for o in OUTCOMES if o in runs.columns]
    try:
        base: str | None = baseline_arm(runs)
        effects = paired_effects(runs, outcomes, base)
        note = ""
    except AnalysisError as exc:
        base, effects, note = None, None, str(exc)
    if effects is not None and effects.empty:  # the baseline alone: nothing to compare it with
        effects, note = None, "this sweep has only the baseline arm; add arms to compare them against it"
    order = arm_order(runs, effects)
    colours = arm_colours(order)
    ce: tuple[pd.DataFrame, pd.DataFrame] | str | None = None
    if effects is not None and {"seats", "cost_total"} <= set(runs):
        try:
            ce = cost_effectiveness(runs, HEADLINE, base)
        except ValueError as exc:  # said in the report, not hidden
            ce = f"Cost-effectiveness not computed: {exc}."

    sections = [
        comparison_section(runs, effects, base, order, colours, outcomes, out),
        cost_section(ce, colours, out),
        time_section(ts, order, colours, base, out),
        terms_section(runs, base, colours, out),
        factorial_section(runs, out),
        dose_section(runs, out),
        sensitivity_section(runs, meta, colours, out),
        posterior_report_section(runs, meta, base, out),
        calibration_section(runs, out) if meta.get("experiment") == "calibration" else None,
        township_section(sweep_dir, runs, base, out),
    ]
    sections = [s for s in sections if s is not None]
    anchors = uncertainty_links(sections, sweep_dir)
    ce_tables = ce if isinstance(ce, tuple) else None
    screen = first_screen(runs, effects, base, ce_tables, meta, note, anchors, sections)
    table = headline_table(runs, effects, ce_tables, base) if effects is not None else None
    if table is not None:
        _csv(out / "headline.csv", table)
    atomic_write_text(out / "report.md", _markdown(screen, table, sections, runs, meta))
    atomic_write_text(out / "report.html", _html(screen, table, sections, out, runs, meta))
    return out / "report.html"


# ------------------------------------------------------------------------------------ first screen
def first_screen(
    runs: pd.DataFrame,
    effects: pd.DataFrame | None,
    base: str | None,
    ce: tuple[pd.DataFrame, pd.DataFrame] | None,
    meta: dict[str, Any],
    note: str,
    links: dict[str, str],
    sections: list[Section],
) -> list[str]:
    """The answer in a few sentences (markdown): best arm, cheapest near-best, residual, harms, coverage."""
    lines = [sweep_sentence(runs, meta)]
    if effects is None:
        if meta.get("experiment") != "calibration" and dose_key(runs) is None:  # neither needs a baseline
            lines.append(note)
        lines += [line for sec in sections for line in sec.lines]  # the sweep's own findings
        lines.append(claims.coverage_sentence(runs, links))
        return lines
    costs = runs.groupby("arm")["cost_total"].mean()
    best = find_best(runs, effects)
    lines.append(claims.best_sentence(best, HEADLINE, float(costs.get(best.arm, 0.0)) if best else 0.0))
    near = claims.near_best_arm(effects, costs, best, HEADLINE)
    if best is not None and near is not None:
        lines.append(near_best_sentence(runs, effects, base, best.arm, near, costs, ce))
    top = best.arm if best is not None else None
    lines.append(residual_sentence(runs, base, top))
    lines.append(harms_sentence(effects, [a for a in dict.fromkeys([top, near]) if a]))
    lines.append(claims.distinguishable_sentence(effects, HEADLINE) or "")
    lines += [line for sec in sections if sec.anchor != "cost-effectiveness" for line in sec.lines]
    lines.append(claims.coverage_sentence(runs, links))
    return [x for x in lines if x]


def sweep_sentence(runs: pd.DataFrame, meta: dict[str, Any]) -> str:
    """What was run: experiment, scenario, arms, replicates."""
    per_arm = runs.groupby("arm").size()
    low, high = int(per_arm.min()), int(per_arm.max())
    if "sample" in runs.columns and (runs["sample"] >= 0).any():
        samples = count(runs["sample"].nunique(), "uncertainty sample")
        runs_per_arm = count(high, "run") if low == high else f"{low} to {high} runs"
        reps = f"{samples} x {count(runs['replicate'].nunique(), 'replicate')} = {runs_per_arm} per arm"
    else:
        reps = (count(high, "replicate") if low == high else f"{low} to {high} replicates") + " per arm"
    arms = count(len(per_arm), "arm")
    scenario = runs["scenario"].iloc[0]
    text = f"Sweep **{meta.get('experiment', '?')}** (scenario {scenario}): {arms}, {reps} ({count(len(runs), 'run')})."
    if meta.get("runs_planned") and meta.get("runs_planned") != len(runs):
        text += f" Partial sweep: {len(runs)} of {meta['runs_planned']} planned runs are in."
    return text


def find_best(runs: pd.DataFrame, effects: pd.DataFrame) -> claims.Best | None:
    """The best arm on the headline outcome, compared pair by pair with every other arm."""
    candidate = claims.best_arm(effects, None, HEADLINE)  # best among arms that improve distinguishably
    if candidate is None:
        return None
    vs_best = paired_effects(runs, [HEADLINE], baseline=candidate.arm) if runs.arm.nunique() > 2 else None
    return claims.best_arm(effects, vs_best, HEADLINE)


def near_best_sentence(
    runs: pd.DataFrame,
    effects: pd.DataFrame,
    base: str | None,
    best: str,
    near: str,
    costs: pd.Series,
    ce: tuple[pd.DataFrame, pd.DataFrame] | None,
) -> str:
    """The cheapest near-best arm with effect, CI and cost, and what the step up to the best arm costs.

    When the best arm is itself the cheapest near-best, the next efficient arm below it is given instead.
    """
    share = f"at least {claims.NEAR_BEST_SHARE:.0%} of the best arm's effect"
    if near != best:
        intro = f"Cheapest arm with {share}: **{arm_name(near)}**"
        lower = near
    else:
        table = ce[0].set_index("arm") if ce is not None else None
        ref = table.loc[best, "reference"] if table is not None and best in table.index else ""
        if not ref or ref == base:
            return f"No cheaper arm achieves {share}."
        intro = f"No cheaper arm achieves {share}; the next efficient arm below it is **{arm_name(ref)}**"
        lower = ref
    e = effects[(effects.outcome == HEADLINE) & (effects.arm == lower)].iloc[0]
    step = incremental(runs, base, lower, best)
    ci = claims.fmt_interval(HEADLINE, e.ci_low, e.ci_high, int(e.pairs))
    return (
        f"{intro}: {claims.fmt_diff(HEADLINE, e['diff'])} ({ci}), "
        f"at {costs[lower]:,.0f} staff-days. Going on to {arm_name(best)} costs {step['d_cost']:,.0f} staff-days "
        f"more for {step['d_effect']:.1f} more bought seats prevented per round: "
        f"{claims.fmt_icer(step['icer'])} staff-days per extra seat "
        f"({claims.fmt_icer_interval(step['low'], step['high'], pairs=int(step['pairs']))})."
    )


def incremental(runs: pd.DataFrame, base: str | None, a: str, b: str, n_boot: int = 2000) -> dict[str, float]:
    """Extra cost, extra seats prevented and ICER of ``b`` over ``a`` with a paired bootstrap interval."""
    effect, cost = per_pair(runs, HEADLINE, base or a)
    boot_e, boot_c = bootstrap_means(effect[[a, b]], cost[[a, b]], n_boot)
    d_cost = float(cost[b].mean() - cost[a].mean())
    d_effect = float(effect[b].mean() - effect[a].mean())
    low, high = icer_interval(boot_c[:, 1] - boot_c[:, 0], boot_e[:, 1] - boot_e[:, 0])
    if len(effect) < MIN_BOOTSTRAP_PAIRS:  # too few seeds to resample: no interval
        low = high = float("nan")
    icer = d_cost / d_effect if d_effect > 0 else float("inf")
    return {"d_cost": d_cost, "d_effect": d_effect, "icer": icer, "low": low, "high": high, "pairs": len(effect)}


def residual_sentence(runs: pd.DataFrame, base: str | None, arm: str | None) -> str:
    """The headline outcome left under ``arm`` (or the no-intervention level when there is no best arm)."""
    means = arm_means(runs, [HEADLINE]).set_index("arm")
    o = outcome(HEADLINE)
    b = means.loc[base] if base in means.index else None
    without = f"{claims.fmt_level(HEADLINE, b['mean'])} with no intervention" if b is not None else ""
    if arm is None:
        return f"{o.label}: {without}." if without else ""
    r = means.loc[arm]
    level = claims.fmt_level(HEADLINE, r["mean"])
    what = o.residual.format(level=level) if o.residual else f"{o.label.lower()} {level}"
    ci = (
        f"95% CI {claims.fmt_level(HEADLINE, r.ci_low)} to {claims.fmt_level(HEADLINE, r.ci_high)}"
        if np.isfinite([r.ci_low, r.ci_high]).all()
        else claims.no_interval(int(r.n))
    )
    return f"What is left: under {arm_name(arm)}, {what} ({ci}), against {without}."


def harms_sentence(effects: pd.DataFrame, arms: list[str]) -> str:
    """Each harm under the named arms: the paired change against no intervention with its CI."""
    parts = []
    for arm in arms:
        bits = []
        for key in HARMS:
            rows = effects[(effects.outcome == key) & (effects.arm == arm)]
            if rows.empty:
                continue
            r = rows.iloc[0]
            digits = 2 if outcome(key).kind == "merit" else 1
            s = outcome(key).scale
            bits.append(
                f"{s * r['diff']:+.{digits}f} {outcome(key).label.lower()} "
                f"({claims.fmt_range(r.ci_low, r.ci_high, f'+.{digits}f', s, n=int(r.pairs))})"
            )
        if bits:
            parts.append(f"under {arm_name(arm)}, " + "; ".join(bits))
    if not parts:
        return ""
    return "Harms against no intervention, per election round: " + ". ".join(parts) + "."


def headline_table(
    runs: pd.DataFrame, effects: pd.DataFrame, ce: tuple[pd.DataFrame, pd.DataFrame] | None, base: str | None
) -> pd.DataFrame:
    """One row per arm: headline effect and CI, Holm p, seats, cost, frontier status, ICER, harms, level left."""
    o = outcome(HEADLINE)
    head = effects[effects.outcome == HEADLINE].set_index("arm")
    means = arm_means(runs, [HEADLINE]).set_index("arm")
    order = arm_order(runs, effects)
    rows = []
    ce_t = ce[0].set_index("arm") if ce is not None else None
    for arm in order:
        row: dict[str, Any] = {"arm": arm_name(arm)}
        if arm in head.index:
            e = head.loc[arm]
            row[f"effect ({'points' if o.kind == 'share' else o.diff_unit})"] = round(o.scale * e["diff"], 2)
            row["95% CI"] = claims.fmt_range(e.ci_low, e.ci_high, scale=o.scale, prefix="", n=int(e.pairs))
            row["p (Holm)"] = "<0.001" if e.p_holm < 0.001 else f"{e.p_holm:.3f}"
        else:
            row[f"effect ({'points' if o.kind == 'share' else o.diff_unit})"] = 0.0
            row["95% CI"], row["p (Holm)"] = "(reference)", ""
        if ce_t is not None and arm in ce_t.index:
            c = ce_t.loc[arm]
            row["seats prevented"] = round(float(c.effect), 2)
            row["cost (staff-days)"] = round(float(c.cost), 0)
            pairs = int(c.pairs)
            row["status"] = c.status if pairs >= 2 else f"{c.status} (one seed)"  # one seed's frontier: no finding
            row["ICER (staff-days per seat)"] = (
                f"{claims.fmt_icer(c.icer)} "
                f"({claims.fmt_icer_interval(c.icer_low, c.icer_high, prefix='', pairs=pairs)})"
                if c.reference
                else ""
            )
        for key in HARMS:
            h = effects[(effects.outcome == key) & (effects.arm == arm)]
            value = round(float(h["diff"].iloc[0]), 2) if len(h) else 0.0
            row[f"{outcome(key).label.lower()} (change)"] = value + 0.0  # no "-0"
        row[f"left: {o.label.lower()} ({o.unit})"] = round(o.scale * float(means.loc[arm, "mean"]), 1)
        rows.append(row)
    return pd.DataFrame(rows)


def uncertainty_links(sections: list[Section], sweep_dir: Path) -> dict[str, str]:
    """Where parameter uncertainty is treated.

    This report's sections, else sibling sweeps' reports, else the command that makes them (no link).
    """
    links = {}
    for name in ("sensitivity", "calibration"):
        if any(s.anchor == name for s in sections):
            links[f"the {name} section"] = f"#{name}"
            continue
        found = sorted((sweep_dir.parent.parent / name).glob("*/report/report.html"))
        if found:
            links[f"the {name} report"] = str(
                Path("..", "..", "..", *found[0].relative_to(sweep_dir.parent.parent).parts)
            )
        else:
            links[f"the {name} experiment (`experiment={name}`)"] = ""
    return links


# ------------------------------------------------------------------------------------ sections
def comparison_section(
    runs: pd.DataFrame,
    effects: pd.DataFrame | None,
    base: str | None,
    order: list[str],
    colours: dict[str, str],
    outcomes: list[str],
    out: Path,
) -> Section:
    """Each arm's outcomes, and the paired differences from no intervention."""
    sec = Section("comparison", "Comparison of arms")
    shown = order[:MAX_ARMS_SHOWN]
    cut = (
        f" The {len(shown)} arms with the most favourable effect of {len(order)} are shown; the CSV has all."
        if len(order) > len(shown)
        else ""
    )
    means = arm_means(runs, outcomes)
    _csv(out / "arm_means.csv", means)
    sec.figures.append(
        _save(
            arm_means_plot(means[means.arm.isin(shown)], colours, shown),
            out,
            "arm_means",
            claims.means_caption(int(means.n.min())) + cut,
            "arm_means.csv",
        )
    )
    if effects is None:
        return sec
    _csv(out / "effects_vs_baseline.csv", effects)
    sec.figures.append(
        _save(
            forest_plot(effects[effects.arm.isin(shown)], colours, [a for a in shown if a != base]),
            out,
            "effects_forest",
            claims.forest_caption(int(effects.pairs.max())) + cut,
            "effects_vs_baseline.csv",
        )
    )
    sec.tables.append(
        (
            "Effects against no intervention",
            effects_display(effects),
            "effects_vs_baseline.csv",
            claims.effects_table_caption(int(effects.pairs.max())),
        )
    )
    return sec


def effects_display(effects: pd.DataFrame) -> pd.DataFrame:
    """The effects table in display units, for the HTML."""
    t = effects.copy()
    scale = t.outcome.map(lambda k: outcome(k).scale)
    for c in ("baseline_mean", "diff", "ci_low", "ci_high"):
        t[c] = (t[c] * scale).round(2)
    t["unit"] = t.outcome.map(lambda k: outcome(k).diff_unit)
    t["arm"] = t.arm.map(arm_name)
    t["outcome"] = t.outcome.map(lambda k: outcome(k).label)
    return t[["outcome", "arm", "pairs", "diff", "ci_low", "ci_high", "unit", "p_value", "p_holm", "distinguishable"]]


def cost_section(
    ce: tuple[pd.DataFrame, pd.DataFrame] | str | None, colours: dict[str, str], out: Path
) -> Section | None:
    """Cost-effectiveness plane, frontier, ICERs and acceptability curves (or why there are none)."""
    if ce is None:
        return None
    sec = Section("cost-effectiveness", "Cost-effectiveness")
    if isinstance(ce, str):
        sec.lines.append(ce)
        return sec
    table, curves = ce
    pairs, run = int(table.pairs.iloc[0]), int(table.pairs_run.iloc[0])
    if pairs < run:
        sec.lines.append(
            f"Computed on the {pairs} seeds run under every arm, of {run} seeds run under any arm: a comparison "
            "seed by seed needs every arm's run on the seed."
        )
    _csv(out / "cost_effectiveness.csv", table)
    sec.lines.append(claims.frontier_sentence(table))
    no_curves = claims.acceptability_sentence(pairs)
    sec.figures.append(
        _save(
            cost_effectiveness_plot(table, colours),
            out,
            "cost_effectiveness",
            "Bought seats prevented per election round against extra cost, no intervention at the origin. The line "
            "joins the efficient arms; an arm is dominated when another is cheaper and at least as effective, and "
            "extendedly dominated when a mix of two efficient arms would be (Drummond et al. 2015).",
            "cost_effectiveness.csv",
        )
    )
    if no_curves:
        sec.lines.append(no_curves)
    else:
        _csv(out / "acceptability.csv", curves)
        sec.figures.append(
            _save(
                acceptability_plot(curves, colours, table),
                out,
                "acceptability",
                "Cost-effectiveness acceptability curves (Fenwick et al. 2001): for each value one places on a bought "
                "seat prevented, the share of 2,000 paired bootstrap resamples of the seeds in which each arm has the "
                "highest net benefit (value x seats prevented - cost).",
                "acceptability.csv",
            )
        )
    t = table.copy()
    t["arm"] = t.arm.map(arm_name)
    sec.tables.append(
        (
            "Cost-effectiveness table",
            t.round(2),
            "cost_effectiveness.csv",
            claims.cost_table_caption(pairs),
        )
    )
    return sec


def time_section(ts: pd.DataFrame, order: list[str], colours: dict[str, str], base: str | None, out: Path) -> Section:
    """Daily series, one small panel per arm against no intervention."""
    sec = Section("time-course", "Time course")
    congress = int(ts.loc[ts.days_to_congress == 0, "day"].iloc[0]) if (ts.days_to_congress == 0).any() else 0
    arms = order[:9]
    daily = ts[ts.arm.isin(arms)].groupby(["arm", "day"])[[c for c, _, _ in TIME_SERIES]].mean().reset_index()
    _csv(out / "time_course.csv", daily)
    keys = [k for k in ("sample", "seed") if k in ts.columns]
    n = int(ts.drop_duplicates(["arm", *keys]).groupby("arm").size().min())
    for col, label, smooth in TIME_SERIES:
        sec.figures.append(
            _save(
                time_course(ts[ts.arm.isin(arms)], col, colours, arms, base, congress, n),
                out,
                f"time_{col}",
                claims.time_caption(label, n, smooth)
                + (f". The first {len(arms)} arms are shown." if len(order) > len(arms) else "."),
                "time_course.csv",
            )
        )
    return sec


def terms_section(runs: pd.DataFrame, base: str | None, colours: dict[str, str], out: Path) -> Section | None:
    """Term by term over several elections: figure, CSV and whether an effect outlives its term."""
    if base is None or n_terms(runs) <= 1:
        return None
    effects = term_effects(runs, base)
    _csv(out / "terms.csv", effects)
    names = {a: arm_name(a) for a in effects.arm.unique()}
    sec = Section("terms", "Term by term")
    sec.lines += outlives_sentences(effects, runs, names)
    sec.figures.append(
        _save(
            terms_plot(effects, colours, names),
            out,
            "terms",
            "Each arm's mean share of seats vote buying changed, and patronage rents (posts sold by seated vote "
            "buyers), in each election of the horizon.",
            "terms.csv",
        )
    )
    return sec


def factorial_section(runs: pd.DataFrame, out: Path) -> Section | None:
    """Main and interaction effects of a two-level factorial, tested over seeds, with FDR."""
    factors = factorial_factors(runs)
    if not factors:
        return None
    fx = factorial_effects(runs, HEADLINE, factors)
    _csv(out / "factorial_effects.csv", fx)
    sec = Section("interactions", "Interactions")
    sec.lines.append(claims.interaction_sentence(fx, HEADLINE))
    sec.figures.append(
        _save(
            interaction_heatmap(fx, factors, HEADLINE),
            out,
            "interactions",
            claims.factorial_caption(int(fx.replicates.min())),
            "factorial_effects.csv",
        )
    )
    return sec


def dose_section(runs: pd.DataFrame, out: Path) -> Section | None:
    """Outcome against the intensity of one swept parameter; diminishing returns only where shown."""
    key = dose_key(runs)
    if not key:
        return None
    keys = [o for o in (HEADLINE, *HARMS, "cost_total") if o in runs]
    dr = dose_response(runs, keys)
    _csv(out / "dose_response.csv", dr)
    sec = Section("dose-response", "Dose-response")
    diminish = {}
    for k in keys[:-1] if "cost_total" in keys else keys:
        m = marginal_effects(runs, k)
        _csv(out / f"marginal_{k}.csv", m)
        diminish[k] = diminishing_from(m, outcome(k).better)
        if k == HEADLINE:
            sec.lines.append(claims.diminishing_sentence(m, k, key))
    sec.figures.append(
        _save(
            dose_response_plot(dr, key, diminish),
            out,
            "dose_response",
            claims.dose_caption(int(dr.n.min())),
            "dose_response.csv",
        )
    )
    return sec


def sensitivity_section(runs: pd.DataFrame, meta: dict[str, Any], colours: dict[str, str], out: Path) -> Section | None:
    """Sensitivity indices and how often each arm is best across sampled parameters."""
    if "sample" not in runs.columns or not (runs["sample"] >= 0).any() or _posterior_path(meta):
        return None
    params = sensitivity_parameters(
        runs,
        list(meta.get("config", {}).get("sensitivity", {}).get("parameters", {}))
        or [c[3:] for c in runs.columns if c.startswith("in.")],
    )
    if not params or runs["sample"].nunique() < MIN_SENSITIVITY_SAMPLES:
        return None
    idx = sensitivity_indices(runs, HEADLINE, params)
    wins = policy_wins(runs, HEADLINE)
    _csv(out / "sensitivity_indices.csv", idx)
    _csv(out / "policy_wins.csv", wins)
    sec = Section("sensitivity", "Sensitivity")
    sec.lines.append(claims.wins_sentence(wins))
    sec.figures.append(
        _save(
            sensitivity_plot(idx, wins, colours, HEADLINE),
            out,
            "sensitivity",
            "Left: how much of the variation in the headline outcome each uncertain parameter explains, per arm. "
            "Right: how often each arm is best across the samples (ties shared equally).",
            "sensitivity_indices.csv",
        )
    )
    return sec


def _posterior_path(meta: dict[str, Any]) -> str:
    """The posterior file a sweep drew its parameters from ('' if none)."""
    return str(meta.get("config", {}).get("sensitivity", {}).get("posterior", "") or "")


def posterior_report_section(runs: pd.DataFrame, meta: dict[str, Any], base: str | None, out: Path) -> Section | None:
    """A sweep over posterior draws: effects with parameter uncertainty, probability best, ranks."""
    if not _posterior_path(meta) or base is None:
        return None
    from sim.analysis.posterior import posterior_section

    tables, lines = posterior_section(runs, baseline=base)
    sec = Section("parameter-uncertainty", "Under parameter uncertainty (posterior draws)")
    sec.lines += lines
    for title, table, caption in tables:
        csv = f"posterior_{title.split()[0].lower()}.csv"
        _csv(out / csv, table)
        sec.tables.append((title, table, csv, caption))
    return sec


def calibration_section(runs: pd.DataFrame, out: Path) -> Section:
    """The calibration table (against FACTS.md) and the pattern-oriented validation."""
    from sim.analysis.calibration import calibration_table
    from sim.analysis.patterns import run_patterns
    from sim.analysis.plots import spillover_plot, threshold_plot

    table = calibration_table(runs)
    cols = ["target", "observed", "simulated_mean", "ci_low", "ci_high", "tolerance", "within"]
    _csv(out / "calibration.csv", table[cols])
    patterns, grid, spill = run_patterns(list(range(8)))
    _csv(out / "patterns.csv", patterns)
    _csv(out / "threshold_grid.csv", grid)
    _csv(out / "spillover.csv", spill)
    sec = Section("calibration", "Calibration and validation")
    sec.lines.append(
        f"Calibration: {int(table.within.sum())} of {len(table)} targets within tolerance; "
        f"{int(patterns.holds.sum())} of {len(patterns)} validation patterns reproduced."
    )
    sec.tables += [
        (
            "Calibration against the source report",
            table,
            "calibration.csv",
            "Observed figure (FACTS.md) against the simulated mean over replicates with its 95% CI.",
        ),
        (
            "Pattern-oriented validation",
            patterns,
            "patterns.csv",
            "Qualitative patterns from the record; see docs/VALIDATION.md.",
        ),
    ]
    sec.figures += [
        _save(
            threshold_plot(grid),
            out,
            "threshold",
            "Pattern: seats held by candidates who paid brokers, no intervention, against broker density and "
            "sanction (county scale, "
            "8 seeds per point).",
            "threshold_grid.csv",
        ),
        _save(
            spillover_plot(spill),
            out,
            "spillover",
            "Pattern: change in the share of delegates bribed when two inspection teams work (city scale, same "
            "seeds), in townships they visited and in those they never visited.",
            "spillover.csv",
        ),
    ]
    return sec


def township_section(sweep_dir: Path, runs: pd.DataFrame, base: str | None, out: Path) -> Section | None:
    """One township up close, re-run from the stored configuration."""
    net = township_figure(sweep_dir, runs, base)
    if net is None:
        return None
    sec = Section("township", "One township up close")
    sec.figures.append(
        _save(
            net,
            out,
            "township",
            "Delegates (circles, by state), brokers (blue squares) and candidates (triangles: black paid brokers, "
            "green did not) of the township with most bribes in one run of the baseline arm.",
            "",
        )
    )
    return sec


def township_figure(sweep_dir: Path, runs: pd.DataFrame, base: str | None) -> Figure | None:
    """Re-run one run of the sweep (exactly, from its stored configuration) and draw a township."""
    from sim.simulate import simulate

    arm = base or runs.arm.iloc[0]
    first = runs[runs.arm == arm].iloc[0]
    folders = sorted((sweep_dir / "runs").glob("*/*/inputs.json"))
    for path in folders:
        meta = json.loads(path.read_text())
        if meta["keys"]["arm"] == arm and meta["keys"]["seed"] == first.seed and meta.get("config"):
            try:
                model = simulate(meta["config"], keep_model=True).model
            except ConfigError as exc:  # a sweep made by another version of the code
                log.warning("township figure skipped: the stored run no longer fits this code (%s)", exc)
                return None
            assert model is not None
            bribed = np.bincount(model.world.township[model.del_ever_bought], minlength=model.world.n_townships)
            return township_network(model, int(bribed.argmax()))
    return None


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
    return [
        f"Scenario: {runs['scenario'].iloc[0]}; base seed {meta.get('base_seed', '?')}; "
        f"seeds shared across arms (common random numbers).",
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
