"""/verify: anyone holding a 志愿服务证明 (a school, an employer) checks it without logging
in, by typing its number or pasting its QR code's text. The answer is a page in Chinese
first, with English; ``/verify.json`` gives the same as JSON."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from sync.ledger.api.deps import json_response, store_of
from sync.ledger.staff.certificates import check

router = APIRouter()

_PAGE = """<!doctype html>
<html lang="zh-Hans"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>志愿服务证明核验 · Certificate check</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "Noto Sans SC", sans-serif; font-size: 20px;
  line-height: 1.6; max-width: 40em; margin: 2em auto; padding: 0 1em; color: #1a1a1a;
  background: #f4f1ea; }}
h1 {{ font-size: 1.6em; }} .en {{ color: #3a3a3a; font-size: .85em; }}
input {{ font-size: 1em; padding: .4em; width: 100%; box-sizing: border-box; }}
button {{ font-size: 1em; padding: .5em 1.5em; margin-top: .5em; min-height: 48px;
  background: #0b4f8a; color: #fff; border: 0; border-radius: 8px; }}
.answer {{ padding: 1em; border-radius: 10px; margin: 1em 0; }}
.genuine {{ background: #0b5d1e; color: #fff; }} .bad {{ background: #8e1b1b; color: #fff; }}
.unknown {{ background: #f2b134; color: #1a1a1a; }}
dt {{ font-weight: bold; }} dd {{ margin: 0 0 .5em 0; }}
</style></head><body>
<h1>志愿服务证明核验 <span class="en">Certificate of volunteer service: check</span></h1>
{answer}
<form method="get" action="/verify">
<label for="number">证明编号 <span class="en">Certificate number</span></label>
<input id="number" name="number" value="{number}" autocomplete="off" placeholder="VC-2026-000001-ABCDEF">
<button type="submit">核验 <span class="en">Check</span></button>
</form>
<p class="en">证明免费出具；编号印在证明下方二维码旁。The number is printed beside the QR code.</p>
</body></html>
"""

_WORDS = {
    "genuine": ("genuine", "这份证明真实有效", "This certificate is genuine"),
    "forged": (
        "bad",
        "这份证明无法核实：内容与本社区的记录不符",
        "Not genuine: it does not match our records",
    ),
    "malformed": ("bad", "这不是有效的证明二维码", "This is not a valid certificate code"),
    "unknown": (
        "unknown",
        "没有找到这个编号的证明，请核对编号",
        "No certificate with this number: check it",
    ),
}


def _answer(result: dict) -> str:
    css, zh, en = _WORDS[result["status"]]
    rows = ""
    if result["status"] == "genuine":
        fields = (
            ("证明编号", "Number", result["number"]),
            ("志愿者", "Volunteer", f"{result['name']}（{result['volunteer_id']}）"),
            ("服务期间", "Period", f"{result['period_from']} 至 {result['period_to']}"),
            ("累计服务时长", "Hours", f"{result['hours']} 小时（{result['sessions']} 次）"),
            ("出具组织", "Issued by", result["organisation"]),
            ("出具日期", "Issued on", result["issued_on"]),
        )
        rows = (
            "<dl>"
            + "".join(
                f'<dt>{escape(z)} <span class="en">{escape(e)}</span></dt><dd>{escape(str(v))}</dd>'
                for z, e, v in fields
            )
            + "</dl>"
        )
    return (
        f'<div class="answer {css}" role="status"><strong>{escape(zh)}</strong><br>'
        f"<span>{escape(en)}</span>{rows}</div>"
    )


@router.get("/verify", response_class=HTMLResponse)
def verify_page(
    request: Request,
    number: str = Query("", max_length=64),
    code: str = Query("", max_length=1024),
) -> Response:
    """No login: the certificate check page. ``number`` (as printed) or ``code`` (the QR
    code's text): genuine, forged or unknown, and what a genuine one certifies."""
    answer = ""
    if number.strip() or code.strip():
        answer = _answer(check(store_of(request), number=number, code=code or None))
    shown = escape(number.strip()[:64], quote=True)
    return HTMLResponse(_PAGE.format(answer=answer, number=shown))


@router.get("/verify.json")
def verify_json(
    request: Request,
    number: str = Query("", max_length=64),
    code: str = Query("", max_length=1024),
) -> Response:
    """No login: ``/verify``'s answer as JSON ({status, number, ...})."""
    return json_response(check(store_of(request), number=number, code=code or None))
