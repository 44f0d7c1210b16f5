"""The summary accepted and locked, the report generated, rendered and signed (dissents, TOTP),
or taken back to the summary before every signature.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import delete, func, select

from accounts.models import User
from accounts.service import verify_totp
from audit.service import payloads_of, record
from core import clock
from core.db import db
from core.errors import Conflict, NotFound, ValidationError
from evaluation.clarifying import clarification_items
from evaluation.marking import raise_flags
from evaluation.models import (
    Candidate,
    Committee,
    CommitteeMember,
    EvaluationReport,
    FlagResolution,
    OutlierFinding,
    ReportSignature,
    ScoreChange,
    ScoreFlag,
    StageDone,
    from_hundredths,
    to_hundredths,
)
from evaluation.opinions import Dissent, report_positions
from evaluation.outcome import apply_exclusions, fail_lot, outcome_of
from evaluation.report_data import MemberInfo, report_payload
from evaluation.room import (
    C,
    actor_of,
    award_of,
    bid_names,
    bid_rows,
    get_committee,
    is_purchaser,
    mark_done,
    require,
    require_chair,
    require_member,
    require_status,
    rules_of,
)
from evaluation.rules import RulesError
from evaluation.summary import LotOutcome
from evaluation.transitions import ReportStatus, move
from evaluation.visibility import Action, can


def reopen_summary(user: User, committee_id: int, reason: str) -> Committee:
    """Before every member has signed, the chair takes the report back to the summary for an error the
    rules allow correcting (87号令 Art 64); the unsigned report is superseded and the summary unlocked."""
    committee = get_committee(committee_id, lock=True)
    require_status(committee, C.REPORTING)
    require_chair(user, committee)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请写明退回汇总的理由。", code="reason_required")
    report = current_report(committee)
    if report is not None:
        move(report, ReportStatus.SUPERSEDED)
    db.session.execute(delete(StageDone).where(StageDone.committee_id == committee.id, StageDone.stage == "signing"))
    committee.summary_locked_at = None
    move(committee, C.SUMMARY)
    record("evaluation.summary_reopened", committee, {"reason": reason[:300],
                                                      "report": report.id if report else None})
    return committee


def accept_summary(user: User, committee_id: int) -> EvaluationReport | None:
    """The chair accepts the summary: every rule applied, nothing pending, no open flag; the summary is
    locked, the ranking and candidates recorded and the report generated for signing (None: the lot failed)."""
    committee = get_committee(committee_id, lock=True)
    require_status(committee, C.SUMMARY)
    require(user, committee, Action.ACCEPT_SUMMARY)
    require_chair(user, committee)
    if db.session.scalar(select(func.count()).select_from(ScoreFlag).where(
            ScoreFlag.committee_id == committee.id, ScoreFlag.resolution == FlagResolution.OPEN)):
        raise Conflict("尚有未处理的评分提示。", code="open_flags")
    if db.session.scalar(select(func.count()).select_from(OutlierFinding).where(
            OutlierFinding.committee_id == committee.id, OutlierFinding.found.is_(None))):
        raise Conflict("尚有评分畸高、畸低的认定提议待评审委员会表决。", code="open_findings")
    outcome, inputs = outcome_of(committee)
    if outcome.open_flags:
        raise_flags(committee)
        raise Conflict("尚有未处理的评分提示。", code="open_flags")
    if not outcome.complete:
        raise Conflict("汇总尚未完成。", code="summary_incomplete",
                       details={"pending": [[p.bidder, p.code] for p in outcome.pending]})
    apply_exclusions(committee, outcome)
    if outcome.failed_code:
        fail_lot(committee, outcome.failed_code)
        return None
    rows = bid_rows(committee)
    for row in rows.values():
        row.price_score_h = row.total_h = row.rank = None
    for bid_id, ev in outcome.evaluated.items():
        row = rows[int(bid_id)]
        row.deduction_bp = to_hundredths(ev.deduction_percent)
        if outcome.prices is not None:
            row.price_score_h = to_hundredths(outcome.prices.scores[bid_id])
        if bid_id in outcome.totals:
            row.total_h = to_hundredths(outcome.totals[bid_id].total)
    final = outcome.same_brand.ranking if outcome.same_brand is not None else outcome.ranking
    for ranked in final:
        rows[int(ranked.bidder)].rank = ranked.rank
    committee.summary_locked_at = clock.now()
    move(committee, C.REPORTING)
    record("evaluation.summary_locked", committee, {
        "ranking": [[r.bidder, r.rank, None if r.total is None else str(r.total)] for r in final],
        "candidates": [r.bidder for r in outcome.candidates.ranked]})
    return generate_report(committee, outcome, inputs)


def members_info(committee: Committee) -> list[MemberInfo]:
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_([m.user_id for m in
                                                                                committee.members])))}
    return [MemberInfo(m.id, users[m.user_id].name, m.is_purchaser_rep, m.hand_picked, m.is_chair)
            for m in committee.active_members]


def report_contents(committee: Committee, report: EvaluationReport | None = None) -> dict:
    """The report as canonical data (recomputed from the rows; the PDF's hash pins what was signed)."""
    outcome, inputs = outcome_of(committee)
    dissents = []
    if report is not None:
        dissents = [Dissent(s.member_id, s.dissent) for s in report.signatures if s.dissent]
    payload = report_payload(outcome, members=members_info(committee), reviews=inputs["reviews"],
                             scores=inputs["scores"], positions=report_positions(inputs["members"], dissents),
                             clarifications=clarification_items(committee),
                             tie_break_on_evaluated_price=rules_of(committee).tie_break_on_evaluated_price)
    payload["bidder_names"] = {str(k): v for k, v in bid_names(committee).items()}
    payload["score_changes"] = score_changes(committee)
    return payload


def score_changes(committee: Committee) -> list[dict]:
    """Every change of a submitted score during the summary, oldest first, for the report (87号令 Art 64:
    the change, its reason and who made it are recorded in the report)."""
    return [{"member": c.member_id, "bidder": c.bid_id, "criterion": c.criterion,
             "from": str(from_hundredths(c.from_h)), "to": str(from_hundredths(c.to_h)),
             "reason": c.reason.value, "note": c.note,
             "at": clock.format_local(c.changed_at)}
            for c in db.session.scalars(select(ScoreChange).where(ScoreChange.committee_id == committee.id)
                                        .order_by(ScoreChange.id))]


def generate_report(committee: Committee, outcome: LotOutcome, inputs: dict) -> EvaluationReport:

    previous = list(db.session.scalars(select(EvaluationReport).where(
        EvaluationReport.committee_id == committee.id).order_by(EvaluationReport.version)))
    for old in previous:
        if old.status is not ReportStatus.SUPERSEDED:
            move(old, ReportStatus.SUPERSEDED)
    report = EvaluationReport(committee_id=committee.id, version=len(previous) + 1, generated_at=clock.now())
    db.session.add(report)
    db.session.flush()
    rows = bid_rows(committee)
    final = outcome.same_brand.ranking if outcome.same_brand is not None else outcome.ranking
    chosen = {r.bidder for r in outcome.candidates.ranked}
    for position, ranked in enumerate([r for r in final if r.bidder in chosen], start=1):
        report.candidates.append(Candidate(bid_id=int(ranked.bidder), position=position, rank=ranked.rank,
                                           total_h=None if ranked.total is None else to_hundredths(ranked.total),
                                           # the bid price after the confirmed Art 59 corrections: the
                                           # one price of the award notice, result notice and contract
                                           price_fen=rows[int(ranked.bidder)].corrected_price_fen))
    path, size = _render_report(committee, report)
    move(report, ReportStatus.SIGNING)
    record("evaluation.report_generated", report, {"committee": committee.id, "version": report.version,
                                                   "pdf_sha256": report.pdf_sha256, "bytes": size,
                                                   "path": str(path.name)})
    db.session.flush()
    return report


def _render_report(committee: Committee, report: EvaluationReport, text: int = 1) -> tuple[Any, int]:
    """Render the report's PDF (with the dissents signed so far) and point the report at it; `text` numbers
    the renderings of one version (a dissent makes a new one, the earlier files stay as they were).
    Returns (path, size)."""
    from evaluation import report_pdf

    pdf = report_pdf.render(committee, report, report_contents(committee, report))
    suffix = "" if text == 1 else f"-{text}"
    relative = f"reports/{committee.id}/report-v{report.version}{suffix}.pdf"
    path = report_pdf.store(relative, pdf)
    report.pdf_path, report.pdf_sha256 = relative, hashlib.sha256(pdf).hexdigest()
    return path, len(pdf)


def _rerender_with_dissent(committee: Committee, report: EvaluationReport, member: CommitteeMember) -> None:
    """A dissent belongs in the text everyone signs (87号令 Art 53): the report is rendered again with it,
    and whoever had signed the earlier text is asked to sign the final one."""
    old = report.pdf_sha256
    texts = 1 + len(payloads_of("evaluation.report_rerendered", report))
    path, size = _render_report(committee, report, texts + 1)
    stale = [s.member_id for s in report.signatures if s.member_id != member.id]
    if stale:  # their "signed" mark goes: the room offers them the final text to sign
        db.session.execute(delete(StageDone).where(StageDone.committee_id == committee.id,
                                                   StageDone.stage == "signing", StageDone.member_id.in_(stale)))
    record("evaluation.report_rerendered", report, {
        "committee": committee.id, "version": report.version, "reason": "dissent", "member": member.id,
        "from_sha256": old, "pdf_sha256": report.pdf_sha256, "bytes": size, "path": str(path.name),
        "to_sign_again": sorted(stale)})


def signature_current(report: EvaluationReport, signature: ReportSignature) -> bool:
    """Whether a signature covers the report's current text."""
    return signature.pdf_sha256 is None or signature.pdf_sha256 == report.pdf_sha256


def current_report(committee: Committee) -> EvaluationReport | None:
    return db.session.scalar(select(EvaluationReport).where(
        EvaluationReport.committee_id == committee.id, EvaluationReport.status != ReportStatus.SUPERSEDED)
        .order_by(EvaluationReport.version.desc()))


def sign_report(user: User, report_id: int, totp_code: str, address: str = "-", *,
                dissent: str | None = None) -> ReportSignature:
    """A member signs the report (TOTP step-up); a dissent needs reasons; silence is agreement. The last
    signature completes the evaluation."""
    report = db.session.get(EvaluationReport, report_id)
    if report is None:
        raise NotFound("评审报告不存在。", code="report_not_found")
    committee = get_committee(report.committee_id, lock=True)
    require_status(committee, C.REPORTING)
    require(user, committee, Action.SIGN_REPORT)
    member = require_member(user, committee)
    if report.status is not ReportStatus.SIGNING:
        raise Conflict("此版本的评审报告不在签署中。", code="report_not_signing")
    signature = db.session.get(ReportSignature, (report.id, member.id))
    if signature is not None and signature_current(report, signature):
        raise Conflict("您已签署评审报告。", code="already_signed")
    dissent = (dissent or "").strip()[:5000] or None
    if dissent is not None:
        try:
            Dissent(member.id, dissent)
        except RulesError as exc:
            raise ValidationError(exc.message, code=exc.code) from None
    verify_totp(user, totp_code or "", address, purpose="sign_report")
    if signature is None:
        signature = ReportSignature(report_id=report.id, member_id=member.id, signed_at=clock.now())
        db.session.add(signature)
        new_dissent = dissent is not None
    else:  # signing the final text again after someone's dissent: an earlier dissent stands unless changed
        new_dissent = dissent is not None and dissent != signature.dissent
        dissent = dissent or signature.dissent
        signature.signed_at = clock.now()
    signature.dissent = dissent
    db.session.flush()
    db.session.refresh(report)
    if new_dissent:
        _rerender_with_dissent(committee, report, member)
    signature.pdf_sha256 = report.pdf_sha256
    event = record("evaluation.report_signed", report, {
        "committee": committee.id, "member": member.id, "user": user.id, "pdf_sha256": report.pdf_sha256,
        "position": "dissent" if dissent else "agree",
        "dissent_sha256": hashlib.sha256(dissent.encode()).hexdigest() if dissent else None})
    signature.audit_seq = event.seq
    mark_done(committee, member, "signing", event.seq)
    db.session.flush()
    if {m.id for m in committee.active_members} <= signed_current(report):
        move(report, ReportStatus.SIGNED)
        report.signed_at = clock.now()
        move(committee, C.COMPLETED)
        committee.completed_at = clock.now()
        record("evaluation.completed", committee, {"report": report.id, "pdf_sha256": report.pdf_sha256})
    db.session.flush()
    return signature


def signed_current(report: EvaluationReport) -> set[int]:
    """The members whose signature covers the report's current text."""
    return {s.member_id for s in report.signatures if signature_current(report, s)}


def can_read_report(user: User, committee: Committee) -> bool:
    actor = actor_of(user, committee)
    if actor is not None and can(actor, Action.READ_REPORT, committee.status):
        return True
    return is_purchaser(user, committee) and committee.status is C.COMPLETED and award_of(committee) is not None
