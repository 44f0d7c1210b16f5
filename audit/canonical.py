"""Canonical bytes of an audit event: the one encoding both the platform and the verifier hash.

Any second encoder (a different key order, a float, an escaped character) would give another
leaf hash for the same event, so everything that hashes an event goes through event_leaf_data.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime

from audit.merkle import leaf_hash

EVENT_KEYS = ("seq", "time", "actor", "action", "object_type", "object_id", "payload")


class NotCanonicalError(ValueError):
    """The value has no canonical encoding (float, non-string key, bytes, datetime, ...)."""


def _check(value: object, path: str) -> None:
    """Reject anything whose JSON form is ambiguous or lossy, naming where it sits."""
    if value is None or isinstance(value, (str, bool, int)):
        return
    if isinstance(value, float):
        raise NotCanonicalError(f"{path}: floats are not allowed (money is integer fen)")
    if isinstance(value, Mapping):
        for key, item in value.items():
            if not isinstance(key, str):
                raise NotCanonicalError(f"{path}: object keys must be strings, not {key!r}")
            _check(item, f"{path}.{key}")
        return
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check(item, f"{path}[{i}]")
        return
    raise NotCanonicalError(f"{path}: {type(value).__name__} is not JSON (pass datetimes as ISO-8601 "
                            "strings and bytes as hex)")


def canonical_json(obj: object) -> bytes:
    """Sorted keys, no spaces, raw UTF-8; keys sort by code point (Python's order, not RFC 8785)."""
    _check(obj, "$")
    text = json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:  # a lone surrogate cannot be UTF-8
        raise NotCanonicalError(f"string is not valid Unicode: {exc}") from exc


def event_leaf_data(seq: int, time_iso: str, actor: str | None, action: str, object_type: str | None,
                    object_id: str | None, payload: Mapping[str, object]) -> bytes:
    """The leaf bytes of one audit event; seq is its 0-based position in the log (= leaf index)."""
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 0:
        raise NotCanonicalError(f"seq must be a non-negative integer, not {seq!r}")
    if not isinstance(time_iso, str):
        raise NotCanonicalError("time must be an ISO-8601 string (store it verbatim)")
    try:
        datetime.fromisoformat(time_iso)
    except ValueError as exc:
        raise NotCanonicalError(f"time {time_iso!r} is not ISO-8601") from exc
    if not isinstance(action, str) or not action:
        raise NotCanonicalError("action must be a non-empty string")
    for name, value in (("actor", actor), ("object_type", object_type), ("object_id", object_id)):
        if value is not None and not isinstance(value, str):
            raise NotCanonicalError(f"{name} must be a string or None, not {type(value).__name__}")
    if not isinstance(payload, Mapping):
        raise NotCanonicalError("payload must be a JSON object")
    return canonical_json({"seq": seq, "time": time_iso, "actor": actor, "action": action,
                           "object_type": object_type, "object_id": object_id, "payload": dict(payload)})


def event_leaf_hash(seq: int, time_iso: str, actor: str | None, action: str, object_type: str | None,
                    object_id: str | None, payload: Mapping[str, object]) -> bytes:
    """leaf_hash(event_leaf_data(...)): what the log stores and the tree is built from."""
    return leaf_hash(event_leaf_data(seq, time_iso, actor, action, object_type, object_id, payload))


ANNOTATION_KEYS = frozenset({"leaf_hash", "inclusion_proof"})


def event_from_object(obj: Mapping[str, object]) -> bytes:
    """Leaf bytes of an event given as a JSON object with exactly EVENT_KEYS (an export row may add
    'leaf_hash', and a draw's audit record 'inclusion_proof': annotations, ignored here)."""
    keys = set(obj) - ANNOTATION_KEYS
    if keys != set(EVENT_KEYS):
        missing, extra = set(EVENT_KEYS) - keys, keys - set(EVENT_KEYS)
        raise NotCanonicalError(f"event keys differ: missing {sorted(missing)}, unexpected {sorted(extra)}")
    return event_leaf_data(obj["seq"], obj["time"], obj["actor"], obj["action"],  # type: ignore[arg-type]
                           obj["object_type"], obj["object_id"], obj["payload"])  # type: ignore[arg-type]


def event_record(seq: int, time_iso: str, actor: str | None, action: str, object_type: str | None,
                 object_id: str | None, payload: Mapping[str, object]) -> dict[str, object]:
    """One row of the JSON export that audit.verifier reads: the event fields plus its leaf hash."""
    data = event_leaf_data(seq, time_iso, actor, action, object_type, object_id, payload)
    record = json.loads(data)
    record["leaf_hash"] = leaf_hash(data).hex()
    return record


def stored_event_leaf_data(seq: int, time_iso: str, actor: str | None, action: str, object_type: str | None,
                           object_id: str | None, payload_json: str) -> bytes:
    """event_leaf_data for a row whose payload is stored as its canonical JSON text.

    The log verifier reads every row; splicing the stored text in (instead of parsing and
    re-encoding it) keeps verification close to the speed of hashing. A stored payload that
    is not canonical gives other bytes, so its leaf hash no longer matches: tampering is
    still caught.
    """
    dump = _json_string
    return (f'{{"action":{dump(action)},"actor":{dump(actor)},"object_id":{dump(object_id)},'
            f'"object_type":{dump(object_type)},"payload":{payload_json},"seq":{seq},"time":{dump(time_iso)}}}'
            ).encode()


def _json_string(value: str | None) -> str:
    """json.dumps(value, ensure_ascii=False), with a shortcut for the common plain-ASCII case."""
    if value is None:
        return "null"
    if value.isascii() and value.isprintable() and '"' not in value and "\\" not in value:
        return f'"{value}"'
    return json.dumps(value, ensure_ascii=False)
