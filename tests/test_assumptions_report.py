"""End to end: a tiny layered compare_posterior sweep reports claims by layer and the assumptions behind the lead."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import run_sweep

TINY = [
    "experiment=compare_posterior",
    "scenario=county",
    "world.n_counties=2",
    "world.n_townships=12",
    "schedule.campaign_days=12",
    "schedule.post_election_days=6",
    "investigation.direct_days=5",
    "investigation.supervised_days=6",
    "replicates=1",
    "sensitivity.n_samples=16",
    "hydra/launcher=basic",
    "report.enabled=false",
]


@pytest.fixture(scope="module")
def layered_sweep(tmp_path_factory):
    from sim.report.write import write_report

    d = tmp_path_factory.mktemp("layered")
    run_sweep(d, "policy=none,warning_education,pledges_talks", *TINY)
    write_report(d)
    return d


def test_the_report_gives_each_claim_in_three_layers_and_the_sensitivity_of_the_lead(layered_sweep):
    out = layered_sweep / "report"
    probs = pd.read_csv(out / "claims_by_layer.csv")
    assert {"p_a", "p_b", "p_c", "verdict_a", "verdict_c"} <= set(probs.columns)
    assert set(probs.claim) >= {"best", "efficient", "budget"}
    best = probs[probs.claim == "best"]
    for layer in "abc":  # the best arm's shares of one layer's draws add up to one
        assert best[f"p_{layer}"].sum() == pytest.approx(1.0)
    lead = pd.read_csv(out / "assumptions_0.csv")
    assert {"parameter", "S1", "floor", "above_noise", "switching_value"} <= set(lead.columns)
    assert (out / "assumptions_0.png").is_file()
    page = (out / "report.md").read_text()
    first_screen = page.split("## The answer")[1].split("\n## ")[0]
    assert "What we assumed" in page and "of draws under seed noise alone" in first_screen


def test_the_layers_share_seeds_and_only_layer_c_varies_the_assumptions(layered_sweep):
    runs = pd.read_parquet(layered_sweep / "runs.parquet")
    n = 16
    runs["layer"] = runs["sample"] // n
    key = "in.interventions.pledges_talks.candidate_commitment"
    assert runs[runs.layer < 2][key].nunique() == 1 and runs[runs.layer == 2][key].nunique() == n
    seeds = runs.groupby(runs["sample"] % n)["seed"].nunique()
    assert (seeds == 1).all()  # draw i runs on the same seed in every layer and arm
