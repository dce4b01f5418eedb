"""Named presets (``scenario``, ``policy``) read from the same YAML files the command line uses.

``simulate({"scenario": "province", "policy": "all"})`` must run what
``experiments/run.py scenario=province policy=all`` runs.  The root config
(``sim/conf/config.yaml``) composes, in this order: the schema's defaults, the scenario preset
(default ``county``), the policy preset (default ``none``), then the command line's overrides.
:func:`compose` does the same with plain OmegaConf merges of the same files.

A ``province`` preset (``sim/conf/province/``) chooses a scenario and a policy (a province's
package on its own world) through ``override`` entries of its defaults list; a ``scenario`` or
``policy`` named beside it wins, as on the command line, where ``province=shanxi policy=none`` runs
no intervention on Shanxi's world.

Parsing a YAML file through OmegaConf costs milliseconds, more than building and validating the
configuration itself, and a sweep, a calibration or an EMA experiment composes thousands: each
file is parsed once per version (its modification time and size) and handed out as a copy, and a
group's names are listed once per version of its folder, so an edited or added preset is read
anew.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from omegaconf import OmegaConf

from sim.config import ConfigError

#: The Hydra configuration folder, shipped inside the package (Hydra reads it as ``pkg://sim.conf``).
CONF_DIR = Path(__file__).resolve().parent / "conf"

#: Preset groups in the order the root config's defaults list applies them, with their defaults.
GROUPS = {"scenario": "county", "policy": "none"}

#: Groups whose presets only choose presets of the groups above (``override /<group>: <name>``).
SELECTORS = ("province",)


def preset_names(group: str) -> list[str]:
    """The presets of one group (``scenario`` or ``policy``)."""
    folder = CONF_DIR / group
    try:
        stamp = folder.stat().st_mtime_ns  # adding, removing or renaming a preset changes it
    except OSError:
        stamp = None
    return list(_names(folder, stamp))


@functools.lru_cache(maxsize=32)
def _names(folder: Path, stamp: int | None) -> tuple[str, ...]:
    """The preset names of a folder, once per version of the folder (``stamp``)."""
    return tuple(sorted(p.stem for p in folder.glob("*.yaml")))


def _read(path: Path, resolve: bool) -> dict[str, Any]:
    """A preset file as plain data: a fresh copy of the file parsed once per version."""
    info = path.stat()
    return copy.deepcopy(_parsed(path, info.st_mtime_ns, info.st_size, resolve))


@functools.lru_cache(maxsize=128)
def _parsed(path: Path, mtime_ns: int, size: int, resolve: bool) -> Any:
    """A preset file parsed by OmegaConf, once per version of the file (its time and size)."""
    return OmegaConf.to_container(OmegaConf.load(path), resolve=resolve)


def load_preset(group: str, name: Any) -> dict[str, Any]:
    """The settings of one preset, as a nested dict (a ``@package _global_`` file).

    Raises:
        ConfigError: The name is not a string or names no preset of the group.
    """
    names = preset_names(group)
    if not isinstance(name, str) or name not in names:
        if not names:
            raise ConfigError(f"{group}={name!r}: no presets found in {CONF_DIR / group}")
        raise ConfigError(f"{group}={name!r} is not a preset; choose one of: {', '.join(names)}")
    data = _read(CONF_DIR / group / f"{name}.yaml", resolve=True)
    assert isinstance(data, dict)
    if "defaults" in data:  # not used by the presets today; refuse rather than half-apply
        raise ConfigError(f"{group}={name}: presets with a defaults list are not supported outside Hydra")
    return data


def selected_presets(group: str, name: Any) -> dict[str, str]:
    """The presets a selector preset (``province=shanxi``) chooses: group -> preset name.

    Raises:
        ConfigError: The name is not a preset of the group, or the preset holds anything but
            ``override /<group>: <name>`` entries for the groups of :data:`GROUPS`.
    """
    if name is None:  # province=null: nothing chosen
        return {}
    names = preset_names(group)
    if not isinstance(name, str) or name not in names:
        raise ConfigError(f"{group}={name!r} is not a preset; choose one of: {', '.join(names)}")
    data = _read(CONF_DIR / group / f"{name}.yaml", resolve=False)
    assert isinstance(data, dict)
    chosen: dict[str, str] = {}
    for entry in data.pop("defaults", None) or []:
        key, value = next(iter(entry.items())) if isinstance(entry, dict) and len(entry) == 1 else ("", None)
        target = key.removeprefix("override /")
        if target not in GROUPS or not key.startswith("override /") or not isinstance(value, str):
            raise ConfigError(f"{group}={name}: {entry!r} is not an 'override /<scenario|policy>: <name>' entry")
        chosen[target] = value
    if data:
        raise ConfigError(f"{group}={name}: a {group} preset only chooses presets; it holds {sorted(data)}")
    return chosen


def compose(config: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The layers to merge, in order, for a mapping that may name presets.

    Args:
        config: A (partial, nested) configuration; its ``scenario`` and ``policy`` keys name presets,
            its ``province`` key a preset choosing both (a ``scenario`` or ``policy`` key wins).

    Returns:
        The scenario preset, the policy preset and the rest of ``config``, to be merged in this order.
    """
    rest = dict(config)
    chosen: dict[str, str] = {}
    for group in SELECTORS:
        chosen.update(selected_presets(group, rest.pop(group, None)))
    layers = [load_preset(group, rest.pop(group, chosen.get(group, default))) for group, default in GROUPS.items()]
    return [*layers, rest]
