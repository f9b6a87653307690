"""One sync round: push the outbox in seq order, then pull the change feed.

The kiosk marks events synced only up to the ledger's ``acked_seq``; a lost answer
means the same batch is sent again and the ledger answers ``duplicate``. Pulled changes
and their cursor are applied in one local transaction (``apply_changes``).
"""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Callable
from datetime import datetime
from typing import Any

import requests

from kiosk.clock import system_clock
from kiosk.store import Store, apply_changes, iso
from sync.protocol import MAX_BATCH, schema_fault

from .client import BatchTooLarge, LedgerClient, PermanentFailure, TemporaryFailure
from .images import BUDGET_S, fetch_images, note_wanted

log = logging.getLogger("sync.agent")

PAGE = 5000
Clock = Callable[[], datetime]


def utcnow() -> datetime:
    return system_clock()()


def _contact(store: Store, sent: datetime, received: datetime, server_time: str | None) -> None:
    """Every answer from the ledger: note the contact and how far our clock is off."""
    values: dict[str, Any] = {"last_contact_at": iso(received)}
    if server_time:
        try:
            server = datetime.fromisoformat(server_time)
            midpoint = sent + (received - sent) / 2
            values["clock_offset_ms"] = int((server - midpoint).total_seconds() * 1000)
        except ValueError:
            pass
    store.set_settings(**values)


def kiosk_status(store: Store, now: datetime) -> dict[str, Any]:
    """What this kiosk tells the ledger of itself with each push (the console's 自助机 page)."""
    # The one version (kiosk.core.version), the same the kiosk's screens and the console's
    # footer show: a kiosk run from a source tree has no installed package metadata.
    from kiosk.core.version import VERSION

    software = VERSION
    oldest = store.oldest_pending_at()
    age = None
    if oldest:
        try:
            age = max(0, int((now - datetime.fromisoformat(oldest)).total_seconds()))
        except ValueError:
            age = None
    offset = store.setting("clock_offset_ms")
    return {
        "pending": store.pending_count(),
        "oldest_pending_s": age,
        "clock_offset_ms": int(offset) if offset and offset.lstrip("-").isdigit() else None,
        "software": software[:64],
    }


def enroll(
    store: Store,
    url: str,
    code: str,
    name: str | None = None,
    *,
    session: requests.Session | None = None,
    clock: Clock = utcnow,
    resend_all: bool = False,
) -> dict[str, Any]:
    """Exchange a one-time code for this kiosk's identity and token, then pull the roster.

    ``resend_all``: the kiosk was enrolled elsewhere and its events were synced there, but
    that ledger is gone; a new, empty one replaces it. The kiosk takes the identity the new
    ledger gives it and sends its whole event log again, from seq 1, as that kiosk. Event ids
    are kept, so a ledger that already holds them answers ``conflict`` and counts nothing
    twice. The new enrollment must be for the site the events were recorded at."""
    previous = {
        "kiosk_id": store.setting("kiosk_id"),
        "ledger_url": store.setting("ledger_url"),
        "acked_seq": store.acked_seq(),
    }
    if store.setting("ledger_token") and previous["acked_seq"] > 0 and not resend_all:
        return {
            "ok": False,
            "error": "already_enrolled",
            "kiosk_id": previous["kiosk_id"],
            "message": "this kiosk is already enrolled and has synced events; to send its whole event "
            "log to a new, empty ledger enroll with --resend-all, else use a fresh data folder",
        }
    client = LedgerClient(url, session=session)
    sent = clock()
    # A kiosk sending its log again must stay at the site its events name: the ledger refuses
    # a code for another site before using it up (an older ledger ignores this; see below).
    keep_site = store.setting("site_id") if resend_all and store.last_seq() > 0 else None
    try:
        answer = client.enroll(code, name or socket.gethostname(), site_id=keep_site)
    except TemporaryFailure as exc:
        return {
            "ok": False,
            "error": "unreachable",
            "message": f"cannot reach the ledger at {url}: {exc}",
        }
    except PermanentFailure as exc:
        return {"ok": False, "error": exc.code, "message": exc.message}
    for key in ("kiosk_id", "token", "site_id", "public_key"):
        if not isinstance(answer.get(key), str):
            return {"ok": False, "error": "bad_answer", "message": f"enrollment answer lacks {key}"}
    settings: dict[str, Any] = {}
    resent = 0
    if resend_all and store.last_seq() > 0:
        old_site = store.setting("site_id")
        if old_site and old_site != answer["site_id"]:
            # Its events name the old site's stock and activities: they belong to that site.
            return {
                "ok": False,
                "error": "site_mismatch",
                "kiosk_id": previous["kiosk_id"],
                "message": f"this kiosk's events were recorded at {old_site}, but the code enrolls it at "
                f"{answer['site_id']}: ask staff for a code for {old_site}; nothing was changed",
            }
        resent = store.last_seq()
        settings = {"acked_seq": 0, "previous_enrollment": json.dumps(previous)}
    store.set_settings(
        kiosk_id=answer["kiosk_id"],
        ledger_token=answer["token"],
        ledger_url=url.rstrip("/"),
        site_id=answer["site_id"],
        public_key=answer["public_key"],
        cursor=None,
        last_contact_at=iso(clock()),
        **settings,
    )
    log.info(
        "enrolled as %s at %s (request at %s)", answer["kiosk_id"], answer["site_id"], iso(sent)
    )
    if resent:
        log.warning(
            "re-enrolled (was %s at %s): sending all %s events again",
            previous["kiosk_id"],
            previous["ledger_url"],
            resent,
        )
    synced = sync_once(store, session=session, clock=clock)
    result = {
        "ok": True,
        "kiosk_id": answer["kiosk_id"],
        "site_id": answer["site_id"],
        "ledger_url": url,
        "synced": synced,
    }
    if resent:
        result.update(resent=resent, previous=previous)
    return result


def sync_once(
    store: Store,
    *,
    session: requests.Session | None = None,
    clock: Clock = utcnow,
    batch_size: int = MAX_BATCH,
    page_size: int = PAGE,
    timeout: tuple[float, float] | None = None,
    images_budget_s: float = BUDGET_S,
) -> dict[str, Any]:
    """Push everything pending, then pull all changes, then fetch changed reward pictures
    (``images``: never fails the round). Returns a summary with ``ok``."""
    url, token, kiosk_id = (
        store.setting("ledger_url"),
        store.setting("ledger_token"),
        store.setting("kiosk_id"),
    )
    if not (url and token and kiosk_id):
        return {
            "ok": False,
            "error": "not_enrolled",
            "retry": False,
            "message": "this kiosk is not enrolled: run `kiosk enroll URL CODE`",
        }
    client = LedgerClient(url, token, session=session)
    if timeout is not None:
        client.timeout = timeout
    summary: dict[str, Any] = {
        "ok": True,
        "kiosk_id": kiosk_id,
        "pushed": 0,
        "accepted": 0,
        "duplicate": 0,
        "rejected": 0,
        "conflict": 0,
        "pulled": 0,
    }
    try:
        _push(store, client, kiosk_id, clock, batch_size, summary)
        _pull(store, client, clock, page_size, summary)
    except TemporaryFailure as exc:
        store.set_settings(last_sync_error=f"temporary: {exc}")
        log.info("sync deferred: %s", exc)
        return {**summary, "ok": False, "error": "temporary", "retry": True, "message": str(exc)}
    except PermanentFailure as exc:
        store.set_settings(last_sync_error=f"{exc.code}: {exc.message}")
        log.warning("sync refused by the ledger: %s %s %s", exc.status, exc.code, exc.message)
        # A protocol the ledger does not take waits for an upgrade: retried slowly, like a bad token.
        retry = exc.status not in (401, 403) and exc.code != "protocol_unsupported"
        return {**summary, "ok": False, "error": exc.code, "retry": retry, "message": exc.message}
    store.set_settings(last_sync_at=iso(clock()), last_sync_error=None)
    summary["acked_seq"] = store.acked_seq()
    summary["pending"] = store.pending_count()
    try:  # after the events: a slow or broken picture never holds them up
        summary["images"] = fetch_images(store, client, budget_s=images_budget_s)
    except Exception:
        log.exception("fetching reward pictures failed; tried again next round")
        summary["images"] = {"error": 1}
    return summary


def fetch_exceptions(
    store: Store,
    *,
    session: requests.Session | None = None,
    timeout: tuple[float, float] | None = None,
) -> list[dict[str, Any]]:
    """The ledger's exceptions for this kiosk's site (GET /v1/exceptions with the kiosk
    token). Raises ``TemporaryFailure``/``PermanentFailure``; ``PermanentFailure`` with code
    ``not_enrolled`` when the kiosk has no ledger yet."""
    url, token = store.setting("ledger_url"), store.setting("ledger_token")
    if not (url and token):
        raise PermanentFailure("not_enrolled", "this kiosk is not enrolled", 0)
    client = LedgerClient(url, token, session=session)
    if timeout is not None:
        client.timeout = timeout
    return client.exceptions()


def fetch_record(
    store: Store, volunteer_id: str, *, timeout: tuple[float, float] = (1.0, 2.0)
) -> dict[str, Any]:
    """A volunteer's record from the ledger, for 我的记录: asked while the volunteer waits, so
    the timeouts are short and the kiosk shows its own record when they pass. Raises
    ``TemporaryFailure``/``PermanentFailure`` (``not_enrolled``: no ledger)."""
    url, token = store.setting("ledger_url"), store.setting("ledger_token")
    if not (url and token):
        raise PermanentFailure("not_enrolled", "this kiosk is not enrolled", 0)
    client = LedgerClient(url, token)  # a session of its own: the agent's is the agent thread's
    client.timeout = timeout
    try:
        return client.volunteer_record(volunteer_id)
    finally:
        client.session.close()


def _push(
    store: Store,
    client: LedgerClient,
    kiosk_id: str,
    clock: Clock,
    batch_size: int,
    summary: dict[str, Any],
) -> None:
    start = store.acked_seq()
    rewound = probed = False
    checked = 0  # events up to this seq were checked against the schema this round
    while True:
        batch = store.events_after(start, batch_size)
        if not batch:
            if start == 0 or rewound or probed:
                return
            # Nothing to send: an empty push still answers how far the ledger holds this
            # kiosk, so a ledger restored from an older backup is noticed by idle kiosks too.
            probed = True
        sent = clock()
        wire = [e.wire(kiosk_id) for e in batch]
        checked = _check_outgoing(wire, checked)
        try:
            answer = client.push(kiosk_id, wire, kiosk_status(store, sent))
        except BatchTooLarge:
            if batch_size == 1:
                raise
            batch_size = max(1, batch_size // 2)  # huge payloads: smaller batches still fit
            continue
        _contact(store, sent, clock(), answer.get("server_time"))
        acked = answer["acked_seq"]
        summary["pushed"] += len(batch)
        for r in answer["results"]:
            status = r.get("status") if isinstance(r, dict) else None
            if status in summary:
                summary[status] += 1
            if status in ("rejected", "conflict"):
                log.warning(
                    "event seq=%s %s by the ledger: %s", r.get("seq"), status, r.get("reason")
                )
        if acked < start and not rewound:
            # The ledger holds less than it once confirmed (restored from a backup): resend
            # from where it is. The kiosk never deleted anything, so nothing is lost. Our own
            # acked_seq follows the ledger down, so `kiosk status` counts those events as
            # pending until they are back; the next pull is a full snapshot (cursor dropped).
            log.warning("ledger acked_seq %s is behind ours (%s): resending", acked, start)
            store.rewind_acked(acked)
            store.set_settings(cursor=None)
            summary["resent_from"] = acked + 1
            start, rewound = acked, True
            continue
        store.mark_acked(acked, at=clock())
        if not batch:
            return
        if acked <= start:
            raise TemporaryFailure(f"ledger made no progress at seq {start + 1}")
        start = acked


def _check_outgoing(wire: list[dict[str, Any]], checked: int) -> int:
    """Each event as it goes out, against its type's schema (``sync.protocol``): one that
    does not fit is still sent (the ledger records it as rejected, and the queue moves on;
    holding it back would hold up every event behind it), and logged here for staff."""
    for ev in wire:
        if ev["seq"] > checked and (fault := schema_fault(ev)) is not None:
            log.warning(
                "event seq=%s %s does not fit the protocol: %s", ev["seq"], ev["type"], fault
            )
    return max([checked, *(ev["seq"] for ev in wire)])


def _pull(
    store: Store, client: LedgerClient, clock: Clock, page_size: int, summary: dict[str, Any]
) -> None:
    cursor = store.setting("cursor")
    while True:
        sent = clock()
        page = client.changes(cursor, page_size)
        _contact(store, sent, clock(), page.get("server_time"))
        note_wanted(store, page["changes"])  # before the cursor moves past them
        apply_changes(
            store,
            page["changes"],
            cursor=page["next_cursor"],
            reset=bool(page.get("reset")),
            public_key=page.get("public_key"),
        )
        summary["pulled"] += len(page["changes"])
        if len(page["changes"]) < page_size or page["next_cursor"] == cursor:
            return
        cursor = page["next_cursor"]
