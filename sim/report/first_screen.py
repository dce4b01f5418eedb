"""The report's first screen: the answer in sentences, written from the numbers, and the headline table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sim.report.html import Section
from sim.report.sections import arm_order
from sim.report.sentences import (
    NEAR_BEST_SHARE,
    Best,
    best_arm,
    best_sentence,
    coverage_sentence,
    distinguishable_sentence,
    fmt_diff,
    fmt_icer,
    fmt_icer_interval,
    fmt_interval,
    fmt_level,
    fmt_range,
    near_best_arm,
    no_interval,
)
from sim.report.style import arm_name, count
from sim.stats.cea import MIN_BOOTSTRAP_PAIRS, bootstrap_means, icer_interval, per_pair
from sim.stats.dose import dose_key
from sim.stats.outcomes import HARMS, HEADLINE, outcome
from sim.stats.paired import arm_means, paired_effects


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
        lines.append(coverage_sentence(runs, links))
        return lines
    costs = runs.groupby("arm")["cost_total"].mean()
    best = find_best(runs, effects)
    lines.append(best_sentence(best, HEADLINE, float(costs.get(best.arm, 0.0)) if best else 0.0))
    near = near_best_arm(effects, costs, best, HEADLINE)
    if best is not None and near is not None:
        lines.append(near_best_sentence(runs, effects, base, best.arm, near, costs, ce))
    top = best.arm if best is not None else None
    lines.append(residual_sentence(runs, base, top))
    lines.append(harms_sentence(effects, [a for a in dict.fromkeys([top, near]) if a]))
    lines.append(distinguishable_sentence(effects, HEADLINE) or "")
    lines += [line for sec in sections if sec.anchor != "cost-effectiveness" for line in sec.lines]
    lines.append(coverage_sentence(runs, links))
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


def find_best(runs: pd.DataFrame, effects: pd.DataFrame) -> Best | None:
    """The best arm on the headline outcome, compared pair by pair with every other arm."""
    candidate = best_arm(effects, None, HEADLINE)  # best among arms that improve distinguishably
    if candidate is None:
        return None
    vs_best = paired_effects(runs, [HEADLINE], baseline=candidate.arm) if runs.arm.nunique() > 2 else None
    return best_arm(effects, vs_best, HEADLINE)


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
    share = f"at least {NEAR_BEST_SHARE:.0%} of the best arm's effect"
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
    ci = fmt_interval(HEADLINE, e.ci_low, e.ci_high, int(e.pairs))
    return (
        f"{intro}: {fmt_diff(HEADLINE, e['diff'])} ({ci}), "
        f"at {costs[lower]:,.0f} staff-days. Going on to {arm_name(best)} costs {step['d_cost']:,.0f} staff-days "
        f"more for {step['d_effect']:.1f} more bought seats prevented per round: "
        f"{fmt_icer(step['icer'])} staff-days per extra seat "
        f"({fmt_icer_interval(step['low'], step['high'], pairs=int(step['pairs']))})."
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
    without = f"{fmt_level(HEADLINE, b['mean'])} with no intervention" if b is not None else ""
    if arm is None:
        return f"{o.label}: {without}." if without else ""
    r = means.loc[arm]
    level = fmt_level(HEADLINE, r["mean"])
    what = o.residual.format(level=level) if o.residual else f"{o.label.lower()} {level}"
    ci = (
        f"95% CI {fmt_level(HEADLINE, r.ci_low)} to {fmt_level(HEADLINE, r.ci_high)}"
        if np.isfinite([r.ci_low, r.ci_high]).all()
        else no_interval(int(r.n))
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
                f"({fmt_range(r.ci_low, r.ci_high, f'+.{digits}f', s, n=int(r.pairs))})"
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
            row["95% CI"] = fmt_range(e.ci_low, e.ci_high, scale=o.scale, prefix="", n=int(e.pairs))
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
                f"{fmt_icer(c.icer)} ({fmt_icer_interval(c.icer_low, c.icer_high, prefix='', pairs=pairs)})"
                if c.reference
                else ""
            )
        for key in HARMS:
            h = effects[(effects.outcome == key) & (effects.arm == arm)]
            value = round(float(h["diff"].iloc[0]), 2) if len(h) else 0.0
            row[f"{outcome(key).label.lower()} (change)"] = value + 0.0  # no "-0"
        row[f"left: {o.label.lower()} ({o.unit})"] = round(o.scale * float(means.loc[arm, "mean"]), 1)
        rows.append(row)
    return with_cost_per_100_townships(pd.DataFrame(rows), runs, order)


def with_cost_per_100_townships(table: pd.DataFrame, runs: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """The table with each arm's mean cost per 100 townships beside its cost (worlds of any size compare)."""
    if "cost_per_100_townships" not in runs:  # a sweep made before the key existed
        return table
    per_100 = runs.groupby("arm")["cost_per_100_townships"].mean()
    at = table.columns.get_loc("cost (staff-days)") + 1 if "cost (staff-days)" in table else len(table.columns)
    table.insert(at, "cost per 100 townships (staff-days)", [round(float(per_100[a])) for a in order])
    return table


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
