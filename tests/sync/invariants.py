"""DESIGN section 6 checked against real stores: exactly once, and balances and stock
equal to a replay of every kiosk's events on top of the opening figures."""

from __future__ import annotations

from collections import Counter

from kiosk.store import Store
from sync.ledger.db import LedgerDB


def opening(snapshot: dict) -> tuple[Counter, Counter]:
    balances: Counter = Counter()
    stock: Counter = Counter()
    for ch in snapshot["changes"]:
        if ch["kind"] == "balance":
            balances[ch["key"]] += ch["data"]["balance"]
        elif ch["kind"] == "stock":
            stock[(ch["data"]["site_id"], ch["data"]["item_id"])] += ch["data"]["qty"]
    return balances, stock


def replay(
    snapshot: dict, stores: list[Store], *, upto: dict[str, int] | None = None
) -> tuple[Counter, Counter]:
    """Opening figures plus every point and stock move the kiosks themselves recorded
    (each kiosk's projections are its own replay of its events)."""
    balances, stock = opening(snapshot)
    for store in stores:
        limit = (upto or {}).get(store.setting("kiosk_id"), 1 << 62)
        for vid, delta in store.conn.execute(
            "SELECT volunteer_id, delta FROM point_moves WHERE seq <= ?", (limit,)
        ):
            balances[vid] += delta
        for site, item, delta in store.conn.execute(
            "SELECT site_id, item_id, delta FROM stock_moves WHERE seq <= ?", (limit,)
        ):
            stock[(site, item)] += delta
    return balances, stock


def assert_exactly_once(ledger: LedgerDB, stores: list[Store]) -> None:
    held = ledger.events()
    by_kiosk: dict[str, list[dict]] = {}
    for ev in held:
        by_kiosk.setdefault(ev["kiosk_id"], []).append(ev)
    assert len({e["id"] for e in held}) == len(held), "an event id is held twice"
    for store in stores:
        kid = store.setting("kiosk_id")
        mine = by_kiosk.pop(kid, [])
        local = store.events_after(0, 1 << 30)
        assert [e["seq"] for e in mine] == [e.seq for e in local], (
            f"{kid}: ledger seqs differ from the kiosk's"
        )
        for theirs, ours in zip(mine, local, strict=True):
            assert (
                theirs["id"] == ours.id
                and theirs["type"] == ours.type
                and theirs["payload"] == ours.payload
            )
            assert theirs["status"] == "accepted", (
                f"{kid} seq {ours.seq} {theirs['status']}: {theirs['reason']}"
            )
        assert store.acked_seq() == store.last_seq() == len(local)
        assert store.pending_count() == 0
    assert not by_kiosk, f"events from unknown kiosks: {list(by_kiosk)}"


def assert_figures_match(ledger: LedgerDB, stores: list[Store], snapshot: dict) -> None:
    balances, stock = replay(snapshot, stores)
    held_balances = ledger.balances()
    for vid in set(balances) | set(held_balances):
        assert held_balances.get(vid, 0) == balances[vid], f"balance of {vid}"
    journal = ledger.journal_balances()  # the double-entry journal alone gives the same figures
    for vid, balance in held_balances.items():
        assert journal.get(vid, 0) == balance, f"journal of {vid}"
    for key in set(stock) | set(ledger.stock_levels()):
        assert ledger.stock_levels().get(key, 0) == stock[key], f"stock {key}"
    for store in stores:  # after a final pull every kiosk shows the ledger's figures
        for vid in balances:
            assert store.balance(vid) == held_balances.get(vid, 0), (
                f"{store.setting('kiosk_id')} balance {vid}"
            )
        for (site, item), qty in stock.items():
            assert store.stock(site, item) == qty, (
                f"{store.setting('kiosk_id')} stock {site}/{item}"
            )
