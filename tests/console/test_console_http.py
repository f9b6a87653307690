"""The console over HTTP (in-process): sign-in, CSRF, roles, languages, headers."""

from __future__ import annotations

from fastapi.routing import APIRoute

from sync.ledger.app import create_app

from .conftest import PASSWORDS, csrf_of

PUBLIC = {"/console/", "/console/login", "/console/logout", "/console/password"}


def test_pages_need_a_session(console):
    c = console.client()
    r = c.get("/console/accounts", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/console/login?next=%2Fconsole%2Faccounts"
    r = c.get("/console/accounts", headers={"HX-Request": "true"})
    assert r.status_code == 401 and r.headers["HX-Redirect"].startswith("/console/login")


def test_session_cookie_is_secure_httponly_strict(console):
    c = console.client()
    page = c.get("/console/login")
    r = c.post(
        "/console/login",
        data={"name": "wang", "password": PASSWORDS["wang"], "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    cookie = r.headers["set-cookie"].lower()
    assert "vk_console=" in cookie
    assert "httponly" in cookie and "secure" in cookie and "samesite=strict" in cookie


def test_login_form_without_its_csrf_token_is_refused(console):
    c = console.client()
    c.get("/console/login")
    r = c.post("/console/login", data={"name": "wang", "password": PASSWORDS["wang"]})
    assert r.status_code == 403
    assert "vk_console" not in c.cookies


def test_after_login_goes_back_to_the_page_asked_for_but_never_off_site(console):
    c = console.client()
    page = c.get("/console/login?next=/console/audit")
    r = c.post(
        "/console/login",
        data={
            "name": "wang",
            "password": PASSWORDS["wang"],
            "csrf_token": csrf_of(page.text),
            "next": "/console/audit",
        },
        follow_redirects=False,
    )
    assert r.headers["location"] == "/console/audit"
    c = console.client()
    page = c.get("/console/login")
    r = c.post(
        "/console/login",
        data={
            "name": "wang",
            "password": PASSWORDS["wang"],
            "csrf_token": csrf_of(page.text),
            "next": "//evil.example/console/",
        },
        follow_redirects=False,
    )
    assert r.headers["location"].startswith("/console/") and "evil" not in r.headers["location"]


def test_a_form_without_the_session_csrf_token_changes_nothing(console):
    c = console.login("wang")
    r = c.post("/console/accounts", data={"name": "sun", "role": "read_only"})
    assert r.status_code == 403 and "安全校验码" in r.text
    r = c.post(
        "/console/accounts",
        data={"name": "sun", "role": "read_only", "csrf_token": "forged"},
    )
    assert r.status_code == 403
    with console.db.read() as rd:
        assert rd.account_by_name("sun") is None
    token = csrf_of(c.get("/console/accounts").text)
    r = c.post("/console/accounts", data={"name": "sun", "role": "read_only", "csrf_token": token})
    assert r.status_code == 200
    with console.db.read() as rd:
        assert rd.account_by_name("sun") is not None


def test_htmx_sends_the_token_in_a_header(console):
    c = console.login("wang")
    token = csrf_of(c.get("/console/accounts").text)
    r = c.post(
        "/console/accounts",
        data={"name": "qian", "role": "read_only"},
        headers={"X-CSRF-Token": token, "HX-Request": "true"},
    )
    assert r.status_code == 200


def test_roles_gate_routes_not_just_the_menu(console):
    li = console.login("li")
    assert li.get("/console/accounts").status_code == 403
    assert li.get("/console/audit").status_code == 403
    zhao = console.login("zhao")
    page = zhao.get("/console/password")
    assert page.status_code == 200
    assert "/console/accounts" not in page.text  # hidden from the menu too
    token = csrf_of(page.text)
    r = zhao.post("/console/accounts", data={"name": "x1", "role": "admin", "csrf_token": token})
    assert r.status_code == 403


def test_logout_ends_the_session_at_the_ledger(console):
    c = console.login("wang")
    cookie = c.cookies.get("vk_console")
    token = csrf_of(c.get("/console/accounts").text)
    assert c.post("/console/logout", data={"csrf_token": token}).status_code == 200
    other = console.client()
    other.cookies.set("vk_console", cookie, domain="testserver.local")
    r = other.get("/console/accounts", follow_redirects=False)
    assert r.status_code == 303


def test_wrong_passwords_show_the_wait(console):
    c = console.client()
    for _ in range(5):
        page = c.get("/console/login")
        r = c.post(
            "/console/login",
            data={"name": "wang", "password": "no", "csrf_token": csrf_of(page.text)},
        )
    assert r.status_code == 401 and "30 秒" in r.text
    page = c.get("/console/login?lang=en")
    r = c.post(
        "/console/login",
        data={"name": "wang", "password": PASSWORDS["wang"], "csrf_token": csrf_of(page.text)},
    )
    assert r.status_code == 401 and "try again in 30 seconds" in r.text


def test_languages_switch_and_stick(console):
    c = console.login("wang")
    assert "工作人员账户" in c.get("/console/accounts").text
    page = c.get("/console/accounts?lang=en").text
    assert "Staff accounts" in page and '<html lang="en">' in page
    assert "Staff accounts" in c.get("/console/accounts").text  # the cookie keeps it
    assert "工作人員帳戶" in c.get("/console/accounts?lang=zh-Hant").text


def test_security_headers(console):
    r = console.client().get("/console/login")
    assert "script-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["cache-control"] == "no-store"


def test_every_console_route_declares_its_permission(console):
    app = create_app(console.store, console.clock)
    for route in app.routes:
        if not isinstance(route, APIRoute) or not route.path.startswith("/console"):
            continue
        if route.path in PUBLIC:
            continue
        perms = [getattr(d.call, "permission", None) for d in route.dependant.dependencies]
        assert any(perms), f"{route.path} declares no permission"


def test_changes_through_the_admin_api_are_audited(console):
    c = console.client()
    r = c.post(
        "/v1/admin/stock",
        json={"site_id": "service-center", "item_id": "towel", "qty": 9, "note": "盘点"},
        headers={"Authorization": f"Bearer {console.admin_token}"},
    )
    assert r.status_code == 200, r.text
    from sync.ledger.db.console import AuditFilter

    with console.db.read() as rd:
        (entry,) = rd.audit_entries(AuditFilter(action="api.admin.stock"))
    assert entry.actor == "token:admin" and entry.target == "/v1/admin/stock"
    page = console.login("wang").get("/console/audit").text
    assert "通过管理接口" in page
