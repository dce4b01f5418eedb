"""A fixed-seed regression baseline: any change in what the model outputs is caught.

Refresh with ``python tests/refresh_baseline.py`` after an intended change, and review the diff.
"""

from __future__ import annotations

import json

import pytest

from tests.refresh_baseline import BASELINE_DIR, CASES, baseline_summary


@pytest.mark.parametrize("case", list(CASES))
def test_summary_matches_baseline(case):
    expected = json.loads((BASELINE_DIR / f"{case}.json").read_text())
    actual = baseline_summary(case)
    assert set(actual) == set(expected)
    for key, value in expected.items():
        if isinstance(value, float):
            assert actual[key] == pytest.approx(value, rel=1e-9, abs=1e-12), key
        else:
            assert actual[key] == value, key


def test_policy_none_reproduces_the_core_baseline():
    # Switching every intervention off explicitly is the core model, to the last digit.
    from sim import simulate
    from tests.refresh_baseline import BASE, VOLATILE

    explicit = {**BASE, "interventions": {n: {"enabled": False} for n in CASES["all"]["interventions"]}}
    summary = {k: v for k, v in simulate(explicit).summary.items() if k not in VOLATILE}
    expected = json.loads((BASELINE_DIR / "none.json").read_text())
    assert set(summary) == set(expected)
    for key, value in expected.items():
        assert summary[key] == (pytest.approx(value, rel=1e-12) if isinstance(value, float) else value), key
