"""Kiosk configuration: one TOML file, environment overrides, validated at start.

Every key, its default and its meaning is listed in ``FIELDS``; an unknown key or a
wrong value is an error that names the key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kiosk.tomlconfig import load_dataclass, user_data_base

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
    voice_prompts: bool = True  # say each outcome aloud in the screen's language (assets/voice)
    camera: str = ""  # device index, video file or image folder; "" = first webcam, else simulated
    mirror_preview: bool = True  # front-facing camera: show the preview as a mirror
    scan_debounce_seconds: float = 3.0  # the same code seen again this soon is reported once
    sync_interval_seconds: int = 15
    log_level: str = "INFO"
    log_target: str = (
        "auto"  # auto (journal under systemd, else stderr) | journal | stderr | a file path
    )
    log_format: str = "auto"  # auto (kv to journal/stderr, json to files) | kv | json
    log_max_bytes: int = 5_000_000  # a log file is rotated at this size
    log_backups: int = 5  # rotated log files kept
    # "" = SDL2 delivers the touchscreen as taps (enough for buttons); "mtdev" or
    # "hidinput" = Kivy reads the touchscreen itself, optionally ",/dev/input/eventN",
    # for screens SDL2 misreads under KMS/DRM.
    touch_input: str = ""

    @property
    def kivy_input(self) -> dict[str, str]:
        """The ``[input]`` section of Kivy's config for ``touch_input``. With a Kivy touch
        provider the SDL2 mouse is left out, or every tap would arrive twice."""
        if not self.touch_input:
            return {"mouse": "mouse,disable_multitouch"}
        provider, _, device = self.touch_input.partition(",")
        if device:
            return {"touchscreen": f"{provider},{device}"}
        return {"touchscreen": f"probesysfs,provider={provider}"}

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


def load_config(path: str | Path | None = None, env: dict[str, str] | None = None) -> KioskConfig:
    cfg = load_dataclass(
        KioskConfig,
        path,
        env,
        table="kiosk",
        env_prefix=ENV_PREFIX,
        error=ConfigError,
        label="config",
    )
    _validate(cfg)
    return cfg


def _validate(cfg: KioskConfig) -> None:
    try:
        ZoneInfo(cfg.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"config key 'timezone': unknown time zone {cfg.timezone!r}") from None
    if cfg.language not in ("zh-Hans", "zh-Hant", "en"):
        raise ConfigError("config key 'language': one of zh-Hans, zh-Hant, en")
    if cfg.log_level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"):
        raise ConfigError("config key 'log_level': one of DEBUG, INFO, WARNING, ERROR, CRITICAL")
    if not cfg.log_target.strip():
        raise ConfigError("config key 'log_target': auto, journal, stderr or a file path")
    if cfg.log_format not in ("auto", "kv", "json"):
        raise ConfigError("config key 'log_format': one of auto, kv, json")
    if cfg.log_max_bytes < 1024:
        raise ConfigError("config key 'log_max_bytes': must be at least 1024")
    provider, _, device = cfg.touch_input.partition(",")
    if provider not in ("", "mtdev", "hidinput") or (device and not device.startswith("/dev/")):
        raise ConfigError(
            'config key \'touch_input\': "", "mtdev" or "hidinput", optionally '
            'followed by ",/dev/input/eventN"'
        )
    for name in (
        "debounce_seconds",
        "grace_minutes",
        "offline_after_seconds",
        "offline_allowance",
        "idle_timeout_seconds",
        "sync_interval_seconds",
        "log_backups",
    ):
        if getattr(cfg, name) < 0:
            raise ConfigError(f"config key '{name}': must not be negative")


def default_data_dir() -> Path:
    env = os.environ.get("KIOSK_DATA_DIR")
    return Path(env) if env else user_data_base() / "volunteer-kiosk"
