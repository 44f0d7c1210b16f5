"""The review stage: the members read the opened bids, submit their qualification and compliance
sheets; the chair records SME classes, asks for low-price explanations and closes the review.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, select

from accounts.models import User
from audit.service import record
from core import clock
from core.db import db
from core.errors import Conflict, NotFound, ValidationError
from evaluation.clarifying import ask_clarification
from evaluation.models import (
    BidEvaluation,
    ClarificationKind,
    Committee,
    EvaluationClarification,
    Review,
    StageDone,
)
from evaluation.outcome import apply_exclusions, fail_lot, outcome_of
from evaluation.review import ReviewStage
from evaluation.room import (
    STAGE_ZH,
    C,
    bid_of,
    bid_rows,
    done,
    get_committee,
    mark_done,
    opened_bids,
    require,
    require_chair,
    require_member,
    require_status,
    requirements_of,
)
from evaluation.transitions import move
from evaluation.visibility import Action


def bid_documents(user: User, committee_id: int, bid_id: int) -> list[dict]:
    """The opened bid's files, for a member during the evaluation (the listing itself is not audited)."""
    committee = get_committee(committee_id)
    require(user, committee, Action.READ_BIDS)
    bid = bid_of(committee, bid_id)
    from tender import filestore

    folder = filestore.absolute(f"opened/{bid.project_id}/{bid.id}")
    if not folder.is_dir():
        return []
    return [{"name": str(p.relative_to(folder)), "size": p.stat().st_size}
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.startswith(".")]


def open_bid_document(user: User, committee_id: int, bid_id: int, name: str):
    """The path of one file of an opened bid; every view is audited (who, which bid, which file, its hash)."""
    committee = get_committee(committee_id)
    require(user, committee, Action.READ_BIDS)
    bid = bid_of(committee, bid_id)
    from tender import filestore

    folder = filestore.absolute(f"opened/{bid.project_id}/{bid.id}")
    try:
        path = (folder / name).resolve()
    except (OSError, ValueError):
        path = None
    if path is None or folder.resolve() not in path.parents or not path.is_file():
        raise NotFound("文件不存在。", code="document_not_found")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    record("evaluation.bid_viewed", committee, {"bid": bid.id, "file": name, "sha256": digest,
                                                "viewer": user.id})
    return path


def submit_review(user: User, committee_id: int, stage: str, marks: Sequence[Mapping[str, Any]]) -> int:
    """A member's complete sheet for one review stage: pass/fail per bid and requirement, a reason per fail.
    Resubmitting while the review runs replaces the sheet. Returns the number of marks."""
    committee = get_committee(committee_id, lock=True)
    require_status(committee, C.REVIEWING)
    require(user, committee, Action.REVIEW)
    member = require_member(user, committee)
    try:
        stage_enum = ReviewStage(stage)
    except ValueError:
        raise ValidationError("未知的审查阶段。", code="bad_review_stage") from None
    requirements = requirements_of(committee)[stage_enum.value]
    bids = [b.id for b, _ in opened_bids(committee)]
    seen: dict[tuple[int, str], tuple[bool, str]] = {}
    for mark in marks:
        try:
            bid_id, req = int(mark["bid_id"]), str(mark["requirement"])
        except (KeyError, TypeError, ValueError):
            raise ValidationError("审查记录格式不正确。", code="bad_review_mark") from None
        passed, reason = bool(mark.get("passed")), str(mark.get("reason") or "").strip()
        if bid_id not in bids or req not in requirements:
            raise ValidationError("审查记录不属于本标项。", code="bad_review_mark")
        if not passed and not reason:
            raise ValidationError("判定不通过须填写理由。", code="review_reason_required",
                                  details={"bid_id": bid_id, "requirement": req})
        seen[(bid_id, req)] = (passed, reason[:2000])
    missing = [(b, r) for b in bids for r in requirements if (b, r) not in seen]
    if missing:
        raise ValidationError(f"尚有{len(missing)}项未审查。", code="review_incomplete")
    db.session.execute(delete(Review).where(Review.member_id == member.id, Review.stage == stage_enum))
    now = clock.now()
    db.session.add_all([Review(committee_id=committee.id, member_id=member.id, bid_id=b, stage=stage_enum,
                               requirement=r, passed=p, reason=reason, recorded_at=now)
                        for (b, r), (p, reason) in seen.items()])
    db.session.flush()
    event = record("evaluation.review_submitted", committee, {
        "member": member.id, "stage": stage_enum.value,
        "fails": sorted([[b, r] for (b, r), (p, _) in seen.items() if not p])})
    db.session.execute(delete(StageDone).where(StageDone.committee_id == committee.id,
                                               StageDone.member_id == member.id, StageDone.stage == stage_enum.value))
    mark_done(committee, member, stage_enum.value, event.seq)
    return len(seen)


def set_sme_class(user: User, committee_id: int, bid_id: int, sme_class: str) -> BidEvaluation:
    """The chair records what the bid's SME declaration (中小企业声明函) says, for the price deduction."""
    from evaluation.scoring import SmeClass

    committee = get_committee(committee_id, lock=True)
    require_status(committee, C.REVIEWING)
    require_chair(user, committee)
    bid = bid_of(committee, bid_id)
    try:
        value = SmeClass(sme_class)
    except ValueError:
        raise ValidationError("未知的企业类型。", code="bad_sme_class") from None
    row = bid_rows(committee)[bid.id]
    row.sme_class = value
    record("evaluation.sme_recorded", committee, {"bid": bid.id, "sme": value.value})
    return row


def request_low_price_explanations(user: User, committee_id: int) -> list[EvaluationClarification]:
    """The chair asks every bid the rules find abnormally low for its written explanation (Art 60)."""
    committee = get_committee(committee_id, lock=True)
    require_status(committee, C.REVIEWING)
    require_chair(user, committee)
    _require_reviews_done(committee)
    outcome, _ = outcome_of(committee, with_scores=False)
    asked = {c.bid_id for c in db.session.scalars(select(EvaluationClarification).where(
        EvaluationClarification.committee_id == committee.id,
        EvaluationClarification.kind == ClarificationKind.LOW_PRICE))}
    made = []
    for finding in outcome.low_prices:
        if finding.bidder in asked:
            continue
        reasons = "；".join(f"{t.code.value}（低于参照值的{t.percent}%）" for t in finding.triggers)
        made.append(ask_clarification(user, committee.id, int(finding.bidder),
                                      f"贵公司报价明显低于其他投标报价，可能影响产品质量或者不能诚信履约，"
                                      f"请在规定时间内提供书面说明并提交相关证明材料。（{reasons}）",
                                      kind=ClarificationKind.LOW_PRICE.value))
    return made


def _require_reviews_done(committee: Committee) -> None:
    members = {m.id for m in committee.active_members}
    for stage in (ReviewStage.QUALIFICATION.value, ReviewStage.COMPLIANCE.value):
        if not members <= done(committee, stage):
            raise Conflict(f"尚有成员未完成{STAGE_ZH[stage]}。", code="reviews_missing", details={"stage": stage})


def finish_review(user: User, committee_id: int) -> Committee:
    """The chair closes the review: majority decisions, exclusions recorded; the lot fails with too few
    valid bids; scoring starts (or, under the lowest-price method, the summary)."""
    committee = get_committee(committee_id, lock=True)
    require_status(committee, C.REVIEWING)
    require_chair(user, committee)
    _require_reviews_done(committee)
    outcome, _ = outcome_of(committee, with_scores=False)
    pending = [p for p in outcome.pending]
    if pending:
        raise Conflict("尚有投标人的报价说明或价格确认未完成。", code="evaluation_pending",
                       details={"pending": [{"bid": p.bidder, "code": p.code} for p in pending]})
    apply_exclusions(committee, outcome)
    payload = {"valid": list(outcome.valid), "excluded": [[e.bidder, e.code] for e in outcome.exclusions]}
    if outcome.failed_code:
        fail_lot(committee, outcome.failed_code)
    elif committee.eval_method.value == "scoring":
        move(committee, C.SCORING)
    else:
        move(committee, C.SUMMARY)
    record("evaluation.review_finished", committee, {**payload, "to": committee.status.value})
    return committee
