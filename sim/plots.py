"""Figures of a sweep (matplotlib only; one arm keeps one colour in every figure)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.analysis import OUTCOMES, mean_ci

#: Okabe-Ito colour-blind-safe palette, then a few more distinguishable hues.
PALETTE = [
    "#000000",
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#882255",
    "#0072B2",
    "#D55E00",
    "#CC79A7",
    "#999999",
    "#F0E442",
    "#44AA99",
    "#117733",
]


def arm_name(arm: str) -> str:
    """Intervention names in words."""
    if arm == "none":
        return "No intervention"
    if arm == "all":
        return "All six"
    if arm == "as_deployed":
        return "As deployed"
    return " + ".join(part.replace("_", " ").capitalize() for part in arm.split("+"))


def arm_colours(arms: list[str]) -> dict[str, str]:
    """A fixed colour for each arm (in the order given, which the report keeps everywhere)."""
    return {arm: PALETTE[i % len(PALETTE)] if i < len(PALETTE) else plt.cm.tab20(i % 20) for i, arm in enumerate(arms)}


def forest_plot(effects: pd.DataFrame, colours: dict[str, str], order: list[str]) -> Figure:
    """Paired differences from baseline with bootstrap 95% CIs, one panel per outcome."""
    outcomes = [o for o in OUTCOMES if o in set(effects.outcome)]
    fig, axes = plt.subplots(1, len(outcomes), figsize=(3.6 * len(outcomes), 0.45 * len(order) + 1.8), sharey=True)
    axes = np.atleast_1d(axes)
    ypos = {arm: i for i, arm in enumerate(order)}
    for ax, key in zip(axes, outcomes, strict=True):
        sub = effects[effects.outcome == key]
        for _, row in sub.iterrows():
            y = ypos[row.arm]
            ax.errorbar(
                row["diff"],
                y,
                xerr=[[row["diff"] - row.ci_low], [row.ci_high - row["diff"]]],
                fmt="o",
                color=colours[row.arm],
                capsize=3,
                ms=6,
                mfc="white" if row.crosses_zero else colours[row.arm],
            )
        ax.axvline(0, color="grey", lw=1, ls="--")
        ax.set_title(OUTCOMES[key].replace(" (", "\n("), fontsize=9)
        ax.set_xlabel("difference from no intervention")
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(range(len(order)), [arm_name(a) for a in order])
    axes[0].invert_yaxis()
    n = int(effects.pairs.max()) if len(effects) else 0
    fig.suptitle(f"Effect of each arm, paired by seed ({n} replicates; open marker: 95% CI crosses zero)", fontsize=11)
    fig.tight_layout()
    return fig


def time_course(ts: pd.DataFrame, colours: dict[str, str], arms: list[str], congress_day: int) -> Figure:
    """Daily bribed share, tips and detections per arm: mean with a 95% band."""
    panels = [
        ("bribed_share", "Delegates holding a bribe (share)"),
        ("tips", "Tips filed per day"),
        ("detections", "Vote buyers caught (cumulative)"),
    ]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.4))
    for ax, (col, label) in zip(axes, panels, strict=True):
        for arm in arms:
            sub = ts[ts.arm == arm]
            if sub.empty:
                continue
            g = sub.groupby("day")[col]
            stats_ = np.array([mean_ci(v.to_numpy()) for _, v in g])
            days = np.array(sorted(sub.day.unique()))
            ax.plot(days, stats_[:, 0], color=colours[arm], lw=1.6, label=arm_name(arm))
            ax.fill_between(days, stats_[:, 1], stats_[:, 2], color=colours[arm], alpha=0.15, lw=0)
        ax.axvline(congress_day, color="grey", ls="--", lw=1)
        ax.text(congress_day, ax.get_ylim()[1], " congress day", va="top", fontsize=8, color="grey")
        ax.set_xlabel("day of the campaign")
        ax.set_ylabel(label)
        ax.grid(alpha=0.3)
    axes[-1].legend(fontsize=8, loc="center left", bbox_to_anchor=(1.02, 0.5), frameon=False)
    fig.tight_layout()
    return fig


def cost_effectiveness(table: pd.DataFrame, colours: dict[str, str]) -> Figure:
    """Capture-rate reduction against cost; Pareto-efficient arms marked and labelled.

    ``table`` has columns arm, cost, reduction, ci_low, ci_high, efficient.
    """
    fig, ax = plt.subplots(figsize=(8.5, 5.5))
    for _, row in table.iterrows():
        ax.errorbar(
            row.cost,
            row.reduction,
            yerr=[[row.reduction - row.ci_low], [row.ci_high - row.reduction]],
            fmt="o",
            color=colours[row.arm],
            capsize=3,
            ms=8 if row.efficient else 6,
            mec="black" if row.efficient else colours[row.arm],
        )
    front = table[table.efficient].sort_values("cost")
    ax.plot(front.cost, front.reduction, color="black", lw=1, ls=":", label="Pareto frontier")
    texts = []
    for _, row in table.iterrows():
        weight = "bold" if row.efficient else "normal"
        texts.append(
            ax.annotate(
                arm_name(row.arm),
                (row.cost, row.reduction),
                textcoords="offset points",
                xytext=(6, 4),
                fontsize=8,
                fontweight=weight,
            )
        )
    _spread_labels(texts, ax)
    ax.axhline(0, color="grey", lw=1, ls="--")
    ax.set_xlabel("cost of the interventions (staff-days per election round)")
    ax.set_ylabel("reduction in seats held by vote buyers\n(percentage points vs no intervention)")
    ax.set_title("Cost-effectiveness (bold: Pareto-efficient; bars: 95% bootstrap CI)")
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right", fontsize=8)
    fig.tight_layout()
    return fig


def _spread_labels(texts: list, ax: plt.Axes) -> None:
    """Nudge overlapping annotations apart vertically (a few passes suffice for a dozen labels)."""
    fig = ax.figure
    fig.canvas.draw()
    for _ in range(30):
        moved = False
        boxes = [t.get_window_extent() for t in texts]
        for i in range(len(texts)):
            for j in range(i + 1, len(texts)):
                if boxes[i].overlaps(boxes[j]):
                    x, y = texts[j].xyann
                    texts[j].xyann = (x, y - 10)
                    moved = True
        if not moved:
            break
        fig.canvas.draw()


def arm_means_plot(means: pd.DataFrame, colours: dict[str, str], order: list[str]) -> Figure:
    """Each arm's mean outcome with a 95% CI, one panel per outcome."""
    outcomes = [o for o in OUTCOMES if o in set(means.outcome)]
    fig, axes = plt.subplots(1, len(outcomes), figsize=(3.6 * len(outcomes), 0.45 * len(order) + 1.8), sharey=True)
    axes = np.atleast_1d(axes)
    for ax, key in zip(axes, outcomes, strict=True):
        sub = means[means.outcome == key].set_index("arm")
        for i, arm in enumerate(order):
            if arm not in sub.index:
                continue
            r = sub.loc[arm]
            ax.barh(i, r["mean"], color=colours[arm], alpha=0.8)
            ax.errorbar(
                r["mean"], i, xerr=[[r["mean"] - r.ci_low], [r.ci_high - r["mean"]]], color="black", capsize=3, lw=1
            )
        ax.set_title(OUTCOMES[key].replace(" (", "\n("), fontsize=9)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(range(len(order)), [arm_name(a) for a in order])
    axes[0].invert_yaxis()
    fig.suptitle("Outcomes by arm (mean and 95% CI over replicates)", fontsize=11)
    fig.tight_layout()
    return fig
