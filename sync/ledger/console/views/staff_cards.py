"""工作人员卡与 PIN: the staff cards kiosks accept for staff mode, and their kiosk PINs
(管理员 only). A PIN is hashed with the card it belongs to (kiosk/core/pins.py), so a new
card needs its PIN set again; the kiosk learns both through the change feed."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from kiosk.core.codes import sign
from kiosk.core.pins import PinFormatError, check_pin_format, hash_pin

from .. import tools
from ..deps import NotFound, Staff, db_of, form_of, ledger_of, now_of, require, words_of
from ..render import render
from .common import audited

router = APIRouter(include_in_schema=False)  # pages, not API: docs/console.md
Manager = Annotated[Staff, Depends(require("accounts.manage"))]
_STAFF_ID = re.compile(r"^S(\d{4,})$")


def _people(request: Request) -> list[dict]:
    with db_of(request).read() as r:
        return r.staff_people()


def _page(request: Request, status: int = 200, **ctx) -> Response:
    return render(
        request, "console/accounts/staff_cards.html", status=status, rows=_people(request), **ctx
    )


@router.get("/staff-cards")
def staff_cards(request: Request, staff: Manager) -> Response:
    return _page(request)


@router.post("/staff-cards")
async def staff_card_add(request: Request, staff: Manager) -> Response:
    form = await form_of(request)
    name = str(form.get("name") or "").strip()
    t = words_of(request)
    if not name or len(name) > 40:
        return _page(request, status=422, error=t("volunteers.bad_name"))
    taken = [int(m.group(1)) for p in _people(request) if (m := _STAFF_ID.match(p["volunteer_id"]))]
    sid = f"S{max(taken, default=0) + 1:04d}"
    now = now_of(request)
    data = {
        "volunteer_id": sid,
        "kind": "S",
        "display_name": name,
        "team": "",
        "status": "active",
        "card_version": 1,
    }

    def entry(w) -> None:  # in the new card's own transaction
        w.audit(
            now.isoformat(timespec="milliseconds"),
            staff.account.actor,
            "console.staff_card.create",
            target=f"volunteer:{sid}",
            after=data,
        )

    with audited(request, entry):
        await run_in_threadpool(
            ledger_of(request).load_reference,
            [{"kind": "volunteer", "key": sid, "data": data}],
            now,
        )
    return _page(request, notice=t("staff_cards.added", id=sid, name=name))


@router.post("/staff-cards/{staff_id}/pin")
async def staff_pin_set(staff_id: str, request: Request, staff: Manager) -> Response:
    form = await form_of(request)
    pin, again = str(form.get("pin") or ""), str(form.get("again") or "")
    t = words_of(request)
    person = next((p for p in _people(request) if p["volunteer_id"] == staff_id), None)
    if person is None:
        raise NotFound("staff")
    if pin != again:
        return _page(request, status=422, error=t("staff_cards.pin_mismatch"))
    try:
        check_pin_format(pin)
    except PinFormatError as exc:
        return _page(request, status=422, error=str(exc))
    store = ledger_of(request)
    key = tools.private_key(store)
    version = person["card_version"]
    signature = sign(key, "S", staff_id, version).rsplit(".", 1)[1]
    now = now_of(request)

    def work() -> None:
        pin_hash = hash_pin(pin, signature, version)
        store.load_reference(
            [
                {
                    "kind": "staff_pin",
                    "key": staff_id,
                    "data": {"staff_id": staff_id, "pin_hash": pin_hash},
                }
            ],
            now,
        )

    def entry(w) -> None:  # in the PIN's own transaction
        w.audit(
            now.isoformat(timespec="milliseconds"),
            staff.account.actor,
            "console.staff_pin.set",
            target=f"volunteer:{staff_id}",
            after={"pin": "set", "card_version": version},
        )

    with audited(request, entry):
        await run_in_threadpool(work)
    return RedirectResponse(f"/console/staff-cards?pin={staff_id}", status_code=303)
