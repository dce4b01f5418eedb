"""The first screen in plain words: five short sentences per case, each number the one the table prints.

Cases: a planted best arm with a cheaper near-best one, all noise, a best arm that harms, a single
arm. The sentences' numbers are checked against the cells of the key table the page prints under
them (``numbers_match``, also used on real reports in ``tests/test_report_layout.py``).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from sim.report.first_screen import plain_screen
from sim.report.numbers import cell_text
from sim.stats.outcomes import HEADLINE
from sim.stats.paired import paired_effects
from sim.sweeps.experiment import ReportSettings

SEATS = 36  # a county's congress (FACTS.md: townships elect a few dozen deputies)
OUTCOMES = [HEADLINE, "vacated_seat_rate_final", "honest_removed", "merit_loss_removals"]

#: Words the first screen must not use (they belong to the details and the glossary).
JARGON = ("Holm", "ICER", "extendedly", "dominated", "p-value", "family-wise", "t interval")


def sweep(
    effects: dict[str, float], harms: dict[str, float] | None = None, seeds: int = 12, seed: int = 1
) -> pd.DataFrame:
    """No intervention and the arms of ``effects`` (planted change of the captured share) on shared seeds.

    Costs rise 100 staff-days an arm in the order given; ``harms`` plants extra honest candidates removed.
    """
    rng = np.random.default_rng(seed)
    level = rng.uniform(0.08, 0.2, seeds)
    vacated = rng.uniform(0.01, 0.05, seeds)
    rows = []
    for i, arm in enumerate(["none", *effects]):
        shift = 0.0 if arm == "none" else effects[arm] + rng.normal(0, 0.01, seeds)
        extra = 0.0 if arm == "none" else (harms or {}).get(arm, 0.0) + rng.normal(0, 0.05, seeds)
        for s in range(seeds):
            rows.append(
                {
                    "arm": arm,
                    "interventions": arm,
                    "scenario": "county",
                    "seed": s,
                    HEADLINE: max(level[s] + (0.0 if arm == "none" else shift[s]), 0.0),
                    "vacated_seat_rate_final": vacated[s],
                    "honest_removed": 1.0 + (0.0 if arm == "none" else extra[s]),
                    "merit_loss_removals": 0.0,
                    "seats": SEATS,
                    "cost_total": 100.0 * i,
                }
            )
    return pd.DataFrame(rows)


def screen(runs: pd.DataFrame) -> tuple[list[str], pd.DataFrame]:
    """The five sentences and the key table of ``runs`` (no cost-effectiveness table)."""
    effects = paired_effects(runs, OUTCOMES, "none")
    return plain_screen(runs, effects, "none", None, ReportSettings())


def plain(text: str) -> str:
    """A sentence without its markdown bold."""
    return text.replace("**", "")


def numbers_match(sentences: list[str], cells: set[str]) -> list[str]:
    """The numbers in ``sentences`` that no table cell prints (empty: every number is the table's).

    Shares (``80%``) are rules, not results, and are not matched.

    A number is matched with its sign dropped (a sentence says "3.2 fewer" where a cell says -3.2),
    and an interval's ends are matched in the cell that prints the interval.
    """
    printed = {c.lstrip("-") for c in cells if c}
    for c in cells:
        printed |= {n.lstrip("-+") for n in re.findall(r"[-+]?\d[\d,]*\.?\d*", c)}
    # "per 100 seats" is the unit and "at least 80%" the rule that picks the value-for-money arm
    found = [n.rstrip(".").rstrip(",") for s in sentences for n in re.findall(r"\d[\d,]*\.?\d*(?![\d%])", plain(s))]
    return [n for n in found if n not in printed and n != "100"]


def table_cells(table: pd.DataFrame) -> set[str]:
    """Every cell of the table as the page prints it."""
    return {cell_text(v) for v in table.to_numpy().ravel()}


def check_plain(sentences: list[str]) -> None:
    """Short sentences without jargon."""
    for s in sentences:
        assert len(plain(s).split()) <= 32, s
        assert not any(j in s for j in JARGON), s


def test_a_planted_best_arm_is_named_with_its_interval_value_harms_and_what_is_left():
    runs = sweep({"strong": -0.08, "cheap": -0.075, "weak": -0.01}, harms={"cheap": -0.5}, seeds=12)
    runs.loc[runs.arm == "cheap", "cost_total"] = 50.0  # cheaper than the strong arm, most of its effect
    sentences, table = screen(runs)
    check_plain(sentences)
    assert numbers_match(sentences[:-1], table_cells(table)) == []
    first = plain(sentences[0])
    assert first.startswith("Strong prevents the most captured seats") and "between" in first
    row = table.set_index("arm").loc["Strong"]
    assert float(row["captured seats prevented per 100 seats"]) == pytest.approx(8.0, abs=1.0)
    assert f"between {row['95% CI (between)'].replace(' to ', ' and ')}" in first
    assert "Best value for money: Cheap" in plain(sentences[1])
    harms = [plain(s) for s in sentences if "honest candidates a round" in s]
    assert [h.split(" prevents")[0] for h in harms] == ["Strong", "Cheap"]
    fewer = cell_text(table.set_index("arm").loc["Cheap", "honest candidates removed (change)"])
    assert float(fewer) == pytest.approx(-0.5, abs=0.1)  # the cheap arm removes fewer honest candidates
    assert f"and removes {fewer.lstrip('-')} fewer honest candidates a round" in harms[1]
    assert any(plain(s).startswith("What is left: under Strong") for s in sentences)
    assert plain(sentences[-1]).startswith("How sure: 12 replicates per arm")


def test_all_noise_names_no_best_and_says_so_once():
    runs = sweep({"a": 0.0, "b": 0.0, "c": 0.0}, seeds=4)
    sentences, table = screen(runs)
    check_plain(sentences)
    text = " ".join(plain(s) for s in sentences)
    assert sentences[0] == "No arm is distinguishable from no intervention, so none is named best."
    assert "prevents the most" not in text and "value for money" not in text and "What is left" not in text
    assert text.count("distinguishable") == 1
    assert numbers_match(sentences[1:-1], table_cells(table)) == []


def test_a_best_arm_that_harms_says_its_harm_in_the_sentence_of_its_benefit():
    runs = sweep({"harsh": -0.08, "mild": -0.02}, harms={"harsh": 3.0}, seeds=12)
    sentences, table = screen(runs)
    check_plain(sentences)
    harsh = next(plain(s) for s in sentences if s.startswith("**Harsh** prevents") and "honest" in s)
    removed = cell_text(table.set_index("arm").loc["Harsh", "honest candidates removed (change)"])
    assert float(removed) == pytest.approx(3.0, abs=0.2)
    assert f"but removes {removed} more honest candidates a round" in harsh
    assert numbers_match(sentences[:-1], table_cells(table)) == []


def test_a_single_arm_is_not_called_best_among_others():
    runs = sweep({"only": -0.06}, seeds=8)
    sentences, table = screen(runs)
    check_plain(sentences)
    first = plain(sentences[0])
    assert first.startswith("Only, the only arm run, prevents") and "any other arm" not in first
    assert numbers_match(sentences[:-1], table_cells(table)) == []


def test_numbers_match_finds_a_number_the_table_does_not_print():
    cells = {"3.2", "1.0 to 5.4", "-0.5"}
    assert numbers_match(["**A** prevents 3.2 (between 1.0 and 5.4) and 0.5 fewer."], cells) == []
    assert numbers_match(["**A** prevents 3.3 seats."], cells) == ["3.3"]
