"""One township up close: its network in one run, who was approached, who took money, who reported."""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

if TYPE_CHECKING:
    from sim.model.election import ElectionModel
import json
import logging
from pathlib import Path

from sim.config import ConfigError
from sim.report.html import Section, _save

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


log = logging.getLogger("sim")


def township_section(sweep_dir: Path, runs: pd.DataFrame, base: str | None, out: Path) -> Section | None:
    """One township up close, re-run from the stored configuration."""
    net = township_figure(sweep_dir, runs, base)
    if net is None:
        return None
    sec = Section("township", "One township up close")
    sec.figures.append(
        _save(
            net,
            out,
            "township",
            "Delegates (circles, by state), brokers (blue squares) and candidates (triangles: black paid brokers, "
            "green did not) of the township with most bribes in one run of the baseline arm.",
            "",
        )
    )
    return sec


def township_figure(sweep_dir: Path, runs: pd.DataFrame, base: str | None) -> Figure | None:
    """Re-run one run of the sweep (exactly, from its stored configuration) and draw a township."""
    from sim.simulate import simulate

    arm = base or runs.arm.iloc[0]
    first = runs[runs.arm == arm].iloc[0]
    folders = sorted((sweep_dir / "runs").glob("*/*/inputs.json"))
    for path in folders:
        meta = json.loads(path.read_text())
        if meta["keys"]["arm"] == arm and meta["keys"]["seed"] == first.seed and meta.get("config"):
            try:
                model = simulate(meta["config"], keep_model=True).model
            except ConfigError as exc:  # a sweep made by another version of the code
                log.warning("township figure skipped: the stored run no longer fits this code (%s)", exc)
                return None
            assert model is not None
            bribed = np.bincount(model.world.township[model.del_ever_bought], minlength=model.world.n_townships)
            return township_network(model, int(bribed.argmax()))
    return None
