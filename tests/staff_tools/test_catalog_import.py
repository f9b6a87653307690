"""``kiosk-ledger import-catalog`` and ``POST /v1/admin/catalog/import``: rewards, pictures and
stock counts from one spreadsheet, checked row by row before anything is written, upserted on
id, and on to the kiosks through the change feed."""

from __future__ import annotations

import hashlib
import io
import json

from PIL import Image

from kiosk.core.codes import sign
from kiosk.store import apply_changes
from sync.ledger.staff import exports
from sync.ledger.staff.cards import private_key
from sync.ledger.staff.catalog_import import parse_catalog, site_names, slug, stock_column
from tests.staff_tools.helpers import xlsx

HEAD = [
    "编号",
    "名称",
    "繁体名称",
    "英文名称",
    "积分",
    "类型",
    "每月限兑",
    "图片",
    "党群服务中心库存",
    "香山书房库存",
    "备注",
]
SITES = {
    "service-center": {
        "name_zh": "党群服务中心",
        "name_zh_hant": "黨群服務中心",
        "name_en": "Community Service Center",
    },
    "xiangshan-study": {"name_zh": "香山书房", "name_en": "Xiangshan Study"},
}


def _feed_top(ledger) -> int:
    """The change feed's newest cursor (a full pull's next cursor)."""
    return int(ledger.store.changes_since(None, 1_000_000).next_cursor.rsplit(".", 1)[1])


def _picture(path, colour, size=(900, 600), fmt="JPEG"):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path, fmt)
    return path


def _items(ledger) -> dict[str, dict]:
    code, out, err = ledger.run("catalog", "list", "--json")
    assert code == 0, err
    return {i["item_id"]: i for i in json.loads(out)}


def _sheet(tmp_path):
    _picture(tmp_path / "photos" / "soap.jpg", (200, 30, 30))
    _picture(
        tmp_path / "UMBRELLA.PNG", (30, 30, 200), (300, 900), "PNG"
    )  # beside the sheet, named without extension
    return xlsx(
        tmp_path / "奖品目录.xlsx",
        [
            ["博凯社区积分兑换目录 2026年12月"],
            HEAD,
            ["soap", "香皂", "香皂", "Soap", 25, "实物", 2, "soap.jpg", 12, None, "供应商：某超市"],
            [None, "雨伞", "雨傘", "Folding umbrella", 80, "goods", "", "umbrella", 3, 2, ""],
            ["", "社区健身房月卡", "", "", 60, "特权", 1, "", "", "", ""],
            ["film-ticket", "惠民电影票", "", "", 45, "活动名额", "不限", "", "", "", "改价"],
            ["towel", "毛巾", "", "Towel", 30, "", "", "", 20, "", ""],
        ],
    )


def test_xlsx_import_reaches_the_kiosk_which_can_redeem(ledger, tmp_path):
    kiosk, _ = ledger.kiosk("front")
    ledger.sync(kiosk)
    f = _sheet(tmp_path)
    top = _feed_top(ledger)

    code, out, err = ledger.run("import-catalog", f, "--images", tmp_path / "photos", "--dry-run")
    assert code == 0, err
    plan = json.loads(out)
    assert (plan["dry_run"], plan["added"], plan["updated"], plan["unchanged"]) == (True, 3, 1, 1)
    assert _feed_top(ledger) == top and "soap" not in _items(ledger)  # a dry run writes nothing

    code, out, err = ledger.run("import-catalog", f, "--images", tmp_path / "photos")
    assert code == 0, err
    done = json.loads(out)
    gym = "item-" + hashlib.sha256("社区健身房月卡".encode()).hexdigest()[:8]
    assert done["added_ids"] == [
        "soap",
        "folding-umbrella",
        gym,
    ]  # ids made from the English name, else stable
    assert (
        done["updated_ids"] == ["film-ticket"] and done["unchanged"] == 1
    )  # towel: only its count changes
    assert done["images"] == ["soap", "folding-umbrella"]
    assert {(s["item_id"], s["site_id"], s["before"], s["qty"]) for s in done["stock"]} == {
        ("soap", "service-center", 0, 12),
        ("folding-umbrella", "service-center", 0, 3),
        ("folding-umbrella", "xiangshan-study", 0, 2),
        ("towel", "service-center", 25, 20),
    }

    items = _items(ledger)
    assert items["soap"]["names"] == {"zh-Hans": "香皂", "zh-Hant": "香皂", "en": "Soap"}
    assert (items["soap"]["cost"], items["soap"]["kind"], items["soap"]["monthly_limit"]) == (
        25,
        "goods",
        2,
    )
    assert (
        items["folding-umbrella"]["names"]["zh-Hant"] == "雨傘"
        and items["folding-umbrella"]["monthly_limit"] == 0
    )
    assert (items[gym]["kind"], items[gym]["cost"], items[gym]["names"]["en"]) == (
        "privilege",
        60,
        "社区健身房月卡",
    )
    assert (items["film-ticket"]["cost"], items["film-ticket"]["monthly_limit"]) == (
        45,
        0,
    )  # 不限 = no limit
    assert items["towel"]["stock"] == {
        "service-center": 20,
        "xiangshan-study": 12,
    }  # a blank cell keeps the count
    assert (
        items["towel"]["monthly_limit"] == 2 and items["towel"]["kind"] == "goods"
    )  # blank cells keep values

    # Pictures resized with kiosk_image, served to kiosks.
    r = ledger.client.get("/v1/images/folding-umbrella.png", headers=ledger.auth)
    pic = Image.open(io.BytesIO(r.content))
    assert r.status_code == 200 and pic.size == (256, 256)
    assert pic.getpixel((128, 128)) == (30, 30, 200) and pic.getpixel((5, 128)) == (255, 255, 255)

    # The same file again changes nothing and sends nothing to the kiosks.
    top = _feed_top(ledger)
    code, out, err = ledger.run("import-catalog", f, "--images", tmp_path / "photos")
    assert code == 0, err
    again = json.loads(out)
    assert (
        again["added"],
        again["updated"],
        again["unchanged"],
        again["stock"],
        again["images"],
    ) == (0, 0, 5, [], [])
    assert _feed_top(ledger) == top

    # The change feed carries the items and the counts; applied at a kiosk, the reward can be redeemed.
    token = {"Authorization": f"Bearer {kiosk.store.setting('ledger_token')}"}
    page = ledger.client.get(
        f"/v1/changes?since={kiosk.store.setting('cursor')}", headers=token
    ).json()
    keys = {(c["kind"], c["key"]) for c in page["changes"]}
    assert {("catalog_item", i) for i in ("soap", "folding-umbrella", gym, "film-ticket")} <= keys
    assert ("catalog_item", "towel") not in keys  # unchanged items are not re-sent
    assert {
        ("stock", "service-center/soap"),
        ("stock", "xiangshan-study/folding-umbrella"),
        ("stock", "service-center/towel"),
    } <= keys
    apply_changes(kiosk.store, page["changes"], cursor=page["next_cursor"])
    on_kiosk = {i.item_id: i for i in kiosk.store.catalog()}
    assert (on_kiosk["soap"].cost, on_kiosk["soap"].image) == (25, "images/soap.png")
    assert kiosk.store.stock("service-center", "soap") == 12
    card = sign(private_key(ledger.store), "V", "V000101", 1)
    done = kiosk.redeem(card, "soap")
    assert done.ok and done.kind == "redeemed", done
    assert kiosk.store.stock("service-center", "soap") == 11
    ledger.sync(kiosk)
    assert _items(ledger)["soap"]["stock"]["service-center"] == 11

    # The counts set by the import are lines of the 台账's 库存变动.
    moves = next(
        t for t in exports.month_tables(ledger.store, ledger.month()) if t.name == "库存变动"
    ).rows
    notes = [m[-1] for m in moves if m[2] == "soap"]
    assert (
        "由 0 设为 12 目录导入 奖品目录.xlsx" in notes and len(notes) == 2
    )  # the count, then the redemption


def test_gbk_csv_with_english_headers(ledger, tmp_path):
    f = tmp_path / "catalog.csv"
    f.write_bytes(
        (
            "Item ID,Name,Name zh-Hant,Name EN,Cost,Kind,Monthly limit,stock service-center,"
            "Xiangshan Study stock,Status\n"
            "tea,茶叶礼盒,茶葉禮盒,Tea gift box,120,goods,1,4,6,上架\n"
            ",电影票（周末场）,,,35,ticket,2,,,\n"
            "notebook,笔记本,,,20,实物,,,,下架\n"
        ).encode("gbk")
    )
    code, out, err = ledger.run("import-catalog", f)
    assert code == 0, err
    report = json.loads(out)
    items = _items(ledger)
    assert items["tea"]["names"] == {
        "zh-Hans": "茶叶礼盒",
        "zh-Hant": "茶葉禮盒",
        "en": "Tea gift box",
    }
    assert items["tea"]["stock"] == {"service-center": 4, "xiangshan-study": 6}
    ticket = report["added_ids"][1]
    assert ticket.startswith("item-") and items[ticket]["kind"] == "ticket"
    assert items["notebook"]["active"] is False and report["updated_ids"] == ["notebook"]
    # A row without an id is found again by its name: no second ticket.
    code, out, _ = ledger.run("import-catalog", f)
    assert code == 0 and json.loads(out)["added"] == 0 and len(_items(ledger)) == len(items)


def test_every_row_is_checked_and_nothing_is_written(ledger, tmp_path):
    _picture(tmp_path / "ok.jpg", (1, 2, 3))
    (tmp_path / "broken.jpg").write_bytes(b"not a picture")
    f = xlsx(
        tmp_path / "bad.xlsx",
        [
            ["编号", "名称", "积分", "类型", "每月限兑", "图片", "党群服务中心库存", "火星站库存"],
            ["cup", "杯子", "十", "实物", "", "", "", ""],  # 2: cost not a number
            ["cup2", "杯子二", -5, "实物", "", "", "", ""],  # 3: negative cost
            ["pen", "笔", 5, "玩具", "", "", "", ""],  # 4: unknown kind
            ["pen", "笔二", 5, "", "", "", "", ""],  # 5: duplicate id
            ["bag", "袋子", 5, "", "", "bag.jpg", "", ""],  # 6: missing image file
            ["box", "盒子", 5, "", "", "broken.jpg", "", ""],  # 7: picture cannot be read
            ["", "", 5, "", "", "ok.jpg", "", ""],  # 8: empty name
            ["pass", "通行证", 5, "特权", "", "", 3, ""],  # 9: stock for a privilege
            ["mug", "马克杯", 5, "", "两个", "", "很多", ""],  # 10: bad limit, bad stock
            ["bad id!", "坏编号", "", "", "", "", "", ""],  # 11: malformed id, empty cost
        ],
    )
    top = _feed_top(ledger)
    before = _items(ledger)
    code, out, err = ledger.run("import-catalog", f)
    assert code == 1 and out == "" and "nothing was imported" in err
    for expected in (
        "第 1 行（row 1）「火星站库存」列: 没有这个站点的库存列",
        "第 2 行（row 2）「积分」列: 积分 '十' 须为不小于 0 的整数 / the cost must be a whole number",
        "第 3 行（row 3）「积分」列: 积分 '-5' 须为不小于 0 的整数",
        "第 4 行（row 4）「类型」列: 未知类型 '玩具'，请用 实物、特权 或 活动名额 / unknown kind '玩具'",
        "第 5 行（row 5）「编号」列: 编号 pen 重复（另见第 4 行） / duplicate id pen (also row 4)",
        "第 6 行（row 6）「图片」列: 找不到图片文件 'bag.jpg'",
        "第 7 行（row 7）「图片」列: 'broken.jpg': 图片无法读取",
        "第 8 行（row 8）「名称」列: 名称为空 / the name is empty",
        "第 9 行（row 9）「党群服务中心库存」列: 只有实物有库存",
        "第 10 行（row 10）「每月限兑」列: 每月限兑 '两个' 须为不小于 0 的整数",
        "第 10 行（row 10）「党群服务中心库存」列: 库存 '很多' 须为不小于 0 的整数",
        "第 11 行（row 11）「编号」列: 编号 'bad id!' 只能用字母、数字和 - _ .",
        "第 11 行（row 11）「积分」列: 积分为空 / the cost is empty",
    ):
        assert expected in err, expected
    assert _feed_top(ledger) == top and _items(ledger) == before

    # Once the file is clean, the checks against the ledger: stock for an item that is a
    # privilege there, and rows without ids that share a name.
    f = xlsx(
        tmp_path / "bad2.xlsx",
        [
            ["编号", "名称", "积分", "stock service-center"],
            ["room-priority", "活动室优先使用", 50, 2],
            ["", "水杯", 10, ""],
            ["", "水杯", 12, ""],
        ],
    )
    code, _, err = ledger.run("import-catalog", f)
    assert code == 1
    assert (
        "第 2 行（row 2）「stock service-center」列: room-priority 不是实物，没有库存" not in err
    )  # file first
    assert "第 3 行（row 3）「编号」列: 与第 4 行同名，请填写编号" in err
    assert "第 4 行（row 4）「编号」列: 与第 3 行同名" in err
    f = xlsx(
        tmp_path / "bad3.xlsx",
        [
            ["编号", "名称", "积分", "stock service-center"],
            ["room-priority", "活动室优先使用", 50, 2],
        ],
    )
    code, _, err = ledger.run("import-catalog", f)
    assert code == 1 and "「stock service-center」列: room-priority 不是实物，没有库存" in err
    f = xlsx(
        tmp_path / "bad4.xlsx", [["编号", "名称", "积分"], ["towel", "浴巾", 30], ["", "毛巾", 30]]
    )
    code, _, err = ledger.run(
        "import-catalog", f
    )  # row 3 finds the ledger's 毛巾, which is row 2's towel
    assert code == 1 and "第 3 行（row 3）「编号」列: 与第 2 行是同一物品（towel）" in err
    assert _feed_top(ledger) == top and _items(ledger) == before


def test_malformed_files_get_a_clear_answer(ledger, tmp_path):
    code, _, err = ledger.run("import-catalog", tmp_path / "missing.xlsx")
    assert code == 2 and "找不到文件 / no such file" in err
    (tmp_path / "c.csv").write_text("名称,类型\n香皂,实物\n", encoding="utf-8")
    code, _, err = ledger.run("import-catalog", tmp_path / "c.csv")
    assert code == 1 and "缺少列 / missing column(s): 积分 (cost)" in err
    code, _, err = ledger.run("import-catalog", tmp_path / "c.csv", "--images", tmp_path / "nope")
    assert code == 2 and "no such folder" in err
    (tmp_path / "x.xlsx").write_bytes(b"PK\x03\x04 truncated")
    code, _, err = ledger.run("import-catalog", tmp_path / "x.xlsx")
    assert code == 1 and "cannot open x.xlsx as an Excel workbook" in err
    (tmp_path / "h.csv").write_text("foo,bar\n1,2\n", encoding="utf-8")
    code, _, err = ledger.run("import-catalog", tmp_path / "h.csv")
    assert code == 1 and "no header row" in err


def test_import_over_http(ledger, tmp_path):
    body = xlsx(
        tmp_path / "c.xlsx",
        [
            ["item id", "name", "cost", "kind", "image", "stock xiangshan-study"],
            ["kettle", "电水壶", 300, "goods", "kettle.jpg", 1],
        ],
    ).read_bytes()
    kiosk, _ = ledger.kiosk("front")
    kiosk_auth = {"Authorization": f"Bearer {kiosk.store.setting('ledger_token')}"}
    url = "/v1/admin/catalog/import?filename=c.xlsx"
    assert ledger.client.post(url, content=body).status_code == 401
    assert (
        ledger.client.post(url, content=body, headers=kiosk_auth).status_code == 401
    )  # a kiosk is not staff
    assert (
        ledger.client.post(
            "/v1/admin/catalog/import?filename=c.txt", content=body, headers=ledger.auth
        ).status_code
        == 415
    )
    r = ledger.client.post(url + "&dry_run=true", content=body, headers=ledger.auth)
    assert r.status_code == 200 and r.json()["dry_run"] and r.json()["added_ids"] == ["kettle"]
    assert "kettle" not in _items(ledger)
    r = ledger.client.post(url, content=body, headers=ledger.auth)
    assert r.status_code == 200, r.text
    answer = r.json()
    # Pictures do not travel with an uploaded sheet: said so, not silently dropped.
    assert answer["images_not_read"] == ["kettle"] and "PUT" in answer["note"]
    assert _items(ledger)["kettle"]["stock"] == {"xiangshan-study": 1}
    bad = xlsx(tmp_path / "b.xlsx", [["名称", "积分"], ["电水壶", "贵"]]).read_bytes()
    r = ledger.client.post(
        "/v1/admin/catalog/import?filename=b.xlsx", content=bad, headers=ledger.auth
    )
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {
            "row": 2,
            "column": "积分",
            "message": "积分 '贵' 须为不小于 0 的整数 / the cost must be a whole number, 0 or more",
        }
    ]
    # One item by hand still works beside the import route.
    r = ledger.client.post("/v1/admin/catalog/kettle", headers=ledger.auth, json={"cost": 280})
    assert r.status_code == 200 and r.json()["item"]["cost"] == 280


def test_stock_columns_and_ids():
    names = site_names(SITES)
    for header, site in (
        ("党群服务中心库存", "service-center"),
        ("库存（香山书房）", "xiangshan-study"),
        ("stock service-center", "service-center"),
        ("Xiangshan Study stock", "xiangshan-study"),
        ("黨群服務中心 库存", "service-center"),
        ("STOCK: xiangshan_study", "xiangshan-study"),
        ("香山书房", "xiangshan-study"),
    ):
        assert stock_column(header, names) == (True, site), header
    assert stock_column("火星站库存", names) == (True, None)
    assert stock_column("库存", names) == (True, None)
    assert stock_column("备注", names) == (False, None)
    assert slug({"zh-Hans": "米", "en": "Rice, 5 kg"}) == "rice-5-kg"
    assert slug({"zh-Hans": "咖啡", "en": "Café crème"}) == "cafe-creme"
    made = slug({"zh-Hans": "大米", "en": ""})
    assert (
        made
        == "item-" + hashlib.sha256("大米".encode()).hexdigest()[:8]
        == slug({"zh-Hans": "大米"})
    )


def test_two_stock_columns_for_one_site(tmp_path):
    f = tmp_path / "c.csv"
    f.write_text("名称,积分,党群服务中心库存,stock service-center\n香皂,5,1,2\n", encoding="utf-8")
    parsed = parse_catalog(f, SITES, [tmp_path])
    assert [(e.row, e.column) for e in parsed.errors] == [(1, "stock service-center")]
    assert "a second stock column for site service-center" in parsed.errors[0].message
