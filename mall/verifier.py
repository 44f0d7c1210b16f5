"""The standalone verifier of a published reverse-auction log: `python -m mall.verifier <log.json>`.

Anyone with the downloaded log — a losing bidder, an auditor, a journalist — recomputes from it alone,
without the platform's database or code paths beyond this file and the audit log's note format:

1. the hash chain: each entry's `hash` is SHA-256 of its canonical JSON (without `hash`), which names
   the previous entry's hash, so no entry can be changed, dropped or reordered without breaking it;
2. the signature on the head: the note the platform signed at the close with its audit key (the same
   Ed25519 key and C2SP note format as the audit log's checkpoints) names the auction, the size and the
   head hash; `--key` pins the verifier key (else the one in the log is used and its fingerprint shown);
3. the rules: every bid is judged again with the parameters of the log's `open` entry — an accepted bid
   must pass, a refused one must fail for the stated reason — the extensions each accepted bid causes
   (the limit window restarting, capped at the hard stop) must be exactly the `extend` entries, and the
   ranking (lowest first, ties to the earlier bid), the outcome (failed below the minimum number of
   bidders) and the winner must be those of the `close` entry.

The bid rules below (`judge`, `extension`, `ranking`) are also what the platform itself applies
(`mall.auction` imports them), so what is verified is the rule that ran, not a description of it.
Prints one JSON line (`{"ok": …}`) last; exits 1 when anything does not verify.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from audit.canonical import canonical_json

FORMAT = "biaoyun-auction-log/1"
NOTE_ORIGIN = "biaoyun-auction"
GENESIS = "0" * 64
# the refusals a rule decides (checked against the replay); others (none today) would be taken as stated
RULE_REASONS = ("not_started", "closed", "amount_invalid", "above_ceiling", "not_multiple", "not_below_lowest")


# ---------------------------------------------------------------- times and hashes


def iso(dt: datetime) -> str:
    """The log's time format: UTC with microseconds, as the audit log writes its times."""
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_iso(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


def entry_hash(entry: dict[str, Any]) -> str:
    """SHA-256 (hex) of the entry's canonical JSON without its own `hash`."""
    body = {k: v for k, v in entry.items() if k != "hash"}
    return hashlib.sha256(canonical_json(body)).hexdigest()


def note_text(number: str, size: int, head: str) -> str:
    """The text the platform signs at the close (a C2SP signed note's body)."""
    return f"{NOTE_ORIGIN}\n{number}\n{size}\n{head}\n"


# ---------------------------------------------------------------- the rules


@dataclass(frozen=True)
class Params:
    """What the `open` entry fixes: the unit-price ceiling and decrement (fen), the times, the window."""

    number: str
    quantity: int
    ceiling_fen: int
    decrement_fen: int
    starts_at: datetime
    ends_at: datetime  # the scheduled end, before any extension
    hard_stop_at: datetime
    window_s: int
    min_bidders: int

    @classmethod
    def from_open(cls, data: dict[str, Any]) -> Params:
        return cls(number=data["number"], quantity=data["quantity"], ceiling_fen=data["ceiling_fen"],
                   decrement_fen=data["decrement_fen"], starts_at=parse_iso(data["starts_at"]),
                   ends_at=parse_iso(data["ends_at"]), hard_stop_at=parse_iso(data["hard_stop_at"]),
                   window_s=data["window_s"], min_bidders=data["min_bidders"])

    def to_open(self) -> dict[str, Any]:
        return {"number": self.number, "quantity": self.quantity, "ceiling_fen": self.ceiling_fen,
                "decrement_fen": self.decrement_fen, "starts_at": iso(self.starts_at), "ends_at": iso(self.ends_at),
                "hard_stop_at": iso(self.hard_stop_at), "window_s": self.window_s, "min_bidders": self.min_bidders,
                "mode": "free"}


def judge(params: Params, lowest: int | None, ends_at: datetime, at: datetime, amount: Any) -> str | None:
    """Why a unit-price bid at `at` is refused (a reason code), or None when it is valid. Checked in this
    order: the time (by the server clock), the amount's form, the ceiling, the decrement's grid from the
    ceiling, then strictly below the current lowest by at least one decrement (a tie keeps the earlier)."""
    if at < params.starts_at:
        return "not_started"
    if at >= ends_at:
        return "closed"
    if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
        return "amount_invalid"
    if amount > params.ceiling_fen:
        return "above_ceiling"
    if (params.ceiling_fen - amount) % params.decrement_fen:
        return "not_multiple"
    if lowest is not None and amount > lowest - params.decrement_fen:
        return "not_below_lowest"
    return None


def extension(params: Params, ends_at: datetime, at: datetime) -> datetime | None:
    """The new end after a valid bid at `at`: the limit window restarts (anti-sniping) up to the hard stop;
    None when the bid came before the window's last stretch (or the hard stop is reached)."""
    new_end = min(at + timedelta(seconds=params.window_s), params.hard_stop_at)
    return new_end if new_end > ends_at else None


def ranking(best: dict[str, tuple[int, int]]) -> list[tuple[str, int, int]]:
    """(pseudonym, best unit price, seq of that bid), lowest first; a tie goes to the earlier bid."""
    return sorted(((p, amount, seq) for p, (amount, seq) in best.items()), key=lambda r: (r[1], r[2]))


def outcome(params: Params, ranked: list[tuple[str, int, int]]) -> str:
    """'offered' (to the first) when enough bidders made a valid bid, else 'failed' (the region's minimum)."""
    return "offered" if len(ranked) >= params.min_bidders else "failed"


# ---------------------------------------------------------------- verifying a log


class Unverified(Exception):
    pass


def _need(ok: bool, message: str) -> None:
    if not ok:
        raise Unverified(message)


def check_chain(entries: list[dict[str, Any]]) -> str:
    prev = GENESIS
    for n, entry in enumerate(entries):
        _need(entry.get("seq") == n, f"entry {n}: seq is {entry.get('seq')!r}")
        _need(entry.get("prev") == prev, f"entry {n}: does not follow the previous entry's hash")
        _need(entry_hash(entry) == entry.get("hash"), f"entry {n}: hash does not match its content")
        prev = entry["hash"]
    return prev


def replay(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """Judge every entry again with the rules; returns what the replay found (ranking, extensions, winner)."""
    _need(bool(entries) and entries[0]["kind"] == "open", "the log does not start with its open entry")
    params = Params.from_open(entries[0]["data"])
    lowest, ends_at = None, params.ends_at
    best: dict[str, tuple[int, int]] = {}
    accepted = refused = 0
    extensions: list[str] = []
    pending_extension: str | None = None
    closed: dict[str, Any] | None = None
    for entry in entries[1:]:
        kind, at = entry["kind"], parse_iso(entry["at"])
        seq = entry["seq"]
        if pending_extension is not None:
            _need(kind == "extend" and entry["data"].get("ends_at") == pending_extension,
                  f"entry {seq}: the bid before it extends the end to {pending_extension}, not recorded")
            extensions.append(pending_extension)
            ends_at, pending_extension = parse_iso(entry["data"]["ends_at"]), None
            continue
        _need(closed is None, f"entry {seq}: an entry after the close")
        if kind in ("bid", "refused"):
            reason = judge(params, lowest, ends_at, at, entry.get("amount_fen"))
            if kind == "bid":
                _need(reason is None, f"entry {seq}: accepted but the rules refuse it ({reason})")
                lowest = entry["amount_fen"]
                best[entry["bidder"]] = (entry["amount_fen"], seq)
                accepted += 1
                new_end = extension(params, ends_at, at)
                pending_extension = iso(new_end) if new_end is not None else None
            else:
                stated = entry.get("reason")
                if stated in RULE_REASONS:
                    _need(reason == stated, f"entry {seq}: refused as {stated} but the rules say {reason}")
                refused += 1
        elif kind == "extend":
            raise Unverified(f"entry {seq}: an extension no bid caused")
        elif kind == "close":
            _need(at >= ends_at, f"entry {seq}: closed before the end {iso(ends_at)}")
            closed = entry["data"]
        else:
            raise Unverified(f"entry {seq}: unknown kind {kind!r}")
    _need(pending_extension is None, "the last bid's extension is missing")
    ranked = ranking(best)
    found = {"number": params.number, "accepted": accepted, "refused": refused, "extensions": extensions,
             "ends_at": iso(ends_at), "ranking": [list(r) for r in ranked], "outcome": outcome(params, ranked),
             "winner": ranked[0][0] if ranked and outcome(params, ranked) == "offered" else None}
    if closed is not None:
        for key in ("ranking", "outcome", "winner"):
            _need(closed.get(key) == found[key], f"the close entry's {key} is {closed.get(key)!r}, "
                                                 f"the rules give {found[key]!r}")
    found["closed"] = closed is not None
    return found


def verify(log: dict[str, Any], pinned_key: str | None = None) -> dict[str, Any]:
    """Everything the module's docstring lists; raises `Unverified` with the first thing that fails."""
    from audit.checkpoint import CheckpointError, parse_verifier_key, verify_note, vkey_fingerprint

    _need(log.get("format") == FORMAT, f"not a {FORMAT} file")
    entries = log.get("entries") or []
    head = check_chain(entries)
    found = replay(entries)
    seal = log.get("seal")
    _need(seal is not None, "the log is not sealed (the auction has not closed)")
    _need(seal.get("head") == head and seal.get("size") == len(entries), "the seal is not over this log's head")
    vkey = pinned_key or seal.get("verifier_key", "")
    try:
        key = parse_verifier_key(vkey)
        text = verify_note(seal["note"], key.public_key, key.name)
    except (CheckpointError, KeyError, ValueError) as exc:
        raise Unverified(f"the head's signature does not verify: {exc}") from exc
    _need(text == note_text(found["number"], len(entries), head), "the signed note names another head")
    _need(found["closed"], "the sealed log has no close entry")
    return {**found, "head": head, "size": len(entries), "key_fingerprint": vkey_fingerprint(vkey),
            "key_pinned": pinned_key is not None, "audit_seq": seal.get("audit_seq")}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mall.verifier", description=__doc__.split("\n")[0])
    parser.add_argument("log", help="the downloaded auction log (JSON)")
    parser.add_argument("--key", help="the platform's verifier key (vkey string) to pin")
    args = parser.parse_args(argv)
    try:
        log = json.loads(Path(args.log).read_text(encoding="utf-8"))
        result = verify(log, args.key)
    except (OSError, ValueError, KeyError, TypeError, Unverified) as exc:
        print(json.dumps({"ok": False, "error": str(exc)}, ensure_ascii=False))
        return 1
    print(f"{result['number']}: {result['size']} entries, {result['accepted']} accepted and {result['refused']} "
          f"refused bids, {len(result['extensions'])} extensions, outcome {result['outcome']}, "
          f"winner {result['winner']}; key {result['key_fingerprint'][:16]}…", file=sys.stderr)
    print(json.dumps({"ok": True, **result}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
