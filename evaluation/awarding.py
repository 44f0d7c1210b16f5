"""After the report: sent to the purchaser, the winner confirmed (or deemed confirmed, Art 68), the
result notice, a void award and its correction notice, and the award deadlines' sweep.
"""

from __future__ import annotations

from sqlalchemy import select

from accounts.models import User
from accounts.service import finance_orgs, oversees
from audit.service import payloads_of, record
from core import clock
from core.after_commit import after_commit
from core.db import db
from core.errors import Conflict, Forbidden, NotFound, ValidationError
from evaluation import deadlines
from evaluation.models import (
    Award,
    BidEvaluation,
    Committee,
    from_hundredths,
)
from evaluation.periods import due as period_due
from evaluation.periods import require_calendar
from evaluation.reporting import current_report, members_info
from evaluation.room import (
    C,
    award_of,
    bid_names,
    committee_for_lot,
    get_committee,
    is_purchaser,
    lot_of,
    opened_bids,
    project_of,
    require_agency,
    require_status,
)
from evaluation.transitions import AwardStatus, ReportStatus, move
from registry.credit.service import is_barred, refuse_barred_award


def send_report(user: User, committee_id: int, *, confirm_uncovered_year: int | None = None) -> Award:
    """The agency sends the signed report to the purchaser: the award waits for its confirmation,
    due in `purchaser_confirm_workdays` working days (a year the calendar lacks needs its confirmation)."""
    committee = get_committee(committee_id, lock=True)
    require_agency(user, committee)
    require_status(committee, C.COMPLETED)
    if award_of(committee) is not None:
        raise Conflict("评审报告已送交采购人。", code="report_already_sent")
    report = current_report(committee)
    if report is None or report.status is not ReportStatus.SIGNED or not report.candidates:
        raise Conflict("没有已签署并推荐了候选人的评审报告。", code="no_signed_report")
    now = clock.now()
    region = project_of(committee).region_code
    confirmed = require_calendar([deadlines.Step.PURCHASER_CONFIRM], clock.to_local(now).date(),
                                 confirm_uncovered_year, region)
    due = period_due(deadlines.Step.PURCHASER_CONFIRM, clock.to_local(now).date(), region)
    award = Award(lot_id=committee.lot_id, candidate_id=report.candidates[0].id, status=AwardStatus.PENDING,
                  confirm_due_at=clock.end_of_local_day(due), created_at=now)
    db.session.add(award)
    db.session.flush()
    record("evaluation.report_sent", award, {"committee": committee.id, "report": report.id,
                                             "confirm_due": due.isoformat(),
                                             **({"confirmed_uncovered_year": confirmed} if confirmed else {})})
    _declare_message(*report_sent_message(award))
    return award


def report_sent_message(award: Award) -> tuple[dict, list[int]]:
    """The message asking the purchaser to confirm the winner from the report just sent."""
    committee = committee_for_lot(award.lot_id)
    return ({"title": "评审报告已送达", "body": "请在规定期限内按候选人顺序确定中标（成交）供应商。", "level": "info",
             "url": f"/evaluation/{committee.id}"}, [project_of(committee).purchaser_org_id])


def _declare_message(message: dict, org_ids: list[int]) -> None:
    from core.tasks import send_message

    after_commit(send_message.delay, message, org_ids=org_ids)


def get_award(award_id: int) -> tuple[Award, Committee]:
    award = db.session.scalar(select(Award).where(Award.id == award_id).with_for_update())
    if award is None:
        raise NotFound("定标记录不存在。", code="award_not_found")
    committee = committee_for_lot(award.lot_id)
    return award, committee


def confirm_winner(user: User, award_id: int, candidate_id: int, reason: str = "", *,
                   confirm_uncovered_year: int | None = None) -> Award:
    """The purchaser confirms the winner from the candidates in order (87号令 Art 68): the first ranked,
    or a later one only with a reason (the earlier declined, or was found unqualified)."""
    award, committee = get_award(award_id)
    if not is_purchaser(user, committee):
        raise Forbidden("只有本项目的采购人可以确定中标人。", code="not_project_purchaser")
    report = current_report(committee)
    candidate = next((c for c in report.candidates if c.id == candidate_id), None)
    if candidate is None:
        raise ValidationError("只能在评审报告推荐的候选人中确定中标人。", code="not_a_candidate")
    reason = (reason or "").strip()
    if candidate.position > 1 and not reason:
        raise ValidationError("确定排名非第一的候选人须说明理由。", code="reason_required")
    refuse_barred_winner(award, committee, candidate)
    confirmed = require_calendar([deadlines.Step.RESULT_NOTICE], clock.to_local(clock.now()).date(),
                                 confirm_uncovered_year, project_of(committee).region_code)
    move(award, AwardStatus.CONFIRMED)
    award.candidate_id, award.confirmed_at, award.confirmed_by_id = candidate.id, clock.now(), user.id
    late = clock.now() > award.confirm_due_at
    record("evaluation.winner_confirmed", award, {"candidate": candidate.id, "bid": candidate.bid_id,
                                                  "position": candidate.position, "reason": reason[:300],
                                                  "late": late,
                                                  **({"confirmed_uncovered_year": confirmed} if confirmed else {})})
    return award


def _winner_of(committee: Committee, candidate):
    from tender.models import Bid
    from tender.service import consortium_members

    bid = db.session.get(Bid, candidate.bid_id)
    return bid, consortium_members(bid.project_id, bid.org_id)


def refuse_barred_winner(award: Award, committee: Committee, candidate) -> None:
    """财库〔2016〕125号: a winner (or any member of its consortium) on a credit list, or banned, cannot be
    confirmed; the refusal is kept on record (code `winner_credit_barred`), before anything changes."""
    bid, members = _winner_of(committee, candidate)
    refuse_barred_award(bid.org, members, f"evaluation_award:{award.id}", project_of(committee).region_code)


def _notice(committee: Committee, kind, title: str, body: str):
    from notices.service import publish_notice

    return publish_notice(project_of(committee), kind, title, body, lot_of(committee).id)


def result_notice_body(committee: Committee, award: Award) -> str:
    from tender.models import OpeningRecord

    project, lot = project_of(committee), lot_of(committee)
    line = db.session.scalar(select(OpeningRecord).where(OpeningRecord.bid_id == award.candidate.bid_id))
    members = members_info(committee)
    names = "、".join(m.name + ("（自行选定）" if m.hand_picked else "")
                     + ("（采购人代表）" if m.is_purchaser_rep else "") for m in members)
    from core import money

    rows = {r.bid_id: r for r in db.session.scalars(select(BidEvaluation).where(
        BidEvaluation.committee_id == committee.id))}
    names_by_bid = bid_names(committee)
    scores = "；".join(f"{names_by_bid.get(b, b)}：{from_hundredths(r.total_h)}分" for b, r in rows.items()
                      if r.total_h is not None)
    salts = ""
    if committee.draw_request_id:
        salts = f"专家抽取申请编号 {committee.draw_request_id}，抽取盐值已在审计日志公开，可在“抽取核验”页面复核。"
    price = award.candidate.price_fen  # after the confirmed corrections, as in the award notice and contract
    return (f"项目编号：{project.code}\n项目名称：{project.title}\n标项：{lot.number} {lot.name}\n"
            f"中标（成交）供应商：{line.bidder_name}\n中标（成交）金额：{money.format_yuan(price)}元"
            f"（{money.to_chinese_upper(price)}）\n评审委员会成员：{names}\n"
            + (f"评审得分：{scores}\n" if scores else "") + salts
            + "\n招标文件见本项目公告页。各有关当事人对结果有异议的，可在公告期限届满之日起七个工作日内提出质疑。")


def publish_result(user: User, award_id: int, *, confirm_uncovered_year: int | None = None) -> Award:
    """The agency publishes the result notice (public) within the period; the award notice PDF goes to the
    winner and a result letter PDF with its own evaluation to each other bidder (`evaluation.letters`,
    same transaction; the messages declared for after the commit link each organisation to its letter)."""
    from evaluation import letters
    from notices import kinds

    award, committee = get_award(award_id)
    require_agency(user, committee)
    # The challenge period is counted in working days; the contract's 30 days are calendar days, but a last
    # day on a rest day moves to the next working day, which a year the calendar lacks cannot tell (issue 12).
    confirmed = require_calendar([deadlines.Step.CHALLENGE, deadlines.Step.CONTRACT],
                                 clock.to_local(clock.now()).date(), confirm_uncovered_year,
                                 project_of(committee).region_code)
    award.notified_at = clock.now()
    move(award, AwardStatus.NOTIFIED)
    project = project_of(committee)
    title = f"{project.title}（标项{lot_of(committee).number}）中标（成交）结果公告"
    notice = _notice(committee, kinds.RESULT, title, result_notice_body(committee, award))
    due = period_due(deadlines.Step.RESULT_NOTICE, clock.to_local(award.confirmed_at).date(), project.region_code)
    record("evaluation.result_published", award, {"notice": notice.id, "bid": award.candidate.bid_id,
                                                  "late": clock.to_local(clock.now()).date() > due,
                                                  **({"confirmed_uncovered_year": confirmed} if confirmed else {})})
    for letter in letters.issue(committee, award):
        _declare_message(*letters.letter_message(letter))
    return award


def award_recipients(award: Award) -> tuple[int, list[int]]:
    """(winner org id, the other bidders' org ids) for the award notice and result letters."""
    committee = committee_for_lot(award.lot_id)
    orgs = {b.id: b.org_id for b, _ in opened_bids(committee)}
    winner = orgs[award.candidate.bid_id]
    return winner, sorted({o for o in orgs.values() if o != winner})


def void_award(user: User, award_id: int, reason: str) -> Award:
    """An upheld challenge, or the winner disqualified or declining: the award is void (the agency)."""
    award, committee = get_award(award_id)
    require_agency(user, committee)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请填写作废的理由。", code="reason_required")
    return settle_void(award, reason)


def settle_void(award: Award, reason: str, **extra: str) -> Award:
    """The one way an award becomes void, whoever decided it (the agency here, an upheld challenge or
    complaint in `evaluation.challenges.apply_remedy`): its unsigned contract is void too."""
    from evaluation.contracts import void_contract

    void_contract(award)
    published = award.notified_at is not None
    move(award, AwardStatus.VOIDED)
    award.voided_at, award.void_reason = clock.now(), reason[:300]
    correction = _withdraw_result_notice(award, reason) if published else None
    record("evaluation.award_voided", award, {"reason": reason[:300], **extra,
                                              **({"correction_notice": correction.id} if correction else {})})
    return award


def _withdraw_result_notice(award: Award, reason: str):
    """A voided award's result notice leaves the public lists, withdrawn by a correction notice that says
    why (财办库〔2020〕50号: a published result is corrected in public, never just replaced)."""
    from notices.models import Notice
    from notices.service import withdraw_notice

    published = payloads_of("evaluation.result_published", award)
    notice = db.session.get(Notice, published[-1]["notice"]) if published else None
    if notice is None or notice.withdrawn_at is not None:
        return None
    committee = committee_for_lot(award.lot_id)
    project, lot = project_of(committee), lot_of(committee)
    body = (f"项目编号：{project.code}\n项目名称：{project.title}\n标项：{lot.number} {lot.name}\n"
            f"更正事项：{clock.format_local(notice.published_at, '%Y年%m月%d日')}发布的《{notice.title}》撤销，"
            f"原中标（成交）结果作废。\n更正原因：{reason[:300]}\n"
            "重新确定的中标（成交）结果将另行公告。")
    return withdraw_notice(notice, f"{project.title}（标项{lot.number}）中标（成交）结果更正公告", body)


def award_deadline_state(award: Award) -> str:
    if award.status is not AwardStatus.PENDING:
        return "done"
    return deadlines.deadline_state(clock.to_local(award.confirm_due_at).date(),
                                    clock.to_local(clock.now()).date()).value


def sweep_award_deadlines() -> dict[str, list[int]]:
    """Every pending award's reminder or warning, then every overdue one deemed confirmed, in the caller's
    transaction; the chronograph runs the same steps one award per transaction (evaluation/timed.py).
    Returns what to notify after the commit."""
    from core.chronograph import due_objects, step

    out: dict[str, list[int]] = {"remind": [], "overdue": [], "deemed": []}
    for award in due_objects(step("evaluation.remind_award_due")):
        state = remind_award_due(award)
        if state:
            out[state].append(award.id)
    for award in due_objects(step("evaluation.deem_confirmed")):
        if deem_confirmed(award) is not None:
            out["deemed"].append(award.id)
    return out


def remind_award_due(award: Award) -> str | None:
    """A pending award near its confirmation deadline gets a reminder (once a day) to the purchaser; an
    overdue one a warning (once) to the region's finance bureau. Idempotent: each notice is an audit
    event, and what was sent is looked up there. Returns "remind" or "overdue" when one is due now."""
    from tender.models import Lot, Project

    today = clock.to_local(clock.now()).date().isoformat()
    state = award_deadline_state(award)
    if state == "open":
        return None
    action = "evaluation.award_overdue" if state == "overdue" else "evaluation.award_reminded"
    sent = payloads_of(action, award)
    if (state == "overdue" and sent) or (state == "remind" and any(p.get("day") == today for p in sent)):
        return None
    project = db.session.scalar(select(Project).join(Lot, Lot.project_id == Project.id).where(Lot.id == award.lot_id))
    finance = finance_orgs(project.region_code)
    record(action, award, {"day": today, "due": award.confirm_due_at.isoformat(), "project": project.code,
                           "finance_orgs": finance if state == "overdue" else []},
           actor="system:evaluation-sweep")
    return "overdue" if state == "overdue" else "remind"


def deem_confirmed(award: Award) -> Award | None:
    """87号令 Art 68: a purchaser who has not confirmed the winner within the period (and gave no lawful
    reason) is deemed to have confirmed the first-ranked candidate; the award moves on, so the agency can
    publish the result, and the record says it was by the rule, not by anyone's choice."""
    committee = committee_for_lot(award.lot_id)
    first = next(c for c in current_report(committee).candidates if c.position == 1)
    bid, members = _winner_of(committee, first)
    if is_barred(bid.org, members, project_of(committee).region_code):
        return None  # a barred first candidate is never deemed confirmed: the purchaser confirms another
    move(award, AwardStatus.CONFIRMED)
    award.candidate_id, award.confirmed_at, award.deemed_confirmed = first.id, clock.now(), True
    record("evaluation.winner_deemed_confirmed", award, {
        "candidate": first.id, "bid": first.bid_id, "due": award.confirm_due_at.isoformat(),
        "rule": "87号令第六十八条"}, actor="system:evaluation-sweep")
    return award


def overdue_awards(user: User) -> list[Award]:
    """The awards of the supervisor's regions whose purchaser let the confirmation deadline pass: still
    pending, or deemed confirmed under Art 68 and not yet published — for the finance dashboard."""
    from tender.models import Lot, Project

    rows = db.session.scalars(
        select(Award).join(Lot, Lot.id == Award.lot_id).join(Project, Project.id == Lot.project_id)
        .where(Award.confirm_due_at < clock.now(),
               ((Award.status == AwardStatus.PENDING)
                | ((Award.status == AwardStatus.CONFIRMED) & Award.deemed_confirmed.is_(True))))
        .order_by(Award.confirm_due_at))
    return [a for a in rows if oversees(user, project_of(committee_for_lot(a.lot_id)).region_code)]
