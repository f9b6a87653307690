"""Kiosk configuration: one TOML file, environment overrides, validated at start.

Every key, its default and its meaning is listed in ``FIELDS``; an unknown key or a
wrong value is an error that names the key.
"""

from __future__ import annotations

import os
import sys
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ENV_PREFIX = "KIOSK_"


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class KioskConfig:
    site_id: str = ""  # set by enrollment or `kiosk load`; a config value overrides
    timezone: str = "Asia/Shanghai"
    language: str = "zh-Hans"  # zh-Hans | zh-Hant | en: the language the home screen starts in
    debounce_seconds: int = 120  # a second scan this soon after signing in records nothing
    grace_minutes: int = 60  # after an activity's end, before an open session counts as forgotten
    offline_after_seconds: int = 300  # no ledger contact for this long: offline redemption rules
    offline_allowance: int = 100  # points per volunteer per day redeemable while offline
    idle_timeout_seconds: int = 30  # back to the home screen after this long untouched
    camera: str = ""  # device index, video file or image folder; "" = first webcam, else simulated
    mirror_preview: bool = True  # front-facing camera: show the preview as a mirror
    scan_debounce_seconds: float = 3.0  # the same code seen again this soon is reported once
    sync_interval_seconds: int = 15
    log_level: str = "INFO"

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def _coerce(name: str, kind: type, raw: object) -> object:
    try:
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
            if isinstance(raw, bool):
                raise ValueError(raw)
            return int(raw)
        if kind is float:
            return float(raw)
        return str(raw)
    except (TypeError, ValueError):
        raise ConfigError(f"config key '{name}': expected {kind.__name__}, got {raw!r}") from None


_TYPES = {"str": str, "int": int, "bool": bool, "float": float}


def load_config(path: str | Path | None = None, env: dict[str, str] | None = None) -> KioskConfig:
    env = os.environ if env is None else env
    values: dict[str, object] = {}
    if path:
        p = Path(path)
        try:
            with p.open("rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError:
            raise ConfigError(f"config file not found: {p}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"config file {p} is not valid TOML: {exc}") from None
        data = data.get("kiosk", data)
        values.update(data)
    known = {f.name: _TYPES[f.type] if isinstance(f.type, str) else f.type for f in fields(KioskConfig)}
    for key in values:
        if key not in known:
            raise ConfigError(f"unknown config key '{key}' (known: {', '.join(sorted(known))})")
    for name in known:
        env_key = ENV_PREFIX + name.upper()
        if env_key in env:
            values[name] = env[env_key]
    coerced = {k: _coerce(k, known[k], v) for k, v in values.items()}
    cfg = KioskConfig(**coerced)  # type: ignore[arg-type]
    _validate(cfg)
    return cfg


def _validate(cfg: KioskConfig) -> None:
    try:
        ZoneInfo(cfg.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"config key 'timezone': unknown time zone {cfg.timezone!r}") from None
    if cfg.language not in ("zh-Hans", "zh-Hant", "en"):
        raise ConfigError("config key 'language': one of zh-Hans, zh-Hant, en")
    for name in ("debounce_seconds", "grace_minutes", "offline_after_seconds", "offline_allowance",
                 "idle_timeout_seconds", "sync_interval_seconds"):
        if getattr(cfg, name) < 0:
            raise ConfigError(f"config key '{name}': must not be negative")


def default_data_dir() -> Path:
    env = os.environ.get("KIOSK_DATA_DIR")
    if env:
        return Path(env)
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData" / "Local"))
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME", Path.home() / ".local" / "share"))
    return base / "volunteer-kiosk"
