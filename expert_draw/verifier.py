"""The verifiable draw: the one ranking function, and the check that recomputes a draw from the log.

Pure Python (hashlib, json): the platform draws with these functions and the standalone
verifier rechecks with the very same ones, so there is only one definition of a draw.

    python -m expert_draw.verifier DRAW-AUDIT.json (--vkey KEY | --fingerprint HEX)
    python -m expert_draw.verifier EXPORT.json [--draw ID] [--checkpoint NOTE --vkey KEY]

DRAW-AUDIT.json is one draw's audit record (format biaoyun-draw-audit/1, crypto/FORMAT.md §16: its events
with inclusion proofs, the signed checkpoint, the verifier key), checked against the pinned key first.
EXPORT.json is the output of `flask audit export` (a list of audit events, or {"events": [...]}).

Definitions (v1), all hashes SHA-256, byte strings concatenated:
- leaf      = H("biaoyun/expert-draw/v1/leaf\\0" ‖ salt(16 bytes) ‖ "expert:" ‖ decimal expert id)
- seed_hash = H(server_seed), committed before the draw
- seed      = H("biaoyun/expert-draw/v1/seed\\0" ‖ lp(server_seed) ‖ lp(supervisor input) ‖ lp(beacon))
  where lp(x) = 4-byte big-endian length ‖ x, and beacon is "" when none is configured
- h(leaf)   = H("biaoyun/expert-draw/v1/rank\\0" ‖ seed ‖ draw id as 8-byte big-endian ‖ leaf)
- order     : candidates by descending u^(1/w), u = (h+1)/2^256, w the integer weight of the leaf,
  1 ≤ w ≤ 4 (MAX_WEIGHT; a pool with any other weight is refused) (Efraimidis–Spirakis weighted
  sampling, computed exactly with integers: with L = lcm of the weights present, the key of a leaf
  is (h+1)^(L/w) · 2^(256·(L − L/w)), compared as integers; with equal weights this is simply
  descending h). Ties (equal keys, impossible in practice) go by leaf ascending, comparing the
  lowercase hex strings (= the leaf bytes).
- selection : specialties in the committed order; for each, walk its order and take the first
  `primary`, then the next `backup` leaves not already taken by an earlier specialty (an expert
  holding two specialties is drawn once). The rest of the order is the reserve.
- replacement n (1, 2, …) in specialty S: walk S's order, skipping leaves already consumed
  (primaries, earlier replacements, earlier skips) and leaves assigned to another specialty
  (these are passed silently). Each leaf the walk then reaches but the platform passes over for a
  reason found at replacement time is listed, in walk order, in `skipped` as [leaf, reason], the
  reason being the first avoidance rule it fails now (e.g. a new conflict of interest, a suspension,
  "already_drawn" for an expert holding another seat) — a verifier cannot recheck the reason, only
  that the skipped leaves are exactly the next ones of the walk; they count as consumed for later
  replacements. `chosen` is the next leaf after them, or null when the walk is exhausted (the
  request is then short). Backups are not consumed by the initial selection: a replacement walks
  past the primaries only, so a standby backup is normally the first leaf it reaches.
- pool      : per specialty, "leaves" = the sorted leaves (hex) concatenated, and "weights" = one
  decimal digit 1–4 per leaf in the same order ("" when every weight is 1) — compact, so a
  province-wide pool of tens of thousands stays a few strings.
- pool_digest = H(canonical JSON of the committed specialties: code, primary, backup, leaves, weights).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import reduce
from pathlib import Path

from audit.canonical import NotCanonicalError, canonical_json, event_from_object
from audit.merkle import leaf_hash as audit_leaf_hash

DOMAIN = b"biaoyun/expert-draw/v1"
VERSION = 1
MAX_WEIGHT = 4  # weights 1..4 keep the exact integer keys small
ACTION_COMMITTED = "expert_draw.committed"
ACTION_DRAWN = "expert_draw.drawn"
ACTION_REPLACED = "expert_draw.replaced"
ACTION_SALTS = "expert_draw.salts_published"
ACTION_DISCARDED = "expert_draw.discarded"
DRAW_ACTIONS = (ACTION_COMMITTED, ACTION_DRAWN, ACTION_REPLACED, ACTION_SALTS, ACTION_DISCARDED)


# ---------------------------------------------------------------- the functions of a draw


def _h(*parts: bytes) -> bytes:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
    return digest.digest()


def _lp(data: bytes) -> bytes:
    return len(data).to_bytes(4, "big") + data


# Hash states after the fixed prefix; .copy() then hashes the same bytes as _h(prefix, ...).
_LEAF_PREFIX = hashlib.sha256(DOMAIN + b"/leaf\0")


def leaf_of(salt: bytes, expert_id: int) -> str:
    """The salted leaf (hex) that stands for an expert in a pool commitment."""
    if len(salt) != 16:
        raise ValueError("salt must be 16 bytes")
    digest = _LEAF_PREFIX.copy()
    digest.update(salt + b"expert:" + str(int(expert_id)).encode())
    return digest.hexdigest()


def leaves_of(salted: Iterable[tuple[bytes, int]]) -> list[str]:
    """[leaf_of(salt, expert id) for each pair], hashed in one loop: a province's pool is tens of thousands
    of leaves, and the per-call checks and conversions of leaf_of cost as much as the hash itself."""
    copy = _LEAF_PREFIX.copy
    leaves = []
    for salt, expert_id in salted:
        if len(salt) != 16:
            raise ValueError("salt must be 16 bytes")
        digest = copy()
        digest.update(b"%sexpert:%d" % (salt, expert_id))
        leaves.append(digest.hexdigest())
    return leaves


def seed_hash(server_seed: bytes) -> str:
    return _h(server_seed).hex()


def final_seed(server_seed: bytes, supervisor_input: str, beacon: str | None) -> bytes:
    """The draw seed: the committed server seed joined by values the operator cannot choose."""
    return _h(DOMAIN + b"/seed\0", _lp(server_seed), _lp(supervisor_input.encode()), _lp((beacon or "").encode()))


def rank_hash(seed: bytes, draw_id: int, leaf: str) -> int:
    return int.from_bytes(_h(DOMAIN + b"/rank\0", seed, int(draw_id).to_bytes(8, "big"), bytes.fromhex(leaf)), "big")


def _rank_digests(seed: bytes, draw_id: int, leaves: Sequence[str]) -> list[bytes]:
    """[H(rank prefix ‖ seed ‖ draw id ‖ leaf) for each leaf]: rank_hash, as 32 big-endian bytes."""
    prefix = hashlib.sha256(DOMAIN + b"/rank\0" + seed + int(draw_id).to_bytes(8, "big"))
    digests = []
    for leaf in leaves:
        digest = prefix.copy()
        digest.update(bytes.fromhex(leaf))
        digests.append(digest.digest())
    return digests


def rank_order(seed: bytes, draw_id: int, pool: Sequence[Sequence]) -> list[str]:
    """The full order of a specialty's pool [[leaf, weight], …]: the drawn first, then the reserve."""
    weights = [int(w) for _, w in pool]
    if any(not 1 <= w <= MAX_WEIGHT for w in weights):
        raise ValueError(f"weights must be integers 1..{MAX_WEIGHT}")
    leaves = [leaf for leaf, _ in pool]
    digests = _rank_digests(seed, draw_id, leaves)
    if len(set(weights)) <= 1:
        # One weight w for all: lcm = w, power = 1, key = h + 1 — the order is descending h, ties by
        # leaf. The digests are h as fixed-length big-endian bytes, so they compare as h does; sorting
        # by leaf first and then (stably) by digest, descending, gives exactly that order.
        keyed = sorted(zip(leaves, digests, strict=True))
        keyed.sort(key=lambda ld: ld[1], reverse=True)
        return [leaf for leaf, _ in keyed]
    lcm = reduce(math.lcm, set(weights), 1)
    keyed = []
    for leaf, w, digest in zip(leaves, weights, digests, strict=True):
        power = lcm // w
        # u^(1/w) compared exactly: scale by 2^(256·lcm) and raise to the lcm-th power
        key = (int.from_bytes(digest, "big") + 1) ** power << (256 * (lcm - power))
        keyed.append((key, leaf))
    keyed.sort(key=lambda kl: (-kl[0], kl[1]))
    return [leaf for _, leaf in keyed]


def encode_pool(entries: Sequence[Sequence]) -> dict:
    """The committed form of a specialty's pool [[leaf, weight], …]: sorted, concatenated strings."""
    ordered = sorted((str(leaf), int(w)) for leaf, w in entries)
    weights = "".join(str(w) for _, w in ordered)
    return {"leaves": "".join(leaf for leaf, _ in ordered), "weights": "" if set(weights) <= {"1"} else weights}


def pool_entries(spec: Mapping) -> list[tuple[str, int]]:
    """The [(leaf, weight), …] of a committed specialty (the inverse of encode_pool)."""
    text, weights = spec["leaves"], spec["weights"]
    if len(text) % 64:
        raise ValueError("leaves is not a whole number of 32-byte hex hashes")
    leaves = [text[i : i + 64] for i in range(0, len(text), 64)]
    if weights and len(weights) != len(leaves):
        raise ValueError("weights and leaves differ in length")
    return [(leaf, int(weights[i]) if weights else 1) for i, leaf in enumerate(leaves)]


def pool_digest(specialties: Sequence[Mapping]) -> str:
    """Digest of the committed pool and counts, exactly the fields the selection depends on."""
    body = [
        {
            "code": s["code"],
            "primary": int(s["primary"]),
            "backup": int(s["backup"]),
            "leaves": str(s["leaves"]),
            "weights": str(s["weights"]),
        }
        for s in specialties
    ]
    return hashlib.sha256(canonical_json(body)).hexdigest()


def select_committee(seed: bytes, draw_id: int, specialties: Sequence[Mapping]) -> dict:
    """Primary and backup leaves per specialty, the full orders, and what is missing."""
    taken: set[str] = set()
    selection, orders, short = [], {}, []
    for spec in specialties:
        order = rank_order(seed, draw_id, pool_entries(spec))
        orders[spec["code"]] = order
        free = (leaf for leaf in order if leaf not in taken)
        primary = [leaf for _, leaf in zip(range(int(spec["primary"])), free, strict=False)]
        backup = [leaf for _, leaf in zip(range(int(spec["backup"])), free, strict=False)]
        taken.update(primary, backup)
        selection.append({"code": spec["code"], "primary": primary, "backup": backup})
        if len(primary) < int(spec["primary"]):
            short.append({"code": spec["code"], "missing": int(spec["primary"]) - len(primary)})
    return {"selection": selection, "orders": orders, "short": short}


def assignment_of(selection: Sequence[Mapping]) -> dict[str, str]:
    """leaf -> specialty code for every primary and backup leaf."""
    return {leaf: s["code"] for s in selection for leaf in [*s["primary"], *s["backup"]]}


def replacement_walk(order: Sequence[str], code: str, assigned: Mapping[str, str], consumed: set[str]) -> Iterator[str]:
    """The leaves a replacement in `code` may take, in order; the caller consumes what it passes."""
    for leaf in order:
        if leaf in consumed or assigned.get(leaf, code) != code:
            continue
        yield leaf


def initial_consumed(selection: Sequence[Mapping]) -> set[str]:
    return {leaf for s in selection for leaf in s["primary"]}


# ---------------------------------------------------------------- checking a draw from the log


class Difference(Exception):
    """The first place where the log and the recomputation disagree."""


@dataclass
class DrawCheck:
    draw_id: int
    specialties: int = 0
    primary: int = 0
    backup: int = 0
    replacements: int = 0
    drawn: bool = False
    discarded: bool = False
    salts_published: bool = False
    experts: dict[str, list[int]] = field(default_factory=dict)  # specialty -> expert ids, once published

    def summary(self) -> str:
        if self.discarded:
            return f"MATCH draw {self.draw_id}: committed, then discarded (never drawn)"
        if not self.drawn:
            return f"MATCH draw {self.draw_id}: committed, not drawn yet"
        text = (
            f"MATCH draw {self.draw_id}: {self.specialties} specialties, {self.primary} primary, "
            f"{self.backup} backup, {self.replacements} replacements"
        )
        if self.salts_published:
            text += "; experts " + "; ".join(f"{c}: {', '.join(map(str, ids))}" for c, ids in self.experts.items())
        return text


def _events_of(doc: object) -> list[Mapping]:
    if isinstance(doc, Mapping):
        doc = doc.get("events")
    if not isinstance(doc, list) or not all(isinstance(e, Mapping) for e in doc):
        raise Difference("export is not a JSON list of audit events")
    return doc


def _check_leaf_hash(event: Mapping) -> None:
    try:
        computed = audit_leaf_hash(event_from_object(event)).hex()
    except (NotCanonicalError, KeyError, ValueError, TypeError) as exc:
        raise Difference(f"audit event {event.get('seq')} cannot be encoded: {exc}") from exc
    if "leaf_hash" in event and event["leaf_hash"] != computed:
        raise Difference(
            f"audit event {event.get('seq')} ({event.get('action')}): content does not match "
            "its leaf hash (changed after it was logged)"
        )


def _expect(what: str, recorded: object, computed: object) -> None:
    if recorded != computed:
        raise Difference(f"{what}: recorded {recorded!r}, recomputed {computed!r}")


def draw_ids(events: Sequence[Mapping]) -> list[int]:
    return sorted({int(e["payload"]["draw_id"]) for e in events if e.get("action") == ACTION_COMMITTED})


def _check_commitment(committed: Mapping) -> list[Mapping]:
    specialties = committed["specialties"]
    _expect("pool digest", committed["pool_digest"], pool_digest(specialties))
    for spec in specialties:
        leaves = [leaf for leaf, _ in pool_entries(spec)]
        if leaves != sorted(set(leaves)):
            raise Difference(f"specialty {spec['code']}: pool leaves are not sorted and distinct")
        _expect(f"specialty {spec['code']} pool size", spec.get("size", len(leaves)), len(leaves))
    return specialties


def _check_drawn(draw_id: int, committed: Mapping, drawn: Mapping, specialties: Sequence[Mapping]) -> dict:
    server_seed = bytes.fromhex(drawn["server_seed"])
    _expect("hash of the server seed", committed["seed_hash"], seed_hash(server_seed))
    if committed.get("beacon") and not drawn.get("beacon_value"):
        raise Difference("a beacon was announced at the commitment but no beacon value joined the seed")
    seed = final_seed(server_seed, drawn["supervisor_input"], drawn.get("beacon_value"))
    _expect("draw seed", drawn["seed"], seed.hex())
    result = select_committee(seed, draw_id, specialties)
    recorded = {s["code"]: s for s in drawn["selection"]}
    for spec in result["selection"]:
        got = recorded.get(spec["code"], {})
        for part in ("primary", "backup"):
            want, have = spec[part], list(got.get(part, []))
            for i in range(max(len(want), len(have))):
                a = have[i] if i < len(have) else None
                b = want[i] if i < len(want) else None
                if a != b:
                    raise Difference(f"specialty {spec['code']} {part}[{i}]: recorded {a}, recomputed {b}")
    _expect("specialties drawn", sorted(recorded), sorted(s["code"] for s in result["selection"]))
    return result


def _check_replacements(replacements: Sequence[Mapping], result: dict) -> None:
    assigned = assignment_of(result["selection"])
    consumed = initial_consumed(result["selection"])
    live = set(consumed)
    for n, event in enumerate(replacements, start=1):
        _expect(f"replacement number (a missing one was thrown away?) at #{n}", event["n"], n)
        code = event["specialty"]
        if code not in result["orders"]:
            raise Difference(f"replacement {n}: specialty {code} was not drawn")
        if event["replaces"] not in live:
            raise Difference(f"replacement {n}: replaces {event['replaces']}, who is not on the committee")
        walk = replacement_walk(result["orders"][code], code, assigned, consumed)
        for i, (leaf, reason) in enumerate(event["skipped"]):
            expected = next(walk, None)
            _expect(f"replacement {n} skipped[{i}] ({reason})", leaf, expected)
            consumed.add(leaf)
        expected = next(walk, None)
        _expect(f"replacement {n} chosen", event["chosen"], expected)
        live.discard(event["replaces"])
        if expected is not None:
            consumed.add(expected)
            live.add(expected)


def _check_salts(
    check: DrawCheck,
    salts: Mapping,
    specialties: Sequence[Mapping],
    result: dict | None,
    replacements: Sequence[Mapping],
) -> None:
    pool = {leaf for s in specialties for leaf, _ in pool_entries(s)}
    by_leaf = {}
    for expert_id, salt in salts["salts"]:
        leaf = leaf_of(bytes.fromhex(salt), int(expert_id))
        if leaf not in pool:
            raise Difference(f"published salt of expert {expert_id} gives leaf {leaf}, which is not in the pool")
        by_leaf[leaf] = int(expert_id)
    _expect("published salts cover the pool", len(by_leaf), len(pool))
    if result is None:
        return
    check.salts_published = True
    members = {s["code"]: list(s["primary"]) for s in result["selection"]}
    for event in replacements:
        code = event["specialty"]
        members[code] = [leaf for leaf in members[code] if leaf != event["replaces"]]
        if event["chosen"]:
            members[code].append(event["chosen"])
    check.experts = {code: [by_leaf[leaf] for leaf in leaves] for code, leaves in members.items()}


def verify_draw(events: Sequence[Mapping] | Mapping, draw_id: int, *, check_leaf_hashes: bool = True) -> DrawCheck:
    """Recompute draw `draw_id` from audit events; raise Difference at the first disagreement."""
    events = _events_of(events)
    mine = [
        e
        for e in events
        if e.get("action") in DRAW_ACTIONS
        and isinstance(e.get("payload"), Mapping)
        and e["payload"].get("draw_id") == draw_id
    ]
    mine.sort(key=lambda e: e.get("seq", 0))
    if check_leaf_hashes:
        for event in mine:
            _check_leaf_hash(event)
    by_action: dict[str, list[Mapping]] = {}
    for event in mine:
        by_action.setdefault(event["action"], []).append(event)
    check = DrawCheck(draw_id)
    committed_events = by_action.get(ACTION_COMMITTED, [])
    if len(committed_events) != 1:
        raise Difference(f"draw {draw_id}: expected one commitment in the log, found {len(committed_events)}")
    committed_event = committed_events[0]
    committed = committed_event["payload"]
    try:
        specialties = _check_commitment(committed)
        check.specialties = len(specialties)
        drawn_events = by_action.get(ACTION_DRAWN, [])
        if len(drawn_events) > 1:
            raise Difference(f"draw {draw_id} was drawn {len(drawn_events)} times")
        check.discarded = bool(by_action.get(ACTION_DISCARDED))
        result = None
        if drawn_events:
            if check.discarded:
                raise Difference(f"draw {draw_id} is both drawn and discarded")
            if drawn_events[0].get("seq", 0) < committed_event.get("seq", 0):
                raise Difference("the draw was logged before its commitment")
            result = _check_drawn(draw_id, committed, drawn_events[0]["payload"], specialties)
            check.drawn = True
            check.primary = sum(len(s["primary"]) for s in result["selection"])
            check.backup = sum(len(s["backup"]) for s in result["selection"])
        replacements = [e["payload"] for e in by_action.get(ACTION_REPLACED, [])]
        if replacements and result is None:
            raise Difference("replacements logged for a draw that was never drawn")
        if result is not None:
            _check_replacements(replacements, result)
            check.replacements = len(replacements)
        for salts in by_action.get(ACTION_SALTS, []):
            _check_salts(check, salts["payload"], specialties, result, replacements)
    except (KeyError, TypeError, ValueError) as exc:
        raise Difference(f"draw {draw_id}: malformed log entry ({type(exc).__name__}: {exc})") from exc
    return check


# ---------------------------------------------------------------- command line


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m expert_draw.verifier", description="Recompute expert draws from an audit log export."
    )
    parser.add_argument("export", type=Path,
                        help="a draw's audit record (its download, with proofs) or `flask audit export`")
    parser.add_argument("--draw", type=int, action="append", help="draw id (default: every draw in the file)")
    parser.add_argument(
        "--checkpoint",
        type=Path,
        action="append",
        help="a full export only: also check it against this signed checkpoint (needs --vkey)",
    )
    trust = parser.add_mutually_exclusive_group()
    trust.add_argument("--vkey", help="the audit log's verifier key (string or file), as published at /audit/key")
    trust.add_argument("--fingerprint", help="the pinned fingerprint of the audit log's verifier key (64 hex digits)")
    args = parser.parse_args(argv)
    try:
        doc = json.loads(args.export.read_bytes())
    except (OSError, ValueError) as exc:
        print(f"ERROR: cannot read {args.export}: {exc}", file=sys.stderr)
        return 2
    from audit.verifier import VerificationError, read_vkey, verify_event_proofs, verify_export

    vkey = read_vkey(args.vkey) if args.vkey else None
    if isinstance(doc, Mapping) and "checkpoint" in doc:  # one draw's record: its events are proven one by one
        if vkey is None and args.fingerprint is None:
            parser.error("a draw's audit record is checked against the platform's key: give --vkey or --fingerprint "
                         "(published at /audit/key)")
        try:
            proven = verify_event_proofs(doc, vkey, fingerprint=args.fingerprint)
        except VerificationError as exc:
            print(f"DIFFERENCE audit log: {exc}")
            return 1
        print(f"audit log: {len(doc['events'])} events in the signed tree size={proven.size} root={proven.root.hex()}")
        if not args.draw and isinstance(doc.get("draw_id"), int):
            args.draw = [doc["draw_id"]]
    elif args.checkpoint:
        if not args.vkey:
            parser.error("--checkpoint needs --vkey")
        try:
            verify_export(doc, [p.read_text(encoding="utf-8") for p in args.checkpoint], vkey)  # type: ignore[arg-type]
        except VerificationError as exc:
            print(f"DIFFERENCE audit log: {exc}")
            return 1
    try:
        ids = args.draw or draw_ids(_events_of(doc))
        if not ids:
            print("no expert draw in this log")
            return 1
        for draw_id in ids:
            print(verify_draw(doc, draw_id).summary())
    except Difference as exc:
        print(f"DIFFERENCE {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
