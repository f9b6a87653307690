"""Child process for the durability test: performs actions against a store file and
prints each one only after its commit returned (the moment a screen would confirm it)."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from kiosk.config import KioskConfig
from kiosk.service import Kiosk
from kiosk.store import Store

TZ = ZoneInfo("Asia/Shanghai")


def main(data_dir: str, roster_file: str) -> None:
    with open(roster_file, encoding="utf-8") as fh:
        roster = [p for p in json.load(fh) if p["kind"] == "V"]
    roster = [p for p in roster if p["status"] == "active"]
    store = Store.in_dir(data_dir)
    step = store.last_seq()
    base = datetime(2026, 11, 30, 8, 0, tzinfo=TZ)
    kiosk = Kiosk(store, KioskConfig(), clock=lambda: base + timedelta(minutes=3 * step))
    print("READY", flush=True)
    while True:
        step += 1
        person = roster[step % len(roster)]
        if step % 7 == 0:
            out = kiosk.redeem(person["code"], "towel")
        elif step % 11 == 0:
            out = kiosk.restock("S0001", "towel", 2, "delivery")
        else:
            out = kiosk.scan(person["code"])
        for event_id in out.event_ids:
            sys.stdout.write(f"ACK {event_id}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
