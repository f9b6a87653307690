"""Reward pictures travel from a real ledger process to the kiosk's data folder: fetched when
their digest changes, checked before they replace the old file, and never in the way of events.
The kiosk's own catalog edits never erase the ledger's picture reference."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import requests
from PIL import Image
from requests.adapters import HTTPAdapter

from kiosk.ui import flows
from sync.agent import picture_path, sync_once
from tests.dbpeek import rows


def photo(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (400, 300), colour).save(out, "JPEG")
    return out.getvalue()


def upload(ledger, item_id: str, colour: str) -> str:
    r = requests.put(
        f"{ledger.url}/v1/admin/catalog/{item_id}/image",
        data=photo(colour),
        headers=ledger.admin(),
        timeout=10,
    )
    assert r.status_code == 200, r.text
    item = r.json()["item"]
    assert (
        item["image"] == f"images/{item_id}.png"
        and item["image_url"] == f"/v1/images/{item_id}.png"
    )
    return item["image_sha256"]


def served(ledger, site, item_id: str) -> bytes:
    r = requests.get(
        f"{ledger.url}/v1/images/{item_id}.png",
        timeout=10,
        headers={"Authorization": f"Bearer {site.store.setting('ledger_token')}"},
    )
    assert r.status_code == 200
    return r.content


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class CorruptingAdapter(HTTPAdapter):
    """The network flips bytes of every picture on the way (a broken proxy, a bad cable)."""

    def send(self, request, **kw):
        resp = super().send(request, **kw)
        if "/v1/images/" in (request.url or ""):
            body = bytearray(resp.content)
            body[len(body) // 2] ^= 0xFF
            resp._content = bytes(body)
        return resp


def corrupting_session() -> requests.Session:
    s = requests.Session()
    s.mount("http://", CorruptingAdapter())
    return s


def test_pictures_are_fetched_replaced_and_checked(ledger, make_site):
    site = make_site(ledger, "service-center")
    target = picture_path(site.store.path.parent, "towel")
    assert target == site.store.path.parent / "images" / "towel.png" and not target.exists()

    first = upload(ledger, "towel", "red")
    result = sync_once(site.store, clock=site.clock)
    assert result["ok"] and result["images"]["fetched"] == 1
    assert target.read_bytes() == served(ledger, site, "towel") and sha(target) == first
    # The screens show exactly that file, whatever else is around.
    [towel] = [i for i in flows.catalog_items(site.kiosk, "", 0, True, 0) if i.item_id == "towel"]
    assert towel.image == str(target)
    again = sync_once(site.store, clock=site.clock)
    assert again["images"] == {"fetched": 0, "failed": 0, "current": 1, "left": 0}

    # A new picture at the ledger replaces the file at the next round.
    second = upload(ledger, "towel", "blue")
    assert second != first
    assert sync_once(site.store, clock=site.clock)["images"]["fetched"] == 1
    assert sha(target) == second and target.read_bytes() == served(ledger, site, "towel")

    # A corrupted download is discarded: the old picture stays, events still go through.
    third = upload(ledger, "towel", "green")
    assert site.kiosk.restock("S0001", "towel", 2).ok
    broken = corrupting_session()
    result = sync_once(site.store, session=broken, clock=site.clock)
    broken.close()
    assert result["ok"] and result["accepted"] == 1 and site.store.pending_count() == 0
    assert result["images"]["failed"] == 1 and result["images"]["fetched"] == 0
    assert sha(target) == second
    assert sorted(p.name for p in target.parent.iterdir()) == [
        "towel.png"
    ]  # no temporary file left
    # ...and is fetched again next round, though the feed has nothing new about it.
    result = sync_once(site.store, clock=site.clock)
    assert result["images"]["fetched"] == 1 and sha(target) == third

    # A picture deleted from the data folder comes back.
    target.unlink()
    assert (
        sync_once(site.store, clock=site.clock)["images"]["fetched"] == 1 and sha(target) == third
    )


def test_an_unreachable_picture_never_fails_the_round(ledger, make_site):
    site = make_site(ledger, "service-center")
    upload(ledger, "oil-1l", "yellow")
    # The ledger's picture row goes missing (a restore from an older backup): 404 for it.
    store = ledger.store()
    rows(store, "DELETE FROM catalog_images WHERE item_id = 'oil-1l'")
    store.close()
    assert site.kiosk.restock("S0001", "oil-1l", 1).ok
    result = sync_once(site.store, clock=site.clock)
    assert result["ok"] and site.store.pending_count() == 0
    assert result["images"]["failed"] == 1
    assert not (site.store.path.parent / "images" / "oil-1l.png").exists()


def test_kiosk_catalog_edits_keep_the_ledger_picture(ledger, make_site):
    site = make_site(ledger, "service-center")
    sha_towel = upload(ledger, "towel", "red")
    assert sync_once(site.store, clock=site.clock)["ok"]
    local = site.store.path.parent / "images" / "towel.png"
    assert site.store.catalog_item("towel").image == "images/towel.png"

    # Staff edit the towel on the kiosk: no picture given, then the resolved local path.
    names = dict(site.store.catalog_item("towel").names)
    assert site.kiosk.upsert_catalog_item("S0001", "towel", names, 35, image="").ok
    assert site.kiosk.upsert_catalog_item("S0001", "towel", names, 40, image=str(local)).ok
    sent = [e.payload for e in site.store.events_after(0, 10_000) if e.type == "catalog.upsert"]
    assert [p["image"] for p in sent] == ["images/towel.png", "images/towel.png"]

    # A new reward gets its picture at the ledger after this kiosk last synced; staff edit it
    # here before the kiosk hears of the picture: the edit must not erase it.
    r = requests.post(
        f"{ledger.url}/v1/admin/catalog/umbrella",
        headers=ledger.admin(),
        timeout=10,
        json={"names": {"zh-Hans": "雨伞", "en": "Umbrella"}, "cost": 50},
    )
    assert r.status_code == 200, r.text
    assert sync_once(site.store, clock=site.clock)["ok"]
    assert site.store.catalog_item("umbrella").image == ""
    sha_umbrella = upload(ledger, "umbrella", "black")
    assert site.kiosk.upsert_catalog_item(
        "S0001", "umbrella", {"zh-Hans": "雨伞", "en": "Umbrella"}, 60
    ).ok
    assert "image" not in site.store.events_after(0, 10_000)[-1].payload
    result = sync_once(site.store, clock=site.clock)
    assert result["ok"] and result["accepted"] == 1

    held = ledger.store()
    try:
        from sync.ledger.staff import catalog

        at_ledger = {i["item_id"]: i for i in catalog.list_items(held)}
    finally:
        held.close()
    for item_id, digest in (("towel", sha_towel), ("umbrella", sha_umbrella)):
        item = at_ledger[item_id]
        assert item["image"] == f"images/{item_id}.png" and item["image_sha256"] == digest
    assert at_ledger["towel"]["cost"] == 40 and at_ledger["umbrella"]["cost"] == 60
    assert site.store.catalog_item("umbrella").image == "images/umbrella.png"
    assert sha(site.store.path.parent / "images" / "umbrella.png") == sha_umbrella
