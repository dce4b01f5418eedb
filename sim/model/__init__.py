"""The simulated province: the world, its agents and the day's processes.

This layer builds a province (cities, counties, townships; delegates, candidates, brokers and
their networks), runs the campaign day by day (offers, reporting, tips, investigation,
enforcement), holds the congresses and measures the outcomes. ``election.py`` holds
:class:`ElectionModel`, which schedules the rest; ``batch.py`` runs several seeds of one
configuration together as one stacked province, each equal to its lone run. It imports
:mod:`sim.config` only: the interventions act on it but are handed in by the caller, never
imported here (type-only imports under ``TYPE_CHECKING`` are allowed).
"""
