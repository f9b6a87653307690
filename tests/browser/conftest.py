"""A real ``kiosk-ledger serve`` with the console, and Debian's Chromium through Playwright."""

from __future__ import annotations

import pytest

from devtools.console_browser import launch, start_ledger


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    led = start_ledger(tmp_path_factory.mktemp("console-ledger") / "ledger")
    yield led
    led.proc.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = launch(p)
        yield b
        b.close()


@pytest.fixture
def context(browser):
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


@pytest.fixture
def page(context):
    return context.new_page()
