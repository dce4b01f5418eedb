"""Figures of a sweep (matplotlib only; one arm keeps one colour in every figure)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.analysis.stats import OUTCOMES, mean_ci

if TYPE_CHECKING:
    from sim.model.election import ElectionModel

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
    many = len(table) > 12  # label only the efficient arms when there are many
    for _, row in table.iterrows():
        if many and not row.efficient:
            continue
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


def interaction_heatmap(effects: pd.DataFrame, names: list[str], outcome_label: str) -> Figure:
    """Main effects (diagonal) and two-way interactions (off-diagonal), values written in the cells."""
    k = len(names)
    matrix = np.full((k, k), np.nan)
    idx = {n: i for i, n in enumerate(names)}
    for _, row in effects.iterrows():
        i = idx[row.term_a]
        j = idx[row.term_b] if row.term_b else i
        matrix[i, j] = matrix[j, i] = 100 * row.effect  # percentage points
    fig, ax = plt.subplots(figsize=(1.3 * k + 3, 1.1 * k + 2))
    lim = np.nanmax(np.abs(matrix)) or 1.0
    im = ax.imshow(matrix, cmap="PuOr_r", vmin=-lim, vmax=lim)
    for i in range(k):
        for j in range(k):
            if np.isfinite(matrix[i, j]):
                ax.text(
                    j,
                    i,
                    f"{matrix[i, j]:+.1f}",
                    ha="center",
                    va="center",
                    fontsize=9,
                    fontweight="bold" if i == j else "normal",
                    color="white" if abs(matrix[i, j]) > 0.6 * lim else "black",
                )
    labels = [arm_name(n) for n in names]
    ax.set_xticks(range(k), labels, rotation=35, ha="right")
    ax.set_yticks(range(k), labels)
    cbar = fig.colorbar(im, ax=ax, shrink=0.8)
    cbar.set_label(f"effect on {outcome_label} (percentage points)")
    ax.set_title(
        "Main effects (diagonal, bold) and interactions, in percentage points\n"
        "off-diagonal < 0: complements (better together); > 0: substitutes (overlap)",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


def dose_response_plot(table: pd.DataFrame, parameter: str) -> Figure:
    """Outcomes against the swept intensity with 95% CI bands; diminishing returns marked."""
    outcomes = [o for o in ("bought_seat_rate_final", "bribed_share", "cost_total") if o in set(table.outcome)]
    fig, axes = plt.subplots(1, len(outcomes), figsize=(5 * len(outcomes), 4.2))
    axes = np.atleast_1d(axes)
    for ax, out in zip(axes, outcomes, strict=True):
        sub = table[table.outcome == out]
        ax.plot(sub.intensity, sub["mean"], marker="o", color=PALETTE[5])
        ax.fill_between(sub.intensity, sub.ci_low, sub.ci_high, color=PALETTE[5], alpha=0.2, lw=0)
        dim = sub[sub.diminishing]
        if len(dim) and out != "cost_total":
            x0 = dim.intensity.iloc[0]
            ax.axvline(x0, color="grey", ls=":", lw=1)
            ax.text(x0, ax.get_ylim()[1], " diminishing returns", va="top", fontsize=8, color="grey")
        name, _, knob = parameter.rpartition(".")
        ax.set_xlabel(f"{knob.replace('_', ' ')} ({arm_name(name).lower()})" if name else knob.replace("_", " "))
        ax.set_ylabel(OUTCOMES[out])
        ax.grid(alpha=0.3)
    n = int(table.n.min())
    fig.suptitle(f"Dose-response: mean and 95% CI over {n}+ replicates per level", fontsize=11)
    fig.tight_layout()
    return fig


def sensitivity_plot(indices: pd.DataFrame, wins: pd.DataFrame, colours: dict[str, str]) -> Figure:
    """First-order sensitivity indices per parameter and arm, and how often each arm is best."""
    fig, (ax1, ax2) = plt.subplots(
        1, 2, figsize=(14, 0.35 * indices.parameter.nunique() + 3.5), gridspec_kw={"width_ratios": [2, 1]}
    )
    params = list(dict.fromkeys(indices.parameter))
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
            error_kw={"lw": 0.8},
        )
    ax1.set_yticks(np.arange(len(params)) + 0.4 - height / 2, params)
    ax1.invert_yaxis()
    ax1.set_xlabel("first-order sensitivity index of bought seats (RBD-FAST)")
    ax1.legend(fontsize=8)
    ax1.grid(axis="x", alpha=0.3)
    ax2.barh([arm_name(a) for a in wins.arm], 100 * wins.win_share, color=[colours.get(a, "grey") for a in wins.arm])
    ax2.invert_yaxis()
    ax2.set_xlabel("share of uncertainty samples in which the arm is best (%)")
    ax2.grid(axis="x", alpha=0.3)
    fig.suptitle(f"Sensitivity to what we do not know ({int(wins.samples.iloc[0])} samples)", fontsize=11)
    fig.tight_layout()
    return fig


def township_network(model: ElectionModel, township: int) -> Figure:
    """One township up close: delegates, brokers and candidates, who was approached, accepted, reported."""
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
    for state, style, colour in ((0, ":", "#bbbbbb"), (1, "--", PALETTE[2]), (2, "-", PALETTE[1])):
        edges = [e for e, s in tie_state.items() if s == state]
        nx.draw_networkx_edges(graph, pos, edgelist=edges, style=style, edge_color=colour, width=1.2, ax=ax)
    nx.draw_networkx_edges(graph, pos, edgelist=contract_edges, edge_color=PALETTE[6], width=2.5, ax=ax)
    state_colour = {
        DelegateState.UNTOUCHED: "#dddddd",
        DelegateState.REFUSED: PALETTE[2],
        DelegateState.BOUGHT: PALETTE[1],
        DelegateState.EXPOSED: PALETTE[7],
    }
    reporters = set(model.tips.reporter[model.tips.reporter >= 0].tolist())
    for state, colour in state_colour.items():
        nodes = [f"d{d}" for d in dels if model.del_state[d] == state]
        edge = ["black" if int(n[1:]) in reporters else colour for n in nodes]
        nx.draw_networkx_nodes(
            graph, pos, nodelist=nodes, node_color=colour, node_size=70, ax=ax, edgecolors=edge, linewidths=1.8
        )
    nx.draw_networkx_nodes(
        graph, pos, nodelist=[f"b{b}" for b in brokers], node_shape="s", node_color=PALETTE[6], node_size=220, ax=ax
    )
    seated = model.cand_status[cands] == CandidateStatus.ELECTED
    for mask, shape in ((seated, "^"), (~seated, "v")):
        nodes = [f"c{c}" for c in cands[mask]]
        paid = model.vote_buyers()
        fill = [PALETTE[0] if paid[int(n[1:])] else PALETTE[3] for n in nodes]
        nx.draw_networkx_nodes(graph, pos, nodelist=nodes, node_shape=shape, node_color=fill, node_size=320, ax=ax)

    def marker(shape: str, colour: str, label: str, edge: str | None = None) -> Line2D:
        return Line2D([], [], ls="", marker=shape, ms=9, mfc=colour, mec=edge or colour, mew=1.8, label=label)

    def line(style: str, colour: str, width: float, label: str) -> Line2D:
        return Line2D([], [], ls=style, color=colour, lw=width, label=label)

    handles = [
        marker("o", "#dddddd", "delegate, never bribed"),
        marker("o", PALETTE[2], "delegate who refused"),
        marker("o", PALETTE[1], "delegate holding a bribe"),
        marker("o", PALETTE[7], "delegate whose bribe was voided"),
        marker("o", "white", "delegate who reported (black ring)", "black"),
        marker("s", PALETTE[6], "broker"),
        marker("^", PALETTE[0], "candidate who bought votes, seated"),
        marker("v", PALETTE[0], "candidate who bought votes, not seated"),
        marker("^", PALETTE[3], "candidate who did not buy, seated"),
        marker("v", PALETTE[3], "candidate who did not buy, not seated"),
        line("-", "#cccccc", 1, "peer tie"),
        line(":", "#bbbbbb", 1.2, "broker tie, never used"),
        line("--", PALETTE[2], 1.2, "offer refused"),
        line("-", PALETTE[1], 1.2, "offer accepted"),
        line("-", PALETTE[6], 2.5, "broker works for candidate"),
    ]
    ax.legend(handles=handles, loc="center left", bbox_to_anchor=(1.0, 0.5), fontsize=8, frameon=False)
    ax.set_title(
        f"Township {township}: {size} delegates, {len(brokers)} brokers with ties here, "
        f"{model.del_ever_bought[dels].sum()} delegates bribed (seed {model.cfg.seed})"
    )
    ax.axis("off")
    fig.tight_layout()
    return fig


def threshold_plot(grid: pd.DataFrame) -> Figure:
    """Captured seats against broker density (one line per sanction severity) and against sanction."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    sanctions = sorted(grid.sanction.unique())
    cmap = plt.get_cmap("viridis")
    for i, s in enumerate(sanctions):
        sub = grid[grid.sanction == s].sort_values("brokers_per_township")
        ax1.plot(
            sub.brokers_per_township,
            sub.payer_seat_rate,
            marker="o",
            color=cmap(i / max(len(sanctions) - 1, 1)),
            label=f"sanction {s:g}",
        )
    ax1.set_xlabel("brokers per township (mean)")
    ax1.set_ylabel("seats held by candidates who paid (share)")
    ax1.legend(fontsize=8, title="sanction severity (logit)", loc="lower right", ncol=2)
    for i, b in enumerate(sorted(grid.brokers_per_township.unique())[1:]):
        sub = grid[grid.brokers_per_township == b].sort_values("sanction")
        ax2.plot(
            sub.sanction, sub.payer_seat_rate, marker="o", color=PALETTE[(i + 1) % len(PALETTE)], label=f"{b:g} brokers"
        )
    ax2.set_xlabel("sanction severity for delegates and candidates (logit)")
    ax2.set_ylabel("seats held by candidates who paid (share)")
    ax2.legend(fontsize=8)
    for ax in (ax1, ax2):
        ax.grid(alpha=0.3)
    fig.suptitle("Capture saturates in broker density and collapses past a sanction threshold", fontsize=11)
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
