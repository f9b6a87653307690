"""Redemption rules: balance, stock per site, monthly limit, offline allowance.

Balance shown = last synced balance + local unsynced changes. Online redemptions
never overdraw. Offline (no ledger contact for longer than a set time) a kiosk
still redeems, within that balance and within a per-volunteer daily offline
allowance, like a card terminal's floor limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

KINDS = ("goods", "privilege", "ticket")


@dataclass(frozen=True)
class CatalogItem:
    item_id: str
    cost: int
    kind: str = "goods"
    names: dict[str, str] = field(default_factory=dict)  # zh-Hans, zh-Hant, en
    monthly_limit: int = 0  # per volunteer per month; 0: no limit
    image: str = ""
    active: bool = True
    site_id: str = ""  # the site it belongs to; "" for the community's shared rewards

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"catalog item kind must be one of {KINDS}")
        if not isinstance(self.cost, int) or self.cost < 0:
            raise ValueError("catalog item cost must be a non-negative integer")

    @property
    def stocked(self) -> bool:
        """Goods have stock per site; privileges and tickets are limited by their own rules."""
        return self.kind == "goods"

    def name(self, lang: str) -> str:
        return (
            self.names.get(lang)
            or self.names.get("zh-Hans")
            or self.names.get("en")
            or self.item_id
        )


class RedeemRefusal(StrEnum):
    UNAVAILABLE = "item_unavailable"
    INSUFFICIENT = "insufficient_balance"
    OUT_OF_STOCK = "out_of_stock"
    MONTHLY_LIMIT = "monthly_limit"
    OFFLINE_ALLOWANCE = "offline_allowance"


@dataclass(frozen=True)
class RedeemContext:
    balance: int  # synced + local unsynced
    stock: int | None  # at this site; None when the item is not stocked
    redeemed_this_month: int  # count of this item by this volunteer this month
    online: bool
    offline_spent_today: int = 0  # points this volunteer redeemed offline today at this kiosk
    offline_allowance: int = 100  # points per volunteer per day while offline


@dataclass(frozen=True)
class RedeemOK:
    cost: int
    new_balance: int
    offline: bool


def check_redemption(item: CatalogItem, ctx: RedeemContext) -> RedeemOK | RedeemRefusal:
    if not item.active:
        return RedeemRefusal.UNAVAILABLE
    if item.stocked and (ctx.stock is None or ctx.stock < 1):
        return RedeemRefusal.OUT_OF_STOCK
    if item.monthly_limit and ctx.redeemed_this_month >= item.monthly_limit:
        return RedeemRefusal.MONTHLY_LIMIT
    if ctx.balance < item.cost:
        return RedeemRefusal.INSUFFICIENT
    if not ctx.online and ctx.offline_spent_today + item.cost > ctx.offline_allowance:
        return RedeemRefusal.OFFLINE_ALLOWANCE
    return RedeemOK(item.cost, ctx.balance - item.cost, not ctx.online)


def affordable(items: list[CatalogItem], balance: int) -> list[CatalogItem]:
    return [i for i in items if i.active and i.cost <= balance]


def balance_of(entries: list[int]) -> int:
    """A balance is the sum of its ledger entries: earned minus redeemed plus adjustments."""
    return sum(entries)
