"""The command line's configuration checked and read: strict keys, the simulation part, the sweep's settings."""

from __future__ import annotations

import dataclasses
import sys
from typing import Any

from omegaconf import DictConfig, OmegaConf

from sim.cli.schema import OPTIMISE_SWEEPER, RunConfig
from sim.config import ConfigError, SimConfig, build_config, check_keys
from sim.config.build import field_hint
from sim.config.validation import _check_type
from sim.sweeps.experiment import ReportSettings, SensitivityConfig, validate_run_config


def is_optimisation(config: DictConfig) -> bool:
    """True when the multirun is an optimisation (``experiment=optimise`` sets its sweeper)."""
    return str(OmegaConf.select(config, "hydra.sweeper._target_", default="")) == OPTIMISE_SWEEPER


def _sensitivity(cfg: DictConfig) -> SensitivityConfig:
    return OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(SensitivityConfig), cfg.sensitivity))  # type: ignore[return-value]


def report_settings(cfg: DictConfig) -> ReportSettings:
    """The sweep's report settings (``report.*``) as their dataclass."""
    return OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(ReportSettings), cfg.report))  # type: ignore[return-value]


def strict_keys(cfg: DictConfig) -> None:
    """Reject keys the schema does not have (``+replicate=3`` adds one; it must not pass silently).

    Raises:
        ConfigError: Naming the unknown key.
    """
    plain = OmegaConf.to_container(cfg, resolve=False)
    assert isinstance(plain, dict)
    plain.pop("hydra", None)
    try:
        check_keys(plain, RunConfig)
    except ConfigError as exc:
        key = str(exc).split("=", 1)[0]
        if key in _appended_keys(cfg):  # Hydra advises "+key=value" for a key it does not know
            raise ConfigError(
                f"{exc}; +{key} adds a key, and this application takes only the keys it declares "
                "(docs/PARAMETERS.md lists them)"
            ) from exc
        raise


def _appended_keys(cfg: DictConfig) -> set[str]:
    """Keys the command line added with ``+`` (Hydra's advice for a key it does not know)."""
    from hydra.core.hydra_config import HydraConfig

    task = OmegaConf.select(cfg, "hydra.overrides.task", default=None)
    if task is None and HydraConfig.initialized():
        task = HydraConfig.get().overrides.task
    return {t[1:].split("=", 1)[0] for t in task or [] if t.startswith("+") and not t.startswith("++")}


def check_override_types(args: list[str]) -> None:
    """Check the command line's values against the schema before Hydra converts them.

    Hydra's parser types each value (``1`` a whole number, ``0.5`` a number, ``true`` a switch,
    ``yes`` and ``'0.5'`` strings); OmegaConf would then turn ``yes`` and ``1`` into True and
    ``'0.5'`` into 0.5.  Values are held to their declared types here, as :func:`sim.simulate`
    holds Python's, and every value of a sweep (``a,b``, ``range()``) is checked.

    Args:
        args: The command line's arguments; those without ``=`` and flags are left out.

    Raises:
        ConfigError: Naming the key and the value of the first mistyped override.
    """
    from hydra.core.override_parser.overrides_parser import OverridesParser

    texts = [a for a in args if "=" in a and not a.startswith("-")]
    try:
        overrides = OverridesParser.create().parse_overrides(texts)
    except Exception:  # Hydra's own message, naming the override, comes when it parses them again
        return
    for ov in overrides:
        key = ov.key_or_group.lstrip("+~")
        hint = field_hint(RunConfig, key) if not ov.is_delete() else None
        if hint is None or dataclasses.is_dataclass(hint):
            continue
        values = list(ov.sweep_iterator()) if ov.is_discrete_sweep() else [] if ov.is_sweep_override() else [ov.value()]
        for value in values:
            if not (isinstance(value, str) and "${" in value):
                _check_type(key, value, hint)


def validated(cfg: DictConfig) -> SimConfig:
    """The simulation part of a Hydra config, every key and value checked.

    Raises:
        ConfigError: Naming the key and the value.
    """
    strict_keys(cfg)
    sens = _sensitivity(cfg)
    validate_run_config(int(cfg.replicates), sens, int(cfg.base_seed), report_settings(cfg))
    sim_cfg = build_config(cfg)
    for key, (low, high) in sens.parameters.items() if sens.n_samples > 0 else ():
        build_config(sim_cfg, **{key: low})  # an uncertain parameter must be a key with these bounds
        build_config(sim_cfg, **{key: high})
    return sim_cfg


def checked_config(cfg: DictConfig) -> SimConfig:
    """:func:`validated`, exiting with a clear message (status 2) if invalid."""
    try:
        return validated(cfg)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc


def _config_without_hydra(config: DictConfig) -> dict[str, Any]:
    plain = OmegaConf.to_container(config, resolve=False)
    assert isinstance(plain, dict)
    plain.pop("hydra", None)
    resolved = OmegaConf.to_container(OmegaConf.create(plain), resolve=True)
    assert isinstance(resolved, dict)
    return resolved
