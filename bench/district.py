"""A district-sized ledger, generated: 200,000 volunteers, 100 kiosks, 10 million events.

A district (issue 12): about 50 communities, each with a service centre and a reading room,
one kiosk at each (100 sites, 100 kiosks), about 4,000 registered volunteers per
community (200,000 in all), and a year and a half of history: each kiosk sees a shift,
a redemption or a restock about every three minutes through a nine-hour day, 100,000
events per kiosk, 10 million in the district. Each community also runs a special
activity every week at each of its sites, at 15 points an hour.

The events are what kiosks send (sync protocol v1): sign-ins and sign-outs with the
points the activity's rule gives (``kiosk.core.points``, the kiosk's own arithmetic,
daily cap included), forgotten shifts closed at the end of the day, redemptions a
volunteer can afford at catalog cost, cancellations, restocks and staff adjustments,
each with a time-ordered UUIDv7 id. They go in through the storage interface's
``ingest``, the very code a push runs, kiosk batches of 500 taking turns day by day, so
the projections, the change feed and the exceptions are the ones a real district would
have. Everything is drawn from seeded generators: the same scale gives the same district.

    python bench/district.py --db ledger.db [--scale 0.01]
    python bench/district.py --db postgresql://user@host/db [--scale 1] [--jobs 2]

``--scale`` shrinks every count (0.01: 2,000 volunteers, 100,000 events; the kiosks stay
100). Building the full district takes a while (tens of minutes): bench_district.py keeps
what it built and reuses it (``ensure``).
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import random
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # devtools, bench

from kiosk.core.points import PointsRule, session_points

VERSION = 3  # bump when the district changes: a kept district of another version is rebuilt
TZ = timezone(timedelta(hours=8))
START = date(2025, 6, 2)  # a Monday
DAY_OPEN, DAY_CLOSE = 8, 17  # the kiosks' day, local time
EVENTS_PER_DAY = 180  # per kiosk: one every three minutes
BATCH = 500

GENERAL = PointsRule(points_per_hour=10)
SPECIAL = PointsRule(points_per_hour=15)
# id, zh-Hans, zh-Hant, en, cost, kind, stocked
CATALOG = [
    ("rice-5kg", "大米 5 公斤", "大米 5 公斤", "Rice, 5 kg", 200, "goods", True),
    ("oil-1l", "食用油 1 升", "食用油 1 公升", "Cooking oil, 1 L", 150, "goods", True),
    ("towel", "毛巾", "毛巾", "Towel", 30, "goods", True),
    ("notebook", "笔记本", "筆記本", "Notebook", 20, "goods", True),
    ("room-priority", "活动室优先使用", "活動室優先使用", "Room priority", 50, "privilege", False),
    ("film-ticket", "惠民电影票", "惠民電影票", "Community film ticket", 40, "ticket", False),
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任卢姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严欧莫孔向常汤喆昇彧"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国文斌宇浩凯健俊帆帅旭宁龙林欣怡佳琪梓涵子轩雨泽晨"
TEAMS = [
    "夕阳红服务队",
    "青少年志愿服务队",
    "港澳志愿服务队",
    "博“译”外语志愿服务队",
    "心灵帆船服务队",
]


@dataclass(frozen=True)
class Scale:
    volunteers: int = 200_000
    kiosks: int = 100
    events: int = 10_000_000

    @classmethod
    def of(cls, factor: float) -> Scale:
        full = cls()
        return cls(
            volunteers=max(full.kiosks * 50, round(full.volunteers * factor)),
            kiosks=full.kiosks,
            events=max(full.kiosks * EVENTS_PER_DAY, round(full.events * factor)),
        )

    @property
    def communities(self) -> int:
        return self.kiosks // 2

    @property
    def per_kiosk(self) -> int:
        return self.events // self.kiosks

    @property
    def days(self) -> int:
        """Days of activities laid on: more than the history needs (a day holds a bit
        fewer than EVENTS_PER_DAY events), and then some for the benchmarks' pushes."""
        return math.ceil(self.per_kiosk / (EVENTS_PER_DAY * 0.4)) + 30

    @property
    def label(self) -> str:
        return f"{self.volunteers}v-{self.kiosks}k-{self.events}e"


def site_of(kiosk: int) -> str:
    community, place = divmod(kiosk, 2)
    return f"c{community + 1:02d}-{('center', 'study')[place]}"


def staff_of(kiosk: int) -> str:
    return f"S{kiosk // 2 + 1:04d}"


def volunteer_ids(scale: Scale, kiosk: int) -> list[str]:
    """The volunteers whose home is this kiosk's site (ids V1000000 and up, in order)."""
    per = scale.volunteers // scale.kiosks
    return [f"V{1_000_000 + kiosk * per + j}" for j in range(per)]


def special_id(site: str, day: date) -> str:
    return f"W-{site}-{day:%Y%m%d}"


def _is_special_day(kiosk: int, day: date) -> bool:
    return day.weekday() == kiosk % 5  # a weekday of its own for each site


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="milliseconds")


def reference(scale: Scale) -> Iterator[list[dict]]:
    """The district's reference data, in chunks of changes for ``load_reference``: sites,
    staff, volunteers with opening balances of zero, activities, catalog and stock."""
    rng = random.Random(f"district-roster-{VERSION}")
    end = START + timedelta(days=scale.days + 400)  # general duty runs on past the history
    chunk: list[dict] = []
    for k in range(scale.kiosks):
        site = site_of(k)
        community = k // 2 + 1
        place = ("党群服务中心", "香山书房")[k % 2]
        chunk.append(
            {
                "kind": "site",
                "key": site,
                "data": {
                    "site_id": site,
                    "name_zh": f"第{community}社区{place}",
                    "name_zh_hant": f"第{community}社區{place}",
                    "name_en": f"Community {community} {('Service Center', 'Study')[k % 2]}",
                },
            }
        )
        chunk.append(
            {
                "kind": "activity",
                "key": f"GEN-{site}",
                "data": {
                    "activity_id": f"GEN-{site}",
                    "site_id": site,
                    "title_zh": "日常值班",
                    "title_zh_hant": "日常值班",
                    "title_en": "General duty",
                    "start": datetime(START.year, START.month, START.day, tzinfo=TZ).isoformat(),
                    "end": datetime(end.year, end.month, end.day, tzinfo=TZ).isoformat(),
                    "general": True,
                    "rule": GENERAL.to_dict(),
                },
            }
        )
        for d in range(scale.days):
            day = START + timedelta(days=d)
            if _is_special_day(k, day):
                chunk.append(
                    {
                        "kind": "activity",
                        "key": special_id(site, day),
                        "data": {
                            "activity_id": special_id(site, day),
                            "site_id": site,
                            "title_zh": "社区环境整治",
                            "title_zh_hant": "社區環境整治",
                            "title_en": "Neighbourhood clean-up",
                            "start": datetime.combine(day, datetime.min.time(), TZ)
                            .replace(hour=DAY_OPEN)
                            .isoformat(),
                            "end": datetime.combine(day, datetime.min.time(), TZ)
                            .replace(hour=DAY_CLOSE)
                            .isoformat(),
                            "rule": SPECIAL.to_dict(),
                            "capacity": 40,
                        },
                    }
                )
        for item_id, *_rest, stocked in CATALOG:
            if stocked:
                chunk.append(
                    {
                        "kind": "stock",
                        "key": f"{site}/{item_id}",
                        "data": {"site_id": site, "item_id": item_id, "qty": 20, "as_of": {}},
                    }
                )
    for c in range(scale.communities):
        sid = f"S{c + 1:04d}"
        chunk.append(
            {
                "kind": "volunteer",
                "key": sid,
                "data": {
                    "volunteer_id": sid,
                    "kind": "S",
                    "display_name": f"社工{c + 1}",
                    "team": "社区工作人员",
                    "status": "active",
                    "card_version": 1,
                },
            }
        )
    for item_id, zh, zh_hant, en, cost, kind, _stocked in CATALOG:
        chunk.append(
            {
                "kind": "catalog_item",
                "key": item_id,
                "data": {
                    "item_id": item_id,
                    "names": {"zh-Hans": zh, "zh-Hant": zh_hant, "en": en},
                    "cost": cost,
                    "kind": kind,
                    "monthly_limit": 0,
                    "active": True,
                },
            }
        )
    yield chunk
    chunk = []
    for k in range(scale.kiosks):
        for vid in volunteer_ids(scale, k):
            name = (
                rng.choice(SURNAMES)
                + rng.choice(GIVEN)
                + (rng.choice(GIVEN) * (rng.random() < 0.7))
            )
            chunk.append(
                {
                    "kind": "volunteer",
                    "key": vid,
                    "data": {
                        "volunteer_id": vid,
                        "kind": "V",
                        "display_name": name,
                        "team": rng.choice(TEAMS),
                        "status": "active",
                        "card_version": 1,
                    },
                }
            )
            chunk.append(
                {
                    "kind": "balance",
                    "key": vid,
                    "data": {"volunteer_id": vid, "balance": 0, "minutes_total": 0, "as_of": {}},
                }
            )
            if len(chunk) >= 20_000:
                yield chunk
                chunk = []
    if chunk:
        yield chunk


def _uuid7(ms: int, rng: random.Random) -> str:
    """A UUIDv7 (time-ordered, as kiosks make them) with seeded random bits."""
    value = (ms & ((1 << 48) - 1)) << 80 | 0x7 << 76 | rng.getrandbits(12) << 64
    value |= 0b10 << 62 | rng.getrandbits(62)
    return str(uuid.UUID(int=value))


class KioskDay:
    """One kiosk's events, day after day; ``day(d)`` gives day ``d``'s events."""

    def __init__(
        self, scale: Scale, kiosk: int, kiosk_id: str, first_seq: int = 1, tag: str = "history"
    ):
        self.kiosk = kiosk
        self.kiosk_id = kiosk_id
        self.site = site_of(kiosk)
        self.staff = staff_of(kiosk)
        self.own = volunteer_ids(scale, kiosk)
        self.seq = first_seq - 1
        self.rng = random.Random(f"district-{tag}-{VERSION}-{kiosk}")
        self.balance: dict[str, int] = {}
        self.stock = {item: 20 for item, *_r, stocked in CATALOG if stocked}
        self.redeemed: list[str] = []
        self.offset = self.rng.choice((0, -420, 250, 1200))

    def _event(self, out: list, etype: str, actor: str, payload: dict, at: datetime, eid=None):
        self.seq += 1
        eid = eid or _uuid7(int(at.timestamp() * 1000), self.rng)
        out.append(
            {
                "id": eid,
                "kiosk_id": self.kiosk_id,
                "seq": self.seq,
                "type": etype,
                "occurred_at": _iso(at),
                "clock_offset_ms": self.offset,
                "actor": actor,
                "payload": payload,
            }
        )
        return eid

    def day(self, d: int, n: int = EVENTS_PER_DAY) -> list[dict]:
        rng = self.rng
        day = START + timedelta(days=d)
        opens = datetime.combine(day, datetime.min.time(), TZ).replace(hour=DAY_OPEN)
        closes = opens.replace(hour=DAY_CLOSE)
        special = _is_special_day(self.kiosk, day)
        out: list[dict] = []
        open_: dict[str, tuple[str, str, datetime, datetime]] = {}  # vid -> sid, act, in, end
        credited: dict[str, int] = {}
        t = opens
        mean = (DAY_CLOSE - DAY_OPEN) * 3600 / n

        def close(vid: str, at: datetime, forgotten: bool) -> None:
            sid, act, since, _end = open_.pop(vid)
            minutes = max(0, int((at - since).total_seconds() // 60))
            rule = SPECIAL if act.startswith("W-") else GENERAL
            got, points = session_points(minutes, rule, credited.get(vid, 0))
            credited[vid] = credited.get(vid, 0) + got
            payload = {
                "session_id": sid,
                "activity_id": act,
                "minutes": minutes,
                "credited_minutes": got,
                "points": points,
            }
            if forgotten:
                payload.update(closed_at=_iso(at), reason="forgot_sign_out")
            self._event(
                out,
                "attendance.auto_close" if forgotten else "attendance.sign_out",
                vid,
                payload,
                at,
            )
            self.balance[vid] = self.balance.get(vid, 0) + points

        while len(out) < n:
            due = min(open_, key=lambda v: open_[v][3], default=None)
            if due is not None and open_[due][3] <= t:
                close(due, open_[due][3], forgotten=False)
                continue
            # Whole milliseconds, as a kiosk's clock stamps its events: a sign-out's minutes
            # are counted between the times the ledger reads, or the ledger's recount of
            # a shift 146.9999 minutes long by the kiosk's reckoning says 147.
            t += timedelta(milliseconds=round(rng.expovariate(1 / mean) * 1000))
            if t >= closes:
                break
            r = rng.random()
            if r < 0.62 and len(open_) < 60:
                vid = rng.choice(self.own)
                if vid in open_:
                    continue
                act = (
                    special_id(self.site, day)
                    if special and rng.random() < 0.3
                    else f"GEN-{self.site}"
                )
                forgets = rng.random() < 0.03
                end = (
                    closes + timedelta(hours=12)
                    if forgets
                    else min(
                        t + timedelta(minutes=rng.randint(30, 180)), closes - timedelta(minutes=5)
                    )
                )
                sid = _uuid7(int(t.timestamp() * 1000), rng)
                self._event(
                    out,
                    "attendance.sign_in",
                    vid,
                    {"session_id": sid, "activity_id": act, "site_id": self.site},
                    t,
                    sid,
                )
                open_[vid] = (sid, act, t, end)
            elif r < 0.86:
                item, _zh, _zht, _en, cost, _kind, stocked = rng.choice(CATALOG)
                vid = rng.choice(self.own)
                if self.balance.get(vid, 0) < cost:
                    continue
                if stocked and self.stock[item] <= 0:
                    self._event(
                        out,
                        "stock.restock",
                        self.staff,
                        {"site_id": self.site, "item_id": item, "qty": 20, "reason": "restock"},
                        t,
                    )
                    self.stock[item] += 20
                    continue
                rid = _uuid7(int(t.timestamp() * 1000), rng)
                self._event(
                    out,
                    "redemption.create",
                    vid,
                    {
                        "redemption_id": rid,
                        "item_id": item,
                        "site_id": self.site,
                        "cost": cost,
                        "pickup_no": f"{self.seq % 1000:03d}",
                        "offline": False,
                        "stocked": stocked,
                    },
                    t,
                    rid,
                )
                self.balance[vid] -= cost
                if stocked:
                    self.stock[item] -= 1
                self.redeemed.append(rid)
                del self.redeemed[:-50]  # staff cancel something from the last few days
            elif r < 0.87 and self.redeemed:
                rid = self.redeemed.pop(rng.randrange(len(self.redeemed)))
                self._event(
                    out,
                    "redemption.cancel",
                    self.staff,
                    {"redemption_id": rid, "reason": "changed_mind"},
                    t,
                )
            elif r < 0.96:
                item = rng.choice(sorted(self.stock))
                qty = rng.randint(5, 30)
                self._event(
                    out,
                    "stock.restock",
                    self.staff,
                    {"site_id": self.site, "item_id": item, "qty": qty, "reason": "restock"},
                    t,
                )
                self.stock[item] += qty
            else:
                vid = rng.choice(self.own)
                delta = rng.choice((5, 10, 20))
                self._event(
                    out,
                    "points.adjust",
                    self.staff,
                    {"volunteer_id": vid, "delta": delta, "reason": "staff_adjustment"},
                    t,
                )
                self.balance[vid] = self.balance.get(vid, 0) + delta
        # Whoever is still in at closing forgot: closed at the day's end, as kiosks do.
        for vid in sorted(open_, key=lambda v: open_[v][2]):
            if open_[vid][3] <= closes:
                close(vid, open_[vid][3], forgotten=False)
            else:
                close(vid, closes, forgotten=True)
        return out


# -- building


def _open(url: str):
    from sync.ledger.db import open_db

    return open_db(url)


@dataclass
class Manifest:
    version: int
    scale: dict
    kiosks: list[dict]  # kiosk_id, token, site_id, index
    days: int  # of history: the benchmarks' own events come on the days after
    seconds: float = 0.0
    rejected: int = 0
    bench_runs: int = 0  # bench_district.py's pushes so far: each run's events are new

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=1))

    @classmethod
    def load(cls, path: Path) -> Manifest | None:
        try:
            return cls(**json.loads(path.read_text()))
        except (OSError, ValueError, TypeError):
            return None


def _ingest_kiosks(url: str, scale: Scale, kiosks: list[dict], report: bool) -> tuple[int, int]:
    """The history of these kiosks, day by day, each kiosk's day in batches of 500, until
    each has sent its share of the events; returns (days, events the ledger did not accept)."""
    db = _open(url)
    rejected = 0
    try:
        gens = [KioskDay(scale, k["index"], k["kiosk_id"]) for k in kiosks]
        t0 = time.monotonic()
        d = sent = 0
        while any(gen.seq < scale.per_kiosk for gen in gens):
            for gen in gens:
                room = scale.per_kiosk - gen.seq  # a kiosk's last day is cut to its share
                if room <= 0:
                    continue
                events = gen.day(d)[:room]
                sent += len(events)
                for i in range(0, len(events), BATCH):
                    batch = events[i : i + BATCH]
                    when = datetime.fromisoformat(batch[-1]["occurred_at"]) + timedelta(seconds=5)
                    results, _acked = db.ingest(gen.kiosk_id, batch, when)
                    rejected += sum(1 for r in results if r["status"] != "accepted")
                    if any(r["status"] != "accepted" for r in results):
                        print(
                            "  not accepted:",
                            [r for r in results if r["status"] != "accepted"][:3],
                            file=sys.stderr,
                        )
            d += 1
            if d >= scale.days - 30:
                raise RuntimeError(
                    "the district's days ran out before its events: widen Scale.days"
                )
            if report and d % 20 == 0:
                rate = sent / max(1e-9, time.monotonic() - t0)
                print(
                    f"  day {d}: {sent:,} events, {rate:,.0f} events/s in this job,"
                    f" {rejected:,} not accepted",
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        db.close()
    return d, rejected


def _job(args: tuple) -> tuple[int, int]:
    url, scale_d, kiosks, report = args
    return _ingest_kiosks(url, Scale(**scale_d), kiosks, report)


def build(url: str, scale: Scale, manifest_path: Path, jobs: int = 1) -> Manifest:
    """Make the district in an empty ledger at ``url`` (it must be initialised: keys and
    an admin token, as ``kiosk-ledger init`` makes them)."""
    t0 = time.monotonic()
    db = _open(url)
    try:
        now = datetime.combine(START, datetime.min.time(), TZ).replace(hour=7)
        for chunk in reference(scale):
            db.load_reference(chunk, now)
        kiosks = []
        for k in range(scale.kiosks):
            code = db.create_enrollment_code(site_of(k), now, timedelta(hours=1))
            got = db.enroll(code, f"kiosk {k + 1}", now)
            kiosks.append(
                {"kiosk_id": got.kiosk_id, "token": got.token, "site_id": got.site_id, "index": k}
            )
    finally:
        db.close()
    print(
        f"  reference data and {len(kiosks)} kiosks in {time.monotonic() - t0:.0f} s",
        file=sys.stderr,
    )
    parts = [kiosks[j::jobs] for j in range(jobs)]
    if jobs == 1:
        outcomes = [_ingest_kiosks(url, scale, kiosks, True)]
    else:
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(jobs) as pool:
            outcomes = pool.map(
                _job, [(url, asdict(scale), p, j == 0) for j, p in enumerate(parts)]
            )
    days = max(o[0] for o in outcomes)
    rejected = sum(o[1] for o in outcomes)
    manifest = Manifest(VERSION, asdict(scale), kiosks, days, time.monotonic() - t0, rejected)
    manifest.save(manifest_path)
    return manifest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--db", required=True, help="an empty ledger: a file path or postgresql://...")
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--jobs", type=int, default=1, help="ingest processes (PostgreSQL only)")
    ap.add_argument("--manifest", type=Path, help="where to write the kiosks' ids and tokens")
    args = ap.parse_args(argv)
    from sync.ledger.ops.cli import main as ledger_main

    scale = Scale.of(args.scale)
    if ledger_main(["init", "--db", args.db]) != 0:
        return 1
    manifest = build(
        args.db, scale, args.manifest or Path(f"district-{scale.label}.json"), args.jobs
    )
    print(
        f"district {scale.label}: {manifest.seconds:.0f} s, {manifest.rejected:,} events not accepted"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
