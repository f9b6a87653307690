"""Which day and month something belongs to: the kiosk's local calendar.

A session counts toward the daily cap of the day it started on, a redemption toward the
month's limit and the day's offline allowance of when it was made, all by the kiosk's own
local date. Events carry their time as ISO 8601 text with the kiosk's offset, so the text's
own date is that local date; a time in hand gives the same answer.
"""

from __future__ import annotations

from datetime import datetime


def day_of(t: datetime | str) -> str:
    """``YYYY-MM-DD``."""
    return t[:10] if isinstance(t, str) else t.date().isoformat()


def month_of(t: datetime | str) -> str:
    """``YYYY-MM``."""
    return t[:7] if isinstance(t, str) else t.strftime("%Y-%m")
