"""A real ledger with the console, and Debian's Chromium driven by Playwright, for the
console's browser tests and ``make screenshots`` (nothing is downloaded: the browser is
/usr/bin/chromium, axe-core comes from devtools/web/node_modules, installed by ``make deps``)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "sync"))

from ledger_process import LedgerProcess  # noqa: E402

from sync.ledger.db.console import ConsoleDB  # noqa: E402
from sync.ledger.staff import accounts  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
AXE = ROOT / "devtools" / "web" / "node_modules" / "axe-core" / "axe.min.js"
STAFF = {
    # name: (role, sites, password)
    "wang": ("admin", [], "wang-secret-1"),
    "li": ("site_staff", ["xiangshan-study"], "li-secret-22"),
    "zhao": ("read_only", [], "zhao-secret-3"),
}


@dataclass
class ConsoleLedger:
    proc: LedgerProcess

    @property
    def url(self) -> str:
        return self.proc.url

    def console(self, path: str = "/console/") -> str:
        return self.proc.url + path


def start_ledger(root: Path, day=None) -> ConsoleLedger:
    """A ``kiosk-ledger serve`` process with the demo data and the three STAFF accounts."""
    proc = LedgerProcess(root, day=day)
    store = proc.store()
    try:
        db = ConsoleDB(store)
        for name, (role, sites, password) in STAFF.items():
            accounts.create_account(db, name, role, password, proc.now(), actor="test", sites=sites)
    finally:
        store.close()
    proc.start()
    return ConsoleLedger(proc)


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


def login(page, base: str, name: str, password: str | None = None) -> None:
    page.goto(base + "/console/login")
    page.locator("#name").fill(name)
    page.locator("#password").fill(password or STAFF[name][2])
    page.locator("form[action='/console/login'] button[type=submit]").click()
    page.wait_for_url(lambda url: "/console/login" not in url)


def axe_violations(page) -> list[dict]:
    """axe-core's serious and critical findings on the page as it is now."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
