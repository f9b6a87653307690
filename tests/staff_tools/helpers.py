"""A real ledger (SQLite file, demo data, signing key on disk) served in-process, the
``kiosk-ledger`` command run against it, and kiosks that sync with it through the real
sync agent over a ``requests`` adapter (no sockets)."""

from __future__ import annotations

import contextlib
import io
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pypdfium2 as pdfium
import pytest
import requests
from openpyxl import Workbook
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

with (
    warnings.catch_warnings()
):  # starlette's notice about httpx; TestClient still works as documented
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from kiosk.config import KioskConfig
from kiosk.scanner import DecodePipeline
from kiosk.service import Kiosk
from kiosk.store import Store
from sync.agent import enroll, sync_once
from sync.ledger.app import create_app
from sync.ledger.db import LedgerDB, open_db
from sync.ledger.ops.cli import main as ledger_main
from sync.ledger.staff import card_sheet
from tests.demo_ledger import make_demo_ledger

TZ = ZoneInfo("Asia/Shanghai")
DAY = "2026-11-29"
URL = "http://ledger.test"


def month_after(month: str) -> str:
    year, m = map(int, month.split("-"))
    return f"{year + m // 12}-{m % 12 + 1:02d}"


class Clock:
    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class _Adapter(BaseAdapter):
    """requests -> the ledger's ASGI app through TestClient: the agent's real HTTP code path."""

    def __init__(self, client: TestClient):
        super().__init__()
        self.client = client

    def send(self, request, **kw):
        path = request.path_url
        r = self.client.request(
            request.method, path, content=request.body, headers=dict(request.headers)
        )
        resp = requests.Response()
        resp.status_code = r.status_code
        resp.headers = CaseInsensitiveDict(r.headers)
        resp._content = r.content
        resp.url = request.url
        resp.request = request
        return resp

    def close(self) -> None:
        pass


@dataclass
class Ledger:
    db: Path
    store: LedgerDB
    client: TestClient
    clock: Clock
    admin: str
    tmp: Path

    def month(self) -> str:
        """This ledger's current month, YYYY-MM, on the clock the test gave it."""
        return self.clock.now.astimezone(TZ).strftime("%Y-%m")

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin}"}

    def run(self, *args: str | Path) -> tuple[int, str, str]:
        """The ``kiosk-ledger`` command, as a worker types it."""
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = ledger_main([str(a) for a in args] + ["--db", str(self.db)], clock=self.clock)
        return code, out.getvalue(), err.getvalue()

    def session(self) -> requests.Session:
        s = requests.Session()
        s.mount(URL, _Adapter(self.client))
        return s

    def kiosk(
        self, name: str, site: str = "service-center", at: datetime | None = None
    ) -> tuple[Kiosk, Clock]:
        """A kiosk enrolled with this ledger through the sync agent, its own clock at ``at``."""
        store = Store.in_dir(self.tmp / f"kiosk-{name}", create=True)
        clock = Clock(at or datetime(2026, 11, 29, 9, 0, tzinfo=TZ))
        code = self.store.create_enrollment_code(site, self.clock.now)
        result = enroll(store, URL, code, name, session=self.session(), clock=clock)
        assert result["ok"], result
        return Kiosk(store, KioskConfig(), clock=clock), clock

    def sync(self, kiosk: Kiosk) -> dict[str, Any]:
        result = sync_once(kiosk.store, session=self.session(), clock=kiosk.now)
        assert result["ok"], result
        return result


@pytest.fixture
def ledger(tmp_path, backend, ledger_url):
    """The demo ledger on this test's storage backend (each test runs once per backend)."""
    db = tmp_path / "ledger.db" if backend == "sqlite" else ledger_url
    clock = Clock(datetime(2026, 11, 29, 1, 0, tzinfo=UTC))
    admin = make_demo_ledger(db, tmp_path / "demo", DAY, clock)
    store = open_db(db)
    client = TestClient(create_app(store, clock=clock))
    opened: list[Kiosk] = []
    led = Ledger(db, store, client, clock, admin, tmp_path)
    original = led.kiosk

    def kiosk(*a, **kw):
        k = original(*a, **kw)
        opened.append(k[0])
        return k

    led.kiosk = kiosk  # type: ignore[method-assign]
    yield led
    for k in opened:
        k.store.close()
    store.close()


def xlsx(path: Path, rows: list[list[Any]]) -> Path:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def decode_pdf(pdf: Path, public_key: str | None = None, dpi: int = 150) -> list[str]:
    """Render every page as a scan at ``dpi`` and decode each card slot with the kiosk's own
    pipeline; every filled slot must decode."""
    doc = pdfium.PdfDocument(str(pdf))
    pipeline = DecodePipeline(public_key=public_key)
    found = []
    try:
        for page_no in range(len(doc)):
            page = np.asarray(doc[page_no].render(scale=dpi / 72).to_pil().convert("RGB"))[
                :, :, ::-1
            ].copy()
            for x, y in card_sheet.layout():
                fx, fy = x / card_sheet.DPI * dpi, y / card_sheet.DPI * dpi
                w, h = (
                    card_sheet.CARD[0] / card_sheet.DPI * dpi,
                    card_sheet.CARD[1] / card_sheet.DPI * dpi,
                )
                crop = page[int(fy) : int(fy + h), int(fx) : int(fx + w)]
                if crop.mean() > 250:  # an empty slot on the last page
                    continue
                result = pipeline.decode(np.ascontiguousarray(crop))
                assert result.ok, f"card at {x},{y} on page {page_no + 1} did not decode"
                found.append(result.codes[0].text)
    finally:
        doc.close()
    return found
