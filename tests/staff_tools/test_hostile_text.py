"""Attacks 1 and 2: text that would be a formula in Excel or WPS, and control characters,
in a roster name, a team, an activity title, a kiosk event's actor or reason. The 台账
XLSX holds them as text cells (no formula anywhere), the CSV and i志愿 files start them
with ``'`` (OWASP), and a value stored before the entrances refused control characters
is escaped on the way out instead of crashing the month's export."""

from __future__ import annotations

import csv
import re
from datetime import datetime

from openpyxl import Workbook, load_workbook

from kiosk.core.codes import sign
from kiosk.core.days import month_of
from sync.ledger.db import sqlite_path
from sync.ledger.staff.cards import private_key
from tests.dbpeek import rows
from tests.staff_tools.helpers import TZ

LINK = '=HYPERLINK("http://x","click")'
NUMBER = re.compile(r"-?\d+(\.\d+)?")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝")


def at(hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 11, 29, hh, mm, tzinfo=TZ)


MONTH = month_of(at(10))  # the month of the activity the tests stage


def text_xlsx(path, rows):
    """A workbook whose cells are text, as a worker typing ="..." with a leading ' makes."""
    wb = Workbook()
    for r, row in enumerate(rows, start=1):
        for c, v in enumerate(row, start=1):
            cell = wb.active.cell(row=r, column=c, value=v)
            cell.data_type = "s"
    wb.save(path)
    return path


def hostile_month(ledger, tmp_path) -> None:
    roster = [["姓名", "志愿者编号", "队伍", "i志愿 ID"]]
    roster += [["张晓明", "V000101", "=1+1", "IZ-1"], [LINK, "V000102", "@SUM(1)", "+IZ"]]
    code, _, err = ledger.run("import-roster", text_xlsx(tmp_path / "r.xlsx", roster))
    assert code == 0, err
    code, _, err = ledger.run(
        "activities", "add", "--id", "A-HOSTILE", "--title", "-2+3 帮厨",
        "--site", "service-center", "--start", "2026-11-29 10:00", "--end", "12:00",
    )  # fmt: skip
    assert code == 0, err
    kiosk, clock = ledger.kiosk("front", "service-center", at(10))
    key = private_key(ledger.store)
    for vid in ("V000101", "V000102"):
        assert kiosk.scan(sign(key, "V", vid, 1), activity_id="A-HOSTILE").kind == "signed_in"
    clock.now = at(11, 30)
    for vid in ("V000101", "V000102"):
        assert kiosk.scan(sign(key, "V", vid, 1)).kind == "signed_out"
    # A kiosk's events carry text the ledger did not write: the actor and the reasons (an
    # actor not on the roster is refused, and its refusal listed with the text as sent).
    assert kiosk.adjust_points("@S0001", "V000101", 5, "=1+1").ok
    assert kiosk.restock("S0001", "towel", 2, '=HYPERLINK("http://x")').ok
    assert kiosk.adjust_stock("S0001", "towel", -1, "-2+2").ok
    ledger.sync(kiosk)


def test_the_xlsx_holds_formula_text_as_text(ledger, tmp_path):
    hostile_month(ledger, tmp_path)
    out = tmp_path / "tz.xlsx"
    code, _, err = ledger.run("export", "--month", MONTH, "--out", out)
    assert code == 0, err
    wb = load_workbook(out)
    formulas, texts = [], set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    formulas.append((ws.title, cell.coordinate, cell.value))
                if isinstance(cell.value, str):
                    texts.add(cell.value)
                    if cell.value.startswith(FORMULA_START):
                        assert cell.quotePrefix, (ws.title, cell.coordinate)
    assert formulas == []
    # The values come out as they were written, not altered or lost.
    assert {LINK, "=1+1", "@SUM(1)", "-2+3 帮厨"} <= texts
    assert any("@S0001" in t for t in texts) and any('=HYPERLINK("http://x")' in t for t in texts)
    # The raw sheet XML: no <f> element anywhere.
    import zipfile

    with zipfile.ZipFile(out) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name)


def test_csv_and_ivolunteer_cells_that_would_be_formulas_start_with_a_quote(ledger, tmp_path):
    hostile_month(ledger, tmp_path)
    code, _, err = ledger.run(
        "export", "--month", MONTH, "--format", "csv", "--out", tmp_path / "csv"
    )
    assert code == 0, err
    iv = tmp_path / "iv.csv"
    code, _, err = ledger.run("export-ivolunteer", "--month", MONTH, "--out", iv)
    assert code == 0, err
    cells = []
    for path in [*sorted((tmp_path / "csv").glob("*.csv")), iv]:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            cells += [c for row in csv.reader(fh) for c in row]
    # A plain number such as -1 is a number to Excel, not a formula.
    risky = [c for c in cells if c.startswith(FORMULA_START) and not NUMBER.fullmatch(c)]
    assert risky == [], risky[:5]
    assert "'" + LINK in cells and "'=1+1" in cells and "'-2+3 帮厨" in cells
    # Numbers stay numbers: a negative stock change is not text.
    assert "-1" in cells


def test_a_control_character_already_stored_does_not_stop_the_month(ledger, tmp_path):
    """Values written before the entrances refused them (or by an old kiosk) still reach the
    台账, escaped, instead of the whole month failing with IllegalCharacterError."""
    hostile_month(ledger, tmp_path)
    # Raw SQL: the entrances refuse these values now, so only the database can still hold
    # them. PostgreSQL cannot store a NUL at all; there the team's value ends in a BEL.
    end, escaped_end = ("\x00", "\\u0000") if sqlite_path(ledger.store.url) else ("\x07", "\\u0007")
    rows(
        ledger.store,
        "UPDATE volunteers SET display_name = ? WHERE volunteer_id = 'V000101'",
        ("张\x07明",),
    )
    rows(
        ledger.store,
        "UPDATE volunteers SET team = ? WHERE volunteer_id = 'V000102'",
        ("\t=5+5" + end,),
    )
    out = tmp_path / "tz.xlsx"
    code, _, err = ledger.run("export", "--month", MONTH, "--out", out)
    assert code == 0, err
    texts = {
        c.value
        for ws in load_workbook(out).worksheets
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str)
    }
    assert "张\\u0007明" in texts and "\t=5+5" + escaped_end in texts
    code, _, err = ledger.run(
        "export", "--month", MONTH, "--format", "csv", "--out", tmp_path / "csv"
    )
    assert code == 0, err
    with next((tmp_path / "csv").glob("*志愿者汇总.csv")).open(encoding="utf-8-sig") as fh:
        cells = [c for row in csv.reader(fh) for c in row]
    assert "'\t=5+5" + escaped_end in cells
    r = ledger.client.get(f"/v1/admin/export?month={MONTH}", headers=ledger.auth)
    assert r.status_code == 200, r.text


def test_a_kiosk_event_with_a_control_character_is_rejected_and_the_queue_moves_on(
    ledger, tmp_path
):
    """Attack 2 at the kiosk entrance: a restock of item ``x\\0y`` is ``rejected`` with its
    reason (listed for staff), the events after it are accepted, and the month exports."""
    kiosk, clock = ledger.kiosk("front", "service-center", at(10))
    assert kiosk.restock("S0001", "x\x00y", 1).ok
    assert kiosk.restock("S\x070001", "towel", 1).ok
    assert kiosk.restock("S0001", "towel", 3).ok
    result = ledger.sync(kiosk)
    assert kiosk.store.pending_count() == 0, result
    rejected = ledger.client.get("/v1/exceptions?kind=rejected", headers=ledger.auth).json()
    reasons = sorted(e["detail"]["reason"] for e in rejected["exceptions"])
    assert reasons == [
        "actor contains a control character (U+0007)",
        "payload.item_id contains a control character (U+0000)",
    ]
    code, _, err = ledger.run("export", "--month", MONTH, "--out", tmp_path / "t.xlsx")
    assert code == 0, err


def test_control_characters_are_refused_at_the_ledgers_entrances(ledger, tmp_path):
    """Attack 2 at the ledger's own doors: a roster file, an activity typed at the command
    line, a reward over HTTP. Each says where and which character; nothing is stored."""
    path = tmp_path / "bel.csv"
    path.write_text("姓名,志愿者编号\n张\x07明,V000150\n", encoding="utf-8")
    code, _, err = ledger.run("import-roster", path)
    assert code == 1 and "第 2 行第 1 列" in err and "U+0007" in err
    csv_path = tmp_path / "r.csv"
    csv_path.write_text("姓名,志愿者编号\n李\x00四,V000151\n", encoding="utf-8")
    code, _, err = ledger.run("import-roster", csv_path)
    assert code == 1 and "U+0000" in err
    code, _, err = ledger.run(
        "activities", "add", "--title", "帮厨\u202e", "--site", "service-center",
        "--start", "2026-11-29 10:00", "--end", "12:00",
    )  # fmt: skip
    assert code == 1 and "--title" in err and "U+202E" in err
    r = ledger.client.post(
        "/v1/admin/catalog/towel",
        content='{"names": {"zh-Hans": "毛巾\\u0007"}}'.encode(),
        headers={**ledger.auth, "Content-Type": "application/json"},
    )
    assert r.status_code == 422 and r.json()["error"] == "invalid_text"
    assert ledger.store.volunteer("V000150") is None and ledger.store.volunteer("V000151") is None
