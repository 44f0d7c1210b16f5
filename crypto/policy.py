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

    def entry(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label or self.id, "public_key": public_key_b64u(self.public_key)}


@dataclass(frozen=True)
class TlockCustodian:
    """The public time-lock custodian (FORMAT.md §15): a share wrapped to one future round of a
    drand beacon, identified by its chain hash and pinned BLS public key (G2, 96 bytes)."""

    id: str
    chain_hash: str
    public_key: bytes
    round: int
    label: str = ""

    def entry(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "label": self.label or self.id,
            "tlock": {"chain_hash": self.chain_hash, "public_key": self.public_key.hex(), "round": self.round},
        }


def make_policy(
    tender_id: str, lot: str, k: int, custodians: Sequence[Custodian | TlockCustodian]
) -> dict[str, Any]:
    """Build and validate a policy dict (JSON-ready; its canonical hash binds every bid)."""
    policy = {
        "format": POLICY_FORMAT,
        "tender_id": tender_id,
        "lot": lot,
        "k": k,
        "custodians": [c.entry() for c in custodians],
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
        if not isinstance(entry, dict) or set(entry) not in ({"id", "label", "public_key"}, {"id", "label", "tlock"}):
            raise PolicyMismatchError("each custodian has exactly id, label and public_key (or tlock)")
        if not isinstance(entry["id"], str) or not _ID_RE.fullmatch(entry["id"]):
            raise PolicyMismatchError(f"bad custodian id {entry['id']!r}")
        _utf8_len(entry["label"], 0, 256, "custodian label")
        if "tlock" in entry:
            validate_tlock_entry(entry["id"], entry["tlock"])
            keys.add("tlock")  # at most one time-lock custodian: a second share of one round adds nothing
        else:
            try:
                load_public_key(entry["public_key"])
            except ValueError as exc:
                raise PolicyMismatchError(f"custodian {entry['id']}: bad public key ({exc})") from exc
            keys.add(entry["public_key"])
        ids.add(entry["id"])
    if len(ids) != len(custodians) or len(keys) != len(custodians):
        raise PolicyMismatchError("custodian ids and public keys must be unique (at most one time-lock)")
    canonical_json(policy)


def _hex(value: Any, length: int) -> bool:
    return isinstance(value, str) and len(value) == length and all(c in "0123456789abcdef" for c in value)


def validate_tlock_entry(custodian_id: str, tlock: Any) -> None:
    """A time-lock custodian: chain hash (64 hex), beacon public key (192 hex, a G2 point), round."""
    if not isinstance(tlock, dict) or set(tlock) != {"chain_hash", "public_key", "round"}:
        raise PolicyMismatchError(f"custodian {custodian_id}: tlock has exactly chain_hash, public_key, round")
    if not _hex(tlock["chain_hash"], 64):
        raise PolicyMismatchError(f"custodian {custodian_id}: chain_hash must be 64 lowercase hex digits")
    round_number = tlock["round"]
    if isinstance(round_number, bool) or not isinstance(round_number, int) or not 1 <= round_number < 1 << 53:
        raise PolicyMismatchError(f"custodian {custodian_id}: round must be an integer in 1..2^53-1")
    if not _hex(tlock["public_key"], 192):
        raise PolicyMismatchError(f"custodian {custodian_id}: public_key must be 192 lowercase hex digits")
    from crypto import tlock as tl  # the pairing library is needed only for time-lock policies

    try:
        tl.check_public_key(bytes.fromhex(tlock["public_key"]))
    except tl.TlockError as exc:
        raise PolicyMismatchError(f"custodian {custodian_id}: {exc}") from exc


def policy_hash(policy: dict[str, Any]) -> bytes:
    """SHA-256 of the canonical JSON of a validated policy (32 raw bytes)."""
    validate_policy(policy)
    return hashlib.sha256(canonical_json(policy)).digest()
