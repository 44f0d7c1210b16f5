"""Real-time messages (消息) of the evaluation (call after the commit; courtesies only: everything that
matters is also on a page). Each sends through `core.tasks.send_message`; a failure to send is logged,
never raised."""

from __future__ import annotations

import logging

from core.db import db

log = logging.getLogger(__name__)


def _send(message: dict, *, user_ids=(), org_ids=()) -> None:
    from core.tasks import send_message

    try:
        send_message.delay(message, user_ids=list(user_ids) or None, org_ids=list(org_ids) or None)
    except Exception:
        log.exception("evaluation message not sent: %s", message.get("title"))


def room_opened(committee_id: int) -> None:
    from evaluation.service import get_committee

    committee = get_committee(committee_id)
    users = [m.user_id for m in committee.members]
    _send({"title": "评审室已开启", "body": "请进入网上评审室，先签署回避声明。", "level": "info",
           "url": f"/evaluation/{committee_id}"}, user_ids=users)


def conflict_declared(committee_id: int, member_id: int) -> None:
    from evaluation.service import get_committee, project_of

    committee = get_committee(committee_id)
    _send({"title": "评审专家申请回避", "body": "有成员声明存在回避情形并已离开评审室，请为其申请补抽。",
           "level": "warning", "url": f"/evaluation/{committee_id}"}, org_ids=[project_of(committee).agency_org_id])


def clarification_asked(clarification_id: int) -> None:
    from evaluation.models import EvaluationClarification
    from tender.models import Bid

    item = db.session.get(EvaluationClarification, clarification_id)
    bid = db.session.get(Bid, item.bid_id)
    title = {"low_price": "评标委员会要求说明报价",
             "price_correction": "评标委员会修正了报价，请确认"}.get(item.kind.value, "评标委员会澄清问题")
    _send({"title": title, "body": "请在规定时间内在“评审澄清”页面答复。", "level": "warning",
           "url": "/evaluation/clarifications"}, org_ids=[bid.org_id])


def report_sent(award_id: int) -> None:
    """What sending the report declares, by hand."""
    from evaluation.awarding import report_sent_message
    from evaluation.models import Award

    message, org_ids = report_sent_message(db.session.get(Award, award_id))
    _send(message, org_ids=org_ids)


def award_published(award_id: int) -> None:
    """Each bidder is sent a link to its own letter: the award notice to the winner, the result letter
    (with its own evaluation) to each other bidder."""
    from evaluation.letters import letter_message, letters_of
    from evaluation.models import Award

    for letter in letters_of(db.session.get(Award, award_id)):  # what publishing declares, by hand
        message, org_ids = letter_message(letter)
        _send(message, org_ids=org_ids)


def contract_due(award_id: int, *, overdue: bool) -> None:
    """Both parties are reminded of the 30 days; when overdue the region's finance bureau is warned."""
    from accounts.service import finance_orgs
    from evaluation.contracts import context_of, contract_of, winner_org_id
    from evaluation.models import Award

    award = db.session.get(Award, award_id)
    _award, _committee, project, _lot = context_of(award)
    contract = contract_of(award)
    url = f"/contracts/{contract.id}" if contract else "/contracts/"
    _send({"title": "合同签订期限" + ("已过" if overdue else "将至"),
           "body": f"{project.title}：中标通知书发出后 30 日内应签订政府采购合同。",
           "level": "danger" if overdue else "warning", "url": url},
          org_ids=[project.purchaser_org_id, winner_org_id(award)])
    if overdue:
        _send({"title": "逾期未签订政府采购合同", "body": f"{project.code} {project.title}", "level": "danger",
               "url": url}, org_ids=finance_orgs(project.region_code))


def award_due(award_id: int, *, overdue: bool) -> None:
    """The purchaser is reminded; when overdue the finance bureau of the region is warned as well."""
    import json

    from sqlalchemy import select

    from audit.models import AuditEvent
    from evaluation.models import Award
    from evaluation.service import committee_for_lot, project_of

    award = db.session.get(Award, award_id)
    committee = committee_for_lot(award.lot_id)
    project = project_of(committee)
    _send({"title": "确定中标人期限" + ("已过" if overdue else "将至"),
           "body": f"{project.title}：请按评审报告推荐的候选人顺序确定中标（成交）供应商。",
           "level": "danger" if overdue else "warning", "url": f"/evaluation/{committee.id}"},
          org_ids=[project.purchaser_org_id])
    if overdue:
        payload = db.session.scalar(select(AuditEvent.payload).where(
            AuditEvent.action == "evaluation.award_overdue", AuditEvent.object_id == str(award_id)))
        finance = json.loads(payload or "{}").get("finance_orgs", [])
        if finance:
            _send({"title": "采购人逾期未确定中标人", "body": f"{project.code} {project.title}",
                   "level": "danger", "url": f"/evaluation/{committee.id}"}, org_ids=finance)


def award_deemed(award_id: int) -> None:
    """Art 68 applied: the purchaser and the agency learn that the first candidate is deemed confirmed, and
    the agency that the result can now be published."""
    from evaluation.models import Award
    from evaluation.service import committee_for_lot, project_of

    award = db.session.get(Award, award_id)
    committee = committee_for_lot(award.lot_id)
    project = project_of(committee)
    _send({"title": "已视同确定中标人",
           "body": f"{project.title}：采购人未在期限内确定中标（成交）供应商，依照87号令第六十八条，视同确定"
                   "评审报告推荐的排名第一的候选人；请代理机构发布结果公告。",
           "level": "warning", "url": f"/evaluation/{committee.id}"},
          org_ids=[project.purchaser_org_id, project.agency_org_id])


def _complaint_parties(complaint_id: int):
    from accounts.service import finance_orgs
    from evaluation.models import Award, Complaint
    from evaluation.service import committee_for_lot, project_of

    row = db.session.get(Complaint, complaint_id)
    project = project_of(committee_for_lot(db.session.get(Award, row.award_id).lot_id))
    return row, project, finance_orgs(row.region_code)


def challenge_filed(challenge_id: int) -> None:
    """What filing a challenge declares, by hand."""
    from evaluation.challenges import filed_message
    from evaluation.models import Challenge

    message, org_ids = filed_message(db.session.get(Challenge, challenge_id))
    _send(message, org_ids=org_ids)


def challenge_answered(challenge_id: int) -> None:
    """What answering a challenge declares, by hand."""
    from evaluation.challenges import answered_message
    from evaluation.models import Challenge

    message, org_ids = answered_message(db.session.get(Challenge, challenge_id))
    _send(message, org_ids=org_ids)


def complaint_filed(complaint_id: int) -> None:
    row, project, finance = _complaint_parties(complaint_id)
    _send({"title": "收到投诉", "body": f"{project.code} {project.title}：请在 5 个工作日内决定是否受理。",
           "level": "warning", "url": "/evaluation/complaints"}, org_ids=finance)
    _send({"title": "供应商已向财政部门投诉", "body": f"{project.title}：财政部门将依法处理。", "level": "info",
           "url": f"/evaluation/awards/{row.award_id}/challenges"},
          org_ids=[project.agency_org_id, project.purchaser_org_id])


def complaint_handled(complaint_id: int) -> None:
    """Accepted, suspended, refused or decided: the complainant, the agency and the purchaser are told."""
    from evaluation.complaints import STATUS_ZH

    row, project, _finance = _complaint_parties(complaint_id)
    body = f"{project.title}：投诉{STATUS_ZH[row.status.value]}。"
    if row.suspended_until is not None and row.status.value == "accepted":
        body += "采购活动已暂停，暂停期间不得签订合同。"
    _send({"title": "投诉处理进展", "body": body, "level": "warning",
           "url": f"/evaluation/awards/{row.award_id}/challenges"},
          org_ids=[row.org_id, project.agency_org_id, project.purchaser_org_id])


def complaint_due(complaint_id: int, *, overdue: bool) -> None:
    row, project, finance = _complaint_parties(complaint_id)
    step = "受理" if row.status.value == "filed" else "作出处理决定"
    _send({"title": f"投诉{step}期限" + ("已过" if overdue else "将至"), "body": f"{project.code} {project.title}",
           "level": "danger" if overdue else "warning", "url": "/evaluation/complaints"}, org_ids=finance)
