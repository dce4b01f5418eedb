"""The first screen's words on what the headline counts and on benefit against harm.

The split of the seats buying changed (captured, vacated, displaced), and the net benefit of each
arm: seats prevented on the ranking outcome less ``report.harm_weight`` times the extra honest
candidates removed (:mod:`sim.stats.net_benefit`, whose tests license "best by net benefit").
"""

from __future__ import annotations

import math

import pandas as pd

from sim.report.sentences import Best
from sim.report.style import arm_name
from sim.stats.net_benefit import best_by_net_benefit, flip_weight, net_benefit_pairs
from sim.stats.outcomes import HARM

#: What a seat counted by each rankable outcome is called in sentences.
SEATS_WORD = {
    "captured_seat_rate_final": "captured seats",
    "vacated_seat_rate_final": "vacated seats",
    "displaced_seat_rate_final": "displaced seats",
    "bought_seat_rate_final": "bought seats",
    "payer_seat_rate_final": "seats held by payers",
}


def seats_word(key: str) -> str:
    """``captured seats``, ``bought seats`` ...: the seats the ranking outcome counts."""
    return SEATS_WORD.get(key, "seats")


def split_sentence(runs: pd.DataFrame, base: str | None) -> str:
    """The seats buying changed under no intervention, split into captured, vacated and displaced."""
    parts = ("captured", "vacated", "displaced")
    cols = ["seats_bought_final", *(f"seats_{p}_final" for p in parts)]
    if base is None or not set(cols) <= set(runs):
        return ""
    none = runs[runs.arm == base]
    m = none[cols].mean()
    text = (
        f"With no intervention vote buying changes {m['seats_bought_final']:.1f} seats per election round after "
        f"unseating: {m['seats_captured_final']:.1f} **captured** (won by a candidate who paid and would have "
        f"lost without bribes), {m['seats_vacated_final']:.1f} **vacated** (no majority because bought marks "
        f"split it) and {m['seats_displaced_final']:.1f} **displaced** (another candidate won)."
    )
    money = ("money_spent", "bought_votes_delivered", "bribe_money", "bribes_paid")
    if set(money) <= set(runs) and none["bought_votes_delivered"].sum() > 0 and none["bribes_paid"].sum() > 0:
        per_vote = none["money_spent"].sum() / none["bought_votes_delivered"].sum()
        per_bribe = none["bribe_money"].sum() / none["bribes_paid"].sum()
        text += (
            f" Buyers spend {per_vote:,.0f} yuan for each bought mark delivered, and a delegate receives "
            f"{per_bribe:,.0f} yuan a bribe (the record's township prices: 50-500 yuan a vote)."
        )
    return text


def net_benefit_column(runs: pd.DataFrame, base: str | None, key: str, weight: float) -> pd.Series | None:
    """Mean net benefit of each arm (seats per election round; no intervention 0), or None without a baseline."""
    if base is None or not {"seats", "cost_total", HARM, key} <= set(runs):
        return None
    mean = net_benefit_pairs(runs, key, base, weight).mean()
    return mean.rename(f"net benefit (seats, harm weight {weight:g})")


def net_benefit_sentence(runs: pd.DataFrame, base: str, key: str, weight: float, best: Best | None) -> str:
    """The best arm by net benefit beside the best on the ranking outcome, and where the choice flips."""
    word = seats_word(key)
    head = (
        f"Benefit and harm together (net benefit: {word} prevented less {weight:g} for each extra honest "
        f"candidate removed, `report.harm_weight`): "
    )
    nb = best_by_net_benefit(runs, key, base, weight)
    if nb is None:
        text = "no arm's net benefit is distinguishable from no intervention's, so none is named best by net benefit."
    elif not nb.is_best:
        rivals = ", ".join(arm_name(a) for a in [*nb.tied, *nb.indistinct])
        text = (
            f"{arm_name(nb.arm)} has the largest net benefit, {_net(nb.effect)}, but the data cannot tell it "
            f"from {rivals} (paired, Holm-adjusted), so none is named best by net benefit."
        )
    else:
        text = (
            f"best by net benefit: **{arm_name(nb.arm)}**, {_net(nb.effect)}, distinguishable from every other arm "
            "(paired, Holm-adjusted)."
        )
        if best is not None and not best.tied and not best.indistinct:
            text += (
                " It is also the best arm on " + word + "."
                if best.arm == nb.arm
                else f" It differs from the best arm on {word}, {arm_name(best.arm)}."
            )
    return head + text + " " + flip_sentence(runs, base, key, weight)


def flip_sentence(runs: pd.DataFrame, base: str, key: str, weight: float) -> str:
    """At which harm weight the arm with the largest mean net benefit stops being the one with most seats prevented."""
    flip = flip_weight(runs, key, base)
    first = arm_name(flip.first)
    if flip.weight is None or flip.then is None:
        return (
            f"On the means, {first} has the largest net benefit at every weight (no arm that prevents fewer "
            "seats removes fewer honest candidates)."
        )
    then = "no intervention" if flip.then == base else arm_name(flip.then)
    side = "below" if weight < flip.weight else "at or above"
    return (
        f"On the means, {first} (most {seats_word(key)} prevented) has the largest net benefit up to a weight of "
        f"{flip.weight:.2g}, and {then} above it; this report's weight, {weight:g}, is {side} it."
    )


def _net(effect: pd.Series) -> str:
    """A net benefit with its 95% interval, in seats per election round."""
    value = f"{effect.net_benefit:+.1f} seats per election round"
    if math.isfinite(effect.ci_low) and math.isfinite(effect.ci_high):
        return f"{value} (95% CI {effect.ci_low:+.1f} to {effect.ci_high:+.1f})"
    return f"{value} (no 95% CI)"
