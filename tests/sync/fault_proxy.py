"""A small threaded TCP proxy between a kiosk and a real ledger, one HTTP exchange per
connection, that injects the faults a community-center network produces.

Faults are queued per upcoming connection: ``proxy.plan("drop_response", "reset")``.
  pass           forward both ways
  reset          RST the client before anything reaches the ledger
  drop_response  the request reaches the ledger (it commits), then the client gets RST
  cut_body       the ledger's answer is cut halfway through its body
  cut_request    half the request reaches the ledger, then both sides are closed
  hold           the answer is held until ``release()`` (a kiosk can be killed meanwhile)
  hold_request   the whole request reaches the ledger, then the proxy waits for
                 ``release()`` before it reads the answer (the ledger can be killed
                 meanwhile; ``wait_sent`` says when the request is there)
  delay:<s>      the answer arrives after <s> seconds
"""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections import deque


def _read_message(sock: socket.socket) -> bytes:
    """One HTTP/1.1 message: headers, then Content-Length bytes of body."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return head + b"\r\n\r\n" + body


def _rst(sock: socket.socket) -> None:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


class FaultProxy:
    def __init__(self, upstream_port: int, host: str = "127.0.0.1"):
        self.upstream = (host, upstream_port)
        self._faults: deque[str] = deque()
        self._lock = threading.Lock()
        self.delivered = threading.Semaphore(0)  # released each time a request reached the ledger
        self.delivered_count = 0
        self.sent = threading.Semaphore(0)  # released each time a hold_request reached the ledger
        self._release = threading.Event()
        self.listener = socket.create_server((host, 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://{host}:{self.port}"
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def plan(self, *faults: str) -> None:
        with self._lock:
            self._faults.extend(faults)

    def release(self) -> None:
        self._release.set()

    def close(self) -> None:
        self._closed = True
        self._release.set()
        self.listener.close()

    def wait_delivered(self, timeout: float = 20.0) -> bool:
        return self.delivered.acquire(timeout=timeout)

    def wait_sent(self, timeout: float = 20.0) -> bool:
        return self.sent.acquire(timeout=timeout)

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self._lock:
                fault = self._faults.popleft() if self._faults else "pass"
            threading.Thread(target=self._handle, args=(client, fault), daemon=True).start()

    def _handle(self, client: socket.socket, fault: str) -> None:
        if fault == "reset":
            _rst(client)
            return
        try:
            request = _read_message(client)
            upstream = socket.create_connection(self.upstream, timeout=60)
        except OSError:
            _rst(client)
            return
        try:
            if fault == "cut_request":
                upstream.sendall(request[: len(request) // 2])
                _rst(upstream)
                _rst(client)
                return
            upstream.sendall(request)
            if fault == "hold_request":
                self.sent.release()
                self._release.wait(60)
            response = _read_message(upstream)
            if not response:  # the ledger died before it answered
                _rst(client)
                return
            with self._lock:
                self.delivered_count += 1
            self.delivered.release()
            if fault == "drop_response":
                _rst(client)
                return
            if fault == "hold":
                self._release.wait(60)
            elif fault.startswith("delay:"):
                time.sleep(float(fault.split(":", 1)[1]))
            if fault == "cut_body":
                head, _, body = response.partition(b"\r\n\r\n")
                client.sendall(head + b"\r\n\r\n" + body[: len(body) // 2])
                _rst(client)
                return
            client.sendall(response)
            client.close()
        except OSError:
            _rst(client)
        finally:
            upstream.close()
