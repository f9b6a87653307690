"""What a kiosk may do (DESIGN section 9, trust): the facts the ledger checks an event
against, and the figures it works out again instead of taking a kiosk's word for them.

Pure: the caller hands in the ledger's own rows (the roster entry, the activity, the
session); nothing here reads a database or a clock. The figures come from the same rules
the kiosk's own projection uses (``kiosk.core``), so an honest kiosk computes exactly
what the ledger does and never sees a refusal.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from kiosk.core.attendance import Activity, OpenSession, close_forgotten, whole_minutes
from kiosk.core.correction import Corrected, SessionFacts, correct_session
from kiosk.core.points import PointsRule, session_points
from kiosk.core.redemption import CatalogItem

# A kiosk writes its times to the millisecond but works its minutes out from the full
# clock reading, so the ledger also tries the close time one millisecond later.
_SLACK = (timedelta(0), timedelta(milliseconds=1))


@dataclass(frozen=True)
class PersonFacts:
    """What ingest needs to know of a roster entry."""

    kind: str  # V volunteer, S staff
    status: str
    sites: frozenset[str] = frozenset()  # staff only: where they may act; empty = every site


def activity_of(data: dict[str, Any] | None) -> Activity | None:
    """The ledger's stored activity as the kiosk core knows it (None: unknown or unusable)."""
    if not data:
        return None
    try:
        return Activity(
            activity_id=str(data.get("activity_id", "")),
            site_id=str(data.get("site_id", "")),
            start=datetime.fromisoformat(data["start"]),
            end=datetime.fromisoformat(data["end"]),
            rule=PointsRule.from_dict(data.get("rule")),
            general=bool(data.get("general")),
        )
    except (KeyError, TypeError, ValueError):
        return None


def rule_of(activity: Activity | None) -> PointsRule:
    """The points rule a session is credited by (the kiosk's default for an unknown activity)."""
    return activity.rule if activity is not None else PointsRule()


# -- who may do what, where ---------------------------------------------------------------


def staff_refusal(actor: str, person: PersonFacts | None, site_id: str) -> str | None:
    """Why ``actor`` may not act as staff at ``site_id`` (None: they may)."""
    if person is None:
        return f"actor {actor} is not on the ledger's roster"
    if person.kind != "S":
        return f"actor {actor} is not a staff member"
    if person.status != "active":
        return f"staff member {actor} is {person.status}"
    if person.sites and site_id not in person.sites:
        return f"staff member {actor} may not act at {site_id}"
    return None


def volunteer_refusal(volunteer_id: str, person: PersonFacts | None) -> str | None:
    if person is None:
        return f"volunteer {volunteer_id} is not on the ledger's roster"
    if person.kind != "V":
        return f"{volunteer_id} is not a volunteer"
    return None


def site_refusal(what: str, site_id: Any, kiosk_site: str) -> str | None:
    """Why an event naming ``site_id`` may not come from a kiosk at ``kiosk_site``."""
    if site_id != kiosk_site:
        return f"{what} at another site ({site_id}): this kiosk is at {kiosk_site}"
    return None


def sign_in_refusal(
    activity_id: str, activity: dict[str, Any] | None, kiosk_site: str
) -> str | None:
    if activity is None:
        return f"unknown activity {activity_id}"
    if activity.get("site_id") != kiosk_site:
        return f"activity {activity_id} is at {activity.get('site_id')}, not {kiosk_site}"
    return None


# What staff at a kiosk may change of a reward: what the kiosk's own staff page edits.
# Where it is offered (its ``site_id``) and anything else is the ledger's.
KIOSK_CATALOG_FIELDS = frozenset(("names", "cost", "kind", "monthly_limit", "image", "active"))


def catalog_refusal(item_id: str, held: dict[str, Any] | None, kiosk_site: str) -> str | None:
    """Why a kiosk at ``kiosk_site`` may not edit this reward: one that belongs to another
    site (a new reward from a kiosk belongs to the kiosk's site)."""
    owner = (held or {}).get("site_id")
    if owner and owner != kiosk_site:
        return f"reward {item_id} belongs to {owner}: only its own site or the ledger changes it"
    return None


def redemption_terms(item: dict[str, Any]) -> tuple[int, bool]:
    """(cost, stocked) of a redemption of a catalog item as the ledger holds it."""
    try:
        held = CatalogItem(
            item_id=str(item.get("item_id", "")),
            cost=item.get("cost", 0),
            kind=item.get("kind", "goods"),
        )
    except (TypeError, ValueError):  # an item the ledger could not have stored
        return 0, False
    return held.cost, held.stocked


# -- the figures of a closed session --------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    minutes: int
    credited_minutes: int
    points: int

    def text(self) -> str:
        return f"{self.minutes} minutes, {self.credited_minutes} credited, {self.points} points"


def _claimed(p: dict[str, Any]) -> Figures:
    return Figures(p["minutes"], p["credited_minutes"], p["points"])


def _verdict(claimed: Figures, allowed: list[Figures]) -> str | None:
    if claimed in allowed:
        return None
    return (
        f"figures differ from the activity's points rule: the kiosk sent {claimed.text()};"
        f" the rule gives {allowed[0].text()}"
    )


def sign_out_refusal(
    p: dict[str, Any], signed_in_at: datetime, out: datetime, rule: PointsRule, credited_today: int
) -> str | None:
    """A sign-out at ``out``: whole minutes since the sign-in, then the rule (its minimum,
    the day's cap given ``credited_today``, the rounding), as ``kiosk.core`` decides a scan."""
    claimed, allowed = _claimed(p), []
    for slack in _SLACK:
        minutes = whole_minutes(signed_in_at, out + slack)
        allowed.append(Figures(minutes, *session_points(minutes, rule, credited_today)))
        if allowed[-1] == claimed:  # the usual case: no need to try the slack
            return None
    return _verdict(claimed, allowed)


def auto_close_refusal(
    p: dict[str, Any],
    session: OpenSession,
    activity: Activity | None,
    now: datetime,
    credited_that_day: int,
) -> str | None:
    """A forgotten session closed at ``now``: credited up to the activity's scheduled end
    (the day's end for an unknown activity), never past ``now``."""
    allowed, ends = [], []
    for slack in _SLACK:
        ac = close_forgotten(session, activity, now + slack, credited_that_day, "")
        allowed.append(Figures(ac.minutes, ac.credited_minutes, ac.points))
        ends.append(ac.closed_at.replace(microsecond=ac.closed_at.microsecond // 1000 * 1000))
    closed_at = p.get("closed_at")
    if closed_at is not None:
        try:
            claimed_end = datetime.fromisoformat(closed_at)
        except (TypeError, ValueError):
            return "payload.closed_at must be an ISO 8601 time"
        if claimed_end.tzinfo is None or claimed_end not in ends:
            return (
                f"closed_at {closed_at} is not the activity's scheduled end (or the time of"
                f" closing): the rule gives {ends[0].isoformat(timespec='milliseconds')}"
            )
    return _verdict(_claimed(p), allowed)


def correction_refusal(
    p: dict[str, Any],
    signed_in_at: datetime,
    signed_out_at: datetime,
    now: datetime,
    rule: PointsRule,
    credited_same_day: int,
) -> str | None:
    """A staff correction: the sign-out time staff set, then the same rule as a sign-out
    (``kiosk.core.correction``), other sessions that day counted for the cap."""
    facts = SessionFacts(signed_in_at, rule, credited_same_day)
    allowed: list[Figures] = []
    refusal = None
    for slack in _SLACK:
        verdict = correct_session(facts, signed_out_at + slack, now + slack)
        if isinstance(verdict, Corrected):
            allowed.append(Figures(verdict.minutes, verdict.credited_minutes, verdict.points))
        else:
            refusal = refusal or verdict.value
    if not allowed:
        return f"the correction is refused by the rule ({refusal})"
    return _verdict(_claimed(p), allowed)
