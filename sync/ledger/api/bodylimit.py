"""Request body limits, enforced while the body is read, for every endpoint; and one
gate for JSON bodies, so no handler meets JSON it cannot take.

Checking Content-Length alone let a chunked ``POST /v1/enroll`` of 200 MB, without a
token, be read into memory in full before the 413. Here the ASGI ``receive`` channel
is counted: past the route's limit the read stops with ``BodyTooLarge`` (a 413 with
``{error, message}``), whatever the headers said, before the next chunk is taken.

JSON bodies (all but a kiosk's push, whose bad events are rejected one by one and
never refuse the batch) are checked before the route sees them: nesting deeper than
``MAX_DEPTH``, integers beyond 18 digits, NaN and Infinity, lone surrogates and
control characters are a 400 or 422 with ``{error, message}``, not a 500 from deep
inside a handler (a 5,000-digit activity capacity, ``qty: Infinity``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

from kiosk.core.text import bad_char

MB = 1024 * 1024
MAX_DEPTH = 32
MAX_INT_DIGITS = 18


class JsonRefused(Exception):
    def __init__(self, status: int, error: str, message: str):
        super().__init__(message)
        self.status, self.error, self.message = status, error, message


def _depth(raw: bytes) -> int:
    """The deepest nesting of [ and { outside strings (json.loads itself would recurse)."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH:
        return 0
    depth = deepest = 0
    in_string = escaped = False
    for byte in raw:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_DEPTH:
                    return deepest
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return deepest


def _int(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise JsonRefused(
            422,
            "number_out_of_range",
            f"数字太大（{len(text)} 位）/ a number is too large ({len(text)} digits)",
        )
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise JsonRefused(422, "number_out_of_range", "数字超出范围 / a number is out of range")
    return value


def _constant(name: str) -> float:
    raise JsonRefused(
        422, "number_out_of_range", f"不接受 {name} / {name} is not a number this ledger takes"
    )


def _texts(value: Any, depth: int = 0) -> None:
    if isinstance(value, str):
        if (bad := bad_char(value, multiline=True)) is not None:
            raise JsonRefused(
                422,
                "invalid_text",
                f"文字中有控制字符 {bad}，请删除 / a text holds a control character ({bad}): remove it",
            )
    elif isinstance(value, dict):
        for k, v in value.items():
            _texts(k, depth + 1)
            _texts(v, depth + 1)
    elif isinstance(value, list):
        for v in value:
            _texts(v, depth + 1)


def check_json(raw: bytes) -> Any:
    """The parsed body, or JsonRefused: what no route of this ledger can take."""
    if _depth(raw) > MAX_DEPTH:
        raise JsonRefused(
            400,
            "malformed_json",
            f"JSON 嵌套超过 {MAX_DEPTH} 层 / JSON nested deeper than {MAX_DEPTH}",
        )
    try:
        value = json.loads(raw, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise JsonRefused(
            400, "malformed_json", f"请求内容不是有效的 JSON / the body is not valid JSON: {exc}"
        ) from None
    _texts(value)
    return value


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

    def __init__(
        self,
        app: Any,
        limit_for: Callable[[str, str], int],
        json_gate: Callable[[str, str], bool] = lambda _m, _p: False,
    ) -> None:
        self.app = app
        self.limit_for = limit_for
        self.json_gate = json_gate

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

        is_json = any(
            name == b"content-type" and value.split(b";")[0].strip().lower() == b"application/json"
            for name, value in scope.get("headers", ())
        )
        if not (is_json and self.json_gate(scope["method"], scope["path"])):
            await self.app(scope, counted, send)
            return
        # Read it all (within the limit), check it, then hand the same bytes to the route.
        chunks: list[bytes] = []
        try:
            while True:
                message = await counted()
                if message["type"] != "http.request":
                    break
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    break
        except BodyTooLarge:
            await self._refuse(send, limit)
            return
        raw = b"".join(chunks)
        if raw.strip():
            try:
                check_json(raw)
            except JsonRefused as exc:
                await self._answer(send, exc.status, {"error": exc.error, "message": exc.message})
                return
        replayed = False

        async def replay() -> dict:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": raw, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    @staticmethod
    async def _answer(send: Callable, status: int, obj: dict) -> None:
        body = json.dumps(obj, ensure_ascii=False).encode("utf-8")
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

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
