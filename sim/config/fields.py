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
) -> Any:
    """A documented, bounded configuration field.

    Args:
        default: Default value.
        lo: Smallest allowed value (inclusive), or None.
        hi: Largest allowed value (inclusive), or None.
        unit: Unit of the value, for the documentation.
        source: Where the default comes from (FACTS / LIT / ASSUMPTION).
        doc: One-line meaning of the parameter.
        lever: ``(low, high, step)`` when the parameter is a decision lever of its intervention:
            the values an optimiser may choose are ``low, low + step, ..., high``, and 0 means the
            intervention is not deployed (see :mod:`sim.levers`).
    """
    meta = {"lo": lo, "hi": hi, "unit": unit, "source": source, "doc": doc}
    if lever is not None:
        meta["lever"] = tuple(float(v) for v in lever)
    if isinstance(default, list):
        return field(default_factory=lambda: list(default), metadata=meta)
    return field(default=default, metadata=meta)


def prob(default: float, *, source: str = "ASSUMPTION", doc: str = "") -> Any:
    """A probability-valued field, bounded to [0, 1]."""
    return param(default, lo=0.0, hi=1.0, unit="probability", source=source, doc=doc)
