"""JSON for the ingest hot path: ``orjson`` where it gives exactly what the standard
library gives, the standard library everywhere else (and when orjson is not installed).

Exactness matters: event digests and stored payload text must stay byte for byte what
earlier versions wrote, or a resent event would no longer match its stored copy.
Checked against ``json`` (see tests): orjson escapes every string the same way and writes
integers the same way, but formats some floats differently (``1.5e-05``) and refuses
integers outside 64 bits and lone surrogates. So a value goes to orjson only if it holds
nothing but str, int, bool, None, lists and str-keyed dicts, and any orjson error falls
back to ``json``. Request bodies are still parsed by ``json``: orjson reads integers beyond
64 bits as floats, and telling those apart costs more than it saves (0.4 ms a batch).
"""

from __future__ import annotations

import json
from typing import Any

try:
    import orjson
except ImportError:  # optional: everything below works, more slowly, without it
    orjson = None  # type: ignore[assignment]

_ENC_SORTED = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), sort_keys=True)
_ENC_DIGEST = json.JSONEncoder(
    ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str
)
ENC_DIGEST = _ENC_DIGEST  # for a digest over a form of the event that can always be encoded
_ENC_WIRE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_SCALARS = frozenset((str, int, bool, type(None)))
_MAX_DEPTH = 16


def plain(obj: Any, depth: int = 0) -> bool:
    """Only str, int, bool, None, lists and str-keyed dicts (no floats, no other types)."""
    t = type(obj)
    if t in _SCALARS:
        return True
    if depth >= _MAX_DEPTH:
        return False
    if t is dict:
        for k, v in obj.items():
            if type(k) is not str or (type(v) not in _SCALARS and not plain(v, depth + 1)):
                return False
        return True
    if t is list:
        for v in obj:  # noqa: SIM110 (a loop: faster than all() over a generator)
            if type(v) not in _SCALARS and not plain(v, depth + 1):
                return False
        return True
    return False


def dumps_sorted(obj: Any) -> str:
    """``json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True)``."""
    return dumps_sorted_plain(obj) if plain(obj) else _ENC_SORTED.encode(obj)


def dumps_sorted_plain(obj: Any) -> str:
    """``dumps_sorted`` for a value the caller knows ``plain`` holds for (not checked again)."""
    if orjson is not None:
        try:
            return orjson.dumps(obj, option=orjson.OPT_SORT_KEYS).decode("utf-8")
        except TypeError:  # an integer beyond 64 bits, a lone surrogate: json decides
            pass
    return _ENC_SORTED.encode(obj)


def digest_bytes(values: list[Any]) -> bytes:
    """UTF-8 of ``json.dumps(values, ensure_ascii=False, separators=(",", ":"), sort_keys=True,
    default=str)``; raises as that would (a lone surrogate cannot be encoded)."""
    if orjson is not None and plain(values):
        try:
            return orjson.dumps(values, option=orjson.OPT_SORT_KEYS)
        except TypeError:
            pass
    return _ENC_DIGEST.encode(values).encode("utf-8")


def event_bytes(head: list[Any], payload: Any) -> tuple[bytes, str]:
    """(``digest_bytes(head + [payload])``, ``dumps_sorted(payload)``), serialising the payload once
    (ingest needs both for every event); raises as ``digest_bytes`` would."""
    if orjson is not None and plain(payload) and plain(head):
        try:
            body = orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)
            start = orjson.dumps(head, option=orjson.OPT_SORT_KEYS)
        except TypeError:
            pass
        else:  # "[h1,...,h7]" + payload -> "[h1,...,h7,payload]": the same bytes as the whole list
            return b"".join((start[:-1], b",", body, b"]")), body.decode("utf-8")
    return digest_bytes([*head, payload]), dumps_sorted(payload)


def dumps_wire(obj: Any) -> bytes:
    """UTF-8 of ``json.dumps(obj, ensure_ascii=False, separators=(",", ":"))`` (responses)."""
    if orjson is not None and plain(obj):
        try:
            return orjson.dumps(obj)
        except TypeError:
            pass
    return _ENC_WIRE.encode(obj).encode("utf-8")
