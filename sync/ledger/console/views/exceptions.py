"""异常: the exceptions queue (overdraft, overlapping sessions, conflict, rejected, stock
below zero), counting what is open, with actions that resolve each one with a reason:
accept it as it is, reverse it (cancel the redemption, give the points back), or correct
it (an adjustment of points, or the session's times at 考勤更正). A reversal or a
correction is an event applied by the ledger like a kiosk's, so it is a journal entry;
every resolution is also in the audit journal. Nothing is removed from the queue's history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from sync.ledger.staff import ledger_actions

from ..deps import NotFound, Staff, check_site, db_of, form_of, ledger_of, now_of, require, words_of
from ..render import local, render
from .common import scope

router = APIRouter(include_in_schema=False)  # pages, not API: docs/console.md
KINDS = ("overdraft", "overlapping_sessions", "conflict", "rejected", "stock_below_zero")
ACTIONS = ("accept", "reverse", "correct")


def _site_of(ex: dict) -> str | None:
    return ex.get("site_id") or ex.get("kiosk_site_id")


@router.get("/exceptions")
def exception_list(
    request: Request,
    staff: Annotated[Staff, Depends(require("exceptions.view"))],
    kind: str = "",
    state: str = "open",
) -> Response:
    with db_of(request).read() as r:
        rows = r.exception_list(kind or None, scope(staff), state != "all")
        counts = r.exception_counts(scope(staff))
    return render(
        request,
        "console/exceptions/list.html",
        rows=rows,
        counts=counts,
        kinds=KINDS,
        kind=kind,
        state=state,
        local=local,
    )


@router.post("/exceptions/{exception_id}")
async def exception_resolve(
    exception_id: int,
    request: Request,
    staff: Annotated[Staff, Depends(require("exceptions.resolve"))],
) -> Response:
    form = await form_of(request)
    action = str(form.get("action") or "")
    reason = str(form.get("reason") or "").strip()[:300]
    t = words_of(request)
    with db_of(request).read() as r:
        ex = r.exception_row(exception_id)
    if ex is None:
        raise NotFound("exception")
    check_site(staff, _site_of(ex))
    if ex["resolution"]:
        return _back(request, staff, t("exceptions.already"))
    if action not in ACTIONS:
        return _back(request, staff, t("exceptions.pick_action"))
    if not reason:
        return _back(request, staff, t("exceptions.reason_needed"))
    now = now_of(request)
    at = now.isoformat(timespec="milliseconds")

    def record(w, detail: dict) -> None:
        """The resolution and its audit entry: in the transaction of the event that
        resolves it (a reversal, a correction), or on their own for an acceptance."""
        w.resolve_exception(exception_id, action, reason, staff.account.actor, at, detail)
        w.audit(
            at,
            staff.account.actor,
            f"console.exception.{action}",
            target=f"exception:{exception_id}",
            site_id=_site_of(ex),
            before={"kind": ex["kind"], "ref": ex["ref"], "detail": ex["detail"]},
            after={"resolution": action, "reason": reason, **detail},
        )

    try:
        if action == "reverse":
            await run_in_threadpool(_reverse, request, staff, ex, reason, now, record)
        elif action == "correct":
            delta = str(form.get("delta") or "").strip()
            if not delta.lstrip("-").isdigit() or int(delta) == 0:
                return _back(request, staff, t("exceptions.delta_needed"))
            if not ex.get("volunteer_id"):
                return _back(request, staff, t("exceptions.cannot_correct"))

            def also(w, posted) -> None:
                if posted.status == "accepted":
                    record(w, {"event_id": posted.event_id, "delta": int(delta)})

            posted = await run_in_threadpool(
                ledger_actions.post_event,
                ledger_of(request),
                db_of(request),
                _site_of(ex) or ledger_of(request).site_ids()[0],
                "points.adjust",
                staff.account.actor,
                {"volunteer_id": ex["volunteer_id"], "delta": int(delta), "reason": reason},
                now,
                also,
            )
            if posted.status != "accepted":
                return _back(request, staff, posted.reason or "")
        else:
            with db_of(request).write() as w:
                record(w, {})
    except ledger_actions.ActionRefused as exc:
        return _back(request, staff, t(f"exceptions.refused.{exc.code}"))
    return RedirectResponse("/console/exceptions?resolved=1", status_code=303)


def _reverse(request: Request, staff: Staff, ex: dict, reason: str, now, record) -> None:
    """Undo what raised the exception: a redemption is cancelled (points back, goods back on
    the shelf count), a points adjustment is answered by its opposite. ``record`` writes the
    resolution in the reversal's own transaction."""
    store, db = ledger_of(request), db_of(request)
    with db.read() as r:
        source = r.event_payload(ex["event_id"]) if ex.get("event_id") else None
        redemption = (
            r.redemption_row(source["payload"].get("redemption_id", ""))
            if source and source["type"] == "redemption.create"
            else None
        )
    if source is None:
        raise ledger_actions.ActionRefused("cannot_reverse")

    def also(w, posted) -> None:
        if posted.status == "accepted":
            record(w, {"event_id": posted.event_id})

    site = _site_of(ex) or (redemption or {}).get("site_id")
    if redemption is not None:
        if redemption["status"] != "done":
            raise ledger_actions.ActionRefused("already_reversed")
        posted = ledger_actions.post_event(
            store,
            db,
            redemption["site_id"],
            "redemption.cancel",
            staff.account.actor,
            {"redemption_id": redemption["redemption_id"], "reason": reason},
            now,
            also,
        )
    elif source["type"] == "points.adjust":
        p = source["payload"]
        posted = ledger_actions.post_event(
            store,
            db,
            site or store.site_ids()[0],
            "points.adjust",
            staff.account.actor,
            {"volunteer_id": p["volunteer_id"], "delta": -int(p["delta"]), "reason": reason},
            now,
            also,
        )
    else:
        raise ledger_actions.ActionRefused("cannot_reverse")
    if posted.status != "accepted":
        raise ledger_actions.ActionRefused("rejected", posted.reason or "")


def _back(request: Request, staff: Staff, error: str) -> Response:
    with db_of(request).read() as r:
        rows = r.exception_list(None, scope(staff), True)
        counts = r.exception_counts(scope(staff))
    return render(
        request,
        "console/exceptions/list.html",
        status=422,
        rows=rows,
        counts=counts,
        kinds=KINDS,
        kind="",
        state="open",
        local=local,
        error=error,
    )
