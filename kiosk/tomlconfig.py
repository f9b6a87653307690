"""Loading a typed configuration: one TOML file, environment overrides, errors that name
the key. Shared by the kiosk's and the ledger's configuration (stdlib only)."""

from __future__ import annotations

import os
import sys
import tomllib
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
_TYPES = {"str": str, "int": int, "float": float, "bool": bool}


def user_data_base(env: Mapping[str, str] | None = None) -> Path:
    """The platform's folder for per-user application data."""
    env = os.environ if env is None else env
    if sys.platform == "win32":
        return Path(env.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support"
    return Path(env.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))


def coerce(name: str, kind: type, raw: object, error: type[Exception], label: str) -> object:
    try:
        if isinstance(raw, bool) and kind is not bool:
            raise ValueError(raw)
        if kind is bool:
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError(raw)
        if kind is int:
            if isinstance(raw, float) and not raw.is_integer():
                raise ValueError(raw)
            return int(raw)  # type: ignore[call-overload]
        if kind is float:
            return float(raw)  # type: ignore[arg-type]
        if not isinstance(raw, str | int | float):
            raise ValueError(raw)
        return str(raw)
    except (TypeError, ValueError):
        raise error(f"{label} key '{name}': expected {kind.__name__}, got {raw!r}") from None


def load_dataclass(
    cls: type[T],
    path: str | Path | None,
    env: Mapping[str, str] | None,
    *,
    table: str,
    env_prefix: str,
    error: type[Exception],
    label: str,
) -> T:
    """``cls`` from the file's ``[table]`` (or its top level), then ``env_prefix + KEY`` overrides."""
    env = os.environ if env is None else env
    values: dict[str, Any] = {}
    if path:
        p = Path(path)
        try:
            with p.open("rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError:
            raise error(f"{label} file not found: {p}") from None
        except tomllib.TOMLDecodeError as exc:
            raise error(f"{label} file {p} is not valid TOML: {exc}") from None
        section = data.get(table, data)
        if not isinstance(section, dict):
            raise error(f"{label} file {p}: [{table}] must be a table")
        values.update(section)
    known = {f.name: _TYPES[f.type] if isinstance(f.type, str) else f.type for f in fields(cls)}  # type: ignore[arg-type]
    for key in values:
        if key not in known:
            raise error(f"unknown {label} key '{key}' (known: {', '.join(sorted(known))})")
    for name in known:
        if env_prefix + name.upper() in env:
            values[name] = env[env_prefix + name.upper()]
    return cls(**{k: coerce(k, known[k], v, error, label) for k, v in values.items()})
