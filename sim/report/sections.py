"""The report's evidence sections: comparison, cost-effectiveness, time course, factorial, dose, sensitivity."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from sim.report.captions import (
    cost_table_caption,
    dose_caption,
    effects_table_caption,
    factorial_caption,
    forest_caption,
    means_caption,
    time_caption,
)
from sim.report.figures import (
    TIME_SERIES,
    acceptability_plot,
    arm_means_plot,
    cost_effectiveness_plot,
    dose_response_plot,
    forest_plot,
    interaction_heatmap,
    sensitivity_plot,
    time_course,
)
from sim.report.html import Section, _csv, _save
from sim.report.sentences import (
    acceptability_sentence,
    diminishing_sentence,
    frontier_sentence,
    interaction_sentence,
    wins_sentence,
)
from sim.report.style import arm_name
from sim.report.uncertainty import _posterior_path
from sim.stats.dose import diminishing_from, dose_key, dose_response, marginal_effects
from sim.stats.factorial import factorial_effects, factorial_factors
from sim.stats.outcomes import HARMS, HEADLINE, outcome
from sim.stats.paired import arm_means
from sim.stats.sensitivity import policy_wins, sensitivity_indices, sensitivity_parameters

#: Fewest uncertainty samples for which sensitivity indices are computed.
MIN_SENSITIVITY_SAMPLES = 32


#: Most arms shown in the per-arm figures (a factorial has 64; the best are shown).
MAX_ARMS_SHOWN = 16


def arm_order(runs: pd.DataFrame, effects: pd.DataFrame | None, key: str = HEADLINE) -> list[str]:
    """Baseline first, then arms by their effect on the ranking outcome ``key`` (most favourable first)."""
    arms = list(runs.arm.unique())
    base = [a for a in arms if (runs[runs.arm == a].interventions == "none").all()]
    if effects is not None and len(effects):
        head = effects[effects.outcome == key].sort_values("diff", ascending=outcome(key).better == "lower")
        return base + [a for a in head.arm if a not in base]
    return base + sorted(a for a in arms if a not in base)


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
            means_caption(int(means.n.min())) + cut,
            "arm_means.csv",
        )
    )
    if effects is None:
        return sec
    _csv(out / "effects_vs_baseline.csv", effects)
    sec.figures.append(
        _save(
            forest_plot(effects[effects.arm.isin(shown)], colours, [a for a in shown if a in set(effects.arm)]),
            out,
            "effects_forest",
            forest_caption(int(effects.pairs.max())) + cut,
            "effects_vs_baseline.csv",
        )
    )
    sec.tables.append(
        (
            "Effects against no intervention",
            effects_display(effects),
            "effects_vs_baseline.csv",
            effects_table_caption(int(effects.pairs.max())),
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
    sec.lines.append(frontier_sentence(table))
    no_curves = acceptability_sentence(pairs)
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
            cost_table_caption(pairs),
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
                time_caption(label, n, smooth)
                + (f". The first {len(arms)} arms are shown." if len(order) > len(arms) else "."),
                "time_course.csv",
            )
        )
    return sec


def factorial_section(runs: pd.DataFrame, out: Path, key: str = HEADLINE) -> Section | None:
    """Main and interaction effects of a two-level factorial on ``key``, tested over seeds, Holm within each family."""
    factors = factorial_factors(runs)
    if not factors:
        return None
    fx = factorial_effects(runs, key, factors)
    _csv(out / "factorial_effects.csv", fx)
    sec = Section("interactions", "Interactions")
    sec.lines.append(interaction_sentence(fx, key))
    sec.figures.append(
        _save(
            interaction_heatmap(fx, factors, key),
            out,
            "interactions",
            factorial_caption(int(fx.replicates.min())),
            "factorial_effects.csv",
        )
    )
    return sec


def dose_section(runs: pd.DataFrame, out: Path, headline: str = HEADLINE) -> Section | None:
    """Outcome against the intensity of one swept parameter; diminishing returns only where shown."""
    key = dose_key(runs)
    if not key:
        return None
    keys = [o for o in (headline, *HARMS, "cost_total") if o in runs]
    dr = dose_response(runs, keys)
    _csv(out / "dose_response.csv", dr)
    sec = Section("dose-response", "Dose-response")
    diminish = {}
    for k in keys[:-1] if "cost_total" in keys else keys:
        m = marginal_effects(runs, k)
        _csv(out / f"marginal_{k}.csv", m)
        diminish[k] = diminishing_from(m, outcome(k).better)
        if k == headline:
            sec.lines.append(diminishing_sentence(m, k, key))
    sec.figures.append(
        _save(
            dose_response_plot(dr, key, diminish),
            out,
            "dose_response",
            dose_caption(int(dr.n.min())),
            "dose_response.csv",
        )
    )
    return sec


def sensitivity_section(
    runs: pd.DataFrame, meta: dict[str, Any], colours: dict[str, str], out: Path, key: str = HEADLINE
) -> Section | None:
    """Sensitivity indices and how often each arm is best across sampled parameters, on ``key``."""
    if "sample" not in runs.columns or not (runs["sample"] >= 0).any() or _posterior_path(meta):
        return None
    params = sensitivity_parameters(
        runs,
        list(meta.get("config", {}).get("sensitivity", {}).get("parameters", {}))
        or [c[3:] for c in runs.columns if c.startswith("in.")],
    )
    if not params or runs["sample"].nunique() < MIN_SENSITIVITY_SAMPLES:
        return None
    idx = sensitivity_indices(runs, key, params)
    wins = policy_wins(runs, key)
    _csv(out / "sensitivity_indices.csv", idx)
    _csv(out / "policy_wins.csv", wins)
    sec = Section("sensitivity", "Sensitivity")
    sec.lines.append(wins_sentence(wins))
    sec.figures.append(
        _save(
            sensitivity_plot(idx, wins, colours, key),
            out,
            "sensitivity",
            "Left: how much of the variation in the headline outcome each uncertain parameter explains, per arm. "
            "Right: how often each arm is best across the samples (ties shared equally).",
            "sensitivity_indices.csv",
        )
    )
    return sec
