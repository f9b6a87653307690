"""Shared fixtures: a community key pair, demo data, and kiosk stores loaded with it."""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import settings

from kiosk.config import KioskConfig
from kiosk.core.codes import generate_keypair
from kiosk.service import Kiosk
from kiosk.store import Store, apply_changes
from sync.ledger.ops import demo
from tests import pg
from tests.pg import backend, ledger_url, pg_databases, pg_url  # noqa: F401 (fixtures)

TZ = ZoneInfo("Asia/Shanghai")
DEMO_DAY = date(2026, 11, 30)

# CI (HYPOTHESIS_PROFILE=ci) draws the same examples every run, so a failure it reports
# reproduces on any machine; elsewhere Hypothesis explores, and prints the blob that
# replays a failure (@reproduce_failure).
settings.register_profile("ci", derandomize=True, print_blob=True, database=None)
settings.register_profile("dev", print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


def pytest_configure(config):
    pg.configure(config)  # the run's PostgreSQL server starts while pytest collects


def pytest_unconfigure(config):
    pg.unconfigure()


class FakeClock:
    """The edge of the world: time moves only when a test says so."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> datetime:
        from datetime import timedelta

        self.now = self.now + timedelta(**delta)
        return self.now

    def set(self, hh: int, mm: int = 0, day: date | None = None) -> datetime:
        d = day or self.now.date()
        self.now = datetime(d.year, d.month, d.day, hh, mm, tzinfo=TZ)
        return self.now


@pytest.fixture(scope="session")
def demo_data():
    return demo.build(DEMO_DAY, generate_keypair())


@pytest.fixture(scope="session")
def roster(demo_data):
    return {p["volunteer_id"]: p for p in demo_data.roster}


def make_store(
    path: Path, demo_data, site: str = "service-center", kiosk_id: str = "K-TEST-01"
) -> Store:
    store = Store.in_dir(path, create=True)
    store.set_settings(kiosk_id=kiosk_id, site_id=site)
    apply_changes(
        store,
        json.loads(json.dumps(demo_data.snapshot["changes"])),
        public_key=demo_data.snapshot["public_key"],
        reset=True,
    )
    return store


@pytest.fixture
def clock():
    return FakeClock(datetime(2026, 11, 30, 9, 0, tzinfo=TZ))


@pytest.fixture
def store(tmp_path, demo_data):
    s = make_store(tmp_path / "kiosk", demo_data)
    yield s
    s.close()


@pytest.fixture
def kiosk(store, clock):
    return Kiosk(store, KioskConfig(), clock=clock)


@pytest.fixture
def demo_dir(tmp_path_factory, demo_data):
    """Demo files on disk (snapshot.json, roster.json), with the session's key pair."""
    out = tmp_path_factory.mktemp("demo")
    demo.write(out, DEMO_DAY, demo_data.keys, cards=False)
    return out


@pytest.fixture
def store_factory(demo_data):
    """make(path, site=..., kiosk_id=...) -> a store loaded with the demo data."""

    def make(path: Path, site: str = "service-center", kiosk_id: str = "K-TEST-01") -> Store:
        return make_store(path, demo_data, site, kiosk_id)

    return make
