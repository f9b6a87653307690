"""The points rule of an activity. Integers only: points are money-like."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass(frozen=True)
class PointsRule:
    points_per_hour: int = 10
    round_minutes: int = 30  # credited time is floored to a multiple of this
    min_minutes: int = 15  # shorter sessions earn nothing
    daily_cap_minutes: int = 480  # per volunteer per day, however the day is split

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            name = f.name
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"points rule {name} must be a non-negative integer")
        if self.round_minutes < 1:
            raise ValueError("points rule round_minutes must be at least 1")

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> PointsRule:
        data = data or {}
        return cls(**{k: int(v) for k, v in data.items() if k in cls.__dataclass_fields__})

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def credited_minutes(minutes: int, rule: PointsRule, credited_today: int = 0) -> int:
    """Minutes of a session that count, given what the volunteer already has today."""
    minutes = max(0, int(minutes))
    if minutes < rule.min_minutes:
        return 0
    room = max(0, rule.daily_cap_minutes - max(0, credited_today))
    return min(minutes, room)


def points_for(credited: int, rule: PointsRule) -> int:
    """Points for credited minutes: floor to round_minutes, then pro rata per hour."""
    credited = max(0, int(credited))
    rounded = (credited // rule.round_minutes) * rule.round_minutes
    return rounded * rule.points_per_hour // 60


def session_points(minutes: int, rule: PointsRule, credited_today: int = 0) -> tuple[int, int]:
    """(credited minutes, points) for one session."""
    credited = credited_minutes(minutes, rule, credited_today)
    return credited, points_for(credited, rule)
