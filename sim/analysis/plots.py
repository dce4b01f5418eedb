"""Figures of a sweep (matplotlib only; one arm keeps one colour in every figure)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from sim.analysis.stats import OUTCOMES, mean_ci, outcome

#: Smallest text in a figure (points). The report shows figures at their natural size (96 CSS px per
#: inch), so this is also the size on screen at 100% zoom.
MIN_FONT_PT = 9.0

#: Widest figure (inches) that fits the report's column at natural size.
MAX_WIDTH_IN = 11.0

plt.rcParams.update(
    {
        "font.size": 10,
        "axes.titlesize": 10.5,
        "axes.labelsize": 10,
        "xtick.labelsize": 9.5,
        "ytick.labelsize": 9.5,
        "legend.fontsize": 9,
        "figure.titlesize": 11.5,
    }
)

if TYPE_CHECKING:
    from sim.model.election import ElectionModel

#: Arm colours: black for no intervention, then Paul Tol's colour-blind-safe "vibrant" and "bright" hues,
#: ordered so that neighbours differ in hue and lightness (no two oranges among the first eight).
PALETTE = [
    "#000000",
    "#0077BB",
    "#EE7733",
    "#009988",
    "#AA3377",
    "#33BBEE",
    "#CCBB44",
    "#EE3377",
    "#666666",
    "#117733",
    "#882255",
    "#44AA99",
]

#: Township figure: one orange (bribes), blues for refusals (light) and brokers (dark), Okabe-Ito hues.
TOWN = {
    "untouched": "#dddddd",
    "refused": "#56B4E9",
    "bought": "#E69F00",
    "exposed": "#CC79A7",
    "broker": "#0072B2",
    "paid": "#000000",
    "clean": "#009E73",
}


#: Arm and intervention names in words.
DISPLAY_NAMES = {
    "none": "No intervention",
    "all": "All six",
    "as_deployed": "As deployed",
    "warning_education": "Warning education",
    "risk_screening": "Risk screening",
    "candidate_vetting": "Candidate vetting",
    "tipoff_resolution": "Fast tip-off resolution",
    "team_inspection": "Inspection teams",
    "pledges_talks": "Pledges and talks",
}


def arm_name(arm: str) -> str:
    """Intervention names in words."""
    return " + ".join(DISPLAY_NAMES.get(part, part.replace("_", " ").capitalize()) for part in arm.split("+"))


#: Said in figure titles and captions instead of a 95% CI when each arm has one replicate.
NO_INTERVALS = "no intervals: one replicate"


def count(n: int, noun: str) -> str:
    """``n`` and the noun, in the plural unless ``n`` is 1 (``1 seed``, ``3 seeds``)."""
    return f"{n} {noun}" + ("" if n == 1 else "s")


def arm_colours(arms: list[str]) -> dict[str, str]:
    """A fixed colour for each arm (in the order given, which the report keeps everywhere)."""
    return {arm: PALETTE[i % len(PALETTE)] if i < len(PALETTE) else plt.cm.tab20(i % 20) for i, arm in enumerate(arms)}


def display(key: str, values):
    """Values of ``key`` in their display unit (per cent / percentage points for shares)."""
    return np.asarray(values, dtype=float) * outcome(key).scale


def panel_title(key: str, difference: bool) -> str:
    """A panel's title: the outcome in words and its unit."""
    import textwrap

    o = outcome(key)
    unit = o.diff_unit if difference else o.unit
    return textwrap.fill(o.label, 30) + f"\n({unit})"


def better_arrow(ax: plt.Axes, key: str, axis: str = "x") -> None:
    """Write "better" with an arrow pointing the way the outcome improves, under (or beside) the axis."""
    lower = outcome(key).better == "lower"
    if axis == "x":
        text = "← better" if lower else "better →"
        ax.annotate(
            text,
            xy=(0.0 if lower else 1.0, 1.0),
            xycoords="axes fraction",
            xytext=(0, 3),
            textcoords="offset points",
            ha="left" if lower else "right",
            va="bottom",
            fontsize=9,
            color="#1a7a3a",
            fontweight="bold",
        )
    else:
        text = "better ↓" if lower else "better ↑"
        ax.annotate(
            text,
            xy=(1.0, 1.0),
            xycoords="axes fraction",
            xytext=(0, 3),
            textcoords="offset points",
            ha="right",
            va="bottom",
            fontsize=9,
            color="#1a7a3a",
            fontweight="bold",
        )


def grid(n: int, cols: int = 3, panel: tuple[float, float] = (3.5, 3.0)) -> tuple[Figure, np.ndarray]:
    """A figure of ``n`` panels in rows of at most ``cols``, no wider than MAX_WIDTH_IN; unused panels hidden."""
    cols = min(cols, n)
    rows = -(-n // cols)
    width = min(panel[0] * cols + 1.5, MAX_WIDTH_IN)
    fig, axes = plt.subplots(rows, cols, figsize=(width, panel[1] * rows + 0.9), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, axes.flat[:n]


def forest_plot(effects: pd.DataFrame, colours: dict[str, str], order: list[str]) -> Figure:
    """Paired differences from no intervention with 95% t intervals, one panel per outcome.

    Shares are in percentage points; open markers: not distinguishable from no intervention after
    Holm's adjustment over the arms.
    """
    outcomes = [o for o in OUTCOMES if o in set(effects.outcome)]
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
    outcomes = [o for o in OUTCOMES if o in set(means.outcome)]
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
        ax.set_title(arm_name(arm))  # black: light hues are hard to read as text
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


def _segment_hits(box, p0, p1, samples: int = 24) -> bool:
    """Whether the straight segment p0-p1 (display coordinates) passes through ``box``."""
    t = np.linspace(0.0, 1.0, samples)
    xs = p0[0] + t * (p1[0] - p0[0])
    ys = p0[1] + t * (p1[1] - p0[1])
    return bool(np.any((xs > box.x0) & (xs < box.x1) & (ys > box.y0) & (ys < box.y1)))


def _box_distance(box, px: float, py: float) -> float:
    """Distance (display units) from a point to a box (0 inside)."""
    dx = max(box.x0 - px, 0.0, px - box.x1)
    dy = max(box.y0 - py, 0.0, py - box.y1)
    return float(np.hypot(dx, dy))


def place_labels(
    ax: plt.Axes,
    points: list[tuple[float, float]],
    labels: list[str],
    weights: list[str],
    obstacles: list[tuple[float, float]] | None = None,
) -> list:
    """Annotate points without overlaps: each label takes the first free spot around its point.

    Candidate offsets are tried nearest first (rings right, left, above, below, diagonals, then a
    coarse grid over the axes); a spot is free when its box overlaps no placed label and no point
    marker, stays inside the axes, its leader line (drawn for labels away from their point) crosses
    no placed label while no placed leader line crosses it, and a label without a leader line is
    nearer its own point than any other (so it cannot be read as another point's name). Boxes are
    computed from each label's measured size, so only the chosen spot is drawn. ``obstacles`` are
    other markers (data coordinates) no label may cover.

    Returns:
        The annotation objects.
    """
    from matplotlib.text import Text
    from matplotlib.transforms import Bbox

    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    axbox = ax.get_window_extent(renderer)
    pts = [ax.transData.transform(p) for p in points]
    others = [ax.transData.transform(p) for p in (obstacles or [])]
    px_per_pt = fig.dpi / 72
    taken: list = []
    leaders: list = []
    texts = []
    ring = [(8, 4), (-8, 4), (0, 12), (0, -14), (8, -12), (-8, -12), (8, 14), (-8, 14)]
    near = [(dx * r, dy * r) for r in (1, 2, 3, 4.5, 6, 8) for dx, dy in ring]
    w_pt, h_pt = axbox.width / px_per_pt, axbox.height / px_per_pt
    spots = [(gx, gy) for gx in np.arange(-w_pt, w_pt, 30.0) for gy in np.arange(-h_pt, h_pt, 12.0)]
    far_spots = sorted((o for o in spots if np.hypot(*o) > 60), key=lambda o: np.hypot(*o))
    style = {
        "fontsize": 9,
        "va": "center",
        "textcoords": "offset points",
        "bbox": {"boxstyle": "square,pad=0.1", "fc": "white", "ec": "none", "alpha": 0.85},
    }

    def box_at(p: np.ndarray, dx: float, dy: float, w: float, h: float) -> Bbox:
        x0 = p[0] + dx * px_per_pt - (w if dx < 0 else 0.0)
        return Bbox.from_bounds(x0, p[1] + dy * px_per_pt - h / 2, w, h).expanded(1.04, 1.2)

    for (x, y), p, text, weight in zip(points, pts, labels, weights, strict=True):
        probe = ax.annotate(text, (x, y), xytext=(0, 0), fontweight=weight, **style)
        extent = Text.get_window_extent(probe, renderer)
        probe.remove()
        chosen = None
        for dx, dy in near + far_spots:
            box = box_at(p, dx, dy, extent.width, extent.height)
            far = abs(dx) > 10 or abs(dy) > 16
            anchor = (box.x0 if dx >= 0 else box.x1, (box.y0 + box.y1) / 2)
            own = _box_distance(box, *p)
            free = (
                (far or all(_box_distance(box, *q) > own + 4 for q in pts if q is not p))
                and axbox.contains(box.x0, box.y0)
                and axbox.contains(box.x1, box.y1)
                and not any(box.contains(qx, qy) for qx, qy in [*pts, *others])
                and not any(box.overlaps(b) for b in taken)
                and not any(_segment_hits(box, a, b) for a, b in leaders)
                and not (far and any(_segment_hits(b, p, anchor) for b in taken))
            )
            if free:
                chosen = (dx, dy, box, far, anchor)
                break
        if chosen is None:  # no free spot anywhere: the nearest ring spot, kept anyway
            dx, dy = near[-1]
            box = box_at(p, dx, dy, extent.width, extent.height)
            chosen = (dx, dy, box, True, (box.x0, (box.y0 + box.y1) / 2))
        dx, dy, box, far, anchor = chosen
        extra = {"arrowprops": {"arrowstyle": "-", "color": "#999999", "lw": 0.7, "shrinkA": 0, "shrinkB": 4}}
        ann = ax.annotate(
            text,
            (x, y),
            xytext=(dx, dy),
            fontweight=weight,
            ha="left" if dx >= 0 else "right",
            **style,
            **(extra if far else {}),
        )
        if far:
            leaders.append((p, anchor))
        taken.append(box)
        texts.append(ann)
    return texts


def cost_effectiveness_plot(table: pd.DataFrame, colours: dict[str, str]) -> Figure:
    """Bought seats prevented against cost, the no-intervention arm at the origin, the frontier drawn.

    ``table`` is :func:`sim.analysis.cea.cost_effectiveness`'s table. Filled markers: efficient;
    open: extendedly dominated; grey: dominated.
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
    ax.plot(front.cost, front.effect, color="black", lw=1.2, ls="-", zorder=2, label="efficient frontier")
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
        ["bold" if s == "efficient" else "normal" for s in table.status],
    )
    from matplotlib.lines import Line2D

    handles = [
        Line2D([], [], color="black", lw=1.2, label="efficient frontier"),
        Line2D([], [], ls="", marker="o", ms=9, mfc="#555555", mec="#555555", label="efficient (bold name)"),
        Line2D([], [], ls="", marker="o", ms=7, mfc="white", mec="#555555", label="extendedly dominated"),
        Line2D([], [], ls="", marker="o", ms=7, mfc="white", mec="#999999", label="dominated (grey)"),
    ]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=4, frameon=False)
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
    ax.xaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
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
            "Main effects (diagonal) and interactions, each tested over seeds\n* = significant at FDR 5% (others faded)"
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


def legibility_problems(fig: Figure) -> list[str]:
    """Text smaller than MIN_FONT_PT or a figure wider than MAX_WIDTH_IN (for the report's checks)."""
    problems = []
    width = fig.get_figwidth()
    if width > MAX_WIDTH_IN + 1e-9:
        problems.append(f"figure is {width:.1f} in wide (at most {MAX_WIDTH_IN})")
    for text in fig.findobj(matplotlib.text.Text):
        if text.get_visible() and text.get_text().strip() and text.get_fontsize() < MIN_FONT_PT - 1e-9:
            problems.append(f"text {text.get_text()[:30]!r} is {text.get_fontsize():.1f} pt")
    return problems


def township_network(model: ElectionModel, township: int) -> Figure:
    """One township up close: delegates, brokers and candidates, who was approached, accepted, reported.

    One orange only (a delegate holding a bribe and the accepted offer); brokers and their contracts
    in blue, candidates black (paid brokers) or green (did not).
    """
    import networkx as nx
    from matplotlib.lines import Line2D

    from sim.model.agents import CandidateStatus, DelegateState

    w = model.world
    start, size = int(w.town_start[township]), int(w.town_size[township])
    dels = np.arange(start, start + size)
    graph = nx.Graph()
    graph.add_nodes_from(f"d{d}" for d in dels)
    sub = w.peers[start : start + size, start : start + size].tocoo()
    peer_edges = [(f"d{start + i}", f"d{start + j}") for i, j in zip(sub.row, sub.col, strict=True) if i < j]
    graph.add_edges_from(peer_edges)
    ties = np.flatnonzero(w.township[w.tie_delegate] == township)
    brokers = np.unique(w.tie_broker[ties])
    k = model.world.slots_per_township
    cands = np.arange(township * k, (township + 1) * k)
    graph.add_nodes_from(f"b{b}" for b in brokers)
    graph.add_nodes_from(f"c{c}" for c in cands)
    graph.add_edges_from((f"b{w.tie_broker[t]}", f"d{w.tie_delegate[t]}") for t in ties)
    contracts = np.flatnonzero((w.contract_town == township) & (model.contract_client >= 0))
    contract_edges = [(f"b{w.contract_broker[c]}", f"c{model.contract_client[c]}") for c in contracts]
    graph.add_edges_from(contract_edges)
    pos = nx.spring_layout(graph, seed=7, k=0.35)  # seeded: the same picture every time

    fig, ax = plt.subplots(figsize=(11, 8.5))
    nx.draw_networkx_edges(graph, pos, edgelist=peer_edges, edge_color="#cccccc", width=0.5, ax=ax)
    tie_state = {(f"b{w.tie_broker[t]}", f"d{w.tie_delegate[t]}"): model.tie_state[t] for t in ties}
    for state, style, colour in ((0, ":", "#bbbbbb"), (1, "--", TOWN["refused"]), (2, "-", TOWN["bought"])):
        edges = [e for e, s in tie_state.items() if s == state]
        nx.draw_networkx_edges(graph, pos, edgelist=edges, style=style, edge_color=colour, width=1.2, ax=ax)
    nx.draw_networkx_edges(graph, pos, edgelist=contract_edges, edge_color=TOWN["broker"], width=2.5, ax=ax)
    state_colour = {
        DelegateState.UNTOUCHED: TOWN["untouched"],
        DelegateState.REFUSED: TOWN["refused"],
        DelegateState.BOUGHT: TOWN["bought"],
        DelegateState.EXPOSED: TOWN["exposed"],
    }
    reporters = set(model.tips.reporter[model.tips.reporter >= 0].tolist())
    for state, colour in state_colour.items():
        nodes = [f"d{d}" for d in dels if model.del_state[d] == state]
        edge = ["black" if int(n[1:]) in reporters else colour for n in nodes]
        nx.draw_networkx_nodes(
            graph, pos, nodelist=nodes, node_color=colour, node_size=70, ax=ax, edgecolors=edge, linewidths=1.8
        )
    nx.draw_networkx_nodes(
        graph, pos, nodelist=[f"b{b}" for b in brokers], node_shape="s", node_color=TOWN["broker"], node_size=220, ax=ax
    )
    seated = model.cand_status[cands] == CandidateStatus.ELECTED
    for mask, shape in ((seated, "^"), (~seated, "v")):
        nodes = [f"c{c}" for c in cands[mask]]
        paid = model.vote_buyers()
        fill = [TOWN["paid"] if paid[int(n[1:])] else TOWN["clean"] for n in nodes]
        nx.draw_networkx_nodes(graph, pos, nodelist=nodes, node_shape=shape, node_color=fill, node_size=320, ax=ax)

    def marker(shape: str, colour: str, label: str, edge: str | None = None) -> Line2D:
        return Line2D([], [], ls="", marker=shape, ms=9, mfc=colour, mec=edge or colour, mew=1.8, label=label)

    def line(style: str, colour: str, width: float, label: str) -> Line2D:
        return Line2D([], [], ls=style, color=colour, lw=width, label=label)

    handles = [
        marker("o", TOWN["untouched"], "delegate, never bribed"),
        marker("o", TOWN["refused"], "delegate who refused"),
        marker("o", TOWN["bought"], "delegate holding a bribe"),
        marker("o", TOWN["exposed"], "delegate whose bribe was voided"),
        marker("o", "white", "delegate who reported (black ring)", "black"),
        marker("s", TOWN["broker"], "broker"),
        marker("^", TOWN["paid"], "candidate who bought votes, seated"),
        marker("v", TOWN["paid"], "candidate who bought votes, not seated"),
        marker("^", TOWN["clean"], "candidate who did not buy, seated"),
        marker("v", TOWN["clean"], "candidate who did not buy, not seated"),
        line("-", "#cccccc", 1, "peer tie"),
        line(":", "#bbbbbb", 1.2, "broker tie, never used"),
        line("--", TOWN["refused"], 1.2, "offer refused"),
        line("-", TOWN["bought"], 1.2, "offer accepted"),
        line("-", TOWN["broker"], 2.5, "broker works for candidate"),
    ]
    ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=9, frameon=False)
    ax.set_title(
        f"Township {township}: {size} delegates, {len(brokers)} brokers with ties here, "
        f"{model.del_ever_bought[dels].sum()} delegates bribed (seed {model.cfg.seed})"
    )
    ax.axis("off")
    fig.tight_layout()
    return fig


def threshold_plot(grid: pd.DataFrame) -> Figure:
    """Captured seats against broker density (one line per sanction severity) and against sanction."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(MAX_WIDTH_IN, 5.6))
    sanctions = sorted(grid.sanction.unique())
    cmap = plt.get_cmap("viridis")
    for i, s in enumerate(sanctions):
        sub = grid[grid.sanction == s].sort_values("brokers_per_township")
        ax1.plot(
            sub.brokers_per_township,
            100 * sub.payer_seat_rate,
            marker="o",
            color=cmap(i / max(len(sanctions) - 1, 1)),
            label=f"sanction {s:g}",
        )
    ax1.set_xlabel("brokers per township (mean)")
    ax1.set_ylabel("seats held by candidates who paid (%)")
    ax1.legend(
        title="sanction severity (logit)", loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=4, frameon=False
    )
    for i, b in enumerate(sorted(grid.brokers_per_township.unique())[1:]):
        sub = grid[grid.brokers_per_township == b].sort_values("sanction")
        ax2.plot(
            sub.sanction, 100 * sub.payer_seat_rate, marker="o", color=PALETTE[(i + 1) % len(PALETTE)], label=f"{b:g}"
        )
    ax2.set_xlabel("sanction severity for delegates and candidates (logit)")
    ax2.set_ylabel("seats held by candidates who paid (%)")
    ax2.legend(title="brokers per township", loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=4, frameon=False)
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
    fig.suptitle("Seats held by payers saturate in broker density and collapse past a sanction threshold", fontsize=11)
    fig.tight_layout()
    return fig


def spillover_plot(table: pd.DataFrame) -> Figure:
    """Change in bribed share in visited and never-visited townships (mean and 95% CI over seeds)."""
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    for i, group in enumerate(("visited", "never visited")):
        m, lo, hi = mean_ci(table[table.townships == group]["diff"].to_numpy())
        ax.barh(i, 100 * m, color=PALETTE[5 if i == 0 else 2])
        ax.errorbar(100 * m, i, xerr=[[100 * (m - lo)], [100 * (hi - m)]], color="black", capsize=4)
    ax.set_yticks([0, 1], ["townships visited", "townships never visited"])
    ax.axvline(0, color="grey", lw=1)
    ax.set_xlabel("change in delegates bribed (percentage points)")
    ax.set_title("Inspection deters beyond the townships it visits")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig
