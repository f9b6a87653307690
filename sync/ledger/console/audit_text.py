"""Each audit action code as a sentence a community worker reads (pretix's logdisplay).
tests/console/test_audit_text.py fails on an action the product records without one."""

from __future__ import annotations

from sync.ledger.db.console import AuditEntry

from .i18n import Words

# Every action the ledger records; the words are in the catalogs as ``audit.<action>``.
ACTIONS = (
    "console.login",
    "console.login.failed",
    "console.logout",
    "console.password.change",
    "console.password.reset",
    "console.account.create",
    "console.account.update",
    "console.kiosk.enroll_code",
    "console.kiosk.revoke",
    "console.volunteer.update",
    "console.card.reissue",
    "console.roster.import",
    "console.activity.create",
    "console.activity.update",
    "console.activity.cancel",
    "console.activity.import",
    "console.catalog.create",
    "console.catalog.update",
    "console.stock.set",
    "console.exception.accept",
    "console.exception.reverse",
    "console.exception.correct",
    "console.attendance.correct",
    "console.report.download",
    "console.staff_card.create",
    "console.staff_pin.set",
    "console.certificate.issue",
    "console.settings.update",
)


def describe(entry: AuditEntry, t: Words) -> str:
    if entry.action.startswith("api.admin."):
        return t("audit.api.admin", target=entry.target)
    key = f"audit.{entry.action}"
    text = t(key, target=entry.target, actor=entry.actor)
    return entry.action if text == key else text
