"""What the evaluation stages show finance's supervision (portal.supervision): the overdue steps — an expert's
invitation unanswered past its deadline, an award the purchaser has not confirmed in time, an award whose
contract is not signed within the region's days (政府采购法第四十六条, `periods.contract_due`), a complaint at or
past its acceptance or decision deadline (the reminder window `complaints.deadline_state` already uses) —
and the complaints being handled. Each names its tender project, which a supervisor may suspend."""

from __future__ import annotations

from datetime import datetime

from flask import url_for
from flask_babel import gettext
from sqlalchemy import select

from contracts.models import Contract
from contracts.transitions import ContractStatus
from core import clock
from core.db import db
from evaluation import complaints, periods
from evaluation.contracts import KIND
from evaluation.models import Award, Complaint
from evaluation.transitions import AwardStatus, ComplaintStatus
from expert_draw.models import DrawRequest, Invitation, InvitationStatus
from portal.supervision import Item, complaint_source, overdue_source
from tender.models import Lot, Project

LIMIT = 200


def _lot_title(project: Project, lot: Lot) -> str:
    return gettext("%(title)s（标项%(number)s）", title=project.title, number=lot.number)


def _awards(regions: set[str], *statuses: AwardStatus):
    return db.session.execute(
        select(Award, Lot, Project).join(Lot, Lot.id == Award.lot_id).join(Project, Project.id == Lot.project_id)
        .where(Award.status.in_(statuses), Project.region_code.in_(sorted(regions)))
        .order_by(Award.id).limit(LIMIT)).all()


@overdue_source
def unconfirmed_awards(regions: set[str], now: datetime) -> list[Item]:
    """Awards still waiting for the purchaser's confirmation after its working days (87号令 Art 68)."""
    return [Item(f"evaluation.award_confirm:{award.id}", gettext("采购人逾期未确定中标（成交）人"),
                 _lot_title(project, lot), project.region_code, url_for("tender.project", project_id=project.id),
                 award.confirm_due_at, subject=("tender_project", project.id))
            for award, lot, project in _awards(regions, AwardStatus.PENDING) if award.confirm_due_at < now]


@overdue_source
def unsigned_contracts(regions: set[str], now: datetime) -> list[Item]:
    """Published awards whose contract is not signed by both parties within the days to sign."""
    out = []
    for award, lot, project in _awards(regions, AwardStatus.NOTIFIED):
        due = clock.end_of_local_day(periods.contract_due(award))
        if due >= now:
            continue
        contract = db.session.scalar(select(Contract).where(Contract.source_kind == KIND,
                                                            Contract.source_id == award.id))
        if contract is not None and contract.status is ContractStatus.SIGNED:
            continue
        state = (gettext("尚未起草合同") if contract is None else
                 gettext("合同待双方签署") if contract.status is ContractStatus.DRAFT else gettext("合同待另一方签署"))
        url = (url_for("contracts.detail", contract_id=contract.id) if contract is not None
               else url_for("tender.project", project_id=project.id))
        out.append(Item(f"evaluation.contract_unsigned:{award.id}", gettext("合同逾期未签订"),
                        _lot_title(project, lot), project.region_code, url, due, note=state,
                        subject=("tender_project", project.id)))
    return out


@overdue_source
def unanswered_invitations(regions: set[str], now: datetime) -> list[Item]:
    """Experts invited and not answering by the invitation's deadline (the draw waits for a replacement)."""
    rows = db.session.execute(
        select(Invitation, DrawRequest).join(DrawRequest, DrawRequest.id == Invitation.request_id)
        .where(Invitation.status == InvitationStatus.INVITED, Invitation.deadline_at < now,
               DrawRequest.region_code.in_(sorted(regions))).order_by(Invitation.deadline_at).limit(LIMIT)).all()
    return [Item(f"expert_draw.invitation:{inv.id}", gettext("专家逾期未答复评审邀请"), req.project_title,
                 req.region_code, url_for("expert_draw.detail", request_id=req.id), inv.deadline_at,
                 subject=("tender_project", req.project_id) if req.project_id else None)
            for inv, req in rows]


def _open_complaints(regions: set[str]):
    return db.session.execute(
        select(Complaint, Award, Lot, Project).join(Award, Award.id == Complaint.award_id)
        .join(Lot, Lot.id == Award.lot_id).join(Project, Project.id == Lot.project_id)
        .where(Complaint.status.in_([ComplaintStatus.FILED, ComplaintStatus.ACCEPTED]),
               Complaint.region_code.in_(sorted(regions))).order_by(Complaint.id).limit(LIMIT)).all()


def _complaint_item(row: Complaint, lot: Lot, project: Project, kind: str) -> Item:
    step = gettext("受理期限") if row.status is ComplaintStatus.FILED else gettext("处理决定期限")
    note = gettext(complaints.STATUS_ZH[row.status.value]) + " · " + step
    if row.suspended_until and row.suspended_until > clock.now():
        note += " · " + gettext("采购活动暂停至 %(at)s", at=clock.format_local(row.suspended_until))
    return Item(f"evaluation.complaint:{row.id}", kind, _lot_title(project, lot), row.region_code,
                url_for("evaluation.complaint_list"), complaints.next_due(row),
                note=note, subject=("tender_project", project.id))


@overdue_source
def complaints_near_their_end(regions: set[str], now: datetime) -> list[Item]:
    """Complaints within the reminder window of, or past, their acceptance or decision deadline."""
    return [_complaint_item(row, lot, project, gettext("投诉处理临近或超过期限"))
            for row, _award, lot, project in _open_complaints(regions)
            if complaints.deadline_state(row) in ("remind", "overdue")]


@complaint_source
def open_complaints(regions: set[str], now: datetime) -> list[Item]:
    return [_complaint_item(row, lot, project, gettext("投诉"))
            for row, _award, lot, project in _open_complaints(regions)]
