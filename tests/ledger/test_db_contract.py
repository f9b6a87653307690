"""What every storage backend promises (sync/ledger/db/base.py), held through the
``LedgerDB`` interface alone: no SQL here, so the same tests run on each backend that
``ledger_url`` names (tests/pg.py)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from sync.ledger.db import EnrollError, LedgerDB, Person, open_db
from sync.ledger.staff import exports
from tests.demo_ledger import make_demo_ledger

NOW = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)  # 09:00 in China, the demo day
DAY = "2026-11-29"


@pytest.fixture
def db(ledger_url, tmp_path):
    make_demo_ledger(ledger_url, tmp_path / "demo", DAY, lambda: NOW)
    store = open_db(ledger_url)
    yield store
    store.close()


def _kiosk(db: LedgerDB, site: str = "service-center") -> str:
    code = db.create_enrollment_code(site, NOW, timedelta(hours=1))
    return db.enroll(code, "front desk", NOW).kiosk_id


def _restock(kiosk_id: str, seq: int, qty: int = 2, eid: str | None = None) -> dict:
    return {
        "id": eid or f"{kiosk_id}-{seq}",
        "kiosk_id": kiosk_id,
        "seq": seq,
        "type": "stock.restock",
        "occurred_at": "2026-11-29T09:00:00.000+08:00",
        "clock_offset_ms": 0,
        "actor": "S0001",
        "payload": {"site_id": "service-center", "item_id": "towel", "qty": qty},
    }


def test_an_enrollment_code_works_once_and_names_its_site(db):
    code = db.create_enrollment_code("xiangshan-study", NOW, timedelta(hours=1))
    done = db.enroll(code, "study desk", NOW)
    assert done.site_id == "xiangshan-study" and done.kiosk_id.startswith("K-XS-")
    assert db.kiosk_for_token(done.token).kiosk_id == done.kiosk_id
    with pytest.raises(EnrollError) as refused:
        db.enroll(code, "again", NOW)
    assert refused.value.code == "used"
    with pytest.raises(KeyError):
        db.create_enrollment_code("no-such-site", NOW, timedelta(hours=1))


def test_ingest_is_idempotent_and_ordered_per_kiosk(db):
    kid = _kiosk(db)
    before = db.stock_levels()[("service-center", "towel")]
    results, acked = db.ingest(kid, [_restock(kid, 1), _restock(kid, 3)], NOW)
    assert acked == 1 and [r["status"] for r in results] == ["accepted", "pending"]
    results, acked = db.ingest(kid, [_restock(kid, 1), _restock(kid, 2), _restock(kid, 3)], NOW)
    assert acked == 3 and [r["status"] for r in results] == ["duplicate", "accepted", "accepted"]
    assert db.stock_levels()[("service-center", "towel")] == before + 6
    # The same seq with other content is a conflict, kept apart: nothing is overwritten.
    results, acked = db.ingest(kid, [_restock(kid, 2, qty=9)], NOW)
    assert acked == 3 and results[0]["status"] == "conflict"
    assert db.stock_levels()[("service-center", "towel")] == before + 6
    assert [e["seq"] for e in db.events(kid)] == [1, 2, 3]
    assert {x["kind"] for x in db.exceptions()} == {"conflict"}


def test_health_counts_the_kiosks_and_the_events_acknowledged_to_them(db):
    before = db.health()
    kid = _kiosk(db)
    db.ingest(kid, [_restock(kid, 1), _restock(kid, 2), _restock(kid, 4)], NOW)
    assert db.health() == {
        "kiosks": before["kiosks"] + 1,
        "acked_events": before["acked_events"] + 2,  # seq 3 is missing: 4 waits
    }


def test_the_change_feed_has_each_key_once_at_its_latest(db):
    first = db.changes_since(None, 100_000)
    assert first.reset and first.changes
    kid = _kiosk(db)
    db.ingest(kid, [_restock(kid, 1)], NOW)
    page = db.changes_since(first.next_cursor, 100)
    assert not page.reset
    stock = [c for c in page.changes if c["kind"] == "stock"]
    assert [c["key"] for c in stock] == ["service-center/towel"]
    assert stock[0]["data"]["as_of"][kid] == 1
    db.ingest(kid, [_restock(kid, 2)], NOW)
    again = db.changes_since(first.next_cursor, 100)
    keys = [(c["kind"], c["key"]) for c in again.changes]
    assert keys.count(("stock", "service-center/towel")) == 1  # once, at its latest
    assert db.changes_since(again.next_cursor, 100).changes == []
    # A cursor from another database (or epoch) is a reset with the full snapshot.
    assert db.changes_since("other.5", 100).reset
    db.new_feed_epoch()
    assert db.changes_since(again.next_cursor, 100).reset


def test_staff_writes_reach_the_feed_and_reads_see_a_snapshot(db):
    top = db.changes_since(None, 100_000).next_cursor
    with db.write() as tx:
        tx.put_people(
            [Person("V009001", "V", "新人", "夕阳红服务队", "active", 1)],
            "2026-11-29T09:00:00+08:00",
        )
        tx.set_stock("xiangshan-study", "towel", 7, "盘点", "2026-11-29T09:00:00+08:00")
    page = db.changes_since(top, 100)
    assert {(c["kind"], c["key"]) for c in page.changes} >= {
        ("volunteer", "V009001"),
        ("stock", "xiangshan-study/towel"),
    }
    with db.read() as tx:
        assert "V009001" in {p.volunteer_id for p in tx.people()}
        assert tx.stock()[("xiangshan-study", "towel")] == 7


def test_a_failed_staff_write_leaves_nothing(db):
    with pytest.raises(RuntimeError), db.write() as tx:
        tx.set_stock("xiangshan-study", "towel", 99, "", "2026-11-29T09:00:00+08:00")
        raise RuntimeError("staff changed their mind")
    assert db.stock_levels()[("xiangshan-study", "towel")] != 99


def test_reads_never_wait_for_a_writer(db):
    """Reports, the change feed, a volunteer's figures and token checks read a committed
    snapshot while a write transaction is open (a long import, a batch of 500)."""
    kid = _kiosk(db)
    db.ingest(kid, [_restock(kid, 1)], NOW)
    holding, release = threading.Event(), threading.Event()

    def writer() -> None:
        with db.write() as tx:
            tx.set_stock("service-center", "towel", 1234, "", "2026-11-29T09:00:00+08:00")
            holding.set()
            release.wait(30)

    held = threading.Thread(target=writer)
    held.start()
    try:
        assert holding.wait(10)
        done: dict = {}

        def reads() -> None:
            done["feed"] = db.changes_since(None, 100_000)
            done["volunteer"] = db.volunteer("V000101")
            done["export"] = exports.month_tables(db, DAY[:7])
            done["stock"] = db.stock_levels()[("service-center", "towel")]
            done["kiosks"] = db.kiosks()
            done["counts"] = db.counts()

        reader = threading.Thread(target=reads)
        reader.start()
        reader.join(10)
        assert not reader.is_alive(), "a read waited for the open write transaction"
        assert done["stock"] != 1234  # not committed yet: the snapshot before it
        assert done["volunteer"]["volunteer_id"] == "V000101"
    finally:
        release.set()
        held.join(10)
    assert db.stock_levels()[("service-center", "towel")] == 1234


def test_kiosks_are_listed_and_revocation_keeps_their_events(db):
    kid = _kiosk(db)
    db.ingest(kid, [_restock(kid, 1)], NOW)
    (row,) = [k for k in db.kiosks() if k.kiosk_id == kid]
    assert not row.revoked and row.acked_seq == 1 and row.last_push_at is not None
    revoked = db.revoke_kiosk(kid, NOW + timedelta(hours=1), "stolen")
    assert revoked.revoked and revoked.revoked_reason == "stolen"
    again = db.revoke_kiosk(kid, NOW + timedelta(hours=2), "twice")  # the first time stays
    assert again.revoked_at == revoked.revoked_at and again.revoked_reason == "stolen"
    assert [e["seq"] for e in db.events(kid)] == [1]


def test_the_roster_reads_named_rows_only(db):
    """What a roster import reads: the people, phones and i志愿 ids a file names, by index,
    and the highest V-number (ids of other shapes, V1000000 or BK-0012, are not V-numbers)."""
    at = "2026-11-29T09:00:00+08:00"
    with db.write() as tx:
        tx.put_people(
            [
                Person("V099998", "V", "甲", "", "active", 1, "IZ-1"),
                Person("V1000000", "V", "乙", "", "active", 1, "IZ-2"),
                Person("V12345A", "V", "丙", "", "active", 1),
                Person("BK-0012", "V", "丁", "", "active", 1),
            ],
            at,
        )
        tx.put_phones([("V099998", "13900000001"), ("BK-0012", "13900000002")], at)
    with db.read() as tx:
        assert [p.volunteer_id for p in tx.people_of(["BK-0012", "V099998", "nobody"])] == [
            "BK-0012",
            "V099998",
        ]
        assert tx.people_of([]) == []
        assert tx.phones_of(["V099998", "V1000000"]) == {"V099998": "13900000001"}
        assert tx.phone_owners(["13900000002", "13900000009", ""]) == {"13900000002": "BK-0012"}
        assert tx.izhiyuan_owners(["IZ-2", "IZ-3"]) == {"IZ-2": "V1000000"}
        assert tx.last_v_number() == 99998
        # Enough ids for several of a backend's IN lists.
        many = [f"X{i:05d}" for i in range(1200)] + ["V099998"]
        assert [p.volunteer_id for p in tx.people_of(many)] == ["V099998"]
