"""The interactive view's pictures, without a browser: blitting draws what a full redraw draws, and they read well."""

from __future__ import annotations

import io

import numpy as np
import pytest
from matplotlib.colors import to_rgb
from PIL import Image

from sim.interop.solara_view import ExploreModel, legend_html, summary_markdown
from sim.interop.view_figures import (
    COUNTS,
    NETWORK_LEGEND,
    SHARES,
    SeriesFigure,
    TownshipFigure,
    count_top,
    township_layout,
)


def pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)


def has_colour(image: np.ndarray, colour: str, tolerance: int = 6) -> int:
    """Pixels of ``image`` within ``tolerance`` of ``colour``."""
    target = np.array(to_rgb(colour)) * 255
    return int((np.abs(image - target) <= tolerance).all(axis=2).sum())


@pytest.fixture(scope="module")
def model():
    return ExploreModel(team_inspection=True, tipoff_resolution=True, seed=1)


def test_each_blitted_picture_equals_a_full_redraw(model):
    series, township = SeriesFigure(model), TownshipFigure(model, 2)
    checked = 0
    for day in range(model.n_days):
        model.step()
        if day % 7 == 0 or not model.running:  # the y-axes step up on some of these days
            assert (pixels(series.png()) == pixels(SeriesFigure(model).png())).all(), day
            assert (pixels(township.png()) == pixels(TownshipFigure(model, 2).png())).all(), day
            checked += 1
    assert checked >= 10 and series.counts.get_ylim()[1] > 1  # the counts' axis did grow


def test_axes_start_at_zero_and_span_the_calendar(model):
    quiet = ExploreModel(seed=1)
    figure = SeriesFigure(quiet)
    figure.update()  # before the first day: every series empty, every count 0
    assert figure.shares.get_ylim() == (0.0, 0.05) and figure.counts.get_ylim() == (0.0, 1.0)
    assert figure.shares.get_xlim() == (0.0, quiet.n_days - 1)
    assert figure.counts.get_xlabel() == "day" and figure.shares.get_ylabel() == "share of delegates"
    assert [count_top(v) for v in (0, 0.95, 1, 4.6, 9, 10, 44, 90)] == [1, 2, 2, 10, 10, 20, 50, 100]


def test_a_line_equal_to_the_one_under_it_still_shows():
    # Early in the campaign nobody's bribe has been voided: "holds a bribe now" equals "ever took a
    # bribe"; no tip has been substantiated: it equals 0 like the tips of most days.
    model = ExploreModel(seed=3)
    for _ in range(8):
        model.step()
    cols = model.series.columns
    assert (cols["bribed_share"][:8] == cols["ever_bribed_share"][:8]).all() and cols["bribed_share"][7] > 0
    figure = SeriesFigure(model)
    image = pixels(figure.png())
    height = image.shape[0]
    for ax, spec, whole in ((figure.shares, SHARES[:2], True), (figure.counts, COUNTS, False)):
        # The plot area between days 1 and 6: all of it for the shares, the band around 0 for the
        # counts (all 0 on those days).
        (x0, y0), (x1, y1) = ax.transData.transform([(1, 0), (6, ax.get_ylim()[1])])
        rows = (
            slice(int(height - y1), int(height - y0) + 3)
            if whole
            else slice(int(height - y0) - 3, int(height - y0) + 3)
        )
        area = image[rows, int(x0) : int(x1)]
        for column, _, colour, *_ in spec:
            assert has_colour(area, colour, tolerance=10) >= 20, column


def test_the_layout_is_computed_once_per_world_and_township():
    a, b = ExploreModel(seed=5), ExploreModel(seed=5, team_inspection=True)
    assert township_layout(a, 1) is township_layout(b, 1)  # interventions do not change the world
    assert township_layout(a, 1) is not township_layout(ExploreModel(seed=6), 1)
    lay = township_layout(a, 1)
    assert len(lay.delegates) == a.world.town_size[1] and lay.delegate_xy.shape == (len(lay.delegates), 2)
    assert len(lay.tie_segments) == len(lay.ties) and set(lay.brokers) == set(a.world.tie_broker[lay.ties])


def test_legends_and_summary_are_in_words(model):
    html = legend_html(NETWORK_LEGEND) + legend_html(SeriesFigure.legends()["top"], "Top")
    for label in ("holds a bribe", "tie carrying a bribe", "reported to the hotline", "Top"):
        assert label in html
    words = [e.label for e in NETWORK_LEGEND] + [label for _, label, *_ in (*SHARES, *COUNTS)]
    assert not [w for w in words if "_" in w]  # no column names
    text = summary_markdown(model)
    assert "Interventions:** Tip-off resolution, Inspection teams" in text and "_" not in text.split("\n\n", 1)[1]
