"""Byte encodings shared with the JavaScript implementation (FORMAT.md §1)."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

MAX_SAFE_INT = 2**53 - 1


def b64u_encode(data: bytes) -> str:
    """base64url without padding, as the JS side writes it."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64u_decode(text: str, length: int | None = None) -> bytes:
    """Strict base64url: no padding, no whitespace, canonical; optionally an exact length."""
    if not isinstance(text, str) or not text.isascii() or "=" in text:
        raise ValueError("not unpadded base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError("not base64url") from exc
    if b64u_encode(data) != text:
        raise ValueError("non-canonical base64url")
    if length is not None and len(data) != length:
        raise ValueError(f"expected {length} bytes, got {len(data)}")
    return data


def _check_canonical_value(value: Any) -> None:
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int):
        if abs(value) > MAX_SAFE_INT:
            raise ValueError("integer outside the JavaScript safe range")
    elif isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError("string with a lone surrogate") from exc
    elif isinstance(value, list):
        for item in value:
            _check_canonical_value(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str) or not key.isascii():
                raise ValueError("object keys must be ASCII strings")
            _check_canonical_value(item)
    else:
        raise ValueError(f"{type(value).__name__} is not allowed in canonical JSON (no floats)")


def canonical_json(value: Any) -> bytes:
    """Canonical JSON bytes (sorted keys, no spaces, UTF-8) identical to the JS serialiser's."""
    _check_canonical_value(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def parse_canonical_json(data: bytes) -> Any:
    """Parse JSON and insist the bytes were canonical, so one value has one encoding."""
    value = json.loads(data.decode("utf-8"), parse_float=_reject_float, parse_constant=_reject_float)
    if canonical_json(value) != data:
        raise ValueError("JSON is not in canonical form")
    return value


def _reject_float(text: str) -> Any:
    raise ValueError(f"non-integer number {text!r}")


def load_json(data: bytes | str) -> Any:
    """Parse (possibly pretty-printed) JSON that must contain no floats."""
    if isinstance(data, bytes):
        data = data.decode("utf-8")
    return json.loads(data, parse_float=_reject_float, parse_constant=_reject_float)


def public_key_bytes(key: ec.EllipticCurvePublicKey) -> bytes:
    """65-byte uncompressed SEC1 point."""
    if not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("only P-256 keys are supported")
    return key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)


def public_key_b64u(key: ec.EllipticCurvePublicKey) -> str:
    """Public key as it appears in our JSON files."""
    return b64u_encode(public_key_bytes(key))


def load_public_key(value: str | bytes) -> ec.EllipticCurvePublicKey:
    """P-256 public key from b64u text or raw 65 bytes; checks the point is on the curve."""
    raw = b64u_decode(value, 65) if isinstance(value, str) else value
    if len(raw) != 65 or raw[0] != 4:
        raise ValueError("public key must be a 65-byte uncompressed P-256 point")
    return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), raw)
