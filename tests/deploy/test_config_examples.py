"""The example configuration files document every key with its default, and load; the
ledger configuration is validated key by key."""

from __future__ import annotations

import dataclasses
import re
import tomllib
from pathlib import Path

import pytest

from kiosk.config import ConfigError, KioskConfig, load_config
from sync.ledger.ops.config import (
    LedgerConfig,
    LedgerConfigError,
    default_ledger_db,
    load_ledger_config,
)

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
EXAMPLES = [
    (DEPLOY / "kiosk" / "kiosk.toml.example", "kiosk", KioskConfig),
    (DEPLOY / "ledger" / "ledger.toml.example", "ledger", LedgerConfig),
]


@pytest.mark.parametrize(("path", "table", "cls"), EXAMPLES, ids=["kiosk", "ledger"])
def test_every_field_is_documented_with_its_default(path, table, cls):
    text = path.read_text(encoding="utf-8")
    values = tomllib.loads(text)[table]
    names = [f.name for f in dataclasses.fields(cls)]
    assert sorted(values) == sorted(names), "the example lists exactly the configuration's keys"
    lines = text.splitlines()
    for f in dataclasses.fields(cls):
        assert values[f.name] == f.default, (
            f"{f.name}: the example shows {values[f.name]!r}, default is {f.default!r}"
        )
        assert type(values[f.name]) is type(f.default), f"{f.name}: written as the field's type"
        [index] = [i for i, line in enumerate(lines) if re.match(rf"{f.name}\s*=", line)]
        assert lines[index - 1].startswith("# "), f"{f.name} has a comment right above it"


def test_kiosk_example_loads_to_the_defaults():
    assert load_config(EXAMPLES[0][0], env={}) == KioskConfig()


def test_ledger_example_loads_to_the_defaults():
    assert load_ledger_config(EXAMPLES[1][0], env={}) == LedgerConfig()


def test_ledger_environment_overrides_the_file(tmp_path):
    path = tmp_path / "ledger.toml"
    path.write_text('[ledger]\nport = 9000\ndb = "/srv/ledger.db"\n')
    cfg = load_ledger_config(
        path,
        env={
            "KIOSK_LEDGER_PORT": "9100",
            "KIOSK_LEDGER_BACKUP_KEEP": "3",
            "KIOSK_LEDGER_ENROLLMENT_CODE_HOURS": "1.5",
            "UNRELATED": "x",
        },
    )
    assert (cfg.port, cfg.backup_keep, cfg.enrollment_code_hours) == (9100, 3, 1.5)
    assert cfg.db_path() == Path("/srv/ledger.db")


def test_ledger_top_level_keys_without_a_table(tmp_path):
    path = tmp_path / "ledger.toml"
    path.write_text('host = "0.0.0.0"\n')
    assert load_ledger_config(path, env={}).host == "0.0.0.0"


def test_ledger_db_default_follows_the_command(tmp_path):
    assert LedgerConfig().db_path({"KIOSK_LEDGER_DB": "/x/l.db"}) == Path("/x/l.db")
    assert (
        default_ledger_db({"XDG_DATA_HOME": str(tmp_path)})
        == tmp_path / "volunteer-kiosk-ledger" / "ledger.db"
    )


@pytest.mark.parametrize(
    ("text", "env", "key"),
    [
        ("prot = 1", {}, "prot"),
        ("port = 0", {}, "port"),
        ("port = 70000", {}, "port"),
        ('port = "http"', {}, "port"),
        ("port = true", {}, "port"),
        ("port = 8470.5", {}, "port"),
        ("", {"KIOSK_LEDGER_PORT": "eighty"}, "port"),
        ('host = ""', {}, "host"),
        ('synchronous = "OFF"', {}, "synchronous"),
        ("enrollment_code_hours = 0", {}, "enrollment_code_hours"),
        ("backup_keep = 0", {}, "backup_keep"),
        ("backup_keep_daily = -1", {}, "backup_keep_daily"),
        ('backup_dir = ""', {}, "backup_dir"),
        ('log_level = "LOUD"', {}, "log_level"),
        ('log_format = "xml"', {}, "log_format"),
        ("log_max_bytes = 10", {}, "log_max_bytes"),
        ("host = [1, 2]", {}, "host"),
    ],
)
def test_ledger_errors_name_the_key(tmp_path, text, env, key):
    path = tmp_path / "ledger.toml"
    path.write_text(f"[ledger]\n{text}\n")
    with pytest.raises(LedgerConfigError, match=f"'{key}'"):
        load_ledger_config(path, env=env)


def test_ledger_file_errors(tmp_path):
    with pytest.raises(LedgerConfigError, match="not found"):
        load_ledger_config(tmp_path / "none.toml", env={})
    bad = tmp_path / "bad.toml"
    bad.write_text("port = = 1")
    with pytest.raises(LedgerConfigError, match="not valid TOML"):
        load_ledger_config(bad, env={})


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ('touch_input = "evdev"', "touch_input"),
        ('touch_input = "mtdev,event2"', "touch_input"),
        ('log_format = "yaml"', "log_format"),
        ('log_level = "chatty"', "log_level"),
        ("log_max_bytes = 1", "log_max_bytes"),
        ("log_backups = -1", "log_backups"),
    ],
)
def test_new_kiosk_keys_are_validated(tmp_path, text, key):
    path = tmp_path / "kiosk.toml"
    path.write_text(f"[kiosk]\n{text}\n")
    with pytest.raises(ConfigError, match=f"'{key}'"):
        load_config(path, env={})


def test_touch_input_becomes_kivy_input_providers():
    assert KioskConfig().kivy_input == {"mouse": "mouse,disable_multitouch"}
    assert KioskConfig(touch_input="mtdev").kivy_input == {
        "touchscreen": "probesysfs,provider=mtdev"
    }
    assert KioskConfig(touch_input="hidinput,/dev/input/event3").kivy_input == {
        "touchscreen": "hidinput,/dev/input/event3"
    }
    assert load_config(None, env={"KIOSK_TOUCH_INPUT": "mtdev"}).touch_input == "mtdev"
