"""What the room shows each user: its state and progress, filtered by `evaluation.visibility`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import func, select

from accounts.models import User
from core import clock
from core.db import db
from evaluation.clarifying import clarification_items
from evaluation.marking import scores_visible_to
from evaluation.models import (
    BidEvaluation,
    ChairVote,
    Committee,
    OutlierFinding,
    ScoreFlag,
    StageDone,
)
from evaluation.reporting import current_report, signed_current
from evaluation.room import (
    STAGES,
    STATUS_ZH,
    C,
    actor_of,
    is_purchaser,
    lot_of,
    member_of,
    opened_bids,
    project_of,
    requirements_of,
    scheme_of,
)
from evaluation.summary import NOT_POSITIVE
from evaluation.visibility import Action, Actor, can


def progress(committee: Committee) -> dict:
    """Who has finished which stage (names of members, never their scores)."""
    finished: dict[str, list[int]] = {stage: [] for stage in STAGES}
    for member_id, stage in db.session.execute(select(StageDone.member_id, StageDone.stage).where(
            StageDone.committee_id == committee.id).order_by(StageDone.member_id)):
        finished.setdefault(stage, []).append(member_id)
    return finished


def state_for(user: User, committee: Committee, present: Iterable[int] = ()) -> dict:
    """Everything the room shows this user; visibility decided by `evaluation.visibility`."""
    from core import money

    actor = actor_of(user, committee)
    member = member_of(user, committee)
    project, lot = project_of(committee), lot_of(committee)
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_([m.user_id for m in
                                                                                committee.members])))}
    present = set(present)
    stage = committee.status
    state: dict[str, Any] = {
        "committee": {"id": committee.id, "status": stage.value, "status_text": STATUS_ZH[stage.value],
                      "method": committee.eval_method.value, "suspended_from": committee.suspended_from.value
                      if committee.suspended_from else None},
        "project": {"id": project.id, "code": project.code, "title": project.title},
        "lot": {"id": lot.id, "number": lot.number, "name": lot.name},
        "me": {"actor": actor.value if actor else None, "member_id": member.id if member else None,
               "member_status": member.status.value if member else None,
               "is_chair": bool(member and member.is_chair)},
        "members": [{"id": m.id, "user_id": m.user_id, "name": users[m.user_id].name, "status": m.status.value,
                     "is_chair": m.is_chair, "purchaser_rep": m.is_purchaser_rep,
                     "present": m.user_id in present} for m in committee.members],
        "progress": progress(committee),
        "chair_votes": {},
        "now": clock.now().isoformat(),
    }
    if stage is C.DECLARING:
        state["chair_votes"] = {str(cid): n for cid, n in db.session.execute(
            select(ChairVote.candidate_id, func.count()).where(ChairVote.committee_id == committee.id)
            .group_by(ChairVote.candidate_id)).all()}
    if actor is None and not (is_purchaser(user, committee) and stage in (C.COMPLETED, C.FAILED)):
        return state
    # The bidders and prices are the public opening record; exclusions are shown once decided.
    rows = {r.bid_id: r for r in db.session.scalars(select(BidEvaluation).where(
        BidEvaluation.committee_id == committee.id))}
    state["bids"] = [{"id": b.id, "bidder": line.bidder_name, "price_fen": line.price_fen,
                      "price": money.format_yuan(line.price_fen) if line.price_fen else "",
                      # a bid without a price (0) never gets a row: the engine excludes it (price.not_positive)
                      "excluded": bool(rows.get(b.id) and rows[b.id].excluded) or not line.price_fen,
                      "exclusion_reason": rows[b.id].exclusion_reason if b.id in rows
                      else None if line.price_fen else NOT_POSITIVE,
                      # the bid's SME declaration: the class the chair recorded, the share its summary declares
                      "sme_class": rows[b.id].sme_class.value if b.id in rows else "none",
                      "small_micro_share": (line.price_detail or {}).get("small_micro_share_percent")}
                     for b, line in opened_bids(committee)]
    if actor is None:
        return state
    state["requirements"] = requirements_of(committee)
    scheme = scheme_of(committee)
    details = {str(c.get("name")): c.get("items") or [] for c in (project_of(committee).criteria or [])}
    state["criteria"] = [{"code": str(c.code), "min": str(c.min_score), "max": str(c.max_score),
                          "kind": c.kind.value, "items": details.get(str(c.code), [])}
                         for c in scheme.criteria] if scheme else []
    state["price_points"] = str(scheme.price_points) if scheme else None
    scores = scores_visible_to(user, committee)
    state["scores"] = [{"member": s.member_id, "bid": s.bid_id, "criterion": s.criterion, "score": str(s.score),
                        "change_reason": s.change_reason.value if s.change_reason else None} for s in scores]
    if stage in (C.SUMMARY, C.REPORTING) and actor in (Actor.MEMBER, Actor.CHAIR):
        flags = db.session.scalars(select(ScoreFlag).where(ScoreFlag.committee_id == committee.id)
                                   .order_by(ScoreFlag.id))
        state["flags"] = [{"id": f.id, "member": f.member_id, "bid": f.bid_id, "criterion": f.criterion,
                           "code": f.code.value, "message": f.message, "resolution": f.resolution.value,
                           "note": f.note} for f in flags
                          if actor is Actor.CHAIR or (member and f.member_id == member.id)]
        findings = db.session.scalars(select(OutlierFinding).where(OutlierFinding.committee_id == committee.id)
                                      .order_by(OutlierFinding.id))
        state["findings"] = [{"id": f.id, "member": f.member_id, "bid": f.bid_id, "criterion": f.criterion,
                              "note": f.note, "proposed_by": f.proposed_by_id, "found": f.found,
                              "agree": [v.member_id for v in f.votes if v.agree],
                              "disagree": [v.member_id for v in f.votes if not v.agree]} for f in findings]
    if actor in (Actor.MEMBER, Actor.CHAIR, Actor.SUPERVISOR):
        state["clarifications"] = clarification_items(committee)
    report = current_report(committee)
    if report is not None and can(actor, Action.READ_REPORT, stage):
        state["report"] = {"id": report.id, "version": report.version, "status": report.status.value,
                           "pdf_sha256": report.pdf_sha256,
                           "signed": sorted(signed_current(report))}
    return state
