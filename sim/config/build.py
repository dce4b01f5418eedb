"""Building a validated configuration from mappings, Hydra's DictConfig, dotted overrides or a SimConfig."""

from __future__ import annotations

import dataclasses
import difflib
import functools
import typing
from collections.abc import Mapping
from typing import Any

from omegaconf import DictConfig, OmegaConf

from sim.config.fields import ConfigError
from sim.config.schema import SimConfig
from sim.config.validation import _check_type, _type_hints, validate


# --------------------------------------------------------------------------------------------
# Construction and validation
# --------------------------------------------------------------------------------------------
def build_config(source: SimConfig | Mapping[str, Any] | DictConfig | None = None, **overrides: Any) -> SimConfig:
    """Make a validated :class:`SimConfig` from a mapping, a DictConfig or a SimConfig.

    Unknown keys are rejected at every level (so a typo cannot be silently ignored), numpy
    scalars are accepted as the Python numbers they hold, and every value is checked against its
    type and bounds.

    Args:
        source: Configuration to start from (partial mappings are merged onto the defaults). A
            DictConfig (Hydra's) may hold keys that are not simulation keys; they are left out.
        **overrides: Dotted-key overrides, e.g. ``**{"world.n_townships": 4}``.

    Returns:
        A validated configuration.

    Raises:
        ConfigError: A key is unknown, or a value has the wrong type or is out of bounds.
    """
    if isinstance(source, SimConfig) and not overrides and not _has_foreign_scalars(source):
        # Already typed: only the values need checking (merging through OmegaConf is slow).
        # Configurations are never modified after construction, so it is returned as it is.
        validate(source)
        return source
    if isinstance(source, DictConfig) and not overrides:
        # Hydra's configuration is typed by the schema already: build the dataclasses directly
        # (a sweep plans every job this way); anything unusual takes the OmegaConf path below.
        raw = _sim_section(OmegaConf.to_container(source, resolve=False))  # type: ignore[arg-type]
        try:
            typed = _from_plain(SimConfig, OmegaConf.to_container(OmegaConf.create(raw), resolve=True))
            validate(typed)
            return typed
        except (ConfigError, TypeError, ValueError, KeyError):
            pass  # the OmegaConf path converts what it can and names the problem
    direct = _build_direct(source, overrides)
    if direct is not None:
        return direct
    schema = OmegaConf.structured(SimConfig)
    try:
        if isinstance(source, SimConfig):
            merged = OmegaConf.merge(schema, plain_values(to_dict(source)))
        elif source is None:
            merged = schema
        elif isinstance(source, DictConfig):
            # Drop non-simulation keys (e.g. ``hydra``) before resolving interpolations.
            raw = _sim_section(OmegaConf.to_container(source, resolve=False))  # type: ignore[arg-type]
            merged = OmegaConf.merge(schema, OmegaConf.to_container(OmegaConf.create(raw), resolve=True))
        elif isinstance(source, Mapping):
            data = plain_values(dict(source))
            check_keys(data, SimConfig)
            merged = OmegaConf.merge(schema, data)
        else:
            raise ConfigError(
                f"config={source!r} must be a mapping (e.g. a dict) or a SimConfig, not {type(source).__name__}"
            )
        for key, value in overrides.items():
            if not isinstance(key, str) or OmegaConf.select(schema, key, default=_MISSING) is _MISSING:
                raise ConfigError(
                    f"{key}={value!r}: unknown key{_did_you_mean(schema, key)} (see docs/PARAMETERS.md for the keys)"
                )
            value = plain_values(value, key)
            node = OmegaConf.select(schema, key)
            if isinstance(node, DictConfig):
                if not isinstance(value, Mapping):
                    raise ConfigError(f"{key}={value!r} must be a mapping of the keys of section {key}")
                check_keys(value, type(OmegaConf.to_object(node)), key + ".")
            else:
                _check_type(key, value, field_hint(SimConfig, key))  # no "0.5" -> 0.5, no 1 -> True
            OmegaConf.update(merged, key, value, merge=True)
    except ConfigError:
        raise
    except Exception as exc:  # omegaconf's errors name the key; re-raise as our type
        raise ConfigError(_omegaconf_message(exc)) from exc
    cfg: SimConfig = OmegaConf.to_object(merged)  # type: ignore[assignment]
    validate(cfg)
    return cfg


_MISSING = object()


class _NotDirectError(Exception):
    """An input the direct construction does not vouch for: the OmegaConf path decides."""


@functools.cache
def _field_names(cls: type) -> tuple[str, ...]:
    """The field names of a configuration dataclass in their order, once."""
    return tuple(f.name for f in dataclasses.fields(cls))


def _build_direct(source: Any, overrides: Mapping[str, Any]) -> SimConfig | None:
    """:func:`build_config` without OmegaConf, for inputs whose values have their types already.

    Builds the dataclasses straight from plain data: about 1 ms, against 30 to 120 ms through
    ``OmegaConf.structured``, ``merge`` and ``to_object``, which a sweep, a calibration or an EMA
    experiment would pay on every run.  It takes a value only where OmegaConf would keep it (a
    value of the field's type) or convert it the same way (a whole number for a float field, or in
    a list of floats, becomes a float); anything else (an interpolation, a missing value ``???``,
    a value of another type, a section given a scalar, an override it cannot place, a Hydra
    DictConfig) returns None and the OmegaConf path runs, with its error messages.  The checks
    both paths share (numpy scalars, unknown keys and types, then :func:`validate`) run in the same
    order, so they raise the same errors; ``tests/test_config_direct.py`` holds the two paths
    equal, value by value and error by error.

    Returns:
        The validated configuration, or None when the OmegaConf path must decide.
    """
    if isinstance(source, SimConfig):
        data = plain_values(to_dict(source))
    elif source is None:
        data = {}
    elif isinstance(source, Mapping) and not isinstance(source, DictConfig):
        data = plain_values(dict(source))
        check_keys(data, SimConfig)
    else:
        return None
    try:
        for key, value in overrides.items():
            _place(data, key, plain_values(value, key) if isinstance(key, str) else value)
        cfg = _direct(SimConfig, data)
    except (_NotDirectError, ConfigError):
        return None
    validate(cfg)
    return cfg


def _place(data: dict[str, Any], key: Any, value: Any) -> None:
    """Set a dotted override in nested plain data as ``OmegaConf.update(..., merge=True)`` does."""
    if not isinstance(key, str):
        raise _NotDirectError
    cls: Any = SimConfig
    node = data
    parts = key.split(".")
    for i, part in enumerate(parts):
        if not dataclasses.is_dataclass(cls) or part not in _field_names(cls):
            raise _NotDirectError
        hint = _type_hints(cls)[part]
        if i == len(parts) - 1:
            if dataclasses.is_dataclass(hint):
                current = node.get(part, {})
                if not isinstance(value, Mapping) or not isinstance(current, Mapping):
                    raise _NotDirectError
                check_keys(value, hint, key + ".")  # a ConfigError sends it to the OmegaConf path
                node[part] = merge_plain(current, value)
            else:
                node[part] = value
            return
        child = node.setdefault(part, {})
        if not isinstance(child, dict):
            raise _NotDirectError
        node, cls = child, hint


def merge_plain(base: Mapping[str, Any], update: Mapping[str, Any]) -> dict[str, Any]:
    """``update`` merged into a copy of ``base``, section by section (as OmegaConf merges mappings).

    Args:
        base: Nested plain data.
        update: Nested plain data whose values win.

    Returns:
        A new mapping; neither argument is modified.
    """
    out = dict(base)
    for key, value in update.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = merge_plain(out[key], value)
        else:
            out[key] = value
    return out


def _direct(cls: type, data: Any) -> Any:
    """A configuration dataclass from plain data whose values OmegaConf would keep (see :func:`_build_direct`)."""
    if not isinstance(data, Mapping):
        raise _NotDirectError
    names = _field_names(cls)
    hints = _type_hints(cls)
    kwargs = {}
    for key, value in data.items():
        if key not in names:
            raise _NotDirectError
        hint = hints[key]
        direct = _direct(hint, value) if dataclasses.is_dataclass(hint) else _direct_value(value, hint)
        kwargs[key] = direct
    return cls(**kwargs)


def _direct_value(value: Any, hint: Any) -> Any:
    """A field's value as OmegaConf would store it, when it stores it unchanged or as a float."""
    kind = type(value)
    if hint is float:
        if kind is float:
            return value
        if kind is int:
            return float(value)  # as OmegaConf's FloatNode converts a whole number
    elif hint is int or hint is bool:
        if kind is hint:
            return value
    elif hint is str:
        # "???" is OmegaConf's missing value and "${...}" an interpolation: OmegaConf's to decide.
        if kind is str and value != "???" and "${" not in value:
            return value
    elif typing.get_origin(hint) is list and kind is list:
        item = typing.get_args(hint)[0]
        return [_direct_value(v, item) for v in value]
    raise _NotDirectError


def field_hint(cls: type, dotted: str) -> Any:
    """The declared type of a dotted key of a configuration dataclass (None if it has none)."""
    hint: Any = cls
    for part in dotted.split("."):
        if not dataclasses.is_dataclass(hint):
            return None
        hint = _type_hints(hint).get(part)  # type: ignore[arg-type]
    return hint


def _did_you_mean(schema: DictConfig, key: Any) -> str:
    """``; did you mean <key>?`` for the known key of the same section closest to a mistyped one."""
    if not isinstance(key, str):
        return ""
    parent, _, leaf = key.rpartition(".")
    section = OmegaConf.select(schema, parent, default=None) if parent else schema
    if not isinstance(section, DictConfig):
        return ""
    close = difflib.get_close_matches(leaf, [str(k) for k in section], n=1)
    return f"; did you mean {parent + '.' if parent else ''}{close[0]}?" if close else ""


def check_keys(data: Mapping[str, Any], cls: type, prefix: str = "") -> None:
    """Reject keys that ``cls`` (a configuration dataclass) does not have, and values of the wrong type.

    Types are checked before OmegaConf merges the values, since OmegaConf would convert them
    (``"0.5"`` to 0.5, ``"yes"`` and ``1`` to True): nothing is converted here.

    Raises:
        ConfigError: Naming the unknown key with its full dotted path, a section given a value,
            or a value of the wrong type.
    """
    fields = _field_names(cls)
    hints = _type_hints(cls)
    for key, value in data.items():
        if key not in fields:
            known = ", ".join(sorted(fields))
            close = difflib.get_close_matches(key, list(fields), n=1)
            hint = f"; did you mean {prefix}{close[0]}?" if close else ""
            raise ConfigError(f"{prefix}{key}={value!r}: unknown key{hint} (known keys of this section: {known})")
        hint = hints.get(key)
        if dataclasses.is_dataclass(hint):
            if not isinstance(value, Mapping):
                raise ConfigError(f"{prefix}{key}={value!r} must be a mapping of the keys of section {prefix}{key}")
            check_keys(value, hint, f"{prefix}{key}.")  # type: ignore[arg-type]
        elif not _is_interpolation(value):
            _check_type(f"{prefix}{key}", value, hint)


def _is_interpolation(value: Any) -> bool:
    """An OmegaConf interpolation (``${...}``), resolved and checked after merging."""
    return isinstance(value, str) and "${" in value


def _omegaconf_message(exc: Exception) -> str:
    """OmegaConf's error in one line, naming the key."""
    key = getattr(exc, "full_key", "") or ""
    msg = str(getattr(exc, "msg", "") or exc).splitlines()[0]
    return f"{key}: {msg}" if key else f"invalid configuration: {msg}"


def plain_values(value: Any, key: str = "") -> Any:
    """``value`` with numpy scalars and arrays turned into Python numbers and lists (recursively).

    Notebooks and tools such as the EMA Workbench hand over ``numpy.float64``, ``numpy.int64``
    and ``numpy.bool_``; OmegaConf accepts only Python's own types.

    Raises:
        ConfigError: A mapping has a key that is not a string.
    """
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise ConfigError(f"{key + '.' if key else ''}{k!r}: keys must be strings")
            out[k] = plain_values(v, f"{key}.{k}" if key else k)
        return out
    if isinstance(value, list | tuple):
        return [plain_values(v, key) for v in value]
    if type(value).__module__ == "numpy":
        return value.tolist() if hasattr(value, "tolist") else value.item()
    return value


def _from_plain(cls: type, data: Any) -> Any:
    """A configuration dataclass from plain nested data whose values have their types already.

    Raises:
        TypeError: A key is unknown or a section is not a mapping.
    """
    if not isinstance(data, Mapping):
        raise TypeError(f"{cls.__name__} needs a mapping")
    hints = _type_hints(cls)
    kwargs = {}
    for key, value in data.items():
        hint = hints[key]  # KeyError for an unknown key
        kwargs[key] = _from_plain(hint, value) if dataclasses.is_dataclass(hint) else value
    return cls(**kwargs)


def _has_foreign_scalars(node: Any) -> bool:
    """True if a typed configuration holds values of non-Python types (e.g. numpy scalars)."""
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        if dataclasses.is_dataclass(value):
            if _has_foreign_scalars(value):
                return True
        elif any(type(v).__module__ == "numpy" for v in (value if isinstance(value, list) else [value])):
            return True
    return False


def _sim_section(data: dict[str, Any]) -> dict[str, Any]:
    """Keep only the keys that belong to a simulation (a Hydra config has others)."""
    names = {f.name for f in dataclasses.fields(SimConfig)}
    return {k: v for k, v in data.items() if k in names}


def to_dict(cfg: SimConfig) -> dict[str, Any]:
    """The configuration as a plain nested dict (JSON-ready)."""
    return dataclasses.asdict(cfg)


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten a nested mapping into dotted keys; lists stay lists."""
    flat: dict[str, Any] = {}
    for k, v in data.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            flat.update(flatten(v, key + "."))
        elif isinstance(v, list | tuple):
            flat[key] = list(v)
        else:
            flat[key] = v
    return flat


def with_values(cfg: SimConfig, **values: Any) -> SimConfig:
    """``cfg`` with scalar fields set by dotted key: a fast :func:`build_config` for many runs.

    Sets each value by replacing the dataclasses on its path (no OmegaConf merge: about 3 ms
    instead of 70 ms a call), converts integers given for float fields to floats and numpy
    scalars to Python ones, as :func:`build_config` does, then validates the whole configuration.

    Args:
        cfg: A typed configuration (left unchanged).
        **values: Dotted keys of scalar fields and their values, e.g.
            ``**{"interventions.team_inspection.n_teams": 8}``.

    Returns:
        A new, validated configuration.

    Raises:
        ConfigError: Naming the key and the value: an unknown key, a section or list given a
            scalar, a value of the wrong type, or a value out of bounds.
    """
    by_section: dict[str, dict[str, Any]] = {}
    for key, value in values.items():
        head, _, rest = key.partition(".")
        by_section.setdefault(head, {})[rest] = value
    return _replace_node(cfg, by_section, "")  # type: ignore[return-value]


def _replace_node(node: Any, values: dict[str, dict[str, Any]], prefix: str) -> Any:
    fields = {f.name: f for f in dataclasses.fields(node)}
    hints = _type_hints(type(node))
    changes: dict[str, Any] = {}
    for name, sub in values.items():
        key = prefix + name
        if name not in fields:
            rest, value = next(iter(sub.items()))
            raise ConfigError(f"{key}{'.' + rest if rest else ''}={value!r}: unknown key (see docs/PARAMETERS.md)")
        current = getattr(node, name)
        if dataclasses.is_dataclass(current):
            nested: dict[str, dict[str, Any]] = {}
            for rest, value in sub.items():
                if not rest:
                    raise ConfigError(f"{key}={value!r} must be a mapping of the keys of section {key}")
                head, _, tail = rest.partition(".")
                nested.setdefault(head, {})[tail] = value
            changes[name] = _replace_node(current, nested, key + ".")
            continue
        if set(sub) != {""}:
            raise ConfigError(f"{key}.{next(iter(sub))}: unknown key ({key} is not a section)")
        changes[name] = _coerce(key, plain_values(sub[""], key), hints.get(name))
    out = dataclasses.replace(node, **changes)
    if not prefix:
        validate(out)
    return out


def _coerce(key: str, value: Any, hint: Any) -> Any:
    """A value as its field's type, as OmegaConf would convert it (ints to floats), else a ConfigError."""
    if hint is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if hint is int and isinstance(value, float) and value.is_integer():
        return int(value)
    _check_type(key, value, hint)
    return value
