"""The volunteer's own screens: my record (record), coming activities and sign-up (upcoming), and the
"show your card" screen that asks who it is for (who). One .py and one .kv per screen;
each kv is loaded once, when this package is imported."""

from __future__ import annotations

from pathlib import Path

from kivy.lang import Builder

from .record import RecordScreen
from .upcoming import UpcomingRow, UpcomingScreen
from .who import WhoScreen

_HERE = Path(__file__).resolve().parent
for _kv in ("record.kv", "upcoming.kv", "who.kv"):
    if str(_HERE / _kv) not in Builder.files:
        Builder.load_file(str(_HERE / _kv))

__all__ = ["RecordScreen", "UpcomingRow", "UpcomingScreen", "WhoScreen"]
