"""The figures' common style: fonts, palette, arm names in words, panel grids and label placement."""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from sim.stats.outcomes import outcome

if TYPE_CHECKING:
    pass

matplotlib.use("Agg")
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


#: Smallest text in a figure (points). The report shows figures at their natural size (96 CSS px per
#: inch), so this is also the size on screen at 100% zoom.
MIN_FONT_PT = 9.0


#: Widest figure (inches) that fits the report's column at natural size.
MAX_WIDTH_IN = 11.0


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
    "#117733",
    "#882255",
    "#44AA99",
    "#666666",  # last: grey is the no-intervention band of the time course
]


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
    # Each province's package (policy/<province>.yaml), named by province and what it deploys.
    "yunnan": "Yunnan (warning education)",
    "qinghai": "Qinghai (education, risk screening)",
    "hunan": "Hunan (education, pledges, talks)",
    "guangxi": "Guangxi (graded screening, supervision groups)",
    "liaoning": "Liaoning (screening, inspection of 37.8%)",
    "jiangxi": "Jiangxi (four checks before nomination)",
    "inner_mongolia": "Inner Mongolia (political screening)",
    "shanxi": "Shanxi (fast tip-off resolution)",
    "anhui": "Anhui (double coverage, talks)",
    "shaanxi": "Shaanxi (talks with key officials)",
    # The references of experiment=provinces_own_world (province/none_on_<world>.yaml).
    "none_on_province": "No intervention (default province)",
    "none_on_shaanxi": "No intervention (Shaanxi's world)",
    "none_on_shanxi": "No intervention (Shanxi's world)",
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
