"""Star levels (星级志愿者) from credited service hours.

One rule for the kiosk (after a sign-out, on 我的记录), the ledger (its settings, the
console) and the 台账 (志愿者汇总). The thresholds are hours of credited service for one
to five stars, set at the ledger (setting ``star_thresholds``) and sent to every kiosk.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

DEFAULT_THRESHOLDS_HOURS: tuple[int, ...] = (100, 300, 600, 1000, 1500)
MAX_STARS = 5


def parse_thresholds(value: str | Iterable[int] | None) -> tuple[int, ...]:
    """Thresholds from the ledger's setting: ``"100,300,600,1000,1500"`` or a list of
    hours. Anything that is not five rising positive whole numbers of hours is refused with
    a ValueError (the ledger checks it when staff set it; a kiosk falls back to the default)."""
    if value is None or value == "":
        return DEFAULT_THRESHOLDS_HOURS
    if isinstance(value, str):
        parts = [p.strip() for p in value.replace("，", ",").split(",")]
        try:
            hours = tuple(int(p) for p in parts)
        except ValueError as exc:
            raise ValueError("star thresholds are whole numbers of hours") from exc
    else:
        hours = tuple(value)
        if not all(isinstance(h, int) and not isinstance(h, bool) for h in hours):
            raise ValueError("star thresholds are whole numbers of hours")
    if len(hours) != MAX_STARS:
        raise ValueError(f"star thresholds: {MAX_STARS} numbers, one for each star")
    if hours[0] <= 0 or any(b <= a for a, b in zip(hours, hours[1:], strict=False)):
        raise ValueError("star thresholds rise from one star to five, above 0 hours")
    if hours[-1] > 100_000:
        raise ValueError("star thresholds above 100,000 hours are not plausible")
    return hours


def thresholds_or_default(value: str | Iterable[int] | None) -> tuple[int, ...]:
    """For a reader (kiosk, report): a damaged setting never hides a volunteer's record."""
    try:
        return parse_thresholds(value)
    except (ValueError, TypeError):
        return DEFAULT_THRESHOLDS_HOURS


def format_thresholds(hours: Sequence[int]) -> str:
    return ",".join(str(int(h)) for h in hours)


def stars_for(minutes: int, thresholds: Sequence[int] = DEFAULT_THRESHOLDS_HOURS) -> int:
    """0..5 stars for this many credited minutes."""
    minutes = max(0, int(minutes))
    return sum(1 for hours in thresholds if minutes >= hours * 60)


@dataclass(frozen=True)
class StarProgress:
    stars: int
    next_stars: int | None  # None at five stars
    minutes_to_next: int  # 0 at five stars


def progress(minutes: int, thresholds: Sequence[int] = DEFAULT_THRESHOLDS_HOURS) -> StarProgress:
    stars = stars_for(minutes, thresholds)
    if stars >= len(thresholds):
        return StarProgress(stars, None, 0)
    return StarProgress(stars, stars + 1, thresholds[stars] * 60 - max(0, int(minutes)))


def crossed(
    before_minutes: int, after_minutes: int, thresholds: Sequence[int] = DEFAULT_THRESHOLDS_HOURS
) -> int | None:
    """The new star level when going from ``before`` to ``after`` minutes reaches one (a
    moment the kiosk marks with its own sound and colour); None otherwise."""
    before, after = stars_for(before_minutes, thresholds), stars_for(after_minutes, thresholds)
    return after if after > before else None
