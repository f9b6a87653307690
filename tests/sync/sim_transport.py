"""A ``requests`` adapter that calls the ledger's FastAPI app in-process (no sockets),
and injects network faults drawn from a seeded random source.

Faults: the request is lost; the answer is lost after the ledger committed; the
request is delivered twice; a copy is held back and delivered later, out of order;
the answer is cut midway; the ledger answers 503; the kiosk is cut off (partition).
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict


@dataclass
class Wire:
    """What the kiosks and the ledger share: the app of the moment, the faults, the clock of delivery."""

    app: Any
    rng: random.Random
    fault_rate: float = 0.0
    loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.new_event_loop)
    held: list[tuple] = field(default_factory=list)
    log: list[str] = field(default_factory=list)

    def call(
        self, method: str, url: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict, bytes]:
        return self.loop.run_until_complete(_asgi(self.app, method, url, headers, body))

    def deliver_held(self) -> None:
        """Old copies of requests arrive now, after newer ones: out of order, answers ignored."""
        held, self.held = self.held, []
        self.rng.shuffle(held)
        for request in held:
            self.call(*request)

    def close(self) -> None:
        self.loop.close()


async def _asgi(
    app: Any, method: str, url: str, headers: dict[str, str], body: bytes
) -> tuple[int, dict, bytes]:
    parts = urlsplit(url)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": parts.path,
        "raw_path": parts.path.encode(),
        "query_string": parts.query.encode(),
        "root_path": "",
        "headers": [(k.lower().encode(), str(v).encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 1),
        "server": ("ledger", 80),
    }
    delivered = False
    status, out_headers, chunks = 500, {}, []

    async def receive() -> dict:
        nonlocal delivered
        if delivered:
            return {"type": "http.disconnect"}
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict) -> None:
        nonlocal status, out_headers
        if message["type"] == "http.response.start":
            status = message["status"]
            out_headers = {k.decode(): v.decode() for k, v in message.get("headers", [])}
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, out_headers, b"".join(chunks)


class FaultyAdapter(BaseAdapter):
    def __init__(self, wire: Wire, name: str):
        super().__init__()
        self.wire = wire
        self.name = name
        self.partitioned = False

    def _fault(self) -> str | None:
        w = self.wire
        if w.fault_rate and w.rng.random() < w.fault_rate:
            return w.rng.choice(
                ["lose_request", "lose_answer", "duplicate", "hold_copy", "cut_answer", "503"]
            )
        return None

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        if self.partitioned:
            raise requests.ConnectionError(f"{self.name}: network unreachable")
        fault = self._fault()
        if fault:
            self.wire.log.append(
                f"{self.name} {request.method} {urlsplit(request.url).path} {fault}"
            )
        body = request.body or b""
        if isinstance(body, str):
            body = body.encode()
        call = (request.method, request.url, dict(request.headers), body)
        if fault == "lose_request":
            raise requests.ConnectionError("request lost")
        if fault == "503":
            return _response(request, 503, {}, b'{"error":"unavailable"}')
        if fault == "duplicate":
            self.wire.call(*call)
        if fault == "hold_copy":
            self.wire.held.append(call)
        status, headers, content = self.wire.call(*call)
        if fault == "lose_answer":
            raise requests.ReadTimeout("answer lost after the ledger committed")
        if fault == "cut_answer":
            content = content[: len(content) // 2]
        return _response(request, status, headers, content)

    def close(self) -> None:
        pass


def _response(
    request: requests.PreparedRequest, status: int, headers: dict, content: bytes
) -> requests.Response:
    resp = requests.Response()
    resp.status_code = status
    resp.headers = CaseInsensitiveDict(headers)
    resp._content = content
    resp.encoding = "utf-8"
    resp.url = request.url or ""
    resp.request = request
    return resp


def session_for(wire: Wire, name: str) -> tuple[requests.Session, FaultyAdapter]:
    session = requests.Session()
    adapter = FaultyAdapter(wire, name)
    session.mount("http://ledger", adapter)
    return session, adapter
