"""Sync protocol v1: the one schema for the wire, shared by the kiosk agent and the ledger.

Paths and meanings are fixed by DESIGN.md section 5.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StrictStr,
    ValidationError,
    model_validator,
)
from pydantic_core import SchemaValidator

from kiosk.core.codes import ENROLL_QR_PREFIX  # one spelling: the kiosk refuses it as a card

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
    # A volunteer signs up for a coming activity ({activity_id, site_id, waitlisted: what the
    # kiosk told them}) or withdraws ({activity_id, site_id}); the ledger keeps the places.
    "signup.add",
    "signup.withdraw",
]
EVENT_TYPES: tuple[str, ...] = EventType.__args__  # type: ignore[attr-defined]


MAX_SEQ = 2**63 - 1  # the ledgers' INTEGER / BIGINT
# Points, costs, minutes, quantities: far beyond any real event, far below 64 bits.
MAX_AMOUNT = 10**9
# A kiosk whose clock restarted at 1970 is ~1.8e12 ms off: still accepted (and flagged).
MAX_CLOCK_OFFSET_MS = 2**53


# The last time text parsed and what it parsed to, as one tuple (replaced whole, so a thread
# never sees one text with another's time): an event's occurred_at is parsed when it is
# checked, and the ledger asks for it again right after, when it applies the event.
_last_parsed: tuple[str | None, datetime | None] = (None, None)


def parsed_time(v: str) -> datetime:
    """``datetime.fromisoformat(v)``; the very str parsed last is not parsed again (parsing
    is a pure function of it; compared by identity, so the check costs nothing)."""
    global _last_parsed
    held = _last_parsed
    if held[0] is v:
        return held[1]  # type: ignore[return-value]
    dt = datetime.fromisoformat(v)
    _last_parsed = (v, dt)
    return dt


_NOT_A_TIME = "not an ISO 8601 time"
_NO_OFFSET = "an ISO 8601 time must carry a time zone offset"


def _aware_time(v: str) -> str:
    """An ISO 8601 time with its offset (the kiosk's local time as it was shown)."""
    try:
        when = parsed_time(v)
    except ValueError:
        raise ValueError(_NOT_A_TIME) from None
    if when.tzinfo is None:
        raise ValueError(_NO_OFFSET)
    return v


# The field types every event is made of. Strict: an integer is an int (not True, not 5.0,
# not "5"), a text is a str; ids are what the ledger's tables can key.
Id = Annotated[StrictStr, Field(min_length=1, max_length=64)]
Amount = Annotated[StrictInt, Field(ge=0, le=MAX_AMOUNT)]
Delta = Annotated[StrictInt, Field(ge=-MAX_AMOUNT, le=MAX_AMOUNT)]
Time = Annotated[StrictStr, Field(max_length=64), AfterValidator(_aware_time)]
Note = Annotated[StrictStr, Field(max_length=2000)]  # a reason staff typed


class Payload(BaseModel):
    """Fields a later kiosk adds are not refused: the schema passes over them (the ledger
    stores the event as sent, so they are kept)."""

    model_config = ConfigDict(extra="ignore")


class SignInPayload(Payload):
    session_id: Id  # the sign-in event's own id: the shift's points are keyed by it
    activity_id: Id
    site_id: Id
    assisted_by: Id | None = None  # staff who scanned for the volunteer
    entered_at: Time | None = None  # typed in later from a paper sheet


class SessionFigures(Payload):
    """A session closed or corrected: its minutes, those credited, its points (the
    activity's points rule, which the ledger applies again)."""

    session_id: Id
    activity_id: Id | None = None
    volunteer_id: Id | None = None  # a staff correction names the volunteer
    minutes: Amount
    credited_minutes: Amount
    points: Amount


class SignOutPayload(SessionFigures):
    pass


class AutoClosePayload(SessionFigures):
    closed_at: Time | None = None  # credited up to here: the scheduled end, never past now
    reason: Note | None = None  # earlier_day | activity_finished


class CorrectPayload(SessionFigures):
    signed_out_at: Time | None = None  # the sign-out time staff set
    closed_at: Time | None = None  # set when the correction closes an open session
    reason: Note | None = None


class RedeemPayload(Payload):
    redemption_id: Id
    item_id: Id
    site_id: Id
    cost: Amount
    pickup_no: StrictStr | None = None
    offline: StrictBool = False
    stocked: StrictBool = True


class CancelPayload(Payload):
    redemption_id: Id
    reason: Note | None = None
    stocked: StrictBool = True
    restock: StrictBool = True  # the goods went back on the shelf


class RestockPayload(Payload):
    site_id: Id
    item_id: Id
    qty: Annotated[StrictInt, Field(gt=0, le=MAX_AMOUNT)]
    reason: Note | None = None


class StockAdjustPayload(Payload):
    site_id: Id
    item_id: Id
    delta: Delta
    reason: Note | None = None


class PointsAdjustPayload(Payload):
    volunteer_id: Id
    delta: Delta
    reason: Note | None = None


class CatalogPayload(Payload):
    item_id: Id
    cost: Amount
    kind: Literal["goods", "privilege", "ticket"] = "goods"
    names: dict[str, StrictStr] | None = None  # zh-Hans, zh-Hant, en
    monthly_limit: Amount | None = None
    image: StrictStr | None = None
    active: StrictBool | None = None
    reason: Note | None = None


class StaffOpenPayload(Payload):
    session_id: Id
    card_version: Amount


class StaffClosePayload(Payload):
    session_id: Id
    reason: Literal["leave", "idle", "restart", "closed"]


class SignupPayload(Payload):
    activity_id: Id
    site_id: Id  # the activity's site (a kiosk lists both sites' activities)
    waitlisted: StrictBool = False  # what the kiosk told the volunteer (signup.add)


class EventBase(BaseModel):
    """One immutable kiosk action. ``id`` is a time-ordered UUID; ``seq`` is per kiosk, gap-free."""

    model_config = ConfigDict(extra="forbid")

    id: Id
    kiosk_id: Id
    seq: Annotated[StrictInt, Field(ge=1, le=MAX_SEQ)]
    occurred_at: Time  # the kiosk's clock; the ledger stamps its own receive time too
    clock_offset_ms: Annotated[
        StrictInt, Field(ge=-MAX_CLOCK_OFFSET_MS, le=MAX_CLOCK_OFFSET_MS)
    ] = 0
    actor: Id  # the volunteer, or the staff member who acted


class SignIn(EventBase):
    type: Literal["attendance.sign_in"]
    payload: SignInPayload

    @model_validator(mode="after")
    def _session_is_the_event(self) -> SignIn:
        # Also run on the event as a dict (``VALIDATORS``).
        held: Any = self
        if isinstance(held, dict):
            session, eid = held["payload"]["session_id"], held["id"]
        else:
            session, eid = self.payload.session_id, self.id
        if session != eid:
            raise ValueError("payload.session_id must be the sign-in event id")
        return self


class SignOut(EventBase):
    type: Literal["attendance.sign_out"]
    payload: SignOutPayload


class AutoClose(EventBase):
    type: Literal["attendance.auto_close"]
    payload: AutoClosePayload


class Correct(EventBase):
    type: Literal["attendance.correct"]
    payload: CorrectPayload


class Redeem(EventBase):
    type: Literal["redemption.create"]
    payload: RedeemPayload


class Cancel(EventBase):
    type: Literal["redemption.cancel"]
    payload: CancelPayload


class Restock(EventBase):
    type: Literal["stock.restock"]
    payload: RestockPayload


class StockAdjust(EventBase):
    type: Literal["stock.adjust"]
    payload: StockAdjustPayload


class PointsAdjust(EventBase):
    type: Literal["points.adjust"]
    payload: PointsAdjustPayload


class CatalogUpsert(EventBase):
    type: Literal["catalog.upsert"]
    payload: CatalogPayload


class StaffSessionOpen(EventBase):
    type: Literal["staff.session_open"]
    payload: StaffOpenPayload


class StaffSessionClose(EventBase):
    type: Literal["staff.session_close"]
    payload: StaffClosePayload


class SignupAdd(EventBase):
    type: Literal["signup.add"]
    payload: SignupPayload


class SignupWithdraw(EventBase):
    type: Literal["signup.withdraw"]
    payload: SignupPayload


EVENT_MODELS: dict[str, type[EventBase]] = {
    m.model_fields["type"].annotation.__args__[0]: m  # type: ignore[union-attr]
    for m in (
        SignIn,
        SignOut,
        AutoClose,
        Correct,
        Redeem,
        Cancel,
        Restock,
        StockAdjust,
        PointsAdjust,
        CatalogUpsert,
        StaffSessionOpen,
        StaffSessionClose,
        SignupAdd,
        SignupWithdraw,
    )
}
assert tuple(EVENT_MODELS) == EVENT_TYPES, "one model per event type, in EventType's order"
Event = Annotated[
    SignIn
    | SignOut
    | AutoClose
    | Correct
    | Redeem
    | Cancel
    | Restock
    | StockAdjust
    | PointsAdjust
    | CatalogUpsert
    | StaffSessionOpen
    | StaffSessionClose
    | SignupAdd
    | SignupWithdraw,
    Field(discriminator="type"),
]


def _as_dicts(schema: Any) -> Any:
    """A model's core schema with each model (and nested model) as a typed dict: the same
    fields, types, limits and validators, but what passes stays a dict, so checking an
    event builds no objects (half the time, for the ledger's 500-event batches)."""
    if isinstance(schema, list):
        return [_as_dicts(x) for x in schema]
    if not isinstance(schema, dict):
        return schema
    if schema.get("type") == "model":
        fields = schema["schema"]
        out: dict[str, Any] = {
            "type": "typed-dict",
            "fields": {
                name: {
                    "type": "typed-dict-field",
                    "schema": (inner := _as_dicts(f["schema"])),
                    "required": inner.get("type") != "default",
                }
                for name, f in fields["fields"].items()
            },
        }
        extra = schema.get("config", {}).get("extra_fields_behavior")
        if extra:
            out["extra_behavior"] = extra
        return out
    return {k: _as_dicts(v) for k, v in schema.items()}


# Each event type's model, as the validator the ledger and the agent run.
VALIDATORS = {
    t: SchemaValidator(_as_dicts(m.__pydantic_core_schema__)) for t, m in EVENT_MODELS.items()
}


def _without_python_checks(schema: dict[str, Any]) -> dict[str, Any]:
    """An event's dict schema without its two checks written in Python (the sign-in's session
    id, occurred_at's offset): ``event_fault`` runs those itself, which costs a third of what
    calling back into Python from the validator does, on every event."""
    if schema["type"] == "function-after":  # SignIn._session_is_the_event
        schema = schema["schema"]
    assert schema["type"] == "typed-dict", schema["type"]
    occurred = schema["fields"]["occurred_at"]["schema"]
    assert occurred["type"] == "function-after" and occurred["function"]["function"] is _aware_time
    fields = {**schema["fields"], "occurred_at": {**schema["fields"]["occurred_at"]}}
    fields["occurred_at"]["schema"] = occurred["schema"]
    # The type is the one the validator was picked by (``event_fault``'s caller read it from
    # the event), so checking it against its literal again is a tenth of the work, wasted.
    assert fields["type"]["schema"]["type"] == "literal"
    fields["type"] = {**fields["type"], "schema": {"type": "any"}}
    # Unknown fields are let through here and counted by ``known_fields`` instead: refusing
    # them makes the validator look at every key of the event, a quarter of its time.
    assert schema.get("extra_behavior") == "forbid" and set(fields) == _EVENT_FIELDS
    out: dict[str, Any] = _no_defaults({**schema, "fields": fields, "extra_behavior": "ignore"})
    return out


_EVENT_FIELDS = frozenset(EventBase.model_fields) | {"type", "payload"}
assert {n for n, f in EventBase.model_fields.items() if not f.is_required()} == {
    "clock_offset_ms"
}, "known_fields counts on one optional field"


def known_fields(ev: dict[str, Any]) -> bool:
    """Whether an event that passed ``FAST_SHAPES`` holds no field beyond the wire's eight: it
    holds the seven required ones then, so seven fields are those, and an eighth must be
    the one that may be left out."""
    n = len(ev)
    return n == 7 or (n == 8 and "clock_offset_ms" in ev)


def _no_defaults(schema: Any) -> Any:
    """The schema without its fields' defaults: what passes is thrown away, so filling in
    what an event left out is wasted work (the checks are the same)."""
    if isinstance(schema, list):
        return [_no_defaults(x) for x in schema]
    if not isinstance(schema, dict):
        return schema
    if schema.get("type") == "default" and not schema.get("validate_default"):
        return _no_defaults(schema["schema"])
    return {k: _no_defaults(v) for k, v in schema.items()}


# Each event type's shape check: it passes exactly where ``event_fault`` returns None but for
# occurred_at's offset and a sign-in's session id, which its caller checks in Python. The
# bound methods: one attribute lookup fewer on every event.
FAST_SHAPES = _FAST = {
    t: SchemaValidator(
        _without_python_checks(_as_dicts(m.__pydantic_core_schema__))
    ).validate_python
    for t, m in EVENT_MODELS.items()
}


def fault_text(exc: ValidationError) -> str:
    """The first thing wrong, as ``payload.minutes: Input should be ...`` (at most 300)."""
    first = exc.errors(include_url=False, include_context=False, include_input=False)[0]
    where = ".".join(str(p)[:30] for p in first["loc"])
    msg = first["msg"].removeprefix("Value error, ")
    if first["type"] == "missing":
        return f"{where} is missing"
    return (f"{where}: {msg}" if where and not msg.startswith(where) else msg)[:300]


def _time_ok(v: Any) -> bool:
    """What ``Time`` lets through (the validator's own check, without calling it from Rust)."""
    if type(v) is not str or len(v) > 64:
        return False
    try:
        return parsed_time(v).tzinfo is not None
    except ValueError:
        return False


def event_fault(ev: dict[str, Any], etype: str) -> str | None:
    """None if ``ev`` fits the model of its type ``etype`` (one of ``EVENT_TYPES``, and
    ``ev["type"]``: the caller read it there), else the first thing wrong, as ``VALIDATORS``
    words it. Never raises."""
    try:
        _FAST[etype](ev)
    except ValidationError as exc:
        return shape_fault(ev, etype, exc)
    return checks_fault(ev, etype)


def shape_fault(ev: dict[str, Any], etype: str, exc: ValidationError) -> str | None:
    """``event_fault`` for an event ``FAST_SHAPES`` refused with ``exc``."""
    if _time_ok(ev.get("occurred_at")):  # then the whole schema finds the same, first
        return fault_text(exc)
    return _full_fault(ev, etype)


def checks_fault(ev: dict[str, Any], etype: str) -> str | None:
    """``event_fault`` for an event ``FAST_SHAPES`` let through: the checks it leaves out."""
    # occurred_at is a str of at most 64 characters now: the shape said so. _aware_time's
    # check, written out: it runs on every event the ledger takes.
    try:
        aware = parsed_time(ev["occurred_at"]).tzinfo is not None
    except ValueError:
        return f"occurred_at: {_NOT_A_TIME}"
    if not aware:
        return f"occurred_at: {_NO_OFFSET}"
    if known_fields(ev) and (
        etype != "attendance.sign_in" or ev["payload"]["session_id"] == ev["id"]
    ):
        return None
    return _full_fault(ev, etype)


def _full_fault(ev: dict[str, Any], etype: str) -> str | None:
    """The whole schema says what is wrong, in its own words."""
    try:
        VALIDATORS[etype].validate_python(ev)
    except ValidationError as exc:
        return fault_text(exc)
    return None


def schema_fault(ev: dict[str, Any]) -> str | None:
    """None if ``ev`` (parsed JSON) fits its type's model, else the first thing wrong. The
    agent checks what it sends with it, the ledger what it receives. Never raises."""
    etype = ev.get("type")
    if type(etype) is not str or etype not in VALIDATORS:
        return f"unknown event type {etype!r}"[:100]
    return event_fault(ev, etype)


class KioskStatus(BaseModel):
    """What a kiosk says of itself with each push, for the console's 自助机 page. Optional:
    a ledger that predates it ignores it, and a kiosk that predates it sends none."""

    pending: int = Field(ge=0)  # events it holds that the ledger has not acknowledged
    oldest_pending_s: int | None = Field(default=None, ge=0)  # age of the oldest of those
    clock_offset_ms: int | None = None  # ledger time minus kiosk time, as last measured
    software: str = Field(default="", max_length=64)


def enrollment_qr_text(ledger_url: str, code: str) -> str:
    """What the console's enrollment QR code holds: the ledger's address and a one-time
    enrollment code. ``VKENROLL1|<url>|<code>`` is never taken for a card (``VK1.``)."""
    return f"{ENROLL_QR_PREFIX}|{ledger_url}|{code}"


def parse_enrollment_qr(text: str) -> tuple[str, str] | None:
    """(ledger URL, enrollment code) from an enrollment QR code's text, or None when the
    text is not one (a card, a payment code, a URL, a malformed enrollment code)."""
    parts = text.strip().split("|")
    if len(parts) != 3 or parts[0] != ENROLL_QR_PREFIX:
        return None
    url, code = parts[1].strip(), parts[2].strip()
    if not url.startswith(("http://", "https://")) or not code or len(url) > 2000:
        return None
    if len(code) > 64 or not code.isprintable() or not url.isprintable():
        return None
    return url.rstrip("/"), code


class PushRequest(BaseModel):
    kiosk_id: str
    events: list[Event] = Field(max_length=MAX_BATCH)
    status: KioskStatus | None = None


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
