"""Sync protocol v1: the one schema for the wire, shared by the kiosk agent and the ledger.

Paths and meanings are fixed by DESIGN.md section 5.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

PROTOCOL_VERSION = 1
PROTOCOL_HEADER = "X-VK-Protocol"  # a kiosk's push names its protocol (README: the sync protocol)
MAX_BATCH = 500

EventType = Literal[
    "attendance.sign_in",
    "attendance.sign_out",
    "attendance.auto_close",
    "attendance.correct",
    "redemption.create",
    "redemption.cancel",
    "stock.restock",
    "stock.adjust",
    "points.adjust",
    "catalog.upsert",
    # Staff mode opened (payload {session_id, card_version}) and closed ({session_id,
    # reason: leave|idle|restart|closed}): the audit trail of staff sessions at a kiosk.
    "staff.session_open",
    "staff.session_close",
]
EVENT_TYPES: tuple[str, ...] = EventType.__args__  # type: ignore[attr-defined]


class Event(BaseModel):
    """One immutable kiosk action. ``id`` is a time-ordered UUID; ``seq`` is per kiosk, gap-free."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=64)
    kiosk_id: str = Field(min_length=1, max_length=64)
    seq: int = Field(ge=1)
    type: EventType
    occurred_at: datetime
    clock_offset_ms: int = 0
    actor: str = Field(min_length=1, max_length=64)
    payload: dict[str, Any] = Field(default_factory=dict)


class PushRequest(BaseModel):
    kiosk_id: str
    events: list[Event] = Field(max_length=MAX_BATCH)


ResultStatus = Literal["accepted", "duplicate", "rejected", "conflict"]


class EventResult(BaseModel):
    id: str
    seq: int
    status: ResultStatus | Literal["pending"]  # pending: held back behind a gap in seq
    reason: str | None = None


class PushResponse(BaseModel):
    results: list[EventResult]
    acked_seq: int
    server_time: datetime


class EnrollRequest(BaseModel):
    enrollment_code: str
    kiosk_name: str
    # The site a kiosk re-enrolling with its event log must stay at: a code for another site is
    # refused and stays unused. Optional; a ledger that predates it ignores it.
    site_id: str | None = None


class EnrollResponse(BaseModel):
    kiosk_id: str
    token: str
    site_id: str
    public_key: str


ChangeKind = Literal[
    "site",  # key site_id; data {site_id, name_zh, name_en}
    "volunteer",  # key volunteer_id; data {volunteer_id, kind V|S, display_name, team, status, card_version}
    "staff_pin",  # key staff id; data {staff_id, pin_hash}  (Argon2id keyed by the card: kiosk.core.pins)
    "activity",  # key activity_id; data: see kiosk.store activity columns
    "catalog_item",  # key item_id
    "stock",  # key "site_id/item_id"; data {site_id, item_id, qty, as_of: {kiosk_id: seq}}
    "balance",  # key volunteer_id; data {volunteer_id, balance, minutes_total, as_of: {kiosk_id: seq}}
    "setting",  # key name; data {value}
]


class Change(BaseModel):
    """One row of the change feed. ``as_of`` on balances and stock names, per kiosk, the
    highest seq already included, so a kiosk adds only its own later, unsynced events."""

    kind: ChangeKind
    key: str
    data: dict[str, Any]
    deleted: bool = False


class ChangesResponse(BaseModel):
    changes: list[Change]
    next_cursor: str
    reset: bool = False
    server_time: datetime
    public_key: str | None = None


class Snapshot(BaseModel):
    """A full snapshot in a file: what `kiosk load` reads, and what a ledger export writes."""

    format: Literal["vk-snapshot-1"] = "vk-snapshot-1"
    public_key: str
    changes: list[Change]
