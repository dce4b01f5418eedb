"""Atomic file writes: a reader sees the whole file or none, whatever kills the writer.

Every file is written to a temporary name in the same folder and renamed into place. Shared by
the sweep store (runs) and the analysis layer (reports), which is why it sits at the top.  The
temporary file is created with mode 0666 minus the umask, like any ordinary file (not 0600 as
``tempfile.mkstemp`` would make it), so a sweep folder on a shared file system stays readable to
colleagues under the usual umask 022.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any


def temporary_path(path: Path, suffix: str = ".tmp") -> Path:
    """A fresh, unused name beside ``path`` for writing it (hidden, unique per process and call)."""
    return path.parent / f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}{suffix}"


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temporary file in the same folder, then rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_path(path)
    try:
        # O_EXCL: never write into someone else's file; mode 0o666 is reduced by the umask.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    """Write text atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: Path, data: Any) -> None:
    """Write JSON atomically (sorted keys, indented)."""
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True, default=json_default) + "\n")


def atomic_write_with(path: Path, writer: Callable[[Path], None]) -> None:
    """Let ``writer`` write a temporary file, then rename it to ``path`` (for parquet, PNG ...)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_path(path, suffix=path.suffix)
    try:
        writer(tmp)  # the writer creates the file: its mode follows the umask
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def json_default(obj: Any) -> Any:
    """Turn numpy scalars and arrays into JSON values; anything else into its string."""
    if hasattr(obj, "item"):
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    return str(obj)
