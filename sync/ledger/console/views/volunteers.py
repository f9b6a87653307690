"""志愿者: search by name, number, phone or pinyin initials (as you type); a volunteer's
page with sessions, points, balance and card versions; edit, suspend, reissue and print a
card; import the roster from a spreadsheet with a preview of what will change and the
errors row by row before anything is written."""

from __future__ import annotations

import io
import secrets
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from kiosk.core.stars import MAX_STARS, progress
from sync.ledger.staff import certificates, records

from .. import tools
from ..deps import NotFound, Staff, db_of, form_of, ledger_of, now_of, require, words_of
from ..render import local, render
from .common import audited, ms, title

router = APIRouter(include_in_schema=False)  # pages, not API: docs/console.md
Viewer = Annotated[Staff, Depends(require("volunteers.view"))]
Editor = Annotated[Staff, Depends(require("volunteers.edit"))]
Issuer = Annotated[Staff, Depends(require("certificates.issue"))]
UPLOADS = Path(tempfile.gettempdir()) / "vk-console-uploads"
UPLOAD_TYPES = (".xlsx", ".xlsm", ".csv")
MAX_UPLOAD = 20 * 1024 * 1024
HISTORY_DAYS = 400  # a volunteer's page lists the sessions of the last 13 months or so
STATUSES = ("active", "suspended", "inactive")


def _search(request: Request, q: str) -> list[dict]:
    with db_of(request).read() as r:
        stale = r.search_is_stale()
    if stale:
        with db_of(request).write() as w:
            w.sync_search()
    with db_of(request).read() as r:
        return r.search_volunteers(q, limit=25)


@router.get("/volunteers")
def volunteer_search(request: Request, staff: Viewer, q: str = "") -> Response:
    rows = _search(request, q) if q.strip() else []
    return render(
        request,
        "console/volunteers/list.html",
        fragment="console/volunteers/_results.html",
        q=q,
        rows=rows,
    )


def _person(request: Request, volunteer_id: str) -> dict:
    now = now_of(request)
    with db_of(request).read() as r:
        found = r.people_rows([volunteer_id])
        if not found:
            raise NotFound("volunteer")
        person = found[0]
        sessions = r.volunteer_sessions(
            volunteer_id, ms(now - timedelta(days=HISTORY_DAYS)), ms(now + timedelta(days=1))
        )
        cards = r.card_versions(volunteer_id)
        redemptions = r.volunteer_redemptions(volunteer_id)
        acts = r.activity_titles(sorted({s["activity_id"] for s in sessions[:100]}))
    store = ledger_of(request)
    with store.read() as tx:
        issued = tx.certificates(volunteer_id)
    lang = words_of(request).lang
    titles = {k: title(a, lang) for k, a in acts.items()}
    return {
        "person": person,
        "sessions": sessions,
        "cards": cards,
        "redemptions": redemptions,
        "titles": titles,
        "stars": progress(person["minutes_total"], records.star_thresholds(store)),
        "certificates": sorted(issued, key=lambda c: c["issued_at"], reverse=True),
        "has_org": bool(records.ledger_settings(store)["org_name"]),
    }


@router.get("/volunteers/import")
def roster_import_form(request: Request, staff: Editor) -> Response:
    return render(request, "console/volunteers/import.html")


# -- roster import ------------------------------------------------------------------------


def _cleanup_uploads(max_age_s: float = 3600) -> None:
    if not UPLOADS.is_dir():
        return
    limit = time.time() - max_age_s  # file ages, not the ledger's clock: this is disk upkeep
    for f in UPLOADS.iterdir():
        try:
            if f.stat().st_mtime < limit:
                f.unlink()
        except OSError:
            pass


def _kept(staff: Staff, token: str) -> Path | None:
    """An upload kept between preview and import, only for the session that sent it."""
    if not token.isalnum():
        return None
    found = [p for p in UPLOADS.glob(f"{staff.session_hash[:16]}-{token}.*") if p.is_file()]
    return found[0] if found else None


@router.post("/volunteers/import")
async def roster_import(request: Request, staff: Editor) -> Response:
    form = await form_of(request)
    t = words_of(request)
    full = form.get("full") == "1"
    token = str(form.get("upload") or "")
    if form.get("apply") == "1":
        path = _kept(staff, token)
        if path is None:
            return render(
                request, "console/volunteers/import.html", status=410, error=t("import.expired")
            )
    else:
        upload = form.get("file")
        name = getattr(upload, "filename", "") or ""
        suffix = Path(name).suffix.lower()
        if suffix not in UPLOAD_TYPES:
            return render(
                request, "console/volunteers/import.html", status=415, error=t("import.type")
            )
        body = await upload.read(MAX_UPLOAD + 1)
        if len(body) > MAX_UPLOAD:
            return render(
                request, "console/volunteers/import.html", status=413, error=t("import.too_large")
            )
        if not body:
            return render(
                request, "console/volunteers/import.html", status=422, error=t("import.empty")
            )
        _cleanup_uploads()
        UPLOADS.mkdir(mode=0o700, exist_ok=True)
        token = secrets.token_hex(8)
        path = UPLOADS / f"{staff.session_hash[:16]}-{token}{suffix}"
        path.write_bytes(body)
    apply = form.get("apply") == "1"
    store = ledger_of(request)
    now = now_of(request)

    report = tools.RosterReport(dry_run=not apply)  # filled in by the import

    def work():
        parsed = tools.parse_roster(path)
        tools.import_roster(store, parsed, now, dry_run=not apply, full=full, report=report)
        return parsed

    def entry(w) -> None:  # in the import's own transaction
        w.audit(
            now.isoformat(timespec="milliseconds"),
            staff.account.actor,
            "console.roster.import",
            target="roster",
            after={k: v for k, v in report.to_dict(limit=20).items() if k != "errors"},
        )

    with audited(request, entry) as pending:
        parsed = await run_in_threadpool(work)
        if not (apply and report.ok):
            pending.clear()  # a preview, or refused: nothing changed
    names = {r.volunteer_id: r.name for r in parsed.rows if r.volunteer_id}
    if apply and report.ok:
        path.unlink(missing_ok=True)
    return render(
        request,
        "console/volunteers/import.html",
        status=200 if report.ok else 422,
        report=report,
        applied=apply and report.ok,
        upload=token,
        full=full,
        names=names,
    )


@router.get("/volunteers/{volunteer_id}")
def volunteer_page(volunteer_id: str, request: Request, staff: Viewer) -> Response:
    return render(
        request,
        "console/volunteers/detail.html",
        statuses=STATUSES,
        local=local,
        max_stars=MAX_STARS,
        **_person(request, volunteer_id),
    )


def _one_row(person: dict, form) -> tools.RosterFile:
    phone = tools.normalise_phone(str(form.get("phone") or ""))
    return tools.RosterFile(
        rows=[
            tools.RosterRow(
                2,
                person["volunteer_id"],
                str(form.get("name") or "").strip(),
                phone if phone is not None else "!",
                str(form.get("team") or "").strip(),
                str(form.get("izhiyuan_id") or person["izhiyuan_id"] or "").strip(),
                str(form.get("status") or person["status"]),
            )
        ],
        headers={"name": "姓名", "phone": "手机", "team": "队伍", "status": "状态"},
    )


@router.post("/volunteers/{volunteer_id}")
async def volunteer_edit(volunteer_id: str, request: Request, staff: Editor) -> Response:
    form = await form_of(request)
    before = _person(request, volunteer_id)
    person = before["person"]
    t = words_of(request)
    parsed = _one_row(person, form)
    row = parsed.rows[0]
    error = None
    if not row.name or len(row.name) > 40:
        error = t("volunteers.bad_name")
    elif row.phone == "!":
        error = t("volunteers.bad_phone")
    elif row.status not in STATUSES:
        error = t("volunteers.bad_status")
    keys = ("name", "phone", "team", "status", "izhiyuan_id")

    def entry(w) -> None:  # in the edit's own transaction, which it reads the result from
        (after,) = w.people_rows([volunteer_id])
        w.audit(
            now_of(request).isoformat(timespec="milliseconds"),
            staff.account.actor,
            "console.volunteer.update",
            target=f"volunteer:{volunteer_id}",
            before={k: person[k] for k in keys},
            after={k: after[k] for k in keys},
        )

    if error is None:
        with audited(request, entry) as pending:
            report = await run_in_threadpool(
                tools.import_roster, ledger_of(request), parsed, now_of(request)
            )
            if not report.ok:
                pending.clear()
                error = "; ".join(e.message for e in report.errors)
    if error:
        return render(
            request,
            "console/volunteers/detail.html",
            status=422,
            statuses=STATUSES,
            local=local,
            error=error,
            max_stars=MAX_STARS,
            **before,
        )
    return RedirectResponse(f"/console/volunteers/{volunteer_id}?saved=1", status_code=303)


@router.post("/volunteers/{volunteer_id}/reissue")
async def volunteer_reissue(volunteer_id: str, request: Request, staff: Editor) -> Response:
    form = await form_of(request)
    reason = str(form.get("reason") or "").strip()[:200]
    before = _person(request, volunteer_id)["person"]

    def entry(w) -> None:  # in the reissue's own transaction
        (after,) = w.people_rows([volunteer_id])
        w.audit(
            now_of(request).isoformat(timespec="milliseconds"),
            staff.account.actor,
            "console.card.reissue",
            target=f"volunteer:{volunteer_id}",
            before={"card_version": before["card_version"]},
            after={"card_version": after["card_version"], "reason": reason},
        )

    try:
        with audited(request, entry):
            await run_in_threadpool(
                tools.reissue, ledger_of(request), volunteer_id, now_of(request), reason
            )
    except tools.AdminError as exc:
        raise NotFound("volunteer") from exc
    return RedirectResponse(f"/console/volunteers/{volunteer_id}?reissued=1", status_code=303)


@router.post("/volunteers/{volunteer_id}/certificate")
async def volunteer_certificate(volunteer_id: str, request: Request, staff: Issuer) -> Response:
    """A 志愿服务证明 PDF of the volunteer's service in the period asked for (default: all of
    it), recorded before it is handed over, so /verify knows every paper there is."""
    from datetime import date
    from urllib.parse import quote

    form = await form_of(request)
    t = words_of(request)
    _person(request, volunteer_id)  # 404 for nobody
    try:
        start = date.fromisoformat(str(form.get("from") or "")) if form.get("from") else None
        end = date.fromisoformat(str(form.get("to") or "")) if form.get("to") else None
    except ValueError:
        return _detail(request, volunteer_id, 422, t("certificate.bad_date"))
    store, now = ledger_of(request), now_of(request)

    def work() -> tuple[certificates.Issued, bytes]:
        with tempfile.TemporaryDirectory() as tmp:
            issued = certificates.issue(
                store, volunteer_id, Path(tmp) / "certificate.pdf",
                private_key=tools.private_key(store), now=now, period_from=start,
                period_to=end, issued_by=staff.account.actor,
            )  # fmt: skip
            return issued, issued.path.read_bytes()

    def entry(w) -> None:  # in the record's own transaction: the certificate just recorded
        w.audit(
            now.isoformat(timespec="milliseconds"),
            staff.account.actor,
            "console.certificate.issue",
            target=f"volunteer:{volunteer_id}",
            after=w.latest_certificate(volunteer_id),
        )

    try:
        with audited(request, entry):  # a refusal raises: nothing recorded, nothing audited
            issued, body = await run_in_threadpool(work)
    except certificates.CertificateError as exc:
        return _detail(request, volunteer_id, 422, str(exc))
    except tools.AdminError as exc:  # no signing key on this server
        return _detail(request, volunteer_id, 422, str(exc))
    f = issued.figures
    name = quote(f"志愿服务证明-{volunteer_id}-{f.number}.pdf")
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"},
    )


def _detail(request: Request, volunteer_id: str, status: int, error: str) -> Response:
    return render(
        request,
        "console/volunteers/detail.html",
        status=status,
        statuses=STATUSES,
        local=local,
        error=error,
        max_stars=MAX_STARS,
        **_person(request, volunteer_id),
    )


@router.get("/volunteers/{volunteer_id}/card.png")
def volunteer_card(volunteer_id: str, request: Request, staff: Viewer) -> Response:
    store = ledger_of(request)
    try:
        (h,) = tools.card_holders(store, tools.private_key(store), ids=[volunteer_id])
    except (tools.AdminError, ValueError) as exc:
        raise NotFound("volunteer") from exc
    buf = io.BytesIO()
    tools.card_image(h.code, h.name, h.subject_id, h.kind).save(buf, "PNG")
    return Response(buf.getvalue(), media_type="image/png")


@router.get("/volunteers/{volunteer_id}/card.pdf")
def volunteer_card_pdf(volunteer_id: str, request: Request, staff: Viewer) -> Response:
    from urllib.parse import quote

    store = ledger_of(request)
    try:
        holders = tools.card_holders(store, tools.private_key(store), ids=[volunteer_id])
    except (tools.AdminError, ValueError) as exc:
        raise NotFound("volunteer") from exc
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "card.pdf"
        tools.card_sheet.write_pdf(holders, out)
        body = out.read_bytes()
    name = quote(f"志愿者卡-{volunteer_id}.pdf")
    return Response(
        body,
        media_type="application/pdf",
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{name}"},
    )
