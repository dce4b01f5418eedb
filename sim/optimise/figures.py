"""Figures of an optimisation: the frontier with the fixed arms, the re-evaluation, spending, robustness, PRIM."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from sim.optimise.portfolios import BudgetPick
from sim.optimise.robustness import PrimBox
from sim.report.style import DISPLAY_NAMES, MAX_WIDTH_IN, PALETTE, place_labels

matplotlib.use("Agg")


#: One colour per intervention in the spending bars (the comparison's arm colours).
INTERVENTION_COLOURS = dict(zip(list(DISPLAY_NAMES)[3:], PALETTE[1:], strict=False))


PICK, FIXED, PORTFOLIO, SEARCH = "#C0392B", "#0077BB", "#333333", "#BBBBBB"


def _sqrt_axis(ax: plt.Axes, high: float) -> None:
    """A square-root cost axis (spreads the many cheap portfolios) with round ticks."""
    ax.set_xscale("function", functions=(lambda v: np.sqrt(np.maximum(v, 0)), lambda v: np.square(v)))
    high = max(high, 1.0)  # every portfolio free: still an axis of some width
    ticks: list[int] = []
    for t in (0, 100, 250, 500, 1000, 2000, 3000, 4000, 6000, 8000, 10000, 15000, 20000, 30000, 50000):
        # Keep ticks apart on the square-root axis (at least 9% of its length), so labels never touch.
        if t <= high * 1.05 and (not ticks or np.sqrt(t) - np.sqrt(ticks[-1]) >= 0.09 * np.sqrt(high)):
            ticks.append(t)
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{t:,}" for t in ticks])
    ax.set_xlim(0, high * 1.08)


def frontier_plot(
    fresh: pd.DataFrame,
    picks: Sequence[BudgetPick],
    fixed: dict[str, str],
    names: dict[str, str],
) -> Figure:
    """Bought seats against cost: the re-evaluated portfolios, their frontier, the fixed arms, the budget picks.

    Args:
        fresh: One row per fresh-stage arm: ``arm, cost, effect, low, high`` (paired effect against
            no intervention, fraction of seats) and ``efficient`` (on the fresh frontier).
        picks: The budget picks.
        fixed: Fixed-arm label -> its name in words.
        names: Portfolio labels in words.
    """
    fig, ax = plt.subplots(figsize=(MAX_WIDTH_IN - 0.5, 6.6))
    high = float(max(fresh.cost.max(), max(p.budget for p in picks)))
    opt = fresh[~fresh.arm.isin(fixed)]
    ax.errorbar(
        opt.cost,
        100 * opt.effect,
        yerr=[100 * (opt.effect - opt.low), 100 * (opt.high - opt.effect)],
        fmt="o",
        ms=5,
        color=PORTFOLIO,
        ecolor="#888888",
        elinewidth=0.8,
        capsize=2,
        zorder=3,
    )
    front = fresh[fresh.efficient].sort_values("cost")
    ax.step(front.cost, 100 * front.effect, where="post", color=PORTFOLIO, lw=1.3, zorder=2)
    fx = fresh[fresh.arm.isin(fixed)]
    ax.errorbar(
        fx.cost,
        100 * fx.effect,
        yerr=[100 * (fx.effect - fx.low), 100 * (fx.high - fx.effect)],
        fmt="s",
        ms=7,
        color=FIXED,
        mfc="white",
        mew=1.6,
        capsize=2,
        zorder=4,
    )
    for p in picks:
        ax.axvline(p.budget, color="#999999", ls="--", lw=0.9, zorder=0)
        ax.annotate(
            f"≤ {p.budget:,.0f}",
            (p.budget, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(0, 3),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=9,
            color="#555555",
        )
    shown = {p.arm for p in picks if p.arm and p.arm != "none"}
    pk = fresh[fresh.arm.isin(shown)]
    ax.scatter(pk.cost, 100 * pk.effect, marker="*", s=260, color=PICK, zorder=5, edgecolor="white", linewidth=0.6)
    ax.axhline(0, color="black", lw=0.8)
    _sqrt_axis(ax, high)
    ax.set_xlabel("cost per election round (staff-days, square-root scale)")
    ax.set_ylabel("seats vote buying changed, after unseating:\nchange against no intervention (points)   better ↓")
    ax.grid(alpha=0.3)
    labelled = fresh[fresh.arm.isin(fixed) | fresh.arm.isin(shown)]
    texts = []
    for r in labelled.itertuples():
        budgets = ", ".join(f"{p.budget:,.0f}" for p in picks if p.arm == r.arm)
        if r.arm in fixed and r.arm in shown:
            texts.append(f"{fixed[r.arm]}: pick ≤ {budgets}")
        elif r.arm in fixed:
            texts.append(fixed[r.arm])
        else:
            texts.append(f"pick ≤ {budgets}")
    place_labels(
        ax,
        list(zip(labelled.cost, 100 * labelled.effect, strict=True)),
        texts,
        ["bold" if a in shown else "normal" for a in labelled.arm],
        obstacles=list(zip(opt.cost, 100 * opt.effect, strict=True)),
    )
    handles = [
        Line2D([], [], ls="", marker="o", color=PORTFOLIO, ms=5, label="Pareto portfolios on fresh seeds (95% CI)"),
        Line2D([], [], color=PORTFOLIO, lw=1.3, label="frontier (fresh seeds)"),
        Line2D([], [], ls="", marker="s", mfc="white", mec=FIXED, mew=1.6, ms=7, label="fixed arms (fresh seeds)"),
        Line2D([], [], ls="", marker="*", color=PICK, ms=13, label="best for a budget"),
    ]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2, frameon=False)
    ax.set_title("Optimised portfolios and the fixed arms of the comparison, on the same fresh seeds", pad=18)
    fig.tight_layout()
    return fig


def shift_plot(table: pd.DataFrame, names: dict[str, str]) -> Figure:
    """Each re-evaluated portfolio's effect on the search's seeds and on fresh seeds (95% CIs)."""
    t = table.sort_values("cost").reset_index(drop=True)
    height = 0.42 * len(t) + 1.6
    fig, ax = plt.subplots(figsize=(MAX_WIDTH_IN - 1.8, height))  # the long tick labels widen it
    y = np.arange(len(t))[::-1]
    ax.errorbar(
        100 * t.search_effect,
        y + 0.13,
        xerr=[100 * (t.search_effect - t.search_low), 100 * (t.search_high - t.search_effect)],
        fmt="o",
        mfc="white",
        color="#888888",
        ms=5,
        capsize=2,
        label="search seeds",
    )
    ax.errorbar(
        100 * t.fresh_effect,
        y - 0.13,
        xerr=[100 * (t.fresh_effect - t.fresh_low), 100 * (t.fresh_high - t.fresh_effect)],
        fmt="o",
        color=PORTFOLIO,
        ms=5,
        capsize=2,
        label="fresh seeds",
    )
    for yi, r in zip(y, t.itertuples(), strict=True):
        ax.annotate(
            "",
            (100 * r.fresh_effect, yi - 0.13),
            (100 * r.search_effect, yi + 0.13),
            arrowprops={"arrowstyle": "->", "color": "#C0392B", "lw": 0.9},
        )
    ax.set_yticks(y)
    ax.set_yticklabels(
        [f"{textwrap.shorten(names.get(a, a), 62)}  ({c:,.0f} staff-days)" for a, c in zip(t.arm, t.cost, strict=True)]
    )
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("change in seats vote buying changed against no intervention (points, 95% CI)   ← better")
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="lower right", frameon=True, fontsize=9)
    ax.set_title("What fresh seeds did to the search's estimates (arrow: from search to fresh seeds)")
    fig.tight_layout()
    return fig


def spending_plot(picks: Sequence[BudgetPick], names: dict[str, str]) -> Figure:
    """What each budget's pick spends on each intervention (staff-days)."""
    shown = [p for p in picks if p.arm and p.arm != "none"]
    fig, ax = plt.subplots(figsize=(MAX_WIDTH_IN - 0.5, 0.7 * max(len(shown), 1) + 1.8))
    y = np.arange(len(shown))[::-1]
    used = []
    for yi, p in zip(y, shown, strict=True):
        left = 0.0
        for name, colour in INTERVENTION_COLOURS.items():
            v = p.spending.get(name, 0.0)
            if v <= 0:
                continue
            ax.barh(yi, v, left=left, color=colour, height=0.6)
            if v > 0.06 * max(q.budget for q in shown):
                ax.text(left + v / 2, yi, f"{v:,.0f}", ha="center", va="center", fontsize=9, color="white")
            left += v
            used.append(name)
        ax.plot([p.budget, p.budget], [yi - 0.38, yi + 0.38], color="black", lw=1.5)
        # The total beside its bar, or past the budget's tick when the tick is too close to read past.
        top = max(q.budget for q in shown)
        at = left if p.budget - left > 0.12 * top else max(left, p.budget)
        ax.annotate(f"total {left:,.0f}", (at, yi), xytext=(5, 0), textcoords="offset points", va="center", fontsize=9)
    ax.set_yticks(y)
    ax.set_yticklabels([f"≤ {p.budget:,.0f}: {textwrap.shorten(names.get(p.arm, p.arm), 48)}" for p in shown])
    ax.set_xlabel("staff-days per election round (black tick: the budget)")
    ax.xaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda v, _: f"{v:,.0f}"))
    ax.legend(
        handles=[
            Patch(color=INTERVENTION_COLOURS[n], label=DISPLAY_NAMES[n]) for n in INTERVENTION_COLOURS if n in used
        ],
        loc="upper center",
        bbox_to_anchor=(0.5, -0.22 if len(shown) < 4 else -0.14),
        ncol=3,
        frameon=False,
    )
    ax.grid(axis="x", alpha=0.3)
    ax.set_title("What the best portfolio for each budget spends, by intervention")
    fig.tight_layout()
    return fig


def progress_plot(progress: pd.DataFrame, trials: pd.DataFrame) -> Figure:
    """Every trial of the search on the cost / bought-seat plane, and the frontier's hypervolume by generation.

    Args:
        progress: :func:`sim.optimise.portfolios.search_progress`.
        trials: The trials table (``cost_total``, ``bought_seat_rate_final``, ``generation``).
    """
    from sim.optimise.portfolios import frontier_mask

    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(MAX_WIDTH_IN - 0.5, 4.4), gridspec_kw={"width_ratios": [1.7, 1]})
    sc = ax.scatter(
        trials.cost_total, 100 * trials.bought_seat_rate_final, c=trials.generation + 1, cmap="viridis", s=12, alpha=0.8
    )
    keep = frontier_mask(trials.cost_total.to_numpy(), trials.bought_seat_rate_final.to_numpy())
    front = trials[keep].sort_values("cost_total")
    ax.step(front.cost_total, 100 * front.bought_seat_rate_final, where="post", color=PICK, lw=1.2, label="frontier")
    _sqrt_axis(ax, float(trials.cost_total.max()))
    ax.set_xlabel("cost (staff-days, square-root scale)")
    ax.set_ylabel("seats vote buying changed,\nafter unseating (%)   better ↓")
    ax.grid(alpha=0.3)
    ax.legend(loc="upper right", fontsize=9)
    cb = fig.colorbar(sc, ax=ax)
    cb.set_label("generation")
    cb.locator = matplotlib.ticker.MaxNLocator(integer=True)
    cb.update_ticks()
    ax.set_title("Every trial, on the search's seeds")
    ax2.plot(progress.generation + 1, 100 * progress.hypervolume_share, marker="o", color=PORTFOLIO)
    ax2.set_xlabel("generation")
    ax2.set_ylabel("hypervolume of the frontier (% of the final)")
    ax2.set_ylim(0, 105)
    ax2.grid(alpha=0.3)
    ax2.set_title("Progress of the search")
    fig.tight_layout()
    return fig


def robustness_plot(robust: pd.DataFrame, table: pd.DataFrame, target: float, names: dict[str, str]) -> Figure:
    """Each portfolio's bought-seat rate in every sampled world, and its chance of meeting the target."""
    from sim.optimise.robustness import world_means

    means = world_means(robust)
    t = table[np.isinf(table.budget)].sort_values("cost").reset_index(drop=True)
    height = 0.45 * len(t) + 1.8
    fig, (ax, ax2) = plt.subplots(
        1, 2, figsize=(MAX_WIDTH_IN - 0.5, height), gridspec_kw={"width_ratios": [2.6, 1]}, sharey=True
    )
    y = np.arange(len(t))[::-1]
    rng = np.random.default_rng(0)  # jitter only
    for yi, r in zip(y, t.itertuples(), strict=True):
        v = 100 * means[r.arm].dropna().to_numpy()
        ax.scatter(
            v, yi + rng.uniform(-0.18, 0.18, len(v)), s=9, color=np.where(v >= 100 * target, PICK, "#555555"), alpha=0.7
        )
        ax.plot([np.mean(v)] * 2, [yi - 0.3, yi + 0.3], color="black", lw=1.6)
    ax.axvline(100 * target, color=PICK, ls="--", lw=1)
    ax.set_yticks(y)
    ax.set_yticklabels(
        [f"{textwrap.shorten(names.get(a, a), 46)} ({c:,.0f} staff-days)" for a, c in zip(t.arm, t.cost, strict=True)]
    )
    ax.set_xlabel("seats vote buying changed, after unseating\n(%, one dot a draw; bar: the mean)   ← better")
    ax.grid(axis="x", alpha=0.3)
    ax2.errorbar(
        100 * t.p_target,
        y,
        xerr=[np.maximum(0, 100 * (t.p_target - t.p_low)), np.maximum(0, 100 * (t.p_high - t.p_target))],
        fmt="o",
        color=PORTFOLIO,
        capsize=2,
    )
    ax2.set_xlim(-3, 103)
    ax2.set_xlabel(f"worlds with bought seats\nbelow {100 * target:g}% (%, 95% CI)   better →")
    ax2.grid(axis="x", alpha=0.3)
    fig.suptitle(f"Across {len(means)} sampled worlds (red: at or above the {100 * target:g}% target)")
    fig.tight_layout()
    return fig


def prim_plot(box: PrimBox, x: pd.DataFrame, fail: np.ndarray, title: str) -> Figure:
    """PRIM: the peeling trajectory (coverage against density) and the worlds on the box's two main parameters."""
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(MAX_WIDTH_IN - 0.5, 4.6), gridspec_kw={"width_ratios": [1, 1.25]})
    traj = box.trajectory
    dims = int(traj.res_dim.max())
    cmap = plt.get_cmap("viridis", dims + 1)
    sc = ax.scatter(
        100 * traj.coverage, 100 * traj.density, c=traj.res_dim, cmap=cmap, vmin=-0.5, vmax=dims + 0.5, s=18
    )
    kept = "box kept" if box.significant else "best candidate (not significant)"
    ax.scatter([100 * box.coverage], [100 * box.density], s=160, facecolor="none", edgecolor=PICK, lw=2, label=kept)
    ax.set_xlabel("coverage: failing worlds inside the box (%)")
    ax.set_ylabel("density: worlds inside that fail (%)")
    rate = box.remaining_rate if np.isfinite(box.remaining_rate) else box.base_rate
    ax.axhline(100 * rate, color="#999999", ls=":", lw=1)
    ax.annotate(
        "failure rate of the worlds searched",
        (2, 100 * rate),
        xytext=(0, 3),
        textcoords="offset points",
        fontsize=9,
        color="#666666",
    )
    ax.set_xlim(0, 103)
    ax.set_ylim(0, 103)
    cb = fig.colorbar(sc, ax=ax, ticks=range(dims + 1))
    cb.set_label("parameters restricted")
    ax.legend(loc="lower left", fontsize=9)
    ax.grid(alpha=0.3)
    ax.set_title("Peeling trajectory")
    keys = sorted(box.limits, key=lambda k: box.qp[k])[:2]
    if len(keys) == 1:
        others = [c for c in x.columns if c != keys[0]]
        keys.append(others[0])
    kx, ky = keys
    xs, ys = x[kx].to_numpy(float), x[ky].to_numpy(float)
    searched = box.searched if box.searched is not None else np.ones(len(fail), dtype=bool)
    if (~searched).any():
        ax2.scatter(xs[~searched], ys[~searched], s=14, color="#DDDDDD", label="in an earlier box")
    ok, bad = searched & ~fail, searched & fail
    ax2.scatter(xs[ok], ys[ok], s=16, color="#555555", label="meets the target")
    ax2.scatter(xs[bad], ys[bad], s=22, marker="x", color=PICK, label="fails")
    lx = box.limits.get(kx, (xs.min(), xs.max()))
    ly = box.limits.get(ky, (ys.min(), ys.max()))
    ax2.add_patch(Rectangle((lx[0], ly[0]), lx[1] - lx[0], ly[1] - ly[0], fill=False, ec=PICK, lw=1.6, ls="--"))
    ax2.set_xlabel(kx)
    ax2.set_ylabel(ky)
    ax2.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=3, frameon=False, fontsize=9)
    ax2.grid(alpha=0.3)
    ax2.set_title("The sampled worlds and the box" if box.significant else "The sampled worlds and the candidate box")
    fig.suptitle(title)
    fig.tight_layout()
    return fig
