"""The verifiable auction log: every accepted and refused bid, each extension, the open and the close,
chained by hash; the head signed at the close with the audit log's key and anchored in the audit log.

Appending happens under the auction's row lock (the caller holds it), so the chain has one order, the
order the bids were judged in. `sealed_log(auction)` is the published file that `python -m
mall.verifier` checks on its own (`mall.verifier` holds the rules and the format).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from audit.checkpoint import sign_note
from audit.service import key_name, record, signing_key, verifier_key
from core.db import db
from mall.auction_models import Auction, AuctionEntry
from mall.verifier import FORMAT, GENESIS, entry_hash, iso, note_text


def append(auction: Auction, kind: str, at: datetime, *, bidder: str | None = None, amount_fen: int | None = None,
           reason: str | None = None, data: dict[str, Any] | None = None) -> AuctionEntry:
    """Add one entry after the head (the auction is locked by the caller)."""
    body = {"seq": auction.log_size, "at": iso(at), "kind": kind, "bidder": bidder, "amount_fen": amount_fen,
            "reason": reason, "data": data or {}, "prev": auction.log_head or GENESIS}
    digest = entry_hash(body)
    entry = AuctionEntry(auction_id=auction.id, hash=digest, **body)
    db.session.add(entry)
    auction.log_size, auction.log_head = auction.log_size + 1, digest
    return entry


def entries_of(auction: Auction) -> list[AuctionEntry]:
    return list(db.session.scalars(select(AuctionEntry).where(AuctionEntry.auction_id == auction.id)
                                   .order_by(AuctionEntry.seq)))


def entry_json(entry: AuctionEntry) -> dict[str, Any]:
    return {"seq": entry.seq, "at": entry.at, "kind": entry.kind, "bidder": entry.bidder,
            "amount_fen": entry.amount_fen, "reason": entry.reason, "data": entry.data, "prev": entry.prev,
            "hash": entry.hash}


def seal(auction: Auction) -> None:
    """Sign the head with the audit key and anchor it in the audit log (at the close, after its entry)."""
    note = sign_note(note_text(auction.number, auction.log_size, auction.log_head), signing_key(), key_name())
    auction.seal_note = note
    event = record("mall.auction_log_sealed", auction, {"number": auction.number, "size": auction.log_size,
                                                        "head": auction.log_head})
    auction.seal_audit_seq = event.seq


def sealed_log(auction: Auction) -> dict[str, Any]:
    """The published log: the entries, and once closed the seal (note, verifier key, audit anchor)."""
    out: dict[str, Any] = {"format": FORMAT, "auction": auction.number,
                           "entries": [entry_json(e) for e in entries_of(auction)], "seal": None}
    if auction.seal_note:
        out["seal"] = {"size": auction.log_size, "head": auction.log_head, "note": auction.seal_note,
                       "verifier_key": verifier_key(), "audit_seq": auction.seal_audit_seq}
    return out
