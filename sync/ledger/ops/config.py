"""Ledger configuration: one TOML file (a ``[ledger]`` table, or top-level keys), then
``KIOSK_LEDGER_<KEY>`` environment overrides, validated before the service starts.

Every key is documented with its default in ``deploy/ledger/ledger.toml.example``
(a test holds the two together). An unknown key or a bad value is an error that names
the key, so a typo never silently falls back to a default.

Stdlib only, and nothing from ``kiosk``: the ledger host installs no kiosk stack.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from kiosk.tomlconfig import load_dataclass, user_data_base

ENV_PREFIX = "KIOSK_LEDGER_"


class LedgerConfigError(ValueError):
    pass


@dataclass(frozen=True)
class LedgerConfig:
    db: str = ""  # "" = $KIOSK_LEDGER_DB, else ledger.db in the user data folder
    host: str = "127.0.0.1"  # loopback: only the TLS proxy in front talks to the service
    port: int = 8470
    synchronous: str = (
        "FULL"  # SQLite durability: FULL survives power loss with every acknowledged batch
    )
    admin_token_file: str = ""  # where the staff (admin) token is kept, mode 0600; "" = nowhere
    enrollment_code_hours: float = 24.0  # lifetime of a one-time kiosk enrollment code
    community_name: str = ""  # on the volunteers' poster: 博凯社区新时代文明实践站
    contact: str = ""  # whom volunteers ask, on the poster: 社工 李老师 0760-8888 0000
    backup_dir: str = "/var/backups/volunteer-kiosk-ledger"  # put it on another disk
    backup_keep: int = 7  # newest backups kept
    backup_keep_daily: int = 31  # plus the newest backup of each of this many days
    backup_keep_weekly: int = 12  # plus the newest backup of each of this many ISO weeks
    log_level: str = "INFO"
    log_target: str = (
        "auto"  # auto (journal under systemd, else stderr) | journal | stderr | a file path
    )
    log_format: str = "auto"  # auto (kv to journal/stderr, json to files) | kv | json
    log_max_bytes: int = 5_000_000  # a log file is rotated at this size
    log_backups: int = 5  # rotated log files kept

    def db_path(self, env: Mapping[str, str] | None = None) -> Path:
        if self.db:
            return Path(self.db)
        return default_ledger_db(env)


def default_ledger_db(env: Mapping[str, str] | None = None) -> Path:
    """The same default as ``kiosk-ledger --db``."""
    env = os.environ if env is None else env
    if env.get("KIOSK_LEDGER_DB"):
        return Path(env["KIOSK_LEDGER_DB"])
    return user_data_base(env) / "volunteer-kiosk-ledger" / "ledger.db"


def load_ledger_config(
    path: str | Path | None = None, env: Mapping[str, str] | None = None
) -> LedgerConfig:
    cfg = load_dataclass(
        LedgerConfig,
        path,
        env,
        table="ledger",
        env_prefix=ENV_PREFIX,
        error=LedgerConfigError,
        label="ledger config",
    )
    validate(cfg)
    return cfg


def validate(cfg: LedgerConfig) -> None:
    def bad(key: str, why: str) -> LedgerConfigError:
        return LedgerConfigError(f"ledger config key '{key}': {why}")

    if not cfg.host.strip():
        raise bad("host", "must not be empty")
    if not 1 <= cfg.port <= 65535:
        raise bad("port", f"must be 1..65535, got {cfg.port}")
    if cfg.synchronous.upper() not in ("NORMAL", "FULL", "EXTRA"):
        raise bad("synchronous", f"one of NORMAL, FULL, EXTRA, got {cfg.synchronous!r}")
    if not cfg.enrollment_code_hours > 0:
        raise bad("enrollment_code_hours", "must be more than 0")
    if not cfg.backup_dir.strip():
        raise bad("backup_dir", "must not be empty")
    if cfg.backup_keep < 1:
        raise bad("backup_keep", "must be at least 1")
    for key in ("backup_keep_daily", "backup_keep_weekly", "log_backups"):
        if getattr(cfg, key) < 0:
            raise bad(key, "must not be negative")
    if cfg.log_max_bytes < 1024:
        raise bad("log_max_bytes", "must be at least 1024")
    if not isinstance(logging.getLevelName(cfg.log_level.upper()), int):
        raise bad(
            "log_level", f"one of DEBUG, INFO, WARNING, ERROR, CRITICAL, got {cfg.log_level!r}"
        )
    if not cfg.log_target.strip():
        raise bad("log_target", "auto, journal, stderr or a file path")
    if cfg.log_format not in ("auto", "kv", "json"):
        raise bad("log_format", f"one of auto, kv, json, got {cfg.log_format!r}")
