"""Statements signed with the audit log's key besides checkpoints: the bid receipt.

One Ed25519 key signs two kinds of message, and a signature of one kind must never pass for the other:

- a checkpoint signature covers a signed-note text (C2SP signed-note: UTF-8 lines, each ending in a
  newline, no control character but the newline; `audit.checkpoint`);
- a receipt signature (format `biaoyun-receipt/2`) covers `RECEIPT_CONTEXT ‖ canonical JSON of the receipt`,
  where RECEIPT_CONTEXT = "biaoyun/audit-key/receipt/v2" followed by one NUL byte. A note text never holds
  a NUL, so no receipt message is a note text, and no note text starts with the context.

Receipts of format `biaoyun-receipt/1` (issued before the context label) were signed over the canonical JSON
alone. They stay valid: a JSON object is one line without a final newline, which no signed note can be, so
they could not be taken for checkpoints either; the label makes that separation explicit instead of a
consequence of two formats.

Canonical JSON here: keys sorted, separators "," and ":", non-ASCII characters as UTF-8 (not \\u escapes),
as Python's `json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)`; the receipt
holds strings and integers only.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

RECEIPT_V1 = "biaoyun-receipt/1"
RECEIPT_V2 = "biaoyun-receipt/2"
RECEIPT_CONTEXT = b"biaoyun/audit-key/receipt/v2\x00"
SIGNATURE_ALG = {RECEIPT_V1: "Ed25519 over the canonical JSON of `receipt` (legacy, no context label)",
                 RECEIPT_V2: "Ed25519 over 'biaoyun/audit-key/receipt/v2' NUL ‖ the canonical JSON of `receipt`"}


class StatementError(ValueError):
    """A receipt whose signature does not hold, or that is not a receipt at all."""


def canonical(obj: object) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def receipt_message(body: Mapping[str, object]) -> bytes:
    """The exact bytes a receipt's signature covers, by its `format`."""
    fmt = body.get("format")
    if fmt == RECEIPT_V2:
        return RECEIPT_CONTEXT + canonical(body)
    if fmt == RECEIPT_V1:
        return canonical(body)
    raise StatementError(f"unknown receipt format {fmt!r}")


def sign_receipt(body: Mapping[str, object], private_key: Ed25519PrivateKey) -> str:
    """The base64 signature of a receipt body (which names its format)."""
    return base64.b64encode(private_key.sign(receipt_message(body))).decode()


def verify_receipt_signature(body: Mapping[str, object], signature: str, public_key: Ed25519PublicKey) -> None:
    try:
        raw = base64.b64decode(signature, validate=True)
    except (binascii.Error, TypeError, ValueError) as exc:
        raise StatementError("signature is not base64") from exc
    try:
        public_key.verify(raw, receipt_message(body))
    except InvalidSignature as exc:
        raise StatementError("the receipt's signature does not hold: the receipt was altered or not signed "
                             "by this key") from exc
