"""Demo data: two sites, volunteers and staff with signed cards, today's activities and
a catalog. Written as a snapshot file (what ``kiosk load`` reads) plus ``roster.json``
and one card PNG per person. The ledger's ``demo-data`` command loads the same data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from PIL import Image

from kiosk.clock import system_clock
from kiosk.core.codes import KeyPair, generate_keypair, sign
from kiosk.core.pins import hash_pin
from sync.ledger.staff.card_image import card_image

from .demo_pictures import picture

TZ = ZoneInfo("Asia/Shanghai")

SITES = [
    {
        "site_id": "service-center",
        "name_zh": "党群服务中心",
        "name_zh_hant": "黨群服務中心",
        "name_en": "Community Service Center",
    },
    {
        "site_id": "xiangshan-study",
        "name_zh": "香山书房",
        "name_zh_hant": "香山書房",
        "name_en": "Xiangshan Study",
    },
]

# id, name, team, status, balance, minutes_total
VOLUNTEERS = [
    ("V000101", "张晓明", "夕阳红服务队", "active", 120, 1440),
    ("V000102", "李秀英", "夕阳红服务队", "active", 260, 2880),
    ("V000103", "陈大文", "港澳志愿服务队", "active", 45, 300),
    ("V000104", "Anna Müller", "博“译”外语志愿服务队", "active", 80, 600),
    ("V000105", "王喆", "心灵帆船服务队", "active", 15, 90),
    ("V000106", "刘昇", "青少年志愿服务队", "active", 0, 0),
    ("V000107", "赵彧", "心灵帆船服务队", "active", 300, 3600),
    ("V000108", "黄美玲", "夕阳红服务队", "suspended", 50, 420),
    ("V000109", "Tanaka Yuki", "博“译”外语志愿服务队", "active", 35, 240),
    ("V000110", "周建国", "夕阳红服务队", "active", 500, 6000),
]
STAFF = [
    ("S0001", "林主任", "246810"),
    ("S0002", "何社工", "135790"),
]

CATALOG = [
    {
        "item_id": "rice-5kg",
        "names": {"zh-Hans": "大米 5 公斤", "zh-Hant": "大米 5 公斤", "en": "Rice, 5 kg"},
        "cost": 200,
        "kind": "goods",
        "monthly_limit": 1,
        "stock": {"service-center": 10, "xiangshan-study": 4},
        "colour": (236, 222, 190),
    },
    {
        "item_id": "oil-1l",
        "names": {"zh-Hans": "食用油 1 升", "zh-Hant": "食用油 1 公升", "en": "Cooking oil, 1 L"},
        "cost": 150,
        "kind": "goods",
        "monthly_limit": 1,
        "stock": {"service-center": 8, "xiangshan-study": 2},
        "colour": (250, 214, 90),
    },
    {
        "item_id": "towel",
        "names": {"zh-Hans": "毛巾", "zh-Hant": "毛巾", "en": "Towel"},
        "cost": 30,
        "kind": "goods",
        "monthly_limit": 2,
        "stock": {"service-center": 25, "xiangshan-study": 12},
        "colour": (140, 190, 230),
    },
    {
        "item_id": "notebook",
        "names": {"zh-Hans": "笔记本", "zh-Hant": "筆記本", "en": "Notebook"},
        "cost": 20,
        "kind": "goods",
        "monthly_limit": 0,
        "stock": {"service-center": 0, "xiangshan-study": 30},
        "colour": (170, 210, 160),
    },
    {
        "item_id": "room-priority",
        "names": {
            "zh-Hans": "活动室优先使用",
            "zh-Hant": "活動室優先使用",
            "en": "Priority booking of a community room",
        },
        "cost": 50,
        "kind": "privilege",
        "monthly_limit": 1,
        "stock": {},
        "colour": (200, 170, 220),
    },
    {
        "item_id": "film-ticket",
        "names": {"zh-Hans": "惠民电影票", "zh-Hant": "惠民電影票", "en": "Community film ticket"},
        "cost": 40,
        "kind": "ticket",
        "monthly_limit": 2,
        "stock": {},
        "colour": (240, 160, 150),
    },
]


def activities_for(day: date) -> list[dict]:
    d = day.strftime("%Y%m%d")

    def at(hh: int, mm: int = 0) -> str:
        return datetime.combine(day, time(hh, mm), TZ).isoformat()

    return [
        {
            "activity_id": f"GEN-SC-{d}",
            "site_id": "service-center",
            "title_zh": "日常值班",
            "title_zh_hant": "日常值班",
            "title_en": "General duty",
            "start": at(0),
            "end": at(23, 59),
            "general": True,
            "rule": {"points_per_hour": 10},
        },
        {
            "activity_id": f"GEN-XS-{d}",
            "site_id": "xiangshan-study",
            "title_zh": "日常值班",
            "title_zh_hant": "日常值班",
            "title_en": "General duty",
            "start": at(0),
            "end": at(23, 59),
            "general": True,
            "rule": {"points_per_hour": 10},
        },
        {
            "activity_id": f"A-{d}-01",
            "site_id": "service-center",
            "title_zh": "长者饭堂帮厨",
            "title_zh_hant": "長者飯堂幫廚",
            "title_en": "Seniors' canteen helper",
            "start": at(10),
            "end": at(13),
            "rule": {"points_per_hour": 15},
            "capacity": 8,
            "signup": ["V000101", "V000102"],
        },
        {
            "activity_id": f"A-{d}-02",
            "site_id": "xiangshan-study",
            "title_zh": "书房阅读辅导",
            "title_zh_hant": "書房閱讀輔導",
            "title_en": "Reading help at the study",
            "start": at(14),
            "end": at(17),
            "rule": {"points_per_hour": 10},
            "capacity": 6,
            "signup": ["V000104"],
        },
        {
            "activity_id": f"A-{d}-03",
            "site_id": "service-center",
            "title_zh": "环境卫生整治",
            "title_zh_hant": "環境衛生整治",
            "title_en": "Neighbourhood clean-up",
            "start": at(15),
            "end": at(18),
            "rule": {"points_per_hour": 12},
            "capacity": 20,
            "signup": [],
        },
    ]


def coming_activities(day: date) -> list[dict]:
    """Activities in the days after ``day``, for 近期活动 and sign-up: a small one that fills
    (two places, one taken), and one at the other site."""

    def at(d: date, hh: int) -> str:
        return datetime.combine(d, time(hh, 0), TZ).isoformat()

    soon, later = day + timedelta(days=2), day + timedelta(days=4)
    return [
        {
            "activity_id": f"A-{soon:%Y%m%d}-11",
            "site_id": "service-center",
            "title_zh": "长者探访",
            "title_zh_hant": "長者探訪",
            "title_en": "Visiting older neighbours",
            "start": at(soon, 9),
            "end": at(soon, 11),
            "rule": {"points_per_hour": 15},
            "capacity": 2,
            "signup": ["V000104"],
        },
        {
            "activity_id": f"A-{later:%Y%m%d}-12",
            "site_id": "xiangshan-study",
            "title_zh": "亲子共读会",
            "title_zh_hant": "親子共讀會",
            "title_en": "Parent and child reading hour",
            "start": at(later, 15),
            "end": at(later, 17),
            "rule": {"points_per_hour": 10},
            "capacity": 12,
            "signup": [],
        },
    ]


# What a demo ledger's certificates name as the issuing organisation.
ORGANISATION = {
    "org_name": "博凯社区新时代文明实践站",
    "org_address": "广东省中山市火炬开发区博凯社区党群服务中心",
    "org_contact": "社区社工站",
    "org_phone": "0760-8888 0000",
}


@dataclass
class DemoData:
    keys: KeyPair
    roster: list[dict]
    snapshot: dict


def item_image(item: dict, size: int = 256) -> Image.Image:
    """The reward's picture, drawn by demo_pictures on a pale ground of its colour."""
    ground = tuple(int(c * 0.35 + 255 * 0.65) for c in item["colour"])
    return picture(item["item_id"], item["names"], ground, size)


def build(day: date, keys: KeyPair | None = None) -> DemoData:
    keys = keys or generate_keypair()
    changes: list[dict] = []
    roster: list[dict] = []
    for site in SITES:
        changes.append({"kind": "site", "key": site["site_id"], "data": site})
    for vid, name, team, status, balance, minutes in VOLUNTEERS:
        code = sign(keys.private_key, "V", vid, 1)
        changes.append(
            {
                "kind": "volunteer",
                "key": vid,
                "data": {
                    "volunteer_id": vid,
                    "kind": "V",
                    "display_name": name,
                    "team": team,
                    "status": status,
                    "card_version": 1,
                },
            }
        )
        changes.append(
            {
                "kind": "balance",
                "key": vid,
                "data": {
                    "volunteer_id": vid,
                    "balance": balance,
                    "minutes_total": minutes,
                    "as_of": {},
                },
            }
        )
        roster.append(
            {
                "volunteer_id": vid,
                "name": name,
                "kind": "V",
                "team": team,
                "status": status,
                "code": code,
                "balance": balance,
            }
        )
    for sid, name, pin in STAFF:
        code = sign(keys.private_key, "S", sid, 1)
        changes.append(
            {
                "kind": "volunteer",
                "key": sid,
                "data": {
                    "volunteer_id": sid,
                    "kind": "S",
                    "display_name": name,
                    "team": "社区工作人员",
                    "status": "active",
                    "card_version": 1,
                },
            }
        )
        changes.append(
            {
                "kind": "staff_pin",
                "key": sid,
                "data": {"staff_id": sid, "pin_hash": hash_pin(pin, code.rsplit(".", 1)[1], 1)},
            }
        )
        roster.append({"volunteer_id": sid, "name": name, "kind": "S", "code": code, "pin": pin})
    for act in activities_for(day) + coming_activities(day):
        changes.append({"kind": "activity", "key": act["activity_id"], "data": act})
    for item in CATALOG:
        data = {k: v for k, v in item.items() if k not in ("stock", "colour")}
        data["image"] = f"images/{item['item_id']}.png"
        changes.append({"kind": "catalog_item", "key": item["item_id"], "data": data})
        for site_id, qty in item["stock"].items():
            changes.append(
                {
                    "kind": "stock",
                    "key": f"{site_id}/{item['item_id']}",
                    "data": {
                        "site_id": site_id,
                        "item_id": item["item_id"],
                        "qty": qty,
                        "as_of": {},
                    },
                }
            )
    snapshot = {"format": "vk-snapshot-1", "public_key": keys.public_key, "changes": changes}
    return DemoData(keys, roster, snapshot)


def write(
    out: str | Path, day: date, keys: KeyPair | None = None, *, cards: bool = True
) -> DemoData:
    """Write ``roster.json``, ``snapshot.json``, ``cards/*.png`` and ``images/*.png`` under ``out``."""
    out = Path(out)
    (out / "cards").mkdir(parents=True, exist_ok=True)
    (out / "images").mkdir(parents=True, exist_ok=True)
    data = build(day, keys)
    for person in data.roster:
        path = out / "cards" / f"{person['volunteer_id']}.png"
        if cards:
            card_image(person["code"], person["name"], person["volunteer_id"], person["kind"]).save(
                path
            )
        person["card"] = str(path.resolve())
    for item in CATALOG:
        item_image(item).save(out / "images" / f"{item['item_id']}.png")
    (out / "roster.json").write_text(
        json.dumps(data.roster, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    (out / "snapshot.json").write_text(
        json.dumps(data.snapshot, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return data


def main(argv: list[str] | None = None) -> int:
    """``python -m sync.ledger.ops.demo --out DIR``: demo data without a ledger (a fresh key pair)."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m sync.ledger.ops.demo", description=__doc__)
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--date", default=None, help="YYYY-MM-DD (default: today in Asia/Shanghai)")
    args = parser.parse_args(argv)
    day = date.fromisoformat(args.date) if args.date else system_clock()().astimezone(TZ).date()
    data = write(args.out, day)
    print(json.dumps({"out": str(args.out), "people": len(data.roster), "date": day.isoformat()}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
