"""The volunteers' poster: one A4 sheet to hang beside a kiosk, saying how to sign in, sign
out and redeem, what the colours and sounds mean, and whom to ask.

zh-Hans first in large type, with a zh-Hant and an English line under each; pictures of
the kiosk's own screens. The community's name and the contact come from the ledger's
settings (``community_name``, ``contact``), the site's name from its sites. WeasyPrint
lays the page out and embeds the kiosk's CJK font, so it prints the same anywhere.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sync.ledger.staff.card_image import ASSETS

FONTS = ASSETS / "fonts"
PICTURES = Path(__file__).resolve().parent / "poster_images"
# The screens the poster shows, made from `make screenshots` by devtools/docs_images.py.
PICTURE_NAMES = ("signed-in.png", "signed-out.png", "catalog.png")
# The kiosk's own catalogs: the poster names the home screen's button as the kiosk shows it.
KIOSK_LOCALE = Path(__file__).resolve().parents[3] / "kiosk" / "ui" / "locale"
REWARDS_BUTTON = "home.rewards"


def kiosk_label(msgid: str, lang: str) -> str:
    """One message of the kiosk's catalog (``zh_Hans``, ``zh_Hant``, ``en``), read from its
    .po file: the ledger has no Kivy and no gettext set up for the kiosk's domain."""
    po = (KIOSK_LOCALE / lang / "LC_MESSAGES" / "kiosk.po").read_text(encoding="utf-8")
    found = re.search(rf'^msgid "{re.escape(msgid)}"\nmsgstr "((?:[^"\\]|\\.)*)"$', po, re.M)
    if found is None:
        raise LookupError(f"{msgid} is not in the kiosk's {lang} catalog")
    return found.group(1).replace('\\"', '"')


@dataclass(frozen=True)
class PosterText:
    community: str  # 博凯社区新时代文明实践站
    contact: str  # 社工 李老师 0760-8888 0000
    site: str = ""  # 香山书房 (zh-Hans name of the kiosk's site), or "" for every site


def _lines(zh: str, hant: str, en: str, cls: str = "") -> str:
    return (
        f'<div class="tri {cls}"><div class="zh">{zh}</div>'
        f'<div class="hant" lang="zh-Hant">{hant}</div><div class="en" lang="en">{en}</div></div>'
    )


def poster_html(text: PosterText) -> str:
    esc = html.escape
    where = esc(text.community) + (f" · {esc(text.site)}" if text.site else "")
    if text.contact.strip():
        who = f'<span class="nowrap">{esc(text.contact)}</span>'
        ask = _lines(
            f"有问题、没有卡、卡丢了，请找：{who}",
            f"有問題、沒有卡、卡丟了，請找：{who}",
            f"Questions, no card, a lost card? Ask: {who}",
        )
    else:
        ask = _lines(
            "有问题、没有卡、卡丢了，请到前台找工作人员",
            "有問題、沒有卡、卡丟了，請到櫃檯找工作人員",
            "Questions, no card, a lost card? Ask staff at the front desk.",
        )
    pic = {name: (PICTURES / name).as_uri() for name in PICTURE_NAMES}
    button = {lang: esc(kiosk_label(REWARDS_BUTTON, lang)) for lang in ("zh_Hans", "zh_Hant", "en")}
    steps = [
        (
            "1",
            pic["signed-in.png"],
            _lines("签到：出示志愿者卡", "簽到：出示義工卡", "Sign in: show your volunteer card"),
            _lines(
                "把卡上或手机上的二维码对准摄像头，或用扫码枪扫一下。屏幕变绿就签好了。",
                "把卡上或手機上的二維碼對準鏡頭，或用掃描器掃一下。螢幕變綠就簽好了。",
                "Hold the QR code, on the card or a phone, up to the camera or the scanner."
                " Green means done.",
                "small",
            ),
        ),
        (
            "2",
            pic["signed-out.png"],
            _lines(
                "签退：服务完再扫一次",
                "簽退：服務完再掃一次",
                "Sign out: show it again when you leave",
            ),
            _lines(
                "屏幕显示服务时长和获得的积分。忘了签退？按活动结束时间计，请找工作人员核实。",
                "螢幕顯示服務時長和獲得的積分。忘了簽退？按活動結束時間計，請找工作人員核實。",
                "You see your minutes and points. Forgot? It counts to the activity's end; ask staff.",
                "small",
            ),
        ),
        (
            "3",
            pic["catalog.png"],
            _lines(
                f"兑换：点“{button['zh_Hans']}”，再扫卡",
                f"換領：點「{button['zh_Hant']}」，再掃卡",
                f"Rewards: tap <b>{button['en']}</b>, then scan your card",
            ),
            _lines(
                "选奖品，确认，记下取货号，到前台领取。",
                "選禮品，確認，記下取貨號，到櫃檯領取。",
                "Pick a reward, confirm, and show the pickup number at the front desk.",
                "small",
            ),
        ),
    ]
    step_html = "".join(
        f'<section class="step"><div class="num">{n}</div><div class="words">{title}{detail}'
        f'</div><img src="{src}" alt=""></section>'
        for n, src, title, detail in steps
    )
    # (swatch, zh-Hans, zh-Hant, English): the colour, its sound, what it means.
    legend = [
        (
            "green",
            "绿色 · 上扬的两声：办好了",
            "綠色 · 上揚的兩聲：辦好了",
            "Green, a rising chime: done",
        ),
        (
            "orange",
            "橙色 · 低沉的两声：看屏幕，照着做",
            "橙色 · 低沉的兩聲：看螢幕，照著做",
            "Orange, a low pair: read the screen, put it right",
        ),
        (
            "red",
            "红色 · 低沉的两声：卡不能用，找工作人员",
            "紅色 · 低沉的兩聲：卡不能用，找工作人員",
            "Red, a low pair: this card cannot be used, ask staff",
        ),
        (
            "blue",
            "浅蓝 · 一声：提示，比如已经签到过了",
            "淺藍 · 一聲：提示，例如已經簽到過了",
            "Light blue, one note: a notice, e.g. already signed in",
        ),
    ]
    legend_html = "".join(
        f'<div class="item"><div class="swatch {c}"></div>{_lines(zh, hant, en)}</div>'
        for c, zh, hant, en in legend
    )
    regular = (FONTS / "NotoSansSC-Kiosk.otf").as_uri()
    bold = (FONTS / "NotoSansSC-Kiosk-Bold.otf").as_uri()
    return f"""<!DOCTYPE html><html lang="zh-Hans"><head><meta charset="utf-8">
<title>{where}</title><style>
@font-face {{ font-family: "Kiosk Sans"; font-weight: normal; src: url("{regular}"); }}
@font-face {{ font-family: "Kiosk Sans"; font-weight: bold; src: url("{bold}"); }}
@page {{ size: A4; margin: 11mm 12mm 10mm 12mm; }}
html {{ font-family: "Kiosk Sans"; color: #1a1a1a; }}
body {{ margin: 0; }}
header {{ background: #12355b; color: white; border-radius: 3mm; padding: 4mm 6mm; }}
header .where {{ font-size: 13pt; }}
header .zh {{ font-size: 30pt; font-weight: bold; line-height: 1.2; }}
header .tri .hant, header .tri .en {{ font-size: 12pt; color: #dce9f7; }}
.tri .zh {{ font-size: 19pt; font-weight: bold; line-height: 1.3; }}
.tri .hant {{ font-size: 11pt; color: #333; line-height: 1.3; }}
.tri .en {{ font-size: 11pt; color: #333; line-height: 1.3; }}
.tri.small .zh {{ font-size: 12.5pt; font-weight: normal; }}
.tri.small .hant, .tri.small .en {{ font-size: 9pt; line-height: 1.25; }}
.step {{ display: flex; align-items: center; margin: 3mm 0; padding: 2.5mm 3mm;
         border: 0.8pt solid #c9c3b6; border-radius: 3mm; background: #f4f1ea; }}
.num {{ flex: none; width: 15mm; height: 15mm; border-radius: 7.5mm; background: #0b5d1e;
        color: white; font-size: 26pt; font-weight: bold; text-align: center;
        line-height: 15mm; margin-right: 4mm; }}
.words {{ flex: 1; }}
.words .tri.small {{ margin-top: 1.5mm; }}
.step img {{ flex: none; width: 58mm; margin-left: 4mm; border: 0.6pt solid #888; }}
h2 {{ font-size: 15pt; margin: 4mm 0 1mm 0; }}
h2 span {{ font-size: 10pt; font-weight: normal; color: #333; }}
.legend {{ display: flex; flex-wrap: wrap; }}
.legend .item {{ display: flex; align-items: center; width: 50%; margin: 1.2mm 0; }}
.legend .item .tri {{ margin-left: 2.5mm; }}
.legend .tri .zh {{ font-size: 11.5pt; }}
.legend .tri .hant, .legend .tri .en {{ font-size: 8.5pt; line-height: 1.2; }}
.swatch {{ flex: none; width: 11mm; height: 16mm; border-radius: 2mm; }}
.green {{ background: #0b5d1e; }} .orange {{ background: #f2b134; }}
.red {{ background: #8e1b1b; }} .blue {{ background: #dce9f7; border: 0.6pt solid #0a1f33; }}
footer {{ margin-top: 3mm; padding: 3mm 5mm; border-radius: 3mm; background: #fff7dd;
          border: 1pt solid #e0a800; }}
footer .tri .zh {{ font-size: 17pt; }}
.nowrap {{ white-space: nowrap; }}
</style></head><body>
<header><div class="where">{where}</div>
{
        _lines(
            "志愿服务 自助签到 · 积分兑换",
            "義工服務 自助簽到 · 積分換領",
            "Volunteer check-in and rewards",
        )
    }
</header>
{step_html}
<h2>颜色和声音 <span>顏色和聲音 · Colours and sounds</span></h2>
<div class="legend">{legend_html}</div>
<footer>{ask}</footer>
</body></html>"""


def write_poster(text: PosterText, out: str | Path) -> Path:
    from weasyprint import HTML

    missing: Sequence[str] = [n for n in PICTURE_NAMES if not (PICTURES / n).exists()]
    if missing:
        raise FileNotFoundError(f"poster pictures missing in {PICTURES}: {', '.join(missing)}")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    HTML(string=poster_html(text), base_url=str(PICTURES) + "/").write_pdf(out)
    return out
