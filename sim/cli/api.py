"""Sweeps from Python: ``sim.sweep(...)`` runs the command line's sweep in this process.

``sim.sweep("compare", scenario="county", replicates=3)`` is
``experiments/run.py -m experiment=compare scenario=county replicates=3``: the same Hydra
application, plan, store, launcher, resume rules and one-sweep-per-folder lock (nothing here plans
or stores runs itself), called without a subprocess, and it returns the sweep's tidy tables.
Keyword settings become the command line's overrides: dotted keys (``**{"voting.compliance":
0.6}``, or ``voting__compliance=0.6``), and a list of values sweeps them as arms (``policy=["none",
"team_inspection"]`` is ``policy=none,team_inspection``), as ``mesa.batch_run`` takes lists.

Hydra is driven through its own entry point (``hydra.main``, reading ``sys.argv``, which is set
for the call and put back); the logging set-up it installs for the sweep, and the matplotlib
backend the report chooses, are undone after it.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TextIO

import matplotlib

from sim.cli.callback import SweepCallback
from sim.cli.entry import hydra_app
from sim.cli.folder import SweepBusyError
from sim.cli.schema import RunConfig, register_schema
from sim.config import ConfigError, check_keys
from sim.presets import CONF_DIR, GROUPS, load_preset
from sim.sweeps.store import SweepResults, load_results

#: Keyword arguments that are presets (config groups), not settings.
PRESET_GROUPS = (*GROUPS, "experiment")


class SweepFailedError(RuntimeError):
    """The sweep ran, but some of its planned runs failed or are missing, or its report failed.

    The runs that finished are stored and collected: ``sim.load_results(error.sweep_dir)`` reads them.
    """

    def __init__(self, message: str, sweep_dir: Path | None) -> None:
        super().__init__(message)
        self.sweep_dir = sweep_dir


def experiment_names() -> list[str]:
    """The experiments of ``sim/conf/experiment/`` (``compare``, ``factorial`` ...)."""
    return sorted(p.stem for p in (CONF_DIR / "experiment").glob("*.yaml"))


def override_value(value: Any) -> str:
    """A Python value as Hydra's override grammar writes it (a list or tuple: a sweep over its items)."""
    if isinstance(value, list | tuple):
        if not value:
            raise ConfigError("an empty list sweeps nothing: give at least one value")
        return ",".join(override_value(v) if not isinstance(v, list | tuple) else _list_value(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return repr(value)
    text = str(value)
    if re.fullmatch(r"[\w.\-/+:]+", text):
        return text
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _list_value(items: list[Any] | tuple[Any, ...]) -> str:
    return "[" + ",".join(override_value(v) for v in items) + "]"


def _check_settings(settings: Mapping[str, Any]) -> None:
    """Refuse unknown keys and presets before Hydra starts, naming the key and the value.

    Raises:
        ConfigError: An unknown key, preset or experiment.
    """
    swept: list[dict[str, Any]] = [{}]
    for key, value in settings.items():
        if key in GROUPS:
            for name in value if isinstance(value, list | tuple) else [value]:
                load_preset(key, name)
            continue
        # A list sweeps over its items (a list inside it is one value): each item is checked.
        items = list(value) if isinstance(value, list | tuple) else [value]
        while len(swept) < len(items):
            swept.append({})
        for nested, item in zip(swept, items, strict=False):
            node = nested
            parts = key.split(".")
            for part in parts[:-1]:
                node = node.setdefault(part, {})
                if not isinstance(node, dict):
                    raise ConfigError(f"{key}={value!r}: {part} is a setting, not a section")
            node[parts[-1]] = {} if isinstance(item, Mapping) else item
    for nested in swept:
        check_keys(nested, RunConfig)


def sweep_overrides(experiment: str | None, settings: Mapping[str, Any]) -> list[str]:
    """The command line's overrides for an experiment and keyword settings.

    Raises:
        ConfigError: An unknown experiment, preset or key, naming it.
    """
    settings = {key.replace("__", "."): value for key, value in settings.items()}
    if experiment is not None and experiment not in experiment_names():
        raise ConfigError(
            f"experiment={experiment!r} is not an experiment; choose one of: {', '.join(experiment_names())}"
        )
    _check_settings(settings)
    overrides = [f"experiment={experiment}"] if experiment is not None else []
    return overrides + [f"{key}={override_value(value)}" for key, value in settings.items()]


class _Tee(io.TextIOBase):
    """Writes to a stream and keeps a copy (Hydra and the sweep say why they stopped on stderr)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream, self.copy = stream, io.StringIO()

    def write(self, text: str) -> int:
        self.copy.write(text)
        return self.stream.write(text)

    def flush(self) -> None:
        self.stream.flush()


@contextlib.contextmanager
def _as_command_line(argv: list[str]) -> Iterator[_Tee]:
    """``sys.argv`` set to ``argv``, stderr copied; logging and matplotlib's backend put back after the call.

    The report's modules choose matplotlib's Agg backend when first imported (during the sweep); a
    notebook keeps its own.
    """
    backend = matplotlib.get_backend()
    saved_argv, saved_stderr = sys.argv, sys.stderr
    root = logging.getLogger()
    saved_root = (root.level, root.handlers[:])
    saved = {
        name: (lg.level, lg.handlers[:], lg.propagate, lg.disabled)
        for name, lg in logging.root.manager.loggerDict.items()
        if isinstance(lg, logging.Logger)
    }
    tee = _Tee(saved_stderr)
    sys.argv, sys.stderr = argv, tee  # type: ignore[assignment]
    try:
        with matplotlib.rc_context():  # the report's style stays the report's
            yield tee
    finally:
        sys.argv, sys.stderr = saved_argv, saved_stderr
        _restore_backend(backend, switched=matplotlib.get_backend() != backend)
        root.setLevel(saved_root[0])
        root.handlers[:] = saved_root[1]
        for name, lg in logging.root.manager.loggerDict.items():
            if isinstance(lg, logging.Logger) and name in saved:
                lg.level, lg.handlers[:], lg.propagate, lg.disabled = saved[name][0], saved[name][1], *saved[name][2:]


def _restore_backend(backend: str, switched: bool) -> None:
    """Put matplotlib's backend back; in IPython with the inline backend, through ``%matplotlib inline``.

    Switching the backend away unhooks IPython's inline display, and switching it back with
    ``matplotlib.use`` alone does not hook it again.
    """
    if not switched:
        return
    shell = getattr(sys.modules.get("IPython"), "get_ipython", lambda: None)()
    if shell is not None and backend.endswith("backend_inline"):
        shell.run_line_magic("matplotlib", "inline")
    else:
        matplotlib.use(backend)


def _failure(code: Any, said: str, sweep_dir: Path | None) -> Exception:
    """The exception for the exit status a sweep stopped with, carrying what it said."""
    lines = [line.rstrip() for line in said.splitlines() if line.strip() and "run/s" not in line]
    first = next((i for i, line in enumerate(lines) if line.startswith("error: ")), None)
    said_why = lines[first:] if first is not None else lines[-4:]  # the sweep's message, or Hydra's
    message = "\n".join(said_why).removeprefix("error: ") or f"the sweep stopped with status {code}"
    if code == 3:
        return SweepBusyError(message)
    if code == 2 or sweep_dir is None:  # refused before any run: a bad key, value or plan
        return ConfigError(message)
    return SweepFailedError(message, sweep_dir)


def sweep(
    experiment: str | None = None,
    *,
    sweep_dir: str | Path | None = None,
    launcher: str | None = None,
    **settings: Any,
) -> SweepResults:
    """Run a sweep as ``experiments/run.py -m`` does, in this process, and return its tidy tables.

    Args:
        experiment: An experiment of ``sim/conf/experiment/`` (``compare``, ``factorial``,
            ``dose_response`` ...), or None for an ad-hoc sweep of the arms given as lists.
        sweep_dir: The sweep's folder (``hydra.sweep.dir``); by default the command line's,
            ``results/<experiment>/<scenario>`` under the current folder.  A folder holds one plan:
            the same call again resumes it, more replicates or arms extend it, anything else is
            refused (``sweep={"on_change": "archive"}`` sets the old runs aside).
        launcher: Hydra's launcher: ``joblib`` (the default: every core), ``basic`` (serial, in
            this process), ``submitit_slurm`` ...
        **settings: The command line's settings as keywords: presets (``scenario="county"``,
            ``policy="all"``), the sweep's (``replicates=3``, ``base_seed=7``, ``report__enabled=False``)
            and dotted configuration keys (``**{"schedule.post_election_days": 0}`` or
            ``schedule__post_election_days=0``); a list sweeps its values as arms.

    Returns:
        ``(runs, timeseries)``: one row per run, and one row per run and day (see
        :func:`sim.load_results`).

    Raises:
        ConfigError: A key, value, preset or plan is refused before any run, naming it.
        SweepBusyError: Another sweep is using the folder.
        SweepFailedError: Runs failed or are missing, or the report failed (the finished runs are kept).

    Example:
        >>> runs, days = sim.sweep(policy=["none", "team_inspection"], replicates=2,
        ...                        sweep_dir="/tmp/two_arms", launcher="basic")  # doctest: +SKIP
    """
    overrides = sweep_overrides(experiment, settings)
    if sweep_dir is not None:
        overrides.append(f"hydra.sweep.dir={override_value(str(sweep_dir))}")
    if launcher is not None:
        overrides.append(f"hydra/launcher={launcher}")
    register_schema()
    SweepCallback.last_sweep_dir = None
    with _as_command_line(["sim.sweep", "-m", *overrides]) as said:
        try:
            hydra_app()
        except SystemExit as stop:
            if stop.code not in (0, None):
                raise _failure(stop.code, said.copy.getvalue(), SweepCallback.last_sweep_dir) from None
    folder = SweepCallback.last_sweep_dir
    if folder is None:
        raise ConfigError(f"the sweep did not start: {said.copy.getvalue().strip()[-2000:]}")
    return load_results(folder)
