"""The interactive view: Mesa's SolaraViz over the election model (optional dependency ``[viz]``).

Pick the scale, the seed and the interventions in the sidebar, press *Reset* to build that
province, then *Step* (one day) or play the calendar day by day. The page shows one township's
network (delegates by state, brokers, the ties carrying bribes, who reported), the daily series
and the summary so far::

    python experiments/explore.py                   # http://localhost:8765
    solara run sim.interop.solara_view --port 8765  # the same page

The page is the module-level :data:`page`.
"""

from __future__ import annotations

from typing import Any

import matplotlib

matplotlib.use("Agg")  # drawn on the server, never in a window

import networkx as nx
import numpy as np
import solara
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from mesa.visualization import SolaraViz, make_plot_component
from mesa.visualization.utils import update_counter
from omegaconf import OmegaConf

from sim.interop.mesa_batch import BatchElectionModel
from sim.interventions import INTERVENTION_NAMES
from sim.model.agents import DelegateState, TieState
from sim.presets import CONF_DIR

#: Where the named scenarios (scales) are defined, as for the command line.
SCENARIO_DIR = CONF_DIR / "scenario"
SCALES = ("county", "city", "province")

#: Summary keys shown in the panel, with their labels.
SHOWN = (
    ("seats_bought_final", "seats bought (after unseating)"),
    ("bought_seat_rate_final", "bought-seat rate"),
    ("delegates_bribed", "delegates bribed so far"),
    ("offers", "offers made"),
    ("tips", "tips to the hotline"),
    ("tips_substantiated", "tips substantiated"),
    ("detections", "vote buyers caught"),
    ("winners_unseated", "winners unseated"),
    ("honest_removed", "honest candidates removed"),
    ("cost_total", "cost (staff-days)"),
)

DELEGATE_COLOURS = {
    DelegateState.UNTOUCHED: "#d9d9d9",
    DelegateState.REFUSED: "#4c9be8",
    DelegateState.BOUGHT: "#e8553e",
    DelegateState.EXPOSED: "#9b59b6",
}
BROKER_COLOUR = "#2e2e2e"


def scale_config(scale: str) -> dict[str, Any]:
    """The configuration of a named scale (``conf/scenario/<scale>.yaml``).

    Args:
        scale: ``county``, ``city`` or ``province``.

    Returns:
        A nested mapping (``scenario`` and ``world`` keys).

    Raises:
        ValueError: An unknown scale.
    """
    if scale not in SCALES:
        raise ValueError(f"scale={scale!r}: choose one of {SCALES}")
    data = OmegaConf.to_container(OmegaConf.load(SCENARIO_DIR / f"{scale}.yaml"))
    return {k: v for k, v in data.items() if k in ("scenario", "world")}  # type: ignore[union-attr]


class ExploreModel(BatchElectionModel):
    """The election model as the view builds it: a scale, a seed and six switches.

    Args:
        scale: ``county``, ``city`` or ``province``.
        seed: The run's seed.
        township: The township drawn (wrapped around the number of townships).
        rng: Mesa's seed argument; when given it replaces ``seed``.
        **params: Switches named after the interventions (``team_inspection=True``) and any
            dotted configuration key.
    """

    def __init__(self, scale: str = "county", seed: int = 0, township: int = 0, rng: Any = None, **params: Any) -> None:
        switches = {f"interventions.{k}.enabled": bool(params.pop(k)) for k in INTERVENTION_NAMES if k in params}
        super().__init__(scale_config(scale), rng=seed if rng is None else rng, **switches, **params)
        self.township = int(township) % self.world.n_townships
        self._layout: dict[str, np.ndarray] | None = None

    def layout(self) -> dict[str, np.ndarray]:
        """Node positions of the drawn township (computed once: the picture holds still)."""
        if self._layout is None:
            graph, _, _ = self.township_graph()
            self._layout = nx.spring_layout(graph, seed=7, k=0.35)
        return self._layout

    def township_graph(self) -> tuple[nx.Graph, np.ndarray, np.ndarray]:
        """The drawn township: peers and broker ties; its delegates and its broker-tie indices."""
        w, t = self.world, self.township
        start, size = int(w.town_start[t]), int(w.town_size[t])
        dels = np.arange(start, start + size)
        graph = nx.Graph()
        graph.add_nodes_from(f"d{d}" for d in dels)
        sub = w.peers[start : start + size, start : start + size].tocoo()
        graph.add_edges_from((f"d{start + i}", f"d{start + j}") for i, j in zip(sub.row, sub.col, strict=True) if i < j)
        ties = np.flatnonzero(w.township[w.tie_delegate] == t)
        graph.add_edges_from((f"b{w.tie_broker[i]}", f"d{w.tie_delegate[i]}") for i in ties)
        return graph, dels, ties


def draw_township(model: ExploreModel) -> Figure:
    """One township today: delegates by state, brokers, ties carrying bribes, reporters ringed.

    Args:
        model: The model shown.

    Returns:
        A matplotlib figure.
    """
    graph, dels, ties = model.township_graph()
    pos = model.layout()
    w = model.world
    fig = Figure(figsize=(6.4, 5.2))
    ax = fig.subplots()
    peer = [(u, v) for u, v in graph.edges if u[0] == "d" and v[0] == "d"]
    nx.draw_networkx_edges(graph, pos, edgelist=peer, edge_color="#e3e3e3", width=0.5, ax=ax)
    styles = {
        TieState.UNTRIED: (":", "#c8c8c8", 0.6),
        TieState.REFUSED: ("--", DELEGATE_COLOURS[DelegateState.REFUSED], 0.9),
        TieState.ACCEPTED: ("-", DELEGATE_COLOURS[DelegateState.BOUGHT], 2.0),
        TieState.VOIDED: ("-", DELEGATE_COLOURS[DelegateState.EXPOSED], 1.2),
    }
    for state, (style, colour, width) in styles.items():
        edges = [(f"b{w.tie_broker[i]}", f"d{w.tie_delegate[i]}") for i in ties if model.tie_state[i] == state]
        nx.draw_networkx_edges(graph, pos, edgelist=edges, style=style, edge_color=colour, width=width, ax=ax)
    reporters = set(model.tips.reporter[model.tips.reporter >= 0].tolist())
    for state, colour in DELEGATE_COLOURS.items():
        nodes = [d for d in dels if model.del_state[d] == state]
        ring = ["black" if d in reporters else colour for d in nodes]
        nx.draw_networkx_nodes(
            graph,
            pos,
            nodelist=[f"d{d}" for d in nodes],
            node_color=colour,
            edgecolors=ring,
            linewidths=1.6,
            node_size=45,
            ax=ax,
        )
    brokers = sorted({n for n in graph.nodes if n[0] == "b"})
    active = [b for b in brokers if model.broker_active[int(b[1:])]]
    removed = [b for b in brokers if not model.broker_active[int(b[1:])]]
    nx.draw_networkx_nodes(graph, pos, nodelist=active, node_shape="s", node_color=BROKER_COLOUR, node_size=120, ax=ax)
    nx.draw_networkx_nodes(graph, pos, nodelist=removed, node_shape="X", node_color="#888888", node_size=120, ax=ax)
    handles = [
        Line2D([], [], ls="", marker="o", mfc=DELEGATE_COLOURS[s], mec=DELEGATE_COLOURS[s], label=label)
        for s, label in (
            (DelegateState.UNTOUCHED, "delegate, no offer taken"),
            (DelegateState.REFUSED, "refused"),
            (DelegateState.BOUGHT, "holds a bribe"),
            (DelegateState.EXPOSED, "bribe voided"),
        )
    ]
    handles += [
        Line2D([], [], ls="", marker="o", mfc="white", mec="black", mew=1.6, label="reported (ring)"),
        Line2D([], [], ls="", marker="s", mfc=BROKER_COLOUR, mec=BROKER_COLOUR, label="broker"),
        Line2D([], [], ls="", marker="X", mfc="#888888", mec="#888888", label="broker removed"),
        Line2D([], [], color=DELEGATE_COLOURS[DelegateState.BOUGHT], lw=2, label="tie carrying a bribe"),
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7, frameon=False)
    ax.set_title(f"Township {model.township}: {len(dels)} delegates, {len(brokers)} brokers", fontsize=9)
    ax.set_axis_off()
    fig.tight_layout()
    return fig


def day_label(model: ExploreModel) -> str:
    """The day counter: ``Day 3 of 76 · campaign · term 1 of 1``."""
    done = model.steps
    phase = "finished" if not model.running else model.phase
    return f"Day {done} of {model.n_days} · {phase} · term {model.term + 1} of {model.n_terms}"


@solara.component
def TownshipView(model: ExploreModel) -> None:
    """The township network panel."""
    update_counter.get()
    solara.FigureMatplotlib(draw_township(model), format="png")


@solara.component
def SummaryView(model: ExploreModel) -> None:
    """The day counter, the interventions in force and the summary so far."""
    update_counter.get()
    summary = model.summary or model._so_far or {}
    enabled = model.cfg.enabled_interventions()
    rows = "\n".join(f"| {label} | {_fmt(summary.get(key, 0))} |" for key, label in SHOWN)
    solara.Markdown(
        f"### {day_label(model)}\n\n"
        f"**Interventions:** {', '.join(enabled) if enabled else 'none'}  \n"
        f"**Scale:** {model.cfg.scenario}, {model.world.n_townships} townships, "
        f"{model.world.n_delegates} delegates · seed {model.cfg.seed}\n\n"
        f"| so far | |\n|---|---:|\n{rows}"
    )


def _fmt(value: Any) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.3f}"
    return f"{int(value):,}" if isinstance(value, int | float) else str(value)


def model_params() -> dict[str, Any]:
    """The sidebar's controls: scale, seed, township and one switch per intervention."""
    params: dict[str, Any] = {
        "scale": {"type": "Select", "value": "county", "values": list(SCALES), "label": "Scale"},
        "seed": {"type": "SliderInt", "value": 0, "min": 0, "max": 99, "step": 1, "label": "Seed"},
        "township": {"type": "SliderInt", "value": 0, "min": 0, "max": 11, "step": 1, "label": "Township drawn"},
    }
    for name in INTERVENTION_NAMES:
        params[name] = {"type": "Checkbox", "value": False, "label": name.replace("_", " ")}
    return params


SERIES_PLOT = {"bribed_share": "#e8553e", "ever_bribed_share": "#f0a35e", "mean_perceived_risk": "#4c9be8"}
CASES_PLOT = {"tips": "#4c9be8", "tips_substantiated": "#2e8b57", "detections": "#2e2e2e"}


@solara.component
def Panels(model: ExploreModel) -> None:
    """The main area: summary and network side by side, the daily series below.

    Laid out here rather than in SolaraViz's draggable grid, whose script does not load in the
    current Solara front end.
    """
    update_counter.get()
    series, _ = make_plot_component(SERIES_PLOT, backend="matplotlib")
    cases, _ = make_plot_component(CASES_PLOT, backend="matplotlib")
    # Solara's sidebar (a drawer at least 400 px wide) does not push the main area aside (its width is
    # "min-content", which the layout cannot add up): keep clear of it.
    with solara.Column(style={"padding-left": "400px"}):
        with solara.Columns([2, 3]):
            with solara.Card():
                SummaryView(model)
            with solara.Card():
                TownshipView(model)
        with solara.Columns([1, 1]):
            with solara.Card("Daily: bribes held, ever taken, perceived risk"):
                series(model)
            with solara.Card("Cumulative detections; daily tips"):
                cases(model)


@solara.component
def Page() -> None:
    """The page: SolaraViz's controls in the sidebar (step, play, reset, parameters), panels beside."""
    initial = solara.use_memo(ExploreModel, [])
    model = solara.use_reactive(initial)
    SolaraViz(model, components=[], model_params=model_params(), name="Vote buying, day by day", play_interval=150)
    Panels(model.value)


page = Page
