"""The interactive view: the election model day by day in the browser (Solara; optional dependency ``[viz]``).

Choose the scale, the seed and the interventions in the sidebar, press *Reset* to build that
province, then *Step* (one day) or *Play* the calendar. The page shows the day, the interventions
in force and the summary so far, one township's network (delegates by state, brokers, the ties
carrying bribes, who reported) and the daily series::

    python experiments/explore.py                   # http://localhost:8765
    solara run sim.interop.solara_view --port 8765  # the same page

The model is the Mesa model :class:`sim.ElectionModel` (its DataCollector fills as days pass).
The page is composed of Solara components rather than Mesa's ``SolaraViz``, whose sidebar cannot
show a slider's value or label a checkbox so that it fits, and whose play loop redraws every
panel in full every day: here each picture draws only what changed since its fixed part was
drawn (:mod:`sim.interop.view_figures`), and while the calendar plays the pictures are redrawn
every :data:`REDRAW_EVERY_WHILE_PLAYING` days (every day when stepping) while the day counter
and the summary follow every day.  The page is the module-level
:data:`page`.
"""

from __future__ import annotations

import time
from typing import Any

import solara
import solara.lab

from sim.interop.mesa_model import ElectionModel
from sim.interop.view_figures import NETWORK_LEGEND, LegendEntry, SeriesFigure, TownshipFigure
from sim.levers import INTERVENTIONS
from sim.presets import load_preset

TITLE = "Vote buying, day by day"
SCALES = ("county", "city", "province")

#: The interventions in words, in the sidebar and the summary.
INTERVENTION_LABELS = {
    "warning_education": "Warning education",
    "risk_screening": "Risk screening",
    "candidate_vetting": "Candidate vetting",
    "tipoff_resolution": "Tip-off resolution",
    "team_inspection": "Inspection teams",
    "pledges_talks": "Pledges and talks",
}

#: Summary keys shown in the panel, with their labels, and whether each is a share.
SHOWN = (
    ("seats_bought_final", "seats vote buying decided (after unseating)", False),
    ("bought_seat_rate_final", "share of seats vote buying decided", True),
    ("delegates_bribed", "delegates who took a bribe", False),
    ("offers", "offers made", False),
    ("tips", "tips to the hotline", False),
    ("tips_substantiated", "tips substantiated", False),
    ("detections", "vote buyers caught", False),
    ("winners_unseated", "winners unseated", False),
    ("honest_removed", "honest candidates removed", False),
    ("cost_total", "cost of the interventions (staff-days)", False),
)

#: While playing, the pictures are redrawn every this many days (every day when stepping); the day
#: counter and the summary follow every day.
REDRAW_EVERY_WHILE_PLAYING = 2

#: Play speeds offered (days a second: lowest, highest, default); a day never takes less time than
#: the page needs to show it.
SPEEDS = (1, 30, 10)

#: Solara's sidebar (a drawer at least 400 px wide) covers the left of the app bar and of the main
#: area (Vuetify cannot add up its "min-content" width and sets the main area's offset to NaN):
#: move both clear of it.
LAYOUT_CSS = """
.v-main.solara-content-main { --v-layout-left: 400px !important; }
header.v-app-bar { left: 400px !important; width: calc(100% - 400px) !important; }
"""


class ExploreModel(ElectionModel):
    """The election model as the view builds it: a scale, a seed and six switches.

    Args:
        scale: ``county``, ``city`` or ``province`` (a scenario preset).
        seed: The run's seed.
        rng: Mesa's seed argument; when given it replaces ``seed``.
        **params: Switches named after the interventions (``team_inspection=True``) and any
            dotted configuration key.
    """

    def __init__(self, scale: str = "county", seed: int = 0, rng: Any = None, **params: Any) -> None:
        switches = {f"interventions.{k}.enabled": bool(params.pop(k)) for k in INTERVENTIONS if k in params}
        super().__init__(scenario=scale, rng=seed if rng is None else rng, **switches, **params)


def townships_of(scale: str) -> int:
    """The number of townships of a scale preset."""
    return int(load_preset("scenario", scale)["world"]["n_townships"])


def day_label(model: ElectionModel) -> str:
    """The day counter: ``Day 3 of 76 · campaign · term 1 of 1``."""
    phase = "finished" if not model.running else model.phase
    return f"Day {model.steps} of {model.n_days} · {phase} · term {model.term + 1} of {model.n_terms}"


def _fmt(value: Any, share: bool) -> str:
    if share:
        return f"{float(value):.1%}"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.1f}"
    return f"{int(value):,}" if isinstance(value, int | float) else str(value)


def summary_markdown(model: ElectionModel) -> str:
    """The day counter, the interventions in force, the scale and the summary so far, as Markdown."""
    summary = model.summary_so_far
    enabled = [INTERVENTION_LABELS[n] for n in model.cfg.enabled_interventions()]
    rows = "\n".join(f"| {label} | {_fmt(summary.get(key, 0), share)} |" for key, label, share in SHOWN)
    return (
        f"### {day_label(model)}\n\n"
        f"**Interventions:** {', '.join(enabled) if enabled else 'none'}  \n"
        f"**Scale:** {model.cfg.scenario}, {model.world.n_townships} townships, "
        f"{model.world.n_delegates:,} delegates · seed {model.cfg.seed}\n\n"
        f"| so far | |\n|---|---:|\n{rows}"
    )


def swatch(entry: LegendEntry) -> str:
    """A legend entry's mark as a small inline SVG."""
    c, w = entry.colour, entry.width
    marks = {
        "line": f'<line x1="1" y1="7" x2="23" y2="7" stroke="{c}" stroke-width="{w}"/>',
        "dashed": f'<line x1="1" y1="7" x2="23" y2="7" stroke="{c}" stroke-width="{w}" stroke-dasharray="5 3"/>',
        "dot": f'<circle cx="12" cy="7" r="5" fill="{c}"/>',
        "ring": f'<circle cx="12" cy="7" r="4.5" fill="white" stroke="{c}" stroke-width="1.8"/>',
        "square": f'<rect x="7" y="2" width="10" height="10" fill="{c}"/>',
        "cross": f'<path d="M7 2 L17 12 M17 2 L7 12" stroke="{c}" stroke-width="3"/>',
    }
    return f'<svg width="24" height="14" aria-hidden="true">{marks[entry.mark]}</svg>'


def legend_html(entries: tuple[LegendEntry, ...], title: str = "") -> str:
    """A legend as HTML: a mark and the words for each entry, one a line."""
    rows = "".join(
        f'<div style="display:flex;align-items:center;gap:6px;margin:2px 0">{swatch(e)}<span>{e.label}</span></div>'
        for e in entries
    )
    heading = f'<div style="font-weight:500;margin:8px 0 2px">{title}</div>' if title else ""
    return f'<div class="legend" style="font-size:14px">{heading}{rows}</div>'


def drawn_day(model: ElectionModel, day: int, playing: bool) -> int:
    """What a picture is redrawn for: every day, or every few days while the calendar plays."""
    return day // REDRAW_EVERY_WHILE_PLAYING if playing and model.running else day


@solara.component
def TownshipView(model: ElectionModel, day: int, township: int, playing: bool) -> None:
    """The township's network on ``day`` (the figure is built once per model and township)."""
    township = township % model.world.n_townships
    figure = solara.use_memo(lambda: TownshipFigure(model, township), [model, township])
    png = solara.use_memo(figure.png, [figure, drawn_day(model, day, playing), playing])
    with solara.Row(style={"align-items": "flex-start"}):
        solara.Image(png, format="png")
        solara.HTML(unsafe_innerHTML=legend_html(NETWORK_LEGEND))


@solara.component
def SeriesView(model: ElectionModel, day: int, playing: bool) -> None:
    """The daily series up to ``day`` (the figure is built once per model; its lines move)."""
    figure = solara.use_memo(lambda: SeriesFigure(model), [model])
    png = solara.use_memo(figure.png, [figure, drawn_day(model, day, playing), playing])
    legends = SeriesFigure.legends()
    with solara.Row(style={"align-items": "flex-start"}):
        solara.Image(png, format="png")
        solara.HTML(
            unsafe_innerHTML=legend_html(legends["top"], "Top: share of delegates")
            + legend_html(legends["bottom"], "Bottom: counts")
        )


@solara.component
def Settings(scale: Any, seed: Any, township: Any, switches: dict[str, Any]) -> None:
    """The sidebar's settings: scale, seed, the township drawn, one switch per intervention."""
    with solara.Card("Province"):
        solara.Select("Scale", values=list(SCALES), value=scale)
        solara.SliderInt(f"Seed: {seed.value}", value=seed, min=0, max=99)
        last = townships_of(scale.value) - 1
        solara.SliderInt(f"Township drawn: {min(township.value, last)}", value=township, min=0, max=last)
    with solara.Card("Interventions"):
        for name in INTERVENTIONS:
            solara.Switch(label=INTERVENTION_LABELS[name], value=switches[name], color="primary")
        solara.Text("Scale, seed and interventions take effect at Reset.", style={"font-size": "0.85em"})


@solara.component
def Page() -> None:
    """The page: settings and controls in the sidebar; day, summary, network and series beside them."""
    scale = solara.use_reactive("county")
    seed = solara.use_reactive(0)
    township = solara.use_reactive(0)
    switches = {name: solara.use_reactive(False) for name in INTERVENTIONS}
    model = solara.use_reactive(solara.use_memo(ExploreModel, []))
    playing = solara.use_reactive(False)
    speed = solara.use_reactive(SPEEDS[2])
    tick = solara.use_reactive(0)  # bumped after each day: the page redraws

    def play() -> None:
        while playing.value and model.value.running:
            start = time.monotonic()
            model.value.step()
            tick.value += 1
            time.sleep(max(0.0, 1.0 / speed.value - (time.monotonic() - start)))
        playing.value = False

    solara.lab.use_task(play, dependencies=[playing.value])

    def step() -> None:
        if model.value.running:
            model.value.step()
            tick.value += 1

    def reset() -> None:
        playing.value = False
        on = {name: switch.value for name, switch in switches.items()}
        model.value = ExploreModel(scale=scale.value, seed=seed.value, **on)

    solara.Title(TITLE)
    solara.Style(LAYOUT_CSS)
    with solara.AppBar():
        solara.AppBarTitle(TITLE)
    with solara.Sidebar():
        with solara.Card("Run"):
            with solara.Row():
                solara.Button("Reset", color="primary", on_click=reset)
                solara.Button(
                    "Pause" if playing.value else "Play",
                    color="primary",
                    on_click=lambda: playing.set(not playing.value),
                    disabled=not model.value.running,
                )
                solara.Button("Step", color="primary", on_click=step, disabled=playing.value or not model.value.running)
            solara.SliderInt(f"Play speed: {speed.value} days a second", value=speed, min=SPEEDS[0], max=SPEEDS[1])
        Settings(scale, seed, township, switches)
    _ = tick.value  # read here, so that each day's bump redraws the page
    m = model.value
    day = m.steps
    with solara.Columns([2, 3]):
        with solara.Card():
            solara.Markdown(summary_markdown(m))
        with solara.Card("One township"):
            TownshipView(m, day, township.value, playing.value)
    with solara.Card("Daily series"):
        SeriesView(m, day, playing.value)


page = Page
