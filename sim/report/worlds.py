"""The report of a sweep whose arms ran on different worlds (``experiment=provinces_own_world``).

Each package is set against no intervention on its own world, seed by seed; packages on different
worlds are compared by Welch's unpaired test, never paired (:mod:`sim.stats.worlds`).  Shares are
of seats and costs and harms are per 100 townships, so that worlds of different sizes compare.
The first screen says which package prevents the most bought seats, at what cost per 100
townships, and how sure that is; its table is one row per arm with its world.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sim.report.first_screen import harms_sentence
from sim.report.html import Section, _csv, _save
from sim.report.plain import five_sentences, key_table
from sim.report.sentences import (
    NEAR_BEST_SHARE,
    Best,
    best_arm,
    coverage_sentence,
    distinguishable_sentence,
    fmt_diff,
    fmt_interval,
    fmt_level,
    fmt_range,
    near_best_arm,
)
from sim.report.style import arm_name, count, place_labels
from sim.stats.intervals import mean_ci
from sim.stats.outcomes import HARMS, HEADLINE, outcome
from sim.stats.paired import arm_means
from sim.stats.worlds import arm_worlds, compare_effects, per_100_townships, references

#: Said wherever the report compares arms across worlds.
PAIRING = (
    "Arms on the same world share common random numbers and are compared seed by seed; different worlds share "
    "none (the same seed draws another province when the sizes differ), so packages on different worlds are "
    "compared by Welch's unpaired t test, never paired. Shares are of seats, and costs and seats per 100 townships, "
    "so that worlds of different sizes compare."
)


#: Why the cost-effectiveness section has no frontier when the arms ran on different worlds.
NO_FRONTIER = (
    "Cost-effectiveness (frontier, ICERs, acceptability curves) is not computed: its comparisons are seed by seed, "
    "and these arms ran on different worlds, which share no common random numbers. Each package's cost per 100 "
    "townships and bought seats prevented per 100 townships are in the table of the answer and in the figure of "
    "the section on worlds."
)


def world_names(runs: pd.DataFrame) -> dict[int, str]:
    """Each world in words: its size and the scenarios that draw it."""
    worlds = arm_worlds(runs)
    names = {}
    for world in sorted(set(worlds.values())):
        sub = runs[runs.arm.isin([a for a, w in worlds.items() if w == world])]
        size = f"{int(sub.townships.iloc[0]):,} townships"
        if "in.world.n_counties" in sub:
            counties = int(sub["in.world.n_counties"].iloc[0])
            size += f" in {counties:,} count{'y' if counties == 1 else 'ies'}"
        names[world] = f"{size} (scenario {', '.join(dict.fromkeys(str(s) for s in sub['scenario']))})"
    return names


def arm_world_names(runs: pd.DataFrame) -> dict[str, str]:
    """Each arm's world in words: its scenario and size."""
    first = runs.groupby("arm", sort=False).first()
    return {str(a): f"{r.scenario}: {int(r.townships):,} townships" for a, r in first.iterrows()}


def packages(effects: pd.DataFrame) -> pd.DataFrame:
    """The headline rows of the arms that have an effect (every arm but the worlds' references)."""
    return effects[effects.outcome == HEADLINE]


def find_best_across_worlds(runs: pd.DataFrame, effects: pd.DataFrame) -> Best | None:
    """The package with the largest effect, tested against every other package (paired or Welch, Holm)."""
    head = packages(effects)
    candidate = best_arm(effects, None, HEADLINE)
    if candidate is None:
        return None
    others = [a for a in head.arm if a != candidate.arm]
    return best_arm(effects, compare_effects(runs, HEADLINE, candidate.arm, others), HEADLINE)


def best_world_sentence(runs: pd.DataFrame, best: Best | None) -> str:
    """The largest effect, called the best only when separated from every other package."""
    if best is None:
        return "No package is distinguishable from no intervention on its own world, so none is named best."
    e, per_100 = best.effect, per_100_townships(runs, HEADLINE)
    cost = runs.loc[runs.arm == best.arm, "cost_per_100_townships"].mean()
    what = (
        f"{fmt_diff(HEADLINE, e['diff'])} on {outcome(HEADLINE).label.lower()} "
        f"({fmt_interval(HEADLINE, e.ci_low, e.ci_high, int(e.pairs))}) against no intervention on its own world, "
        f"{-e['diff'] * per_100[best.arm]:.1f} bought seats prevented per 100 townships, at {cost:,.0f} staff-days "
        "per 100 townships"
    )
    if best.tied:
        return f"**{', '.join(arm_name(a) for a in [best.arm, *best.tied])}** tie for the largest effect: {what}."
    text = f"Largest effect: **{arm_name(best.arm)}**, {what}."
    how = "paired on a shared world, Welch's unpaired test across worlds, Holm-adjusted"
    if best.indistinct:
        names = ", ".join(arm_name(a) for a in best.indistinct)
        return text + f" Not distinguishable from it ({how}): {names}, so it is not clearly the best."
    return text + f" It is distinguishable from every other package ({how}): the best of this sweep."


def near_best_world_sentence(runs: pd.DataFrame, effects: pd.DataFrame, best: Best | None) -> str:
    """The package cheapest per 100 townships among those with most of the best's effect."""
    costs = runs.groupby("arm")["cost_per_100_townships"].mean()
    near = near_best_arm(effects, costs, best, HEADLINE)
    if best is None or near is None:
        return ""
    share = f"at least {NEAR_BEST_SHARE:.0%} of the largest effect"
    if near == best.arm:
        return f"No package cheaper per 100 townships achieves {share}."
    e = packages(effects).set_index("arm").loc[near]
    return (
        f"Cheapest per 100 townships with {share}: **{arm_name(near)}**, {fmt_diff(HEADLINE, e['diff'])} "
        f"({fmt_interval(HEADLINE, e.ci_low, e.ci_high, int(e.pairs))}) at {costs[near]:,.0f} staff-days per 100 "
        f"townships, against {costs[best.arm]:,.0f} for {arm_name(best.arm)}."
    )


def residual_world_sentence(runs: pd.DataFrame, arm: str | None) -> str:
    """The headline outcome left under ``arm``, against no intervention on the same world."""
    if arm is None:
        return ""
    ref = references(runs).get(arm_worlds(runs)[arm])
    means = arm_means(runs, [HEADLINE]).set_index("arm")
    r, b = means.loc[arm], means.loc[ref]
    ci = fmt_range(r.ci_low, r.ci_high, ".1f", 100.0, n=int(r.n)) + ("%" if np.isfinite(r.ci_low) else "")
    return (
        f"What is left: under {arm_name(arm)}, {outcome(HEADLINE).label.lower()} {fmt_level(HEADLINE, r['mean'])} "
        f"({ci}), against {fmt_level(HEADLINE, b['mean'])} with no intervention on the same world."
    )


def worlds_first_screen(
    runs: pd.DataFrame, effects: pd.DataFrame, meta: dict, links: dict[str, str], sections: list[Section]
) -> list[str]:
    """The answer for a sweep over several worlds: which package, at what cost per 100 townships, how sure."""
    worlds, names = arm_worlds(runs), world_names(runs)
    n = runs.groupby("arm").size()
    listing = "; ".join(f"{names[w]}, {count(sum(1 for a in worlds if worlds[a] == w), 'arm')}" for w in sorted(names))
    reps = count(int(n.max()), "replicate") if n.min() == n.max() else f"{n.min()} to {n.max()} replicates"
    lines = [
        f"Sweep **{meta.get('experiment', '?')}**: {count(len(n), 'arm')} on {count(len(names), 'world')} "
        f"({listing}), {reps} per arm ({count(len(runs), 'run')}).",
        PAIRING,
    ]
    best = find_best_across_worlds(runs, effects)
    lines.append(best_world_sentence(runs, best))
    lines.append(near_best_world_sentence(runs, effects, best))
    lines.append(residual_world_sentence(runs, best.arm if best else None))
    lines.append(harms_sentence(effects, [best.arm] if best else []))
    lines.append(distinguishable_sentence(effects, HEADLINE) or "")
    lines += [line for sec in sections if sec.anchor not in ("cost-effectiveness", "worlds") for line in sec.lines]
    lines.append(coverage_sentence(runs, links))
    return [x for x in lines if x]


def worlds_table(runs: pd.DataFrame, effects: pd.DataFrame, order: list[str]) -> pd.DataFrame:
    """One row per arm with its world: effect against its world's reference, per 100 townships, harms, cost."""
    o, names = outcome(HEADLINE), arm_world_names(runs)
    head = packages(effects).set_index("arm")
    means = arm_means(runs, [HEADLINE, "cost_per_100_townships"]).set_index(["arm", "outcome"])
    per_100 = per_100_townships(runs, HEADLINE)
    rows = []
    for arm in order:
        row: dict = {"arm": arm_name(arm), "world": names[arm]}
        if arm in head.index:
            e = head.loc[arm]
            row["effect (points)"] = round(o.scale * e["diff"], 2)
            row["95% CI"] = fmt_range(e.ci_low, e.ci_high, scale=o.scale, prefix="", n=int(e.pairs))
            row["p (Holm)"] = "<0.001" if e.p_holm < 0.001 else f"{e.p_holm:.3f}"
            row["seats prevented per 100 townships"] = round(-e["diff"] * per_100[arm], 2)
        else:
            row.update(
                {
                    "effect (points)": 0.0,
                    "95% CI": "(reference)",
                    "p (Holm)": "",
                    "seats prevented per 100 townships": 0.0,
                }
            )
        cost = means.loc[(arm, "cost_per_100_townships")]
        row["cost per 100 townships (staff-days)"] = round(float(cost["mean"]))
        row["cost (staff-days)"] = round(float(runs.loc[runs.arm == arm, "cost_total"].mean()))
        for key in HARMS:
            h = effects[(effects.outcome == key) & (effects.arm == arm)]
            value = float(h["diff"].iloc[0]) if len(h) else 0.0
            per_size = outcome(key).kind == "count"  # a count grows with the world; merit is per seat
            scale, label = (per_100_townships(runs, key)[arm], " per 100 townships") if per_size else (1.0, "")
            row[f"{outcome(key).label.lower()}{label} (change)"] = round(value * scale, 2) + 0.0
        row[f"left: {o.label.lower()} ({o.unit})"] = round(o.scale * float(means.loc[(arm, HEADLINE), "mean"]), 1)
        rows.append(row)
    return pd.DataFrame(rows)


def worlds_section(runs: pd.DataFrame, effects: pd.DataFrame, colours: dict[str, str], out: Path) -> Section:
    """Which arms share a world, each package against the largest effect, and the per-100-townships plane."""
    sec = Section("worlds", "Packages on their own worlds")
    sec.lines.append(PAIRING)
    plane = plane_table(runs, effects)
    _csv(out / "worlds_plane.csv", plane)
    sec.figures.append(
        _save(
            worlds_plane(plane, colours, arm_worlds(runs), world_names(runs)),
            out,
            "worlds_plane",
            "Each package's bought seats prevented per 100 townships against no intervention on its own world "
            "(mean and paired 95% CI) and its cost per 100 townships (mean and 95% CI over seeds). Packages on "
            "different worlds are not paired: how far apart two of them are is tested by Welch's unpaired t test "
            "(the table below).",
            "worlds_plane.csv",
        )
    )
    best = find_best_across_worlds(runs, effects)
    top = best.arm if best else (packages(effects).sort_values("diff").arm.iloc[0] if len(packages(effects)) else None)
    if top is not None:
        others = [a for a in packages(effects).arm if a != top]
        vs = compare_effects(runs, HEADLINE, top, others)
        _csv(out / "worlds_versus_top.csv", vs)
        shown = vs.assign(arm=vs.arm.map(arm_name))
        for c in ("diff", "ci_low", "ci_high"):
            shown[c] = (shown[c] * outcome(HEADLINE).scale).round(2)
        sec.tables.append(
            (
                f"Each package's effect minus that of {arm_name(top)} (percentage points)",
                shown,
                "worlds_versus_top.csv",
                "Positive: fewer seats prevented than it. Paired over the seeds when both ran on one world, Welch's "
                "unpaired t test otherwise; Holm-adjusted over the packages.",
            )
        )
    return sec


def plane_table(runs: pd.DataFrame, effects: pd.DataFrame) -> pd.DataFrame:
    """Seats prevented and cost per 100 townships of each package, with 95% intervals."""
    per_100 = per_100_townships(runs, HEADLINE)
    rows = []
    for _, e in packages(effects).iterrows():
        k = per_100[e.arm]
        cost, c_lo, c_hi = mean_ci(runs.loc[runs.arm == e.arm, "cost_per_100_townships"].to_numpy(), bounds=(0, None))
        rows.append(
            {
                "arm": e.arm,
                "seats_prevented_per_100": -e["diff"] * k,
                "low": -e.ci_high * k,
                "high": -e.ci_low * k,
                "cost_per_100": cost,
                "cost_low": c_lo,
                "cost_high": c_hi,
            }
        )
    return pd.DataFrame(rows)


def worlds_plane(plane: pd.DataFrame, colours: dict[str, str], worlds: dict[str, int], names: dict[int, str]) -> Figure:
    """Seats prevented per 100 townships against cost per 100 townships, one marker per package.

    The marker's shape says the package's world; a missing bar is a missing interval (one seed, or
    a value the same on too few seeds).
    """
    from matplotlib.lines import Line2D

    shapes = "os^Dvp<>"
    fig, ax = plt.subplots(figsize=(9.5, 6.2))
    for r in plane.itertuples():
        bars = {}
        for axis, mean, low, high in (
            ("y", r.seats_prevented_per_100, r.low, r.high),
            ("x", r.cost_per_100, r.cost_low, r.cost_high),
        ):
            if np.isfinite([low, high]).all():
                bars[f"{axis}err"] = [[mean - low], [high - mean]]
        colour = colours.get(r.arm, "grey")
        marker = shapes[worlds[r.arm] % len(shapes)]
        ax.errorbar(r.cost_per_100, r.seats_prevented_per_100, fmt=marker, color=colour, ms=8, capsize=3, **bars)
    ax.axhline(0, color="grey", lw=1, ls="--")
    ax.margins(x=0.2, y=0.2)
    ax.set_xlim(left=0)
    ax.xaxis.set_major_locator(MaxNLocator(6))
    ax.set_xlabel("cost per 100 townships (staff-days per election round)   ← cheaper")
    ax.set_ylabel("bought seats prevented per 100 townships\n(against no intervention on the same world)   better ↑")
    ax.grid(alpha=0.3)
    points = list(zip(plane.cost_per_100, plane.seats_prevented_per_100, strict=True))
    place_labels(ax, points, [arm_name(a) for a in plane.arm], ["normal"] * len(plane))
    shown = sorted({worlds[a] for a in plane.arm})
    handles = [
        Line2D([], [], ls="", marker=shapes[w % len(shapes)], ms=8, mfc="#555555", mec="#555555", label=names[w])
        for w in shown
    ]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=1, frameon=False)
    ax.set_title("Each package on its own world, per 100 townships")
    fig.tight_layout()
    return fig


def worlds_plain_screen(runs: pd.DataFrame, effects: pd.DataFrame, order: list[str]) -> tuple[list[str], pd.DataFrame]:
    """The first screen of a sweep over several worlds in five plain sentences, and the table they quote.

    Costs are per 100 townships so that worlds of different sizes compare; the best package and the
    cheapest near-best one are :func:`find_best_across_worlds` and :func:`near_best_arm`'s.
    """
    costs = runs.groupby("arm")["cost_per_100_townships"].mean()
    best = find_best_across_worlds(runs, effects)
    near = near_best_arm(effects, costs, best, HEADLINE)
    named = [a for a in (best.arm if best else None, near) if a]
    table = key_table(runs, effects, order, HEADLINE, cost_column="cost_per_100_townships", named=named)
    base = references(runs).get(arm_worlds(runs)[best.arm]) if best is not None else None
    return five_sentences(runs, best, near, base, table, HEADLINE), table
