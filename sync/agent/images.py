"""Reward pictures from the ledger, kept in ``<data-dir>/images/<item_id>.png``.

A catalog change carries ``image_url`` and ``image_sha256``. Before each page of the feed
is applied, the pictures it names are added to the kiosk's wanted list (setting
``ledger_images``: ``{item_id: [url, sha256]}``), so a picture whose download fails is
tried again next round even though the cursor has moved past its change. After the pull,
``fetch_images`` downloads each wanted picture whose file is missing or has another
digest: into a temporary file beside it, checked against the digest, then renamed over
the old one. A failed or corrupted download leaves the old picture in place. Pictures
never hold up events: they are fetched after the push and pull, within a time budget,
and a failure never fails the round.

The UI (``kiosk.ui.flows.resolve_image``) looks for ``images/<item_id>.png`` in the data
folder first; ``picture_path`` is that name.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import tempfile
import time
from pathlib import Path
from typing import Any

from kiosk.store import Store

from .client import LedgerClient, PermanentFailure, TemporaryFailure

log = logging.getLogger("sync.agent")

SETTING = "ledger_images"
IMAGES_DIR = "images"
ITEM_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")  # as the ledger allows; never a path
SHA256 = re.compile(r"[0-9a-f]{64}")
MAX_BYTES = 4 * 1024 * 1024  # the ledger serves 256 x 256 PNGs of a few tens of KB
BUDGET_S = 10.0  # per round; what is left is fetched next round


def picture_path(data_dir: Path, item_id: str) -> Path | None:
    """Where the ledger's picture of ``item_id`` is kept; None for an id that is not a plain name."""
    if not ITEM_ID.fullmatch(item_id) or ".." in item_id:
        return None
    return Path(data_dir) / IMAGES_DIR / f"{item_id}.png"


def wanted(store: Store) -> dict[str, tuple[str, str]]:
    try:
        raw = json.loads(store.setting(SETTING) or "{}")
    except ValueError:
        return {}
    out = {}
    for item_id, pair in raw.items() if isinstance(raw, dict) else ():
        if isinstance(pair, list) and len(pair) == 2 and all(isinstance(x, str) for x in pair):
            out[item_id] = (pair[0], pair[1])
    return out


def note_wanted(store: Store, changes: list[dict[str, Any]]) -> None:
    """Add the pictures a page of changes names to the wanted list (before the page is applied)."""
    found: dict[str, tuple[str, str] | None] = {}
    for change in changes:
        if not isinstance(change, dict) or change.get("kind") != "catalog_item":
            continue
        data = change.get("data") or {}
        url, sha = data.get("image_url"), data.get("image_sha256")
        if isinstance(url, str) and url and isinstance(sha, str) and SHA256.fullmatch(sha):
            found[str(change.get("key"))] = (url, sha)
        else:
            found[str(change.get("key"))] = None
    if not found:
        return
    current = wanted(store)
    merged = dict(current)
    for item_id, pair in found.items():
        if pair is None:
            merged.pop(item_id, None)  # no picture at the ledger: keep whatever file is here
        else:
            merged[item_id] = pair
    if merged != current:
        store.set_settings(**{SETTING: json.dumps({k: list(v) for k, v in sorted(merged.items())})})


def _digest(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _same_ledger(client: LedgerClient, url: str) -> str | None:
    """The path to ask for: a relative url, or an absolute one on the ledger itself (the
    token is never sent anywhere else)."""
    if url.startswith("/") and not url.startswith("//"):
        return url
    if url.startswith(client.base_url + "/"):
        return url[len(client.base_url) :]
    return None


def fetch_images(
    store: Store, client: LedgerClient, *, budget_s: float = BUDGET_S
) -> dict[str, int]:
    """Download the wanted pictures that are missing or changed. Returns counts:
    ``fetched``, ``failed``, ``current`` (already right), ``left`` (for the next round)."""
    counts = {"fetched": 0, "failed": 0, "current": 0, "left": 0}
    want = wanted(store)
    if not want:
        return counts
    data_dir = store.path.parent
    deadline = time.monotonic() + budget_s
    for item_id, (url, sha) in sorted(want.items()):
        target = picture_path(data_dir, item_id)
        path = _same_ledger(client, url)
        if target is None or path is None:
            log.warning("picture of %r not fetched: unusable item id or url %r", item_id, url)
            counts["failed"] += 1
            continue
        if _digest(target) == sha:
            counts["current"] += 1
            continue
        if time.monotonic() > deadline:
            counts["left"] += 1
            continue
        try:
            body = client.fetch_bytes(path, max_bytes=MAX_BYTES)
        except (TemporaryFailure, PermanentFailure) as exc:
            log.info("picture of %s not fetched (tried again next round): %s", item_id, exc)
            counts["failed"] += 1
            continue
        try:
            if _store_file(target, body, sha):
                counts["fetched"] += 1
            else:
                log.warning("picture of %s discarded: its digest is not %s", item_id, sha)
                counts["failed"] += 1
        except OSError as exc:
            log.warning("picture of %s not saved: %s", item_id, exc)
            counts["failed"] += 1
    return counts


def _store_file(target: Path, body: bytes, sha: str) -> bool:
    """Write ``body`` to a temporary file beside ``target``, check it, rename it over ``target``."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".tmp", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(body)
            f.flush()
            os.fsync(f.fileno())
        if _digest(tmp) != sha:
            return False
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    try:  # the rename itself survives a power cut once the folder is synced
        dir_fd = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass
    return True
