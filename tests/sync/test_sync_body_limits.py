"""Attack 3, against a real ``kiosk-ledger serve``: a chunked body with no Content-Length
(200 MB, no token, to ``/v1/enroll``; the same to ``/v1/events`` and an upload) is cut
off at the route's limit while it is read, with a 413 and ``{error, message}``, and the
server's memory does not grow with it."""

from __future__ import annotations

import json
import socket
import tempfile
import time
from pathlib import Path

import pytest
import requests

from kiosk.store import Store
from sync.agent import enroll

CHUNK = b"x" * 65536
TOTAL = 200 * 1024 * 1024


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def chunked_post(port: int, path: str, headers: dict[str, str]) -> tuple[int, dict, int]:
    """Send up to 200 MB chunked; stop when the server answers. (status, body, bytes sent)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    head = f"POST {path} HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
    head += "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
    sock.sendall(head.encode())
    sent, reply = 0, b""
    sock.setblocking(False)
    try:
        while sent < TOTAL:
            try:
                reply += sock.recv(65536)
                if b"\r\n\r\n" in reply:
                    break
            except BlockingIOError:
                pass
            try:
                sock.setblocking(True)
                sock.settimeout(5)
                sock.sendall(f"{len(CHUNK):x}\r\n".encode() + CHUNK + b"\r\n")
                sent += len(CHUNK)
            except (BrokenPipeError, ConnectionResetError):
                break
            finally:
                sock.setblocking(False)
        sock.setblocking(True)
        sock.settimeout(30)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            head_end = reply.find(b"\r\n\r\n")
            if head_end >= 0:
                length = next(
                    (
                        int(line.split(b":")[1])
                        for line in reply[:head_end].split(b"\r\n")
                        if line.lower().startswith(b"content-length:")
                    ),
                    0,
                )
                if len(reply) >= head_end + 4 + length:
                    break
            try:
                more = sock.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not more:
                break
            reply += more
    finally:
        sock.close()
    head_end = reply.find(b"\r\n\r\n")
    status = int(reply.split(b" ", 2)[1])
    return status, json.loads(reply[head_end + 4 :] or b"{}"), sent


@pytest.mark.parametrize(
    ("path", "auth"),
    [
        ("/v1/enroll", False),
        ("/v1/events", True),
        ("/v1/admin/roster/import?filename=r.csv", True),
    ],
)
def test_a_chunked_flood_is_cut_off_while_it_is_read(ledger, path, auth):
    headers = {"Content-Type": "application/json"}
    if auth:
        token = ledger.admin_token if "admin" in path else None
        if token is None:  # a real kiosk token for /v1/events
            with tempfile.TemporaryDirectory() as tmp:
                store = Store.in_dir(Path(tmp), create=True)
                assert enroll(store, ledger.url, ledger.enroll_code("service-center"), "k")["ok"]
                token = store.setting("ledger_token")
                store.close()
        headers["Authorization"] = f"Bearer {token}"
    before = rss_mb(ledger.proc.pid)
    status, body, sent = chunked_post(ledger.port, path, headers)
    assert status == 413, body
    assert body["error"] == "body_too_large" and " / " in body["message"]
    assert sent < 64 * 1024 * 1024, f"{sent} bytes were taken before the refusal"
    assert rss_mb(ledger.proc.pid) - before < 40
    # The server is still there for everyone else.
    assert requests.get(f"{ledger.url}/v1/health", timeout=10).json()["status"] == "ok"
