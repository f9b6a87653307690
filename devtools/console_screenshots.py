"""``make screenshots`` (console part): every console page in zh-Hans, zh-Hant and English,
against a real ledger with demo data and a kiosk's morning of sign-ins, written as PNGs to
test-output/console-screenshots/<lang>/<page>.png."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from devtools.console_browser import launch, login, start_ledger

PAGES = [
    ("login", "/console/login"),
    ("today", "/console/today"),
    ("kiosks", "/console/kiosks"),
    ("volunteers-search", "/console/volunteers?q=z"),
    ("volunteer", "/console/volunteers/V000101"),
    ("roster-import", "/console/volunteers/import"),
    ("activities", "/console/activities"),
    ("activities-calendar", "/console/activities?view=calendar"),
    ("activity-new", "/console/activities/new"),
    ("catalog", "/console/catalog"),
    ("exceptions", "/console/exceptions"),
    ("corrections", "/console/corrections"),
    ("reports", "/console/reports"),
    ("audit", "/console/audit"),
    ("accounts", "/console/accounts"),
    ("staff-cards", "/console/staff-cards"),
    ("settings", "/console/settings"),
    ("password", "/console/password"),
]


def seed(ledger, root: Path) -> None:
    """A kiosk at each site: sign-ins, sign-outs, and an overdraft from two offline kiosks."""
    from kiosk.config import KioskConfig
    from kiosk.service import Kiosk
    from kiosk.store import Store
    from sync.agent import enroll, sync_once
    from tests.sync.conftest import StepClock

    kiosks = []
    for site, name in (("service-center", "服务中心前台"), ("xiangshan-study", "香山书房")):
        store = Store.in_dir(root / f"kiosk-{site}", create=True)
        clock = StepClock(ledger.proc.now())
        enroll(store, ledger.url, ledger.proc.enroll_code(site), name, clock=clock)
        kiosks.append((store, Kiosk(store, KioskConfig(), clock=clock), clock))
    (sa, ka, ca), (sb, kb, cb) = kiosks
    for vid in ("V000101", "V000102", "V000104", "V000110"):
        ka.scan(ledger.proc.card(vid))
    ca.advance(hours=2)
    ka.scan(ledger.proc.card("V000102"))
    kb.scan(ledger.proc.card("V000107"))
    ka.redeem(ledger.proc.card("V000103"), "film-ticket")
    kb.redeem(ledger.proc.card("V000103"), "film-ticket")
    for store, _, clock in kiosks:
        sync_once(store, clock=clock)
        store.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("test-output/console-screenshots"))
    parser.add_argument("--width", type=int, default=1280)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        ledger = start_ledger(Path(tmp) / "ledger")
        try:
            seed(ledger, Path(tmp))
            with sync_playwright() as p:
                browser = launch(p)
                ctx = browser.new_context(
                    locale="zh-CN", viewport={"width": args.width, "height": 800}
                )
                page = ctx.new_page()
                for lang in ("zh-Hans", "zh-Hant", "en"):
                    out = args.out / lang
                    out.mkdir(parents=True, exist_ok=True)
                    page.context.clear_cookies()
                    page.goto(ledger.console(f"/console/login?lang={lang}"))
                    page.screenshot(path=str(out / "login.png"), full_page=True)
                    login(page, ledger.url, "wang")
                    for name, path in PAGES[1:]:
                        sep = "&" if "?" in path else "?"
                        page.goto(ledger.console(f"{path}{sep}lang={lang}"))
                        page.screenshot(path=str(out / f"{name}.png"), full_page=True)
                    # An activity's page with its sign-up lists: the first of the month's.
                    page.goto(ledger.console("/console/activities"))
                    page.locator("a[href^='/console/activities/A-']").first.click()
                    page.wait_for_load_state()
                    page.screenshot(path=str(out / "activity.png"), full_page=True)
                    page.goto(ledger.console("/console/kiosks"))
                    page.locator("form[action='/console/kiosks/enroll'] button").click()
                    page.wait_for_url("**/console/kiosks/enroll")
                    page.screenshot(path=str(out / "kiosk-enroll.png"), full_page=True)
                    print(out)
                browser.close()
        finally:
            ledger.proc.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
