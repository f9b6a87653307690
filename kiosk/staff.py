"""Staff mode: who may open it, the lockout, and the staff sessions in the event log.
Kivy-free, so the rules are tested without a window and the UI only shows what this
decides.

Staff hold up their card, then type their PIN: both are needed, because the PIN hash
is keyed with the card's signature (see kiosk.core.pins). Wrong PINs are counted in
the kiosk's database, per staff member and for the whole kiosk, so neither a restart
nor another card resets them. Each time staff mode opens and closes, an event
(``staff.session_open``, ``staff.session_close``) goes into the kiosk's own 台账 and on
to the ledger, so every stock or points change can be traced to a session.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from kiosk.core.codes import CodeKind, CodeRefused
from kiosk.core.pins import MIN_KDF, KdfParams, Lockout, check_pin, parse_hash, strong_enough
from kiosk.store.ids import uuid7

if TYPE_CHECKING:
    from kiosk.service import Kiosk

log = logging.getLogger("kiosk.staff")

CLOSE_REASONS = ("leave", "idle", "restart", "closed")


@dataclass(frozen=True)
class PinVerdict:
    """``reason`` when not ok: wrong_pin, locked, no_pin (this card has no PIN set at
    the ledger, or an old kind of hash), or the card refusal (replaced_card, ...)."""

    ok: bool
    locked_until: datetime | None = None
    attempts_left: int = 0
    reason: str | None = None
    staff_id: str | None = None
    session_id: str | None = None


class StaffGate:
    def __init__(
        self, kiosk: Kiosk, lockout: Lockout | None = None, min_kdf: KdfParams = MIN_KDF
    ) -> None:
        self.kiosk = kiosk
        self.store = kiosk.store
        self.lockout = lockout or Lockout()
        self.min_kdf = min_kdf
        self.session_id: str | None = None
        self.session_staff: str | None = None
        # One check at a time: two taps on OK must not both slip past the count.
        self._lock = threading.Lock()

    def locked_until(self, staff_id: str | None = None) -> datetime | None:
        """When staff mode opens again for this staff member (or anyone), or None."""
        now = self.kiosk.now()
        kiosk_lock = self.lockout.locked_until(
            self.store.pin_failures(None), now, self.lockout.kiosk_max_failures
        )
        staff_lock = (
            self.lockout.locked_until(self.store.pin_failures(staff_id), now)
            if staff_id is not None
            else None
        )
        locks = [t for t in (kiosk_lock, staff_lock) if t is not None]
        return max(locks).astimezone(self.kiosk.config.tz) if locks else None

    def try_pin(self, card_text: str, pin: str) -> PinVerdict:
        """Check the card, then the PIN (slow on purpose: Argon2id). Call off the UI thread."""
        with self._lock:
            try:
                code = self.kiosk.check(card_text)
            except CodeRefused as exc:
                return PinVerdict(False, reason=exc.reason.value, staff_id=exc.subject_id)
            staff_id = code.subject_id
            if code.kind != CodeKind.STAFF:
                return PinVerdict(False, reason="not_staff", staff_id=staff_id)
            until = self.locked_until(staff_id)
            if until is not None:
                log.info("staff PIN refused: locked until %s (id=%s)", until.isoformat(), staff_id)
                return PinVerdict(False, until, 0, "locked", staff_id)
            stored = parse_hash(self.store.staff_pin_hash(staff_id) or "")
            if stored is None or stored.card_version != code.version:
                log.warning("staff %s has no PIN for card version %s", staff_id, code.version)
                return PinVerdict(False, reason="no_pin", staff_id=staff_id)
            if not strong_enough(stored.params, self.min_kdf):
                log.warning("staff %s PIN hash is too cheap to accept", staff_id)
                return PinVerdict(False, reason="no_pin", staff_id=staff_id)
            attempt = self.store.begin_pin_attempt(staff_id, self.kiosk.now())
            if check_pin(pin, code.signature, stored):
                return self._open(staff_id, code.version, attempt)
            now = self.kiosk.now()
            until = self.locked_until(staff_id)
            left = self.lockout.attempts_left(self.store.pin_failures(staff_id), now)
            if until is not None:
                log.warning("staff PIN wrong, locked until %s (id=%s)", until.isoformat(), staff_id)
                return PinVerdict(False, until, 0, "locked", staff_id)
            log.info("staff PIN wrong (id=%s, left=%s)", staff_id, left)
            return PinVerdict(False, None, left, "wrong_pin", staff_id)

    def _open(self, staff_id: str, card_version: int, attempt: int) -> PinVerdict:
        if self.session_id is not None:
            self.close("closed")
        now = self.kiosk.now()
        session_id = uuid7(int(now.timestamp() * 1000))
        store = self.store
        with store.transaction() as conn:
            store.pin_attempt_ok(conn, attempt)
            ev = store.append(
                conn,
                "staff.session_open",
                staff_id,
                {"session_id": session_id, "card_version": card_version},
                occurred_at=now,
                now=now,
            )
            store.put_setting(conn, "staff_session", session_id)
        self.session_id, self.session_staff = session_id, staff_id
        log.info("staff mode opened by %s session=%s seq=%s", staff_id, session_id, ev.seq)
        return PinVerdict(True, staff_id=staff_id, session_id=session_id)

    def close(self, reason: str = "leave") -> None:
        """Staff mode ends (left, timed out, or the app stopped)."""
        if self.session_id is None or self.session_staff is None:
            return
        self._close(self.session_staff, self.session_id, reason)
        self.session_id = self.session_staff = None

    def close_left_open(self) -> None:
        """At start-up: a session the last run never closed (power cut, crash) is closed
        now, as ``restart``, so the trail shows where staff mode ended."""
        left = self.store.staff_session_left_open()
        if left is not None:
            session_id, staff_id = left
            self._close(staff_id, session_id, "restart")

    def _close(self, staff_id: str, session_id: str, reason: str) -> None:
        now = self.kiosk.now()
        store = self.store
        with store.transaction() as conn:
            ev = store.append(
                conn,
                "staff.session_close",
                staff_id,
                {"session_id": session_id, "reason": reason},
                occurred_at=now,
                now=now,
            )
            store.put_setting(conn, "staff_session", None)
        log.info(
            "staff mode closed (%s) by %s session=%s seq=%s", reason, staff_id, session_id, ev.seq
        )
