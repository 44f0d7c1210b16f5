"""Computing, storing and reading the collusion flags of opened lots.

`compute_lot` runs after a lot's bids are opened (the chronograph's `collusion.compute_lot`, declared in
`timed`: outside the opening's transaction, since reading and hashing a lot of large bids takes seconds),
reads what the platform saw of each opened bid, runs the signals (`signals`, `cardinal`, `identity`) with
the thresholds of the region's rules in force, and stores one run with its flags, audited. A flag is a
warning with its evidence for the committee and the supervisor, never an exclusion: nothing here changes
a bid. Reads: `flags_of_lot` (the evaluation room), `flags_for` (the supervisor's list), `can_view`.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from sqlalchemy import select

import crypto
from accounts.models import Role, User
from accounts.service import regions_under
from audit.service import record
from core import clock
from core.db import db
from core.errors import Forbidden, NotFound
from deposits.service import payer_accounts
from region_rules.store import version as rules_version
from registry.collusion import cardinal, identity, signals
from registry.collusion import text as text_sim
from registry.collusion.documents import read_opened
from registry.collusion.models import CollusionFlag, CollusionRun
from registry.collusion.rules import rule
from tender import filestore
from tender.models import Bid, Lot, OpeningRecord, Project
from tender.opening import header_of
from tender.transitions import BidStatus

log = logging.getLogger(__name__)
ACTOR = "system:collusion"


def opened_folder(bid: Bid):
    """Where the opening put a bid's files (tender.opening: `opened/<project>/<bid>`)."""
    return filestore.absolute(f"opened/{bid.project_id}/{bid.id}")


def facts_of(lot: Lot, k: int) -> tuple[list[signals.BidFacts], list[str]]:
    """Each opened bid of a lot as the signals see it, and what could not be read (notes)."""
    rows = db.session.execute(select(Bid, OpeningRecord).join(OpeningRecord, OpeningRecord.bid_id == Bid.id)
                              .where(Bid.lot_id == lot.id, Bid.status == BidStatus.OPENED).order_by(Bid.id)).all()
    facts, notes = [], []
    for bid, line in rows:
        try:
            recipient = header_of(bid).fields["self"]["recipient"]
        except (OSError, KeyError, ValueError, crypto.SealedError):
            recipient = ""
            notes.append(f"bid {bid.id}: container header unreadable")
        opened = read_opened(opened_folder(bid))
        notes.extend(f"bid {bid.id}: {name}: text not compared (PDF)" for name in opened.unread)
        facts.append(signals.BidFacts(
            bid_id=bid.id, org_id=bid.org_id, name=line.bidder_name, price_fen=line.price_fen,
            signer_fingerprint=bid.signer_fingerprint, self_recipient=recipient, ip=bid.submitted_ip,
            user_agent=bid.submitted_user_agent, opened=opened,
            sketch=text_sim.sketch(opened.text, k) if opened.text else None))
    return facts, notes


def lot_signals(lot: Lot, facts: list[signals.BidFacts]) -> list[signals.Signal]:
    """Every signal of one lot, thresholds from the region's rules."""
    region = lot.project.region_code
    k = rule(region, "shingle_chars")
    found = [*signals.same_values(facts), *signals.shared_deposit_accounts(facts, payer_accounts(lot.id)),
             *signals.identical_files(facts), *signals.same_metadata(facts),
             *signals.near_duplicates(facts, rule(region, "text_similarity_percent"), k,
                                      rule(region, "common_text_percent")),
             *signals.identical_prices(facts),
             *signals.price_progressions(facts, rule(region, "progression_min_bids"),
                                         rule(region, "progression_tolerance_permille"))]
    minimum = rule(region, "cardinal_min_processes")
    found += signals.price_gaps(facts, cardinal.history_gaps(region, lot.id), minimum,
                                rule(region, "r024_threshold_permille"), rule(region, "r058_threshold_permille"))
    by_org = {f.org_id: f for f in facts}
    for row in cardinal.serial_losers(region, sorted(by_org), rule(region, "r025_percentile"), minimum):
        found.append(signals.Signal("serial_loser", signals.WEAK, [by_org[row["org"]]], {**row, "indicator": "R025"}))
    for group in identity.groups_among(by_org):
        found.append(signals.Signal("identity_group", signals.STRONG, [by_org[o] for o in group["members"]], {
            "links": group["links"], "group": group["group"], "bidders_in_group": len(group["members"])}))
    return found


def compute_lot(lot: Lot) -> CollusionRun:
    """Compute (or recompute) the signals of an opened lot and store them as one run's flags."""
    started = time.perf_counter()
    region = lot.project.region_code
    facts, notes = facts_of(lot, rule(region, "shingle_chars"))
    found = lot_signals(lot, facts)
    now = clock.now()
    version = rules_version(region, now)
    run = db.session.scalar(select(CollusionRun).where(CollusionRun.lot_id == lot.id))
    if run is None:
        run = CollusionRun(lot_id=lot.id, project_id=lot.project_id, region_code=region, millis=0)
        db.session.add(run)
    run.computed_at, run.rules_version, run.bids, run.notes = now, version, len(facts), notes[:50]
    run.flags.clear()
    db.session.flush()
    for signal in found:
        run.flags.append(CollusionFlag(lot_id=lot.id, project_id=lot.project_id, region_code=region,
                                       kind=signal.kind, strength=signal.strength, org_ids=signal.org_ids,
                                       bid_ids=sorted(b.bid_id for b in signal.bids), evidence=signal.evidence,
                                       computed_at=now))
    run.millis = int((time.perf_counter() - started) * 1000)
    db.session.flush()
    record("collusion.lot_computed", run, {
        "lot_id": lot.id, "project": lot.project.code, "bids": len(facts), "rules_version": run.rules_version,
        "flags": [{"kind": f.kind, "orgs": f.org_ids} for f in run.flags]}, actor=ACTOR)
    return run


def compute_lot_id(lot_id: int) -> CollusionRun:
    lot = db.session.get(Lot, lot_id)
    if lot is None:
        raise NotFound("标项不存在。", code="lot_not_found")
    return compute_lot(lot)


# ---------------------------------------------------------------- reads

def run_of(lot_id: int) -> CollusionRun | None:
    return db.session.scalar(select(CollusionRun).where(CollusionRun.lot_id == lot_id))


def flags_of_lot(lot_id: int) -> list[CollusionFlag]:
    return list(db.session.scalars(select(CollusionFlag).where(CollusionFlag.lot_id == lot_id)
                                   .order_by(CollusionFlag.id)))


def is_supervisor_of(user: User, region_code: str) -> bool:
    if not user or not user.is_authenticated:
        return False
    if user.has_role(Role.ADMIN):
        return True
    return user.has_role(Role.SUPERVISOR) and region_code in regions_under(user.region_code)


def is_committee_member(user: User, lot_id: int) -> bool:
    """A seat (any status) on the lot's evaluation committee."""
    from evaluation.models import Committee, CommitteeMember

    if not user or not user.is_authenticated:
        return False
    seat = db.session.scalar(select(CommitteeMember.id).join(Committee, Committee.id == CommitteeMember.committee_id)
                             .where(Committee.lot_id == lot_id, CommitteeMember.user_id == user.id).limit(1))
    return seat is not None


def can_view_lot(user: User, lot: Lot) -> bool:
    """The lot's evaluation committee and the region's supervisors see its flags (not the bidders, not
    the agency: a flag is a warning for those who judge and those who oversee)."""
    return is_committee_member(user, lot.id) or is_supervisor_of(user, lot.project.region_code)


def check_view_lot(user: User, lot: Lot) -> None:
    if not can_view_lot(user, lot):
        raise Forbidden("只有本标项的评审委员会和监管部门可以查看串通投标预警。", code="collusion_forbidden")


def flags_for(user: User, kind: str | None = None, limit: int = 200) -> list[CollusionFlag]:
    """A supervisor's list: the flags of the regions under them, newest first."""
    if not user.has_role(Role.SUPERVISOR, Role.ADMIN):
        raise Forbidden("只有监管部门可以查看串通投标预警。", code="collusion_forbidden")
    stmt = select(CollusionFlag).order_by(CollusionFlag.computed_at.desc(), CollusionFlag.id.desc()).limit(limit)
    if not user.has_role(Role.ADMIN):
        stmt = stmt.where(CollusionFlag.region_code.in_(regions_under(user.region_code)))
    if kind:
        stmt = stmt.where(CollusionFlag.kind == kind)
    return list(db.session.scalars(stmt))


def flag_of(user: User, flag_id: int) -> CollusionFlag:
    flag = db.session.get(CollusionFlag, flag_id)
    if flag is None or not is_supervisor_of(user, flag.region_code):
        raise NotFound("预警不存在。", code="collusion_flag_not_found")
    return flag


def describe(flag: CollusionFlag) -> dict[str, Any]:
    """A flag as the pages and the API show it: names of the bidders and of the lot."""
    lot = db.session.get(Lot, flag.lot_id)
    project = db.session.get(Project, flag.project_id)
    names = dict(db.session.execute(select(OpeningRecord.org_id, OpeningRecord.bidder_name)
                                    .where(OpeningRecord.lot_id == flag.lot_id)).all())
    return {"id": flag.id, "kind": flag.kind, "strength": flag.strength, "lot_id": flag.lot_id,
            "lot": lot.number if lot else None, "project_id": flag.project_id,
            "project": project.title if project else "", "org_ids": flag.org_ids, "bid_ids": flag.bid_ids,
            "bidders": [names.get(o, str(o)) for o in flag.org_ids], "evidence": flag.evidence,
            "computed_at": flag.computed_at}
