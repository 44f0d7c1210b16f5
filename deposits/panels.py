"""Dashboard cards of the deposits: the agency's refunds waiting for the bank (the late ones first) and the
supervisor's late refunds in its region. A card appears only when there is something in it."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from accounts.models import Role, User
from core.db import db
from deposits import service
from deposits.models import Deposit, LotDeposit
from deposits.transitions import DepositStatus
from portal.dashboard import Panel, panel

OPEN_REFUNDS = (DepositStatus.REFUND_DUE, DepositStatus.REFUND_SENT)


def _items(rows: list[Deposit]) -> list[dict]:
    return [{"title": service.org_name(d.org_id),
             "note": gettext("%(state)s · 退还期限 %(due)s", due=d.refund_due_on.isoformat(),
                             state=gettext("逾期未退") if d.overdue_at else gettext(service.STATUS_ZH[d.status.value])),
             "url": url_for("deposits.lot", lot_id=d.lot_id)} for d in rows[:8]]


@panel(Role.AGENCY_STAFF)
def agency_refunds(user: User) -> Panel | None:
    from tender.models import Project

    rows = list(db.session.scalars(
        select(Deposit).join(LotDeposit, LotDeposit.lot_id == Deposit.lot_id)
        .join(Project, Project.id == LotDeposit.project_id)
        .where(Project.agency_org_id == user.org_id, Deposit.status.in_(OPEN_REFUNDS))
        .order_by(Deposit.overdue_at.is_(None), Deposit.refund_due_on, Deposit.id)))
    if not rows:
        return None
    return Panel(title=str(_l("保证金退还")), empty=str(_l("待退还的保证金及其期限会显示在这里。")), items=_items(rows),
                 link=url_for("deposits.reconciliation"), link_text=str(_l("银行对账")))


@panel(Role.SUPERVISOR)
def overdue_refunds(user: User) -> Panel | None:
    from accounts.service import regions_under

    if not user.region_code:
        return None
    rows = list(db.session.scalars(
        select(Deposit).join(LotDeposit, LotDeposit.lot_id == Deposit.lot_id)
        .where(LotDeposit.region_code.in_(regions_under(user.region_code)), Deposit.overdue_at.is_not(None),
               Deposit.status.in_(OPEN_REFUNDS)).order_by(Deposit.refund_due_on, Deposit.id)))
    if not rows:
        return None
    return Panel(title=str(_l("保证金逾期未退")), empty=str(_l("逾期未退还的保证金会显示在这里。")), items=_items(rows),
                 link=url_for("deposits.reconciliation"), link_text=str(_l("银行对账")))
