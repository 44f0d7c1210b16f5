"""The scoring stage (the pure scoring rules are `evaluation.scoring`): each member's score sheet
(TOTP step-up), who sees which scores, the summary's flags and their resolution (87号令 Art 64).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import select

from accounts.models import User
from accounts.service import verify_totp
from audit.service import record
from core import clock
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationError
from evaluation.consistency import CONFIRMABLE, ChangeReason, Flag, FlagCode, check_score_change
from evaluation.models import (
    Committee,
    FlagResolution,
    OutlierFinding,
    OutlierVote,
    Score,
    ScoreChange,
    ScoreFlag,
    to_hundredths,
)
from evaluation.outcome import outcome_of
from evaluation.room import (
    C,
    actor_of,
    bid_names,
    bid_rows,
    done,
    get_committee,
    mark_done,
    member_of,
    opened_bids,
    require,
    require_chair,
    require_member,
    require_status,
    scheme_of,
)
from evaluation.rules import RulesError
from evaluation.transitions import move
from evaluation.visibility import Action, can


def _parse_score(value: Any) -> Decimal:
    if isinstance(value, float | bool):
        raise ValidationError("分数须以十进制文本提交。", code="bad_score")
    try:
        score = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(f"分数格式不正确：{value}", code="bad_score") from None
    if not score.is_finite() or score < 0 or score != score.quantize(Decimal("0.01")):
        raise ValidationError(f"分数须为不超过两位小数的非负数：{value}", code="bad_score")
    return score


def valid_bid_ids(committee: Committee) -> list[int]:
    rows = bid_rows(committee)
    return [b.id for b, _ in opened_bids(committee) if b.id in rows and not rows[b.id].excluded]


def submit_scores(user: User, committee_id: int, scores: Mapping[Any, Mapping[str, Any]], totp_code: str,
                  address: str = "-") -> int:
    """A member submits his whole score sheet (every valid bid × every criterion), confirmed with TOTP.
    Before this nobody sees anything of it; afterwards it changes only for an Art 64 reason."""
    committee = get_committee(committee_id, lock=True)
    require_status(committee, C.SCORING)
    require(user, committee, Action.SCORE)
    member = require_member(user, committee)
    if member.id in done(committee, "scoring"):
        raise Conflict("您已提交评分，汇总时如有法定情形可按提示修改。", code="scores_already_submitted")
    scheme = scheme_of(committee)
    bids = valid_bid_ids(committee)
    table: dict[tuple[int, str], Decimal] = {}
    for bid_key, sheet in (scores or {}).items():
        try:
            bid_id = int(bid_key)
        except (TypeError, ValueError):
            raise ValidationError("评分表格式不正确。", code="bad_score_sheet") from None
        if bid_id not in bids or not isinstance(sheet, Mapping):
            raise ValidationError("评分对象不是本标项的有效投标。", code="bad_score_sheet")
        for code, value in sheet.items():
            try:
                criterion = scheme.criterion(code)
            except RulesError:
                raise ValidationError(f"评分标准中没有“{code}”。", code="bad_score_sheet") from None
            bidder = bid_names(committee).get(bid_id, "")
            try:
                score = _parse_score(value)
            except ValidationError as exc:
                raise ValidationError(f"{bidder}·“{code}”：{exc.message}", code=exc.code,
                                      details={"bid_id": bid_id, "criterion": code}) from None
            if not criterion.min_score <= score <= criterion.max_score:
                raise ValidationError(f"{bidder}·“{code}”得分{score}超出{criterion.min_score}–{criterion.max_score}"
                                      "分的范围。", code="score_out_of_range",
                                      details={"bid_id": bid_id, "criterion": code})
            table[(bid_id, str(criterion.code))] = score
    missing = [(b, c.code) for b in bids for c in scheme.criteria if (b, str(c.code)) not in table]
    if missing:
        names = bid_names(committee)
        first = "、".join(f"{names.get(b, '')}·“{c}”" for b, c in missing[:3])
        raise ValidationError(f"尚有{len(missing)}项未评分：{first}{'等' if len(missing) > 3 else ''}。",
                              code="scores_incomplete")
    verify_totp(user, totp_code or "", address, purpose="submit_scores")
    now = clock.now()
    db.session.add_all([Score(committee_id=committee.id, member_id=member.id, bid_id=b, criterion=c,
                              score_h=to_hundredths(v), submitted_at=now) for (b, c), v in table.items()])
    db.session.flush()
    digest = hashlib.sha256(json.dumps(sorted([[b, c, str(v)] for (b, c), v in table.items()]),
                                       ensure_ascii=False).encode()).hexdigest()
    # The audit event carries the sheet's hash, not the scores: the log is readable by observers.
    event = record("evaluation.scores_submitted", committee, {"member": member.id, "sheet_sha256": digest,
                                                              "entries": len(table)})
    mark_done(committee, member, "scoring", event.seq)
    return len(table)


def scores_visible_to(user: User, committee: Committee) -> list[Score]:
    """The scores this user may see now: nothing, his own, or everyone's (the visibility table decides)."""
    actor = actor_of(user, committee)
    if actor is None:
        return []
    member = member_of(user, committee)
    submitted = member is not None and member.id in done(committee, "scoring")
    rows = list(db.session.scalars(select(Score).where(Score.committee_id == committee.id)
                                   .order_by(Score.member_id, Score.bid_id, Score.criterion)))
    if can(actor, Action.SEE_ALL_SCORES, committee.status, own_scores_submitted=submitted):
        return rows
    if member is not None and can(actor, Action.SEE_OWN_SCORES, committee.status):
        return [s for s in rows if s.member_id == member.id]
    return []


def start_summary(user: User, committee_id: int) -> list[ScoreFlag]:
    """The chair moves to the summary once every member has submitted: the flags are raised for the
    member concerned and the chair. Returns the open flags."""
    committee = get_committee(committee_id, lock=True)
    require_status(committee, C.SCORING)
    require_chair(user, committee)
    members = {m.id for m in committee.active_members}
    if not members <= done(committee, "scoring"):
        raise Conflict("尚有成员未提交评分。", code="scores_missing")
    move(committee, C.SUMMARY)
    flags = raise_flags(committee)
    record("evaluation.summary_started", committee, {"flags": len(flags)})
    return flags


def _committee_found(committee: Committee) -> set[int]:
    """Ids of the flags the committee raised by its own finding (not the rules'): never cleared by them."""
    return set(db.session.scalars(select(OutlierFinding.flag_id).where(OutlierFinding.committee_id == committee.id,
                                                                       OutlierFinding.flag_id.is_not(None))))


def raise_flags(committee: Committee) -> list[ScoreFlag]:
    """Bring the recorded flags to the current outcome: each open flag of the outcome is recorded once (its
    message, with the figures, kept current), and a flag the rules no longer raise — a total outlier after
    the member corrected one of its scores — is cleared rather than left open with the old figures.
    Returns the open flags."""
    outcome, _ = outcome_of(committee)
    current = {(f.code.value, f.member, f.bidder, f.criterion): f for f in outcome.open_flags}
    found = _committee_found(committee)
    existing = [f for f in db.session.scalars(select(ScoreFlag).where(ScoreFlag.committee_id == committee.id)
                                              .order_by(ScoreFlag.id)) if f.id not in found]
    known = {(f.code.value, f.member_id, f.bid_id, f.criterion): f for f in existing}
    now = clock.now()
    made, cleared, updated = [], [], []
    for key, flag in current.items():
        row = known.get(key)
        message = flag.message[:300]
        if row is None:
            row = ScoreFlag(committee_id=committee.id, member_id=int(flag.member), bid_id=int(flag.bidder),
                            criterion=None if flag.criterion is None else str(flag.criterion), code=flag.code,
                            message=message, raised_at=now)
            db.session.add(row)
            made.append(row)
        elif row.resolution is FlagResolution.CLEARED:  # raised again by a later change
            row.resolution, row.resolved_at, row.note, row.message, row.raised_at = (
                FlagResolution.OPEN, None, None, message, now)
            made.append(row)
        elif row.resolution is FlagResolution.OPEN and row.message != message:
            row.message = message
            updated.append(row)
    for key, row in known.items():
        if key not in current and row.resolution is FlagResolution.OPEN:
            row.resolution, row.resolved_at = FlagResolution.CLEARED, now
            row.note = "评分修改后，评分规则不再提示此项。"
            cleared.append(row)
    db.session.flush()
    if made:
        record("evaluation.flags_raised", committee, {"flags": [[f.code.value, f.member_id, f.bid_id, f.criterion]
                                                                 for f in made]})
    if cleared or updated:
        record("evaluation.flags_refreshed", committee, {"cleared": [f.id for f in cleared],
                                                         "updated": [[f.id, f.message] for f in updated]})
    return [f for f in db.session.scalars(select(ScoreFlag).where(ScoreFlag.committee_id == committee.id,
                                                                  ScoreFlag.resolution == FlagResolution.OPEN))]


def propose_outlier(user: User, committee_id: int, member_id: int, bid_id: int, criterion: str,
                    note: str) -> OutlierFinding:
    """A member proposes that the committee find a score abnormally high or low (87号令 Art 64 (4)) though
    the thresholds did not flag it. The finding is the committee's: the proposer agrees by proposing, the
    others vote (`vote_outlier`), and only a majority of the members taking part makes it."""
    committee = get_committee(committee_id, lock=True)
    require_status(committee, C.SUMMARY)
    proposer = require_member(user, committee)
    note = (note or "").strip()
    if not note:
        raise ValidationError("请写明评审委员会认定评分畸高、畸低的理由。", code="flag_note_required")
    score = db.session.scalar(select(Score).where(Score.committee_id == committee.id, Score.member_id == member_id,
                                                  Score.bid_id == bid_id, Score.criterion == criterion))
    if score is None:
        raise ValidationError("没有这项评分。", code="score_not_found")
    if db.session.scalar(select(OutlierFinding.id).where(
            OutlierFinding.committee_id == committee.id, OutlierFinding.member_id == member_id,
            OutlierFinding.bid_id == bid_id, OutlierFinding.criterion == criterion,
            OutlierFinding.found.is_(None))) is not None:
        raise Conflict("这项评分已有待表决的认定提议。", code="finding_pending")
    row = OutlierFinding(committee_id=committee.id, member_id=member_id, bid_id=bid_id, criterion=criterion,
                         note=note[:300], proposed_by_id=proposer.id, proposed_at=clock.now())
    row.votes.append(OutlierVote(member_id=proposer.id, agree=True, voted_at=clock.now()))
    db.session.add(row)
    db.session.flush()
    record("evaluation.outlier_proposed", row, {"committee": committee.id, "member": member_id, "bid": bid_id,
                                                "criterion": criterion, "proposed_by": proposer.id})
    _decide_finding(committee, row)
    return row


def vote_outlier(user: User, finding_id: int, agree: bool) -> OutlierFinding:
    """A member of the committee agrees or not with a proposed outlier finding; once, on the record."""
    row = db.session.get(OutlierFinding, finding_id)
    if row is None:
        raise NotFound("认定提议不存在。", code="finding_not_found")
    committee = get_committee(row.committee_id, lock=True)
    require_status(committee, C.SUMMARY)
    voter = require_member(user, committee)
    if row.found is not None:
        raise Conflict("此认定提议已有表决结果。", code="finding_decided")
    if any(v.member_id == voter.id for v in row.votes):
        raise Conflict("您已对此提议表决。", code="already_voted")
    row.votes.append(OutlierVote(member_id=voter.id, agree=bool(agree), voted_at=clock.now()))
    db.session.flush()
    record("evaluation.outlier_vote", row, {"committee": committee.id, "voter": voter.id, "agree": bool(agree)})
    _decide_finding(committee, row)
    return row


def _decide_finding(committee: Committee, row: OutlierFinding) -> None:
    """More than half of the members taking part agree: the finding is made and the score's member gets the
    flag to confirm or correct; half or more disagree: it cannot be made. Audited with every vote."""
    members = {m.id for m in committee.active_members}
    yes = sorted(v.member_id for v in row.votes if v.agree and v.member_id in members)
    no = sorted(v.member_id for v in row.votes if not v.agree and v.member_id in members)
    if 2 * len(yes) > len(members):
        flag = ScoreFlag(committee_id=committee.id, member_id=row.member_id, bid_id=row.bid_id,
                         criterion=row.criterion, code=FlagCode.OUTLIER,
                         message=f"评审委员会（{len(yes)}/{len(members)} 名成员同意）认定“{row.criterion}”评分畸高、"
                                 f"畸低：{row.note}"[:300], raised_at=clock.now())
        db.session.add(flag)
        db.session.flush()
        row.found, row.decided_at, row.flag_id = True, clock.now(), flag.id
        record("evaluation.outlier_found", flag, {"committee": committee.id, "finding": row.id,
                                                  "member": row.member_id, "bid": row.bid_id,
                                                  "criterion": row.criterion, "agreed": yes, "disagreed": no,
                                                  "members": len(members)})
    elif 2 * len(no) >= len(members):
        row.found, row.decided_at = False, clock.now()
        record("evaluation.outlier_not_found", row, {"committee": committee.id, "agreed": yes, "disagreed": no,
                                                     "members": len(members)})
    db.session.flush()


def open_findings(committee: Committee) -> list[OutlierFinding]:
    """Proposed outlier findings still waiting for the members' votes."""
    return list(db.session.scalars(select(OutlierFinding).where(OutlierFinding.committee_id == committee.id,
                                                                OutlierFinding.found.is_(None))
                                   .order_by(OutlierFinding.id)))


_REASON_FOR = {FlagCode.ARITHMETIC: ChangeReason.ARITHMETIC_ERROR, FlagCode.OUT_OF_RANGE: ChangeReason.OUT_OF_RANGE,
               FlagCode.BAD_PRECISION: ChangeReason.OUT_OF_RANGE,
               FlagCode.OBJECTIVE_MISMATCH: ChangeReason.OBJECTIVE_INCONSISTENT,
               FlagCode.OUTLIER: ChangeReason.OUTLIER, FlagCode.TOTAL_OUTLIER: ChangeReason.OUTLIER}


def resolve_flag(user: User, flag_id: int, *, action: str, note: str, new_score: Any = None,
                 criterion: str | None = None) -> ScoreFlag:
    """The flagged member confirms (outliers only) or corrects his score, with a reason (87号令 Art 64)."""
    flag = db.session.get(ScoreFlag, flag_id)
    if flag is None:
        raise NotFound("提示不存在。", code="flag_not_found")
    committee = get_committee(flag.committee_id, lock=True)
    require_status(committee, C.SUMMARY)
    member = require_member(user, committee)
    if member.id != flag.member_id:
        raise Forbidden("只能处理发给您本人的提示。", code="not_your_flag")
    if flag.resolution is not FlagResolution.OPEN:
        raise Conflict("此提示已处理。", code="flag_resolved")
    note = (note or "").strip()
    if not note:
        raise ValidationError("请填写确认或修改的理由。", code="flag_note_required")
    if action not in ("confirm", "correct"):
        raise ValidationError("未知的处理方式。", code="bad_flag_action")
    if action == "confirm":
        if flag.code not in CONFIRMABLE:
            raise Conflict("此类问题须修改评分，不能直接确认。", code="flag_must_be_corrected")
        flag.resolved_at, flag.note = clock.now(), note[:300]
        flag.resolution = FlagResolution.CONFIRMED
    else:
        target = flag.criterion or criterion
        score = db.session.scalar(select(Score).where(Score.member_id == member.id, Score.bid_id == flag.bid_id,
                                                      Score.criterion == (target or "")))
        if score is None:
            raise ValidationError("请指明要修改的评审因素。", code="criterion_required")
        value = _parse_score(new_score)
        criterion_def = scheme_of(committee).criterion(score.criterion)
        if not criterion_def.min_score <= value <= criterion_def.max_score:
            raise ValidationError("修改后的分数仍超出范围。", code="score_out_of_range")
        evidence = [Flag(flag.code, flag.member_id, flag.bid_id, flag.criterion, flag.message)]
        try:
            reason = check_score_change(_REASON_FOR[flag.code].value, member=member.id, bidder=flag.bid_id,
                                        criterion=score.criterion, flags=evidence)
        except RulesError as exc:
            raise Conflict(exc.message, code=exc.code) from None
        old = score.score_h
        flag.resolved_at, flag.note = clock.now(), note[:300]
        score.score_h, score.changed_at = to_hundredths(value), clock.now()
        score.change_reason, score.change_note = reason, note[:300]
        flag.resolution = FlagResolution.CORRECTED
        event = record("evaluation.score_corrected", score, {
            "committee": committee.id, "member": member.id, "bid": flag.bid_id, "criterion": score.criterion,
            "reason": reason.value, "from_h": old, "to_h": score.score_h})
        db.session.add(ScoreChange(committee_id=committee.id, score_id=score.id, member_id=member.id,
                                   bid_id=flag.bid_id, criterion=score.criterion, from_h=old, to_h=score.score_h,
                                   reason=reason, note=note[:300], changed_at=clock.now(), audit_seq=event.seq))
    record("evaluation.flag_resolved", flag, {"committee": committee.id, "code": flag.code.value,
                                              "resolution": flag.resolution.value})
    db.session.flush()
    raise_flags(committee)
    return flag
