"""Sign-up for coming activities (活动报名), with a waiting list.

One rule for the kiosk (what it tells the volunteer, offline too) and the ledger (which
keeps the places and is the authority). A sign-up takes a place while there is one, else
joins the waiting list; a withdrawal frees a place, which goes to the first on the
waiting list. Sign-up and withdrawal close when the activity starts. General duty takes
no sign-ups. Capacity 0 means no limit.

At the ledger a sign-up that arrives for a full activity (two offline kiosks each gave
the last place) joins the waiting list and is listed for staff as ``over_capacity``:
the later to reach the ledger waits, whatever the kiosks' clocks said, and nobody who
already holds a place at the ledger loses it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum

from .attendance import Activity


class SignupRefusal(StrEnum):
    UNKNOWN_ACTIVITY = "unknown_activity"
    NO_SIGNUP = "no_signup"  # general duty: just come
    CLOSED = "signup_closed"  # the activity has started or finished
    ALREADY = "already_signed_up"
    NOT_SIGNED_UP = "not_signed_up"


@dataclass(frozen=True)
class Places:
    """Who holds a place and who waits, in order."""

    capacity: int = 0
    confirmed: tuple[str, ...] = ()
    waiting: tuple[str, ...] = ()

    @property
    def left(self) -> int | None:
        """Places left; None when there is no limit."""
        if self.capacity <= 0:
            return None
        return max(0, self.capacity - len(self.confirmed))

    @property
    def full(self) -> bool:
        return self.capacity > 0 and len(self.confirmed) >= self.capacity

    def holds(self, volunteer_id: str) -> str | None:
        """'confirmed', 'waiting' or None."""
        if volunteer_id in self.confirmed:
            return "confirmed"
        if volunteer_id in self.waiting:
            return "waiting"
        return None

    def position(self, volunteer_id: str) -> int | None:
        """1-based place on the waiting list."""
        return self.waiting.index(volunteer_id) + 1 if volunteer_id in self.waiting else None


@dataclass(frozen=True)
class SignedUp:
    places: Places
    waitlisted: bool
    position: int | None = None  # on the waiting list
    over_capacity: bool = False  # the kiosk had given a place the ledger no longer had


@dataclass(frozen=True)
class Withdrawn:
    places: Places
    promoted: tuple[str, ...] = field(default_factory=tuple)  # off the waiting list, into a place


def open_for_signup(activity: Activity | None, now: datetime) -> SignupRefusal | None:
    if activity is None:
        return SignupRefusal.UNKNOWN_ACTIVITY
    if activity.general:
        return SignupRefusal.NO_SIGNUP
    if now >= activity.start:
        return SignupRefusal.CLOSED
    return None


def sign_up(
    places: Places, volunteer_id: str, *, kiosk_gave_place: bool | None = None
) -> SignedUp | SignupRefusal:
    """Add ``volunteer_id``: a place if one is left, else the waiting list.

    ``kiosk_gave_place``: at the ledger, what the kiosk told the volunteer; True on a
    full activity means two kiosks overfilled it (``over_capacity``)."""
    if places.holds(volunteer_id):
        return SignupRefusal.ALREADY
    if places.full:
        after = replace(places, waiting=places.waiting + (volunteer_id,))
        return SignedUp(after, True, after.position(volunteer_id), bool(kiosk_gave_place))
    return SignedUp(replace(places, confirmed=places.confirmed + (volunteer_id,)), False)


def withdraw(places: Places, volunteer_id: str) -> Withdrawn | SignupRefusal:
    """Remove ``volunteer_id``; a place freed goes to the first on the waiting list."""
    held = places.holds(volunteer_id)
    if held is None:
        return SignupRefusal.NOT_SIGNED_UP
    confirmed = tuple(v for v in places.confirmed if v != volunteer_id)
    waiting = tuple(v for v in places.waiting if v != volunteer_id)
    promoted: tuple[str, ...] = ()
    while waiting and (places.capacity <= 0 or len(confirmed) < places.capacity):
        promoted += (waiting[0],)
        confirmed += (waiting[0],)
        waiting = waiting[1:]
    return Withdrawn(replace(places, confirmed=confirmed, waiting=waiting), promoted)
