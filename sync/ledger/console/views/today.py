"""今日: per site and activity, who is signed in now and who has come and gone today,
sign-ups against capacity, and sessions still open past their end; refreshed live."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from sync.ledger.staff import records

from ..deps import Staff, db_of, ledger_of, now_of, require, words_of
from ..render import local, render
from .common import TZ, day_bounds, ms, parse_day, sites_for, title

router = APIRouter(include_in_schema=False)  # pages, not API: docs/console.md
GRACE = timedelta(minutes=30)
SUMMARY_OVER = 6  # more sites than this (a district): one line per site, each a link  # the kiosk closes a forgotten session at end + grace


@router.get("/today")
def today(
    request: Request,
    staff: Annotated[Staff, Depends(require("today.view"))],
    site: str = "",
    day: str = "",
) -> Response:
    now = now_of(request)
    the_day = parse_day(day, now.astimezone(TZ).date())
    lo, hi = day_bounds(the_day)
    sites, chosen = sites_for(request, staff, site or None)
    lang = words_of(request).lang
    if not chosen and len(sites) > SUMMARY_OVER:
        return _summary(request, staff, sites, the_day, lo, hi, now)
    with db_of(request).read() as r:
        acts = [
            a
            for a in r.activities_starting(
                (lo - timedelta(days=7)).isoformat(), hi.isoformat(), sites
            )
            if datetime.fromisoformat(a["end"]) > lo
        ]
        sessions = r.sessions_between(ms(lo), ms(hi), sites)
        seen = {x["session_id"] for x in sessions}
        stale = [s for s in r.open_sessions(sites) if s["session_id"] not in seen]
        known = {a["activity_id"] for a in acts}
        for s in sessions + stale:
            if s["activity_id"] not in known and (a := r.activity(s["activity_id"])):
                acts.append(a)
                known.add(a["activity_id"])
    with ledger_of(request).read() as tx:
        people = tx.signup_people([a["activity_id"] for a in acts if not a.get("general")])
    by_act: dict[str, list] = {}
    for s in sessions:
        by_act.setdefault(s["activity_id"], []).append(s)
    ends = {a["activity_id"]: datetime.fromisoformat(a["end"]) for a in acts}
    past_end = [s for s in sessions if s["status"] == "open" and _over(s, ends, now)]
    past_end += [s for s in stale]
    blocks = []
    for site_id in sites:
        rows = []
        for a in sorted(
            (a for a in acts if a.get("site_id") == site_id),
            key=lambda a: (not a.get("general"), a["start"]),
        ):
            mine = by_act.get(a["activity_id"], [])
            begun = datetime.fromisoformat(a["start"]) <= now
            rows.append(
                {
                    "activity": a,
                    "title": title(a, lang),
                    "start": local(a["start"]),
                    "end": local(a["end"]),
                    "here": [s for s in mine if s["status"] == "open"],
                    "gone": [s for s in mine if s["status"] != "open"],
                    "capacity": a.get("capacity"),
                    "groups": records.signup_groups(people.get(a["activity_id"], []), begun),
                    "cancelled": bool(a.get("cancelled")),
                }
            )
        blocks.append({"site_id": site_id, "activities": rows})
    return render(
        request,
        "console/today/page.html",
        fragment="console/today/_live.html",
        blocks=blocks,
        past_end=past_end,
        day=the_day,
        site=chosen or "",
        all_sites=staff.account.visible_sites(sites_for(request, staff, None)[0]),
        local=local,
        refreshed=now,
    )


def _over(s: dict, ends: dict[str, datetime], now: datetime) -> bool:
    end = ends.get(s["activity_id"])
    return end is not None and now > end + GRACE


def _summary(request, staff, sites, the_day, lo, hi, now) -> Response:
    with db_of(request).read() as r:
        counts = r.day_counts(ms(lo), ms(hi))
        stale: dict[str, int] = {}
        for s in r.open_sessions(sites):
            if datetime.fromisoformat(s["signed_in_at"]) < lo:
                stale[s["site_id"]] = stale.get(s["site_id"], 0) + 1
    rows = [
        {
            "site_id": sid,
            "here": counts.get(sid, {}).get("here", 0),
            "gone": counts.get(sid, {}).get("gone", 0),
            "stale": stale.get(sid, 0),
        }
        for sid in sites
    ]
    return render(
        request,
        "console/today/page.html",
        fragment="console/today/_summary.html",
        summary=rows,
        blocks=[],
        past_end=[],
        day=the_day,
        site="",
        all_sites=sites,
        local=local,
        refreshed=now,
    )
