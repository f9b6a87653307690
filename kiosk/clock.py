"""The one clock of every kiosk and ledger process.

Product code never reads the wall clock itself: it takes a ``Clock`` (a callable that
returns an aware ``datetime``) from its caller, and the default is ``system_clock``.
Tests pass a clock of their own; the domain core takes plain times as arguments.

Testing aid for whole processes (a ``kiosk-ledger serve`` or ``kiosk sync`` started by a
test, or a whole test run): ``KIOSK_CLOCK=<ISO instant with offset>`` starts the process's
clock at that instant, and from there it runs at the real rate, so a ledger and the
kiosks talking to it agree on "today" whatever the machine's date.
``KIOSK_CLOCK=<instant>@<unix seconds>`` says the clock read ``instant`` at that real
moment: every process given the same value agrees on the time to the millisecond, however
much later it starts (tests/at_instant.sh runs the suite so). Never set it in production.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

Clock = Callable[[], datetime]

ENV = "KIOSK_CLOCK"


class ClockError(ValueError):
    pass


def real_utc() -> datetime:
    return datetime.now(UTC)


class StartedClock:
    """Starts at ``start`` and runs on at the rate of the monotonic clock."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ClockError(f"{ENV} needs a time zone offset, got {start.isoformat()!r}")
        self.start = start.astimezone(UTC)
        self._t0 = time.monotonic()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self._t0)


class ShiftedClock:
    """The real clock moved by a fixed amount: what ``instant@unix`` asks for."""

    def __init__(self, shift: timedelta) -> None:
        self.shift = shift

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.shift


def parse_instant(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ClockError(
            f"{ENV} must be an ISO time such as 2026-11-29T08:00:00+08:00, got {text!r}"
        ) from exc
    if when.tzinfo is None:
        raise ClockError(f"{ENV} needs a time zone offset, got {text!r}")
    return when


def from_setting(setting: str) -> Clock:
    """The clock a ``KIOSK_CLOCK`` value describes (see the module's docstring)."""
    instant, at, real = setting.strip().partition("@")
    if not at:
        return StartedClock(parse_instant(instant))
    try:
        then = datetime.fromtimestamp(float(real), UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise ClockError(f"{ENV}: after @ comes a unix time in seconds, got {real!r}") from exc
    return ShiftedClock(parse_instant(instant) - then)


_process_clock: Clock | None = None


def system_clock() -> Clock:
    """This process's clock: the real one, or the one ``KIOSK_CLOCK`` set (read once)."""
    global _process_clock
    if _process_clock is None:
        setting = os.environ.get(ENV, "").strip()
        _process_clock = from_setting(setting) if setting else real_utc
    return _process_clock


def env_for(start: datetime) -> dict[str, str]:
    """The environment entry that starts a child process's clock at ``start``."""
    if start.tzinfo is None:
        raise ClockError("a clock start needs a time zone")
    return {ENV: start.isoformat()}
