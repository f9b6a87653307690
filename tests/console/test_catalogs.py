"""Every word the console shows is in all three catalogs, and every audit action has a
sentence (pretix's logdisplay rule: a code without one fails here)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sync.ledger.console import audit_text
from sync.ledger.console.i18n import LANGS, read_catalog

CONSOLE = Path(__file__).resolve().parents[2] / "sync" / "ledger" / "console"
# Keys built in templates from a prefix and a value: each value the product uses.
DYNAMIC = {
    "role.": ("admin", "site_staff", "read_only"),
    "status.": ("active", "suspended", "inactive"),
    "session.": ("open", "closed", "auto_closed", "cancelled"),
    "kind.": ("goods", "privilege", "ticket"),
    "exception.": (
        "overdraft",
        "overlapping_sessions",
        "conflict",
        "rejected",
        "stock_below_zero",
    ),
    "exceptions.action.": ("accept", "reverse", "correct"),
    "signups.": ("signed_up", "waiting", "came", "missed"),
    "settings.": tuple(
        k + end
        for k in ("org_name", "org_address", "org_contact", "org_phone", "verify_url")
        + ("star_thresholds",)
        for end in ("", "_hint")
    ),
    "error.": tuple(
        f"{k}.{p}" for k in ("forbidden", "csrf", "login", "missing") for p in ("title", "text")
    ),
    "kiosks.": ("alert_never", "alert_silent", "alert_old_events", "alert_clock"),
}


def used_keys() -> set[str]:
    keys: set[str] = set()
    for f in [*CONSOLE.rglob("*.html"), *CONSOLE.rglob("*.py")]:
        keys |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z0-9_.]+)["']""", f.read_text()))
    keys = {k for k in keys if not k.endswith(".")}
    for prefix, values in DYNAMIC.items():
        keys |= {prefix + v for v in values}
    keys |= {f"audit.{a}" for a in audit_text.ACTIONS} | {"audit.api.admin"}
    return keys


@pytest.mark.parametrize("lang", LANGS)
def test_every_key_is_translated(lang):
    catalog = {m.id: m.string for m in read_catalog(lang) if m.id}
    missing = sorted(k for k in used_keys() if not catalog.get(k))
    assert not missing, f"{lang} lacks {missing}"
    same = [k for k, v in catalog.items() if v == k]
    assert not same, f"{lang} has untranslated keys {same}"


def test_every_audit_action_recorded_has_a_sentence():
    recorded = set()
    for f in CONSOLE.parent.rglob("*.py"):
        recorded |= set(re.findall(r'"(console\.[a-z_]+(?:\.[a-z_]+)+)"', f.read_text()))
    recorded -= {a for a in recorded if a.startswith("console.exception.")}  # f-string below
    assert recorded <= set(audit_text.ACTIONS), recorded - set(audit_text.ACTIONS)


def test_traditional_chinese_is_not_simplified():
    catalog = {m.id: m.string for m in read_catalog("zh-Hant") if m.id}
    assert catalog["nav.volunteers"] == "義工"
    assert catalog["nav.catalog"] == "禮品與存貨"
