"""The signals of one opened lot, computed from what the platform saw of its bids.

87号令 Art 37 deems bids collusive when (一) documents were made by the same person, (二) one person
handled several bidders' matters, (三) the project managers are the same, (四) documents are abnormally
alike or prices follow a regular pattern, (五) documents are mixed up, (六) deposits came from one
account; 实施条例 Art 74 lists the malicious forms. Online the platform sees more than paper did:

- `same_signing_key`, `same_sealing_device`: the key that signed the container, the supplier's own
  stanza key the container was sealed to (the sealing tool's key pair: one device, one key);
- `same_network_address`, `same_user_agent`: the address and browser of the upload;
- `same_deposit_account`: one bank account paid two bidders' deposits (the deposits package's credits);
- `identical_file`, `same_document_metadata`: an opened file's SHA-256; author, last editor, company,
  template, creation tool;
- `near_duplicate_text`: MinHash similarity of the opened text (registry.collusion.text);
- `identical_prices` (cardinal R028), `price_progression`: equal prices; three or more in an arithmetic
  or geometric progression;
- `price_close_to_lowest` (R024), `heavily_discounted` (R058), `serial_loser` (R025): across tenders;
- `identity_group`: bidders linked in the identity graph (registry.collusion.identity).

Each signal is a `Signal` (kind, strength, the bidders, evidence). Nothing here writes: `service`
stores the signals as flags.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations, pairwise
from typing import Any

from registry.collusion import text as text_sim
from registry.collusion.documents import DEFAULT_TEMPLATES, OpenedBid

STRONG, WEAK = "strong", "weak"
KINDS = ("same_signing_key", "same_sealing_device", "same_network_address", "same_user_agent", "same_deposit_account",
         "identical_file",
         "same_document_metadata", "near_duplicate_text", "identical_prices", "price_progression",
         "price_close_to_lowest", "heavily_discounted", "serial_loser", "identity_group")
STRONG_METADATA = ("author", "last_modified_by", "company", "template")


@dataclass
class BidFacts:
    """What the platform knows of one opened bid."""

    bid_id: int
    org_id: int
    name: str
    price_fen: int | None
    signer_fingerprint: str = ""
    self_recipient: str = ""
    ip: str | None = None
    user_agent: str | None = None
    opened: OpenedBid = field(default_factory=OpenedBid)
    sketch: text_sim.TextSketch | None = None


@dataclass
class Signal:
    kind: str
    strength: str
    bids: list[BidFacts]
    evidence: dict[str, Any]

    @property
    def org_ids(self) -> list[int]:
        return sorted({b.org_id for b in self.bids})


def _by_value(bids: list[BidFacts], value_of) -> dict[Any, list[BidFacts]]:
    groups: dict[Any, list[BidFacts]] = defaultdict(list)
    for bid in bids:
        value = value_of(bid)
        if value:
            groups[value].append(bid)
    return {v: g for v, g in groups.items() if len({b.org_id for b in g}) > 1}


def same_values(bids: list[BidFacts]) -> list[Signal]:
    """The same key, device, address or browser behind two or more bidders."""
    out = []
    checks = (("same_signing_key", STRONG, "fingerprint", lambda b: b.signer_fingerprint),
              ("same_sealing_device", STRONG, "self_recipient", lambda b: b.self_recipient),
              ("same_network_address", STRONG, "ip", lambda b: b.ip),
              ("same_user_agent", WEAK, "user_agent", lambda b: b.user_agent))
    for kind, strength, key, value_of in checks:
        for value, group in _by_value(bids, value_of).items():
            out.append(Signal(kind, strength, group, {key: value}))
    return out


def shared_deposit_accounts(bids: list[BidFacts], accounts: dict[str, list[int]]) -> list[Signal]:
    """87号令 Art 37 (六): one account paid the bid deposits of two or more bidders (`accounts`: each paying
    account → the organisations it paid for, as the deposits package records the bank's credits)."""
    by_org = {b.org_id: b for b in bids}
    out = []
    for account, orgs in sorted(accounts.items()):
        group = [by_org[o] for o in orgs if o in by_org]
        if len(group) > 1:
            out.append(Signal("same_deposit_account", STRONG, group, {"account": account}))
    return out


def identical_files(bids: list[BidFacts]) -> list[Signal]:
    """The same file, byte for byte, in two bidders' opened bids (not one most of the lot's bids contain)."""
    def owners() -> dict[str, list[tuple[BidFacts, str, int]]]:
        found: dict[str, list[tuple[BidFacts, str, int]]] = defaultdict(list)
        for bid in bids:
            for item in bid.opened.files:
                if item.size:
                    found[item.sha256].append((bid, item.name, item.size))
        return found

    out = []
    everyone = max(3, len(bids) // 2 + 1)  # a file most bidders hand in alike is the tender's own form
    for digest, rows in owners().items():
        if 1 < len({b.org_id for b, _, _ in rows}) < everyone:
            out.append(Signal("identical_file", STRONG, _unique([b for b, _, _ in rows]),
                              {"sha256": digest, "size": rows[0][2],
                               "files": [{"bid": b.bid_id, "name": n} for b, n, _ in rows]}))
    return out


def _unique(bids: list[BidFacts]) -> list[BidFacts]:
    seen, out = set(), []
    for bid in bids:
        if bid.bid_id not in seen:
            seen.add(bid.bid_id)
            out.append(bid)
    return out


def _meta_value(field_name: str, value: str) -> str:
    value = value.strip()
    if field_name == "template" and value.casefold() in DEFAULT_TEMPLATES:
        return ""
    return value


def same_metadata(bids: list[BidFacts]) -> list[Signal]:
    """The same author, last editor, company or template (strong), or the same tool and version (weak)."""
    holders: dict[tuple[str, str], list[tuple[BidFacts, str]]] = defaultdict(list)
    for bid in bids:
        for item in bid.opened.files:
            meta = dict(item.metadata)
            # a tool's name alone ("Microsoft Office Word") is everyone's: only its exact build tells
            version = meta.pop("tool_version", "")
            if "tool" in meta and not item.name.lower().endswith(".pdf"):
                meta["tool"] = f"{meta['tool']} {version}" if version else ""
            meta.pop("title", None)
            for key, value in meta.items():
                value = _meta_value(key, value)
                if value:
                    holders[(key, value)].append((bid, item.name))
    by_pair: dict[tuple[int, ...], list[dict]] = defaultdict(list)
    members: dict[tuple[int, ...], list[BidFacts]] = {}
    for (key, value), rows in sorted(holders.items()):
        group = _unique([b for b, _ in rows])
        if len({b.org_id for b in group}) < 2:
            continue
        ids = tuple(sorted(b.bid_id for b in group))
        members[ids] = group
        by_pair[ids].append({"field": key, "value": value, "files": [{"bid": b.bid_id, "name": n} for b, n in rows]})
    out = []
    for ids, matches in by_pair.items():
        strong = any(m["field"] in STRONG_METADATA for m in matches)
        out.append(Signal("same_document_metadata", STRONG if strong else WEAK, members[ids], {"matches": matches}))
    return out


def near_duplicates(bids: list[BidFacts], threshold_percent: int, k: int, common_percent: int = 50) -> list[Signal]:
    """Pairs whose text is alike beyond the threshold, once the text common to more than `common_percent`
    of the lot's bids (and to at least three) is left out."""
    texts = [x for x in bids if x.sketch is not None]
    minimum = max(3, len(texts) * common_percent // 100 + 1)
    common = {level: text_sim.common_shingles([x.sketch for x in texts], level, minimum)
              for level in {x.sketch.level for x in texts}}
    out = []
    for a, b in combinations(texts, 2):
        if a.org_id == b.org_id:
            continue
        score, level = text_sim.similarity(a.sketch, b.sketch, common)
        if score * 100 >= threshold_percent:
            out.append(Signal("near_duplicate_text", STRONG, [a, b], {
                "similarity": round(score, 4), "threshold_percent": threshold_percent, "shingle_chars": k,
                "num_perm": text_sim.NUM_PERM, "sample_modulus": 1 << level,
                "shingles": [a.sketch.shingles, b.sketch.shingles],
                "common_left_out": len(common.get(level, ())), "common_min_bids": minimum}))
    return out


def identical_prices(bids: list[BidFacts]) -> list[Signal]:
    """cardinal R028: different tenderers with the same price."""
    return [Signal("identical_prices", STRONG, group, {"price_fen": price, "indicator": "R028"})
            for price, group in _by_value(bids, lambda b: b.price_fen).items()]


def price_progressions(bids: list[BidFacts], min_bids: int, tolerance_permille: int) -> list[Signal]:
    """The longest run of sorted distinct prices whose steps are equal (arithmetic) or whose ratios are
    equal (geometric) within the tolerance, if it has at least `min_bids` prices."""
    priced = sorted({b.price_fen: b for b in bids if b.price_fen and b.price_fen > 0}.items())
    if len(priced) < min_bids:
        return []
    prices = [p for p, _ in priced]
    tolerance = tolerance_permille / 1000
    out = []
    # 0 ‰ means equal steps to the fen; a ratio is never exact once prices are rounded to the fen or yuan
    for form, step, slack in (("arithmetic", lambda x, y: y - x, 0.0), ("geometric", lambda x, y: y / x, 2e-5)):
        best = _longest_run(prices, step, max(tolerance, slack))
        if best is not None and best[1] - best[0] + 1 >= min_bids:
            run = prices[best[0]:best[1] + 1]
            steps = [step(x, y) for x, y in pairwise(run)]
            out.append(Signal("price_progression", STRONG, [dict(priced)[p] for p in run], {
                "form": form, "prices_fen": run, "steps": [round(s, 6) for s in steps],
                "tolerance_permille": tolerance_permille, "min_bids": min_bids}))
            break  # an arithmetic run is reported once, not again as a near-geometric one
    return out


def _longest_run(prices: list[int], step, tolerance: float) -> tuple[int, int] | None:
    steps = [step(x, y) for x, y in pairwise(prices)]
    best, start = None, 0
    for i in range(1, len(steps) + 1):
        if i == len(steps) or not _close(steps[i], steps[start], tolerance):
            if i - start >= 2 and (best is None or i - start > best[1] - best[0]):
                best = (start, i)  # steps[start:i] equal: prices[start .. i]
            start = i
    return best


def _close(a: float, b: float, tolerance: float) -> bool:
    return abs(a - b) <= tolerance * max(abs(a), abs(b))


def price_gaps(bids: list[BidFacts], history: list[float], min_processes: int, r024_permille: int,
               r058_permille: int) -> list[Signal]:
    """R024 and R058 for this lot, the lowest opened price standing in for the winner."""
    from registry.collusion.cardinal import fences, gap

    priced = sorted((b for b in bids if b.price_fen and b.price_fen > 0), key=lambda b: b.price_fen)
    difference = gap([b.price_fen for b in priced])
    if difference is None:
        return []
    lower = upper = None
    if len(history) >= min_processes:
        lower, upper = fences(history)
    low = r024_permille / 1000 if r024_permille else lower
    high = r058_permille / 1000 if r058_permille else upper
    base = {"difference": round(difference, 6), "lowest_fen": priced[0].price_fen,
            "second_fen": priced[1].price_fen, "winner": "lowest_opened", "history_processes": len(history)}
    out = []
    if low is not None and difference <= low:
        out.append(Signal("price_close_to_lowest", WEAK, priced[:2], {
            **base, "indicator": "R024", "lower_fence": round(low, 6), "fixed": bool(r024_permille)}))
    if high is not None and difference >= high:
        out.append(Signal("heavily_discounted", WEAK, priced[:2], {
            **base, "indicator": "R058", "upper_fence": round(high, 6), "fixed": bool(r058_permille)}))
    return out
