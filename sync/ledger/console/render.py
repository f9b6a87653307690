"""Pages from Jinja2 templates (``templates/console/<area>/<page>.html``, fragments
``_<name>.html``). A request htmx makes (``HX-Request``) gets the fragment alone, when the
view names one, so a live refresh or a search-as-you-type swaps only its part.
Autoescaping is on: every text from the ledger (names, titles, reasons) is escaped."""

from __future__ import annotations

from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import ChainableUndefined, Environment, FileSystemLoader, select_autoescape

from kiosk.core.version import VERSION

from .deps import LANG_COOKIE, words_of
from .i18n import HTML_LANG, LANG_NAMES, LANGS
from .nav import menu

TEMPLATES = Path(__file__).resolve().parent / "templates"


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(("html",)),
        undefined=ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    env.globals.update(LANGS=LANGS, LANG_NAMES=LANG_NAMES, HTML_LANG=HTML_LANG, dict=dict)
    # At the foot of every page: what staff read out when they ask for help (issue 17).
    env.globals.update(VERSION=VERSION)
    env.policies["json.dumps_kwargs"] = {"ensure_ascii": False, "sort_keys": True}
    env.filters["qs"] = lambda d: urlencode({k: v for k, v in d.items() if v not in (None, "")})
    return env


def render(
    request: Request,
    template: str,
    status: int = 200,
    fragment: str | None = None,
    **context: Any,
) -> HTMLResponse:
    words = words_of(request)
    staff = getattr(request.state, "staff", None)
    name = fragment if fragment and request.headers.get("hx-request") else template
    clock = request.app.state.clock
    sites = _site_names(request, words.lang)
    page = (
        environment()
        .get_template(name)
        .render(
            t=words,
            lang=words.lang,
            staff=staff,
            account=staff.account if staff else None,
            csrf=staff.csrf if staff else context.pop("login_csrf", ""),
            nav=menu(staff.account, request.url.path, words) if staff else [],
            path=request.url.path,
            query=dict(request.query_params),
            now=clock(),
            site_name=lambda sid: sites.get(sid, sid or ""),
            **context,
        )
    )
    response = HTMLResponse(page, status_code=status)
    if request.query_params.get("lang") in LANGS:
        response.set_cookie(
            LANG_COOKIE, words.lang, max_age=365 * 86400, samesite="lax", httponly=True
        )
    return response


def local(dt: datetime | str | None) -> datetime | None:
    from zoneinfo import ZoneInfo

    if dt is None or dt == "":
        return None
    if isinstance(dt, str):
        dt = datetime.fromisoformat(dt)
    return dt.astimezone(ZoneInfo("Asia/Shanghai"))


def _site_names(request: Request, lang: str) -> dict[str, str]:
    """Site id -> its name in the page's language (a handful of rows, read once a request)."""
    from .views.common import title

    found = getattr(request.state, "site_names", None)
    if found is None:
        with request.app.state.console_db.read() as r:
            sites = r.sites()
        found = request.state.site_names = {k: title(v, lang) or k for k, v in sites.items()}
    return found
