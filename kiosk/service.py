"""The kiosk's actions: what a scan, a redemption or a staff command does.

The UI, the CLI and the tests all call this one module. It reads the store, asks the
domain core what to do, and writes the resulting events in one transaction each.
Outcomes are plain dataclasses that say what happened; the UI turns them into words.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from kiosk import __version__
from kiosk.clock import system_clock
from kiosk.config import KioskConfig
from kiosk.core import attendance as att
from kiosk.core import certificate as cert
from kiosk.core.codes import (
    CardCode,
    CodeKind,
    CodeRefused,
    Refusal,
    check_card,
    load_public_key,
    mask_name,
    parse,
)
from kiosk.core.correction import CorrectionRefusal, SessionFacts, correct_session
from kiosk.core.days import day_of, month_of
from kiosk.core.points import PointsRule
from kiosk.core.redemption import CatalogItem, RedeemContext, RedeemOK, check_redemption
from kiosk.core.signup import SignedUp, SignupRefusal, open_for_signup, sign_up, withdraw
from kiosk.core.stars import crossed, thresholds_or_default
from kiosk.core.text import line_ok
from kiosk.store import Store, StoreError, iso
from kiosk.store.ids import uuid7
from sync.agent import PROTOCOL_VERSION

log = logging.getLogger("kiosk.service")


@dataclass
class Outcome:
    """What one action did. ``kind`` names the screen: signed_in, signed_out,
    already_signed_in, refused, staff_card, redeemed, redeem_refused, card_ok, error."""

    kind: str
    ok: bool
    volunteer_id: str | None = None
    name: str = ""  # masked for the screen: 张*明
    reason: str | None = None  # the refusal reason
    activity_id: str | None = None
    activity_title: dict[str, str] = field(default_factory=dict)
    at: str | None = None
    minutes: int | None = None
    credited_minutes: int | None = None
    points: int | None = None
    balance: int | None = None
    below_minimum: bool = False
    forgotten: dict[str, Any] | None = None  # the auto-closed session, when there was one
    candidates: list[str] = field(default_factory=list)  # other activities one may tap
    item_id: str | None = None
    pickup_no: str | None = None
    offline: bool = False
    event_ids: list[str] = field(default_factory=list)
    certificate: dict[str, Any] | None = None  # what a genuine certificate certifies
    waitlisted: bool = False  # a sign-up that joined the waiting list
    position: int | None = None  # its place on the waiting list
    places_left: int | None = None  # after a sign-up or withdrawal; None: no limit
    stars: int | None = None  # the star level this sign-out reached (None: no new level)
    message: str = ""  # for logs and the CLI; the screen has its own words per kind

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _titles(activity: att.Activity | None) -> dict[str, str]:
    if activity is None:
        return {}
    return {"zh-Hans": activity.title_zh, "en": activity.title_en or activity.title_zh}


class Kiosk:
    def __init__(
        self,
        store: Store,
        config: KioskConfig | None = None,
        clock: Callable[[], datetime] | None = None,
    ):
        self.store = store
        self.config = config or KioskConfig()
        self._clock = clock

    # -- basics -------------------------------------------------------------------

    def now(self) -> datetime:
        return (self._clock or system_clock())().astimezone(self.config.tz)

    @property
    def site_id(self) -> str:
        return (
            self.config.site_id
            or self.store.cached("site_id", lambda: self.store.setting("site_id"))
            or ""
        )

    @property
    def policy(self) -> att.Policy:
        return att.Policy(
            debounce_seconds=self.config.debounce_seconds, grace_minutes=self.config.grace_minutes
        )

    def public_key(self) -> Ed25519PublicKey:
        key = self.store.cached("public_key", lambda: self.store.setting("public_key"))
        if not key:
            raise StoreError(
                "missing", "no community public key: load a roster or enroll", str(self.store.path)
            )
        return self.store.cached("public_key_obj", lambda: load_public_key(key))

    def is_online(self, now: datetime) -> bool:
        """Standalone kiosks (never enrolled) are their own authority; enrolled ones are
        online while the ledger answered recently."""
        if not self.store.setting("ledger_url"):
            return True
        last = self.store.setting("last_contact_at")
        if not last:
            return False
        return now - datetime.fromisoformat(last) <= timedelta(
            seconds=self.config.offline_after_seconds
        )

    def connection(self, now: datetime) -> str:
        """``standalone`` (never linked to a ledger), ``online`` (the ledger answered within
        offline_after_seconds) or ``offline``: one rule for the top bar, the staff pages,
        ``kiosk status`` and what redemptions may spend offline."""
        if not self.store.setting("ledger_url"):
            return "standalone"
        return "online" if self.is_online(now) else "offline"

    def check(self, text: str) -> CardCode:
        """Verify a scanned text against the key and the roster; raises CodeRefused."""
        code_id = None
        try:
            code_id = parse(text).subject_id
        except CodeRefused:
            pass
        entry = self.store.roster_entry(code_id) if code_id else None
        return check_card(text, self.public_key(), entry)

    def check_certificate(self, text: str) -> Outcome:
        """A 志愿服务证明's QR code: genuine (signed with this community's key) or not."""
        try:
            fig = cert.verify(text, self.public_key())
        except cert.CertificateRefused as exc:
            log.info("certificate refused: %s (number=%s)", exc.reason.value, exc.number)
            return Outcome("refused", False, reason=exc.reason.value, message=str(exc))
        log.info("certificate %s checked: genuine", fig.number)
        return Outcome(
            "certificate",
            True,
            volunteer_id=fig.volunteer_id,
            name=fig.name,
            minutes=fig.minutes,
            certificate={
                "number": fig.number,
                "volunteer_id": fig.volunteer_id,
                "name": fig.name,
                "from": fig.period_from.isoformat(),
                "to": fig.period_to.isoformat(),
                "minutes": fig.minutes,
                "hours": fig.hours_text,
                "sessions": fig.sessions,
                "issued": fig.issued.isoformat(),
            },
            message=f"genuine certificate {fig.number}",
        )

    def verify(self, text: str) -> Outcome:
        if cert.is_certificate(text):
            return self.check_certificate(text)
        try:
            code = self.check(text)
        except CodeRefused as exc:
            log.info("card refused: %s (id=%s)", exc.reason.value, exc.subject_id)
            return Outcome(
                "refused",
                False,
                volunteer_id=exc.subject_id,
                reason=exc.reason.value,
                message=str(exc),
            )
        entry = self.store.roster_entry(code.subject_id)
        assert entry is not None
        return Outcome(
            "card_ok",
            True,
            volunteer_id=code.subject_id,
            name=mask_name(entry.display_name),
            reason=None,
            balance=self.store.balance(code.subject_id)
            if code.kind == CodeKind.VOLUNTEER
            else None,
            message=f"{'staff' if code.kind == CodeKind.STAFF else 'volunteer'} card v{code.version}",
        )

    # -- attendance ---------------------------------------------------------------

    def candidates(
        self, volunteer_id: str, now: datetime | None = None
    ) -> tuple[att.Activity | None, list[att.Activity]]:
        now = now or self.now()
        return att.choose_activity(
            self.store.activities(self.site_id), self.site_id, volunteer_id, now
        )

    def scan(
        self,
        text: str,
        *,
        at: datetime | None = None,
        activity_id: str | None = None,
        assisted_by: str | None = None,
        decided: Callable[[Outcome], None] | None = None,
    ) -> Outcome:
        """What showing a code at the home screen does. ``decided``: see ``attend``."""
        if cert.is_certificate(text):
            return self.check_certificate(text)  # a certificate held up: is it genuine?
        try:
            code = self.check(text)
        except CodeRefused as exc:
            log.info("scan refused: %s (id=%s)", exc.reason.value, exc.subject_id)
            return Outcome(
                "refused",
                False,
                volunteer_id=exc.subject_id,
                reason=exc.reason.value,
                message=str(exc),
            )
        if code.kind == CodeKind.STAFF:
            return Outcome(
                "staff_card",
                True,
                volunteer_id=code.subject_id,
                name=mask_name(self.store.roster_entry(code.subject_id).display_name),
            )
        return self.attend(
            code.subject_id,
            at=at,
            activity_id=activity_id,
            assisted_by=assisted_by,
            decided=decided,
        )

    def attend(
        self,
        volunteer_id: str,
        *,
        at: datetime | None = None,
        activity_id: str | None = None,
        assisted_by: str | None = None,
        decided: Callable[[Outcome], None] | None = None,
    ) -> Outcome:
        """Sign in or out. ``decided(outcome)`` is called with the outcome once it is decided
        and written, but before the commit (the fsync): the screen may draw the answer
        meanwhile, and confirms it only when this returns, that is, once it has committed.
        If the commit fails this raises, and the action is not recorded."""
        now = self.now()
        when = at.astimezone(self.config.tz) if at is not None else now
        entry = self.store.roster_entry(volunteer_id)
        if entry is None or entry.kind != CodeKind.VOLUNTEER:
            return Outcome(
                "refused", False, volunteer_id=volunteer_id, reason=Refusal.UNKNOWN.value
            )
        if entry.status != "active":
            return Outcome(
                "refused", False, volunteer_id=volunteer_id, reason=Refusal.SUSPENDED.value
            )
        name = mask_name(entry.display_name)
        default, candidates = self.candidates(volunteer_id, when)
        chosen = default
        if activity_id is not None:
            chosen = next(
                (a for a in candidates if a.activity_id == activity_id), None
            ) or self.store.activity(activity_id)
            if chosen is None or chosen.site_id != self.site_id:
                return Outcome(
                    "refused",
                    False,
                    volunteer_id=volunteer_id,
                    name=name,
                    reason="unknown_activity",
                    activity_id=activity_id,
                )
        if chosen is None:
            return Outcome(
                "refused", False, volunteer_id=volunteer_id, name=name, reason="no_activity"
            )

        with self.store.transaction() as conn:
            # Decide inside the write lock: two scans of one card never both sign in.
            open_session = self.store.open_session(volunteer_id)
            open_activity = self.store.activity(open_session.activity_id) if open_session else None
            open_day = day_of(open_session.signed_in_at if open_session else when)
            decision = att.decide_scan(
                now=when,
                open_session=open_session,
                open_activity=open_activity,
                chosen=chosen,
                credited_on_open_day=self.store.credited_minutes_on(volunteer_id, open_day),
                credited_today=self.store.credited_minutes_on(volunteer_id, day_of(when)),
                policy=self.policy,
            )
            events = []
            forgotten = None
            if decision.auto_close is not None:
                ac = decision.auto_close
                events.append(
                    self.store.append(
                        conn,
                        "attendance.auto_close",
                        volunteer_id,
                        {
                            "session_id": ac.session.session_id,
                            "activity_id": ac.session.activity_id,
                            "closed_at": iso(ac.closed_at),
                            "minutes": ac.minutes,
                            "credited_minutes": ac.credited_minutes,
                            "points": ac.points,
                            "reason": ac.reason,
                        },
                        occurred_at=when,
                        now=now,
                    )
                )
                forgotten = {
                    "activity_id": ac.session.activity_id,
                    "signed_in_at": iso(ac.session.signed_in_at),
                    "closed_at": iso(ac.closed_at),
                    "minutes": ac.minutes,
                    "points": ac.points,
                    "reason": ac.reason,
                }
            action = decision.action
            if isinstance(action, att.AlreadySignedIn):
                act = self.store.activity(action.session.activity_id)
                return Outcome(
                    "already_signed_in",
                    True,
                    volunteer_id=volunteer_id,
                    name=name,
                    activity_id=action.session.activity_id,
                    activity_title=_titles(act),
                    at=iso(action.session.signed_in_at),
                )
            if isinstance(action, att.SignOut):
                act = open_activity
                minutes_before = self.store.minutes_total(volunteer_id)
                ev = self.store.append(
                    conn,
                    "attendance.sign_out",
                    volunteer_id,
                    {
                        "session_id": action.session.session_id,
                        "activity_id": action.session.activity_id,
                        "minutes": action.minutes,
                        "credited_minutes": action.credited_minutes,
                        "points": action.points,
                    },
                    occurred_at=when,
                    now=now,
                )
                events.append(ev)
                kind = "signed_out"
                th = thresholds_or_default(self.store.setting("ledger.star_thresholds"))
                reached = crossed(minutes_before, self.store.minutes_total(volunteer_id), th)
                result = dict(
                    stars=reached,
                    minutes=action.minutes,
                    credited_minutes=action.credited_minutes,
                    points=action.points,
                    below_minimum=action.below_minimum,
                    activity_id=action.session.activity_id,
                    activity_title=_titles(act),
                )
            else:
                payload = {
                    "session_id": "",
                    "activity_id": action.activity_id,
                    "site_id": chosen.site_id,
                }
                if assisted_by:
                    payload["assisted_by"] = assisted_by
                if at is not None:
                    payload["entered_at"] = iso(now)  # a paper sheet's time, typed in later
                event_id = uuid7(int(now.timestamp() * 1000))
                payload["session_id"] = event_id  # points for the shift are keyed by the sign-in
                events.append(
                    self.store.append(
                        conn,
                        "attendance.sign_in",
                        volunteer_id,
                        payload,
                        occurred_at=when,
                        now=now,
                        event_id=event_id,
                    )
                )
                kind = "signed_in"
                result = dict(activity_id=chosen.activity_id, activity_title=_titles(chosen))
            # Read in the transaction: the balance with this action's own points in it.
            outcome = Outcome(
                kind,
                True,
                volunteer_id=volunteer_id,
                name=name,
                at=iso(when),
                balance=self.store.balance(volunteer_id),
                forgotten=forgotten,
                event_ids=[e.id for e in events],
                candidates=[a.activity_id for a in candidates] if kind == "signed_in" else [],
                **result,
            )
            if decided is not None:
                try:
                    decided(outcome)
                except Exception:  # the screen's trouble must not undo the sign-in
                    log.exception("showing a decided outcome failed")
        log.info("%s %s events=%s", kind, volunteer_id, [e.seq for e in events])
        return outcome

    def close_forgotten_sessions(self, now: datetime | None = None) -> list[Outcome]:
        """Close every session whose activity ended more than the grace ago, or from an earlier day."""
        now = now or self.now()
        closed = []
        for session in self.store.open_sessions():
            activity = self.store.activity(session.activity_id)
            reason = att.forgotten_reason(session, activity, now, self.policy)
            if reason is None:
                continue
            with self.store.transaction() as conn:
                current = self.store.open_session(session.volunteer_id)
                if current is None or current.session_id != session.session_id:
                    continue
                day = day_of(session.signed_in_at)
                ac = att.close_forgotten(
                    session,
                    activity,
                    now,
                    self.store.credited_minutes_on(session.volunteer_id, day),
                    reason,
                )
                ev = self.store.append(
                    conn,
                    "attendance.auto_close",
                    session.volunteer_id,
                    {
                        "session_id": session.session_id,
                        "activity_id": session.activity_id,
                        "closed_at": iso(ac.closed_at),
                        "minutes": ac.minutes,
                        "credited_minutes": ac.credited_minutes,
                        "points": ac.points,
                        "reason": reason,
                    },
                    occurred_at=now,
                    now=now,
                )
            closed.append(
                Outcome(
                    "auto_closed",
                    True,
                    volunteer_id=session.volunteer_id,
                    activity_id=session.activity_id,
                    minutes=ac.minutes,
                    points=ac.points,
                    event_ids=[ev.id],
                    reason=reason,
                )
            )
        return closed

    # -- sign-up ------------------------------------------------------------------

    def volunteer_of(self, text: str) -> str | Outcome:
        """The volunteer whose card this is, or the refusal to show."""
        try:
            code = self.check(text)
        except CodeRefused as exc:
            return Outcome(
                "refused", False, volunteer_id=exc.subject_id, reason=exc.reason.value,
                message=str(exc),
            )  # fmt: skip
        if code.kind != CodeKind.VOLUNTEER:
            return Outcome("refused", False, volunteer_id=code.subject_id, reason="staff_card")
        return code.subject_id

    def sign_up(self, volunteer_id: str, activity_id: str) -> Outcome:
        """Take a place in a coming activity, or join its waiting list when it is full
        (``signup.add``). The ledger keeps the places: what a kiosk offline gave may end on
        the waiting list there, listed for staff as over capacity."""
        return self._signup(volunteer_id, activity_id, add=True)

    def withdraw(self, volunteer_id: str, activity_id: str) -> Outcome:
        """Give a place (or a waiting-list place) back (``signup.withdraw``)."""
        return self._signup(volunteer_id, activity_id, add=False)

    def _signup(self, volunteer_id: str, activity_id: str, *, add: bool) -> Outcome:
        now = self.now()
        entry = self.store.roster_entry(volunteer_id)
        if entry is None or entry.kind != CodeKind.VOLUNTEER or entry.status != "active":
            reason = Refusal.UNKNOWN.value if entry is None else Refusal.SUSPENDED.value
            return Outcome("refused", False, volunteer_id=volunteer_id, reason=reason)
        name = mask_name(entry.display_name)
        act = self.store.activity(activity_id)
        base = dict(volunteer_id=volunteer_id, name=name, activity_id=activity_id,
                    activity_title=_titles(act))  # fmt: skip
        closed = open_for_signup(act, now)
        if closed is not None:
            return Outcome("signup_refused", False, reason=closed.value, **base)
        with self.store.transaction() as conn:
            # Decided inside the write lock: two taps never take one place twice.
            places = self.store.places(activity_id)
            verdict = sign_up(places, volunteer_id) if add else withdraw(places, volunteer_id)
            if isinstance(verdict, SignupRefusal):
                return Outcome("signup_refused", False, reason=verdict.value, **base)
            payload: dict[str, Any] = {"activity_id": activity_id, "site_id": act.site_id}
            if add:
                payload["waitlisted"] = verdict.waitlisted
            ev = self.store.append(
                conn, "signup.add" if add else "signup.withdraw", volunteer_id, payload,
                occurred_at=now, now=now,
            )  # fmt: skip
        after = verdict.places
        log.info("%s %s %s seq=%s", ev.type, volunteer_id, activity_id, ev.seq)
        return Outcome(
            "signed_up" if add else "withdrawn",
            True,
            at=iso(now),
            event_ids=[ev.id],
            waitlisted=isinstance(verdict, SignedUp) and verdict.waitlisted,
            position=verdict.position if isinstance(verdict, SignedUp) else None,
            places_left=after.left,
            offline=not self.is_online(now),
            **base,
        )

    # -- redemption ---------------------------------------------------------------

    def redeem_context(
        self,
        volunteer_id: str,
        item: CatalogItem,
        now: datetime,
        *,
        balance: int | None = None,
        online: bool | None = None,
        offline_spent: int | None = None,
    ) -> RedeemContext:
        """What the redemption rule needs to know of this volunteer, this item and this kiosk
        now: the one place it is gathered, for the redemption itself and for the catalog
        screen that shows what a volunteer may pick. ``balance``, ``online`` and
        ``offline_spent`` are the volunteer's (read here when not given): a screen listing
        many items reads them once."""
        if balance is None:
            balance = self.store.balance(volunteer_id)
        if online is None:
            online = self.is_online(now)
        if offline_spent is None:
            offline_spent = self.store.offline_spent(volunteer_id, day_of(now))
        return RedeemContext(
            balance=balance,
            stock=self.store.stock(self.site_id, item.item_id) if item.stocked else None,
            redeemed_this_month=(
                self.store.redeemed_count(volunteer_id, item.item_id, month_of(now))
                if volunteer_id
                else 0
            ),
            online=online,
            offline_spent_today=offline_spent,
            offline_allowance=self.config.offline_allowance,
        )

    def redeem(self, text: str, item_id: str) -> Outcome:
        try:
            code = self.check(text)
        except CodeRefused as exc:
            return Outcome(
                "refused",
                False,
                volunteer_id=exc.subject_id,
                reason=exc.reason.value,
                message=str(exc),
            )
        if code.kind != CodeKind.VOLUNTEER:
            return Outcome("refused", False, volunteer_id=code.subject_id, reason="staff_card")
        return self.redeem_for(code.subject_id, item_id)

    def redeem_for(self, volunteer_id: str, item_id: str) -> Outcome:
        now = self.now()
        item = self.store.catalog_item(item_id)
        entry = self.store.roster_entry(volunteer_id)
        name = mask_name(entry.display_name) if entry else ""
        if item is None:
            return Outcome(
                "redeem_refused",
                False,
                volunteer_id=volunteer_id,
                name=name,
                reason="item_unavailable",
                item_id=item_id,
            )
        site = self.site_id
        online = self.is_online(now)
        with self.store.transaction() as conn:
            ctx = self.redeem_context(volunteer_id, item, now, online=online)
            verdict = check_redemption(item, ctx)
            if not isinstance(verdict, RedeemOK):
                return Outcome(
                    "redeem_refused",
                    False,
                    volunteer_id=volunteer_id,
                    name=name,
                    reason=verdict.value,
                    item_id=item_id,
                    balance=ctx.balance,
                    offline=not online,
                )
            pickup = f"{self.store.redemptions_on(day_of(now)) + 1:03d}"
            rid = uuid7(int(now.timestamp() * 1000))
            ev = self.store.append(
                conn,
                "redemption.create",
                volunteer_id,
                {
                    "redemption_id": rid,
                    "item_id": item_id,
                    "site_id": site,
                    "cost": item.cost,
                    "pickup_no": pickup,
                    "offline": not online,
                    "stocked": item.stocked,
                },
                occurred_at=now,
                now=now,
                event_id=rid,
            )
        log.info("redeemed %s by %s seq=%s offline=%s", item_id, volunteer_id, ev.seq, not online)
        return Outcome(
            "redeemed",
            True,
            volunteer_id=volunteer_id,
            name=name,
            item_id=item_id,
            pickup_no=pickup,
            points=-item.cost,
            balance=verdict.new_balance,
            offline=not online,
            event_ids=[ev.id],
            at=iso(now),
        )

    # -- staff ----------------------------------------------------------------------

    def restock(self, staff_id: str, item_id: str, qty: int, reason: str = "") -> Outcome:
        if qty <= 0:
            return Outcome("refused", False, reason="bad_quantity", item_id=item_id)
        return self._staff_event(
            "stock.restock",
            staff_id,
            {"site_id": self.site_id, "item_id": item_id, "qty": int(qty), "reason": reason},
            item_id=item_id,
        )

    def adjust_stock(self, staff_id: str, item_id: str, delta: int, reason: str) -> Outcome:
        if not reason.strip():
            return Outcome("refused", False, reason="reason_required", item_id=item_id)
        if self.store.stock(self.site_id, item_id) + delta < 0:
            return Outcome("refused", False, reason="stock_below_zero", item_id=item_id)
        return self._staff_event(
            "stock.adjust",
            staff_id,
            {"site_id": self.site_id, "item_id": item_id, "delta": int(delta), "reason": reason},
            item_id=item_id,
        )

    def adjust_points(self, staff_id: str, volunteer_id: str, delta: int, reason: str) -> Outcome:
        """Give or take points with a reason; never below a zero balance (as this kiosk knows it)."""
        if not reason.strip():
            return Outcome("refused", False, reason="reason_required", volunteer_id=volunteer_id)
        if not isinstance(delta, int) or delta == 0:
            return Outcome("refused", False, reason="bad_quantity", volunteer_id=volunteer_id)
        entry = self.store.roster_entry(volunteer_id)
        if entry is None or entry.kind != CodeKind.VOLUNTEER:
            return Outcome("refused", False, reason="unknown_volunteer", volunteer_id=volunteer_id)
        name = mask_name(entry.display_name)
        now = self.now()
        with self.store.transaction() as conn:
            # Checked inside the write lock: two adjustments at once never both pass the check.
            balance = self.store.balance(volunteer_id)
            if balance + delta < 0:
                return Outcome(
                    "refused",
                    False,
                    reason="balance_below_zero",
                    volunteer_id=volunteer_id,
                    name=name,
                    balance=balance,
                )
            ev = self.store.append(
                conn,
                "points.adjust",
                staff_id,
                {"volunteer_id": volunteer_id, "delta": int(delta), "reason": reason},
                occurred_at=now,
                now=now,
            )
        log.info("points.adjust %+d for %s by %s seq=%s", delta, volunteer_id, staff_id, ev.seq)
        return Outcome(
            "points_adjust",
            True,
            volunteer_id=volunteer_id,
            name=name,
            points=int(delta),
            balance=balance + delta,
            event_ids=[ev.id],
            at=iso(now),
        )

    def correction_facts(self, session_id: str) -> tuple[dict[str, Any], SessionFacts] | None:
        """The session as stored and what the points rule needs to correct it (None: no such
        session). The screen previews a correction with these; ``correct_attendance`` uses the same."""
        row = self.store.session(session_id)
        if row is None:
            return None
        activity = self.store.activity(row["activity_id"])
        rule = activity.rule if activity is not None else PointsRule()
        others = self.store.credited_minutes_on(
            row["volunteer_id"], row["day"], exclude_session=session_id
        )
        return row, SessionFacts(row["signed_in_at"], rule, others)

    def correct_attendance(
        self, staff_id: str, session_id: str, signed_out_at: datetime, reason: str
    ) -> Outcome:
        """Set a session's sign-out time by hand (an ``attendance.correct`` event): its minutes
        and points are worked out again and the balance moves by the difference.

        A closed or auto-closed session keeps its status and loses its review flag. An
        open session may be corrected too: it is then closed at ``signed_out_at`` (staff
        closing a forgotten sign-out directly, with the real time). Refusals:
        ``reason_required``, ``unknown_session``, ``out_before_in``, ``out_in_future``, ``too_long``."""
        if not reason.strip():
            return Outcome("refused", False, reason="reason_required")
        if signed_out_at.tzinfo is None:
            raise ValueError("signed_out_at must be timezone-aware")
        now = self.now()
        when = signed_out_at.astimezone(self.config.tz)
        with self.store.transaction() as conn:
            found = self.correction_facts(session_id)
            if found is None:
                return Outcome("refused", False, reason="unknown_session")
            row, facts = found
            verdict = correct_session(facts, when, now)
            if isinstance(verdict, CorrectionRefusal):
                return Outcome(
                    "refused",
                    False,
                    reason=verdict.value,
                    volunteer_id=row["volunteer_id"],
                    name=row["name"],
                    activity_id=row["activity_id"],
                )
            payload = {
                "session_id": session_id,
                "volunteer_id": row["volunteer_id"],
                "activity_id": row["activity_id"],
                "signed_out_at": iso(verdict.signed_out_at),
                "minutes": verdict.minutes,
                "credited_minutes": verdict.credited_minutes,
                "points": verdict.points,
                "reason": reason,
            }
            if row["status"] == "open":
                # The ledger times a session it closes by closed_at (else by the event's own
                # time): the sign-out staff set, for its overlap checks.
                payload["closed_at"] = payload["signed_out_at"]
            ev = self.store.append(
                conn, "attendance.correct", staff_id, payload, occurred_at=now, now=now
            )
        balance = self.store.balance(row["volunteer_id"])
        log.info(
            "attendance.correct %s by %s seq=%s points %s -> %s",
            session_id,
            staff_id,
            ev.seq,
            row["points"],
            verdict.points,
        )
        return Outcome(
            "attendance_correct",
            True,
            volunteer_id=row["volunteer_id"],
            name=row["name"],
            activity_id=row["activity_id"],
            activity_title=dict(row["titles"]),
            at=iso(verdict.signed_out_at),
            minutes=verdict.minutes,
            credited_minutes=verdict.credited_minutes,
            points=verdict.points,
            balance=balance,
            event_ids=[ev.id],
        )

    def cancel_redemption(self, staff_id: str, redemption_id: str, reason: str) -> Outcome:
        row = self.store.redemption(redemption_id)
        if row is None or row["status"] != "done":
            return Outcome("refused", False, reason="no_such_redemption")
        item = self.store.catalog_item(row["item_id"])
        return self._staff_event(
            "redemption.cancel",
            staff_id,
            {
                "redemption_id": redemption_id,
                "reason": reason,
                "stocked": bool(item and item.stocked),
            },
            volunteer_id=row["volunteer_id"],
            item_id=row["item_id"],
        )

    def upsert_catalog_item(
        self,
        staff_id: str,
        item_id: str,
        names: dict[str, str],
        cost: int,
        kind: str = "goods",
        monthly_limit: int = 0,
        image: str | None = None,
        active: bool = True,
    ) -> Outcome:
        """Add or edit a catalog item (a ``catalog.upsert`` event); the ledger's copy follows by sync.

        ``image`` None or "" keeps the item's picture reference (and with none known here the
        event carries no ``image`` at all, so the ledger keeps its own). A reference to a picture the
        ledger serves (``images/…``, relative) is also kept against an absolute path: that is
        a file on this kiosk only (for instance the resolved path of the ledger's own picture),
        which the ledger cannot serve and other kiosks cannot open."""
        from pathlib import PurePath

        from kiosk.core.redemption import KINDS

        names = {k: v.strip() for k, v in names.items() if isinstance(v, str) and v.strip()}
        if not item_id.strip() or not names.get("zh-Hans"):
            return Outcome("refused", False, reason="name_required", item_id=item_id)
        if kind not in KINDS or not isinstance(cost, int) or cost < 0 or monthly_limit < 0:
            return Outcome("refused", False, reason="bad_value", item_id=item_id)
        if not all(line_ok(t) for t in (item_id, image or "", *names.values())):
            return Outcome("refused", False, reason="bad_value", item_id=item_id)
        current = self.store.catalog_item(item_id.strip())
        if current is not None and current.site_id and current.site_id != self.site_id:
            # Another site's reward: only its own site (or the server) changes it, and the
            # server would refuse the edit anyway; say so now, not after the next sync.
            return Outcome("refused", False, reason="other_site_item", item_id=item_id)
        kept = current.image if current else ""
        image = (image or "").strip()
        if not image or (kept.startswith("images/") and PurePath(image).is_absolute()):
            image = kept
        payload = {
            "item_id": item_id.strip(),
            "names": names,
            "cost": int(cost),
            "kind": kind,
            "monthly_limit": int(monthly_limit),
            "image": image,
            "active": bool(active),
        }
        if not image:
            # No picture known here: say nothing, so a picture staff put at the ledger since
            # this kiosk last synced is not erased (the ledger keeps fields an event leaves out).
            del payload["image"]
        return self._staff_event("catalog.upsert", staff_id, payload, item_id=item_id.strip())

    def _staff_event(self, etype: str, staff_id: str, payload: dict, **extra: Any) -> Outcome:
        now = self.now()
        with self.store.transaction() as conn:
            ev = self.store.append(conn, etype, staff_id, payload, occurred_at=now, now=now)
        log.info("%s by %s seq=%s", etype, staff_id, ev.seq)
        return Outcome(etype.replace(".", "_"), True, event_ids=[ev.id], at=iso(now), **extra)

    # -- status ---------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        now = self.now()
        oldest = self.store.oldest_pending_at()
        age = (now - datetime.fromisoformat(oldest)).total_seconds() if oldest else 0
        return {
            "kiosk_id": self.store.setting("kiosk_id"),
            "site_id": self.site_id,
            "events": self.store.event_count(),
            "last_seq": self.store.last_seq(),
            "acked_seq": self.store.acked_seq(),
            "pending_events": self.store.pending_count(),
            "oldest_pending_age_s": round(max(0.0, age), 1),
            "last_sync": self.store.setting("last_sync_at"),
            "last_error": self.store.setting("last_sync_error"),
            "clock_offset_ms": int(self.store.setting("clock_offset_ms", "0") or 0),
            "online": self.is_online(now),
            "connection": self.connection(now),
            "last_contact": self.store.setting("last_contact_at"),
            "ledger_url": self.store.setting("ledger_url"),
            "open_sessions": len(self.store.open_sessions()),
            "versions": {
                "software": __version__,
                "store_schema": self.store.schema_version,
                "protocol": PROTOCOL_VERSION,
            },
        }
