"""What a run reports: a daily time series (preallocated arrays) and the summary scalars."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from sim.model.agents import CandidateStatus, DelegateState
from sim.model.tips import TipStatus
from sim.model.voting import seats_differing, split_bought_seats

if TYPE_CHECKING:
    from sim.model.election import ElectionModel

#: Daily columns, in order; each is filled by :meth:`TimeSeries.record`.
SERIES_COLUMNS = (
    "day",
    "term",
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
    "seats_bought",
    "delegates_sanctioned",
)


class TimeSeries:
    """One row a day, in preallocated arrays (never per-agent reporters at this scale)."""

    def __init__(self, n_days: int) -> None:
        self.columns = {name: np.zeros(n_days) for name in SERIES_COLUMNS}

    def record(self, model: ElectionModel) -> None:
        """Fill the current day's row."""
        d, row = model.day, model.row
        w = model.world
        tips = model.tips
        col = self.columns
        col["day"][row] = row
        col["term"][row] = model.term
        col["days_to_congress"][row] = model.congress_day - d
        col["offers"][row] = model.offers_today
        col["offers_accepted"][row] = model.accepted_today
        col["bribed_share"][row] = model.currently_bribed() / w.n_delegates
        col["ever_bribed_share"][row] = model.del_ever_bought.mean()
        col["tips"][row] = int((tips.day == d).sum())
        closed = (tips.status == TipStatus.CLOSED) & (tips.close_day == d)
        col["tips_closed"][row] = int(closed.sum())
        col["tips_substantiated"][row] = int((closed & tips.substantiated).sum())
        col["tips_queued"][row] = int((tips.status == TipStatus.QUEUED).sum())
        col["detections"][row] = model.counters["detections"]
        working = np.bincount(model.world.contract_broker[model.contract_client >= 0], minlength=w.n_brokers) > 0
        col["brokers_active"][row] = int((model.broker_active & working).sum())
        col["buyers_funding"][row] = int(model.buyers_funding().sum())
        col["money_spent"][row] = model.cand_spent.sum() - model.cand_returned.sum()
        col["mean_perceived_risk"][row] = model.perceived_risk().mean()
        col["mean_trust"][row] = model.trust.mean()
        col["township_visits"][row] = model.counters["township_visits"]
        if d >= model.congress_day:  # seats vote buying holds, as unseating and refills leave them
            held = model.cand_status == CandidateStatus.ELECTED
            k = model.world.slots_per_township
            col["seats_bought"][row] = int(seats_differing(held, model.cf_elected, k).sum())
        col["delegates_sanctioned"][row] = model.counters["delegates_sanctioned"]

    def as_dict(self) -> dict[str, list[float]]:
        """Columns as lists (JSON/CSV-ready)."""
        return {k: v.tolist() for k, v in self.columns.items()}


def _ratio(num: float, den: float) -> float:
    return float(num) / float(den) if den else 0.0


def seat_merit(model: ElectionModel, elected: np.ndarray) -> float:
    """Total merit of the seats: each winner's, and for a vacant seat the worst on its initial slate.

    A vacancy is no gain: it counts as the least meritorious candidate the township put forward.
    """
    w = model.world
    k, seats = w.slots_per_township, model.cfg.world.seats_per_township
    merit = np.where(model.initial_slate, w.cand_merit, np.inf).reshape(-1, k)
    worst = np.where(np.isfinite(merit.min(axis=1)), merit.min(axis=1), 0.0)
    vacant = seats - elected.reshape(-1, k).sum(axis=1)
    return float(w.cand_merit[elected].sum() + (vacant * worst).sum())


def deadline_compliance(model: ElectionModel) -> dict[str, float]:
    """Share of tips handled within their deadline, over every tip whose deadline has passed.

    A case still queued or open at the end of the run and past its deadline counts as late (the
    ``_closed`` keys count closed cases only, as a case book that forgets open files would).
    """
    tips, hot = model.tips, model.hotline
    last_day = model.n_days - 1
    closed = tips.status == TipStatus.CLOSED
    direct = tips.kind == 0
    deadline = np.where(direct, hot.direct_days, hot.supervised_days)
    delay = np.where(closed, tips.close_day - tips.day, last_day - tips.day)
    on_time = closed & (delay <= deadline)
    due = closed | (delay > deadline)  # closed, or open past its deadline
    out = {}
    for name, kind in (("direct", direct), ("supervised", ~direct)):
        out[f"{name}_within_deadline"] = _ratio((on_time & kind).sum(), (due & kind).sum())
        out[f"{name}_within_deadline_closed"] = _ratio((on_time & kind).sum(), (closed & kind).sum())
    return out


def summarize(model: ElectionModel, runtime_s: float) -> dict[str, Any]:
    """The run's outcome scalars (flat, JSON-ready), one group of outcomes after another."""
    return {
        **run_identity(model),
        **seat_outcomes(model),
        **bribery_outcomes(model),
        **tip_outcomes(model),
        **enforcement_outcomes(model),
        **congress_counts(model),
        **intervention_costs(model),
        "exposed_share": _ratio((model.del_state == DelegateState.EXPOSED).sum(), model.world.n_delegates),
        **upper_tail(model),
        **patronage_outcomes(model),
        "runtime_s": float(runtime_s),
    }


def run_identity(model: ElectionModel) -> dict[str, Any]:
    """What was run: scenario, seed, term, interventions and the province's size."""
    cfg, w = model.cfg, model.world
    enabled = cfg.enabled_interventions()
    return {
        "scenario": cfg.scenario,
        "seed": cfg.seed,
        "term": model.term + 1,
        "interventions": "+".join(enabled) if enabled else "none",
        "townships": w.n_townships,
        "delegates": w.n_delegates,
        "candidates": w.n_candidates,
        "brokers": w.n_brokers,
        "seats": w.n_townships * cfg.world.seats_per_township,
        "buyers": int(model.vote_buyers().sum()),
    }


def seat_outcomes(model: ElectionModel) -> dict[str, Any]:
    """Seats vote buying and removals changed, who held them, and the merit they cost.

    The three congresses (:mod:`sim.model.voting`): as it happened (and as unseating left it),
    without bribes (same removals, same refills), clean (initial slate).  The seats buying changed
    (``seats_bought_final``) split into ``captured`` (won by a payer who would not have won
    without bribes), ``vacated`` (no majority because bought marks split it) and ``displaced``
    (another candidate won), each a count and a rate of all seats.  Merit lost against the clean
    congress splits exactly into what removals and what buying cost.
    """
    cfg, w = model.cfg, model.world
    seats = w.n_townships * cfg.world.seats_per_township
    k = w.slots_per_township
    held = model.cand_status == CandidateStatus.ELECTED
    removed = model.removed_candidates()
    tainted, paid = w.cand_tainted, model.vote_buyers()
    seats_bought_final = int(seats_differing(held, model.cf_elected, k).sum())
    bought_split = split_bought_seats(held, model.cf_elected, paid, k)
    merit_clean, merit_cf, merit_held = (seat_merit(model, m) for m in (model.clean_elected, model.cf_elected, held))
    lost_clean_winner = model.clean_elected & removed & ~model.cf_elected
    return {
        "seats_bought": int(model.results.get("seats_bought", 0)),
        "bought_seat_rate": _ratio(model.results.get("seats_bought", 0), seats),
        "seats_bought_final": seats_bought_final,
        "bought_seat_rate_final": _ratio(seats_bought_final, seats),
        **{f"seats_{part}_final": n for part, n in bought_split.items()},
        **{f"{part}_seat_rate_final": _ratio(n, seats) for part, n in bought_split.items()},
        "seats_changed_by_removals": int(model.results.get("seats_changed_by_removals", 0)),
        "seats_changed_by_removals_final": int(seats_differing(model.cf_elected, model.clean_elected, k).sum()),
        "clean_winners_removed_buyers": int((lost_clean_winner & paid).sum()),
        "clean_winners_removed_tainted": int((lost_clean_winner & tainted & ~paid).sum()),
        "clean_winners_removed_honest": int((lost_clean_winner & ~tainted & ~paid).sum()),
        "payer_seats": int(model.results.get("payer_seats", 0)),
        "payer_seat_rate": _ratio(model.results.get("payer_seats", 0), seats),
        "payer_seats_final": int((held & paid).sum()),
        "payer_seat_rate_final": _ratio((held & paid).sum(), seats),
        "merit_loss": _ratio(merit_clean - merit_held, seats),
        "merit_loss_removals": _ratio(merit_clean - merit_cf, seats),
        "merit_loss_buying": _ratio(merit_cf - merit_held, seats),
    }


def bribery_outcomes(model: ElectionModel) -> dict[str, Any]:
    """Delegates bribed, offers and their answers, and where the candidates' money went.

    ``money_spent`` (what buying cost the candidates) = ``broker_cut`` (brokers' commission on
    the bribes they paid) + ``bribe_money`` (what delegates received) + ``money_seized`` (funds
    held by brokers sanctioned before they could hand them back); ``money_handed`` to brokers
    less ``money_returned`` unspent at the end of the campaign is the same sum.  The prices:
    ``yuan_per_bribe`` (what a delegate received, the record's "yuan a vote"),
    ``yuan_per_delivered_vote`` and ``yuan_per_bought_seat`` (what the candidates spent for each
    mark delivered and each seat buying changed); each 0 when there is nothing to divide by.
    """
    w, c = model.world, model.counters
    spent = float(model.cand_spent.sum() - model.cand_returned.sum())
    seats_bought = seats_differing(model.cand_status == CandidateStatus.ELECTED, model.cf_elected, w.slots_per_township)
    return {
        "delegates_bribed": int(model.del_ever_bought.sum()),
        "bribed_share": _ratio(model.del_ever_bought.sum(), w.n_delegates),
        "offers": int(c["offers"]),
        "offers_accepted": int(c["offers_accepted"]),
        "acceptance_rate": _ratio(c["offers_accepted"], c["offers"]),
        "bribes_paid": int(c["bribes_paid"]),
        "offers_unpaid": int(c["offers_unpaid"]),
        "money_handed": float(model.cand_spent.sum()),
        "money_returned": float(c["money_returned"]),
        "money_seized": float(c["money_seized"]),
        "money_spent": spent,
        "broker_cut": float(model.contract_cut.sum()),
        "bribe_money": float(model.del_money.sum()),
        "yuan_per_bribe": _ratio(model.del_money.sum(), c["bribes_paid"]),
        "yuan_per_delivered_vote": _ratio(spent, model.results.get("bought_votes_delivered", 0)),
        "yuan_per_bought_seat": _ratio(spent, seats_bought.sum()),
    }


def tip_outcomes(model: ElectionModel) -> dict[str, Any]:
    """Hotline tips, what became of them, and how fast."""
    tips = model.tips
    closed = tips.status == TipStatus.CLOSED
    n_tips = len(tips)
    n_closed = int(closed.sum())
    return {
        "tips": n_tips,
        "tips_true": int(tips.is_true.sum()),
        "tips_closed": n_closed,
        "tips_substantiated": int(tips.substantiated.sum()),
        "tips_open_at_end": n_tips - n_closed,
        "substantiation_rate": _ratio(tips.substantiated.sum(), n_tips),
        "substantiation_rate_closed": _ratio(tips.substantiated.sum(), n_closed),
        "mean_resolution_days": float((tips.close_day - tips.day)[closed].mean()) if n_closed else 0.0,
        **deadline_compliance(model),
    }


def enforcement_outcomes(model: ElectionModel) -> dict[str, Any]:
    """Who was caught and removed, inspection's visits and finds, and candidates removed by kind."""
    w, c = model.world, model.counters
    removed = model.removed_candidates()
    tainted, paid = w.cand_tainted, model.vote_buyers()
    return {
        "detections": int(c["detections"]),
        "detected_before_vote": int(c["detected_before_vote"]),
        "brokers_removed": int(c["brokers_removed"]),
        "delegates_exposed": int(c["delegates_exposed"]),
        "delegates_sanctioned": int(c["delegates_sanctioned"]),
        "delegates_sanctioned_after_vote": int(c["delegates_sanctioned_after_vote"]),
        "candidates_disqualified": int(c["candidates_disqualified"]),
        "winners_unseated": int(c["winners_unseated"]),
        **people_sanctioned(model),
        "township_visits": int(c["township_visits"]),
        "townships_visited": int(c["townships_visited"]),
        "problems_found": int(c["problems_found"]),
        "problems_per_visit": _ratio(c["problems_found"], c["township_visits"]),
        # Inspection's finds split by kind: vote buying (a culprit broker sanctioned) and other
        # irregularities, so that the two rates can be compared with the record separately.
        "vote_buying_found_by_inspection": int(c["vote_buying_found_by_inspection"]),
        "vote_buying_finds_per_visit": _ratio(c["vote_buying_found_by_inspection"], c["township_visits"]),
        "other_problems_per_visit": _ratio(
            c["problems_found"] - c["vote_buying_found_by_inspection"], c["township_visits"]
        ),
        "visit_coverage": _ratio(c["townships_visited"], w.n_townships),
        "candidates_vetted": int(c["candidates_vetted"]),
        "tainted_candidates": int(tainted.sum()),
        "tainted_removed": int((removed & tainted).sum()),
        "honest_removed": int((removed & ~tainted & ~paid).sum()),
        "buyers_removed": int((removed & paid).sum()),
        "vetting_removed": int((model.cand_status == CandidateStatus.EXCLUDED).sum()),
        "mean_final_trust": float(model.trust.mean()),
    }


#: The channels through which people are sanctioned: the hotline's tips and the inspection teams.
SANCTION_CAUSES = ("hotline", "team_inspection")


def people_sanctioned(model: ElectionModel) -> dict[str, int]:
    """People sanctioned, by kind and by the channel that found them (volumes to set beside the record).

    ``people_sanctioned`` counts brokers removed, delegates sanctioned and candidates disqualified
    or unseated; ``people_sanctioned_<channel>`` and ``<kind>_<channel>`` split them by the
    hotline's tips and the inspection teams (Shanxi's 7 people disciplined came from 221 hotline tips).
    """
    c = model.counters
    kinds = ("brokers_removed", "delegates_sanctioned", "candidates_sanctioned")
    out = {
        "people_sanctioned": int(
            c["brokers_removed"] + c["delegates_sanctioned"] + c["candidates_disqualified"] + c["winners_unseated"]
        )
    }
    for cause in SANCTION_CAUSES:
        for kind in kinds:
            out[f"{kind}_{cause}"] = int(c[f"{kind}_{cause}"])
        out[f"people_sanctioned_{cause}"] = sum(out[f"{kind}_{cause}"] for kind in kinds)
    return out


#: Counts the congress day records in ``model.results`` (:func:`sim.model.voting.hold_congress`).
CONGRESS_COUNTS = (
    "ballots",
    "delegates_present",
    "seats_filled",
    "seats_first_round",
    "seats_vacant",
    "bought_votes_held",
    "bought_votes_delivered",
    "defections",
    "bribed_marks_for_payers",
    "seats_captured",
    "seats_vacated",
    "seats_displaced",
    "delegates_holding_bribes",
    "seats_postponed",
    "ballots_without_competition",
)


def congress_counts(model: ElectionModel) -> dict[str, Any]:
    """Congress day's counts: ballots, seats filled and vacant, bought marks held and delivered."""
    out: dict[str, Any] = {key: int(model.results.get(key, 0)) for key in CONGRESS_COUNTS}
    out["defection_rate"] = _ratio(out["defections"], out["bought_votes_held"])
    out["ballots_without_competition_share"] = _ratio(out["ballots_without_competition"], model.world.n_townships)
    out["seats_refilled"] = int(model.counters["seats_refilled"])
    return out


def intervention_costs(model: ElectionModel) -> dict[str, Any]:
    """Each intervention's units, cost (staff-days) and own outcomes, and the total cost.

    ``cost_per_100_townships`` is the total per 100 townships, so that provinces of different sizes
    compare: most costs grow with the townships, delegates or candidates reached.
    """
    out: dict[str, Any] = {}
    total = 0.0
    for iv in model.interventions:
        out[f"units_{iv.name}"] = float(iv.units)
        out[f"cost_{iv.name}"] = float(iv.cost())
        for k, v in iv.outcomes.items():
            out[f"{iv.name}_{k}"] = v
        total += iv.cost()
    out["cost_total"] = total
    out["cost_per_100_townships"] = 100.0 * total / model.world.n_townships
    return out


def patronage_outcomes(model: ElectionModel) -> dict[str, Any]:
    """Patronage and the networks that carry it from one election to the next (:mod:`sim.model.terms`)."""
    w, c = model.world, model.counters
    return {
        "patrons": int(c["patrons"]),
        "posts_sold": int(c["posts_sold"]),
        "patronage_rents": float(c["patronage_rents"]),
        "patronage_candidate_share": _ratio(
            (model.cand_patronage & model.initial_slate).sum(), model.initial_slate.sum()
        ),
        "reserves_nominated": int(c["reserves_nominated"]),
        "broker_ties_active": int((model.tie_active & model.broker_active[w.tie_broker]).sum()),
        "brokers_at_work": int(model.broker_active.sum()),
    }


def upper_tail(model: ElectionModel) -> dict[str, float]:
    """How far vote buying went in the worst places: the upper tail compared with the worst cases.

    ``township_bribed_share_p95`` and ``_max``: the 95th percentile and the maximum over townships
    of the share of a township's delegates who ever took a bribe; ``county_payer_seat_rate_max``:
    the largest share of a county's seats held (at the end) by candidates who paid brokers.
    """
    w = model.world
    bribed = np.bincount(w.township[model.del_ever_bought], minlength=w.n_townships) / w.town_size
    held_paid = (model.cand_status == CandidateStatus.ELECTED) & model.vote_buyers()
    county_of_cand = w.town_county[w.cand_township]
    n_counties = int(w.town_county.max()) + 1
    seats = np.bincount(w.town_county, minlength=n_counties) * model.cfg.world.seats_per_township
    paid_seats = np.bincount(county_of_cand[held_paid], minlength=n_counties)
    return {
        "township_bribed_share_p95": float(np.quantile(bribed, 0.95)),
        "township_bribed_share_max": float(bribed.max()),
        "county_payer_seat_rate_max": float((paid_seats / np.maximum(seats, 1)).max()),
    }


#: Outcomes reported term by term (``term<t>_<key>`` keys and the terms table) when a run has
#: several terms.
TERM_KEYS = (
    "captured_seat_rate_final",
    "seats_captured_final",
    "bought_seat_rate_final",
    "seats_bought_final",
    "payer_seat_rate_final",
    "bribed_share",
    "buyers",
    "honest_removed",
    "merit_loss",
    "patrons",
    "posts_sold",
    "patronage_rents",
    "patronage_candidate_share",
    "broker_ties_active",
    "brokers_at_work",
    "cost_total",
)
#: Keys that describe the province, and the state it ends in: the last term's value.
LAST_KEYS = (
    "scenario",
    "seed",
    "interventions",
    "townships",
    "delegates",
    "candidates",
    "brokers",
    "term",
    "brokers_at_work",
    "broker_ties_active",
    "mean_final_trust",
)
#: Name endings (and starts) of rates, shares and means: averaged over terms.  Everything else
#: counts events or money (seats included: the horizon has ``terms`` times the seats) and is summed.
MEAN_SUFFIXES = (
    "_rate",
    "_rate_final",
    "_rate_closed",
    "_share",
    "_within_deadline",
    "_within_deadline_closed",
    "_per_visit",
    "_coverage",
    "_p95",
    "_max",
)
MEAN_PREFIXES = ("merit_loss", "mean_", "yuan_per_")


def combine_rule(key: str) -> str:
    """How a summary key is combined over terms: ``last``, ``mean`` or ``sum``."""
    if key in LAST_KEYS:
        return "last"
    if key.endswith(MEAN_SUFFIXES) or key.startswith(MEAN_PREFIXES):
        return "mean"
    return "sum"


def per_term_costs(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Term rows with cost and unit keys turned from running totals into each term's own."""
    out, previous = [], {}
    for row in rows:
        row = dict(row)
        for key, value in list(row.items()):
            if key.startswith(("cost_", "units_")):
                row[key] = value - previous.get(key, 0.0)
                previous[key] = value
        out.append(row)
    return out


def combine_terms(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The run's summary over several terms, with each term's key outcomes as ``term<t>_`` keys.

    Counts (seats and seats bought, tips, posts sold, rents, costs) are summed over the terms;
    rates and shares (``bought_seat_rate_final`` among them: every term has as many seats, so the
    mean is the share of all the horizon's seats) are averaged; keys describing the province and
    the state it ends in are the last term's (:func:`combine_rule`).
    """
    rows = per_term_costs(rows)
    out: dict[str, Any] = {"terms": len(rows)}
    for key, last in rows[-1].items():
        values = [row.get(key, 0) for row in rows]
        rule = combine_rule(key)
        if rule == "last" or not isinstance(last, (int, float)) or isinstance(last, bool):
            out[key] = last
        elif rule == "mean":
            out[key] = float(np.mean(values))
        else:
            total = sum(values)
            out[key] = int(total) if isinstance(last, int) else float(total)
    for t, row in enumerate(rows, start=1):
        for key in TERM_KEYS:
            out[f"term{t}_{key}"] = row[key]
    return out
