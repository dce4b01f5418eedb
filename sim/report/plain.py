"""The first screen in plain words: five short sentences and the small table their numbers come from.

The five sentences say (1) which arm prevents most seats, with its interval in words; (2) the best
value for money; (3) the harms of each arm named, in the sentence that gives its benefit; (4) what
is left under the best arm; (5) how sure the answer is and what would change it.  Every number in
sentences 1 to 4 is read from the cells of :func:`key_table` as the page prints them, so a sentence
and the table below it can never disagree; sentence 5's numbers are the replicate count and the
harm weight at which the choice flips, both said again in the details under the table.

No claim is made here: "best", "distinguishable" and the value-for-money arm come from the tested
functions of :mod:`sim.report.sentences`, :mod:`sim.stats.cea` and :mod:`sim.stats.net_benefit`
(``Best``, ``near_best_arm``, the frontier table, ``flip_weight``); this module only words them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from sim.report.net_benefit import seats_word
from sim.report.numbers import cell_text
from sim.report.sentences import NEAR_BEST_SHARE, Best, best_sentence, fmt_icer
from sim.report.style import arm_name
from sim.stats.outcomes import outcome
from sim.stats.paired import arm_means

#: The first screen's table shows at most this many arms (the full table further down shows all).
KEY_ROWS = 10


@dataclass
class Columns:
    """The key table's column names for one ranking outcome (``seats`` says what is counted)."""

    seats: str

    @property
    def prevented(self) -> str:
        """Seats prevented against no intervention (positive: fewer)."""
        return f"{self.seats} prevented per 100 seats"

    @property
    def between(self) -> str:
        """The interval of seats prevented."""
        return "95% CI (between)"

    @property
    def left(self) -> str:
        """The seats still counted under the arm."""
        return f"{self.seats} left per 100 seats"

    cost: str = "cost (staff-days)"
    icer: str = "staff-days per extra seat (ICER)"
    honest: str = "honest candidates removed (change)"
    vacated: str = "vacated seats per 100 (change)"
    merit: str = "merit lost per seat (change)"


def _signed(value: float, digits: int) -> float:
    """Rounded for display, with no "-0"."""
    return round(float(value), digits) + 0.0


def _tenth(value: float) -> str:
    """Seats per 100 to one decimal, as the sentences say them ("1.0", not "1")."""
    return f"{_signed(value, 1):.1f}"


def _effect_row(e: pd.Series | None, key: str, cols: Columns) -> dict[str, Any]:
    """Seats prevented per 100 seats (positive: fewer seats) and its interval in words."""
    o = outcome(key)
    sign = -1.0 if o.better == "lower" else 1.0
    if e is None:
        return {cols.prevented: "0.0", cols.between: "(reference)"}
    lo, hi = sorted((sign * o.scale * e.ci_low, sign * o.scale * e.ci_high))
    ci = f"{_signed(lo, 1):.1f} to {_signed(hi, 1):.1f}" if pd.notna(lo) and pd.notna(hi) else "no interval"
    return {cols.prevented: _tenth(sign * o.scale * e["diff"]), cols.between: ci}


def _harm_row(effects: pd.DataFrame, arm: str, cols: Columns) -> dict[str, float]:
    """The change in honest candidates removed, vacated seats (per 100) and merit lost per seat."""
    out = {}
    for name, key, scale, digits in (
        (cols.honest, "honest_removed", 1.0, 2),
        (cols.vacated, "vacated_seat_rate_final", 100.0, 1),
        (cols.merit, "merit_loss_removals", 1.0, 2),
    ):
        rows = effects[(effects.outcome == key) & (effects.arm == arm)]
        if key in set(effects.outcome):
            out[name] = _signed(scale * float(rows["diff"].iloc[0]), digits) if len(rows) else 0.0
    return out


def key_table(
    runs: pd.DataFrame,
    effects: pd.DataFrame,
    order: list[str],
    key: str,
    ce: pd.DataFrame | None = None,
    cost_column: str = "cost_total",
    named: list[str] | None = None,
) -> pd.DataFrame:
    """The first screen's table: per arm, seats prevented with interval, cost, harms and what is left.

    Args:
        runs: One row per run.
        effects: Paired effects against no intervention (one row per arm and outcome).
        order: Arms, no intervention first, most effective next.
        key: The ranking outcome.
        ce: The cost-effectiveness table, or None; an arm's ICER is shown when its step up the frontier
            is shown distinguishable from zero (the full table has every ICER).
        cost_column: ``cost_total`` or ``cost_per_100_townships`` (worlds of different sizes).
        named: Arms the sentences name; kept when the table is cut to :data:`KEY_ROWS` arms.
    """
    cols = Columns(seats_word(key))
    head = effects[effects.outcome == key].set_index("arm")
    left = arm_means(runs, [key]).set_index("arm")["mean"]
    costs = runs.groupby("arm")[cost_column].mean()
    icers = ce.set_index("arm") if ce is not None else None
    keep = order[:KEY_ROWS] + [a for a in named or [] if a in order[KEY_ROWS:]]
    rows = []
    for arm in keep:
        row: dict[str, Any] = {"arm": arm_name(arm)}
        row.update(_effect_row(head.loc[arm] if arm in head.index else None, key, cols))
        cost_name = cols.cost if cost_column == "cost_total" else "cost per 100 townships (staff-days)"
        row[cost_name] = round(float(costs[arm]))
        if icers is not None:
            c = icers.loc[arm] if arm in icers.index else None
            shown = c is not None and bool(c.reference) and bool(c.get("shown", False))
            row[cols.icer] = fmt_icer(c.icer) if shown else ""  # only a step shown distinguishable
        row.update(_harm_row(effects, arm, cols))
        row[cols.left] = _tenth(outcome(key).scale * float(left[arm]))
        rows.append(row)
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------ the sentences
def _cells(table: pd.DataFrame) -> dict[str, dict[str, str]]:
    """Each arm's row of the key table as the page prints it (display name -> column -> text)."""
    return {r["arm"]: {c: cell_text(v) for c, v in r.items()} for r in table.to_dict("records")}


def best_words(best: Best | None, table: pd.DataFrame, key: str, alone: bool = False) -> str:
    """Sentence 1: the arm that prevents most seats, by how much, with its interval in words.

    ``alone``: the sweep has one arm besides no intervention (nothing to be best among).
    """
    cols, word = Columns(seats_word(key)), seats_word(key)
    if best is None:
        return best_sentence(None, key, 0.0)  # the detailed sentence's words: said once on the page
    row = _cells(table)[arm_name(best.arm)]
    how = f"{row[cols.prevented]} per 100 seats (between {row[cols.between].replace(' to ', ' and ')})"
    if best.tied:
        names = " and ".join(f"**{arm_name(a)}**" for a in [best.arm, *best.tied])
        return f"{names} tie for preventing most {word}: {how} each."
    if alone:
        only = f"**{arm_name(best.arm)}**, the only arm run, prevents {word}"
        return f"{only}: {how}, distinguishably more than doing nothing."
    text = f"**{arm_name(best.arm)}** prevents the most {word}: {how}"
    if best.indistinct:
        others = _names(best.indistinct) if len(best.indistinct) <= 2 else f"{len(best.indistinct)} other arms"
        return text + f", though {others} cannot be told apart from it."
    return text + ", distinguishably more than any other arm."


def value_words(
    best: Best | None, near: str | None, table: pd.DataFrame, key: str, ce: pd.DataFrame | None = None
) -> str:
    """Sentence 2: the cheapest arm with most of the best effect, or the efficient step below the best."""
    if best is None:
        return ""
    cols, cells = Columns(seats_word(key)), _cells(table)
    cost = next(c for c in table.columns if c.startswith("cost"))
    unit = "staff-days" if cost == cols.cost else "staff-days per 100 townships"
    share = f"at least {NEAR_BEST_SHARE:.0%} of the best effect"
    if near is not None and near != best.arm:
        row = cells[arm_name(near)]
        return (
            f"Best value for money: **{arm_name(near)}** gives {share}, {row[cols.prevented]} per 100 seats, "
            f"for {row[cost]} {unit} against {cells[arm_name(best.arm)][cost]} for {arm_name(best.arm)}."
        )
    step = _shown_step(best.arm, ce)
    if step is None:
        return f"No cheaper arm gives {share}; {arm_name(best.arm)} costs {cells[arm_name(best.arm)][cost]} {unit}."
    lower = cells.get(arm_name(step))
    if lower is None:
        return f"No cheaper arm gives {share}."
    return (
        f"No cheaper arm gives {share}; the next efficient step down is **{arm_name(step)}** at {lower[cost]} "
        f"{unit}, and going on costs {cells[arm_name(best.arm)][cols.icer]} staff-days per extra seat."
    )


def _shown_step(best: str, ce: pd.DataFrame | None) -> str | None:
    """The efficient arm the best arm's step is measured from, when both steps are shown (else None)."""
    if ce is None:
        return None
    t = ce.set_index("arm")
    if best not in t.index or not t.loc[best, "reference"]:
        return None
    ref = t.loc[best, "reference"]
    if ref not in t.index or not t.loc[ref, "reference"]:
        return None  # the step from no intervention is the best arm's own effect
    ok = bool(t.loc[best, "shown"]) and bool(t.loc[ref, "shown"]) and t.loc[best, "step_from"] == ref
    return str(ref) if ok else None


def harm_words(arms: list[str], table: pd.DataFrame, key: str) -> list[str]:
    """Sentence 3: each named arm's benefit and harms in one sentence."""
    cols, cells = Columns(seats_word(key)), _cells(table)
    out = []
    for arm in arms:
        row = cells.get(arm_name(arm))
        if row is None or cols.honest not in row:
            continue
        values = [row[cols.honest]]
        bits = [f"removes {_more(row[cols.honest])} honest candidates a round"]
        if cols.vacated in row:
            values.append(row[cols.vacated])
            bits.append(f"leaves {_more(row[cols.vacated])} seats vacated per 100")
        if cols.merit in row:
            values.append(row[cols.merit])
            bits.append(f"loses {_more(row[cols.merit])} merit per seat")
        but = "but" if any(v not in ("", "0") and not v.startswith("-") for v in values) else "and"
        listed = ", ".join(bits[:-1]) + " and " + bits[-1] if len(bits) > 1 else bits[0]
        out.append(
            f"**{arm_name(arm)}** prevents {row[cols.prevented]} {seats_word(key)} per 100 seats {but} {listed}."
        )
    return out


def _more(text: str) -> str:
    """``1.2 more``, ``0.3 fewer`` or ``no more`` from a signed table cell."""
    if text in ("0", ""):
        return "no more"
    return f"{text.lstrip('-')} fewer" if text.startswith("-") else f"{text} more"


def left_words(best: Best | None, base: str | None, table: pd.DataFrame, key: str) -> str:
    """Sentence 4: what is left under the best arm, against no intervention."""
    cols, cells = Columns(seats_word(key)), _cells(table)
    none = cells.get(arm_name(base)) if base is not None else None
    if best is None:
        if none is None:
            return ""
        return f"With no intervention, {none[cols.left]} of every 100 seats are {_state(key)}."
    row = cells[arm_name(best.arm)]
    against = f", against {none[cols.left]} with no intervention" if none is not None else ""
    under = f"What is left: under {arm_name(best.arm)}"
    return f"{under}, {row[cols.left]} of every 100 seats are still {_state(key)}{against}."


def sure_words(runs: pd.DataFrame, best: Best | None, flip: Any | None, weight: float, key: str) -> str:
    """Sentence 5: how many replicates, and what would change the answer."""
    n = int(runs.groupby("arm").size().min())
    if n < 2:
        return "One replicate per arm measures no chance at all: run more replicates before trusting any of this."
    reps = f"{n} replicates per arm"
    if best is None:
        return f"How sure: {reps}; more replicates could show an effect too small for this sweep to see."
    if flip is None:  # not weighed (worlds of different sizes): the replicates alone
        return f"How sure: {reps}; the details below say what each interval covers."
    if flip.weight is None:
        return f"How sure: {reps}; the answer holds however the harm to honest candidates is weighed."
    side = "below" if weight < flip.weight else "at or above"
    return (
        f"How sure: {reps}; the choice changes if one honest candidate removed counts as more than "
        f"{flip.weight:.2g} {seats_word(key)} (this report counts it as {weight:g}, {side} that)."
    )


def _state(key: str) -> str:
    """What the counted seats are: ``captured`` from ``captured seats``, ``seats held by payers`` as it is."""
    word = seats_word(key)
    return word.removesuffix(" seats")


def _names(arms: list[str]) -> str:
    """Display names joined with commas and a final "and"."""
    names = [arm_name(a) for a in arms]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def five_sentences(
    runs: pd.DataFrame,
    best: Best | None,
    near: str | None,
    base: str | None,
    table: pd.DataFrame,
    key: str,
    ce: pd.DataFrame | None = None,
    flip: Any | None = None,
    weight: float = 1.0,
) -> list[str]:
    """The first screen: best effect, best value, harms of the arms named, what is left, how sure."""
    named = [a for a in dict.fromkeys([best.arm if best else None, near]) if a]
    lines = [
        best_words(best, table, key, alone=runs.arm.nunique() <= 2),
        value_words(best, near, table, key, ce),
        *harm_words(named, table, key),
        left_words(best, base, table, key),
        sure_words(runs, best, flip, weight, key),
    ]
    return [x for x in lines if x]
