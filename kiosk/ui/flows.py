"""What each touch or scan asks of the store, as plain functions run on the worker
thread. They return small view objects holding everything the screen will show, so the
UI thread never reads SQLite. Kivy-free: the tests can call these directly too."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from kiosk.core import attendance as att
from kiosk.core.certificate import is_certificate  # noqa: F401  (the app asks through flows)
from kiosk.core.codes import CodeKind, CodeRefused, mask_name
from kiosk.core.correction import (
    Corrected,
    CorrectionRefusal,
    SessionFacts,
    correct_session,
    minute_of,
)
from kiosk.core.days import day_of
from kiosk.core.redemption import RedeemOK, check_redemption
from kiosk.service import Kiosk, Outcome
from kiosk.ui.env import IMAGES
from kiosk.ui.i18n import pick

Titles = dict[str, str]


def activity_titles(kiosk: Kiosk, activity_id: str | None) -> Titles:
    if not activity_id:
        return {}
    row = kiosk.store.activity_titles(activity_id)
    if row is None:
        return {"zh-Hans": activity_id, "zh-Hant": activity_id, "en": activity_id}
    zh, hant, en = row
    return {
        "zh-Hans": zh or en or activity_id,
        "zh-Hant": hant or zh or en or activity_id,
        "en": en or zh or activity_id,
    }


@dataclass
class Shown:
    """An outcome with the titles its screen needs, in every language."""

    outcome: Outcome
    titles: Titles = field(default_factory=dict)
    forgotten_titles: Titles = field(default_factory=dict)
    item_names: Titles = field(default_factory=dict)
    figures: dict[str, int] = field(default_factory=dict)  # a refused redemption's numbers


@dataclass
class Choice:
    text: str
    volunteer_id: str
    name: str
    default_id: str
    options: list[tuple[str, Titles, str, str]]  # (activity_id, titles, start HH:MM, end HH:MM)
    assisted_by: str | None = None


def _shown(kiosk: Kiosk, outcome: Outcome) -> Shown:
    forgotten = outcome.forgotten or {}
    return Shown(
        outcome,
        activity_titles(kiosk, outcome.activity_id),
        activity_titles(kiosk, forgotten.get("activity_id")),
    )


def attendance(
    kiosk: Kiosk,
    text: str | None = None,
    *,
    volunteer_id: str | None = None,
    activity_id: str | None = None,
    assisted_by: str | None = None,
    decided: Callable[[Shown], None] | None = None,
) -> Shown | Choice:
    """A scan at the home screen (``text``) or a staff-assisted sign-in (``volunteer_id``).

    When several activities run now and the scan would sign in, the volunteer chooses
    first; a scan that signs out or is refused answers at once. ``decided(shown)``: the
    sign-in or sign-out as decided, before its commit (Kiosk.attend); the return value
    is the committed one.
    """
    early = None if decided is None else (lambda outcome: decided(_shown(kiosk, outcome)))
    if activity_id is None:
        vid = volunteer_id
        if text is not None:
            try:
                code = kiosk.check(text)
            except CodeRefused:
                code = None
            vid = code.subject_id if code is not None and code.kind == CodeKind.VOLUNTEER else None
        entry = kiosk.store.roster_entry(vid) if vid else None
        if entry is not None and entry.kind == CodeKind.VOLUNTEER and entry.status == "active":
            choice = _choice_needed(kiosk, text or "", vid, entry.display_name)
            if choice is not None:
                choice.assisted_by = assisted_by
                return choice
    if text is not None:
        outcome = kiosk.scan(text, activity_id=activity_id, assisted_by=assisted_by, decided=early)
    else:
        outcome = kiosk.attend(
            volunteer_id or "", activity_id=activity_id, assisted_by=assisted_by, decided=early
        )
    return _shown(kiosk, outcome)


def _choice_needed(kiosk: Kiosk, text: str, vid: str, display_name: str) -> Choice | None:
    now = kiosk.now()
    open_session = kiosk.store.open_session(vid)
    if open_session is not None:
        act = kiosk.store.activity(open_session.activity_id)
        if att.forgotten_reason(open_session, act, now, kiosk.policy) is None:
            return None  # this scan signs out (or is a repeat): no choice to make
    default, candidates = kiosk.candidates(vid, now)
    if default is None or len(candidates) < 2:
        return None
    tz = kiosk.config.tz
    options = [
        (
            a.activity_id,
            activity_titles(kiosk, a.activity_id),
            a.start.astimezone(tz).strftime("%H:%M"),
            a.end.astimezone(tz).strftime("%H:%M"),
        )
        for a in candidates
    ]
    return Choice(text, vid, mask_name(display_name), default.activity_id, options)


# -- home ----------------------------------------------------------------------------


@dataclass
class HomeView:
    site: Titles
    activities: list[dict[str, Any]]  # titles, start, end, running, general
    pending: int


def home(kiosk: Kiosk) -> HomeView:
    now = kiosk.now()
    tz = kiosk.config.tz
    acts = []
    for a in kiosk.store.activities(kiosk.site_id):
        if a.end.astimezone(tz).date() < now.date() or a.start.astimezone(tz).date() > now.date():
            continue
        acts.append(
            {
                "titles": activity_titles(kiosk, a.activity_id),
                "general": a.general,
                "start": a.start.astimezone(tz).strftime("%H:%M"),
                "end": a.end.astimezone(tz).strftime("%H:%M"),
                "running": a.is_running(now),
                "finished": now > a.end,
            }
        )
    acts.sort(key=lambda x: (not x["general"], x["start"]))
    return HomeView(kiosk.store.site_names(kiosk.site_id), acts, kiosk.store.pending_count())


# -- rewards -------------------------------------------------------------------------


@dataclass
class ItemView:
    item_id: str
    names: Titles
    cost: int
    kind: str
    stocked: bool
    stock: int | None
    monthly_limit: int
    used_this_month: int
    image: str  # a file path, or "" for the drawn placeholder
    state: str  # ok | insufficient_balance | out_of_stock | monthly_limit | offline_allowance | item_unavailable
    short: int = 0  # points missing when the balance is short
    active: bool = True


@dataclass
class CatalogView:
    volunteer_id: str
    name: str
    balance: int
    online: bool
    offline_left: int
    items: list[ItemView]


# The sync agent keeps the ledger's reward pictures here, named by item id
# (sync.agent.images.picture_path); they come first, whatever the item's ``image`` says.
LEDGER_IMAGES = "images"
_PLAIN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def resolve_image(
    kiosk: Kiosk, image: str, extra_dirs: tuple[Path, ...] = (), item_id: str = ""
) -> str:
    if item_id and _PLAIN_ID.fullmatch(item_id) and ".." not in item_id:
        fetched = kiosk.store.path.parent / LEDGER_IMAGES / f"{item_id}.png"
        if fetched.is_file():
            return str(fetched)
    if not image:
        return ""
    p = Path(image)
    if p.is_absolute():
        return str(p) if p.exists() else ""
    for base in (kiosk.store.path.parent, *extra_dirs, IMAGES.parent, IMAGES):
        for candidate in (base / p, base / p.name):
            if candidate.exists():
                return str(candidate)
    return ""


def catalog_items(
    kiosk: Kiosk,
    volunteer_id: str,
    balance: int,
    online: bool,
    offline_spent: int,
    extra_dirs: tuple[Path, ...] = (),
    include_inactive: bool = False,
) -> list[ItemView]:
    now = kiosk.now()
    items = []
    for item in kiosk.store.catalog(include_inactive=include_inactive):
        ctx = kiosk.redeem_context(
            volunteer_id, item, now, balance=balance, online=online, offline_spent=offline_spent
        )
        verdict = check_redemption(item, ctx)
        state = "ok" if isinstance(verdict, RedeemOK) else verdict.value
        items.append(
            ItemView(
                item.item_id,
                dict(item.names),
                item.cost,
                item.kind,
                item.stocked,
                ctx.stock,
                item.monthly_limit,
                ctx.redeemed_this_month,
                resolve_image(kiosk, item.image, extra_dirs, item.item_id),
                state,
                max(0, item.cost - balance),
                item.active,
            )
        )
    return items


def rewards(kiosk: Kiosk, text: str, extra_dirs: tuple[Path, ...] = ()) -> CatalogView | Shown:
    outcome = kiosk.verify(text)
    if not outcome.ok:
        return Shown(outcome)
    entry = kiosk.store.roster_entry(outcome.volunteer_id)
    if entry is None or entry.kind != CodeKind.VOLUNTEER:
        return Shown(
            Outcome("refused", False, volunteer_id=outcome.volunteer_id, reason="staff_card")
        )
    return catalog_for(kiosk, outcome.volunteer_id, extra_dirs)


def catalog_for(kiosk: Kiosk, vid: str, extra_dirs: tuple[Path, ...] = ()) -> CatalogView:
    now = kiosk.now()
    entry = kiosk.store.roster_entry(vid)
    balance = kiosk.store.balance(vid)
    online = kiosk.is_online(now)
    spent = kiosk.store.offline_spent(vid, day_of(now))
    return CatalogView(
        vid,
        mask_name(entry.display_name) if entry else vid,
        balance,
        online,
        max(0, kiosk.config.offline_allowance - spent),
        catalog_items(kiosk, vid, balance, online, spent, extra_dirs),
    )


def redeem(kiosk: Kiosk, vid: str, item_id: str) -> Shown:
    outcome = kiosk.redeem_for(vid, item_id)
    item = kiosk.store.catalog_item(item_id)
    shown = Shown(outcome, item_names=dict(item.names) if item else {})
    if not outcome.ok and item is not None:
        # What would make it work: the cost against the balance, the month's limit against
        # what was redeemed, what may still be spent today while offline.
        now = kiosk.now()
        balance = outcome.balance or 0
        spent = kiosk.store.offline_spent(vid, now.date().isoformat())
        shown.figures = {
            "cost": item.cost,
            "balance": balance,
            "short": max(0, item.cost - balance),
            "limit": item.monthly_limit,
            "used": kiosk.store.redeemed_count(vid, item_id, now.strftime("%Y-%m")),
            "left": max(0, kiosk.config.offline_allowance - spent),
        }
    return shown


# -- staff ---------------------------------------------------------------------------


def staff_name(kiosk: Kiosk, staff_id: str) -> str:
    entry = kiosk.store.roster_entry(staff_id)
    return mask_name(entry.display_name) if entry else staff_id


CORRECTION_DAYS = (
    7  # the sessions tab lists this many days of sign-ins (today included) for correcting
)


def staff_items(kiosk: Kiosk, extra_dirs: tuple[Path, ...] = ()) -> list[ItemView]:
    """Every catalog item, listed or not, with this site's stock: the stock and catalog pages."""
    return catalog_items(kiosk, "", 0, True, 0, extra_dirs, include_inactive=True)


def staff_sessions(kiosk: Kiosk) -> list[dict[str, Any]]:
    """Sign-ins staff may correct, newest first: the last CORRECTION_DAYS days, and every
    open one (``forgotten`` set on those left open past their activity's end)."""
    now = kiosk.now()
    forgotten: set[str] = set()
    open_ids: list[str] = []
    for s in kiosk.store.open_sessions():
        open_ids.append(s.session_id)
        if att.forgotten_reason(s, kiosk.store.activity(s.activity_id), now, kiosk.policy):
            forgotten.add(s.session_id)
    since = (now.date() - timedelta(days=CORRECTION_DAYS - 1)).isoformat()
    recent = kiosk.store.recent_sessions(since)
    listed = {r["session_id"] for r in recent}
    recent += [
        row
        for sid in open_ids
        if sid not in listed
        for row in [kiosk.store.session(sid)]
        if row is not None
    ]
    recent.sort(key=lambda r: (r["signed_in_at"], r["in_seq"]), reverse=True)
    for r in recent:
        r["forgotten"] = r["session_id"] in forgotten
    return recent


def staff_redemptions(kiosk: Kiosk, limit: int = 30) -> list[dict[str, Any]]:
    """The latest redemptions at this kiosk, with the volunteer's masked name and the item's names."""
    reds = []
    for r in kiosk.store.recent_redemptions(limit):
        entry = kiosk.store.roster_entry(r["volunteer_id"])
        item = kiosk.store.catalog_item(r["item_id"])
        reds.append(
            {
                **r,
                "name": mask_name(entry.display_name) if entry else r["volunteer_id"],
                "item_names": dict(item.names) if item else {"zh-Hans": r["item_id"]},
            }
        )
    return reds


def staff_sites(kiosk: Kiosk) -> tuple[list[tuple[str, Titles]], str]:
    """Every site the kiosk knows, with its names, and the site it serves now."""
    with kiosk.store.transaction() as conn:
        rows = conn.execute(
            "SELECT site_id, name_zh, name_zh_hant, name_en FROM sites ORDER BY site_id"
        ).fetchall()
    sites = [
        (r[0], {"zh-Hans": r[1] or r[0], "zh-Hant": r[2] or r[1] or r[0], "en": r[3] or r[0]})
        for r in rows
    ]
    return sites, kiosk.site_id


@dataclass
class CorrectionDraft:
    """A session being corrected on the staff screen: the sign-out time moves with each
    tap, and the new figures are previewed with the same rule the service applies."""

    row: dict[str, Any]
    facts: SessionFacts
    signed_out_at: datetime
    reason: str

    def verdict(self, now: datetime) -> Corrected | CorrectionRefusal:
        return correct_session(self.facts, self.signed_out_at, now)


def correction_draft(kiosk: Kiosk, session_id: str) -> CorrectionDraft | None:
    """Start correcting a session: from its sign-out time, or for an open one from the
    activity's end (what closing it as forgotten would credit), never later than now."""
    found = kiosk.correction_facts(session_id)
    if found is None:
        return None
    row, facts = found
    tz = kiosk.config.tz
    now = kiosk.now()
    start = minute_of(row["signed_in_at"].astimezone(tz))
    if row["signed_out_at"] is not None:
        out = row["signed_out_at"]
    else:
        act = kiosk.store.activity(row["activity_id"])
        out = min(act.end, now) if act is not None else now
    out = max(minute_of(out.astimezone(tz)), start)
    return CorrectionDraft(
        row, facts, out, "wrong_time" if row["status"] == "closed" else "forgot_sign_out"
    )


@dataclass
class PointsTarget:
    """The volunteer whose points staff are adjusting."""

    volunteer_id: str
    name: str
    balance: int


def points_target(
    kiosk: Kiosk, *, text: str | None = None, volunteer_id: str | None = None
) -> PointsTarget | Outcome:
    """A volunteer by card (shown while staff are on the points page) or by number; a
    refused Outcome when the card or number is not a volunteer's."""
    if text is not None:
        try:
            code = kiosk.check(text)
        except CodeRefused as exc:
            return Outcome("refused", False, volunteer_id=exc.subject_id, reason=exc.reason.value)
        if code.kind != CodeKind.VOLUNTEER:
            return Outcome("refused", False, volunteer_id=code.subject_id, reason="staff_card")
        volunteer_id = code.subject_id
    entry = kiosk.store.roster_entry(volunteer_id or "")
    if entry is None or entry.kind != CodeKind.VOLUNTEER:
        return Outcome("refused", False, volunteer_id=volunteer_id, reason="unknown_volunteer")
    return PointsTarget(
        entry.subject_id, mask_name(entry.display_name), kiosk.store.balance(entry.subject_id)
    )


@dataclass
class SyncView:
    """The kiosk's sync state, read once for the top bar and the staff page together, by
    the rule ``kiosk status`` uses (Kiosk.connection): they never disagree."""

    connection: str  # standalone | online | offline
    pending: int
    oldest_pending_at: datetime | None
    last_contact: datetime | None
    last_success: datetime | None
    last_error: str | None  # retry | refused | upgrade: what went wrong last time, in kinds
    outbox: list[dict[str, Any]]  # the oldest pending records: seq, type, at, who
    exceptions: list[dict[str, Any]] | None  # None: not available (no agent, or offline)
    exceptions_at: str | None = None  # when the agent read them from the ledger
    public_key: Any = None  # the community's key, as the store holds it now

    @property
    def online(self) -> bool:
        return self.connection == "online"


# last_sync_error is "<code>: <message>" (sync.agent.rounds); the page says what staff can do.
REFUSED_CODES = ("unauthorized", "forbidden", "kiosk_revoked", "revoked", "401", "403")


def error_kind(error: str | None) -> str | None:
    if not error:
        return None
    code = error.split(":", 1)[0].strip()
    if code in REFUSED_CODES:
        return "refused"
    if code == "protocol_unsupported":
        return "upgrade"
    return "retry"


def _when(value: str | None, tz) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).astimezone(tz)
    except ValueError:
        return None


def person(kiosk: Kiosk, subject_id: str | None) -> dict[str, str] | None:
    """A volunteer or staff member as the staff pages name them: masked name and number."""
    if not subject_id:
        return None
    entry = kiosk.store.roster_entry(subject_id)
    return {"id": subject_id, "name": mask_name(entry.display_name) if entry else ""}


def sync_view(kiosk: Kiosk, agent: Any | None, outbox_rows: int = 0) -> SyncView:
    """The top bar and the staff sync page, from the store (the agent keeps it up to
    date), plus the agent's last read of the ledger's exceptions for the page."""
    now = kiosk.now()
    tz = kiosk.config.tz
    pending = kiosk.store.pending_count()
    outbox = []
    if outbox_rows:
        events = kiosk.store.pending(outbox_rows)
        if len(events) < min(pending, outbox_rows):  # the agent sent some meanwhile
            pending = len(events)
        for ev in events:
            payload = ev.payload if isinstance(ev.payload, dict) else {}
            who = (
                payload.get("volunteer_id")
                if isinstance(payload.get("volunteer_id"), str)
                else ev.actor
            )
            outbox.append(
                {
                    "seq": ev.seq,
                    "type": ev.type,
                    "at": _when(ev.occurred_at, tz),
                    "who": person(kiosk, who),
                }
            )
    exceptions, exceptions_at = None, None
    if agent is not None and hasattr(agent, "exceptions") and outbox_rows:
        try:
            # the time first: a newer read landing in between makes the page redraw, not go stale
            exceptions_at = getattr(agent, "exceptions_at", None)
            raw_rows = agent.exceptions()  # the agent's last read: no network here
            exceptions = None if raw_rows is None else ledger_exceptions(kiosk, raw_rows)
        except Exception:
            exceptions = None
    try:
        key = kiosk.public_key()
    except Exception:
        key = None
    return SyncView(
        connection=kiosk.connection(now),
        pending=pending,
        oldest_pending_at=_when(kiosk.store.oldest_pending_at(), tz) if pending else None,
        last_contact=_when(kiosk.store.setting("last_contact_at"), tz),
        last_success=_when(kiosk.store.setting("last_sync_at"), tz),
        last_error=error_kind(kiosk.store.setting("last_sync_error")),
        outbox=outbox,
        exceptions=exceptions,
        exceptions_at=exceptions_at,
        public_key=key,
    )


def exception_figures(exc: dict[str, Any], lang: str, *, what: str) -> dict[str, str]:
    """What a ``staff.sync.detail.*`` message may name, for one row of ``ledger_exceptions``
    (``what``: the refused record's kind in the page's words)."""
    d = exc["detail"]
    return {
        "balance": d.get("balance", ""),
        "cost": d.get("cost", ""),
        "seq": d.get("seq", ""),
        "delta": d.get("delta", ""),
        "qty": d.get("qty", ""),
        "what": what,
        "kiosks": ", ".join(str(k) for k in d.get("kiosks") or [exc["kiosk_id"]]),
        "item": pick(exc["item_names"], lang) if exc["item_names"] else "",
        "activity": pick(exc.get("activity_names") or {}, lang),
    }


def ledger_exceptions(kiosk: Kiosk, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The ledger's exception rows for the staff page, newest first: kind, volunteer id,
    when (kiosk time zone), the detail figures, and an item's or an activity's names when
    one is named."""
    out = []
    here = kiosk.store.setting("kiosk_id") or ""
    for row in rows:
        if not isinstance(row, dict):
            continue
        detail = row.get("detail") if isinstance(row.get("detail"), dict) else {}
        try:
            when = datetime.fromisoformat(str(row.get("created_at"))).astimezone(kiosk.config.tz)
        except ValueError:
            when = None
        item_id = detail.get("item_id")
        item = kiosk.store.catalog_item(item_id) if isinstance(item_id, str) else None
        activity_id = detail.get("activity_id")
        kiosk_id = row.get("kiosk_id") or ""
        seq = detail.get("seq")
        # A record of this kiosk's (refused, or in conflict): what it was, in the page's words.
        etype = ""
        if isinstance(seq, int) and seq > 0 and kiosk_id == here:
            found = kiosk.store.events_after(seq - 1, 1)
            etype = found[0].type if found and found[0].seq == seq else ""
        out.append(
            {
                "id": row.get("exception_id"),
                "kind": str(row.get("kind", "")),
                "volunteer_id": row.get("volunteer_id") or "",
                "who": person(kiosk, row.get("volunteer_id") or None),
                "kiosk_id": kiosk_id,
                "this_kiosk": kiosk_id == here,
                "event_type": etype,
                "when": when,
                "detail": detail,
                "item_names": dict(item.names)
                if item
                else ({"zh-Hans": item_id} if item_id else {}),
                # an activity this kiosk does not know (another site's) is named by its id
                "activity_names": activity_titles(
                    kiosk, activity_id if isinstance(activity_id, str) else None
                ),
            }
        )
    out.sort(key=lambda r: r["id"] if isinstance(r["id"], int) else 0, reverse=True)
    return out
