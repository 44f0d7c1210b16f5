"""Custody policies: who holds the shares of a tender lot's bids, and how many open them."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from crypto.encoding import canonical_json, load_public_key, public_key_b64u
from crypto.errors import PolicyMismatchError

POLICY_FORMAT = "biaoyun-policy/1"
_ID_RE = re.compile(r"[A-Za-z0-9._-]{1,64}")


@dataclass(frozen=True)
class Custodian:
    """One key holder: an id unique in the policy, a label for humans, a P-256 ECDH key."""

    id: str
    public_key: ec.EllipticCurvePublicKey
    label: str = ""


def make_policy(tender_id: str, lot: str, k: int, custodians: Sequence[Custodian]) -> dict[str, Any]:
    """Build and validate a policy dict (JSON-ready; its canonical hash binds every bid)."""
    policy = {
        "format": POLICY_FORMAT,
        "tender_id": tender_id,
        "lot": lot,
        "k": k,
        "custodians": [
            {"id": c.id, "label": c.label or c.id, "public_key": public_key_b64u(c.public_key)}
            for c in custodians
        ],
    }
    validate_policy(policy)
    return policy


def _utf8_len(text: Any, low: int, high: int, what: str) -> None:
    if not isinstance(text, str) or not low <= len(text.encode("utf-8", "surrogatepass")) <= high:
        raise PolicyMismatchError(f"policy {what} must be a string of {low}-{high} UTF-8 bytes")


def validate_policy(policy: Any) -> None:
    """Raise PolicyMismatchError unless ``policy`` follows FORMAT.md §2 exactly."""
    if not isinstance(policy, dict) or set(policy) != {"format", "tender_id", "lot", "k", "custodians"}:
        raise PolicyMismatchError("policy must have exactly format, tender_id, lot, k, custodians")
    if policy["format"] != POLICY_FORMAT:
        raise PolicyMismatchError(f"policy format must be {POLICY_FORMAT!r}")
    _utf8_len(policy["tender_id"], 1, 128, "tender_id")
    _utf8_len(policy["lot"], 1, 64, "lot")
    custodians = policy["custodians"]
    if not isinstance(custodians, list) or not 1 <= len(custodians) <= 255:
        raise PolicyMismatchError("policy needs 1 to 255 custodians")
    k = policy["k"]
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= len(custodians):
        raise PolicyMismatchError(f"policy k must be an integer in 1..{len(custodians)}")
    ids, keys = set(), set()
    for entry in custodians:
        if not isinstance(entry, dict) or set(entry) != {"id", "label", "public_key"}:
            raise PolicyMismatchError("each custodian has exactly id, label, public_key")
        if not isinstance(entry["id"], str) or not _ID_RE.fullmatch(entry["id"]):
            raise PolicyMismatchError(f"bad custodian id {entry['id']!r}")
        _utf8_len(entry["label"], 0, 256, "custodian label")
        try:
            load_public_key(entry["public_key"])
        except ValueError as exc:
            raise PolicyMismatchError(f"custodian {entry['id']}: bad public key ({exc})") from exc
        ids.add(entry["id"])
        keys.add(entry["public_key"])
    if len(ids) != len(custodians) or len(keys) != len(custodians):
        raise PolicyMismatchError("custodian ids and public keys must be unique")
    canonical_json(policy)


def policy_hash(policy: dict[str, Any]) -> bytes:
    """SHA-256 of the canonical JSON of a validated policy (32 raw bytes)."""
    validate_policy(policy)
    return hashlib.sha256(canonical_json(policy)).digest()
