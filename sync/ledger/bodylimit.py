"""Request body limits, enforced while the body is read, for every endpoint.

Checking Content-Length alone let a chunked ``POST /v1/enroll`` of 200 MB, without a
token, be read into memory in full before the 413. Here the ASGI ``receive`` channel
is counted: past the route's limit the read stops with ``BodyTooLarge`` (a 413 with
``{error, message}``), whatever the headers said, before the next chunk is taken.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

MB = 1024 * 1024


class BodyTooLarge(Exception):
    def __init__(self, limit: int):
        super().__init__(f"request body over {limit} bytes")
        self.limit = limit


def too_large_body(limit: int) -> bytes:
    return json.dumps(
        {
            "error": "body_too_large",
            "message": f"请求内容超过 {limit // 1024} KB / the request body is over {limit // 1024} KB",
        },
        ensure_ascii=False,
    ).encode("utf-8")


class BodyLimit:
    """ASGI middleware: ``limit_for(method, path)`` gives each request its byte limit."""

    def __init__(self, app: Any, limit_for: Callable[[str, str], int]) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["method"], scope["path"])
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                declared = value.decode("latin-1").strip()
                if not declared.isdigit() or int(declared) > limit:
                    await self._refuse(send, limit)
                    return
        seen = 0

        async def counted() -> dict:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, counted, send)

    @staticmethod
    async def _refuse(send: Callable, limit: int) -> None:
        body = too_large_body(limit)
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
