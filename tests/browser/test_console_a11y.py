"""axe-core (from the npm registry, served from this machine) on every console page, in
each language: no serious or critical accessibility violation."""

from __future__ import annotations

import pytest

from devtools.console_browser import axe_violations, login

PAGES = [
    "/console/login",
    "/console/today",
    "/console/kiosks",
    "/console/volunteers",
    "/console/volunteers?q=zxm",
    "/console/volunteers/V000101",
    "/console/volunteers/import",
    "/console/activities",
    "/console/activities?view=calendar",
    "/console/activities/new",
    "/console/catalog",
    "/console/exceptions",
    "/console/corrections",
    "/console/reports",
    "/console/audit",
    "/console/accounts",
    "/console/staff-cards",
    "/console/settings",
    "/console/password",
]


@pytest.mark.parametrize("lang", ["zh-Hans", "zh-Hant", "en"])
def test_no_serious_or_critical_violations(browser, ledger, lang):
    # axe is injected as a script of the test's own: the console's CSP would refuse it.
    ctx = browser.new_context(locale="zh-CN", bypass_csp=True)
    page = ctx.new_page()
    found = {}
    page.goto(ledger.console(f"/console/login?lang={lang}"))
    if violations := axe_violations(page):
        found["/console/login"] = violations
    login(page, ledger.url, "wang")
    for path in PAGES[1:]:
        sep = "&" if "?" in path else "?"
        page.goto(ledger.console(f"{path}{sep}lang={lang}"))
        if violations := axe_violations(page):
            found[path] = violations
    # The enrollment QR page answers a form.
    page.goto(ledger.console(f"/console/kiosks?lang={lang}"))
    page.locator("form[action='/console/kiosks/enroll'] button").click()
    page.wait_for_url("**/console/kiosks/enroll")
    if violations := axe_violations(page):
        found["/console/kiosks/enroll"] = violations
    ctx.close()
    assert not found, found
