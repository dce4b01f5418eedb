"""The calibration targets hold at a reduced scale, and the validation patterns are reproduced."""

from __future__ import annotations

import pandas as pd
import pytest
from omegaconf import OmegaConf

from sim import simulate
from sim.analysis.calibration import TARGETS, calibration_loss, calibration_table
from sim.analysis.patterns import run_patterns
from sim.config import flatten, to_dict
from sim.model.streams import replicate_seed
from tests.conftest import ROOT


def as_deployed(scale: str) -> dict:
    cfg = OmegaConf.merge(
        OmegaConf.load(ROOT / "conf" / "scenario" / f"{scale}.yaml"),
        OmegaConf.load(ROOT / "conf" / "policy" / "as_deployed.yaml"),
    )
    return OmegaConf.to_container(cfg)


@pytest.fixture(scope="module")
def city_runs() -> pd.DataFrame:
    rows = []
    for r in range(6):
        result = simulate(as_deployed("city"), seed=replicate_seed(7, r), keep_model=True)
        assert result.model is not None
        inputs = {f"in.{k}": v for k, v in flatten(to_dict(result.model.cfg)).items()}
        rows.append({**result.summary, **inputs})
    return pd.DataFrame(rows)


def test_every_calibration_target_is_met_at_city_scale(city_runs):
    table = calibration_table(city_runs)
    assert list(table.columns[:7]) == [
        "target",
        "observed",
        "simulated_mean",
        "ci_low",
        "ci_high",
        "tolerance",
        "within",
    ]
    assert len(table) == len(TARGETS)
    missed = table[~table.within]
    assert missed.empty, missed.to_string()


def test_calibration_loss_rises_away_from_the_fit():
    fitted = [simulate(as_deployed("city"), seed=s).summary for s in range(3)]
    off = [
        simulate(as_deployed("city"), seed=s, **{"investigation.p_substantiate_true": 0.5}).summary for s in range(3)
    ]
    assert calibration_loss(off) > calibration_loss(fitted) + 5


@pytest.mark.slow
def test_validation_patterns_are_reproduced():
    patterns, grid, spill = run_patterns(list(range(8)))  # 4 seeds leave the S-shape within seed noise
    failed = patterns[~patterns.holds]
    assert failed.empty, failed.to_string()
    assert len(grid) > 40 and set(spill.townships) == {"visited", "never visited"}
    from sim.analysis.plots import spillover_plot, threshold_plot

    assert threshold_plot(grid).axes and spillover_plot(spill).axes
