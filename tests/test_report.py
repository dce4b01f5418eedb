"""Report statistics on synthetic tables with known answers, and the report on a real sweep."""

from __future__ import annotations

import logging
import re
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from sim.stats.factorial import factorial_effects
from sim.stats.paired import AnalysisError, paired_effects
from tests.conftest import ROOT, run_sweep


def synthetic(effect: float, n: int = 40, noise: float = 0.05, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    base = rng.normal(0.4, 0.1, n)  # seed-level variation shared by both arms (CRN)
    rows = [
        {"arm": "none", "interventions": "none", "seed": s, "bought_seat_rate_final": b} for s, b in enumerate(base)
    ]
    rows += [
        {"arm": "x", "interventions": "x", "seed": s, "bought_seat_rate_final": b + effect + rng.normal(0, noise)}
        for s, b in enumerate(base)
    ]
    return pd.DataFrame(rows)


def test_known_effect_is_recovered_with_a_covering_ci():
    eff = paired_effects(synthetic(-0.1), ["bought_seat_rate_final"]).iloc[0]
    assert eff.ci_low < -0.1 < eff.ci_high
    assert not eff.crosses_zero and eff.pairs == 40 and eff.distinguishable


def test_null_effect_has_a_ci_covering_zero():
    eff = paired_effects(synthetic(0.0, seed=3), ["bought_seat_rate_final"]).iloc[0]
    assert eff.crosses_zero and not eff.distinguishable


def test_missing_baseline_is_a_clear_error():
    table = synthetic(-0.1)
    table = table[table.arm == "x"]
    with pytest.raises(AnalysisError, match="no baseline arm"):
        paired_effects(table, ["bought_seat_rate_final"])


def test_factorial_effects_recover_main_and_interaction_effects():
    rows = []
    for a in (0, 1):
        for b in (0, 1):
            for rep in range(5):
                y = 0.5 - 0.2 * a - 0.1 * b + 0.08 * a * b + 0.001 * rep
                name = "+".join(n for n, on in (("a", a), ("b", b)) if on) or "none"
                rows.append({"interventions": name, "seed": rep, "y": y})
    eff = factorial_effects(pd.DataFrame(rows), "y", ["a", "b"]).set_index(["term_a", "term_b"]).effect
    # effect of a averaged over b: -0.2 + 0.08 / 2
    assert eff[("a", "")] == pytest.approx(-0.16, abs=1e-9)
    assert eff[("b", "")] == pytest.approx(-0.06, abs=1e-9)
    assert eff[("a", "b")] == pytest.approx(0.04, abs=1e-9)


def test_cost_chart_labels_never_overlap_on_a_crowded_plane():
    from sim.report.figures import cost_effectiveness_plot
    from sim.report.style import arm_colours

    rng = np.random.default_rng(0)
    arms = ["none", *[f"arm_{k}_with_a_long_name" for k in range(11)]]
    cost = np.r_[0, rng.uniform(200, 900, 11)]
    eff = np.r_[0, rng.uniform(5, 20, 11)]
    table = pd.DataFrame(
        {"arm": arms, "cost": cost, "effect": eff, "effect_low": eff - 2, "effect_high": eff + 2, "status": "dominated"}
    )
    fig = cost_effectiveness_plot(table, arm_colours(arms))
    fig.canvas.draw()
    ax = fig.axes[0]
    boxes = [t.get_bbox_patch().get_window_extent() for t in ax.texts]  # the label's box, without its leader line
    assert len(boxes) == len(arms)
    overlaps = [(i, j) for i in range(len(boxes)) for j in range(i) if boxes[i].overlaps(boxes[j])]
    assert overlaps == []


#: Warnings about figures (text under 9 pt, too wide) logged while the shared sweep's report was written.
FIGURE_WARNINGS: list[str] = []


class _Collect(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        if record.getMessage().startswith("figure"):
            FIGURE_WARNINGS.append(record.getMessage())


@pytest.fixture(scope="module")
def real_sweep(tmp_path_factory):
    from sim.report.write import write_report

    d = tmp_path_factory.mktemp("sweep")
    run_sweep(
        d, "scenario=county", "replicates=5", "policy=none,team_inspection,pledges_talks,all", "report.enabled=false"
    )
    handler = _Collect(logging.WARNING)
    logging.getLogger("sim").addHandler(handler)
    try:
        write_report(d)
    finally:
        logging.getLogger("sim").removeHandler(handler)
    return d


FIGURES = (
    "arm_means",
    "effects_forest",
    "cost_effectiveness",
    "acceptability",
    "time_bribed_share",
    "time_tips",
    "time_detections",
    "township",
)


def test_report_is_written_with_every_figure_and_table(real_sweep):
    out = real_sweep / "report"
    for stem in FIGURES:
        assert (out / f"{stem}.png").stat().st_size > 10_000
        assert (out / f"{stem}.svg").exists()
    for table in ("arm_means.csv", "effects_vs_baseline.csv", "cost_effectiveness.csv", "headline.csv"):
        assert len(pd.read_csv(out / table)) > 0
    html = (out / "report.html").read_text()
    assert html.count("data:image/png;base64,") == len(list(out.glob("*.png"))) == len(FIGURES)
    assert "replicates per arm" in html
    for csv in out.glob("*.csv"):
        assert f'href="{csv.name}"' in html, csv.name


def test_first_screen_answers_the_question(real_sweep):
    html = (real_sweep / "report" / "report.html").read_text()
    answer = html[html.index('<section id="answer">') : html.index("</section>")]
    assert re.search(r"Largest effect|tie for the largest|none is named best", answer)
    assert "What is left" in answer or "No arm" in answer
    if "Largest effect" in answer or "tie for the largest" in answer:  # harms of the arms named
        assert "Harms against no intervention" in answer and "honest candidates removed" in answer
    assert "extra honest candidate removed" in answer  # the net benefit weighs harm in every case
    assert "cover only the seed-to-seed randomness" in answer
    assert "<table" in answer and "ICER" in answer


def test_report_figures_are_legible(real_sweep):
    assert FIGURE_WARNINGS == []


def test_report_cli_gives_a_clear_message_for_a_missing_sweep(tmp_path):
    proc = subprocess.run(
        [sys.executable, str(ROOT / "experiments" / "report.py"), str(tmp_path / "nope")],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 2 and "does not exist" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not installed (CI installs it)")
def test_report_opens_in_headless_chromium_with_every_image_loaded(real_sweep, tmp_path):
    page = real_sweep / "report" / "report.html"
    probe = tmp_path / "probe.html"
    # Load the report in an iframe-free way: append a script that reports image load state in the title.
    html = page.read_text().replace(
        "</body>",
        "<script>window.onload=()=>{const i=[...document.images];"
        "document.title='IMAGES '+i.length+' LOADED '+i.filter(x=>x.complete&&x.naturalWidth>0).length;}"
        "</script></body>",
    )
    probe.write_text(html)
    cmd = [
        "chromium",
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--virtual-time-budget=5000",
        "--dump-dom",
        probe.as_uri(),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    n = len(list((real_sweep / "report").glob("*.png")))
    assert f"<title>IMAGES {n} LOADED {n}</title>" in proc.stdout, proc.stderr[-2000:]


def _sweep(tmp_path_factory, name: str, *args: str):
    d = tmp_path_factory.mktemp(name)
    run_sweep(
        d,
        "scenario=county",
        "schedule.campaign_days=12",
        "schedule.post_election_days=6",
        "investigation.direct_days=5",
        "investigation.supervised_days=6",
        *args,
    )
    return d / "report"


@pytest.mark.slow
def test_factorial_dose_and_sensitivity_sweeps_get_their_sections(tmp_path_factory):
    fac = _sweep(tmp_path_factory, "fac", "experiment=factorial", "scenario=county", "replicates=1")
    assert (fac / "interactions.png").exists()
    fx = pd.read_csv(fac / "factorial_effects.csv")
    assert len(fx) == 6 + 15
    dose = _sweep(
        tmp_path_factory,
        "dose",
        "experiment=dose_response",
        "scenario=county",
        "replicates=2",
        "interventions.team_inspection.n_teams=0,2,8",
    )
    assert (dose / "dose_response.png").exists()
    assert set(pd.read_csv(dose / "dose_response.csv").intensity) == {0, 2, 8}
    sens = _sweep(
        tmp_path_factory,
        "sens",
        "experiment=sensitivity",
        "scenario=county",
        "replicates=1",
        "sensitivity.n_samples=32",
        "policy=none,all",
    )
    assert (sens / "sensitivity.png").exists()
    wins = pd.read_csv(sens / "policy_wins.csv")
    assert wins.win_share.sum() == pytest.approx(1.0)
    for report in (fac, dose, sens):
        assert (report / "township.png").exists()
        assert "Traceback" not in (report / "report.html").read_text()


def test_legibility_check_flags_small_text_and_wide_figures():
    import matplotlib.pyplot as plt

    from sim.report.style import legibility_problems

    fig, ax = plt.subplots(figsize=(14, 3))
    ax.set_title("tiny", fontsize=7)
    problems = legibility_problems(fig)
    plt.close(fig)
    assert any("wide" in p for p in problems) and any("'tiny' is 7.0 pt" in p for p in problems)


def test_a_sweep_without_the_headline_outcome_gets_a_clear_error(tmp_path):
    from sim.report.html import ReportError
    from sim.report.write import write_report

    pd.DataFrame({"arm": ["none"], "interventions": ["none"], "seed": [1], "old_outcome": [0.5]}).to_parquet(
        tmp_path / "runs.parquet"
    )
    pd.DataFrame({"arm": ["none"], "day": [0]}).to_parquet(tmp_path / "timeseries.parquet")
    with pytest.raises(ReportError, match="older version"):
        write_report(tmp_path)


def test_markdown_tables_leave_missing_values_empty_as_the_html_does():
    from sim.report.html import _md_table

    table = pd.DataFrame({"arm": ["a", "b"], "ci_low": [np.nan, -1.23456], "flag": [pd.NA, True], "x": [None, 2]})
    lines = _md_table(table)
    assert "nan" not in "\n".join(lines).lower() and "<na>" not in "\n".join(lines).lower()
    assert lines[2] == "| a |  |  |  |" and lines[3] == "| b | -1.235 | True | 2 |"


def test_report_cli_on_a_mistyped_or_foreign_folder_creates_nothing(tmp_path):
    from sim.cli.folder import NotASweepError, holding_sweep

    missing, foreign = tmp_path / "sweeps" / "typo", tmp_path / "photos"
    foreign.mkdir()
    (foreign / "a.jpg").write_bytes(b"")
    for folder, words in ((missing, "does not exist"), (foreign, "is not a sweep folder")):
        proc = subprocess.run(
            [sys.executable, str(ROOT / "experiments" / "report.py"), str(folder)],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        assert proc.returncode == 2 and words in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
        with pytest.raises(NotASweepError, match=words), holding_sweep(folder):
            pass
    assert not missing.parent.exists()  # neither the folder nor its parent was made
    assert sorted(p.name for p in foreign.iterdir()) == ["a.jpg"]  # no lock file left in someone else's folder


def cost_runs(n: int, seed: int = 0) -> pd.DataFrame:
    """Three arms with costs and seats, paired by seed."""
    rng = np.random.default_rng(seed)
    base = rng.uniform(0.1, 0.2, n)
    rows = []
    for arm, eff, cost in (("none", 0.0, 0.0), ("pledges_talks", -0.02, 20.0), ("team_inspection", -0.08, 300.0)):
        y = np.clip(base + eff + (0 if arm == "none" else rng.normal(0, 0.01, n)), 0, 1)
        rows += [
            {"arm": arm, "interventions": arm, "seed": s, "bought_seat_rate_final": v, "seats": 36, "cost_total": cost}
            for s, v in enumerate(y)
        ]
    return pd.DataFrame(rows)


@pytest.mark.parametrize("n", [1, 3, 10])
def test_cost_section_draws_acceptability_curves_only_from_five_pairs(n, tmp_path):
    from sim.report.first_screen import headline_table
    from sim.report.sections import cost_section
    from sim.report.style import arm_colours
    from sim.stats.cea import cost_effectiveness

    runs = cost_runs(n)
    ce = cost_effectiveness(runs, "bought_seat_rate_final", "none", n_boot=200)
    sec = cost_section(ce, arm_colours(list(runs.arm.unique())), tmp_path)
    stems = [stem for stem, _ in sec.figures]
    text = " ".join(sec.lines)
    if n < 5:
        assert stems == ["cost_effectiveness"] and not (tmp_path / "acceptability.csv").exists()
        assert "No acceptability curves" in text
    else:
        assert stems == ["cost_effectiveness", "acceptability"] and "No acceptability curves" not in text
    effects = paired_effects(runs, ["bought_seat_rate_final"])
    from sim.sweeps.experiment import ReportSettings

    status = headline_table(runs, effects, ce, "none", ReportSettings(outcome="bought_seat_rate_final"))["status"]
    if n == 1:  # one seed's frontier is no finding: the column says so
        assert status.str.endswith("(one seed)").all()
    else:
        assert set(status) <= {"efficient", "efficient on means", "dominated", "extendedly dominated"}


@pytest.mark.parametrize("n", [1, 10])
def test_figure_titles_say_no_intervals_from_one_replicate(n):
    import matplotlib.pyplot as plt

    from sim.report.figures import arm_means_plot, dose_response_plot, forest_plot
    from sim.report.style import arm_colours
    from sim.stats.dose import dose_response
    from sim.stats.paired import arm_means

    runs = synthetic(-0.1, n=n)
    colours = arm_colours(["none", "x"])
    effects = paired_effects(runs, ["bought_seat_rate_final"])
    levels = pd.concat(
        [runs[runs.arm == "none"].assign(arm=f"team_inspection.n_teams={k}") for k in (0, 2, 8)], ignore_index=True
    )
    figures = [
        forest_plot(effects, colours, ["x"]),
        arm_means_plot(arm_means(runs, ["bought_seat_rate_final"]), colours, ["none", "x"]),
        dose_response_plot(dose_response(levels, ["bought_seat_rate_final"]), "team_inspection.n_teams", {}),
    ]
    for fig in figures:
        title = fig._suptitle.get_text()
        plt.close(fig)
        if n == 1:
            assert "no intervals: one replicate" in title and "95%" not in title and "1 seeds" not in title, title
        else:
            assert "95% CI" in title and "one replicate" not in title, title


def test_sweep_sentence_counts_in_words():
    from sim.report.first_screen import sweep_sentence

    one = synthetic(-0.1, n=1).assign(scenario="county")
    assert "2 arms, 1 replicate per arm (2 runs)" in sweep_sentence(one, {"experiment": "compare"})
    many = synthetic(-0.1, n=3).assign(scenario="county")
    assert "2 arms, 3 replicates per arm (6 runs)" in sweep_sentence(many, {"experiment": "compare"})
    drawn = one.assign(sample=0, replicate=0)
    assert "1 uncertainty sample x 1 replicate = 1 run per arm" in sweep_sentence(drawn, {})


def test_the_first_screen_splits_bought_seats_and_weighs_benefit_against_harm(real_sweep):
    html = (real_sweep / "report" / "report.html").read_text()
    answer = html[html.index('<section id="answer">') : html.index("</section>")]
    for word in ("captured", "vacated", "displaced"):
        assert f"<b>{word}</b>" in answer
    assert "Benefit and harm together" in answer and "report.harm_weight" in answer
    assert re.search(r"best by net benefit|none is named best by net benefit", answer)
    assert "On the means" in answer
    table = pd.read_csv(real_sweep / "report" / "headline.csv")
    assert {"vacated (points)", "displaced (points)", "net benefit (seats, harm weight 1)"} <= set(table.columns)
    assert "captured seats prevented" in table.columns


def test_the_report_ranks_by_the_outcome_the_sweep_chose_or_the_one_asked_for(real_sweep, tmp_path):
    import json

    from sim.config import ConfigError
    from sim.report.write import write_report
    from sim.stats.outcomes import RANKABLE
    from sim.sweeps.experiment import RANKING_OUTCOMES

    assert RANKABLE == RANKING_OUTCOMES
    copy = tmp_path / "sweep"
    shutil.copytree(real_sweep, copy)
    meta = json.loads((copy / "sweep.json").read_text())
    assert meta["config"]["report"] == {"enabled": False, "outcome": "captured_seat_rate_final", "harm_weight": 1.0}
    meta["config"]["report"].update(outcome="bought_seat_rate_final", harm_weight=4.0)
    (copy / "sweep.json").write_text(json.dumps(meta))
    write_report(copy)
    table = pd.read_csv(copy / "report" / "headline.csv")
    assert "bought seats prevented" in table.columns and "captured (points)" in table.columns
    assert "net benefit (seats, harm weight 4)" in table.columns
    proc = subprocess.run(
        [sys.executable, str(ROOT / "experiments" / "report.py"), str(copy), "--outcome", "vacated_seat_rate_final"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    assert "vacated seats prevented" in pd.read_csv(copy / "report" / "headline.csv").columns
    with pytest.raises(ConfigError, match=r"report.harm_weight=-1.0 is below its minimum 0.0"):
        write_report(copy, harm_weight=-1.0)
    with pytest.raises(ConfigError, match=r"report.outcome='bribed_share' must be one of"):
        write_report(copy, outcome="bribed_share")


def test_the_table_of_the_answer_gives_each_arm_cost_per_100_townships(real_sweep):
    table = pd.read_csv(real_sweep / "report" / "headline.csv").set_index("arm")
    runs = pd.read_parquet(real_sweep / "runs.parquet")
    per_100 = (100 * runs.groupby("arm").cost_total.mean() / runs.groupby("arm").townships.mean()).round()
    columns = list(table.columns)
    assert columns.index("cost per 100 townships (staff-days)") == columns.index("cost (staff-days)") + 1
    assert table.loc["Inspection teams", "cost per 100 townships (staff-days)"] == per_100["team_inspection"]
