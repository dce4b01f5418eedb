"""How a setting is declared: a dataclass field carrying its bounds, unit, source and meaning."""

from __future__ import annotations

from dataclasses import field
from typing import Any


class ConfigError(ValueError):
    """An invalid configuration value; the message names the key and the value."""


def param(
    default: Any,
    *,
    lo: float | None = None,
    hi: float | None = None,
    unit: str = "",
    source: str = "ASSUMPTION",
    doc: str = "",
    lever: tuple[float, float, float] | None = None,
    above: float | None = None,
    below: float | None = None,
    choices: tuple[str, ...] | None = None,
    why: str = "",
    assumed: tuple[float, float] | None = None,
    log: bool = False,
    reason: str = "",
) -> Any:
    """A documented, bounded configuration field.

    Args:
        default: Default value.
        lo: Smallest allowed value (inclusive), or None.
        hi: Largest allowed value (inclusive), or None.
        unit: Unit of the value, for the documentation.
        source: Where the default comes from (FACTS / LIT / ASSUMPTION); empty for a setting of how
            something is run (see :func:`setting`).
        doc: One-line meaning of the parameter.
        lever: ``(low, high, step)`` when the parameter is a decision lever of its intervention:
            the values an optimiser may choose are ``low, low + step, ..., high``, and 0 means the
            intervention is not deployed (see :mod:`sim.levers`).
        above: The value must be larger than this (exclusive), or None.
        below: The value must be smaller than this (exclusive), or None.
        choices: The only values a string may take, or None.
        why: Why the bounds are where they are, said after a refusal (``" (NSGA-II needs parents)"``).
        assumed: ``(low, high)``, the documented prior range of a parameter nobody fitted
            (source ``ASSUMPTION``): the values the decision sweeps draw it from
            (:func:`sim.config.assumed_ranges`), uniform, or log-uniform with ``log``.
        log: Draw ``assumed`` log-uniformly (for a scale known only to a factor).
        reason: Why the assumed range is where it is (evidence, or the argument), for PARAMETERS.md.
    """
    meta = {"lo": lo, "hi": hi, "unit": unit, "source": source, "doc": doc}
    if assumed is not None:
        low, high = (float(v) for v in assumed)
        if not low < high or (log and low <= 0) or not low <= float(default) <= high or not reason:
            raise ConfigError(
                f"assumed range {assumed!r} must be low < high (low > 0 when log), hold the default {default!r} "
                "and give its reason"
            )
        meta["assumed"] = {"low": low, "high": high, "log": bool(log), "reason": reason}
    for key, value in (("above", above), ("below", below), ("choices", choices)):
        if value is not None:
            meta[key] = value
    if why:
        meta["why"] = why
    if lever is not None:
        meta["lever"] = tuple(float(v) for v in lever)
    if isinstance(default, list | dict):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)


#: Bounds of every seed: numpy's generators take non-negative integers, and stored plans hold 64 bits.
SEED_RANGE: dict[str, Any] = {"lo": 0, "hi": 2**63 - 1, "why": " (a seed is a whole number from 0 to 2**63 - 1)"}


def setting(default: Any, *, doc: str, unit: str = "", **bounds: Any) -> Any:
    """A documented, bounded setting of how something is run (a sweep, the optimiser, the calibration).

    Declared and checked as model parameters are (:func:`param`), but it describes the procedure,
    not the world, so it has no source.
    """
    return param(default, doc=doc, unit=unit, source="", **bounds)


def prob(default: float, *, source: str = "ASSUMPTION", doc: str = "", **assumption: Any) -> Any:
    """A probability-valued field, bounded to [0, 1] (``assumption``: :func:`param`'s ``assumed``, ``reason``)."""
    return param(default, lo=0.0, hi=1.0, unit="probability", source=source, doc=doc, **assumption)


def same_as(cls: type, name: str, default: Any, **changes: Any) -> Any:
    """A field declared as ``cls``'s field ``name`` is (bounds, unit, meaning), with another default.

    For a setting handed on unchanged to another component (the calibration's population is the
    sampler's): the declaration stays in one place.
    """
    meta = {**cls.__dataclass_fields__[name].metadata, **changes}
    if isinstance(default, list | dict):
        return field(default_factory=lambda: type(default)(default), metadata=meta)
    return field(default=default, metadata=meta)
