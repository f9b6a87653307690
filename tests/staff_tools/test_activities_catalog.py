"""Activities from a spreadsheet or the command line, and the rewards catalog with its
pictures and stock counts, as kiosks receive them."""

from __future__ import annotations

import io
import json
from datetime import datetime, time

from PIL import Image

from tests.staff_tools.helpers import TZ, xlsx

HEAD = [
    "活动名称",
    "英文名称",
    "站点",
    "日期",
    "开始时间",
    "结束时间",
    "每小时积分",
    "人数上限",
    "报名名单",
]


def test_activities_from_xlsx_reach_the_kiosk(ledger, tmp_path):
    kiosk, clock = ledger.kiosk("front")
    f = xlsx(
        tmp_path / "活动.xlsx",
        [
            ["2026年11月活动安排"],
            HEAD,
            # Excel date and time cells, as staff type them.
            [
                "长者理发",
                "Haircuts for seniors",
                "党群服务中心",
                datetime(2026, 11, 29),
                time(9, 30),
                time(11, 30),
                15,
                4,
                "V000101、V000102",
            ],
            ["读书会", "", "香山书房", "", "2026/11/29 19:00", "2026/11/29 21:00", "", "", ""],
        ],
    )
    code, out, err = ledger.run("import-activities", f)
    assert code == 0, err
    ids = json.loads(out)["ids"]
    assert ids == ["A-20261129-04", "A-20261129-05"]  # after the demo's -01..-03 of that day
    listed = {
        a["activity_id"]: a
        for a in json.loads(
            ledger.run("activities", "list", "--month", ledger.month(), "--json")[1]
        )
    }
    haircut = listed["A-20261129-04"]
    assert (haircut["site_id"], haircut["start"], haircut["end"]) == (
        "service-center",
        "2026-11-29T09:30:00+08:00",
        "2026-11-29T11:30:00+08:00",
    )
    assert haircut["rule"] == {"points_per_hour": 15} and haircut["capacity"] == 4
    assert (
        haircut["signup"] == ["V000101", "V000102"]
        and haircut["title_en"] == "Haircuts for seniors"
    )
    assert listed["A-20261129-05"]["rule"] == {}  # the kiosk's defaults apply

    ledger.sync(kiosk)
    assert kiosk.store.activity("A-20261129-04").title_zh == "长者理发"
    clock.now = datetime(2026, 11, 29, 9, 40, tzinfo=TZ)
    default, candidates = kiosk.candidates("V000101")
    assert "A-20261129-04" in [a.activity_id for a in [default, *candidates] if a]

    # Importing again with the ids filled in replaces, never duplicates.
    f2 = xlsx(
        tmp_path / "again.xlsx",
        [
            ["活动编号", *HEAD],
            [
                "A-20261129-04",
                "长者理发（改时间）",
                "",
                "service-center",
                "",
                "2026-11-29 10:00",
                "2026-11-29 12:00",
                15,
                4,
                "",
            ],
        ],
    )
    assert ledger.run("import-activities", f2)[0] == 0
    acts = json.loads(ledger.run("activities", "list", "--json")[1])
    assert [a["title_zh"] for a in acts if a["activity_id"] == "A-20261129-04"] == [
        "长者理发（改时间）"
    ]


def test_activity_rows_are_all_checked(ledger, tmp_path):
    f = xlsx(
        tmp_path / "bad.xlsx",
        [
            HEAD,
            ["", "", "党群服务中心", "2026-11-29", "9:00", "10:00"],
            ["义诊", "", "火星站", "2026-11-29", "9:00", "10:00"],
            ["义诊", "", "党群服务中心", "2026-11-29", "11:00", "10:00"],
            ["义诊", "", "党群服务中心", "2026-11-29", "9:00", "10:00", "十", "", "V999999"],
            ["义诊", "", "党群服务中心", "2026-11-29", "9:00", "10:00", "", "1", "V000101,V000102"],
            ["义诊", "", "党群服务中心", "明天", "9:00", "10:00"],
        ],
    )
    code, out, err = ledger.run("import-activities", f)
    assert code == 1 and out == ""
    for expected in (
        "第 2 行（row 2）「活动名称」列: 活动名称为空",
        "第 3 行（row 3）「站点」列: 没有站点 '火星站'",
        "第 4 行（row 4）「结束时间」列: 结束时间须晚于开始时间",
        "第 5 行（row 5）「每小时积分」列: '十' 不是整数",
        "第 5 行（row 5）「报名名单」列: 名册中没有 V999999",
        "第 6 行（row 6）「报名名单」列: 报名 2 人，超过人数上限 1",
        "第 7 行（row 7）「日期」列: 日期 '明天' 无法识别",
    ):
        assert expected in err, expected
    assert (
        json.loads(ledger.run("activities", "list", "--json")[1]).__len__() == 7
    )  # the demo's (five on its day, two in the days after), nothing more


def test_activities_add_from_the_command_line(ledger):
    code, out, err = ledger.run(
        "activities",
        "add",
        "--title",
        "社区义诊",
        "--title-en",
        "Free clinic",
        "--site",
        "xiangshan-study",
        "--start",
        "2026-12-05 09:00",
        "--end",
        "12:00",
        "--points-per-hour",
        "20",
        "--capacity",
        "10",
        "--signup",
        "V000104",
    )
    assert code == 0, err
    act = json.loads(out)
    assert act["activity_id"] == "A-20261205-01" and act["end"] == "2026-12-05T12:00:00+08:00"
    assert act["rule"] == {"points_per_hour": 20} and act["signup"] == ["V000104"]
    code, out, _ = ledger.run("activities", "list", "--month", "2026-12")
    # after the demo's two coming activities (2026-12-01 and -03)
    assert code == 0 and out.splitlines()[-1] == (
        "A-20261205-01\t2026-12-05 09:00–12:00\txiangshan-study\t社区义诊\t1/10"
    )
    code, _, err = ledger.run(
        "activities",
        "add",
        "--title",
        "x",
        "--site",
        "nowhere",
        "--start",
        "2026-12-05 09:00",
        "--end",
        "08:00",
    )
    assert code == 1 and "--site: 没有站点 'nowhere'" in err and "结束时间须晚于开始时间" in err
    r = ledger.client.post(
        "/v1/admin/activities",
        headers=ledger.auth,
        json={
            "title_zh": "包粽子",
            "site": "Community Service Center",
            "start": "2026-12-06 14:00",
            "end": "2026-12-06 16:00",
            "signup": ["V000101"],
        },
    )
    assert r.status_code == 200 and r.json()["activity"]["activity_id"] == "A-20261206-01"
    r = ledger.client.post("/v1/admin/activities", headers=ledger.auth, json={"title_zh": "x"})
    assert r.status_code == 422 and {e["column"] for e in r.json()["errors"]} >= {
        "站点",
        "开始时间",
        "结束时间",
    }


def _photo(tmp_path, size=(1200, 800)) -> bytes:
    img = Image.new("RGB", size, (200, 30, 30))
    buf = io.BytesIO()
    img.save(buf, "JPEG")
    (tmp_path / "soap.jpg").write_bytes(buf.getvalue())
    return buf.getvalue()


def test_catalog_item_with_picture_reaches_the_kiosk(ledger, tmp_path):
    kiosk, _ = ledger.kiosk("front")
    _photo(tmp_path)
    code, out, err = ledger.run(
        "catalog",
        "add",
        "soap",
        "--name",
        "香皂",
        "--name-en",
        "Soap",
        "--cost",
        "25",
        "--kind",
        "goods",
        "--monthly-limit",
        "2",
        "--image",
        tmp_path / "soap.jpg",
    )
    assert code == 0, err
    item = json.loads(out)
    assert item["image"] == "images/soap.png" and item["image_url"] == "/v1/images/soap.png"
    assert item["names"] == {"zh-Hans": "香皂", "zh-Hant": "香皂", "en": "Soap"}

    token = {"Authorization": f"Bearer {kiosk.store.setting('ledger_token')}"}
    r = ledger.client.get("/v1/images/soap.png", headers=token)
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.headers["etag"].strip('"') == item["image_sha256"]
    pic = Image.open(io.BytesIO(r.content))
    assert pic.size == (256, 256) and pic.format == "PNG"
    centre = pic.getpixel((128, 128))
    assert all(
        abs(a - b) < 8 for a, b in zip(centre, (200, 30, 30), strict=True)
    )  # the photo (JPEG-exact)
    assert pic.getpixel((128, 5)) == (
        255,
        255,
        255,
    )  # fitted whole on white, not cropped or stretched
    assert ledger.client.get("/v1/images/soap.png").status_code == 401
    assert ledger.client.get("/v1/images/towel.png", headers=token).status_code == 404

    code, out, _ = ledger.run(
        "catalog", "set-stock", "soap", "12", "--site", "service-center", "--note", "月初盘点"
    )
    assert code == 0 and json.loads(out)["before"] == 0
    ledger.sync(kiosk)
    on_kiosk = next(i for i in kiosk.store.catalog() if i.item_id == "soap")
    assert (on_kiosk.cost, on_kiosk.monthly_limit, on_kiosk.image) == (25, 2, "images/soap.png")
    assert kiosk.store.stock("service-center", "soap") == 12

    # A change keeps what is not given; hiding an item hides it at the kiosk.
    assert ledger.run("catalog", "add", "soap", "--cost", "30", "--inactive")[0] == 0
    ledger.sync(kiosk)
    assert "soap" not in [i.item_id for i in kiosk.store.catalog()]
    listed = {i["item_id"]: i for i in json.loads(ledger.run("catalog", "list", "--json")[1])}
    assert listed["soap"]["names"]["en"] == "Soap" and listed["soap"]["cost"] == 30
    assert listed["soap"]["stock"] == {"service-center": 12}


def test_catalog_refusals_are_explained(ledger, tmp_path):
    (tmp_path / "x.jpg").write_bytes(b"not a picture")
    code, _, err = ledger.run(
        "catalog", "add", "soap", "--name", "香皂", "--cost", "5", "--image", tmp_path / "x.jpg"
    )
    assert code == 1 and "图片无法读取" in err
    code, _, err = ledger.run("catalog", "add", "soap")
    assert code == 1 and "a new item needs a Chinese name and a cost" in err
    code, _, err = ledger.run(
        "catalog", "set-stock", "film-ticket", "3", "--site", "service-center"
    )
    assert code == 1 and "film-ticket is not goods" in err
    code, _, err = ledger.run("catalog", "set-stock", "towel", "3", "--site", "moon")
    assert code == 1 and "unknown site 'moon'" in err
    code, _, err = ledger.run("catalog", "set-stock", "towel", "-3", "--site", "service-center")
    assert code == 1 and "stock cannot be negative" in err


def test_catalog_over_http(ledger, tmp_path):
    import base64

    photo = _photo(tmp_path, (300, 900))
    r = ledger.client.post(
        "/v1/admin/catalog/umbrella",
        headers=ledger.auth,
        json={
            "names": {"zh-Hans": "雨伞"},
            "cost": 80,
            "kind": "goods",
            "image_base64": base64.b64encode(photo).decode(),
        },
    )
    assert r.status_code == 200 and r.json()["item"]["image_url"] == "/v1/images/umbrella.png"
    r = ledger.client.put("/v1/admin/catalog/umbrella/image", headers=ledger.auth, content=b"junk")
    assert r.status_code == 422
    r = ledger.client.post(
        "/v1/admin/stock",
        headers=ledger.auth,
        json={"site_id": "xiangshan-study", "item_id": "umbrella", "qty": 5},
    )
    assert r.status_code == 200 and r.json() == {"ok": True, "before": 0, "qty": 5}
    items = {
        i["item_id"]: i
        for i in ledger.client.get("/v1/admin/catalog", headers=ledger.auth).json()["items"]
    }
    assert items["umbrella"]["stock"] == {"xiangshan-study": 5}
    assert ledger.client.get("/v1/admin/catalog").status_code == 401
