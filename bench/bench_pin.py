"""Staff PIN cost: what one guess costs a thief who has both a stolen kiosk's file and the
staff card, and how long a staff member waits for the right PIN. Target: a guess >= 0.5 s
(Argon2id, 128 MiB), the right PIN answered <= 1 s. The reference, measured in the same
run, is the PBKDF2 hash kiosks held before (60,000 rounds of SHA-256).

    .venv/bin/python bench/bench_pin.py [--runs 7]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import figures
from kiosk.config import KioskConfig
from kiosk.core.codes import generate_keypair, sign
from kiosk.core.pins import PIN_KDF, check_pin, hash_pin, parse_hash
from kiosk.service import Kiosk
from kiosk.staff import StaffGate
from kiosk.store import Store, apply_changes


def timed(fn, runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    keys = generate_keypair()
    code = sign(keys.private_key, "S", "S0001", 1)
    sig = code.rsplit(".", 1)[1]
    stored = hash_pin("246810", sig, 1)
    parsed = parse_hash(stored)
    assert parsed is not None
    salt = os.urandom(16)

    guess = timed(lambda: check_pin("135790", sig, parsed), args.runs)
    pbkdf2 = timed(lambda: hashlib.pbkdf2_hmac("sha256", b"135790", salt, 60_000), args.runs)

    with tempfile.TemporaryDirectory() as tmp:
        store = Store.in_dir(Path(tmp), create=True)
        store.set_settings(kiosk_id="K-BENCH", site_id="service-center")
        apply_changes(
            store,
            [
                {"kind": "volunteer", "key": "S0001", "data": {"kind": "S", "card_version": 1}},
                {"kind": "staff_pin", "key": "S0001", "data": {"pin_hash": stored}},
            ],
            public_key=keys.public_key,
        )
        gate = StaffGate(Kiosk(store, KioskConfig(), clock=lambda: datetime.now(UTC)))

        def login() -> None:
            assert gate.try_pin(code, "246810").ok
            gate.close("leave")

        right = timed(login, args.runs)
        store.close()

    p = PIN_KDF
    print(
        f"Argon2id m={p.memory_kib // 1024} MiB t={p.time_cost} p={p.parallelism}, {args.runs} runs"
    )
    print(
        f"  one guess (thief with file and card): median {statistics.median(guess):.3f} s, min {min(guess):.3f} s"
    )
    print(
        f"  right PIN at the kiosk, end to end:   median {statistics.median(right):.3f} s, max {max(right):.3f} s"
    )
    print(f"  reference, old PBKDF2 60k guess:      median {statistics.median(pbkdf2):.3f} s")
    print(
        f"  a million 6-digit PINs on one core: {statistics.median(guess) * 1e6 / 86400:.0f} days"
        f" (old hash: {statistics.median(pbkdf2) * 1e6 / 3600:.1f} hours)"
    )
    print(f"  load average: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    ref = f"old PBKDF2 guess {statistics.median(pbkdf2):.3f} s; load {os.getloadavg()[0]:.1f}"
    figures.report(
        "pin", "one guess, median", statistics.median(guess), "s", target=(">=", 0.5), reference=ref
    )
    figures.report(
        "pin", "right PIN at the kiosk, max", max(right), "s", target=("<=", 1.0), reference=ref
    )


if __name__ == "__main__":
    main()
