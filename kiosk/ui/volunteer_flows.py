"""What the volunteer's own screens ask of the store (my record, coming activities, sign-up), as plain
functions run on the worker thread, returning view objects the screens draw. Kivy-free."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from kiosk.record import local_record, merged_record
from kiosk.service import Kiosk, Outcome

UPCOMING_DAYS = 7
Titles = dict[str, str]


@dataclass
class UpcomingActivity:
    activity_id: str
    titles: Titles
    site_id: str
    site_names: Titles
    other_site: bool  # at the community's other site: marked as such
    start: datetime
    end: datetime
    capacity: int
    left: int | None  # places left; None: no limit
    waiting: int  # people on the waiting list
    held: str | None  # this volunteer's: "confirmed", "waiting" or None
    position: int | None  # on the waiting list


@dataclass
class UpcomingView:
    volunteer_id: str | None  # who is signing up (None: nobody has shown a card yet)
    name: str
    activities: list[UpcomingActivity] = field(default_factory=list)
    online: bool = True


def _titles(kiosk: Kiosk, aid: str) -> Titles:
    from kiosk.ui.flows import activity_titles

    return activity_titles(kiosk, aid)


def upcoming(kiosk: Kiosk, volunteer_id: str | None = None) -> UpcomingView:
    """The next seven days' activities at this site and the other one, soonest first, with
    places left, and where this volunteer stands in each."""
    now = kiosk.now()
    until = now + timedelta(days=UPCOMING_DAYS)
    site = kiosk.site_id
    entry = kiosk.store.roster_entry(volunteer_id) if volunteer_id else None
    from kiosk.core.codes import mask_name

    view = UpcomingView(
        volunteer_id if entry else None,
        mask_name(entry.display_name) if entry else "",
        online=kiosk.is_online(now),
    )
    for a in kiosk.store.activities():
        if a.general or a.start <= now or a.start > until:
            continue
        places = kiosk.store.places(a.activity_id)
        if places is None:
            continue
        view.activities.append(
            UpcomingActivity(
                a.activity_id,
                _titles(kiosk, a.activity_id),
                a.site_id,
                kiosk.store.site_names(a.site_id),
                a.site_id != site,
                a.start.astimezone(kiosk.config.tz),
                a.end.astimezone(kiosk.config.tz),
                places.capacity,
                places.left,
                len(places.waiting),
                places.holds(volunteer_id) if view.volunteer_id else None,
                places.position(volunteer_id) if view.volunteer_id else None,
            )
        )
    view.activities.sort(key=lambda u: (u.start, u.other_site, u.activity_id))
    return view


@dataclass
class SignupShown:
    """A sign-up's outcome with the activity's titles, for the result screen."""

    outcome: Outcome
    titles: Titles


def signup(kiosk: Kiosk, volunteer_id: str, activity_id: str, add: bool) -> SignupShown:
    outcome = (
        kiosk.sign_up(volunteer_id, activity_id)
        if add
        else kiosk.withdraw(volunteer_id, activity_id)
    )
    return SignupShown(outcome, _titles(kiosk, activity_id))


def record(kiosk: Kiosk, volunteer_id: str, ledger: dict[str, Any] | None = None) -> dict:
    """My record: the ledger's record (fetched by the caller) merged with this kiosk's unsent
    events, or without one what this kiosk knows."""
    now = kiosk.now()
    if ledger is not None:
        rec = merged_record(kiosk.store, volunteer_id, ledger, now)
    else:
        rec = local_record(kiosk.store, volunteer_id, now)
    for s in rec["sessions"]:
        s.setdefault("titles", _titles(kiosk, s.get("activity_id", "")))
    return rec
