"""Sealed bids: streamed submission checked without any private key, replace, withdraw, receipts.

A submission's time is read from the server clock the moment its upload is complete, before any
lock: an upload that began before the deadline but finishes after it is refused, and a bid whose
last byte arrived in time is not refused because it then waited for a lock (another tender's
opening never holds one while it decrypts: tender/opening.py). The project row's lock then
serialises it with the closing sweep, so the two have exactly one outcome.

A container whose key commitment or ciphertext matches another supplier's bid is a relabelled copy:
it is refused, and the refusal is kept in the audit log as evidence of collusion for the supervisor.
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime
from typing import Any, BinaryIO

from sqlalchemy import func, or_, select, update

import crypto
from accounts.models import KeyPurpose, Org, User
from accounts.service import active_keys_of_org, key_fingerprint
from audit import service as audit_service
from audit import statements
from audit.checkpoint import vkey_fingerprint
from audit.service import record
from core import clock
from core.after_commit import after_commit
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationError
from registry.credit.service import check_at_bid
from tender import filestore
from tender.keys import load_pem_public, raw_b64u
from tender.models import Bid, Lot, Project
from tender.service import (
    announce_after_commit,
    consortium_members,
    get_project,
    is_overseer,
    is_project_staff,
    registration_of,
)
from tender.transitions import BidStatus, LotStatus, ProjectStatus, move

RECEIPT_FORMAT = statements.RECEIPT_V2  # signed with its context label (audit.statements)
LIVE = (BidStatus.SUBMITTED, BidStatus.OPENED, BidStatus.REVOKED, BidStatus.VOIDED)

CONTAINER_MESSAGES = {
    "bad_magic": "上传的文件不是标云加密投标文件（.sealed）。",
    "unsupported_version": "加密投标文件的格式版本不受支持，请用最新的加密工具重新加密。",
    "header_tampered": "加密投标文件的文件头已损坏或被改动，请重新加密。",
    "malformed": "加密投标文件结构错误，请重新加密。",
    "payload_invalid": "加密投标文件内容结构错误，请重新加密。",
    "policy_mismatch": "投标文件不是按本项目本标项公布的密钥托管策略加密的，请下载本标项的策略后重新加密。",
    "truncated": "投标文件不完整（上传中断或文件被截断），请重新上传。",
    "trailing_data": "投标文件末尾有多余数据，请上传加密工具生成的原文件。",
    "signature_invalid": "投标文件的电子签名无效，请用本单位登记的签名密钥重新加密。",
    "outdated_version": "投标文件由旧版加密工具生成（格式版本 1，未绑定投标人身份），请用最新的加密工具重新加密。",
}


def bidder_id_of(org: Org) -> str:
    """The id a supplier seals under (FORMAT.md `bidder_id`): its USCC, else its platform id."""
    return org.uscc or f"org-{org.id}"


def lot_of(project: Project, lot_id: int) -> Lot:
    lot = next((lot for lot in project.lots if lot.id == lot_id), None)
    if lot is None:
        raise NotFound("标项不存在。", code="lot_not_found")
    return lot


def _refuse(code: str, message: str) -> ValidationError:
    return ValidationError(message, code=f"container_{code}")


def check_container(path, lot: Lot, org: Org) -> tuple[dict[str, Any], str]:
    """Structure, binding to this lot's frozen policy, bidder id, and a signature by an active
    sign key of the supplier's organisation. Returns (inspect info, signer fingerprint)."""
    try:
        with open(path, "rb") as handle:
            info = crypto.inspect(handle, lot.policy, require_signature=True)
    except crypto.SealedError as exc:
        raise _refuse(exc.code, CONTAINER_MESSAGES.get(exc.code, "加密投标文件校验失败。")) from exc
    if info["format"] != "biaoyun-sealed/2":  # v1 does not bind the bidder into its key commitment
        raise _refuse("outdated_version", CONTAINER_MESSAGES["outdated_version"])
    if info["bidder_id"] != bidder_id_of(org):
        raise _refuse("wrong_bidder", f"投标文件的投标人标识（{info['bidder_id']}）与本单位"
                                      f"（{bidder_id_of(org)}）不符，请以本单位身份重新加密。")
    for key in active_keys_of_org(org.id, KeyPurpose.SIGN):
        public = load_pem_public(key.pem)
        if raw_b64u(public) == info["signer"]:
            return info, key_fingerprint(public)
    raise _refuse("unknown_signer", "投标文件的签名密钥不是本单位登记且有效的签名公钥，请先在“我的密钥”中登记。")


FINGERPRINT_SPAN = 1 << 20


def ciphertext_fingerprint(path, info: dict[str, Any]) -> str:
    """SHA-256 of the first MiB of a container's records and of its last 81 bytes before the trailer.

    Reads at most ~1 MiB whatever the bid's size. Fresh file keys make two honest bids differ in their
    first chunk, while a relabelled copy (new header, same records) keeps every byte of it."""
    start = 13 + info["header_bytes"] + 32
    end = info["size"] - 65
    hasher = hashlib.sha256()
    with open(path, "rb") as handle:
        handle.seek(start)
        hasher.update(handle.read(min(FINGERPRINT_SPAN, end - start)))
        handle.seek(max(start, end - 81))
        hasher.update(handle.read(end - max(start, end - 81)))
    return hasher.hexdigest()

log = logging.getLogger(__name__)


class CopiedBid(ValidationError):
    """A relabelled copy of another supplier's bid: refused; the refusal (evidence) stays audited."""

    code = "container_copy_of_another_bid"
    keep_changes = True


def refuse_copies(user: User, project: Project, lot: Lot, info: dict[str, Any], fingerprint: str,
                  sha256: str) -> None:
    """Refuse a container whose commitment or ciphertext is already another supplier's bid.

    The earlier bid stays as it is (the copier cannot make it lose anything); the audit event names both
    organisations and is shown to the supervisors as suspected collusion (串通投标嫌疑)."""
    original = db.session.scalar(select(Bid).where(
        Bid.org_id != user.org_id,
        or_(Bid.commitment == info["commitment"], Bid.ciphertext_fingerprint == fingerprint),
    ).order_by(Bid.id).limit(1))
    if original is None:
        return
    match = "commitment" if original.commitment == info["commitment"] else "ciphertext"
    record("tender.bid_copy_refused", project, {
        "project": project.code, "lot": lot.number, "org": user.org_id, "user": user.id, "sha256": sha256,
        "bidder_id": info["bidder_id"], "matches_bid": original.id, "matches_org": original.org_id,
        "matches_project": original.project_id, "match": match})
    raise CopiedBid("该投标文件与其他供应商已递交的投标文件相同（仅更换了投标人标识或签名），不予接受。"
                    "此情况已记入审计日志并提交监管部门核查。请用本单位的投标文件重新加密后递交。")


def lock_for_submission(project_id: int, at: datetime | None = None) -> tuple[Project, datetime]:
    """Take the project row's write lock (a conditional UPDATE: PostgreSQL row lock, SQLite
    writer lock) and check, under it, that bids are still accepted. `at` is the submission's official
    time, read when its upload was complete (default: now, for withdrawals); returns (project, at)."""
    changed = db.session.execute(
        update(Project).where(Project.id == project_id, Project.status == ProjectStatus.BIDDING)
        .values(lock_version=Project.lock_version + 1), execution_options={"synchronize_session": False},
    ).rowcount
    project = get_project(project_id, lock=True)
    db.session.refresh(project)
    now = at or clock.now()
    if changed != 1 or now >= project.deadline:
        raise Conflict(f"投标截止时间（{clock.format_local(project.deadline)}，北京时间）已过，"
                       "不再接受投标文件的递交、修改或撤回。", code="deadline_passed")
    return project, now


def _precheck(user: User, project: Project, lot: Lot) -> None:
    if registration_of(user, project) is None:
        raise Forbidden("请先报名本项目，再递交投标文件。", code="not_registered")
    if project.status != ProjectStatus.BIDDING or clock.now() >= project.deadline:
        if project.status == ProjectStatus.PUBLISHED:
            raise Conflict("本项目尚未开始接受投标文件。", code="bidding_not_open")
        raise Conflict("投标截止时间已过，不再接受投标文件。", code="deadline_passed")
    if lot.status != LotStatus.OPEN:
        raise Conflict("本标项不接受投标。", code="lot_closed")
    refuse_beyond_quota(user, project, lot)


def refuse_beyond_quota(user: User, project: Project, lot: Lot) -> None:
    """Each submission is kept until the opening (a replaced or withdrawn one too: its digest was receipted),
    so a supplier may submit at most `replaced_bids_kept_max` + 1 times per lot (region rule). Checked before
    the upload and again under the submission lock."""
    from tender.rules import rule

    kept_max = rule(project.region_code, "replaced_bids_kept_max")
    made = db.session.scalar(select(func.count()).select_from(Bid).where(Bid.lot_id == lot.id,
                                                                        Bid.org_id == user.org_id)) or 0
    if made > kept_max:
        raise Conflict(f"本标项每家供应商最多递交 {kept_max + 1} 次投标文件（即最多替换或撤回 {kept_max} 次，"
                       f"本地区规则），贵单位已递交 {made} 次，不能再次递交。当前有效的投标文件不受影响。",
                       code="bid_replacements_exhausted", details={"replaced_bids_kept_max": kept_max,
                                                                   "submitted": made})


def current_bid(lot_id: int, org_id: int) -> Bid | None:
    return db.session.scalar(select(Bid).where(Bid.lot_id == lot_id, Bid.org_id == org_id,
                                               Bid.status == BidStatus.SUBMITTED))


def submit_bid(user: User, project_id: int, lot_id: int, stream: BinaryIO, *, ip: str | None = None,
               user_agent: str | None = None) -> Bid:
    """Stream a sealed bid to the store, check it, and record it as the supplier's current bid.

    `ip` and `user_agent` are what the request showed of the uploader: kept on the bid as evidence for
    the collusion signals (the same address or browser behind two bidders, registry.collusion).
    The caller commits; on any failure after this returns it must call `discard(bid)`."""
    project = get_project(project_id)
    lot = lot_of(project, lot_id)
    _precheck(user, project, lot)
    with filestore.temp_upload(stream) as upload:
        received_at = clock.now()  # the last byte is in: the submission's time, taken before any lock
        if upload.size == 0:
            raise _refuse("empty", "没有收到文件内容，请重新上传。")
        info, fingerprint = check_container(upload.path, lot, user.org)
        copy_print = ciphertext_fingerprint(upload.path, info)
        project, now = lock_for_submission(project_id, received_at)
        refuse_beyond_quota(user, project, lot)  # again under the lock: two uploads may have raced
        refuse_copies(user, project, lot, info, copy_print, upload.sha256)
        previous = current_bid(lot.id, user.org_id)
        if previous is not None:
            move(previous, BidStatus.SUPERSEDED)
            previous.closed_at = now
            db.session.flush()  # the partial unique index allows one current bid
        path = filestore.keep(upload, f"bids/{project.id}/{lot.id}", ".sealed")
    try:
        bid = Bid(project_id=project.id, lot_id=lot.id, org_id=user.org_id, user_id=user.id,
                  bidder_id=info["bidder_id"], path=path, size=upload.size, sha256=upload.sha256,
                  signed_digest=info["signed_digest"], signer_fingerprint=fingerprint,
                  commitment=info["commitment"], ciphertext_fingerprint=copy_print, submitted_at=now,
                  submitted_ip=(ip or None) and ip[:45], submitted_user_agent=(user_agent or None) and user_agent[:300])
        db.session.add(bid)
        db.session.flush()
        event = record("tender.bid_submitted", bid, {
            "project": project.code, "lot": lot.number, "org": user.org_id, "sha256": upload.sha256,
            "size": upload.size, "replaces": previous.id if previous else None})
        bid.audit_seq = event.seq
        db.session.flush()
        # credit (财库〔2016〕125号): checked and shown to the agency, never a refusal here
        check_at_bid(user.org, consortium_members(project.id, user.org_id), f"tender_bid:{bid.id}",
                     project.region_code)
    except BaseException:
        filestore.remove(path)
        raise
    return bid


def discard(bid: Bid | None) -> None:
    """Undo the file of a bid whose transaction did not commit."""
    if bid is not None:
        filestore.remove(bid.path)


def withdraw_bid(user: User, bid_id: int) -> Bid:
    bid = db.session.get(Bid, bid_id)
    if bid is None or bid.org_id != user.org_id:
        raise NotFound("投标文件不存在。", code="bid_not_found")
    _, now = lock_for_submission(bid.project_id)
    db.session.refresh(bid)
    if bid.status != BidStatus.SUBMITTED:
        raise Conflict("只能撤回当前有效的投标文件。", code="bid_not_current")
    move(bid, BidStatus.WITHDRAWN)
    bid.closed_at = now
    record("tender.bid_withdrawn", bid, {"org": bid.org_id, "lot_id": bid.lot_id})
    announce_after_commit(bid.project_id, "changed")
    return bid


# ---------------------------------------------------------------- replaced bids after the opening

BEFORE_OPENING = (ProjectStatus.DRAFT, ProjectStatus.PUBLISHED, ProjectStatus.BIDDING, ProjectStatus.OPENING)
CLOSED_UNOPENED = (BidStatus.SUPERSEDED, BidStatus.WITHDRAWN)


def remove_superseded_files(project_id: int) -> list[str]:
    """Once a project's opening is over, and where the region's rule `superseded_files_removed_after_opening`
    allows: mark the files of its replaced and withdrawn bids removed, audited with each bid's digest and size
    (the rows and receipts stay). The files are deleted after the commit; returns their paths."""
    project = get_project(project_id, lock=True)
    from tender.rules import rule

    if project.status in BEFORE_OPENING or not rule(project.region_code, "superseded_files_removed_after_opening"):
        return []
    bids = list(db.session.scalars(select(Bid).where(
        Bid.project_id == project.id, Bid.status.in_(CLOSED_UNOPENED), Bid.file_removed_at.is_(None))
        .order_by(Bid.id).with_for_update()))
    if not bids:
        return []
    now = clock.now()
    for bid in bids:
        bid.file_removed_at = now
    record("tender.superseded_files_removed", project, {
        "project": project.code, "bytes": sum(b.size for b in bids),
        "bids": [{"id": b.id, "lot_id": b.lot_id, "org": b.org_id, "status": b.status.value, "sha256": b.sha256,
                  "size": b.size} for b in bids]})
    db.session.flush()
    for bid in bids:
        after_commit(filestore.remove, bid.path)
    return [b.path for b in bids]


# ---------------------------------------------------------------- receipts

def receipt_body(bid: Bid) -> dict[str, Any]:
    project = db.session.get(Project, bid.project_id)
    return {"format": RECEIPT_FORMAT, "bid_id": bid.id, "project": project.code, "lot": bid.lot.number,
            "policy_hash": bid.lot.policy_hash, "bidder_id": bid.bidder_id, "sha256": bid.sha256,
            "size": bid.size, "received_at": bid.submitted_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "audit_seq": bid.audit_seq}


def issue_receipt(bid: Bid) -> dict[str, Any]:
    """Sign the receipt with the platform's audit key and attach the audit inclusion proof.

    The bid's row is locked before the proof signs a checkpoint (which locks the audit head):
    the closing sweep takes the same two locks in the same order, so the two cannot deadlock.
    """
    db.session.execute(select(Bid.id).where(Bid.id == bid.id).with_for_update())
    body = receipt_body(bid)
    receipt = {"receipt": body, "signature": statements.sign_receipt(body, audit_service.signing_key()),
               "signature_alg": statements.SIGNATURE_ALG[RECEIPT_FORMAT],
               "verifier_key": audit_service.verifier_key(),
               "verifier_key_fingerprint": audit_service.verifier_key_fingerprint(),
               "inclusion_proof": audit_service.prove(bid.audit_seq)}
    bid.receipt = json.dumps(receipt, ensure_ascii=False)
    db.session.flush()
    return receipt


# ---------------------------------------------------------------- what each party may see

def current_bids(project: Project) -> list[Bid]:
    """The bids that count (submitted, or opened and after): one per supplier and lot."""
    return list(db.session.scalars(select(Bid).where(Bid.project_id == project.id, Bid.status.in_(LIVE))
                                   .order_by(Bid.id)))


def my_bids(user: User, project: Project) -> list[Bid]:
    """A supplier sees its own bids only, never another's."""
    if user.org_id is None:
        return []
    return list(db.session.scalars(select(Bid).where(Bid.project_id == project.id, Bid.org_id == user.org_id)
                                   .order_by(Bid.submitted_at.desc(), Bid.id.desc())))


def bid_counts(user: User | None, project: Project) -> dict[int, int] | None:
    """Bids per lot, shown only after the deadline (before it nobody learns whether others bid)."""
    if clock.now() < project.deadline or project.status in (ProjectStatus.DRAFT, ProjectStatus.PUBLISHED,
                                                            ProjectStatus.BIDDING):
        return None
    rows = db.session.execute(select(Bid.lot_id, func.count()).where(
        Bid.project_id == project.id, Bid.status.in_(LIVE)).group_by(Bid.lot_id)).all()
    counts = {lot.id: 0 for lot in project.lots}
    counts.update({lot_id: n for lot_id, n in rows})
    return counts


def can_see_all_bids(user: User, project: Project) -> bool:
    return (is_project_staff(user, project) or is_overseer(user)) and clock.now() >= project.deadline


def receipt_of(user: User, bid_id: int) -> tuple[Bid, dict[str, Any]]:
    """The signed receipt of one of the user's organisation's bids (issued now if it never was; the caller
    commits). Another organisation's bid is not found."""
    bid = db.session.get(Bid, bid_id)
    if bid is None or user.org_id is None or bid.org_id != user.org_id:
        raise NotFound("投标文件不存在。", code="bid_not_found")
    if bid.receipt is None:
        return bid, issue_receipt(bid)
    receipt = json.loads(bid.receipt)
    # A receipt issued before fingerprints were printed: its key's fingerprint, derived, not signed.
    receipt.setdefault("verifier_key_fingerprint", vkey_fingerprint(receipt["verifier_key"]))
    return bid, receipt
