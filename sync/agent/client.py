"""HTTP to the ledger: one ``requests.Session``, connect and read timeouts, and every
failure sorted into temporary (retry the same request later) or permanent."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import requests

from sync.protocol import PROTOCOL_HEADER, PROTOCOL_VERSION

CONNECT_TIMEOUT = 3.05
READ_TIMEOUT = 15.0


class TemporaryFailure(Exception):
    """Network down, timeout, 5xx, a cut-off answer: nothing changed that a resend would not fix."""


class PermanentFailure(Exception):
    """The ledger refused the request itself (bad token, malformed): resending will not help."""

    def __init__(self, code: str, message: str, status: int):
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


class BatchTooLarge(PermanentFailure):
    pass


@dataclass
class LedgerClient:
    base_url: str
    token: str | None = None
    session: requests.Session | None = None
    timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT)

    def __post_init__(self) -> None:
        self.base_url = self.base_url.rstrip("/")
        if self.session is None:
            self.session = requests.Session()

    def _request(
        self, method: str, path: str, body: Any = None, params: dict | None = None
    ) -> dict[str, Any]:
        # The protocol this kiosk speaks (the ledger refuses a push it cannot take: 426/400).
        headers = {"Accept": "application/json", PROTOCOL_HEADER: str(PROTOCOL_VERSION)}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            headers["Content-Type"] = "application/json"
            data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        try:
            resp = self.session.request(
                method,
                self.base_url + path,
                data=data,
                params=params,
                headers=headers,
                timeout=self.timeout,
            )
            text = resp.content
        except requests.RequestException as exc:
            raise TemporaryFailure(f"{type(exc).__name__}: {exc}") from exc
        if resp.status_code >= 500 or resp.status_code in (408, 429):
            raise TemporaryFailure(f"ledger answered {resp.status_code}")
        try:
            payload = json.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            # A body cut midway parses as nothing: treat it like a lost answer.
            raise TemporaryFailure(
                f"unreadable answer ({resp.status_code}, {len(text)} bytes)"
            ) from exc
        if resp.status_code >= 400:
            err = payload if isinstance(payload, dict) else {}
            cls = BatchTooLarge if resp.status_code == 413 else PermanentFailure
            raise cls(
                str(err.get("error", resp.status_code)),
                str(err.get("message", err.get("detail", ""))),
                resp.status_code,
            )
        if not isinstance(payload, dict):
            raise TemporaryFailure("answer is not a JSON object")
        return payload

    def enroll(self, code: str, kiosk_name: str, site_id: str | None = None) -> dict[str, Any]:
        body = {"enrollment_code": code, "kiosk_name": kiosk_name}
        if site_id is not None:
            body["site_id"] = site_id
        return self._request("POST", "/v1/enroll", body)

    def push(
        self,
        kiosk_id: str,
        events: list[dict[str, Any]],
        status: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"kiosk_id": kiosk_id, "events": events}
        if status is not None:
            body["status"] = status
        answer = self._request("POST", "/v1/events", body)
        if not isinstance(answer.get("acked_seq"), int) or not isinstance(
            answer.get("results"), list
        ):
            raise TemporaryFailure("push answer without acked_seq")
        return answer

    def changes(self, since: str | None, limit: int) -> dict[str, Any]:
        params: dict[str, Any] = {"limit": limit}
        if since:
            params["since"] = since
        answer = self._request("GET", "/v1/changes", params=params)
        if not isinstance(answer.get("changes"), list) or not isinstance(
            answer.get("next_cursor"), str
        ):
            raise TemporaryFailure("changes answer without changes/next_cursor")
        return answer

    def exceptions(self) -> list[dict[str, Any]]:
        """The ledger's exceptions this kiosk may see (those of its own site)."""
        answer = self._request("GET", "/v1/exceptions")
        rows = answer.get("exceptions")
        if not isinstance(rows, list):
            raise TemporaryFailure("exceptions answer without exceptions")
        return [r for r in rows if isinstance(r, dict)]

    def volunteer_record(self, volunteer_id: str) -> dict[str, Any]:
        """我的记录 as the ledger holds it (every kiosk's sessions and movements)."""
        from urllib.parse import quote

        answer = self._request("GET", f"/v1/volunteers/{quote(volunteer_id, safe='')}/record")
        if not isinstance(answer.get("periods"), dict):
            raise TemporaryFailure("record answer without periods")
        return answer

    def fetch_bytes(self, path: str, *, max_bytes: int) -> bytes:
        """A binary answer (a picture). Failures are sorted as for JSON requests."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            resp = self.session.request(
                "GET", self.base_url + path, headers=headers, timeout=self.timeout, stream=True
            )
            length = resp.headers.get("content-length", "")
            if length.isdigit() and int(length) > max_bytes:
                resp.close()
                raise PermanentFailure(
                    "too_large", f"{length} bytes, more than {max_bytes}", resp.status_code
                )
            body = resp.content
        except requests.RequestException as exc:
            raise TemporaryFailure(f"{type(exc).__name__}: {exc}") from exc
        if resp.status_code >= 500 or resp.status_code in (408, 429):
            raise TemporaryFailure(f"ledger answered {resp.status_code}")
        if resp.status_code >= 400:
            raise PermanentFailure(
                str(resp.status_code),
                f"ledger answered {resp.status_code} for {path}",
                resp.status_code,
            )
        if len(body) > max_bytes:
            raise PermanentFailure(
                "too_large", f"{len(body)} bytes, more than {max_bytes}", resp.status_code
            )
        return body
