"""``kiosk-ledger import-roster`` and its API twin against a real ledger file: upsert on id,
never a delete, errors by row and column, and phone numbers that never reach a kiosk."""

from __future__ import annotations

import json

from kiosk.core.codes import sign
from sync.ledger.staff.cards import private_key
from tests.staff_tools.helpers import xlsx

HEAD = ["姓名", "手机", "志愿者编号", "队伍", "i志愿 ID", "状态"]


def _people(ledger) -> dict[str, dict]:
    r = ledger.client.get("/v1/admin/volunteers?with_phone=true", headers=ledger.auth)
    assert r.status_code == 200
    return {v["volunteer_id"]: v for v in r.json()["volunteers"]}


def _feed_top(ledger) -> int:
    """The change feed's newest cursor (a full pull's next cursor)."""
    return int(ledger.store.changes_since(None, 1_000_000).next_cursor.rsplit(".", 1)[1])


def test_round_trip_upserts_on_id_and_a_second_import_changes_nothing(ledger, tmp_path):
    f = xlsx(
        tmp_path / "名册.xlsx",
        [
            ["博凯社区志愿者名册 2026年11月"],
            HEAD,
            ["张晓明", 13800138000, "V000101", "夕阳红服务队", "IZ-0101", ""],
            ["新来的", "139 0000 1111", None, "青少年志愿服务队", "IZ-9001", ""],
            ["Maria Santos", "+852 6123 4567", "", "博“译”外语志愿服务队", "", "在册"],
        ],
    )
    before = _feed_top(ledger)
    code, out, err = ledger.run("import-roster", f, "--dry-run")
    assert code == 0, err
    plan = json.loads(out)
    assert (plan["dry_run"], plan["added"], plan["updated"]) == (True, 2, 1)
    assert _feed_top(ledger) == before and "V000111" not in _people(
        ledger
    )  # a dry run writes nothing

    code, out, err = ledger.run("import-roster", f)
    assert code == 0, err
    done = json.loads(out)
    assert done["added_ids"] == ["V000111", "V000112"]  # the next free V-numbers, in sheet order
    people = _people(ledger)
    assert people["V000101"] | {} == {
        **people["V000101"],
        "name": "张晓明",
        "phone": "13800138000",
        "ivolunteer_id": "IZ-0101",
        "status": "active",
    }
    assert (people["V000111"]["name"], people["V000111"]["phone"], people["V000111"]["team"]) == (
        "新来的",
        "13900001111",
        "青少年志愿服务队",
    )
    assert people["V000112"]["phone"] == "+85261234567"
    assert people["V000108"]["status"] == "suspended"  # not in the file, not --full: untouched

    # The same sheet again (rows without id found by phone): nobody twice, nothing sent to kiosks.
    top = _feed_top(ledger)
    code, out, _ = ledger.run("import-roster", f)
    again = json.loads(out)
    assert (again["added"], again["updated"], again["unchanged"], again["matched_by_phone"]) == (
        0,
        0,
        3,
        2,
    )
    assert _feed_top(ledger) == top and len(_people(ledger)) == len(people)


def test_full_roster_marks_the_missing_inactive_and_kiosks_refuse_them(ledger, tmp_path):
    kiosk, _ = ledger.kiosk("front")
    key = private_key(ledger.store)
    card_102 = sign(key, "V", "V000102", 1)
    assert kiosk.scan(card_102).ok
    rows = [HEAD] + [
        [n, "", f"V0001{i:02d}", "", "", ""]
        for i, n in [
            (1, "张晓明"),
            (3, "陈大文"),
            (4, "Anna Müller"),
            (5, "王喆"),
            (6, "刘昇"),
            (7, "赵彧"),
            (8, "黄美玲"),
            (9, "Tanaka Yuki"),
            (10, "周建国"),
        ]
    ]
    code, out, err = ledger.run("import-roster", xlsx(tmp_path / "all.xlsx", rows), "--full")
    assert code == 0, err
    report = json.loads(out)
    assert report["deactivated_ids"] == ["V000102"]  # staff (S…) are not on a volunteer roster
    people = _people(ledger)
    assert (
        people["V000102"]["status"] == "inactive" and people["V000102"]["name"] == "李秀英"
    )  # kept, not deleted
    assert people["V000108"]["status"] == "suspended"  # a blank status never lifts a suspension
    assert people["S0001"]["status"] == "active"
    ledger.sync(kiosk)
    refused = kiosk.scan(card_102)
    assert not refused.ok and refused.reason == "suspended"

    # Back on the whole roster next month: active again.
    rows.append(["李秀英", "", "V000102", "", "", ""])
    assert ledger.run("import-roster", xlsx(tmp_path / "all2.xlsx", rows), "--full")[0] == 0
    assert _people(ledger)["V000102"]["status"] == "active"


def test_gbk_csv_with_english_headers(ledger, tmp_path):
    f = tmp_path / "roster.csv"
    f.write_bytes(
        "Name,Phone,Volunteer ID,Team,Status\n王喆,13900001111,V000105,心灵帆船服务队,\n"
        "赵彧,13700001111,V000107,心灵帆船服务队,离开\n邓丽,13700002222,,心灵帆船服务队,\n".encode(
            "gbk"
        )
    )
    code, out, err = ledger.run("import-roster", f)
    assert code == 0, err
    assert json.loads(out)["added_ids"] == ["V000111"]
    people = _people(ledger)
    assert people["V000107"]["status"] == "inactive" and people["V000111"]["name"] == "邓丽"


def test_errors_name_row_and_column_and_nothing_is_written(ledger, tmp_path):
    assert (
        ledger.run(
            "import-roster", xlsx(tmp_path / "p.xlsx", [HEAD, ["张晓明", "13800138000", "V000101"]])
        )[0]
        == 0
    )
    top = _feed_top(ledger)
    f = xlsx(
        tmp_path / "bad.xlsx",
        [
            HEAD,
            ["", "13800138001", "V000120"],  # 2: empty name
            ["李四", "12345", ""],  # 3: bad phone
            ["王五", "13900139000", "V000120"],  # 4: duplicate id in the file
            ["赵六", "13911112222", "V000101"],  # 5: V000101 is 张晓明 with another phone
            ["钱七", "13800138000", "V000103"],  # 6: 张晓明's phone on somebody else
            ["孙八", "", "V000104", "", "", "休假"],  # 7: unknown status
        ],
    )
    code, out, err = ledger.run("import-roster", f)
    assert code == 1 and out == ""
    assert "nothing was imported" in err
    lines = [x.strip() for x in err.splitlines()[1:]]
    assert lines[0] == "第 2 行（row 2）「姓名」列: 姓名为空 / name is empty"
    assert (
        lines[1]
        == "第 3 行（row 3）「手机」列: '12345' 不是手机号码 / '12345' is not a mobile number"
    )
    assert (
        lines[2]
        == "第 4 行（row 4）「志愿者编号」列: 编号 V000120 重复（另见第 2 行） / duplicate id V000120 (also row 2)"
    )
    assert lines[3] == (
        "第 7 行（row 7）「状态」列: 未知状态 '休假'，请用 在册、离开 或 暂停 / unknown status '休假'"
        " (use active, inactive or suspended)"
    )
    # Checks against the ledger come once the file itself is clean.
    f = xlsx(
        tmp_path / "bad2.xlsx",
        [HEAD, ["赵六", "13911112222", "V000101"], ["钱七", "13800138000", "V000103"]],
    )
    code, _, err = ledger.run("import-roster", f)
    assert code == 1
    assert (
        "第 2 行（row 2）「志愿者编号」列: 编号 V000101 在台账中属于 张*明（手机尾号 8000）" in err
    )
    assert "第 3 行（row 3）「手机」列: 手机号已属于 V000101" in err
    assert _feed_top(ledger) == top and _people(ledger)["V000101"]["name"] == "张晓明"


def test_malformed_files_get_a_clear_answer(ledger, tmp_path):
    (tmp_path / "x.xlsx").write_bytes(b"PK\x03\x04 truncated")
    code, _, err = ledger.run("import-roster", tmp_path / "x.xlsx")
    assert (
        code == 1
        and "无法作为 Excel 工作簿打开 x.xlsx / cannot open x.xlsx as an Excel workbook" in err
    )
    code, _, err = ledger.run("import-roster", tmp_path / "missing.xlsx")
    assert code == 2 and "找不到文件 / no such file" in err
    (tmp_path / "r.csv").write_text("手机,队伍\n13800138000,x\n", encoding="utf-8")
    code, _, err = ledger.run("import-roster", tmp_path / "r.csv")
    assert code == 1 and "missing column(s): 姓名 (name)" in err


def test_phone_numbers_never_reach_a_kiosk(ledger, tmp_path):
    phones = ["13800138000", "13912345678", "+85261234567"]
    f = xlsx(
        tmp_path / "r.xlsx",
        [
            HEAD,
            ["张晓明", phones[0], "V000101", "", "IZ-SECRET-1"],
            ["新人", phones[1], "", "", ""],
            ["陳大文", "+852 6123 4567", "V000103"],
        ],
    )
    assert ledger.run("import-roster", f)[0] == 0
    assert (
        ledger.run("reissue", "V000101")[0] == 0
    )  # a later change to the same person: the feed row is rewritten
    kiosk, _ = ledger.kiosk("front")
    token = kiosk.store.setting("ledger_token")
    texts = []
    for auth in (f"Bearer {token}", f"Bearer {ledger.admin}"):
        r = ledger.client.get("/v1/changes?limit=20000", headers={"Authorization": auth})
        assert r.status_code == 200 and any(
            c["kind"] == "volunteer" and c["key"] == "V000111" for c in r.json()["changes"]
        )
        texts.append(r.text)
        for vid in ("V000101", "V000103", "V000111"):
            one = ledger.client.get(f"/v1/volunteers/{vid}", headers={"Authorization": auth})
            assert one.status_code == 200 and one.json()["volunteer_id"] == vid
            texts.append(one.text)
    for text in texts:
        for phone in phones + ["61234567", "IZ-SECRET-1"]:
            assert phone not in text
        assert "phone" not in text.lower()
    # Nor into the kiosk's own file, which a thief could carry away.
    kiosk.store.close()
    raw = b"".join(p.read_bytes() for p in (tmp_path / "kiosk-front").iterdir() if p.is_file())
    for phone in phones:
        assert phone.encode() not in raw


def test_import_over_http_needs_the_staff_token(ledger, tmp_path):
    body = xlsx(tmp_path / "r.xlsx", [HEAD, ["新人", "13912345678", "", "", ""]]).read_bytes()
    kiosk, _ = ledger.kiosk("front")
    kiosk_auth = {"Authorization": f"Bearer {kiosk.store.setting('ledger_token')}"}
    assert (
        ledger.client.post("/v1/admin/roster/import?filename=r.xlsx", content=body).status_code
        == 401
    )
    assert (
        ledger.client.post(
            "/v1/admin/roster/import?filename=r.xlsx", content=body, headers=kiosk_auth
        ).status_code
        == 401
    )  # a kiosk is not staff
    assert (
        ledger.client.get("/v1/admin/volunteers?with_phone=true", headers=kiosk_auth).status_code
        == 401
    )
    r = ledger.client.post(
        "/v1/admin/roster/import?filename=r.xlsx&dry_run=true", content=body, headers=ledger.auth
    )
    assert r.status_code == 200 and r.json()["added"] == 1 and r.json()["dry_run"]
    r = ledger.client.post(
        "/v1/admin/roster/import?filename=r.txt", content=body, headers=ledger.auth
    )
    assert r.status_code == 415
    bad = xlsx(tmp_path / "b.xlsx", [HEAD, ["", "1"]]).read_bytes()
    r = ledger.client.post(
        "/v1/admin/roster/import?filename=b.xlsx", content=bad, headers=ledger.auth
    )
    assert r.status_code == 422
    assert r.json()["errors"][0] == {
        "row": 2,
        "column": "姓名",
        "message": "姓名为空 / name is empty",
    }
    r = ledger.client.post(
        "/v1/admin/roster/import?filename=r.xlsx", content=body, headers=ledger.auth
    )
    assert r.status_code == 200 and r.json()["added_ids"] == ["V000111"]


class _NoWholeRoster:
    """A store whose transactions refuse to read the whole roster: what a preview or an
    import of some people may read is the rows its file names."""

    def __init__(self, store):
        self.store = store

    def _guard(self, cm):
        from contextlib import contextmanager

        @contextmanager
        def guarded():
            with cm as tx:

                def refuse(*_a, **_k):
                    raise AssertionError("read the whole roster")

                tx.people = tx.phones = refuse
                yield tx

        return guarded()

    def read(self):
        return self._guard(self.store.read())

    def write(self):
        return self._guard(self.store.write())


def test_an_import_reads_only_the_people_its_file_names(ledger, tmp_path):
    from sync.ledger.staff.roster import import_roster
    from sync.ledger.staff.roster_import import parse_roster

    f = xlsx(
        tmp_path / "名册.xlsx",
        [
            HEAD,
            ["张晓明", 13800138000, "V000101", "夕阳红服务队", "", ""],
            ["新来的", "139 0000 1111", None, "青少年志愿服务队", "", ""],
        ],
    )
    parsed = parse_roster(f)
    guarded = _NoWholeRoster(ledger.store)
    preview = import_roster(guarded, parsed, ledger.clock.now, dry_run=True)
    assert (preview.ok, preview.added, preview.updated) == (True, ["V000111"], ["V000101"])
    done = import_roster(guarded, parsed, ledger.clock.now)
    assert done.added == ["V000111"] and _people(ledger)["V000111"]["phone"] == "13900001111"
    again = import_roster(guarded, parse_roster(f), ledger.clock.now, dry_run=True)
    assert (again.added, again.unchanged, again.matched_by_phone) == ([], 2, 1)
