"""Attack 7, at the kiosk: ``kiosk.db`` holds the ledger token and volunteers' names, so
it, its WAL and SHM are 0600 and its folder 0700, whatever the umask."""

from __future__ import annotations

import os
import stat

import pytest

from kiosk.store import Store


def mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def loose_umask():
    old = os.umask(0o002)  # a shell or service that would make everything group-writable
    yield
    os.umask(old)


def test_a_new_kiosk_store_is_private(tmp_path, loose_umask):
    data = tmp_path / "data"
    store = Store.in_dir(data, create=True)
    store.set_settings(ledger_token="secret-token")
    assert (data / "kiosk.db-wal").exists() and (data / "kiosk.db-shm").exists()
    assert mode(data) == 0o700
    for name in ("kiosk.db", "kiosk.db-wal", "kiosk.db-shm"):
        assert mode(data / name) == 0o600, name
    store.close()


def test_an_older_readable_store_is_made_private_when_opened(tmp_path, loose_umask):
    store = Store.in_dir(tmp_path / "data", create=True)
    store.close()
    for path in [tmp_path / "data", *(tmp_path / "data").iterdir()]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)
    Store.in_dir(tmp_path / "data").close()
    assert mode(tmp_path / "data") == 0o700
    assert {mode(p) for p in (tmp_path / "data").iterdir()} == {0o600}
