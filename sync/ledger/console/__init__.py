"""The staff web console at ``/console/``: Jinja2 pages with htmx, served by the ledger
process over the same storage (DESIGN section 9). ``mount(app)`` adds it to the app."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from .deps import CsrfRefused, Forbidden, NeedLogin, NotFound
from .render import render

STATIC = Path(__file__).resolve().parent / "static"

# No script, style or picture from anywhere but the ledger itself; no framing.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self';"
        " object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def mount(app: FastAPI, console_db) -> None:
    from .views import router

    app.state.console_db = console_db
    app.include_router(router)
    app.mount("/console/static", StaticFiles(directory=STATIC), name="console-static")

    @app.middleware("http")
    async def console_headers(request: Request, call_next):
        started = time.perf_counter()
        response = await call_next(request)
        if request.url.path.startswith("/console"):
            # How long the ledger took, for the browser's network panel and bench_console.py.
            ms = (time.perf_counter() - started) * 1000
            response.headers["Server-Timing"] = f"app;dur={ms:.1f}"
            for k, v in SECURITY_HEADERS.items():
                response.headers.setdefault(k, v)
            if not request.url.path.startswith("/console/static"):
                response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.middleware("http")
    async def admin_api_audit(request: Request, call_next):
        """Every change made through the staff JSON API is in the audit journal too: who (the
        admin token), when, which call and its parameters (the body is not kept: it may be
        a whole roster)."""
        response = await call_next(request)
        path = request.url.path
        if (
            path.startswith("/v1/admin/")
            and request.method not in ("GET", "HEAD")
            and response.status_code < 400
            and request.query_params.get("dry_run") not in ("1", "true", "True")
        ):
            action = "api.admin." + ".".join(
                part for part in path.removeprefix("/v1/admin/").split("/") if part
            )
            await run_in_threadpool(_audit_api, console_db, request, action)
        return response

    @app.exception_handler(NeedLogin)
    async def need_login(request: Request, exc: NeedLogin) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        login = f"/console/login?next={quote(target, safe='')}"
        if request.headers.get("hx-request"):
            return Response(status_code=401, headers={"HX-Redirect": login})
        if request.method not in ("GET", "HEAD"):
            return render(request, "console/error.html", status=401, kind="login")
        return RedirectResponse(login, status_code=303)

    @app.exception_handler(Forbidden)
    async def forbidden(request: Request, exc: Forbidden) -> HTMLResponse:
        return render(request, "console/error.html", status=403, kind="forbidden")

    @app.exception_handler(CsrfRefused)
    async def csrf(request: Request, exc: CsrfRefused) -> HTMLResponse:
        return render(request, "console/error.html", status=403, kind="csrf")

    @app.exception_handler(NotFound)
    async def not_found(request: Request, exc: NotFound) -> HTMLResponse:
        return render(request, "console/error.html", status=404, kind="missing")


def _audit_api(console_db, request: Request, action: str) -> None:
    now = request.app.state.clock().isoformat(timespec="milliseconds")
    with console_db.write() as w:
        w.audit(
            now,
            "token:admin",
            action[:120],
            target=request.url.path[:200],
            after={"method": request.method, "query": dict(request.query_params)},
        )
