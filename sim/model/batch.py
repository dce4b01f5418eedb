"""Several runs of one configuration (different seeds) laid out as one province.

A batch of ``U`` *units* (runs) stacks their worlds one after another: each entity (delegates,
townships, counties, cities, candidates, brokers, ties, contracts) of unit ``u`` occupies a
contiguous block, and every index into another entity is shifted by that entity's offset.  The
model's rules are township- and county-local, so they run on the stacked province unchanged; the
few that look at the whole province (tie-breaks, the contracts' running payouts, counters and
outcomes) ask the model for per-unit answers.

Each unit keeps its own :class:`~sim.model.streams.RandomStreams`: a draw of the stacked size is
made unit by unit, each unit drawing its own block from its own generator in the order a lone run
does (:class:`BatchGenerator`), so every unit's numbers are exactly those of its lone run.

:func:`unit_view` gives a lone-run-shaped view of one unit, which the unchanged summaries and
daily records read.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections import defaultdict
from collections.abc import Sequence
from time import perf_counter
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np
import scipy.sparse as sp

from sim.config import SimConfig
from sim.model.agents import CandidateStatus, DelegateState
from sim.model.election import ElectionModel, draw_world
from sim.model.metrics import TimeSeries, summarize
from sim.model.streams import RandomStreams
from sim.model.tips import _FIELDS as TIP_FIELDS
from sim.model.tips import TipBook, TipStatus, TipTarget
from sim.model.voting import merit_tie_break, seats_differing
from sim.model.world import World

if TYPE_CHECKING:
    from sim.model.hooks import InterventionHooks

#: The entities of a province, in the order the layout lists them.
ENTITIES = ("delegate", "township", "county", "city", "candidate", "broker", "tie", "contract")

#: World fields holding indices of another entity (shifted by that entity's offset when stacked).
WORLD_INDEX = {
    "town_county": "county",
    "county_city": "city",
    "town_start": "delegate",
    "county_start": "delegate",
    "township": "township",
    "cand_township": "township",
    "broker_township": "township",
    "tie_broker": "broker",
    "tie_delegate": "delegate",
    "tie_contract": "contract",
    "contract_broker": "broker",
    "contract_town": "township",
}

#: The entity each world field belongs to (its first axis).
WORLD_ENTITY = {
    **dict.fromkeys(("town_county", "town_start", "town_size"), "township"),
    **dict.fromkeys(("county_city", "county_start", "county_size"), "county"),
    **dict.fromkeys(
        (
            "township",
            "integrity",
            "risk_aversion",
            "reciprocity",
            "report_propensity",
            "retaliation_fear",
            "base_belief",
            "prior_acceptor",
            "reservation_price",
            "peer_count",
        ),
        "delegate",
    ),
    **dict.fromkeys(
        ("cand_township", "cand_merit", "cand_integrity", "cand_ambition", "cand_budget", "cand_tainted"), "candidate"
    ),
    **dict.fromkeys(("broker_township", "broker_kind", "broker_cut"), "broker"),
    **dict.fromkeys(("tie_broker", "tie_delegate", "tie_contract", "tie_active_at_start"), "tie"),
    **dict.fromkeys(("contract_broker", "contract_town"), "contract"),
}

#: The entity of each array of the model's state, by name prefix, then by name.
STATE_PREFIX = {
    "del_": "delegate",
    "tie_": "tie",
    "contract_": "contract",
    "town_": "township",
    "cand_": "candidate",
    "broker_": "broker",
}
STATE_ENTITY = {
    "trust": "county",
    "case_credit": "county",
    "initial_slate": "candidate",
    "votes": "candidate",
    "elected_on_day": "candidate",
    "posts_sold": "candidate",
    "congress_slate": "candidate",
    "cf_elected": "candidate",
    "cf_elected_on_day": "candidate",
    "cf_votes": "candidate",
    "clean_elected": "candidate",
}
#: State arrays holding indices of another entity (-1: none).
STATE_INDEX = {"contract_client": "candidate"}


class BatchError(RuntimeError):
    """A batch cannot be laid out or drawn exactly as its lone runs; run its units one at a time."""


@dataclasses.dataclass
class Layout:
    """Where each unit's entities lie in the stacked province.

    Attributes:
        sizes: Per entity, the number of items of each unit.
    """

    sizes: dict[str, np.ndarray]

    def __post_init__(self) -> None:
        self.start = {k: np.concatenate([[0], np.cumsum(v)]).astype(np.int64) for k, v in self.sizes.items()}
        self._unit_of: dict[str, np.ndarray] = {}

    @property
    def n_units(self) -> int:
        """Units in the batch."""
        return len(self.sizes["delegate"])

    @classmethod
    def of_worlds(cls, worlds: list[World]) -> Layout:
        """The layout of ``worlds`` stacked in order."""
        return cls(
            {
                "delegate": np.array([w.n_delegates for w in worlds]),
                "township": np.array([w.n_townships for w in worlds]),
                "county": np.array([len(w.county_size) for w in worlds]),
                "city": np.array([int(w.county_city.max()) + 1 for w in worlds]),
                "candidate": np.array([w.n_candidates for w in worlds]),
                "broker": np.array([w.n_brokers for w in worlds]),
                "tie": np.array([len(w.tie_broker) for w in worlds]),
                "contract": np.array([w.n_contracts for w in worlds]),
            }
        )

    def unit_of(self, entity: str) -> np.ndarray:
        """The unit of each item of ``entity``."""
        out = self._unit_of.get(entity)
        if out is None:
            out = self._unit_of[entity] = np.repeat(np.arange(self.n_units), self.sizes[entity])
        return out

    def block(self, entity: str, unit: int) -> slice:
        """Unit ``unit``'s items of ``entity``."""
        start = self.start[entity]
        return slice(int(start[unit]), int(start[unit + 1]))

    def ambiguous(self) -> bool:
        """Whether two entities have the same total but different per-unit sizes.

        A draw is split among units by its size, so such a batch could split a draw wrongly.
        """
        seen: dict[int, np.ndarray] = {}
        for sizes in self.sizes.values():
            total = int(sizes.sum())
            if total in seen and not np.array_equal(seen[total], sizes):
                return True
            seen[total] = sizes
        return False


def stack_worlds(worlds: list[World]) -> tuple[World, Layout]:
    """The worlds laid out one after another, and their layout.

    Raises:
        BatchError: If the worlds differ in ballot size or the layout is ambiguous.
    """
    layout = Layout.of_worlds(worlds)
    if len({w.slots_per_township for w in worlds}) != 1:
        raise BatchError("units differ in candidates per township")
    if layout.ambiguous():
        raise BatchError("two entities have the same total size but different per-unit sizes")
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(World):
        name = f.name
        if name == "slots_per_township":
            fields[name] = worlds[0].slots_per_township
        elif name == "peers":
            fields[name] = sp.block_diag([w.peers for w in worlds], format="csr")
        else:
            parts = [getattr(w, name) for w in worlds]
            if any(p is None for p in parts):
                fields[name] = None
                continue
            entity = WORLD_INDEX.get(name)
            if entity is not None:
                parts = [p + layout.start[entity][u] for u, p in enumerate(parts)]
            fields[name] = np.concatenate(parts)
    return World(**fields), layout


class BatchGenerator:
    """One named stream of every unit: a draw of a stacked size is made unit by unit.

    The size of a draw tells which entity it is for (the layout is unambiguous); a Poisson draw
    sets the per-unit sizes of the draws that follow it with its total (false tips per township).
    A stream that only ever draws uniforms of one size (``prefetch`` > 0: brokers' offers,
    delegates' decisions) draws ``prefetch`` days' worth per unit at once: ``random`` produces
    doubles one after another, so cutting one call into several gives the same numbers.

    Args:
        generators: Each unit's generator of this stream.
        layout: The batch's layout.
        prefetch: Draws of one size to make per unit and generator call (0: none).
    """

    def __init__(self, generators: list[np.random.Generator], layout: Layout, prefetch: int = 0) -> None:
        self.generators = generators
        self.layout = layout
        self.prefetch = prefetch
        self._by_total = {int(v.sum()): v for v in layout.sizes.values()}
        self._pending: np.ndarray | None = None
        self._buffer: tuple[np.ndarray, np.ndarray, int, int] | None = None  # numbers, parts, next, left

    def _parts(self, n: int) -> np.ndarray:
        pending = self._pending
        entity = self._by_total.get(n)
        if pending is not None and int(pending.sum()) == n:
            if entity is not None and not np.array_equal(entity, pending):
                raise BatchError(f"a draw of {n} could be per entity or per earlier Poisson draw")
            return pending
        self._pending = None
        if entity is None:
            raise BatchError(f"no entity of the batch has {n} items in all")
        return entity

    def _draw(self, method: str, size: Any, *args: Any) -> np.ndarray:
        if self.prefetch:
            raise BatchError(f"a prefetched stream cannot draw {method}")
        shape = (size,) if np.ndim(size) == 0 else tuple(size)
        parts = self._parts(int(shape[0]))
        bounds = _bounds(parts)
        split = [isinstance(x, np.ndarray) and x.ndim > 0 and len(x) == shape[0] for x in args]
        out = []
        for u, gen in enumerate(self.generators):
            a, b = int(bounds[u]), int(bounds[u + 1])
            unit_args = [x[a:b] if cut else x for x, cut in zip(args, split, strict=True)]
            out.append(getattr(gen, method)(*unit_args, (b - a, *shape[1:])))
        return np.concatenate(out)

    def random(self, size: Any) -> np.ndarray:
        """Uniforms on [0, 1), unit by unit (as ``Generator.random``)."""
        if self.prefetch and np.ndim(size) == 0:
            return self._prefetched(int(size))
        if np.ndim(size) == 0:
            parts = self._parts(int(size))
            out = np.empty(int(size))
            bounds = _bounds(parts)
            for u, gen in enumerate(self.generators):
                gen.random(out=out[bounds[u] : bounds[u + 1]])
            return out
        return self._draw("random", size)

    def _prefetched(self, n: int) -> np.ndarray:
        if self._buffer is None or self._buffer[3] == 0:
            parts = self._parts(n)
            if self._buffer is not None and not np.array_equal(self._buffer[1], parts):
                raise BatchError("a prefetched stream changed its draw size")
            k = self.prefetch
            # Day-major: row j holds every unit's j-th draw, laid out as the stacked draw is.
            numbers = np.empty((k, n))
            bounds = _bounds(parts)
            for u, gen in enumerate(self.generators):
                numbers[:, bounds[u] : bounds[u + 1]] = gen.random(int(parts[u]) * k).reshape(k, -1)
            self._buffer = (numbers, parts, 0, k)
        numbers, parts, day, left = self._buffer
        if int(parts.sum()) != n:
            raise BatchError("a prefetched stream changed its draw size")
        self._buffer = (numbers, parts, day + 1, left - 1)
        return numbers[day]

    def uniforms(self, *draws: tuple[str, int]) -> list[np.ndarray]:
        """Consecutive uniform draws, one generator call per unit (see :func:`sim.model.streams.uniforms`).

        ``false_tip`` draws are sized per unit by the last Poisson draw; others by their entity.
        """
        parts = [self._pending if entity == "false_tip" else self.layout.sizes[entity] for entity, _ in draws]
        for (entity, n), p in zip(draws, parts, strict=True):
            if p is None or int(p.sum()) != int(n):
                raise BatchError(f"a draw of {n} for {entity} does not split by run")
        bounds = [_bounds(p) for p in parts]
        out = [np.empty(int(n)) for _, n in draws]
        for u, gen in enumerate(self.generators):
            numbers = gen.random(int(sum(int(p[u]) for p in parts)))
            at = 0
            for d, bound in enumerate(bounds):
                a, b = bound[u], bound[u + 1]
                out[d][a:b] = numbers[at : at + b - a]
                at += b - a
        return out

    def standard_normal(self, size: Any) -> np.ndarray:
        """Standard normals, unit by unit."""
        return self._draw("standard_normal", size)

    def normal(self, loc: Any, scale: Any, size: Any) -> np.ndarray:
        """Normals, unit by unit."""
        return self._draw("normal", size, loc, scale)

    def lognormal(self, mean: Any, sigma: Any, size: Any) -> np.ndarray:
        """Log-normals, unit by unit."""
        return self._draw("lognormal", size, mean, sigma)

    def beta(self, a: Any, b: Any, size: Any) -> np.ndarray:
        """Betas, unit by unit."""
        return self._draw("beta", size, a, b)

    def poisson(self, lam: Any, size: Any) -> np.ndarray:
        """Poisson counts, unit by unit; their per-unit totals size the draws that follow."""
        out = self._draw("poisson", size, lam)
        parts = self._parts(int(size))
        self._pending = _unit_sums(out, parts)
        return out


def _bounds(parts: np.ndarray) -> np.ndarray:
    """Block boundaries of consecutive blocks of ``parts`` items."""
    return np.concatenate([[0], np.cumsum(parts)]).astype(np.int64)


def _unit_sums(values: np.ndarray, parts: np.ndarray) -> np.ndarray:
    """Each unit's sum of its block of whole numbers ``values`` (blocks of ``parts`` items)."""
    running = np.concatenate([[0], np.cumsum(values, dtype=np.int64)])
    return np.diff(running[_bounds(parts)])


#: Streams that only ever draw uniforms of one size (one per tie, each campaign day).
PREFETCHED = ("offers", "decisions")
#: Days of those draws made per generator call.
PREFETCH_DAYS = 10


class BatchStreams:
    """Named streams of a batch: each unit's :class:`RandomStreams`, drawn unit by unit.

    Args:
        units: Each unit's streams.
        layout: The batch's layout.
    """

    def __init__(self, units: list[RandomStreams], layout: Layout) -> None:
        self.units = units
        self.layout = layout
        self._generators: dict[str, BatchGenerator] = {}

    def __getitem__(self, name: str) -> BatchGenerator:
        gen = self._generators.get(name)
        if gen is None:
            prefetch = PREFETCH_DAYS if name in PREFETCHED else 0
            gen = self._generators[name] = BatchGenerator([s[name] for s in self.units], self.layout, prefetch)
        return gen

    def __getattr__(self, name: str) -> BatchGenerator:
        if name.startswith("_") or name in ("units", "layout"):
            raise AttributeError(name)
        return self[name]


# ---------------------------------------------------------------------------------------- views
def state_entity(name: str) -> str | None:
    """The entity of the model's state array ``name`` (None if it is not per entity)."""
    if name not in _ENTITY_OF:
        _ENTITY_OF[name] = _state_entity(name)
    return _ENTITY_OF[name]


_ENTITY_OF: dict[str, str | None] = {}


def _state_entity(name: str) -> str | None:
    if name in STATE_ENTITY:
        return STATE_ENTITY[name]
    for prefix, entity in STATE_PREFIX.items():
        if name.startswith(prefix):
            return entity
    return None


def world_view(world: World, layout: Layout, unit: int) -> World:
    """Unit ``unit``'s own world, indices as in its lone run."""
    fields: dict[str, Any] = {}
    for f in dataclasses.fields(World):
        name = f.name
        value = getattr(world, name)
        if name == "slots_per_township" or value is None:
            fields[name] = value
        elif name == "peers":
            d = layout.block("delegate", unit)
            fields[name] = value[d, d]
        else:
            part = value[layout.block(WORLD_ENTITY[name], unit)]
            entity = WORLD_INDEX.get(name)
            fields[name] = part - layout.start[entity][unit] if entity is not None else part
    return World(**fields)


def tips_view(tips: TipBook, layout: Layout, unit: int) -> TipBook:
    """Unit ``unit``'s tips, in their order, with indices as in its lone run."""
    counties = layout.block("county", unit)
    mine = (tips.county >= counties.start) & (tips.county < counties.stop)
    out = TipBook()
    for name in TIP_FIELDS:
        setattr(out, name, getattr(tips, name)[mine])
    start = layout.start
    out.county = out.county - start["county"][unit]
    out.township = out.township - start["township"][unit]
    shift = np.select(
        [out.target_type == TipTarget.BROKER, out.target_type == TipTarget.TOWNSHIP],
        [start["broker"][unit], start["township"][unit]],
        start["candidate"][unit],
    )
    out.target = out.target - shift
    out.reporter = np.where(out.reporter >= 0, out.reporter - start["delegate"][unit], -1)
    return out


class UnitIntervention:
    """What the summaries read of an intervention, for one unit."""

    def __init__(self, name: str, units: float, staff_days: float, outcomes: dict[str, float]) -> None:
        self.name, self.units, self.staff_days, self.outcomes = name, units, staff_days, outcomes

    def cost(self) -> float:
        """Staff-days used."""
        return self.staff_days


def unit_view(model: ElectionModel, unit: int, world: World) -> ElectionModel:
    """A lone-run-shaped copy of unit ``unit``'s current state (slices; indices shifted).

    Args:
        model: The batch model.
        unit: The unit.
        world: The unit's own world (:func:`world_view`).
    """
    layout = model.layout
    view = object.__new__(ElectionModel)
    state = view.__dict__
    for name, value in model.__dict__.items():
        if name in ("counters", "results", "interventions", "world", "tips", "streams", "layout", "unit_series"):
            continue
        if name in ("offers_today", "accepted_today") and isinstance(value, np.ndarray):
            state[name] = int(value[unit])
            continue
        entity = state_entity(name)
        if entity is not None and isinstance(value, np.ndarray):
            part = value[layout.block(entity, unit)]
            index = STATE_INDEX.get(name)
            if index is not None:
                part = np.where(part >= 0, part - layout.start[index][unit], part)
            state[name] = part
        elif not isinstance(value, np.ndarray):
            state[name] = value
    view.world = world
    view.cfg = model.unit_cfgs[unit]
    view.tips = tips_view(model.tips, layout, unit)
    view.counters = defaultdict(float, {k: float(v[unit]) for k, v in model.counters.items()})
    view.results = {k: int(v[unit]) for k, v in model.results.items()}
    view.interventions = [
        UnitIntervention(
            iv.name,
            float(np.broadcast_to(iv.units, (layout.n_units,))[unit]),
            float(np.broadcast_to(iv.staff_days, (layout.n_units,))[unit]),
            {k: float(np.broadcast_to(v, (layout.n_units,))[unit]) for k, v in iv.outcomes.items()},
        )
        for iv in model.interventions
    ]
    return view


# ---------------------------------------------------------------------------------------- the batch
class ElectionBatch(ElectionModel):
    """Runs of one configuration with different seeds, simulated together as one stacked province.

    Every run (unit) draws its world and every number from its own streams, in its lone run's
    order, and the model's rules are local to townships and counties, so each unit's outcomes and
    daily series equal those of its lone run (:class:`ElectionModel` with the same configuration).

    Args:
        cfgs: The units' configurations: equal but for the seed.
        interventions: The interventions (one set, acting on every unit).

    Raises:
        BatchError: If the units cannot be laid out exactly (run them one at a time).
    """

    def __init__(self, cfgs: list[SimConfig], interventions: Sequence[InterventionHooks] | None = None) -> None:
        mesa.Model.__init__(self, rng=cfgs[0].seed)
        t0 = perf_counter()
        base = dataclasses.replace(cfgs[0], seed=0)
        if any(dataclasses.replace(c, seed=0) != base for c in cfgs):
            raise BatchError("the units' configurations differ in more than the seed")
        self.unit_cfgs = list(cfgs)
        self.cfg = cfgs[0]
        units = [RandomStreams(c.seed) for c in cfgs]
        worlds = [draw_world(c, s) for c, s in zip(cfgs, units, strict=True)]
        self.world, self.layout = stack_worlds(worlds)
        self.unit_worlds = worlds
        self.streams = BatchStreams(units, self.layout)
        n = self.layout.n_units
        self.unit_series = TimeSeries(self.cfg.schedule.terms * self._term_days())
        self.unit_series.columns = {k: np.zeros((n, len(v))) for k, v in self.unit_series.columns.items()}
        self.unit_term_summaries: list[list[dict[str, Any]]] = [[] for _ in range(n)]
        self._setup(interventions, t0)

    def _term_days(self) -> int:
        s = self.cfg.schedule
        return s.campaign_days + 1 + s.post_election_days

    @property
    def n_units(self) -> int:
        """Runs in the batch."""
        return self.layout.n_units

    def _make_agents(self) -> None:
        """No Mesa agents: a batch is read through :func:`unit_view`."""
        self.candidate_agents, self.broker_agents = [], []

    def _reset_election_state(self) -> None:
        super()._reset_election_state()
        n = self.layout.n_units
        self.counters = defaultdict(lambda: np.zeros(n))
        self.results = {}

    def count(self, name: str, n: Any) -> None:
        """Add each unit's ``n`` to the counter ``name``."""
        if np.shape(n) != (self.layout.n_units,):
            raise BatchError(f"counter {name!r} was given {n!r}, not one value per run")
        self.counters[name] = self.counters[name] + n

    def count_items(self, entity: str, items: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Per unit, how many ``items`` of ``entity`` (or the sum of their ``weights``).

        A sum of weights is taken run by run with ``ndarray.sum`` over that run's items in their
        order, as the lone run takes it: numpy's pairwise summation then gives the same last digit,
        which a single ``np.bincount`` (summing in sequence) does not.
        """
        unit = self.layout.unit_of(entity)[np.asarray(items, dtype=np.int64)]
        if weights is None:
            return np.bincount(unit, minlength=self.layout.n_units)
        order = np.argsort(unit, kind="stable")  # items stay in their order within a run
        unit, weights = unit[order], np.asarray(weights, dtype=float)[order]
        bounds = np.searchsorted(unit, np.arange(self.layout.n_units + 1))
        return np.array([weights[a:b].sum() for a, b in itertools.pairwise(bounds)])

    def count_mask(self, entity: str, mask: np.ndarray) -> np.ndarray:
        """Per unit, how many items of ``entity`` ``mask`` marks."""
        running = np.concatenate([[0], np.cumsum(mask, dtype=np.int64)])
        return np.diff(running[self.layout.start[entity]])

    def unit_of(self, entity: str) -> np.ndarray:
        """The unit of each item of ``entity``."""
        return self.layout.unit_of(entity)

    def unit_blocks(self, entity: str) -> list[slice]:
        """Each unit's items of ``entity``."""
        return [self.layout.block(entity, u) for u in range(self.layout.n_units)]

    def unit_rng(self, unit: int, name: str) -> np.random.Generator:
        """Unit ``unit``'s own generator of stream ``name``."""
        return self.streams.units[unit][name]

    def running_sum(self, values: np.ndarray, entity: str, items: np.ndarray) -> np.ndarray:
        """The cumulative sum of ``values``, restarting with each unit (as its lone run sums)."""
        unit = self.layout.unit_of(entity)[items]
        cuts = np.flatnonzero(unit[1:] != unit[:-1]) + 1
        return np.concatenate([np.cumsum(part) for part in np.split(values, cuts)]) if len(values) else values

    def merit_tie_break(self) -> np.ndarray:
        """Each unit's tie-break over its own candidates (as in its lone run)."""
        merit = self.world.cand_merit
        return np.concatenate(
            [merit_tie_break(merit[self.layout.block("candidate", u)]) for u in range(self.layout.n_units)]
        )

    def view(self, unit: int) -> ElectionModel:
        """Unit ``unit``'s state as its lone run's model (see :func:`unit_view`)."""
        world = self.unit_worlds[unit] if self.n_terms == 1 else world_view(self.world, self.layout, unit)
        return unit_view(self, unit, world)

    def _record(self) -> None:
        record_units(self, self.unit_series)

    def _summarize_term(self) -> None:
        for u, rows in enumerate(self.unit_term_summaries):
            rows.append(summarize(self.view(u), 0.0))

    def unit_result_model(self, unit: int) -> ElectionModel:
        """Unit ``unit`` at the end, with its own series and term summaries (what a result reads)."""
        view = self.view(unit)
        view.series = TimeSeries(0)
        view.series.columns = {k: v[unit] for k, v in self.unit_series.columns.items()}
        view.term_summaries = self.unit_term_summaries[unit]
        view.timing = {k: v / self.layout.n_units for k, v in self.timing.items()}
        return view


def _unit_means(values: np.ndarray, layout: Layout, entity: str) -> np.ndarray:
    """Each unit's mean of ``values`` over its block.

    Blocks of one size are rows of a reshape, summed as a lone run sums (bit for bit); otherwise
    each block's mean is taken on its own (a loop over runs, not agents), so that numpy's pairwise
    summation gives the lone run's last digit: a sum in sequence (``np.add.reduceat``) differs from
    it by about ``1e-13`` relative, and a batch must equal its runs alone exactly.
    """
    sizes = layout.sizes[entity]
    if np.all(sizes == sizes[0]):
        return values.reshape(len(sizes), -1).mean(axis=1)
    return np.array([values[a:b].mean() for a, b in itertools.pairwise(layout.start[entity])])


def record_units(model: ElectionBatch, series: TimeSeries) -> None:
    """Fill the day's row of every unit's series (``series.columns[name][unit, row]``).

    The same quantities as :meth:`sim.model.metrics.TimeSeries.record`, counted per unit; means
    and sums of floats are taken over each unit's block, as its lone run takes them.
    """
    d, row = model.day, model.row
    w, layout, tips = model.world, model.layout, model.tips
    n = layout.n_units
    col = series.columns
    col["day"][:, row] = row
    col["term"][:, row] = model.term
    col["days_to_congress"][:, row] = model.congress_day - d
    col["offers"][:, row] = model.offers_today
    col["offers_accepted"][:, row] = model.accepted_today
    n_del = layout.sizes["delegate"]
    col["bribed_share"][:, row] = model.count_mask("delegate", model.del_state == DelegateState.BOUGHT) / n_del
    col["ever_bribed_share"][:, row] = model.count_mask("delegate", model.del_ever_bought) / n_del
    tip_unit = layout.unit_of("county")[tips.county]
    col["tips"][:, row] = np.bincount(tip_unit[tips.day == d], minlength=n)
    closed = (tips.status == TipStatus.CLOSED) & (tips.close_day == d)
    col["tips_closed"][:, row] = np.bincount(tip_unit[closed], minlength=n)
    col["tips_substantiated"][:, row] = np.bincount(tip_unit[closed & tips.substantiated], minlength=n)
    col["tips_queued"][:, row] = np.bincount(tip_unit[tips.status == TipStatus.QUEUED], minlength=n)
    col["detections"][:, row] = model.counters["detections"]
    working = np.bincount(w.contract_broker[model.contract_client >= 0], minlength=w.n_brokers) > 0
    col["brokers_active"][:, row] = model.count_mask("broker", model.broker_active & working)
    col["buyers_funding"][:, row] = model.count_mask("candidate", model.buyers_funding())
    # Every unit has as many candidates (townships x slots): rows of a reshape sum as a lone run.
    spent = model.cand_spent.reshape(n, -1).sum(axis=1) - model.cand_returned.reshape(n, -1).sum(axis=1)
    col["money_spent"][:, row] = spent
    col["mean_perceived_risk"][:, row] = _unit_means(model.perceived_risk(), layout, "delegate")
    col["mean_trust"][:, row] = _unit_means(model.trust, layout, "county")
    col["township_visits"][:, row] = model.counters["township_visits"]
    if d >= model.congress_day:
        held = model.cand_status == CandidateStatus.ELECTED
        differing = seats_differing(held, model.cf_elected, w.slots_per_township)
        col["seats_bought"][:, row] = model.count_items("township", np.arange(w.n_townships), differing)
    col["delegates_sanctioned"][:, row] = model.counters["delegates_sanctioned"]
