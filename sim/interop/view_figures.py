"""The interactive view's pictures: one township's network and the daily series (matplotlib only).

Drawn on the server, several times a second while the calendar plays, so each picture is
*blitted*, matplotlib's technique for animation: what does not change from day to day (axes,
ticks, legend, the peer ties, the township's layout) is drawn once and kept as a background, and
each day only the changing artists (the series' lines; delegates' and ties' states) are drawn
over it (:class:`Blitted`).  The township's layout is computed once per world and township
(:func:`township_layout`, cached).
"""

from __future__ import annotations

import io
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING

import networkx as nx
import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection
from matplotlib.colors import to_rgba_array
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator, PercentFormatter
from PIL import Image

from sim.model.agents import DelegateState, TieState

if TYPE_CHECKING:
    from sim.model.election import ElectionModel

#: Delegates by state: colour and legend label.
DELEGATES = {
    DelegateState.UNTOUCHED: ("#cfcfcf", "delegate, no bribe taken"),
    DelegateState.REFUSED: ("#3b7dd8", "refused an offer"),
    DelegateState.BOUGHT: ("#d7301f", "holds a bribe"),
    DelegateState.EXPOSED: ("#8c4fb0", "bribe voided by a sanction"),
}
DELEGATE_RGBA = to_rgba_array([colour for colour, _ in DELEGATES.values()])
BROKER, BROKER_REMOVED = "#2b2b2b", "#9a9a9a"

#: Broker ties drawn by state (style, colour, width); untried ties are left out (they are most ties).
TIES = {
    TieState.REFUSED: ((0, (3, 2)), DELEGATES[DelegateState.REFUSED][0], 0.9),
    TieState.ACCEPTED: ("solid", DELEGATES[DelegateState.BOUGHT][0], 2.0),
    TieState.VOIDED: ("solid", DELEGATES[DelegateState.EXPOSED][0], 1.2),
}

#: Layouts kept (each a township of one world).
LAYOUT_CACHE_SIZE = 64
_LAYOUTS: OrderedDict[tuple, TownshipLayout] = OrderedDict()


class Blitted:
    """A figure whose fixed part is drawn once; each picture draws only its animated artists over it.

    Artists marked ``set_animated(True)`` are left out of the background (matplotlib skips them in
    a full draw) and drawn by :meth:`png`.  Call :meth:`invalidate` when the fixed part changes
    (e.g. an axis limit).

    Args:
        fig: The figure.
    """

    def __init__(self, fig: Figure) -> None:
        self.fig = fig
        self.canvas = FigureCanvasAgg(fig)
        self._background = None

    def invalidate(self) -> None:
        """Draw the fixed part again at the next picture."""
        self._background = None

    def png(self, artists: list[Artist]) -> bytes:
        """The picture, as PNG bytes: the background, then ``artists`` over it."""
        if self._background is None:
            self.canvas.draw()
            self._background = self.canvas.copy_from_bbox(self.fig.bbox)
        else:
            self.canvas.restore_region(self._background)
        for artist in artists:
            self.fig.draw_artist(artist)
        buffer = io.BytesIO()
        Image.fromarray(np.asarray(self.canvas.buffer_rgba())).save(buffer, format="png", compress_level=1)
        return buffer.getvalue()


@dataclass(frozen=True)
class TownshipLayout:
    """Where one township's delegates and brokers sit, and its ties as segments.

    Attributes:
        township: The township's index.
        delegates: Its delegates' indices.
        delegate_xy: Their positions (``n x 2``).
        brokers: Indices of the brokers with a tie into it.
        broker_xy: Their positions.
        peer_segments: Segments of the peer ties between its delegates.
        ties: Indices of the broker ties into it.
        tie_segments: Their segments (broker to delegate).
    """

    township: int
    delegates: np.ndarray
    delegate_xy: np.ndarray
    brokers: np.ndarray
    broker_xy: np.ndarray
    peer_segments: np.ndarray
    ties: np.ndarray
    tie_segments: np.ndarray


def _world_key(model: ElectionModel, township: int) -> tuple:
    """What fixes a township's network: the world's settings, the seed, the calendar's terms."""
    cfg = model.cfg
    return (repr(cfg.world), cfg.seed, cfg.schedule.terms, township)


def township_layout(model: ElectionModel, township: int) -> TownshipLayout:
    """The layout of a township (a spring layout, seeded: the picture holds still), cached per world.

    Args:
        model: A model; its world (not its state) fixes the layout.
        township: The township drawn.
    """
    key = _world_key(model, township)
    if key in _LAYOUTS:
        _LAYOUTS.move_to_end(key)
        return _LAYOUTS[key]
    w = model.world
    start, size = int(w.town_start[township]), int(w.town_size[township])
    sub = w.peers[start : start + size, start : start + size].tocoo()
    upper = sub.row < sub.col
    peer_pairs = np.column_stack([sub.row[upper], sub.col[upper]])
    ties = np.flatnonzero(w.township[w.tie_delegate] == township)
    brokers = np.unique(w.tie_broker[ties])
    broker_node = size + np.searchsorted(brokers, w.tie_broker[ties])
    graph = nx.Graph()
    graph.add_nodes_from(range(size + len(brokers)))
    graph.add_edges_from(map(tuple, peer_pairs.tolist()))
    graph.add_edges_from(zip(broker_node.tolist(), (w.tie_delegate[ties] - start).tolist(), strict=True))
    pos = nx.spring_layout(graph, seed=7, k=0.35)
    xy = np.array([pos[i] for i in range(size + len(brokers))]).reshape(-1, 2)
    layout = TownshipLayout(
        township=township,
        delegates=np.arange(start, start + size),
        delegate_xy=xy[:size],
        brokers=brokers,
        broker_xy=xy[size:],
        peer_segments=np.stack([xy[peer_pairs[:, 0]], xy[peer_pairs[:, 1]]], axis=1),
        ties=ties,
        tie_segments=np.stack([xy[broker_node], xy[w.tie_delegate[ties] - start]], axis=1),
    )
    _LAYOUTS[key] = layout
    while len(_LAYOUTS) > LAYOUT_CACHE_SIZE:
        _LAYOUTS.popitem(last=False)
    return layout


@dataclass(frozen=True)
class LegendEntry:
    """One entry of a picture's legend (the page writes legends as text beside the pictures).

    Attributes:
        label: What it means, in words.
        colour: Its colour.
        mark: ``line``, ``dashed``, ``dot``, ``ring``, ``square`` or ``cross``.
        width: Line width (points) for a line.
    """

    label: str
    colour: str
    mark: str
    width: float = 1.5


def _line_mark(style: object) -> str:
    return "line" if style == "solid" else "dashed"


#: The legend of the township picture.
NETWORK_LEGEND = (
    *(LegendEntry(label, colour, "dot") for colour, label in DELEGATES.values()),
    LegendEntry("reported to the hotline (ring)", "#000000", "ring"),
    LegendEntry("broker", BROKER, "square"),
    LegendEntry("broker sanctioned", BROKER_REMOVED, "cross"),
    *(
        LegendEntry(label, TIES[state][1], _line_mark(TIES[state][0]), TIES[state][2])
        for state, label in (
            (TieState.ACCEPTED, "tie carrying a bribe"),
            (TieState.VOIDED, "tie whose bribe was voided"),
            (TieState.REFUSED, "tie refused"),
        )
    ),
)


class TownshipFigure:
    """One township of one model: delegates by state, brokers, ties carrying or refusing bribes, reporters ringed.

    The layout, the peer ties, the title and the legend are the fixed background; delegates,
    brokers and broker ties are redrawn by :meth:`png` from the model's state.

    Args:
        model: The model shown.
        township: The township drawn.
    """

    def __init__(self, model: ElectionModel, township: int) -> None:
        self.model, self.layout = model, township_layout(model, township)
        lay = self.layout
        self.fig = Figure(figsize=(5.6, 4.8), dpi=90)
        ax = self.ax = self.fig.add_axes((0.01, 0.01, 0.98, 0.9))
        ax.add_collection(LineCollection(lay.peer_segments, colors="#e6e6e6", linewidths=0.5))
        everything = np.concatenate([lay.delegate_xy, lay.broker_xy])
        ax.update_datalim(everything)
        ax.autoscale_view()
        ax.set_aspect("equal", adjustable="datalim")
        ax.set_axis_off()
        self.fig.suptitle(
            f"Township {township}: {len(lay.delegates)} delegates, {len(lay.brokers)} brokers with ties into it",
            x=0.02,
            ha="left",
            fontsize=11,
        )
        self.ties = {
            state: ax.add_collection(LineCollection([], colors=colour, linewidths=width, linestyles=style))
            for state, (style, colour, width) in TIES.items()
        }
        self.delegates = ax.scatter(*lay.delegate_xy.T, s=34, linewidths=1.4)
        self.brokers = ax.scatter(*lay.broker_xy.T, s=70, marker="s", c=BROKER)
        self.removed = ax.scatter(*lay.broker_xy.T, s=80, marker="X", c=BROKER_REMOVED)
        self.animated: list[Artist] = [*self.ties.values(), self.delegates, self.brokers, self.removed]
        for artist in self.animated:
            artist.set_animated(True)
        self.blit = Blitted(self.fig)

    def update(self) -> list[Artist]:
        """Set the changing artists from the model's state; return them in drawing order."""
        m, lay = self.model, self.layout
        state = m.tie_state[lay.ties]
        for tie_state, collection in self.ties.items():
            collection.set_segments(lay.tie_segments[state == tie_state])
        face = DELEGATE_RGBA[m.del_state[lay.delegates]]
        reported = np.isin(lay.delegates, m.tips.reporter[m.tips.reporter >= 0])
        self.delegates.set_facecolors(face)
        self.delegates.set_edgecolors(np.where(reported[:, None], np.array([0.0, 0.0, 0.0, 1.0]), face))
        active = m.broker_active[lay.brokers]
        self.brokers.set_offsets(lay.broker_xy[active].reshape(-1, 2))
        self.removed.set_offsets(lay.broker_xy[~active].reshape(-1, 2))
        return self.animated

    def png(self) -> bytes:
        """The township today, as PNG bytes."""
        return self.blit.png(self.update())


#: The daily series drawn: column, legend label, colour, line style, width, drawing order.  Lines that
#: can coincide are drawn thick and light underneath, thin and dashed on top, so both show: the share
#: holding a bribe equals the share who ever took one until a bribe is voided, and most days every
#: count is 0.
SHARES = (
    ("ever_bribed_share", "ever took a bribe", "#f0a35e", "solid", 3.2, 1),
    ("bribed_share", "holds a bribe now", "#d7301f", (0, (4, 2)), 1.6, 2),
    ("mean_perceived_risk", "mean perceived risk of detection", "#3b7dd8", "solid", 1.6, 3),
)
COUNTS = (
    ("tips", "tips filed that day", "#3b7dd8", "solid", 3.2, 1),
    ("tips_substantiated", "tips substantiated that day", "#2e8b57", (0, (4, 3)), 1.6, 3),
    ("detections", "vote buyers caught, so far", "#7b3294", "solid", 1.8, 2),
)

#: The upper limits the y-axes step through as the series grow (few steps: each redraws the axes).
SHARE_TOPS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0)


def count_top(value: float) -> float:
    """The upper limit of the counts' axis: 1, 2, 5, 10, 20, 50 ... at least 10% above ``value``."""
    top = 1.0
    while top < value * 1.1:
        top = top * 2.5 if str(int(top)).startswith("2") else top * 2
    return top


class SeriesFigure:
    """The daily series of one model: shares (top) and counts (bottom), day on the shared x-axis.

    The x-axis spans the whole calendar from the start (the picture does not rescale as days
    pass), congress day is marked, and both y-axes start at 0 and step up as the series grow.

    Args:
        model: The model shown.
    """

    def __init__(self, model: ElectionModel) -> None:
        self.model = model
        self.fig = Figure(figsize=(9.0, 4.6), dpi=90)
        self.fig.subplots_adjust(left=0.09, right=0.98, top=0.93, bottom=0.11, hspace=0.12)
        self.shares, self.counts = self.fig.subplots(2, 1, sharex=True)
        self.lines: dict[str, Line2D] = {}
        for ax, spec in ((self.shares, SHARES), (self.counts, COUNTS)):
            for column, label, colour, style, width, order in spec:
                # Not clipped: a line at 0 shows whole over the axis, not half under it.
                (self.lines[column],) = ax.plot(
                    [], [], color=colour, ls=style, lw=width, label=label, zorder=order, clip_on=False, animated=True
                )
            for term in range(model.n_terms):
                ax.axvline(term * model.term_days + model.congress_day, color="#777777", lw=1.0, ls=(0, (2, 3)))
            ax.set_xlim(0, max(model.n_days - 1, 1))
            ax.set_ylim(0, 1)
            ax.grid(alpha=0.25)
            for spine in ax.spines.values():
                spine.set_color("#aaaaaa")
        for term in range(model.n_terms):
            self.shares.annotate(
                "congress day",
                (term * model.term_days + model.congress_day, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=9,
                color="#555555",
            )
        self.shares.set_ylabel("share of delegates")
        self.shares.yaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 5, 10]))
        self.shares.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
        self.counts.set_ylabel("count")
        self.counts.yaxis.set_major_locator(MaxNLocator(integer=True))
        self.counts.set_xlabel("day")
        self.blit = Blitted(self.fig)

    def update(self) -> list[Line2D]:
        """Move the lines on to the days run so far (and the y-axes up if the series outgrew them)."""
        m = self.model
        days = np.arange(max(m.steps, 0))
        highest = {self.shares: 0.0, self.counts: 0.0}
        for column, line in self.lines.items():
            values = m.series.columns[column][: len(days)]
            line.set_data(days, values)
            if len(values):
                highest[line.axes] = max(highest[line.axes], float(values.max()))
        tops = {
            self.shares: next(t for t in SHARE_TOPS if t >= min(highest[self.shares] * 1.1, 1.0)),
            self.counts: count_top(highest[self.counts]),
        }
        for ax, top in tops.items():
            if ax.get_ylim()[1] != top:
                ax.set_ylim(0, top)
                self.blit.invalidate()
        return sorted(self.lines.values(), key=lambda line: (line.axes is self.counts, line.get_zorder()))

    def png(self) -> bytes:
        """The series so far, as PNG bytes."""
        return self.blit.png(self.update())

    @staticmethod
    def legends() -> dict[str, tuple[LegendEntry, ...]]:
        """The legend of each panel (top, bottom)."""
        return {
            "top": tuple(LegendEntry(label, c, _line_mark(style), w) for _, label, c, style, w, _ in SHARES),
            "bottom": tuple(LegendEntry(label, c, _line_mark(style), w) for _, label, c, style, w, _ in COUNTS),
        }
