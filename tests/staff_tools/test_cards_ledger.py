"""``kiosk-ledger cards`` and ``reissue``: cards signed with the ledger's key that decode at
print size, and a reissued card that every kiosk refuses after its next sync."""

from __future__ import annotations

import json

import cv2

from kiosk.core.codes import sign, verify
from kiosk.scanner import DecodePipeline
from sync.ledger.staff.cards import private_key
from tests.staff_tools.helpers import decode_pdf, xlsx


def test_cards_pdf_from_the_command_decodes_card_by_card(ledger, tmp_path):
    # A bigger roster than one page, including a long foreign name that must still fit.
    rows = [["姓名", "志愿者编号"]] + [[f"测试{i}", f"V0002{i:02d}"] for i in range(10)]
    rows.append(["Maria Fernanda dos Santos Oliveira", "V000300"])
    assert ledger.run("import-roster", xlsx(tmp_path / "r.xlsx", rows))[0] == 0
    pdf = tmp_path / "out" / "cards.pdf"
    code, out, err = ledger.run("cards", "--out", pdf)
    assert code == 0, err
    summary = json.loads(out)
    assert (
        summary["cards"] == 20 and summary["pages"] == 2
    )  # 9 active demo volunteers + 11 new; 10 a page
    found = decode_pdf(pdf, ledger.store.public_key)
    assert len(found) == 20
    ids = sorted(verify(text, ledger.store.public_key).subject_id for text in found)
    assert "V000108" not in ids  # suspended: no card unless asked for
    assert "V000300" in ids and all(i.startswith("V") for i in ids)

    # Chosen people, staff included on request, and the team filter.
    code, out, _ = ledger.run("cards", "S0001", "v000108", "--out", tmp_path / "two.pdf")
    assert code == 0 and json.loads(out)["cards"] == 2
    assert sorted(
        verify(t, ledger.store.public_key).subject_id for t in decode_pdf(tmp_path / "two.pdf")
    ) == ["S0001", "V000108"]
    code, out, _ = ledger.run("cards", "--team", "夕阳红服务队", "--out", tmp_path / "team.pdf")
    assert json.loads(out)["cards"] == 3  # 张晓明, 李秀英, 周建国 (黄美玲 is suspended)
    code, _, err = ledger.run("cards", "V999999", "--out", tmp_path / "x.pdf")
    assert code == 1 and "not in the ledger: V999999" in err


def test_cards_as_pngs_for_phones(ledger, tmp_path):
    code, out, err = ledger.run("cards", "V000101", "V000104", "--png", tmp_path / "png")
    assert code == 0, err
    pipeline = DecodePipeline()
    for vid in ("V000101", "V000104"):
        result = pipeline.decode(cv2.imread(str(tmp_path / "png" / f"{vid}.png")))
        code_ = verify(result.codes[0].text, ledger.store.public_key)
        assert (code_.subject_id, code_.version) == (vid, 1)


def test_reissue_makes_every_kiosk_refuse_the_old_card_after_its_next_sync(ledger, tmp_path):
    front, front_clock = ledger.kiosk("front", "service-center")
    study, _ = ledger.kiosk("study", "xiangshan-study")
    old = sign(private_key(ledger.store), "V", "V000103", 1)
    assert front.scan(old).kind == "signed_in"

    code, out, err = ledger.run(
        "reissue", "V000103", "--reason", "lost at the market", "--out", tmp_path / "new.png"
    )
    assert code == 0, err
    assert json.loads(out)["card_version"] == 2
    new = DecodePipeline().decode(cv2.imread(str(tmp_path / "new.png"))).codes[0].text
    assert verify(new, ledger.store.public_key).version == 2
    assert study.verify(old).ok  # not synced yet: the kiosk cannot know

    for kiosk in (front, study):
        ledger.sync(kiosk)
        refused = kiosk.verify(old)
        assert not refused.ok and refused.reason == "replaced_card"
        assert kiosk.verify(new).ok
    front_clock.now = front_clock.now.replace(hour=11)
    assert front.scan(old).reason == "replaced_card"
    out_ = front.scan(new)
    assert out_.kind == "signed_out" and out_.points > 0  # the session survives the new card

    # The API twin, and the staff card PNG it serves.
    r = ledger.client.post("/v1/admin/volunteers/V000103/reissue?reason=again", headers=ledger.auth)
    assert r.status_code == 200 and r.json()["card_version"] == 3
    png = ledger.client.get("/v1/admin/cards/V000103.png", headers=ledger.auth)
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    (tmp_path / "api.png").write_bytes(png.content)
    third = DecodePipeline().decode(cv2.imread(str(tmp_path / "api.png"))).codes[0].text
    assert verify(third, ledger.store.public_key).version == 3
    ledger.sync(study)
    assert study.verify(new).reason == "replaced_card" and study.verify(third).ok
    assert (
        ledger.client.post("/v1/admin/volunteers/V999999/reissue", headers=ledger.auth).status_code
        == 404
    )
    assert ledger.run("reissue", "V999999")[0] == 1


def test_cards_pdf_over_http(ledger, tmp_path):
    assert ledger.client.get("/v1/admin/cards.pdf").status_code == 401
    r = ledger.client.get("/v1/admin/cards.pdf?ids=V000101,V000102", headers=ledger.auth)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    (tmp_path / "c.pdf").write_bytes(r.content)
    assert sorted(
        verify(t, ledger.store.public_key).subject_id for t in decode_pdf(tmp_path / "c.pdf")
    ) == ["V000101", "V000102"]


def test_a_missing_signing_key_is_explained(ledger, monkeypatch):
    key = ledger.tmp / "ledger.db.signing-key"  # where the fixture's ledger keeps it
    key.rename(ledger.tmp / "moved-key")
    monkeypatch.delenv("KIOSK_LEDGER_KEY", raising=False)
    ledger.store.set_meta(private_key_path=str(ledger.tmp / "gone"))
    code, _, err = ledger.run("cards", "--out", ledger.tmp / "c.pdf")
    assert code == 1 and "the card signing key file is missing" in err


def test_staff_pin_sets_a_pin_for_the_current_card_and_a_reissue_needs_a_new_one(
    ledger, monkeypatch
):
    import io

    from kiosk.core.codes import sign
    from kiosk.staff import StaffGate
    from sync.ledger.staff.cards import private_key

    monkeypatch.setattr("sys.stdin", io.StringIO("111111\n"))
    code, _, err = ledger.run("staff-pin", "S0001")
    assert code == 1 and "太容易猜" in err  # too easy to guess
    monkeypatch.setattr("sys.stdin", io.StringIO("582046\n"))
    code, out, err = ledger.run("staff-pin", "S0001")
    assert code == 0, err
    kiosk, _ = ledger.kiosk("front")
    gate = StaffGate(kiosk)
    card = sign(private_key(ledger.store), "S", "S0001", 1)
    assert gate.try_pin(card, "246810").reason == "wrong_pin"  # the demo PIN is replaced
    assert gate.try_pin(card, "582046").ok
    gate.close()
    code, _, err = ledger.run("reissue", "S0001")
    assert code == 0 and "staff-pin S0001" in err
    ledger.sync(kiosk)
    new_card = sign(private_key(ledger.store), "S", "S0001", 2)
    assert gate.try_pin(new_card, "582046").reason == "no_pin"
