from __future__ import annotations

import random
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from ledger_process import LedgerProcess

from kiosk.config import KioskConfig
from kiosk.service import Kiosk
from kiosk.store import Store
from sync.agent import enroll

DAY = date(2026, 11, 29)
TZ = ZoneInfo("Asia/Shanghai")
VOLUNTEERS = [f"V0001{i:02d}" for i in range(1, 11) if i != 8]  # V000108 is suspended


@dataclass
class StepClock:
    """A kiosk's clock in tests: moves only when the test moves it."""

    now: datetime
    skew: timedelta = field(default_factory=timedelta)

    def __call__(self) -> datetime:
        return self.now + self.skew

    def advance(self, **kw: float) -> None:
        self.now += timedelta(**kw)


@dataclass
class Site:
    store: Store
    kiosk: Kiosk
    clock: StepClock
    site_id: str

    @property
    def kiosk_id(self) -> str:
        return self.store.setting("kiosk_id") or ""


@pytest.fixture
def ledger(tmp_path: Path, backend: str, ledger_url: str):
    """A real ledger process on this test's storage backend (run once per backend)."""
    db = ledger_url if backend != "sqlite" else None
    proc = LedgerProcess(tmp_path / "ledger", day=DAY, db=db).start()
    yield proc
    proc.stop()


@pytest.fixture
def make_site(tmp_path: Path) -> Callable[..., Site]:
    opened: list[Store] = []

    def make(
        ledger: LedgerProcess,
        site_id: str,
        *,
        url: str | None = None,
        name: str = "k",
        skew: timedelta = timedelta(),
        start: datetime | None = None,
    ) -> Site:
        store = Store.in_dir(tmp_path / f"kiosk-{len(opened)}", create=True)
        opened.append(store)
        clock = StepClock(start or datetime(DAY.year, DAY.month, DAY.day, 8, 0, tzinfo=TZ), skew)
        result = enroll(store, url or ledger.url, ledger.enroll_code(site_id), name, clock=clock)
        assert result["ok"], result
        return Site(store, Kiosk(store, KioskConfig(), clock=clock), clock, site_id)

    yield make
    for store in opened:
        store.close()


def act(site: Site, ledger: LedgerProcess, rng: random.Random, n: int) -> None:
    """n random things people do at a kiosk: scans, redemptions, a restock now and then."""
    items = ["towel", "film-ticket", "room-priority", "oil-1l", "notebook"]
    for _ in range(n):
        site.clock.advance(minutes=rng.randint(1, 6))
        roll = rng.random()
        vid = rng.choice(VOLUNTEERS)
        if roll < 0.7:
            site.kiosk.scan(ledger.card(vid))
        elif roll < 0.92:
            site.kiosk.redeem(ledger.card(vid), rng.choice(items))
        else:
            site.kiosk.restock("S0001", rng.choice(items[:3] + ["notebook"]), rng.randint(1, 5))


def bulk(site: Site, n: int) -> None:
    """n real events quickly: staff restocks written in one local transaction."""
    now = site.clock()
    with site.store.transaction() as conn:
        for i in range(n):
            site.store.append(
                conn,
                "stock.restock",
                "S0001",
                {"site_id": site.site_id, "item_id": "towel", "qty": 1 + i % 3, "reason": "bulk"},
                occurred_at=now,
                now=now,
            )
