"""Issuing service certificates (志愿服务证明), free of charge, "谁记录谁证明": the ledger
that recorded the service certifies it, from its own sessions, signed with its own key.

Every certificate issued is recorded (number, volunteer, period, figures, who issued it,
the signed QR text) and can be looked up by its number at /verify. The number carries a
random part, so certificates cannot be looked up by counting.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from kiosk.core import certificate as cert
from kiosk.core.codes import mask_name
from sync.ledger.db.base import LedgerDB
from sync.ledger.staff import records
from sync.ledger.staff.certificate_pdf import CertificateDoc, Organisation, ServiceLine, write_pdf

_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # nothing read as another (no 0/O, 1/I/L)


class CertificateError(ValueError):
    """Why a certificate cannot be issued, in words for the person asking."""


@dataclass(frozen=True)
class Issued:
    figures: cert.CertificateFigures
    qr_text: str
    pages: int
    path: Path


def organisation(store: LedgerDB) -> Organisation:
    s = records.ledger_settings(store)
    if not s["org_name"]:
        raise CertificateError(
            "未设置出具组织：kiosk-ledger settings --org-name … / set the organisation first"
            " (kiosk-ledger settings --org-name ...)"
        )
    return Organisation(s["org_name"], s["org_address"], s["org_contact"], s["org_phone"])


def issue(
    store: LedgerDB,
    volunteer_id: str,
    out: str | Path,
    *,
    private_key: str,
    now: datetime,
    period_from: date | None = None,
    period_to: date | None = None,
    issued_by: str,
) -> Issued:
    """Record a certificate of the volunteer's service in the period (default: from their
    first session to today), then write its PDF; returns what it certifies. Recorded first,
    so no paper exists that /verify does not know."""
    found = store.volunteer(volunteer_id)
    if found is None or found.get("kind") != "V":
        raise CertificateError(f"没有这位志愿者 / no volunteer {volunteer_id}")
    today = now.date()
    period_to = period_to or today
    lines = records.service_lines(store, volunteer_id, period_from or date(1970, 1, 1), period_to)
    if period_from is None:
        period_from = date.fromisoformat(lines[0]["day"]) if lines else today
    if period_to < period_from:
        raise CertificateError("结束日期早于开始日期 / the period ends before it starts")
    org = organisation(store)
    prefix = f"VC-{today.year}-"
    with store.write() as tx:
        serial = tx.certificate_serial(prefix)
        # The random part: certificates cannot be looked up by counting.
        number = f"{prefix}{serial:06d}-{''.join(secrets.choice(_ALPHABET) for _ in range(6))}"
        figures = cert.CertificateFigures(
            number=number,
            volunteer_id=volunteer_id,
            name=found.get("display_name") or volunteer_id,
            period_from=period_from,
            period_to=period_to,
            minutes=sum(line["credited_minutes"] for line in lines),
            sessions=len(lines),
            issued=today,
        )
        qr_text = cert.sign(private_key, figures)
        tx.record_certificate(
            {
                "number": number,
                "volunteer_id": volunteer_id,
                "name": figures.name,
                "period_from": period_from.isoformat(),
                "period_to": period_to.isoformat(),
                "minutes": figures.minutes,
                "sessions": figures.sessions,
                "issued_on": today.isoformat(),
                "issued_at": now.isoformat(),
                "issued_by": issued_by,
                "qr_text": qr_text,
            }
        )
    doc = CertificateDoc(
        figures,
        qr_text,
        org,
        [
            ServiceLine(
                date.fromisoformat(line["day"]),
                line["titles"]["zh-Hans"],
                line["credited_minutes"],
                line["site_name"],
            )
            for line in lines
        ],
        verify_url=records.ledger_settings(store)["verify_url"],
    )
    path = Path(out)
    pages = write_pdf(doc, path)
    return Issued(figures, qr_text, pages, path)


def check(store: LedgerDB, *, number: str | None = None, code: str | None = None) -> dict[str, Any]:
    """What /verify shows: ``status`` genuine / forged / malformed / unknown, and for a
    genuine one what it certifies (the name masked: the paper in hand has it in full)."""
    if code:
        try:
            fig = cert.verify(code, store.public_key)
        except cert.CertificateRefused as exc:
            return {
                "status": "forged" if exc.reason == cert.CertificateRefusal.FORGED else "malformed"
            }
        number = fig.number
    with store.read() as tx:
        row = tx.certificate(cert.normalize_number(number or ""))
    if row is None:
        # a signed code the ledger has no record of was not issued by this ledger's records
        return {"status": "unknown", "number": number or ""}
    if code and row["qr_text"] != code.strip():
        return {"status": "forged", "number": row["number"]}
    return {
        "status": "genuine",
        "number": row["number"],
        "volunteer_id": row["volunteer_id"],
        "name": mask_name(row["name"]),
        "period_from": row["period_from"],
        "period_to": row["period_to"],
        "minutes": row["minutes"],
        "hours": f"{row['minutes'] // 60}.{(row['minutes'] % 60) * 10 // 60}",
        "sessions": row["sessions"],
        "issued_on": row["issued_on"],
        "organisation": records.ledger_settings(store)["org_name"],
    }
