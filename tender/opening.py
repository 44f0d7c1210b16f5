"""The opening: closing submission at the deadline, the time vault's shares, custodians'
shares, bidders' own keys, opening each bid once it can be opened, the Art 31 outcomes.

Everything here is idempotent and driven by stored state (statuses, share rows, the clock),
so the sweep resumes after a crash of the web or worker process: a half-done opening of
one bid is rolled back with its transaction and its partial output directory is cleaned up.

A bid is decrypted with no write transaction open (on SQLite the writer lock is one for the whole
database: a 2 GB bid decrypting under it made another tender's on-time submission wait past its
deadline); the outcome is then written in one short transaction that claims the bid, so a bid two
openers raced for is opened once.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import uuid
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

import crypto
from accounts.models import User
from accounts.service import verify_totp
from audit.service import record
from beacon import BeaconError, current_chain, fetch_signature
from core import clock
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationError
from notices import kinds
from notices.service import publish_notice
from region_rules.store import version as rules_version
from tender import filestore, vault
from tender.models import Bid, Lot, OpeningRecord, Project, ShareSubmission
from tender.price_detail import read_price_detail, remarks_with_notes
from tender.rules import rule
from tender.service import LOT_ENDED, get_project, tlock_of
from tender.transitions import BidStatus, LotStatus, OpeningMode, ProjectStatus, move

log = logging.getLogger(__name__)
SWEEP_ACTOR = "system:sweep"


class TooEarly(Conflict):
    """A share offered before the opening time: refused, and the refusal stays audited."""

    code = "too_early"
    keep_changes = True


# ---------------------------------------------------------------- timing

def window_end(project: Project) -> datetime:
    """When shares (custodian mode) or bidders' keys (bidder mode) stop being waited for."""
    if project.opening_mode == OpeningMode.BIDDER:
        return project.deadline + timedelta(minutes=project.decrypt_window_minutes)
    return project.deadline + timedelta(minutes=rule(project.region_code, "opening_window_minutes"))


def current_bids(lot: Lot) -> list[Bid]:
    return list(db.session.scalars(select(Bid).where(Bid.lot_id == lot.id, Bid.status == BidStatus.SUBMITTED)
                                   .order_by(Bid.id)))


def header_of(bid: Bid) -> crypto.Header:
    with open(filestore.absolute(bid.path), "rb") as handle:
        return crypto.read_header(handle)


def header_bytes(bid: Bid) -> bytes:
    """The container's header and header MAC: all a custodian needs to unwrap its share."""
    header = header_of(bid)
    return header.prefix + header.mac


# ---------------------------------------------------------------- closing at the deadline

def close_submission(project_id: int) -> bool:
    """bidding -> opening once the deadline has passed; lots with too few bids fail."""
    now = clock.now()
    changed = db.session.execute(  # the write lock first, as bids.lock_for_submission takes it
        update(Project).where(Project.id == project_id, Project.status == ProjectStatus.BIDDING,
                              Project.deadline <= now)
        .values(lock_version=Project.lock_version + 1), execution_options={"synchronize_session": False}).rowcount
    if changed != 1:
        return False
    project = get_project(project_id, lock=True)
    db.session.refresh(project)
    move(project, ProjectStatus.OPENING, actor=SWEEP_ACTOR)
    project.opening_started_at = now
    project.opened_rules_version = rules_version(project.region_code, now)
    minimum = rule(project.region_code, f"min_bids.{project.method.value}")
    counts = {}
    for lot in project.lots:
        bids = current_bids(lot)
        counts[str(lot.number)] = len(bids)
        if len(bids) < minimum:
            fail_lot(lot, f"投标截止时有效投标人 {len(bids)} 家，不足 {minimum} 家，本标项不予开标。",
                     "too_few_bids", bids)
        else:
            move(lot, LotStatus.OPENING)
    record("tender.submission_closed", project, {"code": project.code, "bids": counts, "minimum": minimum,
                                                 "rules_version": project.opened_rules_version},
           actor=SWEEP_ACTOR)
    if project.opening_mode == OpeningMode.CUSTODIAN:
        release_vault_shares(project)
    finish_if_done(project)
    return True


def fail_lot(lot: Lot, reason: str, code: str, bids: list[Bid]) -> None:
    project = lot.project
    move(lot, LotStatus.FAILED)
    lot.failure_reason = reason[:200]
    now = clock.now()
    for bid in bids:
        move(bid, BidStatus.VOIDED)
        bid.closed_at, bid.outcome_code, bid.outcome_note = now, code, "标项未开标，投标文件不予开启"
    publish_notice(project, kinds.FAILURE, f"{project.title} 标项{lot.number} 废标公告", reason, lot.id)
    for ended in LOT_ENDED:
        ended(lot, reason)
    record("tender.lot_failed", lot, {"project": project.code, "lot": lot.number, "cause": code},
           actor=SWEEP_ACTOR)


def release_vault_shares(project: Project) -> int:
    """The time vault unwraps its share of every current bid (only after the opening time)."""
    member = next((c for c in project.custodians if c.is_vault), None)
    if member is None:
        return 0
    released = 0
    for lot in project.lots:
        if lot.status != LotStatus.OPENING:
            continue
        for bid in current_bids(lot):
            if db.session.scalar(select(ShareSubmission.id).where(ShareSubmission.bid_id == bid.id,
                                                                  ShareSubmission.x == member.position + 1)):
                continue
            try:
                share = vault.release_share(header_of(bid), project.deadline)
            except crypto.SealedError as exc:
                settle_failure(bid, exc)
                continue
            released += store_share(bid, member.custodian_id, share, None)
    if released:
        record("tender.vault_shares_released", project, {"code": project.code, "shares": released},
               actor=SWEEP_ACTOR)
    db.session.flush()
    return released


def release_tlock_shares(project: Project) -> int:
    """The public time-lock custodian: once the beacon has signed the policy's round, fetch the round's
    signature, verify it against the beacon key frozen in the policy, unwrap every current bid's
    time-lock share and audit round and signature (anyone can redo the unwrap from them).

    The network fetch happens before anything is written; an unreachable beacon or a round not yet
    signed changes nothing and the next sweep tries again (past the window, the missing share is
    nobody's fault but the quorum's, as for any custodian)."""
    member = next((c for c in project.custodians if c.is_tlock), None)
    if member is None or clock.now() < project.deadline:
        return 0
    x = member.position + 1
    waiting = []
    for lot in project.lots:
        if lot.status != LotStatus.OPENING:
            continue
        for bid in current_bids(lot):
            if not db.session.scalar(select(ShareSubmission.id).where(ShareSubmission.bid_id == bid.id,
                                                                      ShareSubmission.x == x)):
                waiting.append(bid)
    target = tlock_of(project)
    if not waiting or target is None:
        return 0
    chain = current_chain()
    if chain.chain_hash != target["chain_hash"]:
        log.error("tender %s is time-locked to chain %s but the platform is configured for %s",
                  project.code, target["chain_hash"], chain.chain_hash)
        return 0
    public_key = bytes.fromhex(target["public_key"])
    try:
        signature = fetch_signature(chain.urls, target["chain_hash"], public_key, target["round"])
    except BeaconError as exc:
        log.warning("tender %s: time-lock round %s not available yet: %s", project.code, target["round"], exc)
        return 0
    released = 0
    for bid in waiting:
        try:
            share = crypto.unwrap_tlock_share(header_of(bid), signature, public_key)
        except crypto.SealedError as exc:
            settle_failure(bid, exc)
            continue
        released += store_share(bid, member.custodian_id, share, None)
    record("tender.tlock_shares_released", project,
           {"code": project.code, "chain_hash": target["chain_hash"], "round": target["round"],
            "signature": signature.hex(), "beacon_public_key": target["public_key"], "shares": released},
           actor=SWEEP_ACTOR)
    db.session.flush()
    return released


# ---------------------------------------------------------------- custodians' shares

def submit_shares(user, project_id: int, shares: list, totp_code: str, address: str = "-") -> int:
    """A human custodian hands in its unwrapped shares (step-up TOTP); each is checked alone."""
    project = get_project(project_id)
    member = next((c for c in project.custodians if c.user_id == user.id), None)
    if member is None:
        raise Forbidden("您不是本项目的密钥保管人。", code="not_custodian")
    if clock.now() < project.deadline or project.status in (ProjectStatus.PUBLISHED, ProjectStatus.BIDDING):
        record("tender.share_refused_early", project, {"code": project.code, "custodian": member.custodian_id})
        raise TooEarly("未到开标时间，不接受密钥份额。此次提交已记入审计日志。")
    if project.status != ProjectStatus.OPENING:
        raise Conflict("本项目不在开标解密阶段。", code="not_opening")
    verify_totp(user, totp_code, address, purpose="release_share")
    if not isinstance(shares, list) or not shares:
        raise ValidationError("没有收到密钥份额。", code="shares_missing")
    # a share names its container by (commitment, bidder id): two bids carrying one commitment (a
    # relabelled copy) can never take each other's shares
    by_binding = {(b.commitment, b.bidder_id): b for lot in project.lots for b in current_bids(lot)}
    parsed = []
    for obj in shares:
        try:
            share = crypto.Share.from_json(obj)
        except crypto.SealedError as exc:
            raise ValidationError("密钥份额格式无效。", code="share_malformed") from exc
        if share.custodian != member.custodian_id:
            raise ValidationError("密钥份额不属于您。", code="share_not_yours")
        parsed.append(share)
    accepted, refused = 0, []
    for share in parsed:
        bid = by_binding.get((share.commitment, share.bidder_id))
        if bid is None:
            continue  # a share of a bid that is no longer waiting (opened, failed, superseded)
        try:
            crypto.verify_share(header_of(bid), share)
        except crypto.SealedError as exc:
            record("tender.share_rejected", bid, {"custodian": member.custodian_id, "error": exc.code,
                                                  "x": share.x})
            refused.append(f"投标文件 {bid.id}（{exc.code}）")
            continue
        accepted += store_share(bid, member.custodian_id, share, user.id)
    db.session.flush()
    record("tender.shares_submitted", project, {"code": project.code, "custodian": member.custodian_id,
                                                "accepted": accepted, "refused": len(refused)})
    if refused:
        raise ShareRefused(f"以下投标文件的密钥份额校验失败，未被接受：{'、'.join(refused)}。"
                           f"其余 {accepted} 份已接受。此次提交已记入审计日志。")
    return accepted


class ShareRefused(ValidationError):
    """Some shares failed their check: those are refused, the others kept, and both stay audited."""

    code = "share_invalid"
    keep_changes = True


def store_share(bid: Bid, custodian_id: str, share: crypto.Share, user_id: int | None) -> int:
    """Keep one checked share (once per bid and index); returns 1 if it was new."""
    exists = db.session.scalar(select(ShareSubmission.id).where(ShareSubmission.bid_id == bid.id,
                                                                ShareSubmission.x == share.x))
    if exists is not None:
        return 0
    db.session.add(ShareSubmission(bid_id=bid.id, custodian_id=custodian_id, x=share.x,
                                   share_json=share.to_bytes().decode(), submitted_by_id=user_id,
                                   submitted_at=clock.now()))
    return 1


def shares_of(bid: Bid) -> list[crypto.Share]:
    rows = db.session.scalars(select(ShareSubmission).where(ShareSubmission.bid_id == bid.id))
    return [crypto.Share.from_json(json.loads(r.share_json)) for r in rows]


# ---------------------------------------------------------------- opening one bid

def _claim(bid_id: int, attempts: int) -> Bid | None:
    """Lock a still-unopened bid for this transaction (conditional UPDATE = row/writer lock), if no
    other opener claimed it since we read `attempts`."""
    changed = db.session.execute(
        update(Bid).where(Bid.id == bid_id, Bid.status == BidStatus.SUBMITTED, Bid.attempts == attempts)
        .values(attempts=Bid.attempts + 1), execution_options={"synchronize_session": False}).rowcount
    if changed != 1:
        return None
    bid = db.session.get(Bid, bid_id)
    db.session.refresh(bid)
    return bid


def _opened_dir(bid: Bid) -> str:
    return f"opened/{bid.project_id}/{bid.id}"


def _work_dir(bid: Bid) -> str:
    return f"opened/{bid.project_id}/.work/{bid.id}-{uuid.uuid4().hex}"


def _clean_leftovers(out: str) -> None:
    """Remove what a crashed earlier attempt may have left: the output and the sink's temp dirs."""
    filestore.remove_tree(out)
    target = filestore.absolute(out)
    if target.parent.is_dir():
        for partial in target.parent.glob(f".{target.name}.*.partial"):
            filestore.remove_tree(str(partial.relative_to(filestore.root())))


def _clean_work(bid: Bid) -> None:
    """Remove the work directories of earlier, crashed decryptions of this bid."""
    work = filestore.absolute(f"opened/{bid.project_id}/.work")
    if work.is_dir():
        for entry in [*work.glob(f"{bid.id}-*"), *work.glob(f".{bid.id}-*")]:
            filestore.remove_tree(str(entry.relative_to(filestore.root())))


def _decrypt(bid: Bid, work: str, shares: list[crypto.Share] | None, file_key: bytes | None):
    """Decrypt a bid into `work` (no database access): its OpenResult, or the SealedError it raised."""
    sink = crypto.DirectorySink(filestore.absolute(work))
    try:
        with open(filestore.absolute(bid.path), "rb") as handle:
            if file_key is not None:
                return crypto.open_with_file_key(handle, file_key, sink, policy=bid.lot.policy)
            return crypto.open_with_shares(handle, shares or [], sink, policy=bid.lot.policy)
    except crypto.SealedError as exc:
        filestore.remove_tree(work)
        return exc


def open_bid(bid_id: int, *, shares: list[crypto.Share] | None = None, file_key: bytes | None = None) -> Bid | None:
    """Open one bid into the store's opened area and write its opening record line.

    The decryption runs before any write (callers hold no uncommitted write: the sweep commits after
    each step), so no write lock is held while it runs; the claim, the output's move into place and the
    record are one short transaction. The rebuilt file key lives only in this call. Returns None if the
    bid was no longer waiting (or another opener claimed it meanwhile)."""
    bid = db.session.get(Bid, bid_id)
    if bid is None:
        return None
    db.session.refresh(bid)
    if bid.status != BidStatus.SUBMITTED:
        return None
    attempts = bid.attempts
    _clean_work(bid)
    work = _work_dir(bid)
    try:
        outcome = _decrypt(bid, work, shares, file_key)
    finally:
        file_key = None
    claimed = _claim(bid_id, attempts)
    if claimed is None:
        filestore.remove_tree(work)
        return None
    if isinstance(outcome, crypto.SealedError):
        settle_failure(claimed, outcome)
        return claimed
    out = _opened_dir(claimed)
    _clean_leftovers(out)
    os.rename(filestore.absolute(work), filestore.absolute(out))
    write_record(claimed, outcome.summary)
    return claimed


def write_record(bid: Bid, summary: dict) -> OpeningRecord:
    now = clock.now()
    move(bid, BidStatus.OPENED)
    bid.closed_at = now
    price = summary.get("price_fen")
    delivery = summary.get("delivery_days")
    breakdown = read_price_detail(summary)  # never fails the opening: what it cannot read, it notes
    line = OpeningRecord(
        project_id=bid.project_id, lot_id=bid.lot_id, bid_id=bid.id, org_id=bid.org_id,
        bidder_name=str(summary.get("bidder") or bid.org.name)[:200],
        price_fen=price if isinstance(price, int) and not isinstance(price, bool) else None,
        delivery=(f"{delivery} 日" if isinstance(delivery, int) else str(summary.get("delivery") or ""))[:200],
        brand=str(summary.get("brand") or "").strip()[:200],
        remarks=remarks_with_notes(str(summary.get("remarks") or ""), breakdown.notes),
        price_detail=breakdown.stored(), opened_at=now)
    db.session.add(line)
    db.session.flush()
    payload = {"lot_id": bid.lot_id, "org": bid.org_id, "price_fen": line.price_fen}
    if line.price_detail is not None:
        payload["price_detail"] = {"words": "price_words" in line.price_detail,
                                   "items": len(line.price_detail.get("items", [])),
                                   "notes": len(breakdown.notes)}
    record("tender.bid_opened", bid, payload, actor=SWEEP_ACTOR)
    return line


def settle_failure(bid: Bid, exc: crypto.SealedError) -> None:
    """Art 31: the bidder's fault -> revoked; anyone else's -> voided (counts as withdrawn), cause kept.

    The file was accepted with a valid supplier signature and its digest is on the receipt: if
    it is still intact, every failure to open it with the committed key is the bidder's doing."""
    intact = filestore.absolute(bid.path).exists() and filestore.sha256_of(bid.path) == bid.sha256
    if exc.code in ("not_enough_shares", "bad_share"):
        fault, status = "custody", BidStatus.VOIDED
    elif not intact:
        fault, status = "platform", BidStatus.VOIDED
    else:
        fault, status = "bidder", BidStatus.REVOKED
    move(bid, status)
    bid.closed_at, bid.outcome_code, bid.fault = clock.now(), exc.code, fault
    bid.outcome_note = {"bidder": "因投标人原因解密失败，视为撤销投标文件",
                        "custody": "密钥份额不足，解密失败，视为撤回投标文件",
                        "platform": "因平台原因解密失败，视为撤回投标文件"}[fault]
    record("tender.bid_decrypt_failed", bid, {"error": exc.code, "fault": fault, "status": status.value},
           actor=SWEEP_ACTOR)


# ---------------------------------------------------------------- bidder mode

def submit_file_key(user, bid_id: int, file_key_b64u: str) -> Bid:
    """Bidder mode: the supplier hands in the file key it unwrapped from its own stanza."""
    bid = db.session.get(Bid, bid_id)
    if bid is None or bid.org_id != user.org_id:
        raise NotFound("投标文件不存在。", code="bid_not_found")
    project = get_project(bid.project_id)
    if project.opening_mode != OpeningMode.BIDDER:
        raise Conflict("本项目由密钥保管人解密，无需投标人解密。", code="not_bidder_mode")
    now = clock.now()
    over = (ProjectStatus.OPENED, ProjectStatus.EVALUATING, ProjectStatus.CLOSED, ProjectStatus.FAILED,
            ProjectStatus.CANCELLED)
    if now >= window_end(project) or project.status in over:
        raise Conflict("解密时限已过。", code="window_closed")  # also once the opening is over
    if now < project.deadline or project.status != ProjectStatus.OPENING:
        raise Conflict("未到解密时间。", code="too_early")
    if bid.status != BidStatus.SUBMITTED:
        raise Conflict("此投标文件已解密或已处理。", code="bid_not_waiting")
    try:
        padded = file_key_b64u + "=" * (-len(file_key_b64u) % 4)
        file_key = base64.urlsafe_b64decode(padded.encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError):
        file_key = b""
    if len(file_key) != 32:
        raise ValidationError("解密密钥格式无效。", code="file_key_malformed")
    try:
        header_of(bid).check_mac(file_key)
    except crypto.SealedError as exc:
        record("tender.file_key_refused", bid, {"error": exc.code})
        raise WrongKey("解密密钥与投标文件不符，请确认使用的是本单位加密时的密钥文件。") from exc
    opened = open_bid(bid.id, file_key=file_key)
    del file_key
    return opened or bid


class WrongKey(ValidationError):
    code = "wrong_file_key"
    keep_changes = True


# ---------------------------------------------------------------- the sweep

def ready_bids(project: Project) -> list[int]:
    """Custodian mode: the waiting bids that have k valid shares."""
    if project.status != ProjectStatus.OPENING or project.opening_mode != OpeningMode.CUSTODIAN:
        return []
    return [bid.id for lot in project.lots if lot.status == LotStatus.OPENING for bid in current_bids(lot)
            if len({s.x for s in shares_of(bid)}) >= project.k]


def open_ready_bids(project_id: int, after_each=None) -> int:
    """Open every bid that has k valid shares; `after_each()` (the orchestrator's commit) runs after
    each one, so a crash loses at most the bid being opened."""
    opened = 0
    for bid_id in ready_bids(get_project(project_id)):
        bid = db.session.get(Bid, bid_id)
        if open_bid(bid_id, shares=shares_of(bid)):
            opened += 1
        if after_each is not None:
            after_each()
    return opened


def expire_window(project: Project) -> int:
    """At the end of the window: custodian mode -> voided (quorum missing, not the bidder's fault);
    bidder mode -> revoked (the bidder did not decrypt: its fault)."""
    if clock.now() < window_end(project):
        return 0
    count = 0
    for lot in project.lots:
        if lot.status != LotStatus.OPENING:
            continue
        for bid in current_bids(lot):
            if project.opening_mode == OpeningMode.BIDDER:
                move(bid, BidStatus.REVOKED)
                bid.fault, bid.outcome_code = "bidder", "not_decrypted"
                bid.outcome_note = "投标人未在解密时限内解密，视为撤销投标文件"
            else:
                move(bid, BidStatus.VOIDED)
                bid.fault, bid.outcome_code = "custody", "not_enough_shares"
                bid.outcome_note = "解密时限内密钥份额不足，视为撤回投标文件"
            bid.closed_at = clock.now()
            record("tender.bid_decrypt_failed", bid, {"error": bid.outcome_code, "fault": bid.fault,
                                                      "status": bid.status.value}, actor=SWEEP_ACTOR)
            count += 1
    return count


def finish_if_done(project: Project) -> bool:
    """opening -> opened when no lot waits for a bid any more (failed when every lot failed)."""
    if project.status != ProjectStatus.OPENING:
        return False
    for lot in project.lots:
        if lot.status == LotStatus.OPENING and current_bids(lot):
            return False
    minimum = rule(project.region_code, f"min_bids.{project.method.value}")
    for lot in project.lots:
        if lot.status != LotStatus.OPENING:
            continue
        opened = opened_bidders(lot)
        effective = effective_bidders(lot) if project.same_brand_counts_once else None
        if opened < minimum:  # revoked and voided bids count as withdrawn (Art 31), in either opening mode
            fail_lot(lot, f"解密后有效投标人 {opened} 家，不足 {minimum} 家，本标项不再进入评审。",
                     "too_few_after_decryption", [])
        elif effective is not None and effective < minimum:
            fail_lot(lot, f"同一品牌产品的投标按一家计算后，有效投标人 {effective} 家，不足 {minimum} 家。",
                     "too_few_after_brand", [])
        else:
            move(lot, LotStatus.OPENED)
    all_failed = all(lot.status == LotStatus.FAILED for lot in project.lots)
    move(project, ProjectStatus.FAILED if all_failed else ProjectStatus.OPENED)
    project.opened_at = clock.now()
    record("tender.opening_finished", project, {"code": project.code, "status": project.status.value},
           actor=SWEEP_ACTOR)
    return True


def opened_bidders(lot: Lot) -> int:
    """Bids of a lot opened into the opening record: what is left once decryption failures count as
    withdrawn or revoked."""
    return db.session.scalar(select(func.count()).select_from(OpeningRecord).where(OpeningRecord.lot_id == lot.id))


def effective_bidders(lot: Lot) -> int:
    """Opened bids of a lot, counting bidders offering the same brand as one (87号令 Art 31)."""
    lines = db.session.scalars(select(OpeningRecord).where(OpeningRecord.lot_id == lot.id)).all()
    brands = {line.brand.casefold() for line in lines if line.brand}
    return len(brands) + sum(1 for line in lines if not line.brand)


def progress_opening(project_id: int, after_each=None) -> bool:
    """One idempotent step of an opening: open what can be opened, expire the window, finish.
    Returns whether anything changed (the hall is told only then). `after_each` commits."""
    project = get_project(project_id)
    if project.status != ProjectStatus.OPENING:
        return False
    changed = 0
    if project.opening_mode == OpeningMode.CUSTODIAN:
        changed += release_vault_shares(project)
        changed += release_tlock_shares(project)
        if after_each is not None:
            after_each()
        changed += open_ready_bids(project_id, after_each)
    project = get_project(project_id)
    changed += expire_window(project)
    return finish_if_done(project) or changed > 0


def sweep() -> dict[str, list[int]]:
    """Tender's opening steps once, without the sweep's lock: bidding, closing, openings (declared in
    tender/timed.py, looked up by name: that module imports this one's handlers)."""
    from core.chronograph import Sweep, run_steps, step

    steps = tuple(step(name) for name in ("tender.open_for_bids", "tender.close_submission", "tender.progress_opening"))
    return run_steps(Sweep("tender-opening", 0.0, steps))


def custodian_done(user: User, project: Project) -> bool:
    """Whether this custodian has nothing left to give: before the opening its share is still wanted;
    during it, done once every bid of every lot still opening holds its share (or the lot opened without)."""
    members = [c for c in project.custodians if c.user_id == user.id]
    if not members or project.status in (ProjectStatus.PUBLISHED, ProjectStatus.BIDDING):
        return not members
    if project.status is not ProjectStatus.OPENING:
        return True
    xs = [m.position + 1 for m in members]
    for lot in project.lots:
        if lot.status != LotStatus.OPENING:
            continue
        for bid in current_bids(lot):
            have = set(db.session.scalars(select(ShareSubmission.x).where(ShareSubmission.bid_id == bid.id)))
            if not set(xs) <= have:
                return False
    return True
