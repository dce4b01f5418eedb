"""Figures of a sweep (matplotlib only; one arm keeps one colour in every figure)."""

from __future__ import annotations

import itertools
import textwrap
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sim.stats.intervals import mean_ci
from sim.stats.outcomes import outcome

if TYPE_CHECKING:
    pass
from sim.report.style import (
    MAX_WIDTH_IN,
    NO_INTERVALS,
    PALETTE,
    arm_name,
    better_arrow,
    count,
    display,
    grid,
    panel_title,
    place_labels,
)


def forest_plot(effects: pd.DataFrame, colours: dict[str, str], order: list[str]) -> Figure:
    """Paired differences from no intervention with 95% t intervals, one panel per outcome.

    Shares are in percentage points; open markers: not distinguishable from no intervention after
    Holm's adjustment over the arms.
    """
    outcomes = list(dict.fromkeys(effects.outcome))  # in the order compared: the ranking outcome first
    height = 0.32 * len(order) + 1.2
    fig, axes = grid(len(outcomes), cols=3, panel=(3.2, height))
    ypos = {arm: i for i, arm in enumerate(order)}
    for k, (ax, key) in enumerate(zip(axes, outcomes, strict=True)):
        sub = effects[effects.outcome == key]
        for _, row in sub.iterrows():
            d, lo, hi = display(key, [row["diff"], row.ci_low, row.ci_high])
            ax.errorbar(
                d,
                ypos[row.arm],
                xerr=[[d - lo], [hi - d]],
                fmt="o",
                color=colours[row.arm],
                capsize=3,
                ms=6,
                mfc=colours[row.arm] if row.distinguishable else "white",
            )
        ax.axvline(0, color="grey", lw=1, ls="--")
        ax.set_title(panel_title(key, True), pad=14)
        better_arrow(ax, key)
        ax.xaxis.set_major_locator(MaxNLocator(4))
        ax.grid(axis="x", alpha=0.3)
        ax.set_ylim(len(order) - 0.5, -0.5)
        ax.set_yticks(range(len(order)), [arm_name(a) for a in order] if k % 3 == 0 else [])
    n = int(effects.pairs.max()) if len(effects) else 0
    spread = "95% CI" if n >= 2 else NO_INTERVALS
    markers = (
        "open marker: not distinguishable from no intervention after Holm's adjustment over the arms"
        if n >= 2
        else "open markers: one replicate makes nothing distinguishable"
    )
    fig.suptitle(f"Difference from no intervention, paired by seed ({count(n, 'seed')}; {spread})\n{markers}")
    fig.tight_layout()
    return fig


def arm_means_plot(means: pd.DataFrame, colours: dict[str, str], order: list[str]) -> Figure:
    """Each arm's mean outcome with a 95% CI, one panel per outcome (shares in per cent)."""
    outcomes = list(dict.fromkeys(means.outcome))
    fig, axes = grid(len(outcomes), cols=3, panel=(3.2, 0.32 * len(order) + 1.2))
    for k, (ax, key) in enumerate(zip(axes, outcomes, strict=True)):
        sub = means[means.outcome == key].set_index("arm")
        for i, arm in enumerate(order):
            if arm not in sub.index:
                continue
            m, lo, hi = display(key, sub.loc[arm, ["mean", "ci_low", "ci_high"]])
            ax.barh(i, m, color=colours[arm], alpha=0.8)
            ax.errorbar(m, i, xerr=[[m - lo], [hi - m]], color="black", capsize=3, lw=1)
        ax.set_title(panel_title(key, False), pad=14)
        better_arrow(ax, key)
        ax.xaxis.set_major_locator(MaxNLocator(4))
        ax.grid(axis="x", alpha=0.3)
        ax.set_ylim(len(order) - 0.5, -0.5)
        ax.set_yticks(range(len(order)), [arm_name(a) for a in order] if k % 3 == 0 else [])
    n = int(means.n.min()) if "n" in means and len(means) else 2
    fig.suptitle("Outcomes by arm (mean and 95% CI over seeds)" if n >= 2 else f"Outcomes by arm ({NO_INTERVALS})")
    fig.tight_layout()
    return fig


#: Daily series in the time-course figures: column, words, whether to smooth (noisy day-to-day counts).
TIME_SERIES = [
    ("bribed_share", "Delegates holding a bribe (%)", False),
    ("tips", "Tips filed per day (7-day mean)", True),
    ("detections", "Vote buyers caught (cumulative)", False),
]


def daily_band(sub: pd.DataFrame, col: str, smooth: bool, bounds: tuple[float | None, float | None]) -> pd.DataFrame:
    """Mean over replicates by day with a 95% t band within ``bounds``.

    A replicate's series is smoothed first (centred 7-day mean) when ``smooth``.
    """
    keys = [k for k in ("sample", "seed") if k in sub.columns]
    wide = sub.pivot_table(index="day", columns=keys, values=col).sort_index()
    if smooth:
        wide = wide.rolling(7, center=True, min_periods=1).mean()
    rows = [mean_ci(wide.loc[d].dropna().to_numpy(), bounds=bounds) for d in wide.index]
    return pd.DataFrame(rows, index=wide.index, columns=["mean", "low", "high"])


def time_course(
    ts: pd.DataFrame,
    col: str,
    colours: dict[str, str],
    arms: list[str],
    baseline: str | None,
    congress_day: int,
    n: int = 2,
) -> Figure:
    """One daily series, one small panel per arm against no intervention (grey), shared axes.

    Args:
        ts: The sweep's daily table.
        col: One of the TIME_SERIES columns.
        colours: Arm colours.
        arms: Arms to show (the baseline, if among them, is drawn in every panel instead).
        baseline: The no-intervention arm, or None.
        congress_day: Day of the vote (dashed line).
        n: Replicates per arm (one: no band, and the title says so).
    """
    label, smooth = next((lab, sm) for c, lab, sm in TIME_SERIES if c == col)
    scale = 100.0 if col == "bribed_share" else 1.0
    bounds = (0.0, 1.0) if col == "bribed_share" else (0.0, None)
    shown = [a for a in arms if a != baseline]
    fig, axes = grid(max(len(shown), 1), cols=4, panel=(2.4, 2.0))
    base = daily_band(ts[ts.arm == baseline], col, smooth, bounds) if baseline else None
    for ax, arm in zip(axes, shown, strict=False):
        if base is not None:
            ax.plot(base.index, scale * base["mean"], color="#888888", lw=1.3, label="no intervention")
            ax.fill_between(base.index, scale * base.low, scale * base.high, color="#888888", alpha=0.2, lw=0)
        band = daily_band(ts[ts.arm == arm], col, smooth, bounds)
        ax.plot(band.index, scale * band["mean"], color=colours[arm], lw=1.8)
        ax.fill_between(band.index, scale * band.low, scale * band.high, color=colours[arm], alpha=0.25, lw=0)
        ax.axvline(congress_day, color="grey", ls="--", lw=1)
        ax.set_title(textwrap.fill(arm_name(arm), 30))  # black: light hues are hard to read as text
        ax.xaxis.set_major_locator(MaxNLocator(4, integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(4))
        ax.grid(alpha=0.3)
    for ax in axes[1:]:
        ax.sharex(axes[0])
        ax.sharey(axes[0])
    axes[0].autoscale()
    fig.supxlabel("day of the campaign (dashed: congress day)", fontsize=10)
    spread = "mean and 95% band over seeds" if n >= 2 else "one run each (no band: one replicate)"
    fig.suptitle(f"{label}: each arm (colour) against no intervention (grey), {spread}")
    fig.tight_layout()
    return fig


def cost_effectiveness_plot(table: pd.DataFrame, colours: dict[str, str]) -> Figure:
    """Bought seats prevented against cost, the no-intervention arm at the origin, the frontier drawn.

    ``table`` is :func:`sim.stats.cea.cost_effectiveness`'s table. Filled markers: efficient on
    means; bold names and solid frontier segments: shown efficient (the step up to the arm is
    distinguishable, :func:`sim.stats.cea.frontier_steps`), dashed: not; open: extendedly dominated;
    grey: dominated.
    """
    fig, ax = plt.subplots(figsize=(9.5, 6.0))
    for _, r in table.iterrows():
        colour = colours.get(r.arm, "grey")
        face = colour if r.status == "efficient" else "white"
        edge = "#999999" if r.status == "dominated" else colour
        ax.errorbar(
            r.cost,
            r.effect,
            yerr=[[r.effect - r.effect_low], [r.effect_high - r.effect]],
            fmt="o",
            color=edge,
            mfc=face,
            mec=edge,
            ms=9 if r.status == "efficient" else 7,
            capsize=3,
            zorder=3,
        )
    front = table[table.status == "efficient"].sort_values("cost")
    shown = front.shown.astype(bool) if "shown" in front else pd.Series(True, index=front.index)
    for (_, a), (i, b) in itertools.pairwise(front.iterrows()):  # solid: the step to b is shown
        solid = bool(shown[i])
        ax.plot(
            [a.cost, b.cost],
            [a.effect, b.effect],
            color="black" if solid else "#777777",
            lw=1.2,
            ls="-" if solid else "--",
            zorder=2,
        )
    ax.axhline(0, color="grey", lw=1, ls="--")
    ax.margins(x=0.25, y=0.2)
    ax.set_xlim(left=min(-0.08 * table.cost.max(), ax.get_xlim()[0]))
    ax.xaxis.set_major_locator(MaxNLocator(6))
    ax.set_xlabel("extra cost against no intervention (staff-days per election round)   ← cheaper")
    spread = "mean and 95% CI" if "pairs" not in table or int(table.pairs.min()) >= 2 else "one seed, no interval"
    ax.set_ylabel(f"bought seats prevented per election round\n({spread})   better ↑")
    ax.grid(alpha=0.3)
    place_labels(
        ax,
        list(zip(table.cost, table.effect, strict=True)),
        [arm_name(a) for a in table.arm],
        [
            "bold" if s == "efficient" and bool(getattr(r, "shown", True)) else "normal"
            for s, r in zip(table.status, table.itertuples(), strict=True)
        ],
    )
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], color="black", lw=1.2, label="frontier: step shown (bold name)"),
        Line2D([], [], color="#777777", lw=1.2, ls="--", label="step not distinguishable (efficient on means)"),
        Line2D([], [], ls="", marker="o", ms=9, mfc="#555555", mec="#555555", label="efficient on means"),
        Line2D([], [], ls="", marker="o", ms=7, mfc="white", mec="#555555", label="extendedly dominated"),
        Line2D([], [], ls="", marker="o", ms=7, mfc="white", mec="#999999", label="dominated (grey)"),
    ]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3, frameon=False)
    ax.set_title("Cost-effectiveness of each arm against no intervention")
    fig.tight_layout()
    return fig


def acceptability_plot(curves: pd.DataFrame, colours: dict[str, str], icers: pd.DataFrame) -> Figure:
    """Cost-effectiveness acceptability curves: chance each arm is the best buy at each value per seat."""
    fig, ax = plt.subplots(figsize=(9.5, 4.8))
    for arm, sub in curves.groupby("arm", sort=False):
        if sub.probability.max() < 0.02:
            continue
        ax.plot(sub.value, 100 * sub.probability, color=colours.get(arm, "grey"), lw=2, label=arm_name(arm))
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    for r in icers.dropna(subset=["icer"]).itertuples():
        if np.isfinite(r.icer) and curves.value.min() <= r.icer <= curves.value.max():
            ax.axvline(r.icer, color="#999999", ls=":", lw=1)
            ax.annotate(
                f"ICER {r.icer:,.0f}",
                (r.icer, 75),
                xytext=(3, 0),
                textcoords="offset points",
                rotation=90,
                va="center",
                fontsize=9,
                color="#555555",
                bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none"},
            )
    ax.set_xscale("log")
    ax.set_xlabel("value placed on one bought seat prevented (staff-days, log scale)")
    ax.set_ylabel("chance the arm is the best buy (%)")
    ax.set_ylim(-2, 102)
    # 1-2-5 ticks over a narrow range; powers of ten over a wide one, so that labels such as
    # "50,000" and "100,000" never run into each other.
    low, high = ax.get_xlim()
    decades = np.log10(max(high, 1e-9) / max(low, 1e-9))
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0) if decades <= 2.5 else (1.0,)))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}" if v >= 1 else f"{v:g}"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.grid(alpha=0.3)
    ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), frameon=False)
    ax.set_title(
        "Acceptability: share of bootstrap resamples of the seeds in which each arm has the highest net benefit\n"
        "(dotted: ICERs of the efficient arms; arms never best are left out)"
    )
    fig.tight_layout()
    return fig


def interaction_heatmap(effects: pd.DataFrame, names: list[str], key: str) -> Figure:
    """Main effects (diagonal) and two-way interactions (off-diagonal) with values; faded if not significant."""
    k = len(names)
    matrix = np.full((k, k), np.nan)
    signif = np.zeros((k, k), dtype=bool)
    idx = {n: i for i, n in enumerate(names)}
    for _, row in effects.iterrows():
        i = idx[row.term_a]
        j = idx[row.term_b] if row.term_b else i
        matrix[i, j] = matrix[j, i] = outcome(key).scale * row.effect
        signif[i, j] = signif[j, i] = bool(row.significant)
    fig, ax = plt.subplots(figsize=(min(1.25 * k + 3.5, MAX_WIDTH_IN), 1.0 * k + 2.2))
    lim = np.nanmax(np.abs(matrix)) or 1.0
    im = ax.imshow(np.where(signif, matrix, 0.25 * matrix), cmap="PuOr_r", vmin=-lim, vmax=lim)
    for i in range(k):
        for j in range(k):
            if np.isfinite(matrix[i, j]):
                strong = signif[i, j] and abs(matrix[i, j]) > 0.6 * lim
                ax.text(
                    j,
                    i,
                    f"{matrix[i, j]:+.1f}" + ("*" if signif[i, j] else ""),
                    ha="center",
                    va="center",
                    fontsize=9.5,
                    fontweight="bold" if i == j else "normal",
                    color="white" if strong else ("black" if signif[i, j] else "#777777"),
                )
    labels = [arm_name(n) for n in names]
    ax.set_xticks(range(k), labels, rotation=35, ha="right")
    ax.set_yticks(range(k), labels)
    cbar = fig.colorbar(im, ax=ax, shrink=0.8)
    better = "negative" if outcome(key).better == "lower" else "positive"
    cbar.set_label(f"effect on {outcome(key).label.lower()}\n({outcome(key).diff_unit}; {better} is better)")
    tested = "replicates" not in effects or int(effects.replicates.min()) >= 2
    ax.set_title(
        (
            "Main effects (diagonal) and interactions, each tested over seeds\n"
            "* = significant (Holm within main effects, within interactions)\nothers faded"
            if tested
            else "Main effects (diagonal) and interactions on one seed\nnot tested: one replicate (all faded)"
        )
        + "; off-diagonal < 0: complements, > 0: substitutes"
    )
    fig.tight_layout()
    return fig


def dose_response_plot(table: pd.DataFrame, parameter: str, diminish: dict[str, float | None]) -> Figure:
    """Means with 95% CIs by intensity, the monotone fit, and where returns diminish (only if shown)."""
    outcomes = list(dict.fromkeys(table.outcome))
    n = int(table.n.min())
    fig, axes = grid(len(outcomes), cols=3, panel=(3.4, 3.2))
    name, _, knob = parameter.rpartition(".")
    xlabel = f"{knob.replace('_', ' ')} ({arm_name(name).lower()})" if name else knob.replace("_", " ")
    for ax, key in zip(axes, outcomes, strict=True):
        sub = table[table.outcome == key]
        m, lo, hi, fit = (display(key, sub[c]) for c in ("mean", "ci_low", "ci_high", "monotone_fit"))
        label = "mean, 95% CI" if n >= 2 else "one run"
        ax.errorbar(sub.intensity, m, yerr=[m - lo, hi - m], fmt="o", color=PALETTE[1], capsize=3, label=label)
        ax.plot(sub.intensity, fit, color=PALETTE[2], lw=1.5, label="monotone fit")
        x0 = diminish.get(key)
        if x0 is not None:
            ax.axvline(x0, color="grey", ls=":", lw=1.2)
            ax.annotate(
                f"returns diminish\nbeyond {x0:g}",
                (x0, 0.98),
                xycoords=("data", "axes fraction"),
                xytext=(-4, 0),
                textcoords="offset points",
                va="top",
                ha="right",
                fontsize=9,
                color="#555555",
                bbox={"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none"},
            )
        levels = sorted(sub.intensity.unique())
        if min(levels) >= 0 and max(levels) > 8 * max(min(x for x in levels if x > 0), 1e-12):
            ax.set_xscale("symlog", linthresh=max(min(x for x in levels if x > 0), 1e-12))
        ax.set_xticks(levels, [f"{x:g}" for x in levels])
        span = max(levels) - min(levels)
        ax.set_xlim(
            min(levels) - 0.05 * span if ax.get_xscale() == "linear" else min(levels) - 0.3,
            max(levels) * 1.25 if ax.get_xscale() != "linear" else max(levels) + 0.05 * span,
        )
        ax.set_xlabel(xlabel)
        ax.set_title(panel_title(key, False), pad=14)
        better_arrow(ax, key, axis="y")
        ax.yaxis.set_major_locator(MaxNLocator(5))
        ax.grid(alpha=0.3)
    axes[0].legend(loc="best")
    if n >= 2:
        fig.suptitle(f"Dose-response: mean and 95% CI over {n}+ seeds per level")
    else:
        fig.suptitle(f"Dose-response: one seed per level ({NO_INTERVALS})")
    fig.tight_layout()
    return fig


def sensitivity_plot(indices: pd.DataFrame, wins: pd.DataFrame, colours: dict[str, str], key: str) -> Figure:
    """First-order sensitivity indices per parameter and arm, and how often each arm is best (ties shared)."""
    params = list(dict.fromkeys(indices.parameter))
    fig, (ax1, ax2) = plt.subplots(
        1, 2, figsize=(MAX_WIDTH_IN, 0.38 * len(params) + 3.2), gridspec_kw={"width_ratios": [1.7, 1]}
    )
    arms = list(dict.fromkeys(indices.arm))
    height = 0.8 / max(len(arms), 1)
    for j, arm in enumerate(arms):
        sub = indices[indices.arm == arm].set_index("parameter").reindex(params)
        y = np.arange(len(params)) + j * height
        ax1.barh(
            y,
            sub.S1,
            height=height,
            color=colours.get(arm, "grey"),
            label=arm_name(arm),
            xerr=sub.S1_conf,
            error_kw={"lw": 0.8, "ecolor": "#888888"},
        )
    ax1.set_yticks(np.arange(len(params)) + 0.4 - height / 2, params)
    ax1.invert_yaxis()
    ax1.set_xlabel(f"first-order sensitivity index of\n{outcome(key).label.lower()} (RBD-FAST)")
    ax1.legend()
    ax1.grid(axis="x", alpha=0.3)
    ax2.barh([arm_name(a) for a in wins.arm], 100 * wins.win_share, color=[colours.get(a, "grey") for a in wins.arm])
    ax2.invert_yaxis()
    ax2.set_xlabel("share of samples in which\nthe arm is best (%, ties shared)")
    ax2.grid(axis="x", alpha=0.3)
    fig.suptitle(f"Sensitivity to what we do not know ({int(wins.samples.iloc[0])} samples)")
    fig.tight_layout()
    return fig
