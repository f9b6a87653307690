"""The console's menu: the pages in the order staff use them, each shown only to an
account that may open it (the route is the gate; this only hides what would answer 403)."""

from __future__ import annotations

from dataclasses import dataclass

from sync.ledger.staff.roles import Account

from .i18n import Words

# (key, url, permission): the page names are the and the manual's.
PAGES = (
    ("nav.today", "/console/today", "today.view"),
    ("nav.kiosks", "/console/kiosks", "kiosks.view"),
    ("nav.volunteers", "/console/volunteers", "volunteers.view"),
    ("nav.activities", "/console/activities", "activities.view"),
    ("nav.catalog", "/console/catalog", "catalog.view"),
    ("nav.exceptions", "/console/exceptions", "exceptions.view"),
    ("nav.corrections", "/console/corrections", "attendance.correct"),
    ("nav.reports", "/console/reports", "reports.view"),
    ("nav.audit", "/console/audit", "audit.view"),
    ("nav.accounts", "/console/accounts", "accounts.manage"),
    ("nav.settings", "/console/settings", "settings.edit"),
)


@dataclass(frozen=True)
class MenuItem:
    label: str
    url: str
    current: bool


def menu(account: Account, path: str, t: Words) -> list[MenuItem]:
    return [
        MenuItem(t(key), url, path == url or path.startswith(url + "/"))
        for key, url, perm in PAGES
        if account.can(perm)
    ]


def home(account: Account) -> str:
    """Where an account lands after signing in: its first page."""
    return next((url for _, url, perm in PAGES if account.can(perm)), "/console/password")
