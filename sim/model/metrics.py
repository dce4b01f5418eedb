"""What a run reports: a daily time series (preallocated arrays) and the summary scalars."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sim.model.agents import CandidateStatus, DelegateState
from sim.model.tips import TipStatus

if TYPE_CHECKING:
    from sim.model.election import ElectionModel

#: Daily columns, in order; each is filled by :meth:`TimeSeries.record`.
SERIES_COLUMNS = (
    "day",
    "days_to_congress",
    "offers",
    "offers_accepted",
    "bribed_share",
    "ever_bribed_share",
    "tips",
    "tips_closed",
    "tips_substantiated",
    "tips_queued",
    "detections",
    "brokers_active",
    "buyers_funding",
    "money_spent",
    "mean_perceived_risk",
    "mean_trust",
    "township_visits",
)


class TimeSeries:
    """One row a day, in preallocated arrays (never per-agent reporters at this scale)."""

    def __init__(self, n_days: int) -> None:
        self.columns = {name: np.zeros(n_days) for name in SERIES_COLUMNS}

    def record(self, model: ElectionModel) -> None:
        """Fill the current day's row."""
        d = model.day
        w = model.world
        tips = model.tips
        col = self.columns
        col["day"][d] = d
        col["days_to_congress"][d] = model.congress_day - d
        col["offers"][d] = model.offers_today
        col["offers_accepted"][d] = model.accepted_today
        col["bribed_share"][d] = model.currently_bribed() / w.n_delegates
        col["ever_bribed_share"][d] = model.del_ever_bought.mean()
        col["tips"][d] = int((tips.day == d).sum())
        closed = (tips.status == TipStatus.CLOSED) & (tips.close_day == d)
        col["tips_closed"][d] = int(closed.sum())
        col["tips_substantiated"][d] = int((closed & tips.substantiated).sum())
        col["tips_queued"][d] = int((tips.status == TipStatus.QUEUED).sum())
        col["detections"][d] = model.counters["detections"]
        working = np.bincount(model.world.contract_broker[model.contract_client >= 0], minlength=w.n_brokers) > 0
        col["brokers_active"][d] = int((model.broker_active & working).sum())
        col["buyers_funding"][d] = int(model.buyers_funding().sum())
        col["money_spent"][d] = model.cand_spent.sum()
        col["mean_perceived_risk"][d] = model.perceived_risk().mean()
        col["mean_trust"][d] = model.trust.mean()
        col["township_visits"][d] = model.counters["township_visits"]

    def as_dict(self) -> dict[str, list[float]]:
        """Columns as lists (JSON/CSV-ready)."""
        return {k: v.tolist() for k, v in self.columns.items()}


def _ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den else 0.0


def summarize(model: ElectionModel, runtime_s: float) -> dict[str, Any]:
    """The run's outcome scalars (flat, JSON-ready)."""
    cfg, w, c = model.cfg, model.world, model.counters
    tips = model.tips
    seats = w.n_townships * cfg.world.seats_per_township
    held = model.cand_status == CandidateStatus.ELECTED
    removed = model.removed_candidates()
    tainted, buyer, paid = w.cand_tainted, model.cand_buyer, model.vote_buyers()
    closed = tips.status == TipStatus.CLOSED
    delay = (tips.close_day - tips.day)[closed]
    kind_direct = tips.kind[closed] == 0
    hot = model.hotline
    n_tips = len(tips)
    n_closed = int(closed.sum())
    enabled = cfg.enabled_interventions()

    out: dict[str, Any] = {
        "scenario": cfg.scenario,
        "seed": cfg.seed,
        "interventions": "+".join(enabled) if enabled else "none",
        "townships": w.n_townships,
        "delegates": w.n_delegates,
        "candidates": w.n_candidates,
        "brokers": w.n_brokers,
        "seats": seats,
        "buyers": int(model.vote_buyers().sum()),
        "seats_captured": model.results.get("seats_captured", 0),
        "capture_rate": _ratio(model.results.get("seats_captured", 0), seats),
        "seats_captured_final": int((held & paid).sum()),
        "capture_rate_final": _ratio((held & paid).sum(), seats),
        "seats_flipped": int((held & paid & ~model.clean_winner).sum()),
        "flip_rate": _ratio((held & paid & ~model.clean_winner).sum(), seats),
        "delegates_bribed": int(model.del_ever_bought.sum()),
        "bribed_share": _ratio(model.del_ever_bought.sum(), w.n_delegates),
        "offers": int(c["offers"]),
        "offers_accepted": int(c["offers_accepted"]),
        "acceptance_rate": _ratio(c["offers_accepted"], c["offers"]),
        "money_spent": float(model.cand_spent.sum()),
        "broker_cut": float(model.contract_cut.sum()),
        "broker_funds_left": float(model.contract_funds.sum()),
        "bribe_money": float(model.del_money.sum()),
        "tips": n_tips,
        "tips_true": int(tips.is_true.sum()),
        "tips_closed": n_closed,
        "tips_substantiated": int(tips.substantiated.sum()),
        "substantiation_rate": _ratio(tips.substantiated.sum(), n_closed),
        "mean_resolution_days": float(delay.mean()) if n_closed else 0.0,
        "direct_within_deadline": _ratio((delay[kind_direct] <= hot.direct_days).sum(), kind_direct.sum()),
        "supervised_within_deadline": _ratio((delay[~kind_direct] <= hot.supervised_days).sum(), (~kind_direct).sum()),
        "detections": int(c["detections"]),
        "detected_before_vote": int(c["detected_before_vote"]),
        "brokers_removed": int(c["brokers_removed"]),
        "delegates_exposed": int(c["delegates_exposed"]),
        "candidates_disqualified": int(c["candidates_disqualified"]),
        "winners_unseated": int(c["winners_unseated"]),
        "township_visits": int(c["township_visits"]),
        "townships_visited": int(c["townships_visited"]),
        "problems_found": int(c["problems_found"]),
        "problems_per_visit": _ratio(c["problems_found"], c["township_visits"]),
        "visit_coverage": _ratio(c["townships_visited"], w.n_townships),
        "candidates_vetted": int(c["candidates_vetted"]),
        "tainted_candidates": int(tainted.sum()),
        "tainted_removed": int((removed & tainted).sum()),
        "honest_removed": int((removed & ~tainted & ~buyer).sum()),
        "buyers_removed": int((removed & buyer).sum()),
        "vetting_removed": int((model.cand_status == CandidateStatus.EXCLUDED).sum()),
        "merit_loss": _ratio(model.clean_merit - float(w.cand_merit[held].sum()), seats),
        "mean_final_trust": float(model.trust.mean()),
    }
    for key in (
        "ballots",
        "delegates_present",
        "seats_filled",
        "seats_first_round",
        "seats_vacant",
        "bought_votes_held",
        "bought_votes_delivered",
        "defections",
        "delegates_holding_bribes",
    ):
        out[key] = int(model.results.get(key, 0))
    out["defection_rate"] = _ratio(out["defections"], out["bought_votes_held"])
    out["seats_refilled"] = int(c["seats_refilled"])
    total = 0.0
    for iv in model.interventions:
        out[f"units_{iv.name}"] = float(iv.units)
        out[f"cost_{iv.name}"] = float(iv.cost())
        for k, v in iv.outcomes.items():
            out[f"{iv.name}_{k}"] = v
        total += iv.cost()
    out["cost_total"] = total
    out["exposed_share"] = _ratio((model.del_state == DelegateState.EXPOSED).sum(), w.n_delegates)
    out["runtime_s"] = float(runtime_s)
    return out
